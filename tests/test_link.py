"""One owner of the link (ui.link): the link a page SHOWS, reopened in a fresh session, is the same view;
app links (accelerator cards) name only what they set; ?plan= keeps presentation mode.

Controls are changed the way a person does (set_value / click, then run); the link is the text in the
sidebar's "Link to this view" popover; reopening it is a new AppTest session given that link's parameters.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qsl, urlsplit

import pytest
from apptests import APP, PLANNER_PAGE, PLUS_PAGE, metric, ok, open_page, run_plan, save_plan, shown_legends
from streamlit.testing.v1 import AppTest

from geo_core20 import clinical, plus
from geo_core20.ui import link, pages

HULL, ICB = "E06000010", "E54000008"
SECTIONS = tuple(link.PLUS_SECTIONS.values())
pytestmark = pytest.mark.usefixtures("atlas2025")  # skips (conftest) when the atlas is not built


def shown_link(at: AppTest) -> dict[str, str]:
    """The parameters of the link shown in the sidebar's "Link to this view" popover (its code box)."""
    boxes = [p for p in at.sidebar.get("popover") if p.proto.popover.label == "Link to this view"]
    assert len(boxes) == 1, [p.proto.popover.label for p in at.sidebar.get("popover")]
    codes = [c.value for c in at.sidebar.code]
    assert len(codes) == 1 and [c.value for c in boxes[0].code] == codes, codes  # the one link is in it
    return dict(parse_qsl(urlsplit(codes[0]).query, keep_blank_values=True))


def legend(at: AppTest) -> str:
    return html.unescape(" ".join(shown_legends(at)))


# --- the shown link reopens the same view -------------------------------------------------------

def test_explorer_link_restores_focus_outline_presentation_shading_and_tab():
    at = open_page(APP)
    at.selectbox(key="gc20_level").set_value("icb").run()
    at.selectbox(key="gc20_area").set_value(ICB).run()
    at.selectbox(key="gc20_shade").set_value("health_decile").run()
    at.selectbox(key="gc20_basemap").set_value("osm").run()
    at.toggle(key="gc20_core20").set_value(False).run()
    at.selectbox(key="gc20_focus").set_value("cancer").run()
    at.session_state["gc20_tab"] = "Clinical focus"  # how AppTest opens a tab (as test_focus_pages does)
    at.toggle(key="gc20_present").set_value(True).run()
    params = shown_link(ok(at))
    assert (params["focus"], params["core20"], params["present"]) == ("cancer", "0", "1")
    assert params["tab"] == "focus"

    again = open_page(APP, **params)
    for key in ("gc20_level", "gc20_area", "gc20_shade", "gc20_basemap", "gc20_focus"):
        assert again.selectbox(key=key).value == at.selectbox(key=key).value, key
    assert again.toggle(key="gc20_core20").value is False
    assert again.toggle(key="gc20_present").value is True
    assert any("stSidebar" in h.proto.body for h in again.get("html"))  # presentation CSS is on
    assert again.subheader[0].value.startswith(clinical.FOCI["cancer"].label)  # the focus tab is open
    assert shown_link(again) == params  # and it shows the same link again


def test_plus_link_restores_layer_target_hotspot_settings_section_focus_and_outline(atlas2025):
    at = open_page(PLUS_PAGE, level="lad", area=HULL)
    at.selectbox(key="plus_indicator").set_value("ethnic_minority").run()
    at.segmented_control(key="plus_section").set_value("Target").run()
    at.selectbox(key="target_new_kind").set_value("coastal").run()
    at.button(key="target_add").click().run()
    in_target = metric(ok(at), "LSOAs in target")
    at.segmented_control(key="plus_section").set_value("Hot spots").run()
    pick = next(o for o in at.selectbox(key="plus_hot_indicator").options if "Ethnic minority share" in o)
    at.selectbox(key="plus_hot_indicator").set_value(pick).run()
    at.selectbox(key="plus_permutations").set_value(4999).run()
    at.toggle(key="gc20_core20").set_value(False).run()
    at.selectbox(key="gc20_focus").set_value("maternity").run()
    hot = metric(ok(at), "Hot spot LSOAs")
    params = shown_link(at)
    assert (params["section"], params["hot"], params["perms"], params["layer"]) == (
        "hotspots", "ethnic_minority", "4999", "ethnic_minority")
    assert params["tx"] == "coastal" and params["core20"] == "0" and params["focus"] == "maternity"

    again = open_page(PLUS_PAGE, **params)
    assert again.segmented_control(key="plus_section").value == "Hot spots"
    assert again.selectbox(key="plus_hot_indicator").value == pick
    assert again.selectbox(key="plus_permutations").value == 4999
    assert metric(again, "Hot spot LSOAs") == hot
    assert again.toggle(key="gc20_core20").value is False
    assert again.selectbox(key="gc20_focus").value == "maternity"
    assert shown_link(again) == params
    again.segmented_control(key="plus_section").set_value("Target").run()
    assert metric(ok(again), "LSOAs in target") == in_target
    again.segmented_control(key="plus_section").set_value("Indicators").run()
    assert ok(again).selectbox(key="plus_indicator").value == "ethnic_minority"


