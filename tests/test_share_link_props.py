"""Share-link parameters under property tests: any text gives a valid view (or a message), never an
exception, and no parameter is used as anything but a known value."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_core20 import clinical, plans, plus, schema
from geo_core20.maps import choropleth, styles
from geo_core20.ui import link

KEYS = tuple(link.BY_KEY)  # every parameter of the registry
HOSTILE = ("<script>alert(1)</script>", "../../etc/passwd", "E54000008", "icb", "2019", "=cmd|' /C calc'!A0",
           "\x00", "E01000001", "core20", "coastal", "ind:imd_score:ge:p80", "hot:imd_score:95",
           "up:%2F..:x:gt:1")
text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60))
params = st.dictionaries(st.sampled_from(KEYS), st.one_of(text, st.lists(text, max_size=3)),
                         max_size=len(KEYS))


def area_exists(vintage: str, level: str, code: str) -> bool:
    return code == "E54000008" and level == "icb"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params)
def test_any_link_gives_a_valid_view(query):
    view, problems = link.parse_view(query, area_exists)
    assert view.vintage in schema.VINTAGES and view.level in schema.LEVELS
    assert view.shade in styles.SHADINGS and view.basemap in choropleth.BASEMAPS
    assert view.area is None or (view.level, view.area) == ("icb", "E54000008")
    assert all(isinstance(p, str) and len(p) < 400 for p in problems)
    assert link.parse_view(link.view_params(view), area_exists)[0] == view  # the written link reopens it


@settings(max_examples=300, deadline=None)
@given(params)
def test_target_focus_and_plan_parameters_only_take_known_values(query):
    try:
        spec = plus.TargetSpec.from_query_params(query)
    except plus.TargetError:
        spec = None
    if spec is not None:
        assert plus.TargetSpec.from_query_params(spec.to_query_params()) == spec
    value = query.get("focus")
    try:
        focus = clinical.parse_focus(value if isinstance(value, str) else None)
    except clinical.UnknownFocus as exc:
        assert all(f in str(exc) for f in clinical.FOCUS_IDS)
    else:
        assert focus is None or focus in clinical.FOCI
    plan = query.get("plan")
    assert plans.is_plan_id(plan) == (isinstance(plan, str) and plan.isalnum() and plan.islower()
                                      and len(plan) == 10) or not plans.is_plan_id(plan)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params, st.sampled_from(link.pages.IDS))
def test_the_registry_reads_any_link_and_writes_what_it_read(query, page):
    """Every page's parse never raises, keeps only known values, and the share link it writes
    (every parameter explicit) parses back to the same values."""
    found, problems = link.parse(query, page, area_exists)
    assert all(isinstance(p, str) and len(p) < 400 for p in problems)
    assert set(found.values) <= set(link.keys(page))
    for key, text in found.values.items():
        assert text in link.BY_KEY[key].values()
    assert found.target is None or found.target.validate() == found.target
    view = found.view or link.View()
    spec = found.target or plus.TargetSpec()  # the session's target: Core20 unless a link set one
    shared = link.write(page, view, found.values, spec, {"plan": found.plan} if found.plan else None,
                        explicit=True)
    assert set(shared) <= set(link.keys(page))
    again, none = link.parse(shared, page, area_exists)
    assert none == [] or found.plan  # a written link is clean (a plan id is checked by the planner)
    assert dict(again.values) == {**{k: v for k, v in _defaults(page).items()}, **found.values}
    if page in link.pages.VIEW_PAGES:
        assert again.view == link.View(view.vintage, view.level, view.area,
                                       view.shade if "shade" in link.keys(page) else link.DEFAULT_SHADE,
                                       view.basemap)
    if "tb" in link.keys(page):
        assert again.target == spec  # "no target" is written too


def _defaults(page: str) -> dict[str, str]:
    return {p.key: p.default for p in link.PARAMS if p.state is not None and page in p.pages}
