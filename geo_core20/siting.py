"""Outreach siting: choose k sites that reach the most target population.

Two objectives over the same inputs (demand points with target-population weights, candidate
sites, optional sites already open):

- ``mclp``: the maximal covering location problem. Maximise the target population within
  ``radius`` of an open site (a cost exactly equal to the radius counts as covered, as in spopt).
  Solved exactly by PySAL spopt's MCLP (PuLP/CBC) after exact reductions (see `_reduce_cover`),
  which shrink the largest ICB (667 Core20 LSOAs x 949 GP practices and pharmacies) to 418 x 224.
- ``pmedian``: minimise population-weighted cost to the nearest open site. spopt's dense model
  (`spopt.locate.PMedian.from_cost_matrix`, one variable per demand-candidate pair) took 106 s
  for 667 x 300 here, so p-median uses a Lagrangian relaxation (bound) with greedy + interchange
  (incumbent); candidates that provably cannot be in an optimal solution are removed, and the
  rest is solved exactly by CBC on a sparse formulation. Results equal spopt and brute force
  on small instances (tests/test_siting.py).

``k`` counts the sites to open in addition to ``fixed`` (already open) sites. Costs come from an
`access.CostModel`, so a travel-time matrix can replace straight-line distance.

`plan` is the one entry point shared by the app and ``python -m geo_core20 plan``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pulp
from scipy import sparse

from geo_core20 import access, schema

OBJECTIVES = ("mclp", "pmedian")
OBJECTIVE_LABEL = {"mclp": "Maximise population covered (MCLP)",
                   "pmedian": "Minimise population-weighted distance (p-median)"}
CANDIDATE_SOURCES = ("sites", "lsoa", "upload")
CANDIDATE_COLUMNS = ("candidate_id", "name", "easting", "northing", "lon", "lat")
MAX_CELLS = 4_000_000
"""Largest demand x candidate matrix accepted (32 MB of float64; the largest ICB is ~1.3 M)."""
DEFAULT_TIME_LIMIT = 60.0
MAX_K = 50
_MIN_STEP = 0.01  # subgradient stops once the step has halved ~8 times; the MIP closes the rest
_MIP_CANDIDATES = 60  # ... or once the bound leaves this few candidates

Progress = Callable[[float, str], None]


class SitingError(ValueError):
    """Inputs that cannot define a siting problem (bad k, no candidates, bad columns)."""


class ProblemTooLarge(SitingError):
    """The demand x candidate matrix is over the limit; says by how much and what to do."""

    def __init__(self, n_demand: int, n_candidates: int, limit: int = MAX_CELLS) -> None:
        self.n_demand, self.n_candidates, self.limit = n_demand, n_candidates, limit
        cells = n_demand * n_candidates
        super().__init__(
            f"Problem too large: {n_demand:,} target LSOAs x {n_candidates:,} candidate sites = "
            f"{cells:,} pairs, over the limit of {limit:,}. Choose a smaller area (an ICB or sub-ICB "
            "location rather than a region), fewer candidates (fewer site types or an uploaded shortlist), "
            "or a narrower target population.")


def _noop(fraction: float, message: str) -> None:
    return None


# --- result --------------------------------------------------------------------------------------

@dataclass
class SitingResult:
    """Chosen sites and what they achieve, recounted directly from the cost matrix."""

    objective: str
    k: int
    radius: float  # coverage threshold, in `unit`
    unit: str
    chosen: pd.DataFrame  # CANDIDATE_COLUMNS + rank, fixed, covered_population, unique_population,
    # assigned_population
    fixed: pd.DataFrame  # same columns, the sites already open
    assignment: pd.DataFrame  # per target LSOA: code, weight, easting, northing, site_id, cost, covered
    covered_population: float
    total_target_population: float
    objective_value: float  # mclp: population covered; pmedian: sum of weight x cost
    mean_cost: float
    status: str  # "optimal" or "feasible" (time limit reached; see gap)
    gap: float  # relative optimality gap (0 when proven optimal)
    solve_seconds: float
    problem_size: dict = field(default_factory=dict)

    @property
    def covered_share(self) -> float:
        return self.covered_population / self.total_target_population if self.total_target_population else 0.0

    @property
    def sites(self) -> pd.DataFrame:
        """Fixed then chosen sites, one frame."""
        return pd.concat([self.fixed, self.chosen], ignore_index=True)

    def to_dict(self) -> dict:
        return {
            "objective": self.objective, "k": self.k, "radius": self.radius, "unit": self.unit,
            "chosen": _records(self.chosen), "fixed": _records(self.fixed),
            "assignment": _records(self.assignment),
            "covered_population": _num(self.covered_population),
            "total_target_population": _num(self.total_target_population),
            "covered_share": self.covered_share, "objective_value": _num(self.objective_value),
            "mean_cost": _num(self.mean_cost), "status": self.status, "gap": self.gap,
            "solve_seconds": round(self.solve_seconds, 3), "problem_size": self.problem_size,
        }


def _num(x: float) -> float | int | None:
    """JSON-friendly number: integers stay integers, infinities become None."""
    x = float(x)
    if not math.isfinite(x):
        return None
    return int(x) if x.is_integer() else round(x, 6)


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for rec in frame.to_dict(orient="records"):
        clean = {}
        for key, value in rec.items():
            if isinstance(value, (np.bool_, bool)):
                clean[key] = bool(value)
            elif isinstance(value, (np.integer, int)):
                clean[key] = int(value)
            elif isinstance(value, (np.floating, float)):
                clean[key] = _num(value)
            elif value is None or (not isinstance(value, str) and pd.isna(value)):
                clean[key] = None
            else:
                clean[key] = str(value)
        out.append(clean)
    return out


# --- inputs ---------------------------------------------------------------------------------------

def candidates_frame(ids: Sequence[object], names: Sequence[object], easting: Sequence[float],
                     northing: Sequence[float], lon: Sequence[float] | None = None,
                     lat: Sequence[float] | None = None) -> pd.DataFrame:
    """A candidates table (CANDIDATE_COLUMNS); lon/lat computed from BNG when not given."""
    e = np.asarray(easting, dtype=float)
    n = np.asarray(northing, dtype=float)
    if lon is None or lat is None:
        from geo_core20 import geocode

        lon, lat = geocode.bng_to_wgs84(e, n)
    return pd.DataFrame({"candidate_id": [str(i) for i in ids], "name": [str(x) for x in names],
                         "easting": e, "northing": n, "lon": np.asarray(lon, dtype=float),
                         "lat": np.asarray(lat, dtype=float)})


def candidates_from_sites(sites: pd.DataFrame) -> pd.DataFrame:
    """Sites table rows as candidates (keeps site_type and postcode for display)."""
    out = candidates_frame(sites["site_code"], sites["site_name"], sites["easting"], sites["northing"],
                           sites["lon"], sites["lat"])
    for col in ("site_type", "postcode"):
        if col in sites.columns:
            out[col] = sites[col].to_numpy(dtype=object)
    return out


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


def _check_candidates(frame: pd.DataFrame, what: str) -> pd.DataFrame:
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


# --- exact reductions -----------------------------------------------------------------------------

def _unique_columns(matrix: np.ndarray) -> np.ndarray:
    """Positions of the first of each set of identical columns, in order."""
    if matrix.shape[1] == 0:
        return np.zeros(0, dtype=np.int64)
    # boolean coverage columns compare as packed bits; costs compare exactly
    keys = np.packbits(matrix, axis=0).T if matrix.dtype == bool else np.ascontiguousarray(matrix.T)
    _, first = np.unique(keys, axis=0, return_index=True)
    return np.sort(first)


@dataclass
class _Cover:
    """MCLP reduced to rows (merged demand) and columns (undominated candidates)."""

    a: np.ndarray  # bool (rows, cols)
    w: np.ndarray  # weight per row
    cols: np.ndarray  # original candidate position per column
    base: float  # population already covered by fixed sites
    stats: dict


def _reduce_cover(cover: np.ndarray, w: np.ndarray, fixed_cover: np.ndarray) -> _Cover:
    """Exact MCLP reductions, in this order:

    1. demand already covered by a fixed site, with zero weight, or reachable by no candidate
       contributes a constant (or nothing): drop it;
    2. candidates that then cover nothing: drop;
    3. candidates covering exactly the same demand: keep the first;
    4. a candidate whose covered set is a strict subset of another's: drop (swapping it for the
       superset never lowers coverage, so an optimum without it exists);
    5. demand rows with the same covering candidates: merge, summing weights.
    """
    base = float(w[fixed_cover & (w > 0)].sum())
    rows = (w > 0) & ~fixed_cover & cover.any(axis=1)
    a = cover[rows]
    cols = np.flatnonzero(a.any(axis=0))
    a = a[:, cols]
    keep = _unique_columns(a)
    cols, a = cols[keep], a[:, keep]
    if a.shape[1] > 1:
        sa = sparse.csc_matrix(a, dtype=np.int32)
        inter = (sa.T @ sa).tocoo()
        size = np.asarray(sa.sum(axis=0)).ravel()
        sub = (inter.data == size[inter.row]) & (inter.row != inter.col)
        dominated = np.unique(inter.row[sub])
        undominated = np.setdiff1d(np.arange(a.shape[1]), dominated)
        cols, a = cols[undominated], a[:, undominated]
    wr = w[rows]
    if a.shape[0]:
        keys = np.packbits(a, axis=1)
        _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        merged_w = np.bincount(inverse.ravel(), weights=wr, minlength=len(first))
        a = a[first]
        wr = merged_w
    stats = {"demand_rows": int(len(w)), "demand_rows_reduced": int(a.shape[0]),
             "candidates": int(cover.shape[1]), "candidates_reduced": int(a.shape[1])}
    return _Cover(a, wr, cols, base, stats)


def _greedy_cover(a: np.ndarray, w: np.ndarray, slots: int) -> list[int]:
    covered = np.zeros(a.shape[0], dtype=bool)
    chosen: list[int] = []
    for _ in range(min(slots, a.shape[1])):
        gain = (w * ~covered) @ a
        if chosen:
            gain[chosen] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        covered |= a[:, j]
    return chosen


def _cbc(time_limit: float) -> pulp.LpSolver:
    """CBC as bundled with PuLP (PuLP 3.3 warns that 4.0 moves it to an extra; still the only CBC here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=max(1.0, float(time_limit)), gapRel=1e-9,
                                 warmStart=True)


