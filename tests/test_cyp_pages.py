"""Core20PLUS5 for children and young people in the pages (AppTest): a person picks the CYP family,
then each of its five areas, for an ICB; the share link keeps both; no QOF register is shown."""

from __future__ import annotations

import pytest
from apptests import APP, PLUS_PAGE, ok, open_page

from geo_core20 import clinical

ICB = "E54000057"  # NHS Greater Manchester ICB
K_FAMILY, K_FOCUS = "gc20_focus_family", "gc20_focus"
FOCUS_TAB = "Clinical focus"
pytestmark = pytest.mark.usefixtures("atlas2025")  # skips (conftest) when the atlas is not built


def test_a_person_picks_children_and_young_people_then_each_of_the_five_areas(atlas2025):
    at = open_page(APP, explorer_tab=FOCUS_TAB, vintage="2025", level="icb", area=ICB)
    assert at.radio(key=K_FAMILY).value == "adult"
    adults = [clinical.FOCI[f].label for f in clinical.ADULT_FOCUS_IDS]
    assert at.selectbox(key=K_FOCUS).options == ["None", *adults]
    ok(at.radio(key=K_FAMILY).set_value("cyp").run())
    # the focus select now lists the CYP five only; the PLUS groups are named before any focus is chosen
    children = [clinical.FOCI[f].label for f in clinical.CYP_FOCUS_IDS]
    assert at.selectbox(key=K_FOCUS).options == ["None", *children]
    assert at.query_params["family"] == "cyp"
    groups = next(df.value for df in at.dataframe if "Group" in df.value.columns)
    assert list(groups["Group"]) == list(clinical.CYP_PLUS_GROUPS)
    assert list(groups["What open data holds"]) == list(clinical.CYP_PLUS_GROUPS.values())
    for fid in clinical.CYP_FOCUS_IDS:
        f = clinical.FOCI[fid]
        ok(at.selectbox(key=K_FOCUS).set_value(fid).run())
        assert at.query_params["focus"] == fid and at.query_params["family"] == "cyp"
        assert at.subheader[0].value.startswith(f.label)
        table = next(df.value for df in at.dataframe if "Area" in df.value.columns)
        expected = clinical.focus_compare(atlas2025, fid, "icb", ICB)
        assert len(table) == 6  # the ICB, its NHS region and England, each whole and Core20 part
        # people are shown as whole numbers (ui.focus.comparison_table rounds the estimates)
        assert table["Focus population"].tolist() == pytest.approx(expected["target_population"].tolist(),
                                                                   abs=0.5)
        assert (table["Focus population"] > 0).all()
        # no QOF register is presented as a children's figure
        assert not [c for c in table.columns if "register" in c.lower() or "prevalence" in c.lower()]
        warning = " ".join(w.value for w in at.warning)
        assert f.not_in_data in warning and f.local_upload in warning
        assert any("Group" in df.value.columns for df in at.dataframe)  # the CYP PLUS groups


def test_a_cyp_link_opens_the_family_and_the_focus_and_back_to_adults_clears_it():
    at = open_page(APP, explorer_tab=FOCUS_TAB, vintage="2025", level="icb", area=ICB, focus="cyp_oral")
    assert at.radio(key=K_FAMILY).value == "cyp" and at.selectbox(key=K_FOCUS).value == "cyp_oral"
    assert at.query_params["family"] == "cyp"
    ok(at.radio(key=K_FAMILY).set_value("adult").run())
    assert at.selectbox(key=K_FOCUS).value == "none"
    assert "focus" not in at.query_params and "family" not in at.query_params


def test_an_unknown_family_in_a_link_is_reported():
    at = open_page(APP, family="teens")
    assert any("Unknown clinical focus family 'teens'" in w.value for w in at.warning)
    assert at.radio(key=K_FAMILY).value == "adult"


def test_cyp_focus_on_the_plus_page():
    at = open_page(PLUS_PAGE, level="icb", area=ICB, family="cyp", focus="cyp_mental")
    ok(at.segmented_control(key="plus_section").set_value("Clinical focus").run())
    assert at.subheader[0].value.startswith(clinical.FOCI["cyp_mental"].label)
    assert at.query_params["family"] == "cyp" and at.query_params["focus"] == "cyp_mental"
