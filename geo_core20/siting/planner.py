"""`plan`: the one entry point shared by the app and ``python -m geo_core20 plan``, and its records.

A plan is asked for by a `PlanRequest` and answered by a `PlanResult`; both are frozen
dataclasses with ``to_dict``/``from_dict``. ``PlanResult.to_dict()`` is what the plan store saves;
``from_dict`` also reads the untyped records saved before schema versions existed (version 1).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from geo_core20 import access, areas, atlas, clinical, geocode, schema, sources, tables
from geo_core20.errors import SitingError
from geo_core20.siting.common import (
    DEFAULT_TIME_LIMIT,
    MAX_CELLS,
    MAX_K,
    Progress,
    check_objective,
    json_number,
    json_records,
    noop,
)
from geo_core20.siting.equity import Equity, equity, with_reach
from geo_core20.siting.solver import (
    SitingResult,
    candidates_from_lsoas,
    candidates_from_sites,
    check_candidates,
    coverage_curve,
    demand_frame,
    site_where,
    solve,
)
from geo_core20.siting.target import CUSTOM, FocusPopulation, Target, as_target, resolve_target

PLAN_SCHEMA_VERSION = 4
"""Version of the plan record. 1: the untyped dict saved before (no ``schema_version`` key);
2: typed records; 3: the request keeps the user's own demand (values and where they came from);
4: the request's ``target`` is structured fields (`Target.to_dict`: base, focus, combine,
conditions), not the share-link text ("core20&focus=cancer") that versions 1-3 stored (still read)."""


# --- records -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanRequest:
    """What a plan was asked for (enough to run it again, except uploaded candidates)."""

    vintage: str = schema.DEFAULT_VINTAGE
    level: str = "icb"
    area_code: str | None = None
    target: Target = field(default_factory=Target)
    site_types: tuple[str, ...] = ("gp", "pharmacy")
    radius_km: float | None = 3.0  # None when the cost is not a distance (e.g. minutes)
    radius: float = 3_000.0  # in `unit`
    unit: str = "m"
    k: int = 5
    objective: str = "mclp"
    candidates: str = "sites"  # "sites", "lsoa" or "upload"
    fixed_site_codes: tuple[str, ...] = ()
    curve_max_k: int | None = None
    schema_version: int = PLAN_SCHEMA_VERSION
    demand_source: str | None = None  # the user's own demand: "<file>, column <column>"
    demand: tuple[tuple[str, float], ...] = ()  # (LSOA code, demand) used instead of the target population

    def __post_init__(self) -> None:
        object.__setattr__(self, "site_types", tuple(str(t) for t in self.site_types))
        object.__setattr__(self, "fixed_site_codes", tuple(str(c) for c in self.fixed_site_codes))
        object.__setattr__(self, "demand", tuple((str(c), float(v)) for c, v in self.demand))

    @property
    def reproducible(self) -> bool:
        """Whether ``python -m geo_core20 plan`` can run this request again from its options alone."""
        return (self.candidates in ("sites", "lsoa") and self.unit == "m" and self.target.base != CUSTOM
                and not self.demand)

    def demand_series(self) -> pd.Series | None:
        """The stored demand per LSOA code (None when the plan used its target population)."""
        if not self.demand:
            return None
        codes, values = zip(*self.demand, strict=True)
        return pd.Series(values, index=pd.Index(codes, name=schema.LSOA_CODE), dtype=float)

    def to_dict(self) -> dict:
        return {"schema_version": self.schema_version, "vintage": self.vintage, "level": self.level,
                "area_code": self.area_code, "target": self.target.to_dict(), "focus": self.target.focus,
                "site_types": list(self.site_types), "radius_km": self.radius_km, "radius": self.radius,
                "unit": self.unit, "k": self.k, "objective": self.objective, "candidates": self.candidates,
                "fixed_site_codes": list(self.fixed_site_codes), "curve_max_k": self.curve_max_k,
                "demand_source": self.demand_source, "demand": [[c, v] for c, v in self.demand]}

    @classmethod
    def from_dict(cls, data: dict) -> PlanRequest:
        """A request from its dict, including version-1 records (no focus, no curve_max_k)."""
        radius_km = data.get("radius_km")
        unit = str(data.get("unit") or "m")
        radius = data.get("radius")
        if radius is None:
            radius = float(radius_km) * 1000 if radius_km is not None and unit == "m" else 0.0
        return cls(vintage=str(data.get("vintage", schema.DEFAULT_VINTAGE)),
                   level=str(data.get("level", "icb")),
                   area_code=data.get("area_code"), target=_read_target(data),
                   site_types=tuple(data.get("site_types") or ()),
                   radius_km=None if radius_km is None else float(radius_km), radius=float(radius), unit=unit,
                   k=int(data.get("k") or 0), objective=str(data.get("objective", "mclp")),
                   candidates=str(data.get("candidates", "sites")),
                   fixed_site_codes=tuple(data.get("fixed_site_codes") or ()),
                   curve_max_k=None if data.get("curve_max_k") is None else int(data["curve_max_k"]),
                   schema_version=PLAN_SCHEMA_VERSION, demand_source=data.get("demand_source"),
                   demand=tuple((str(c), float(v)) for c, v in (data.get("demand") or ())))


def _read_target(data: dict) -> Target:
    """The saved target; a target that no longer validates (a removed indicator) reads as custom."""
    saved = data.get("target") or "core20"
    try:
        target = Target.from_dict(saved) if isinstance(saved, dict) else Target.from_key(str(saved))
    except (ValueError, TypeError):  # SitingError or plus.TargetError; a condition with unknown fields
        return Target(base=CUSTOM)
    focus = data.get("focus")
    if focus and not target.focus:
        target = replace(target, focus=focus)
    return target


@dataclass(frozen=True)
class PlanResult:
    """A plan: the request, the chosen sites, the coverage figures and equity (JSON-serialisable)."""

    request: PlanRequest
    area_name: str
    target_label: str
    siting: SitingResult
    existing: access.Coverage  # existing sites of the chosen types (anywhere) reaching the target
    existing_sites_in_area: int
    combined: access.Coverage  # existing sites plus the chosen ones
    curve: pd.DataFrame | None
    created_at: str
    attribution: list[str]
    equity: Equity | None = None
    schema_version: int = PLAN_SCHEMA_VERSION

    def __post_init__(self) -> None:
        if isinstance(self.request, dict):  # the version-1 way of building one (a dict request)
            object.__setattr__(self, "request", PlanRequest.from_dict(self.request))
        object.__setattr__(self, "attribution", list(self.attribution))

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.siting.warnings

    @property
    def solve_seconds(self) -> float:
        """The optimiser's time (the coverage curve's solves not included)."""
        return self.siting.solve_seconds

    @property
    def total_seconds(self) -> float | None:
        """The whole plan: atlas, target, candidates, costs, solve, curve, comparison."""
        return self.siting.total_seconds

    def summary(self) -> dict:
        """What the command line prints: chosen sites, covered and total target population, equity."""
        s = self.siting
        request = self.request.to_dict()
        request.pop("demand")  # the values live in the saved record, not the printed summary
        out = {
            **request, "area_name": self.area_name, "target_label": self.target_label,
            "chosen_sites": [{"code": r["candidate_id"], "name": r["name"], "where": site_where(r),
                              "lon": json_number(r["lon"]),
                              "lat": json_number(r["lat"]),
                              "covered_population": json_number(r["covered_population"])}
                             for r in s.chosen.to_dict(orient="records")],
            "fixed_sites": [{"code": r["candidate_id"], "name": r["name"], "where": site_where(r),
                             "lon": json_number(r["lon"]),
                             "lat": json_number(r["lat"])} for r in s.fixed.to_dict(orient="records")],
            "target_population_covered": json_number(s.covered_population),
            "total_target_population": json_number(s.total_target_population),
            "covered_share": round(s.covered_share, 6),
            "mean_distance_km": json_number(s.mean_cost / 1000) if s.unit == "m" else None,
            "mean_cost": json_number(s.mean_cost), "weighted_cost": json_number(s.weighted_cost),
            "p90_cost": json_number(s.p90_cost), "max_cost": json_number(s.max_cost),
            "unreachable_share": round(s.unreachable_share, 6), "cost_unit": s.unit,
            "existing_sites_covered_population": json_number(self.existing.covered_population),
            "existing_sites_covered_share": round(self.existing.covered_share, 6),
            "existing_plus_chosen_covered_population": json_number(self.combined.covered_population),
            "status": s.status, "gap": s.gap, "solve_seconds": round(s.solve_seconds, 3),
            "total_seconds": None if s.total_seconds is None else round(s.total_seconds, 3),
            "warnings": list(s.warnings),
        }
        if self.equity is not None:
            out["equity"] = self.equity.to_dict()
        return out

    def to_dict(self) -> dict:
        return {
            "schema_version": self.schema_version, "request": self.request.to_dict(),
            "area_name": self.area_name, "target_label": self.target_label,
            "siting": self.siting.to_dict(), "existing": self.existing.to_dict(),
            "existing_sites_in_area": self.existing_sites_in_area, "combined": self.combined.to_dict(),
            "curve": None if self.curve is None else json_records(self.curve),
            "created_at": self.created_at, "attribution": list(self.attribution),
            "equity": None if self.equity is None else self.equity.to_dict(),
            "warnings": list(self.siting.warnings), "summary": self.summary(),
        }

    def to_json(self, **kwargs: object) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict) -> PlanResult:
        """A plan from its record: this version's or an older one (see PLAN_SCHEMA_VERSION)."""
        version = int(data.get("schema_version") or 1)
        if version > PLAN_SCHEMA_VERSION:
            raise SitingError(f"this plan was saved by a newer version (plan schema {version}; this app "
                              "reads "
                              f"up to {PLAN_SCHEMA_VERSION})")
        curve = data.get("curve")
        eq = data.get("equity")
        return cls(request=PlanRequest.from_dict(data.get("request") or {}),
                   area_name=str(data.get("area_name", "")), target_label=str(data.get("target_label", "")),
                   siting=SitingResult.from_dict(data.get("siting") or {}),
                   existing=access.Coverage.from_dict(data.get("existing") or {}),
                   existing_sites_in_area=int(data.get("existing_sites_in_area") or 0),
                   combined=access.Coverage.from_dict(data.get("combined") or {}),
                   curve=None if curve is None else pd.DataFrame(curve),
                   created_at=str(data.get("created_at", "")),
                   attribution=list(data.get("attribution") or ()),
                   equity=Equity.from_dict(eq) if eq else None)