def _solved(problem: pulp.LpProblem) -> tuple[bool, bool]:
    """(has a solution, proven optimal)."""
    sol = problem.sol_status
    return sol in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible), sol == pulp.LpSolutionOptimal


def _solve_cover(red: _Cover, slots: int, time_limit: float) -> tuple[list[int], str]:
    """Columns (positions in ``red``) of an optimal MCLP choice of ``slots`` sites."""
    m = red.a.shape[1]
    if slots <= 0 or m == 0:
        return [], "optimal"
    if m <= slots:
        return list(range(m)), "optimal"
    greedy = _greedy_cover(red.a, red.w, slots)
    if red.a.shape[0] <= 1 or (red.w @ red.a.any(axis=1)) == red.w[red.a[:, greedy].any(axis=1)].sum():
        return greedy, "optimal"  # greedy already covers everything coverable
    # spopt's MCLP on the reduced problem: covered <=> cost 0 <= radius 1; uncovered cost 2
    from spopt.locate import MCLP

    cost = np.where(red.a, 0.0, 2.0)
    with warnings.catch_warnings():  # spopt builds variables with an API PuLP 3.3 deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        model = MCLP.from_cost_matrix(cost, red.w.astype(float), service_radius=1.0, p_facilities=slots)
        model.solve(_cbc(time_limit), results=False)
    have, optimal = _solved(model.problem)
    if not have:
        return greedy, "feasible"
    chosen = [j for j in range(m) if (model.fac_vars[j].value() or 0) > 0.5]
    if red.w[red.a[:, chosen].any(axis=1)].sum() < red.w[red.a[:, greedy].any(axis=1)].sum():
        return greedy, "feasible"  # a time-limited solve that is worse than greedy
    return chosen, "optimal" if optimal else "feasible"


