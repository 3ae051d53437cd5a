"""The one LSOA layer renderer (maps.lsoa_layer): flagged LSOAs get a dot at their centre on every
outreach, PLUS and upload map, so a target, hot spot or uploaded LSOA of a few pixels still shows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely
from map_checks import HOSTILE, assert_only_escaped

from geo_core20 import hotspots, plus, schema
from geo_core20.maps import lsoa_layer, outreach, upload_maps, view
from geo_core20.maps import plus_maps as pm

CORNWALL = "E54000036"
LAD = "E06000001"  # Hartlepool: 57 LSOAs


def markers(m) -> list[list]:
    """[lat, lon, class, tooltip] of each flag marker of a map (none: [])."""
    found = [c for c in m._children.values() if isinstance(c, lsoa_layer.FlagMarkers)]
    assert len(found) <= 1
    return json.loads(found[0].data_js) if found else []


def _at_centres(rows: list[list], frame: pd.DataFrame) -> set[str]:
    """The LSOA codes whose population-weighted centre carries a marker."""
    centre = {(round(a, 5), round(o, 5)): c for c, a, o in
              zip(frame[schema.LSOA_CODE], frame[schema.PWC_LAT], frame[schema.PWC_LON], strict=True)}
    return {centre[(r[0], r[1])] for r in rows}


@pytest.fixture(scope="module")
def cornwall():
    return view.view_data("2025", "icb", CORNWALL)


def test_every_hot_and_cold_spot_is_marked(cornwall):
    values = plus.values(cornwall.frame, "ethnic_minority").astype(float)
    result = hotspots.gi_star(cornwall.frame, values, permutations=999)
    m = pm.hotspot_map("2025", "icb", CORNWALL, result, "Ethnic minority", "none", True)
    spots = result.frame["hotspot"].isin([*hotspots.HOT.values(), *hotspots.COLD.values()]).to_numpy()
    assert spots.sum() == result.n_hot + result.n_cold > 0
    rows = markers(m)
    assert _at_centres(rows, cornwall.frame) == set(cornwall.frame[schema.LSOA_CODE][spots])
    colours = [pm.HOTSPOT_COLOURS[c] for c in hotspots.CLASS_ORDER]
    by_code = dict(zip(cornwall.frame[schema.LSOA_CODE], result.frame["hotspot"].astype(str), strict=True))
    assert all(colours[r[2]] == pm.HOTSPOT_COLOURS[by_code[r[3].split()[0]]] for r in rows)
    html = m.get_root().render()
    assert lsoa_layer.FLAG_CLASS in html and lsoa_layer.FLAG_PANE in html


def test_target_lsoas_are_marked_and_nothing_else(cornwall):
    spec = plus.TargetSpec.from_query_params({"tb": "core20", "tc": "and", "tx": "coastal"})
    result = plus.evaluate(spec, cornwall.frame)
    m = pm.target_map("2025", "icb", CORNWALL, result, "none", True)
    inside = cornwall.frame[schema.LSOA_CODE][result.mask.to_numpy(dtype=bool)]
    assert _at_centres(markers(m), cornwall.frame) == set(inside) and len(inside) == 24
    assert {r[2] for r in markers(m)} == {0}


def test_plan_target_lsoas_are_marked(cornwall):
    core = cornwall.frame[cornwall.core20_mask]
    codes = core[schema.LSOA_CODE]
    assignment = [{"code": c, "cost": 1000.0 * i, "covered": i < 12} for i, c in enumerate(codes)]
    data = {"siting": {"assignment": assignment, "radius": 3000, "unit": "m", "chosen": [], "fixed": []},
            "area_name": cornwall.area_name}
    m = outreach.plan_map(data, "2025", "icb", CORNWALL, basemap="none", core20_on=True)
    rows = markers(m)
    assert _at_centres(rows, cornwall.frame) == set(core[schema.LSOA_CODE])
    assert sorted(r[2] for r in rows).count(0) == 12  # within reach, in the covered colour


def test_uploaded_lsoas_are_marked_with_escaped_tooltips():
    vd = view.view_data("2025", "lad", LAD)
    values = pd.Series(np.nan, index=range(len(vd.frame)))
    values.iloc[[3, 10, 40]] = [1.0, 2.0, 5.0]
    m = upload_maps.upload_map("2025", "lad", LAD, values, HOSTILE, basemap="none", core20_on=True,
                               national=values.dropna())
    rows = markers(m)
    assert _at_centres(rows, vd.frame) == set(vd.frame[schema.LSOA_CODE].iloc[[3, 10, 40]])
    assert_only_escaped(m.get_root().render())


def test_flag_markers_are_capped_at_the_smallest_lsoas(monkeypatch, cornwall):
    monkeypatch.setattr(lsoa_layer, "MAX_FLAG_MARKERS", 5)
    flagged = np.ones(len(cornwall.frame), dtype=bool)
    got = lsoa_layer.flag_markers(cornwall, flagged, np.zeros(len(flagged), dtype=int), ["#000000"])
    rows = json.loads(got.data_js)
    areas = pd.Series(shapely.area(np.asarray(cornwall.frame.geometry.values)), index=cornwall.frame.index)
    smallest = areas.sort_values(kind="stable").index[:5]
    assert _at_centres(rows, cornwall.frame) == set(cornwall.frame.loc[smallest, schema.LSOA_CODE])
    with pytest.raises(ValueError, match="one value per LSOA"):
        lsoa_layer.lsoa_map(cornwall, pm.lsoa_props(cornwall.frame), np.zeros(len(flagged), dtype=int),
                            ["#000000"], [], name="x", legend=cornwall.legend, basemap="none",
                            core20_on=False, flagged=flagged[:3])