# --- plan ----------------------------------------------------------------------------------------

def sites_in_area(sites: pd.DataFrame, area: pd.DataFrame) -> pd.DataFrame:
    """Sites located in the area's LSOAs (or within the geocoder's snap distance of the coast)."""
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


def dataset_ids(vintage: str, site_types: Sequence[str], focus: str | None = None) -> list[str]:
    """Source manifest ids behind a plan (for its attribution)."""
    ids = ["iod2025", "lsoa21_pwc", "lsoa21_boundaries", "census21_population"] if vintage == "2025" else \
        ["imd2019", "imd2019_population", "lsoa11_pwc", "lsoa11_boundaries"]
    by_type = {"gp": "gp_practices", "pharmacy": "pharmacies", "cdc": "cdc_sites", "hospital": "hospitals"}
    ids += [by_type[t] for t in site_types if t in by_type]
    if focus:
        ids += [i for i in clinical.FOCI[focus].sources if i not in ids]
    return ids


def attribution(vintage: str, site_types: Sequence[str], focus: str | None = None) -> list[str]:
    ids = [i for i in dataset_ids(vintage, site_types, focus) if i in sources.BY_ID]
    return sources.attribution_lines(ids)


def _check_request(objective: str, site_types: Sequence[str], k: int) -> None:
    check_objective(objective)
    unknown = [t for t in site_types if t not in schema.SITE_TYPES]
    if unknown:
        raise SitingError(f"unknown site type(s) {', '.join(unknown)}; "
                          f"expected {', '.join(schema.SITE_TYPES)}")
    if not (isinstance(k, (int, np.integer)) and not isinstance(k, bool) and 0 <= k <= MAX_K):
        raise SitingError(f"k must be a whole number from 0 to {MAX_K}, not {k!r}")


