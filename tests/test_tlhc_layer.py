"""The targeted lung health check layer in the app: a flag layer whose tooltips name the project, and
the PLUS page's table of Core20 residents aged 55-74 inside and outside project areas (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from map_checks import lsoa_layer
from streamlit.testing.v1 import AppTest

from geo_core20 import plus, tlhc
from geo_core20.maps import plus_maps

PAGE = str(Path(__file__).resolve().parent.parent / "views" / "2_PLUS_layers.py")
ICB = "E54000008"  # Cheshire and Merseyside: part of it was the "Cheshire and Merseyside" project


@pytest.fixture(scope="module")
def mapped(atlas2025):
    try:
        return tlhc.in_project(atlas2025, "2025")
    except Exception as exc:  # DataError: the TLHC files are not in the mirror
        pytest.skip(f"TLHC inputs not found: {exc}")


def test_the_flag_layer_names_each_lsoas_project_in_its_tooltip(atlas2025, mapped):
    m, table = plus_maps.indicator_map("2025", "icb", ICB, "tlhc_area", "none", True)
    features, _ = lsoa_layer(m)
    area = atlas2025[atlas2025["icb_code"] == ICB]
    by_code = mapped[area.index]
    by_code.index = area["lsoa_code"].to_numpy()
    inside = [f for f in features if by_code[f["properties"]["code"]]]
    assert inside and len(inside) < len(features)  # some LSOAs inside a project area, some not
    for f in features:  # the tooltip's project is the core's, blank outside every project
        assert f["properties"]["detail"] == by_code[f["properties"]["code"]]
    assert {f["properties"]["detail"] for f in inside} == {"Cheshire and Merseyside"}
    assert "TLHC project" in m.get_root().render()
    assert set(table["value"].dropna()) <= {True, False}


def test_the_layer_opens_with_its_table_of_core20_residents_55_74(mapped):
    at = AppTest.from_file(PAGE, default_timeout=300)
    at.query_params["level"], at.query_params["area"] = "icb", ICB
    at.run()
    at.selectbox(key="plus_indicator").set_value("tlhc_area").run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(df.value for df in at.dataframe if "Inside (IMD2019)" in df.value.columns)
    assert table["Area"].tolist()[-1] == "England" and "Cheshire and Merseyside" in table["Area"].iloc[0]
    england = tlhc.coverage("england").iloc[0]
    assert table["Inside (IMD2019)"].iloc[-1] == round(england["core20_55_74_inside_imd2019"])
    assert table["Outside (IoD2025)"].iloc[-1] == round(england["core20_55_74_outside_iod2025"])
    assert any("commissioning area" in c.value for c in at.caption)  # the caveat is said
    assert plus.get("tlhc_area").kind == plus.FLAG
