"""Clinical focus, accelerator presets and presentation mode in the pages (AppTest)."""

from __future__ import annotations

import pytest
from apptests import APP, PLUS_PAGE, ok, open_page
from streamlit.testing.v1 import AppTest

from geo_core20 import clinical

ICB = "E54000008"
pytestmark = pytest.mark.usefixtures("atlas2025")  # skips (conftest) when the atlas is not built


def focus_tab(at: AppTest) -> AppTest:
    at.session_state["gc20_tab"] = "Clinical focus"
    return ok(at.run())


@pytest.mark.parametrize("focus", clinical.FOCUS_IDS)
def test_each_focus_shows_non_empty_numbers_beside_parent_and_england(atlas2025, focus):
    at = focus_tab(open_page(APP, level="icb", area=ICB, focus=focus))
    assert at.selectbox(key="gc20_focus").value == focus and at.query_params["focus"] == focus
    assert at.subheader[0].value.startswith(clinical.FOCI[focus].label)
    table = at.dataframe[0].value
    assert len(table) == 6  # ICB, NHS region and England; each whole and its Core20 part
    expected = clinical.focus_compare(atlas2025, focus, "icb", ICB)["target_population"]
    # issue 18: people are whole numbers in the table (the estimate rounded, not "309,684.019")
    assert (table["Focus population"] == expected.round().astype("int64").to_numpy()).all()
    assert (table["Focus population"] > 0).all()
    assert any(clinical.FOCI[focus].not_in_data[:40] in w.value for w in at.warning)


def test_focus_picker_changed_by_a_person_updates_the_panel_and_link():
    at = focus_tab(open_page(APP, level="icb", area=ICB))
    assert any("Choose a clinical focus" in i.value for i in at.info)
    at.selectbox(key="gc20_focus").set_value("hypertension").run()
    ok(at)
    assert at.selectbox(key="gc20_focus").value == "hypertension"
    assert at.query_params["focus"] == "hypertension"
    assert any("Why crude recorded prevalence misleads" in i.value for i in at.info)
    at.selectbox(key="focus_layer").set_value("recorded_to_expected").run()
    assert at.selectbox(key="focus_layer").value == "recorded_to_expected" and ok(at)
    at.selectbox(key="gc20_focus").set_value("none").run()
    assert "focus" not in ok(at).query_params


def test_unknown_focus_in_a_link_lists_the_valid_ones():
    at = open_page(APP, focus="cancr")
    warning = " ".join(w.value for w in at.warning)
    assert "cancr" in warning and all(f in warning for f in clinical.FOCUS_IDS)
    assert at.selectbox(key="gc20_focus").value == "none"


def test_accelerator_presets_show_numbers_and_open_their_icb(atlas2025):
    at = open_page(APP)
    at.switch_page("views/4_Accelerator_sites.py").run()
    ok(at)
    assert len(at.subheader) == len(clinical.ACCELERATORS) == 7
    values = [m.value for m in at.metric]
    assert len(values) == 21 and all(v not in ("", "nan", "0") for v in values)
    for a in clinical.ACCELERATORS.values():  # each preset's link opens its ICB, focus and PLUS layer
        page = open_page(PLUS_PAGE, vintage="2025", level="icb", area=a.icb_code, focus=a.focus,
                         layer=a.plus_layer)
        assert page.selectbox(key="gc20_area").value == a.icb_code
        assert page.selectbox(key="gc20_focus").value == a.focus
        assert page.selectbox(key="plus_indicator").value == a.plus_layer
        assert any(a.ics in i.value.replace("\\", "") for i in page.info)


def test_presentation_mode_from_a_link_and_the_toggle():
    at = open_page(APP, level="icb", area=ICB, present="1")
    assert at.toggle(key="gc20_present").value is True
    assert any("stSidebar" in h.proto.body for h in at.get("html"))  # the hiding CSS is on the page
    assert at.query_params["present"] == "1" and at.title[0].value.startswith("NHS Cheshire")
    at.button(key="gc20_present_exit").click().run()
    ok(at)
    assert at.toggle(key="gc20_present").value is False and "present" not in at.query_params
    at.toggle(key="gc20_present").set_value(True).run()
    assert ok(at).query_params["present"] == "1"