# --- p-median ------------------------------------------------------------------------------------

def _pm_cost(wc: np.ndarray, wbase: np.ndarray, chosen: Sequence[int]) -> float:
    if len(chosen) == 0:
        return float(wbase.sum())
    return float(np.minimum(wc[:, list(chosen)].min(axis=1), wbase).sum())


def _pm_greedy(wc: np.ndarray, wbase: np.ndarray, slots: int) -> list[int]:
    cur = wbase.copy()
    chosen: list[int] = []
    for _ in range(slots):
        total = np.minimum(wc, cur[:, None]).sum(axis=0)
        if chosen:
            total[chosen] = np.inf
        j = int(np.argmin(total))
        chosen.append(j)
        cur = np.minimum(cur, wc[:, j])
    return chosen


def _pm_interchange(wc: np.ndarray, wbase: np.ndarray, chosen: Sequence[int], deadline: float) -> list[int]:
    """Best-improvement vertex substitution (Teitz-Bart), vectorised: every (in, out) pair per pass.

    Swapping candidate j in for open site r changes the cost by add_j (the gain of adding j,
    <= 0) plus the extra cost, for the demand whose nearest site was r, of its next choice.
    """
    s = list(chosen)
    n = wc.shape[0]
    if not s or len(s) >= wc.shape[1]:
        return s
    rows = np.arange(n)
    while time.monotonic() < deadline:
        sub = np.column_stack([wc[:, s], wbase])  # the base column (fixed sites) is never removed
        order = np.argsort(sub, axis=1, kind="stable")
        d1 = sub[rows, order[:, 0]]
        d2 = sub[rows, order[:, 1]]
        near = order[:, 0]  # == len(s) means the base
        m1 = np.minimum(wc, d1[:, None])
        add = (m1 - d1[:, None]).sum(axis=0)
        extra = np.minimum(wc, d2[:, None]) - m1
        onehot = np.zeros((n, len(s)))
        own = near < len(s)
        onehot[rows[own], near[own]] = 1.0
        delta = add[:, None] + extra.T @ onehot
        delta[s, :] = np.inf
        j, r = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if not delta[j, r] < -1e-9 * max(1.0, float(d1.sum())):
            break
        s[r] = int(j)
    return s


@dataclass
class _Lagrange:
    bound: float
    lam: np.ndarray
    ub: float
    best: list[int]


def _pm_lagrangian(wc: np.ndarray, wbase: np.ndarray, slots: int, ub: float, best: list[int],
                   deadline: float, progress: Progress, max_iter: int = 3000) -> _Lagrange:
    """Subgradient optimisation of the Lagrangian dual (assignment constraints relaxed).

    L(lambda) = sum(lambda) + rho_base + sum of the ``slots`` smallest rho_j, where
    rho_j = sum_i min(0, w_i c_ij - lambda_i). Every few iterations the relaxation's open set
    seeds the interchange heuristic, which improves the incumbent (upper bound).
    """
    n, m = wc.shape
    finite_base = np.isfinite(wbase)
    kth = min(slots, m - 1)
    lam = np.minimum(np.partition(wc, kth, axis=1)[:, kth], np.where(finite_base, wbase, np.inf))
    best_bound, best_lam = -np.inf, lam.copy()
    step, stall = 2.0, 0
    seen: set[tuple[int, ...]] = set()
    halved = True  # seed the heuristic at the start and whenever the step shrinks
    red = np.empty_like(wc)  # reused every iteration: the loop is memory-bound
    for it in range(max_iter):
        np.subtract(wc, lam[:, None], out=red)
        np.minimum(red, 0.0, out=red)
        rho = red.sum(axis=0)
        rho_base = np.minimum(0.0, wbase - lam)
        sel = np.argpartition(rho, slots - 1)[:slots] if slots < m else np.arange(m)
        bound = float(lam.sum() + rho_base.sum() + rho[sel].sum())
        if bound > best_bound + 1e-12 * abs(bound):
            best_bound, best_lam, stall = bound, lam.copy(), 0
        else:
            stall += 1
            if stall >= 30:
                step, stall, halved = step / 2, 0, True
        key = tuple(sorted(int(j) for j in sel))
        if halved and key not in seen:
            # the relaxation's open set is a good start once the multipliers settle
            seen.add(key)
            cand = _pm_interchange(wc, wbase, list(key), deadline)
            cost = _pm_cost(wc, wbase, cand)
            if cost < ub:
                ub, best = cost, cand
        halved = False
        if ub - best_bound <= 1e-9 * max(1.0, abs(ub)) or step < _MIN_STEP or time.monotonic() > deadline:
            break
        if it >= 200 and it % 100 == 0:
            # close enough when the bound already leaves few candidates for the exact MIP
            kept = _pm_prune(wc, wbase, slots, _Lagrange(best_bound, best_lam, ub, best))
            if len(kept) <= max(_MIP_CANDIDATES, 2 * slots):
                break
        g = 1.0 - (red[:, sel] < 0).sum(axis=1) - (rho_base < 0)
        norm = float(g @ g)
        if norm == 0:
            break  # the relaxation's solution is feasible: bound == its cost
        lam = lam + step * (ub - bound) / norm * g
        if it % 50 == 0:
            progress(min(0.6, 0.15 + 0.45 * it / max_iter), f"Bounding (iteration {it})")
    return _Lagrange(best_bound, best_lam, ub, best)


