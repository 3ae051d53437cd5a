"""What the hot-spot section says about its result (issue 17): the smallest p-value the chosen
permutations allow, and why a map with no significant LSOA is all white."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

from geo_core20 import hotspots, plus

PLUS_PAGE = str(Path(__file__).resolve().parents[1] / "views" / "2_PLUS_layers.py")
CORNWALL = "E54000036"  # NHS Cornwall and the Isles of Scilly ICB
NO_SPOTS = "No significant hot or cold spots at this confidence"
ROUNDED_TO_ZERO = re.compile(r"\b0\.0+(?!\d)")  # "0.000": a p-value printed as if it could be zero


def grid(n: int = 8) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[box(i, j, i + 1, j + 1) for i in range(n) for j in range(n)],
                            crs="EPSG:27700")


@pytest.mark.parametrize("perms, one, two", [(999, "0.001", "0.002"), (4999, "0.0002", "0.0004"),
                                             (9999, "0.0001", "0.0002")])
def test_smallest_p_value_is_one_over_permutations_plus_one_never_zero(perms, one, two):
    assert hotspots.smallest_p(perms, two_sided=False) == pytest.approx(1 / (perms + 1))
    assert hotspots.smallest_p(perms) == pytest.approx(2 / (perms + 1))
    text = hotspots.smallest_p_text(perms)
    assert f"1/({perms:,} + 1) = {one}" in text and f"{two} for the two-sided" in text
    assert not ROUNDED_TO_ZERO.search(text)


def test_method_note_states_the_chosen_permutations_smallest_p():
    g = grid()
    values = np.random.default_rng(1).normal(10, 1, len(g))
    result = hotspots.gi_star(g, values, permutations=4999)
    assert hotspots.smallest_p_text(4999) in result.method_note
    assert not ROUNDED_TO_ZERO.search(result.method_note)
    # the smallest p-value esda gave is the bound the note states (one-sided, doubled)
    assert np.nanmin(result.frame["p_sim"]) >= hotspots.smallest_p(4999) - 1e-12


def test_no_spots_note_only_when_nothing_is_significant():
    g = grid()
    flat = hotspots.gi_star(g, np.random.default_rng(3).normal(10, 1, len(g)), permutations=99)
    assert flat.n_hot == flat.n_cold == 0
    assert flat.no_spots_note().startswith(NO_SPOTS)
    assert f"{flat.n_tested:,} LSOAs" in flat.no_spots_note()
    planted = np.where(np.arange(len(g)) % 8 < 3, 50.0, 1.0) + np.random.default_rng(4).normal(0, .1, len(g))
    hot = hotspots.gi_star(g, planted, permutations=999)
    assert hot.n_hot > 0 and hot.no_spots_note() is None
    untested = hotspots.gi_star(g.iloc[:3], [1.0, 2.0, 3.0], permutations=99)
    assert untested.n_tested == 0 and untested.no_spots_note() is None  # its own warning says why


def test_cornwall_imd_at_999_permutations_says_why_the_map_is_white(atlas2025):
    at = AppTest.from_file(PLUS_PAGE, default_timeout=240)
    at.query_params.update(level="icb", area=CORNWALL)
    at.run()
    at.segmented_control(key="plus_section").set_value("Hot spots").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="plus_permutations").value == 999
    assert plus.get("imd_score").label in at.selectbox(key="plus_hot_indicator").value
    cornwall = atlas2025[atlas2025["icb_code"] == CORNWALL]
    ref = hotspots.gi_star(cornwall, plus.values(cornwall, "imd_score").astype(float), permutations=999)
    assert ref.n_hot == ref.n_cold == 0  # the published data: nothing significant after FDR
    assert [m.value for m in at.metric if m.label.endswith("spot LSOAs")] == ["0", "0"]
    shown = " ".join(w.value for w in at.warning)
    assert NO_SPOTS in shown and hotspots.smallest_p_text(999) in shown
    assert "0.002" in at.selectbox(key="plus_permutations").help
    # the note follows the chosen permutations
    at.selectbox(key="plus_permutations").set_value(4999).run()
    assert hotspots.smallest_p_text(4999) in " ".join(i.value for i in at.info)
