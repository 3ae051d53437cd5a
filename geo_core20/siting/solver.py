"""The solver API: demand and candidate frames in, `SitingResult` out (`solve`, `coverage_curve`).

``k`` counts the sites to open in addition to ``fixed`` (already open) sites. Costs come from an
`access.CostModel`, so a travel-time matrix can replace straight-line distance. Every figure of a
result is recounted from the cost matrix; nothing is taken from a solver's objective.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from geo_core20 import access, geocode, schema
from geo_core20.errors import ProblemTooLarge, SitingError
from geo_core20.siting import mclp, pmedian
from geo_core20.siting.common import (
    CANDIDATE_COLUMNS,
    DEFAULT_TIME_LIMIT,
    MAX_CELLS,
    Progress,
    check_objective,
    json_number,
    json_records,
    noop,
    number_or,
)

# --- result ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SitingResult:
    """Chosen sites and what they achieve, recounted directly from the cost matrix."""

    objective: str
    k: int
    radius: float  # coverage threshold, in `unit`
    unit: str
    chosen: pd.DataFrame  # CANDIDATE_COLUMNS + rank, fixed, covered_population, unique_population,
    # added_population (newly covered in rank order), assigned_population
    fixed: pd.DataFrame  # same columns, the sites already open
    assignment: pd.DataFrame  # per target LSOA: code, weight, easting, northing, site_id, cost, covered
    covered_population: float
    total_target_population: float
    objective_value: float  # mclp: population covered; pmedian: sum of weight x cost
    mean_cost: float  # population-weighted mean cost to the nearest open site (inf if any unreachable)
    status: str  # "optimal" or "feasible" (time limit reached; see gap)
    gap: float  # relative optimality gap (0 when proven optimal)
    solve_seconds: float  # the optimiser alone (reductions, bounds, CBC)
    problem_size: dict = field(default_factory=dict)
    total_seconds: float | None = None  # solve(): the whole call; plan(): the whole plan incl. data prep
    warnings: tuple[str, ...] = ()  # e.g. chosen sites that add nothing
    weighted_cost: float = math.nan  # sum of weight x cost to the nearest open site (p-median's objective)

    @property
    def covered_share(self) -> float:
        return self.covered_population / self.total_target_population if self.total_target_population else 0.0

    def _reached(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Costs and weights of the demand that reaches an open site, and the total weight."""
        a = self.assignment
        if a.empty or "cost" not in a.columns or "weight" not in a.columns:
            return np.zeros(0), np.zeros(0), 0.0
        cost = pd.to_numeric(a["cost"]).astype(float).fillna(math.inf).to_numpy()
        weight = pd.to_numeric(a["weight"]).astype(float).fillna(0.0).to_numpy()
        ok = np.isfinite(cost) & (weight > 0)
        return cost[ok], weight[ok], float(weight[weight > 0].sum())

    @property
    def p90_cost(self) -> float:
        """Demand-weighted 90th percentile of the cost to the nearest open site (demand that reaches one).

        The least cost within which at least 90% of that demand lives (NaN when none reaches a site).
        """
        cost, weight, _ = self._reached()
        if not len(cost):
            return math.nan
        return float(np.quantile(cost, 0.9, weights=weight, method="inverted_cdf"))

    @property
    def max_cost(self) -> float:
        """The largest cost to the nearest open site over the demand that reaches one (NaN when none)."""
        cost, _, _ = self._reached()
        return float(cost.max()) if len(cost) else math.nan

    @property
    def unreachable_share(self) -> float:
        """Share of the demand that can reach no open site (a travel-time matrix's unreachable pairs)."""
        _, weight, total = self._reached()
        return max(0.0, 1.0 - float(weight.sum()) / total) if total else 0.0

    @property
    def sites(self) -> pd.DataFrame:
        """Fixed then chosen sites, one frame."""
        return pd.concat([self.fixed, self.chosen], ignore_index=True)

    def to_dict(self) -> dict:
        return {
            "objective": self.objective, "k": self.k, "radius": self.radius, "unit": self.unit,
            "chosen": json_records(self.chosen), "fixed": json_records(self.fixed),
            "assignment": json_records(self.assignment),
            "covered_population": json_number(self.covered_population),
            "total_target_population": json_number(self.total_target_population),
            "covered_share": self.covered_share, "objective_value": json_number(self.objective_value),
            "mean_cost": json_number(self.mean_cost), "weighted_cost": json_number(self.weighted_cost),
            "p90_cost": json_number(self.p90_cost), "max_cost": json_number(self.max_cost),
            "unreachable_share": round(self.unreachable_share, 6),
            "status": self.status, "gap": self.gap,
            "solve_seconds": round(self.solve_seconds, 3),
            "total_seconds": None if self.total_seconds is None else round(self.total_seconds, 3),
            "problem_size": self.problem_size, "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict) -> SitingResult:
        """Inverse of `to_dict`; also reads records saved before total_seconds and warnings existed."""
        def frame(key: str, columns: Sequence[str]) -> pd.DataFrame:
            rows = data.get(key) or []
            return pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(columns))

        site_cols = ("rank", *CANDIDATE_COLUMNS, "fixed", "covered_population", "unique_population",
                     "assigned_population")
        assignment = frame("assignment",
                           ("code", "weight", "easting", "northing", "site_id", "cost", "covered"))
        if "cost" in assignment.columns:  # an unreachable LSOA's cost was stored as null
            assignment["cost"] = pd.to_numeric(assignment["cost"]).astype(float).fillna(math.inf)
        return cls(
            objective=str(data.get("objective", "mclp")), k=int(data.get("k") or 0),
            radius=float(data.get("radius") or 0.0), unit=str(data.get("unit", "m")),
            chosen=frame("chosen", site_cols), fixed=frame("fixed", site_cols), assignment=assignment,
            covered_population=number_or(data.get("covered_population"), 0.0),
            total_target_population=number_or(data.get("total_target_population"), 0.0),
            objective_value=number_or(data.get("objective_value"), math.inf),
            mean_cost=number_or(data.get("mean_cost"), math.inf), status=str(data.get("status", "")),
            gap=float(data.get("gap") or 0.0), solve_seconds=float(data.get("solve_seconds") or 0.0),
            problem_size=dict(data.get("problem_size") or {}),
            total_seconds=None if data.get("total_seconds") is None else float(data["total_seconds"]),
            warnings=tuple(data.get("warnings") or ()),
            weighted_cost=number_or(data.get("weighted_cost"),
                                    number_or(data.get("mean_cost"), math.inf)
                                    * number_or(data.get("total_target_population"), 0.0)))