def _pm_prune(wc: np.ndarray, wbase: np.ndarray, slots: int, lag: _Lagrange) -> np.ndarray:
    """Candidates that may be in an optimal solution (Lagrangian reduced-cost test)."""
    m = wc.shape[1]
    if slots >= m:
        return np.arange(m)
    rho = np.minimum(0.0, wc - lag.lam[:, None]).sum(axis=0)
    order = np.argsort(rho, kind="stable")
    bound = float(lag.lam.sum() + np.minimum(0.0, wbase - lag.lam).sum() + rho[order[:slots]].sum())
    worst_in = rho[order[slots - 1]]
    forced = bound - worst_in + rho  # bound of solutions that open j (j outside the relaxation's set)
    tol = 1e-9 * max(1.0, abs(lag.ub))
    keep = forced <= lag.ub + tol
    keep[order[:slots]] = True
    keep[lag.best] = True
    return np.flatnonzero(keep)


def _pm_mip(wc: np.ndarray, wbase: np.ndarray, slots: int, start: list[int],
            deadline: float, progress: Progress) -> tuple[list[int], bool]:
    """Exact p-median on (usually few) candidates: sparse assignment lists grown until exact.

    Demand i may be assigned to its ``l_i`` cheapest candidates, or to an overflow option priced
    at the next candidate's cost (a lower bound), or to the fixed sites (its base cost). That is a
    relaxation; when no demand takes the overflow its solution is feasible and so optimal.
    """
    n, m = wc.shape
    order = np.argsort(wc, axis=1, kind="stable")
    useful = (wc < wbase[:, None]).sum(axis=1)  # candidates cheaper than the fixed sites
    size = np.minimum(useful, 8)
    best = list(start)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0.5:
            return best, False
        prob = pulp.LpProblem("pmedian", pulp.LpMinimize)
        y = [prob.add_variable(f"y{j}", cat=pulp.LpBinary) for j in range(m)]
        terms: list[tuple[pulp.LpVariable, float]] = []
        overflow: dict[int, pulp.LpVariable] = {}
        for i in range(n):
            js = order[i, : size[i]]
            xs = [prob.add_variable(f"x{i}_{j}", 0, 1) for j in js]
            terms += [(x, float(wc[i, j])) for x, j in zip(xs, js, strict=True)]
            parts = list(xs)
            if size[i] < useful[i]:
                u = prob.add_variable(f"u{i}", 0, 1)
                overflow[i] = u
                terms.append((u, float(wc[i, order[i, size[i]]])))
                parts.append(u)
            elif np.isfinite(wbase[i]):
                b = prob.add_variable(f"b{i}", 0, 1)
                terms.append((b, float(wbase[i])))
                parts.append(b)
            prob += pulp.lpSum(parts) == 1
            for x, j in zip(xs, js, strict=True):
                prob += x - y[j] <= 0
        prob += pulp.LpAffineExpression(terms)
        prob += pulp.lpSum(y) == slots
        sset = set(best)
        for j, v in enumerate(y):
            v.setInitialValue(1 if j in sset else 0)
        prob.solve(_cbc(remaining))
        have, optimal = _solved(prob)
        if not have:
            return best, False
        chosen = [j for j in range(m) if (y[j].value() or 0) > 0.5]
        if _pm_cost(wc, wbase, chosen) <= _pm_cost(wc, wbase, best):
            best = chosen
        spill = [i for i, u in overflow.items() if (u.value() or 0) > 1e-6]
        if not spill:
            return best, optimal
        progress(0.8, f"Refining ({len(spill)} LSOAs need more candidate sites)")
        for i in spill:
            size[i] = min(useful[i], max(size[i] * 4, 16))