def test_a_share_link_says_no_target_and_replaces_a_built_one():
    plain = shown_link(open_page(PLUS_PAGE, level="lad", area=HULL))
    assert (plain["tb"], plain["tc"]) == ("core20", "and") and "tx" not in plain
    at = open_page(PLUS_PAGE, level="lad", area=HULL, section="target")
    at.selectbox(key="target_new_kind").set_value("coastal").run()
    at.button(key="target_add").click().run()
    assert ok(at).query_params["tx"] == "coastal"
    at.query_params = {**plain, "section": "target"}  # the link pasted into the same session
    ok(at.run())
    assert "tx" not in at.query_params and not [m for m in at.markdown if m.value.startswith("1. coastal")]


def test_planner_link_restores_the_plan_and_presentation_mode(plan_store):
    at = run_plan(open_page(PLANNER_PAGE, level="icb", area=ICB), k=2)
    pid = save_plan(at)
    covered = metric(at, "Target residents covered")
    at.toggle(key="gc20_present").set_value(True).run()
    params = shown_link(ok(at))
    assert params["plan"] == pid and params["present"] == "1"

    again = open_page(PLANNER_PAGE, **params)
    assert again.toggle(key="gc20_present").value is True
    assert metric(again, "Target residents covered") == covered
    assert again.session_state["op_result"]["plan_id"] == pid
    assert again.query_params["plan"] == pid and again.query_params["present"] == "1"


def test_a_plan_link_with_present_1_opens_in_presentation_mode(plan_store):
    at = run_plan(open_page(PLANNER_PAGE, level="icb", area=ICB), k=2)
    pid = save_plan(at)

    again = open_page(PLANNER_PAGE, plan=pid, present="1")
    assert again.toggle(key="gc20_present").value is True
    assert any("stSidebar" in h.proto.body for h in again.get("html"))
    assert again.query_params["present"] == "1" and again.query_params["plan"] == pid
    assert again.title[0].value.startswith("NHS Cheshire and Merseyside")


def test_pages_without_a_view_show_their_link():
    at = open_page(APP)
    at.switch_page(pages.get(pages.ABOUT).script).run()
    at.toggle(key="gc20_present").set_value(True).run()
    assert shown_link(ok(at)) == {"present": "1"}


# --- app links: accelerator cards ---------------------------------------------------------------

def open_card(at: AppTest, ics: str) -> AppTest:
    """Follow an accelerator card's page link as the browser does: its page with its query."""
    card = next(p for p in at.page_link if p.value == f"Open {ics}")
    at.query_params = dict(parse_qsl(card.proto.query_string))
    return ok(at.switch_page(pages.get(pages.PLUS).script).run())


CORNWALL = clinical.ACCELERATORS["cornwall_isles_of_scilly"]


@pytest.mark.parametrize("section", SECTIONS)
def test_a_card_opened_from_any_plus_section_shows_its_layer_map(section):
    a = CORNWALL
    at = open_page(APP)
    at.switch_page(pages.get(pages.PLUS).script).run()
    at.segmented_control(key="plus_section").set_value(section).run()
    at.switch_page(pages.get(pages.ACCELERATORS).script).run()
    at = open_card(ok(at), a.ics)
    assert at.segmented_control(key="plus_section").value == "Indicators"
    assert at.selectbox(key="plus_indicator").value == a.plus_layer  # the Layer box...
    assert plus.get(a.plus_layer).label in legend(at)  # ...names the layer the map shows
    assert at.selectbox(key="gc20_area").value == a.icb_code
    assert at.selectbox(key="gc20_focus").value == a.focus


def test_a_built_target_survives_opening_a_card():
    at = open_page(APP, level="lad", area=HULL)
    at.switch_page(pages.get(pages.PLUS).script).run()
    at.segmented_control(key="plus_section").set_value("Target").run()
    at.selectbox(key="target_new_kind").set_value("coastal").run()
    at.button(key="target_add").click().run()
    assert ok(at).query_params["tx"] == "coastal"
    at.switch_page(pages.get(pages.ACCELERATORS).script).run()
    at = open_card(ok(at), CORNWALL.ics)
    assert at.selectbox(key="gc20_area").value == CORNWALL.icb_code
    assert at.query_params["tx"] == "coastal"
    at.segmented_control(key="plus_section").set_value("Target").run()
    assert any(m.value.startswith("1. coastal") for m in ok(at).markdown)


def test_card_links_name_only_what_the_preset_sets():
    for a in clinical.ACCELERATORS.values():
        params = link.preset(pages.PLUS, vintage="2025", level="icb", area=a.icb_code, focus=a.focus,
                             layer=a.plus_layer, section="indicators")
        assert set(params) == {"vintage", "level", "area", "focus", "layer", "section"}
    with pytest.raises(KeyError):
        link.preset(pages.ACCELERATORS, layer="grt_pct")  # not a parameter of that page
    with pytest.raises(ValueError):
        link.preset(pages.PLUS, section="nowhere")