# --- inputs ----------------------------------------------------------------------------------------

def candidates_frame(ids: Sequence[object], names: Sequence[object], easting: Sequence[float],
                     northing: Sequence[float], lon: Sequence[float] | None = None,
                     lat: Sequence[float] | None = None) -> pd.DataFrame:
    """A candidates table (CANDIDATE_COLUMNS); lon/lat computed from BNG when not given."""
    e = np.asarray(easting, dtype=float)
    n = np.asarray(northing, dtype=float)
    if lon is None or lat is None:
        lon, lat = geocode.bng_to_wgs84(e, n)
    return pd.DataFrame({"candidate_id": [str(i) for i in ids], "name": [str(x) for x in names],
                         "easting": e, "northing": n, "lon": np.asarray(lon, dtype=float),
                         "lat": np.asarray(lat, dtype=float)})


def candidates_from_sites(sites: pd.DataFrame) -> pd.DataFrame:
    """Sites table rows as candidates (keeps site_type and postcode for display)."""
    out = candidates_frame(sites["site_code"], sites["site_name"], sites["easting"], sites["northing"],
                           sites["lon"], sites["lat"])
    for col in ("site_type", "postcode", "address", "town"):
        if col in sites.columns:
            out[col] = sites[col].to_numpy(dtype=object)
    return out


def site_where(sites: pd.DataFrame | dict) -> pd.Series | str:
    """Where a site is, as people say it: address, town and postcode where known (parts already in
    its name, e.g. a supermarket's town, are not repeated; '' when nothing is known). A frame gives a
    Series, one record (a dict) a string."""
    if isinstance(sites, dict):
        return site_where(pd.DataFrame([sites])).iloc[0]

    def one(row: pd.Series) -> str:
        name = str(row.get("name") if "name" in row else row.get("site_name", "") or "").casefold()
        parts: list[str] = []
        for col in ("address", "town", "postcode"):
            text = row.get(col)
            text = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text).strip()
            seen = text.casefold() in name or any(text.casefold() in p.casefold() for p in parts)
            if text and not seen:
                parts.append(text)
        return ", ".join(parts)

    if sites.empty:
        return pd.Series([], dtype=object, index=sites.index)
    return sites.apply(one, axis=1).astype(object)