def plan(vintage: str = schema.DEFAULT_VINTAGE, level: str = "icb", area_code: str | None = None,
         target: Target | str | object = "core20", site_types: Sequence[str] = ("gp", "pharmacy"),
         radius_km: float = 3.0, k: int = 5, objective: str = "mclp",
         candidates: str | pd.DataFrame = "sites",
         fixed_site_codes: Sequence[str] = (), curve_max_k: int | None = None,
         time_limit: float = DEFAULT_TIME_LIMIT, progress: Progress | None = None,
         cost_model: access.CostModel | None = None, threshold: float | None = None,
         atlas_frame: pd.DataFrame | None = None, sites_frame: pd.DataFrame | None = None,
         max_cells: int = MAX_CELLS, target_label: str | None = None,
         focus_population: FocusPopulation | None = None, demand: pd.Series | None = None,
         demand_source: str | None = None, candidate_source: str | None = None) -> PlanResult:
    """Choose ``k`` outreach sites for an area's target population (see README/CLI help).

    ``target``: a `Target` (base, PLUS rule, clinical focus), its key ("core20", "all", ...), a
    ``plus.TargetSpec``, or (API only) a mask/weights/callable as `access.target_weights` takes.
    ``candidates``: "sites" (existing sites of ``site_types`` located in the area), "lsoa" (the
    area's LSOA population-weighted centroids) or a candidates frame (e.g. uploaded venues).
    ``fixed_site_codes``: site codes (or candidate ids) already open; ``k`` sites are added to them.
    ``cost_model``/``threshold``: e.g. an `access.ODMatrixCost` of minutes and a threshold in minutes.
    ``atlas_frame``/``sites_frame`` override the loaded atlas/sites (tests, the app's cache);
    ``focus_population`` overrides ``clinical.focus_population``.
    ``demand``: the user's own demand per LSOA code (e.g. `plan_files.read_demand`), used instead
    of the target population (LSOAs of the area it does not list count 0; ``target`` then only names
    the plan); ``demand_source`` says where it came from. The request keeps the values, so a saved
    plan runs again with the same demand.
    """
    t0 = time.perf_counter()
    progress = progress or noop
    _check_request(objective, site_types, k)
    model = cost_model or access.StraightLineCost()
    radius = float(threshold) if threshold is not None else access.km_to_cost(model, radius_km)
    parsed = as_target(target)
    progress(0.0, "Loading the atlas")
    full = atlas_frame if atlas_frame is not None else atlas.load_atlas(vintage)
    area = areas.select(full, level, area_code)
    name = "England" if level == "england" else areas.area_name(full, level, area_code)
    all_sites = sites_frame if sites_frame is not None else atlas.load_sites()
    typed = all_sites[all_sites["site_type"].isin(list(site_types))]
    if demand is not None:
        weights, label = _own_demand(area, demand, demand_source)
    else:
        weights, label = resolve_target(area, target, focus_population=focus_population)
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
        cands = check_candidates(candidates, "candidates")
        source = candidate_source or "upload"
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
    points = demand_frame(area, weights)
    result = solve(points, cands, k, objective, radius, fixed, model, time_limit,
                   lambda f, m: progress(0.05 + 0.75 * f if curve_max_k else 0.05 + 0.9 * f, m), max_cells)
    curve = None
    if curve_max_k:
        curve = coverage_curve(points, cands, curve_max_k, objective, radius, fixed, model, time_limit,
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
    request = PlanRequest(vintage=vintage, level=level, area_code=area_code,
                          target=parsed if parsed is not None and demand is None else Target(base=CUSTOM),
                          site_types=tuple(site_types),
                          radius_km=radius / 1000 if model.unit == "m" else None,
                          radius=radius, unit=model.unit, k=int(k), objective=objective, candidates=source,
                          fixed_site_codes=tuple(str(c) for c in fixed_site_codes), curve_max_k=curve_max_k,
                          demand_source=demand_source if demand is not None else None,
                          demand=() if demand is None else tuple(
                              (str(c), float(v)) for c, v in zip(area[schema.LSOA_CODE], weights, strict=True)
                              if v > 0))
    focus = parsed.focus if parsed is not None else None
    progress(1.0, "Done")
    return PlanResult(request, name, label, replace(result, total_seconds=time.perf_counter() - t0), existing,
                      int(len(in_area)), combined, curve, datetime.now(UTC).isoformat(timespec="seconds"),
                      attribution(vintage, site_types, focus),
                      _equity(result, area, model, radius, parsed, weights if demand is not None else None,
                              focus_population))


def _equity(result: SitingResult, area: pd.DataFrame, model: access.CostModel, radius: float,
            parsed: Target | None, own: pd.Series | None,
            focus_population: FocusPopulation | None) -> Equity:
    """The plan's equity and its reach comparison: on the demand definition without the Core20
    restriction (the own demand as it is, or the target's population or focus age group over all the
    area's LSOAs; a PLUS rule is dropped), Core20 against other residents within reach of an open site."""
    eq = equity(result.assignment, area)
    if own is not None:
        base, label = own, "on the plan's own demand"
    elif parsed is not None and parsed.base != CUSTOM:
        base, label = resolve_target(area, Target(base="all", focus=parsed.focus),
                                     focus_population=focus_population)
        label = label[:1].lower() + label[1:]
    else:
        return eq
    open_sites = pd.concat([result.fixed, result.chosen], ignore_index=True)
    if open_sites.empty:
        reached = np.zeros(len(area), dtype=bool)
    else:
        cost, _ = model.nearest(access.lsoa_points(area), access.site_points(open_sites, "candidate_id"))
        reached = np.asarray(cost, dtype=float) <= radius
    return with_reach(eq, base, reached, area, label)


def _own_demand(area: pd.DataFrame, demand: pd.Series, source: str | None) -> tuple[pd.Series, str]:
    """The user's demand on the area's LSOAs (0 where not listed) and its label."""
    values = pd.to_numeric(pd.Series(demand), errors="coerce")
    values.index = values.index.astype(str)
    if values.isna().any() or (values < 0).any() or not np.isfinite(values.to_numpy(dtype=float)).all():
        raise SitingError("demand must be a non-negative number per LSOA")
    if values.index.duplicated().any():
        raise SitingError("demand lists an LSOA more than once: "
                          f"{', '.join(values.index[values.index.duplicated()][:5])}")
    weights = area[schema.LSOA_CODE].astype(str).map(values).fillna(0.0).astype(float)
    weights.index = area.index
    if not (weights > 0).any():
        raise SitingError("the demand gives no LSOA of this area a value above 0: is it for another area?")
    name = getattr(demand, "name", None)
    label = f"Demand: {source}" if source else f"Demand: {name}" if name else "Own demand"
    return weights.rename("target_population"), label


def plan_request(request: PlanRequest, *, candidates: pd.DataFrame | None = None,
                 **options: object) -> PlanResult:
    """Run a `PlanRequest` (e.g. a saved plan's) again; ``candidates`` supplies uploaded venues.

    ``options``: plan()'s keyword options (progress, atlas_frame, sites_frame, cost_model, ...).
    """
    if request.candidates == "upload" and candidates is None:
        raise SitingError("this plan used uploaded candidate venues: pass them as candidates")
    if request.unit != "m" and "cost_model" not in options:
        raise SitingError(f"this plan measured cost in {request.unit}: pass its cost_model")
    if request.demand and "demand" not in options:
        options = {**options, "demand": request.demand_series(), "demand_source": request.demand_source}
    return plan(request.vintage, request.level, request.area_code, request.target, request.site_types,
                request.radius_km or 0.0, request.k, request.objective,
                candidates if request.candidates == "upload" else request.candidates,
                request.fixed_site_codes,
                request.curve_max_k, threshold=None if request.unit == "m" else request.radius,
                **options)  # type: ignore[arg-type]


def plan_csv(result: PlanResult) -> str:
    """One row per site with the plan's figures repeated (easy to stack many plans)."""
    s, req = result.siting, result.request
    rows = s.sites.copy()
    eq = result.equity
    frame = pd.DataFrame({
        "area_code": req.area_code, "area_name": result.area_name, "target": req.target.key(),
        "focus": req.target.focus or "", "objective": s.objective, "radius_km": req.radius_km,
        "k": s.k, "rank": rows["rank"], "fixed": rows["fixed"], "code": rows["candidate_id"],
        "name": rows["name"], "where": site_where(rows), "lon": rows["lon"].round(6),
        "lat": rows["lat"].round(6),
        "site_covered_population": rows["covered_population"],
        "target_population_covered": s.covered_population,
        "total_target_population": s.total_target_population,
        "covered_share": round(s.covered_share, 6), "mean_cost": json_number(s.mean_cost),
        "p90_cost": json_number(s.p90_cost), "max_cost": json_number(s.max_cost),
        "unreachable_share": round(s.unreachable_share, 6), "cost_unit": s.unit,
        "covered_core20_share": None if eq is None else round(eq.covered_core20_share, 6),
        "target_core20_share": None if eq is None else round(eq.target_core20_share, 6),
        "status": s.status,
    })
    # estimated people (focus populations) are fractional: 2 decimals, no float noise such as 4464.000000001
    for col in ("site_covered_population", "target_population_covered", "total_target_population",
                "mean_cost", "p90_cost", "max_cost"):
        frame[col] = pd.to_numeric(frame[col]).astype(float).round(2)
    return tables.to_csv(frame, bom=False, tidy=False).decode("utf-8")


def existing_access(vintage: str, level: str, area_code: str | None, target: Target | str,
                    site_types: Sequence[str], radius_km: float, *, atlas_frame: pd.DataFrame | None = None,
                    sites_frame: pd.DataFrame | None = None) -> access.AccessResult:
    """Access to the sites already open: each of the area's LSOAs' distance to the nearest site of
    ``site_types`` (any site in England: people cross area boundaries), and how much of ``target``
    lives within ``radius_km``. ``atlas_frame``/``sites_frame`` as in `plan`."""
    full = atlas_frame if atlas_frame is not None else atlas.load_atlas(vintage)
    area = full[areas.mask(full, level, area_code).to_numpy()]
    all_sites = sites_frame if sites_frame is not None else atlas.load_sites()
    typed = all_sites[all_sites["site_type"].isin(list(site_types))]
    weights, _ = resolve_target(area, target)
    return access.analyse(area, typed, threshold=radius_km * 1000, weights=weights)
