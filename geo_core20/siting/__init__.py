"""Outreach siting: choose k sites that reach the most target population.

Two objectives over the same inputs (demand points with target-population weights, candidate
sites, optional sites already open):

- ``mclp``: the maximal covering location problem. Maximise the target population within
  ``radius`` of an open site (a cost exactly equal to the radius counts as covered, as in spopt).
- ``pmedian``: minimise the population-weighted cost to the nearest open site.

Modules, one job each:

- `common`: objectives, limits, errors, progress callbacks, CBC, JSON numbers;
- `mclp`: exact MCLP reductions and the MCLP MIP; `pmedian`: Lagrangian bound, interchange, sparse MIP;
- `solver`: demand/candidate frames -> `SitingResult` (`solve`, `coverage_curve`);
- `target`: `Target` (Core20 / all, PLUS rule, clinical focus) -> demand weights;
- `equity`: the Core20 share of the people a plan covers against the target's;
- `planner`: `plan()` (atlas, target, candidates, solve, comparison with existing sites),
  `PlanRequest` / `PlanResult` records.

The command line (``python -m geo_core20 plan``) lives in `geo_core20.cli`.
"""

from geo_core20.errors import ProblemTooLarge, SitingError
from geo_core20.siting import common, equity, mclp, planner, pmedian, solver, target
from geo_core20.siting.common import (
    CANDIDATE_COLUMNS,
    CANDIDATE_SOURCES,
    DEFAULT_TIME_LIMIT,
    MAX_CELLS,
    MAX_K,
    OBJECTIVE_LABEL,
    OBJECTIVES,
    Progress,
)
from geo_core20.siting.equity import Equity
from geo_core20.siting.planner import (
    PLAN_SCHEMA_VERSION,
    PlanRequest,
    PlanResult,
    attribution,
    dataset_ids,
    existing_access,
    plan,
    plan_csv,
    plan_request,
    sites_in_area,
)
from geo_core20.siting.solver import (
    SitingResult,
    candidates_frame,
    candidates_from_lsoas,
    candidates_from_points,
    candidates_from_sites,
    coverage_curve,
    demand_frame,
    site_where,
    solve,
)
from geo_core20.siting.target import (
    BASE_LABEL,
    TARGET_BASES,
    FocusPopulation,
    Target,
    check_focus,
    focus_choices,
    resolve_target,
    target_from_key,
    target_from_text,
)

__all__ = [
    "BASE_LABEL", "CANDIDATE_COLUMNS", "CANDIDATE_SOURCES", "DEFAULT_TIME_LIMIT", "Equity",
    "FocusPopulation", "MAX_CELLS", "MAX_K", "OBJECTIVES", "OBJECTIVE_LABEL", "PLAN_SCHEMA_VERSION",
    "PlanRequest", "PlanResult", "ProblemTooLarge", "Progress", "SitingError", "SitingResult",
    "TARGET_BASES", "Target", "attribution", "candidates_frame", "candidates_from_lsoas",
    "candidates_from_points", "candidates_from_sites", "check_focus", "common", "coverage_curve",
    "dataset_ids", "demand_frame", "equity", "existing_access", "focus_choices", "mclp", "plan", "plan_csv",
    "plan_request",
    "planner", "pmedian", "resolve_target", "site_where", "sites_in_area", "solve", "solver", "target",
    "target_from_key", "target_from_text",
]