def candidates_from_lsoas(atlas: pd.DataFrame) -> pd.DataFrame:
    """LSOA population-weighted centroids as candidates (id = LSOA code)."""
    return candidates_frame(atlas[schema.LSOA_CODE], atlas[schema.LSOA_NAME], atlas[schema.PWC_EASTING],
                            atlas[schema.PWC_NORTHING], atlas[schema.PWC_LON], atlas[schema.PWC_LAT])


def candidates_from_points(points: pd.DataFrame, name_column: str | None = None,
                           id_prefix: str = "U") -> pd.DataFrame:
    """Uploaded venues (`uploads.load_points` output) as candidates: id U<row>, name from a column."""
    if "row" in points.columns:
        ids = [f"{id_prefix}{int(r)}" for r in points["row"]]
    else:
        ids = [f"{id_prefix}{i + 1}" for i in range(len(points))]
    if name_column and name_column in points.columns:
        names = points[name_column].fillna("").astype(str).str.strip()
        names = [n or ids[i] for i, n in enumerate(names)]
    else:
        names = ids
    return candidates_frame(ids, names, points["easting"], points["northing"], points["lon"], points["lat"])


def demand_frame(atlas: pd.DataFrame, weights: pd.Series | np.ndarray) -> pd.DataFrame:
    """Demand points (LSOA centroids) with their target-population weight."""
    out = access.lsoa_points(atlas)
    out["weight"] = np.asarray(weights, dtype=float)
    return out