def _solve_pmedian(cost: np.ndarray, base: np.ndarray, w: np.ndarray, slots: int, time_limit: float,
                   progress: Progress, prove: bool = True) -> tuple[list[int], str, float, dict]:
    """Optimal ``slots`` columns of ``cost`` (n x m) for the weighted p-median with fixed sites.

    ``base`` is each demand's cost to its nearest fixed site (inf when none). ``prove=False``
    skips the Lagrangian shortcut so tests can exercise the MIP on every instance.
    """
    deadline = time.monotonic() + time_limit
    m = cost.shape[1]
    stats = {"candidates": int(m)}
    if slots <= 0 or m == 0:
        return [], "optimal", 0.0, stats
    keep_cols = _unique_columns(cost)  # coincident candidates: identical columns
    c = cost[:, keep_cols]
    stats["candidates_distinct"] = int(c.shape[1])
    if c.shape[1] <= slots:
        return [int(j) for j in keep_cols], "optimal", 0.0, stats
    wc = w[:, None] * c
    wbase = w * base
    progress(0.1, "Finding a good starting solution")
    start = _pm_interchange(wc, wbase, _pm_greedy(wc, wbase, slots), deadline)
    ub = _pm_cost(wc, wbase, start)
    lag = _pm_lagrangian(wc, wbase, slots, ub, start, deadline, progress)
    gap = max(0.0, (lag.ub - lag.bound) / lag.ub) if lag.ub > 0 else 0.0
    stats["lagrangian_gap"] = gap
    if prove and gap <= 1e-9:
        stats["candidates_reduced"] = 0
        return [int(keep_cols[j]) for j in lag.best], "optimal", 0.0, stats
    kept = _pm_prune(wc, wbase, slots, lag)
    stats["candidates_reduced"] = int(len(kept))
    progress(0.65, f"Solving exactly over {len(kept)} candidate sites")
    pos = {int(j): k for k, j in enumerate(kept)}
    best, proven = _pm_mip(wc[:, kept], wbase, slots, [pos[j] for j in lag.best], deadline, progress)
    chosen = [int(kept[j]) for j in best]
    if _pm_cost(wc, wbase, lag.best) < _pm_cost(wc, wbase, chosen):
        chosen, proven = list(lag.best), False
    value = _pm_cost(wc, wbase, chosen)
    gap = 0.0 if proven else max(0.0, (value - lag.bound) / value) if value > 0 else 0.0
    return [int(keep_cols[j]) for j in chosen], "optimal" if proven else "feasible", gap, stats


# --- the solver API -------------------------------------------------------------------------------

@dataclass
class _Prepared:
    demand: pd.DataFrame  # active demand (weight > 0)
    candidates: pd.DataFrame
    fixed: pd.DataFrame
    cost: np.ndarray  # demand x candidates
    fixed_cost: np.ndarray  # demand x fixed
    radius: float
    unit: str
    seconds: float


def _prepare(demand: pd.DataFrame, candidates: pd.DataFrame, fixed: pd.DataFrame | None, radius: float,
             cost_model: access.CostModel | None, max_cells: int, progress: Progress) -> _Prepared:
    t0 = time.perf_counter()
    model = cost_model or access.StraightLineCost()
    if "weight" not in demand.columns:
        raise SitingError("demand needs a 'weight' column (target population per LSOA)")
    w = pd.to_numeric(demand["weight"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    if (w < 0).any():
        raise SitingError("demand weights must not be negative")
    active = demand.loc[w > 0].reset_index(drop=True).copy()
    active["weight"] = w[w > 0]
    cands = _check_candidates(candidates, "candidates")
    fx = _check_candidates(fixed, "fixed sites") if fixed is not None and len(fixed) else \
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
    return _Prepared(active, cands, fx, cost, fixed_cost, float(radius), model.unit,
                     time.perf_counter() - t0)


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
    w = prep.demand["weight"].to_numpy()
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
              cover: _Cover | None = None) -> tuple[list[int], str, float, dict]:
    if objective == "mclp":
        if cover is None:
            fixed_cover = (prep.fixed_cost <= prep.radius).any(axis=1) if prep.fixed_cost.shape[1] else \
                np.zeros(len(prep.demand), dtype=bool)
            cover = _reduce_cover(prep.cost <= prep.radius, prep.demand["weight"].to_numpy(), fixed_cover)
        progress(0.3, f"Solving MCLP ({cover.a.shape[0]} demand groups x {cover.a.shape[1]} candidates)")
        cols, status = _solve_cover(cover, k, time_limit)
        return [int(cover.cols[j]) for j in cols], status, 0.0, dict(cover.stats)
    if objective == "pmedian":
        cost, fixed_cost = _finite_costs(prep.cost, prep.fixed_cost)
        base = fixed_cost.min(axis=1) if fixed_cost.shape[1] else np.full(len(prep.demand), np.inf)
        return _solve_pmedian(cost, base, prep.demand["weight"].to_numpy(), k, time_limit, progress)
    raise SitingError(f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}")


def _result(prep: _Prepared, chosen: list[int], k: int, objective: str, status: str, gap: float,
            seconds: float, stats: dict) -> SitingResult:
    """Recount everything from the cost matrix: nothing is taken from the solver's objective."""
    w = prep.demand["weight"].to_numpy()
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
        mean_cost=weighted / total if total else 0.0, status=status, gap=gap, solve_seconds=seconds,
        problem_size=stats)


def solve(demand: pd.DataFrame, candidates: pd.DataFrame, k: int, objective: str = "mclp",
          radius: float = 3_000.0, fixed: pd.DataFrame | None = None,
          cost_model: access.CostModel | None = None, time_limit: float = DEFAULT_TIME_LIMIT,
          progress: Progress | None = None, max_cells: int = MAX_CELLS) -> SitingResult:
    """Choose ``k`` candidates (besides ``fixed``) for ``objective``; see the module docstring.

    ``demand``: code, easting, northing, weight (target population). ``candidates`` and
    ``fixed``: CANDIDATE_COLUMNS. ``radius`` is in the cost model's unit (metres by default).
    Raises ProblemTooLarge when demand x (candidates + fixed) exceeds ``max_cells``.
    """
    progress = progress or _noop
    t0 = time.perf_counter()
    prep = _prepare(demand, candidates, fixed, radius, cost_model, max_cells, progress)
    k = _check_k(k, len(prep.candidates))
    chosen, status, gap, stats = _optimise(prep, k, objective, time_limit, progress)
    chosen = _pad(chosen, prep, k)
    result = _result(prep, chosen, k, objective, status, gap, time.perf_counter() - t0, stats)
    progress(1.0, "Done")
    return result


