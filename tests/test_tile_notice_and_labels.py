"""Issue 17's small defects that a spec can show without a browser: the basemap tile-error notice
in the map's script and the p-median curve's axis title (tests/browser/test_fit_and_offline_browser.py
checks both as drawn)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geo_core20.maps import choropleth
from geo_core20.maps.elements import TILE_ERROR_MESSAGE, TileErrorNotice
from geo_core20.ui import plan_view

BOUNDS = (-0.45, 53.70, -0.24, 53.81)  # Hull


@pytest.mark.parametrize("basemap", ["osm", "carto_light"])
def test_online_basemaps_say_on_the_map_when_their_tiles_fail(basemap):
    html = choropleth.base_map(BOUNDS, basemap).get_root().render()
    assert html.count("'tileerror'") == 1
    assert json.dumps(TILE_ERROR_MESSAGE) in html
    assert "div.textContent = message" in html  # text, never parsed as HTML
    assert "if (shown) { return; }" in html  # once, not once per tile


def test_no_basemap_has_no_tile_notice():
    assert "tileerror" not in choropleth.base_map(BOUNDS, "none").get_root().render()


def test_tile_notice_text_cannot_close_the_script():
    notice = TileErrorNotice("</script><script>alert(1)</script>")
    assert "</script>" not in notice.message_js and json.loads(notice.message_js.replace("<\\/", "</"))


def _curve(objective: str) -> dict:
    curve = pd.DataFrame({"k": [0, 1, 2, 3], "mean_cost": [0.0, 3000.0, 2000.0, 1500.0],
                          "covered_share": [0, .4, .6, .7], "covered_population": [0, 4, 6, 7],
                          "added_population": [0, 4, 2, 1]})
    return plan_view.curve_chart(curve, 2, objective).to_dict()


@pytest.mark.parametrize("objective, full", [("pmedian", "Mean distance to the nearest site (km)"),
                                              ("mclp", "Share of the target within reach")])
def test_curve_axis_title_keeps_its_full_text_in_lines_that_fit(objective, full):
    spec = _curve(objective)
    title = spec["encoding"]["y"]["title"]
    assert isinstance(title, list), "one line was longer than the chart is high and was cut off"
    assert " ".join(title) == full
    # Streamlit's theme draws axis titles at 14 px (~7.5 px a character): each line fits the
    # 280 px chart's ~190 px plot height with room to spare
    assert all(len(line) * 7.5 <= 190 for line in title), title
    assert spec["height"] == 280 and spec["padding"]["left"] >= 8