def check_candidates(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """A candidates frame with string ids, unique and located; SitingError otherwise."""
    missing = [c for c in CANDIDATE_COLUMNS if c not in frame.columns]
    if missing:
        raise SitingError(f"{what} lack column(s) {', '.join(missing)}")
    out = frame.reset_index(drop=True).copy()
    out["candidate_id"] = out["candidate_id"].astype(str)
    dup = out["candidate_id"].duplicated()
    if dup.any():
        raise SitingError(f"{what}: duplicate id(s) {', '.join(out.loc[dup, 'candidate_id'].head(5))}")
    bad = ~np.isfinite(out[["easting", "northing"]].to_numpy(dtype=float)).all(axis=1)
    if bad.any():
        raise SitingError(f"{what}: {int(bad.sum())} without easting/northing")
    return out


# --- preparation ---------------------------------------------------------------------------------

@dataclass
class _Prepared:
    demand: pd.DataFrame  # active demand (weight > 0)
    candidates: pd.DataFrame
    fixed: pd.DataFrame
    cost: np.ndarray  # demand x candidates
    fixed_cost: np.ndarray  # demand x fixed
    radius: float
    unit: str

    @property
    def weights(self) -> np.ndarray:
        return self.demand["weight"].to_numpy()

    def fixed_cover(self) -> np.ndarray:
        if self.fixed_cost.shape[1]:
            return (self.fixed_cost <= self.radius).any(axis=1)
        return np.zeros(len(self.demand), dtype=bool)

    def cover(self) -> mclp.Cover:
        return mclp.reduce_cover(self.cost <= self.radius, self.weights, self.fixed_cover())


def _prepare(demand: pd.DataFrame, candidates: pd.DataFrame, fixed: pd.DataFrame | None, radius: float,
             cost_model: access.CostModel | None, max_cells: int, progress: Progress) -> _Prepared:
    model = cost_model or access.StraightLineCost()
    if "weight" not in demand.columns:
        raise SitingError("demand needs a 'weight' column (target population per LSOA)")
    w = pd.to_numeric(demand["weight"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    if (w < 0).any():
        raise SitingError("demand weights must not be negative")
    active = demand.loc[w > 0].reset_index(drop=True).copy()
    active["weight"] = w[w > 0]
    cands = check_candidates(candidates, "candidates")
    fx = check_candidates(fixed, "fixed sites") if fixed is not None and len(fixed) else \
        pd.DataFrame({c: pd.Series(dtype=float if c in ("easting", "northing", "lon", "lat") else object)
                      for c in CANDIDATE_COLUMNS})
    if len(fx):
        cands = cands[~cands["candidate_id"].isin(fx["candidate_id"])].reset_index(drop=True)
    if not np.isfinite(radius) or radius < 0:
        raise SitingError(f"radius must be a non-negative number, not {radius!r}")
    cells = len(active) * (len(cands) + len(fx))
    if cells > max_cells:
        raise ProblemTooLarge(len(active), len(cands) + len(fx), max_cells)
    progress(0.02, f"Costs from {len(active):,} target LSOAs to {len(cands):,} candidates")
    cost = model.matrix(access.site_points(active, "code"), access.site_points(cands, "candidate_id"))
    fixed_cost = model.matrix(access.site_points(active, "code"), access.site_points(fx, "candidate_id"))
    return _Prepared(active, cands, fx, cost, fixed_cost, float(radius), model.unit)


def _finite_costs(cost: np.ndarray, fixed_cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unreachable pairs (inf, from a travel-time matrix) priced at a penalty above any real cost."""
    both = np.concatenate([cost.ravel(), fixed_cost.ravel()])
    finite = both[np.isfinite(both)]
    penalty = (float(finite.max()) * 10 + 1) if len(finite) else 1.0
    return np.where(np.isfinite(cost), cost, penalty), np.where(np.isfinite(fixed_cost), fixed_cost, penalty)


def _pad(chosen: list[int], prep: _Prepared, k: int) -> list[int]:
    """Fill up to k sites when fewer add anything: most target population within radius first."""
    if len(chosen) >= k:
        return chosen
    w = prep.weights
    reach = (w[:, None] * (prep.cost <= prep.radius)).sum(axis=0) if len(w) else np.zeros(prep.cost.shape[1])
    taken = set(chosen)
    for j in np.argsort(-reach, kind="stable"):
        if len(chosen) >= k:
            break
        if int(j) not in taken:
            chosen.append(int(j))
            taken.add(int(j))
    return chosen


def _check_k(k: int, n_candidates: int) -> int:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0:
        raise SitingError(f"k must be a whole number >= 0, not {k!r}")
    if k > n_candidates:
        raise SitingError(f"k = {k} but there are only {n_candidates} candidate sites")
    return int(k)


def _optimise(prep: _Prepared, k: int, objective: str, time_limit: float, progress: Progress,
              cover: mclp.Cover | None = None) -> tuple[list[int], str, float, dict]:
    if objective == "mclp":
        cover = cover if cover is not None else prep.cover()
        progress(0.3, f"Solving MCLP ({cover.a.shape[0]} demand groups x {cover.a.shape[1]} candidates)")
        cols, status = mclp.solve_cover(cover, k, time_limit)
        return [int(cover.cols[j]) for j in cols], status, 0.0, dict(cover.stats)
    if objective == "pmedian":
        cost, fixed_cost = _finite_costs(prep.cost, prep.fixed_cost)
        base = fixed_cost.min(axis=1) if fixed_cost.shape[1] else np.full(len(prep.demand), np.inf)
        return pmedian.solve_pmedian(cost, base, prep.weights, k, time_limit, progress)
    raise SitingError(f"unknown objective {objective!r}")


# --- recount -------------------------------------------------------------------------------------------

def idle_site_warnings(chosen: pd.DataFrame, objective: str, radius: float, unit: str) -> tuple[str, ...]:
    """Warnings for chosen sites that add nothing to what the objective measures.

    MCLP: a site whose target residents within reach are all within reach of an already open or
    earlier-ranked site (``added_population`` 0). p-median: a site that is the nearest for no
    target resident (``assigned_population`` 0), so opening it shortens nobody's trip.
    """
    column = "added_population" if objective == "mclp" else "assigned_population"
    if chosen.empty or column not in chosen.columns:
        return ()
    idle = chosen[chosen[column].fillna(0) <= 0]
    if idle.empty:
        return ()
    reach = access.format_cost(radius, unit)

    def named(rows: pd.DataFrame) -> str:
        names = "; ".join(f"site {int(r['rank'])} ({r['name']}, {r['candidate_id']})"
                          for r in rows.head(5).to_dict(orient="records"))
        return names + (f" and {len(rows) - 5} more" if len(rows) > 5 else "")

    if objective == "mclp":
        # two different reasons: nobody of the target within reach at all, or all of them already covered
        alone = (idle["covered_population"].fillna(0) <= 0 if "covered_population" in idle
                 else idle[column] < 0)
        parts = []
        if alone.any():
            parts.append(f"{named(idle[alone])}: no target resident lives within {reach} of it")
        if (~alone).any():
            parts.append(f"{named(idle[~alone])}: every target resident within {reach} of it is already "
                         "within reach of an open or higher-ranked chosen site")
        why = "; ".join(parts)
    else:
        why = f"{named(idle)}: it is the nearest site for no target resident, so it shortens nobody's trip"
    return (f"{len(idle)} of the {len(chosen)} chosen sites add(s) nothing: {why}. "
            f"Fewer sites achieve the same; the extra one(s) were placed only because k = {len(chosen)} "
            "was asked for.",)


def _result(prep: _Prepared, chosen: list[int], k: int, objective: str, status: str, gap: float,
            seconds: float, stats: dict) -> SitingResult:
    """Recount everything from the cost matrix: nothing is taken from the solver's objective."""
    w = prep.weights
    open_cost = np.column_stack([prep.fixed_cost, prep.cost[:, chosen]]) if len(w) else \
        np.zeros((0, len(prep.fixed) + len(chosen)))
    n_fixed = len(prep.fixed)
    sites = pd.concat([prep.fixed.assign(fixed=True),
                       prep.candidates.iloc[chosen].assign(fixed=False)], ignore_index=True)
    if open_cost.shape[1] and len(w):
        near = np.argmin(open_cost, axis=1)
        best = open_cost[np.arange(len(w)), near]
    else:
        near = np.full(len(w), -1)
        best = np.full(len(w), np.inf)
    covered = best <= prep.radius
    within = open_cost <= prep.radius
    n_within = within.sum(axis=1)
    sites["covered_population"] = (w[:, None] * within).sum(axis=0) if len(w) else 0.0
    sites["unique_population"] = (w[:, None] * (within & (n_within == 1)[:, None])).sum(axis=0) \
        if len(w) else 0.0
    # newly covered in order (fixed sites first, then chosen by rank): what each site adds
    first_within = np.where(within.any(axis=1), np.argmax(within, axis=1), -1) if within.shape[1] else \
        np.full(len(w), -1)
    sites["added_population"] = np.bincount(first_within[first_within >= 0], weights=w[first_within >= 0],
                                            minlength=len(sites)) if len(w) else 0.0
    sites["assigned_population"] = np.bincount(near[near >= 0], weights=w[near >= 0],
                                               minlength=len(sites)) if len(w) else 0.0
    ids = sites["candidate_id"].to_numpy(dtype=object)
    assignment = pd.DataFrame({
        "code": prep.demand["code"].to_numpy(dtype=object), "weight": w,
        "easting": prep.demand["easting"].to_numpy(dtype=float),
        "northing": prep.demand["northing"].to_numpy(dtype=float),
        "site_id": np.where(near >= 0, ids[np.maximum(near, 0)] if len(ids) else None, None),
        "cost": best, "covered": covered})
    total = float(w.sum())
    covered_pop = float(w[covered].sum())
    weighted = float((w * best).sum()) if np.isfinite(best).all() else math.inf
    fixed_sites = sites.iloc[:n_fixed].reset_index(drop=True)
    chosen_sites = sites.iloc[n_fixed:].reset_index(drop=True)
    chosen_sites.insert(0, "rank", np.arange(1, len(chosen_sites) + 1))
    fixed_sites.insert(0, "rank", 0)
    stats = {**stats, "target_lsoas": int(len(w)), "candidates_considered": int(len(prep.candidates)),
             "fixed_sites": n_fixed}
    return SitingResult(
        objective=objective, k=k, radius=prep.radius, unit=prep.unit, chosen=chosen_sites, fixed=fixed_sites,
        assignment=assignment, covered_population=covered_pop, total_target_population=total,
        objective_value=covered_pop if objective == "mclp" else weighted,
        mean_cost=weighted / total if total else 0.0, weighted_cost=weighted, status=status, gap=gap,
        solve_seconds=seconds, problem_size=stats,
        warnings=idle_site_warnings(chosen_sites, objective, prep.radius, prep.unit))


def solve(demand: pd.DataFrame, candidates: pd.DataFrame, k: int, objective: str = "mclp",
          radius: float = 3_000.0, fixed: pd.DataFrame | None = None,
          cost_model: access.CostModel | None = None, time_limit: float = DEFAULT_TIME_LIMIT,
          progress: Progress | None = None, max_cells: int = MAX_CELLS) -> SitingResult:
    """Choose ``k`` candidates (besides ``fixed``) for ``objective`` ("mclp" or "pmedian").

    ``demand``: code, easting, northing, weight (target population). ``candidates`` and
    ``fixed``: CANDIDATE_COLUMNS. ``radius`` is in the cost model's unit (metres by default).
    Raises ProblemTooLarge when demand x (candidates + fixed) exceeds ``max_cells``.
    ``solve_seconds`` is the optimiser's time; ``total_seconds`` the whole call (costs, recount).
    """
    progress = progress or noop
    check_objective(objective)
    t0 = time.perf_counter()
    prep = _prepare(demand, candidates, fixed, radius, cost_model, max_cells, progress)
    k = _check_k(k, len(prep.candidates))
    t1 = time.perf_counter()
    chosen, status, gap, stats = _optimise(prep, k, objective, time_limit, progress)
    chosen = _pad(chosen, prep, k)
    result = _result(prep, chosen, k, objective, status, gap, time.perf_counter() - t1, stats)
    progress(1.0, "Done")
    return replace(result, total_seconds=time.perf_counter() - t0)


# --- coverage curve --------------------------------------------------------------------------------------

def _score(prep: _Prepared, chosen: list[int], objective: str) -> float:
    """What the objective optimises, as a number to minimise (negated coverage for MCLP)."""
    w = prep.weights
    if objective == "mclp":
        covered = prep.fixed_cover()
        if chosen:
            covered = covered | (prep.cost[:, chosen] <= prep.radius).any(axis=1)
        return -float(w[covered].sum())
    cost, fixed_cost = _finite_costs(prep.cost, prep.fixed_cost)
    both = np.column_stack([fixed_cost, cost[:, chosen]])
    return float((w * both.min(axis=1)).sum()) if both.shape[1] else math.inf


def _extend(prep: _Prepared, chosen: list[int], objective: str) -> list[int]:
    """``chosen`` plus the one candidate that improves the objective most."""
    rest = [j for j in range(prep.cost.shape[1]) if j not in set(chosen)]
    scores = [_score(prep, [*chosen, j], objective) for j in rest]
    return [*chosen, rest[int(np.argmin(scores))]]


def coverage_curve(demand: pd.DataFrame, candidates: pd.DataFrame, max_k: int, objective: str = "mclp",
                   radius: float = 3_000.0, fixed: pd.DataFrame | None = None,
                   cost_model: access.CostModel | None = None, time_limit: float = DEFAULT_TIME_LIMIT,
                   progress: Progress | None = None, max_cells: int = MAX_CELLS) -> pd.DataFrame:
    """Best solutions for k = 0..max_k, with what each objective optimises.

    Columns: k; covered_population, covered_share and added_population (the k-th site's gain:
    what MCLP maximises); weighted_cost and mean_cost (population-weighted total and mean cost
    to the nearest open site: what p-median minimises) and mean_cost_reduction; objective_value,
    status, sites, seconds (solver time for that k).

    Each k is solved on its own (optimal sets need not be nested). Should a time-limited solve
    come out worse than k - 1 sites, the k - 1 solution plus its best extra site is used instead,
    so coverage never falls and p-median's weighted cost never rises as k grows.
    """
    progress = progress or noop
    check_objective(objective)
    prep = _prepare(demand, candidates, fixed, radius, cost_model, max_cells, progress)
    max_k = _check_k(min(max_k, len(prep.candidates)), len(prep.candidates))
    cover = prep.cover() if objective == "mclp" else None
    rows = []
    previous: list[int] | None = None
    for k in range(max_k + 1):
        progress(k / (max_k + 1), f"Solving for {k} site(s)")
        t0 = time.perf_counter()
        chosen, status, gap, stats = _optimise(prep, k, objective, time_limit, noop, cover)
        chosen = _pad(chosen, prep, k)
        if previous is not None and _score(prep, chosen, objective) > _score(prep, previous, objective):
            chosen, status = _extend(prep, previous, objective), "feasible"
        previous = chosen
        res = _result(prep, chosen, k, objective, status, gap, time.perf_counter() - t0, stats)
        rows.append({"k": k, "covered_population": res.covered_population,
                     "covered_share": res.covered_share, "weighted_cost": res.weighted_cost,
                     "mean_cost": res.mean_cost, "objective_value": res.objective_value, "status": res.status,
                     "sites": ",".join(res.chosen["candidate_id"]), "seconds": res.solve_seconds})
    progress(1.0, "Done")
    out = pd.DataFrame(rows)
    out["added_population"] = out["covered_population"].diff().fillna(out["covered_population"])
    out["mean_cost_reduction"] = (-out["mean_cost"].diff()).fillna(0.0)
    return out