def coverage_curve(demand: pd.DataFrame, candidates: pd.DataFrame, max_k: int, objective: str = "mclp",
                   radius: float = 3_000.0, fixed: pd.DataFrame | None = None,
                   cost_model: access.CostModel | None = None, time_limit: float = DEFAULT_TIME_LIMIT,
                   progress: Progress | None = None, max_cells: int = MAX_CELLS) -> pd.DataFrame:
    """Optimal solutions for k = 0..max_k: population covered, the gain of each extra site, mean cost.

    Each k is solved on its own (optimal sets need not be nested), so the gain column is what the
    k-th unit adds when every k is chosen optimally. ``time_limit`` applies per k.
    """
    progress = progress or _noop
    prep = _prepare(demand, candidates, fixed, radius, cost_model, max_cells, progress)
    max_k = _check_k(min(max_k, len(prep.candidates)), len(prep.candidates))
    cover = None
    if objective == "mclp":
        fixed_cover = (prep.fixed_cost <= prep.radius).any(axis=1) if prep.fixed_cost.shape[1] else \
            np.zeros(len(prep.demand), dtype=bool)
        cover = _reduce_cover(prep.cost <= prep.radius, prep.demand["weight"].to_numpy(), fixed_cover)
    rows = []
    for k in range(max_k + 1):
        progress(k / (max_k + 1), f"Solving for {k} site(s)")
        t0 = time.perf_counter()
        chosen, status, gap, stats = _optimise(prep, k, objective, time_limit, _noop, cover)
        chosen = _pad(chosen, prep, k)
        res = _result(prep, chosen, k, objective, status, gap, time.perf_counter() - t0, stats)
        rows.append({"k": k, "covered_population": res.covered_population,
                     "covered_share": res.covered_share, "mean_cost": res.mean_cost,
                     "objective_value": res.objective_value, "status": res.status,
                     "sites": ",".join(res.chosen["candidate_id"]), "seconds": res.solve_seconds})
    progress(1.0, "Done")
    out = pd.DataFrame(rows)
    out["added_population"] = out["covered_population"].diff().fillna(out["covered_population"])
    return out


# --- plan: one implementation for the app and the command line -----------------------------------

@dataclass
class PlanResult:
    """A plan: the request, the chosen sites and the coverage figures (JSON-serialisable)."""

    request: dict
    area_name: str
    target_label: str
    siting: SitingResult
    existing: access.Coverage  # existing sites of the chosen types (anywhere) reaching the target
    existing_sites_in_area: int
    combined: access.Coverage  # existing sites plus the chosen ones
    curve: pd.DataFrame | None
    created_at: str
    attribution: list[str]

    def summary(self) -> dict:
        """What the command line prints: chosen sites, covered and total target population."""
        s = self.siting
        return {
            **self.request, "area_name": self.area_name, "target_label": self.target_label,
            "chosen_sites": [{"code": r["candidate_id"], "name": r["name"], "lon": _num(r["lon"]),
                              "lat": _num(r["lat"]),
                              "covered_population": _num(r["covered_population"])}
                             for r in s.chosen.to_dict(orient="records")],
            "fixed_sites": [{"code": r["candidate_id"], "name": r["name"], "lon": _num(r["lon"]),
                             "lat": _num(r["lat"])} for r in s.fixed.to_dict(orient="records")],
            "target_population_covered": _num(s.covered_population),
            "total_target_population": _num(s.total_target_population),
            "covered_share": round(s.covered_share, 6),
            "mean_distance_km": _num(s.mean_cost / 1000) if s.unit == "m" else None,
            "existing_sites_covered_population": _num(self.existing.covered_population),
            "existing_sites_covered_share": round(self.existing.covered_share, 6),
            "existing_plus_chosen_covered_population": _num(self.combined.covered_population),
            "status": s.status, "gap": s.gap, "solve_seconds": round(s.solve_seconds, 3),
        }

    def to_dict(self) -> dict:
        return {
            "request": self.request, "area_name": self.area_name, "target_label": self.target_label,
            "siting": self.siting.to_dict(), "existing": self.existing.to_dict(),
            "existing_sites_in_area": self.existing_sites_in_area, "combined": self.combined.to_dict(),
            "curve": None if self.curve is None else _records(self.curve),
            "created_at": self.created_at, "attribution": self.attribution,
            "summary": self.summary(),
        }

    def to_json(self, **kwargs: object) -> str:
        return json.dumps(self.to_dict(), **kwargs)


def sites_in_area(sites: pd.DataFrame, area: pd.DataFrame) -> pd.DataFrame:
    """Sites located in the area's LSOAs (or within the geocoder's snap distance of the coast)."""
    from geo_core20 import geocode

    if sites.empty or area.empty:
        return sites.iloc[:0]
    minx, miny, maxx, maxy = area.total_bounds
    pad = 0.02  # degrees: only test points near the area
    near = sites[(sites["lon"] >= minx - pad) & (sites["lon"] <= maxx + pad)
                 & (sites["lat"] >= miny - pad) & (sites["lat"] <= maxy + pad)]
    if near.empty:
        return near
    placed = geocode.assign_lsoa(near["lon"].to_numpy(), near["lat"].to_numpy(), area)
    return near[placed["lsoa_code"].notna().to_numpy()]


def resolve_target(area: pd.DataFrame, target: object) -> tuple[pd.Series, str]:
    """Target weights over the area's LSOAs and a label, from "core20", "all", a plus.TargetSpec,
    a mask/weights or a callable."""
    from geo_core20 import plus

    if isinstance(target, plus.TargetSpec):
        result = plus.evaluate(target.validate(), area)
        return access.target_weights(area, result.mask), target.describe()
    if isinstance(target, str):
        label = {"core20": "Core20 LSOAs (national IMD deciles 1-2)", "all": "All residents"}.get(target)
        if label is None:
            raise SitingError(f"unknown target {target!r}: use core20, all or a PLUS target")
        return access.target_weights(area, target), label
    return access.target_weights(area, target), "Custom target"


def _dataset_ids(vintage: str, site_types: Sequence[str]) -> list[str]:
    ids = ["iod2025", "lsoa21_pwc", "lsoa21_boundaries", "census21_population"] if vintage == "2025" else \
        ["imd2019", "imd2019_population", "lsoa11_pwc", "lsoa11_boundaries"]
    by_type = {"gp": "gp_practices", "pharmacy": "pharmacies", "cdc": "cdc_sites", "hospital": "hospitals"}
    return ids + [by_type[t] for t in site_types if t in by_type]


def plan(vintage: str = "2025", level: str = "icb", area_code: str | None = None, target: object = "core20",
         site_types: Sequence[str] = ("gp", "pharmacy"), radius_km: float = 3.0, k: int = 5,
         objective: str = "mclp", candidates: str | pd.DataFrame = "sites",
         fixed_site_codes: Sequence[str] = (), curve_max_k: int | None = None,
         time_limit: float = DEFAULT_TIME_LIMIT, progress: Progress | None = None,
         cost_model: access.CostModel | None = None, threshold: float | None = None,
         atlas_frame: pd.DataFrame | None = None, sites_frame: pd.DataFrame | None = None,
         max_cells: int = MAX_CELLS, target_label: str | None = None) -> PlanResult:
    """Choose ``k`` outreach sites for an area's target population (see README/CLI help).

    ``candidates``: "sites" (existing sites of ``site_types`` located in the area), "lsoa" (the
    area's LSOA population-weighted centroids) or a candidates frame (e.g. uploaded venues).
    ``fixed_site_codes``: site codes (or candidate ids) already open; ``k`` sites are added to them.
    ``atlas_frame``/``sites_frame`` override the loaded atlas/sites (tests, the app's cache).
    """
    from geo_core20 import areas, atlas

    progress = progress or _noop
    if objective not in OBJECTIVES:
        raise SitingError(f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}")
    unknown = [t for t in site_types if t not in schema.SITE_TYPES]
    if unknown:
        raise SitingError(f"unknown site type(s) {', '.join(unknown)}; "
                          f"expected {', '.join(schema.SITE_TYPES)}")
    if not (isinstance(k, (int, np.integer)) and 0 <= k <= MAX_K):
        raise SitingError(f"k must be a whole number from 0 to {MAX_K}, not {k!r}")
    model = cost_model or access.StraightLineCost()
    radius = float(threshold) if threshold is not None else access.km_to_cost(model, radius_km)
    progress(0.0, "Loading the atlas")
    full = atlas_frame if atlas_frame is not None else atlas.load_atlas(vintage)
    area = areas.select(full, level, area_code)
    name = "England" if level == "england" else areas.area_name(full, level, area_code)
    all_sites = sites_frame if sites_frame is not None else atlas.load_sites()
    typed = all_sites[all_sites["site_type"].isin(list(site_types))]
    weights, label = resolve_target(area, target)
    label = target_label or label
    in_area = typed if level == "england" else sites_in_area(typed, area)  # the sites table is England only
    if isinstance(candidates, str):
        if candidates == "sites":
            if not site_types:
                raise SitingError("choose at least one site type for candidate sites")
            cands = candidates_from_sites(in_area)
        elif candidates == "lsoa":
            cands = candidates_from_lsoas(area)
        else:
            raise SitingError(f"unknown candidate source {candidates!r}; use sites, lsoa or a table")
        source = candidates
    else:
        cands = _check_candidates(candidates, "candidates")
        source = "upload"
    if cands.empty:
        raise SitingError(f"no candidate sites in {name}")
    fixed = None
    if fixed_site_codes:
        wanted = [str(c) for c in fixed_site_codes]
        from_sites = candidates_from_sites(all_sites[all_sites["site_code"].isin(wanted)])
        from_cands = cands[cands["candidate_id"].isin(wanted)]
        extra = from_sites[~from_sites["candidate_id"].isin(from_cands["candidate_id"])]
        fixed = pd.concat([from_cands, extra], ignore_index=True)
        missing = sorted(set(wanted) - set(fixed["candidate_id"]))
        if missing:
            raise SitingError(f"fixed site(s) not found: {', '.join(missing[:10])}")
    demand = demand_frame(area, weights)
    result = solve(demand, cands, k, objective, radius, fixed, model, time_limit,
                   lambda f, m: progress(0.05 + 0.75 * f if curve_max_k else 0.05 + 0.9 * f, m), max_cells)
    curve = None
    if curve_max_k:
        curve = coverage_curve(demand, cands, curve_max_k, objective, radius, fixed, model, time_limit,
                               lambda f, m: progress(0.8 + 0.18 * f, f"Coverage curve: {m}"), max_cells)
    progress(0.98, "Comparing with existing sites")
    near = access.nearest_site(area, typed, model) if len(typed) else None
    existing = access.coverage(near["cost"] if near is not None else np.full(len(area), np.inf), weights,
                               radius, model.unit)
    # existing sites plus the new ones: the nearer of the two for each LSOA
    new_cost = pd.Series(result.assignment["cost"].to_numpy(), index=result.assignment["code"].to_numpy())
    new_for_area = area[schema.LSOA_CODE].map(new_cost).fillna(np.inf).to_numpy(dtype=float)
    old_for_area = near["cost"].to_numpy() if near is not None else np.full(len(area), np.inf)
    combined = access.coverage(np.minimum(new_for_area, old_for_area), weights, radius, model.unit)
    request = {"vintage": vintage, "level": level, "area_code": area_code, "target": _target_key(target),
               "site_types": list(site_types), "radius_km": radius / 1000 if model.unit == "m" else None,
               "radius": radius, "unit": model.unit, "k": int(k), "objective": objective,
               "candidates": source, "fixed_site_codes": [str(c) for c in fixed_site_codes]}
    progress(1.0, "Done")
    return PlanResult(request, name, label, result, existing, int(len(in_area)), combined, curve,
                      datetime.now(UTC).isoformat(timespec="seconds"),
                      _attribution(vintage, site_types))


def _attribution(vintage: str, site_types: Sequence[str]) -> list[str]:
    from geo_core20 import sources

    ids = [i for i in _dataset_ids(vintage, site_types) if i in sources.BY_ID]
    return sources.attribution_lines(ids)


def _target_key(target: object) -> str:
    """A short reproducible description of the target for the saved request."""
    from geo_core20 import plus

    if isinstance(target, str):
        return target
    if isinstance(target, plus.TargetSpec):
        params = target.to_query_params()
        return "&".join(f"{k}={v}" for k, v in params.items())
    return "custom"


def target_from_text(target: str, conditions: str | None = None, combine: str = "and") -> object:
    """The --target/--target-conditions pair as a target: "core20"/"all" or a plus.TargetSpec."""
    if not conditions:
        return target
    from geo_core20 import plus

    tokens = tuple(plus.parse_condition(t) for t in conditions.split(",") if t.strip())
    return plus.TargetSpec(target, combine, tokens).validate()


# --- command line --------------------------------------------------------------------------------

def add_plan_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``python -m geo_core20 plan``."""
    parser.add_argument("--vintage", choices=schema.VINTAGES, default="2025")
    parser.add_argument("--level", choices=schema.LEVELS, default="icb")
    parser.add_argument("--area", dest="area_code", help="area code, e.g. E54000008 (not needed for england)")
    parser.add_argument("--target", choices=("core20", "all"), default="core20",
                        help="target population base (default core20)")
    parser.add_argument("--target-conditions", metavar="TOKENS",
                        help="PLUS conditions as in the app's share link, comma-separated (e.g. coastal)")
    parser.add_argument("--combine", choices=("and", "or"), default="and",
                        help="how --target-conditions combine with the base")
    parser.add_argument("--sites", default="gp,pharmacy",
                        help=f"site types, comma-separated, from {','.join(schema.SITE_TYPES)}")
    parser.add_argument("--radius-km", type=float, default=3.0, help="coverage radius in km (default 3)")
    parser.add_argument("--k", type=int, default=5, help="number of sites to choose (default 5)")
    parser.add_argument("--objective", choices=OBJECTIVES, default="mclp")
    parser.add_argument("--candidates", choices=("sites", "lsoa"), default="sites",
                        help="candidate locations: existing sites of --sites types in the area, "
                        "or LSOA centroids")
    parser.add_argument("--fixed", default="", help="site codes already open, comma-separated")
    parser.add_argument("--curve", type=int, default=0, metavar="K",
                        help="also compute the coverage curve for k = 0..K")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT,
                        help="solver seconds per solve")
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--details", action="store_true",
                        help="json: include per-LSOA assignment and per-site figures")
    parser.add_argument("--output", help="write to this file instead of standard output")


def plan_csv(result: PlanResult) -> str:
    """One row per chosen site with the plan's figures repeated (easy to stack many plans)."""
    from geo_core20.safety import csv_safe_frame

    s = result.siting
    rows = s.sites.copy()
    frame = pd.DataFrame({
        "area_code": result.request["area_code"], "area_name": result.area_name,
        "target": result.request["target"], "objective": s.objective,
        "radius_km": result.request["radius_km"],
        "k": s.k, "rank": rows["rank"], "fixed": rows["fixed"], "code": rows["candidate_id"],
        "name": rows["name"], "lon": rows["lon"].round(6), "lat": rows["lat"].round(6),
        "site_covered_population": rows["covered_population"],
        "target_population_covered": s.covered_population,
        "total_target_population": s.total_target_population,
        "covered_share": round(s.covered_share, 6), "status": s.status,
    })
    return csv_safe_frame(frame).to_csv(index=False, lineterminator="\n")


def run_plan_command(args: argparse.Namespace) -> int:
    """Run ``plan`` from parsed arguments; print JSON or CSV. Exit code 0, or 2 on bad input."""
    site_types = tuple(t.strip() for t in (args.sites or "").split(",") if t.strip())
    fixed = tuple(c.strip() for c in (args.fixed or "").split(",") if c.strip())

    def report(fraction: float, message: str) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{fraction:4.0%} {message[:70]:70s}")

    try:
        target = target_from_text(args.target, args.target_conditions, args.combine)
        result = plan(args.vintage, args.level, args.area_code, target, site_types, args.radius_km, args.k,
                      args.objective, args.candidates, fixed, args.curve or None, args.time_limit, report)
    except (SitingError, ValueError, FileNotFoundError) as exc:
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    if args.format == "json":
        data = result.to_dict() if args.details else result.summary()
        if not args.details and result.curve is not None:
            data["curve"] = _records(result.curve[["k", "covered_population", "added_population",
                                                   "covered_share", "mean_cost"]])
        text = json.dumps(data, indent=1) + "\n"
    else:
        text = plan_csv(result)
    if args.output:
        from pathlib import Path

        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
