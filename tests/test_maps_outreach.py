"""Outreach planner maps built from the real atlas: LSOA classes, site markers, legend, escaping."""

from __future__ import annotations

import subprocess
import sys

import folium
import numpy as np
import pandas as pd
import pytest
from map_checks import HOSTILE, assert_only_escaped, assert_reads_as_a_user_would, legend_text, lsoa_layer

from geo_core20 import access, schema
from geo_core20.maps import outreach as om
from geo_core20.maps import palette

LAD = "E06000001"  # Hartlepool: 57 LSOAs, 30 of them Core20


def sites_frame(n: int, lon: float = -1.21, lat: float = 54.69) -> pd.DataFrame:
    return pd.DataFrame({"site_code": [f"S{i:04d}" for i in range(n)],
                         "site_name": [HOSTILE if i == 0 else f"Site {i}" for i in range(n)],
                         "site_type": ["gp"] * n, "postcode": ["TS24 0XR"] * n,
                         "lon": lon + 0.001 * np.arange(n), "lat": np.full(n, lat)})


@pytest.fixture(scope="module")
def hartlepool(atlas2025):
    return atlas2025[atlas2025["lad_code"] == LAD]


@pytest.fixture(scope="module")
def plan_data(hartlepool) -> dict:
    """A plan's JSON by hand: target = Core20 LSOAs, the first 10 of them within reach."""
    target = hartlepool[hartlepool[schema.CORE20]]
    assignment = [{"code": c, "cost": 500.0 * (i + 1), "covered": i < 10}
                  for i, c in enumerate(target[schema.LSOA_CODE])]
    site = {"candidate_id": "FCP08", "lon": -1.2096, "lat": 54.6905, "covered_population": 27869}
    return {"request": {"site_types": ["gp", "pharmacy"]}, "area_name": "Hartlepool",
            "siting": {"radius": 3000.0, "unit": "m", "assignment": assignment,
                       "chosen": [{**site, "rank": 1, "name": HOSTILE, "fixed": False},
                                  {**site, "candidate_id": "X2", "rank": 2, "name": "Boots", "fixed": False,
                                   "lon": -1.25}],
                       "fixed": [{**site, "candidate_id": "F1", "rank": None, "name": "Open clinic",
                                  "fixed": True, "lat": 54.68}]}}


def test_core_module_does_not_import_streamlit():
    code = "import sys, geo_core20.maps.outreach; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plan_map_classes_markers_and_legend(atlas2025, hartlepool, plan_data):
    m = om.plan_map(plan_data, "2025", "lad", LAD, basemap="none", core20_on=True)
    features, fills = lsoa_layer(m)
    assert len(features) == len(hartlepool) == 57
    classes = [f["properties"]["c"] for f in features]
    n_target = int(hartlepool[schema.CORE20].sum())
    assert classes.count(0) == 10 and classes.count(1) == n_target - 10
    assert classes.count(2) == len(hartlepool) - n_target
    assert fills == [om.COVERED, om.UNCOVERED, om.NOT_TARGET]
    props = {f["properties"]["code"]: f["properties"] for f in features}
    first = hartlepool[hartlepool[schema.CORE20]][schema.LSOA_CODE].iloc[0]
    assert props[first]["dist"] == "0.5 km" and props[first]["status"].startswith("Target, within 3 km")
    html = m.get_root().render()
    assert html.count(f'class=\\"{om.SITE_CLASS}\\"') + html.count(f'class="{om.SITE_CLASS}"') == 3
    assert html.count("L.circle(") == 3  # a reach circle per site (metres)
    legend = legend_text(m)
    assert_reads_as_a_user_would(m)
    assert "Reach of the chosen sites" in legend and "Target LSOA within 3 km" in legend
    assert "Grey dots" not in legend  # no existing sites passed
    assert "Hartlepool" in legend  # the area boundary entry
    assert "Core20 outline" in html and "Hartlepool boundary" in html
    assert_only_escaped(html)


def test_plan_map_draws_sites_in_the_palettes_site_colours(plan_data):
    """Chosen sites NHS blue, fixed ones NHS dark grey: markers and reach circles (as the print map)."""
    m = om.plan_map(plan_data, "2025", "lad", LAD, basemap="none", core20_on=False)
    markers, circles = [], []
    for child in m._children.values():
        for el in getattr(child, "_children", {}).values():
            if isinstance(el, folium.Circle):
                circles.append(el.options["color"])
            elif isinstance(el, folium.Marker) and isinstance(el.icon, folium.DivIcon):
                markers.append(el.icon.options["html"])
    chosen, fixed = palette.CHOSEN_SITE_COLOUR, palette.FIXED_SITE_COLOUR
    assert sorted(circles) == sorted([fixed, chosen, chosen])
    assert sum(f"background:{chosen};" in h for h in markers) == 2
    assert sum(f"background:{fixed};" in h for h in markers) == 1
    assert (chosen, fixed) == (om.CHOSEN_COLOUR, om.FIXED_COLOUR)


def test_plan_map_existing_sites_are_escaped_and_clustered_when_many(plan_data):
    few = om.plan_map(plan_data, "2025", "lad", LAD, basemap="none", core20_on=False,
                      existing_sites=sites_frame(5))
    html = few.get_root().render()
    assert html.count("L.circleMarker(") == 5 and "markerClusterGroup" not in html
    assert "Grey dots: existing sites" in legend_text(few)
    assert "Core20 outline" not in html
    assert_only_escaped(html)
    many = om.plan_map(plan_data, "2025", "lad", LAD, basemap="none", core20_on=False,
                       existing_sites=sites_frame(om.SITE_CLUSTER_MIN + 1))
    html = many.get_root().render()
    assert "markerClusterGroup" in html and html.count("L.circleMarker(") == om.SITE_CLUSTER_MIN + 1


def test_a_plan_in_minutes_claims_no_reach_circles_and_no_grey_dots_it_does_not_draw(plan_data):
    """A travel-time plan on a sites file (the Devon example): no circles (a reach in minutes is not a
    circle) and no existing sites of chosen types (it has none), so the legend names neither."""
    data = {**plan_data, "request": {"site_types": []},
            "siting": {**plan_data["siting"], "unit": "min", "radius": 45.0}}
    m = om.plan_map(data, "2025", "lad", LAD, basemap="none", core20_on=True, existing_sites=sites_frame(0))
    legend, html = legend_text(m), m.get_root().render()
    assert "L.circle(" not in html and "L.circleMarker(" not in html
    assert "reach circles" not in legend and "Grey dots" not in legend
    assert "Target LSOA within 45 min" in legend and "F: sites already open" in legend
    assert "reach circles" in legend_text(om.plan_map(plan_data, "2025", "lad", LAD, basemap="none",
                                                      core20_on=True))  # metres: circles, and said


def test_site_layer_skips_an_empty_frame():
    m = folium.Map()
    om.site_layer(m, sites_frame(0), "Sites")
    assert not any(isinstance(c, folium.FeatureGroup) for c in m._children.values())


def test_access_map_bands_and_nearest_site(atlas2025, hartlepool):
    sites = sites_frame(3)
    sites["easting"], sites["northing"] = 451051.0 + 100 * np.arange(3), 533115.0
    res = access.analyse(hartlepool, sites, threshold=3000)
    m = om.access_map(res, "2025", "lad", LAD, ("gp",), sites, basemap="none", core20_on=True)
    features, fills = lsoa_layer(m)
    assert len(features) == 57 and fills == [*om.BAND_COLOURS, om.NOT_TARGET]
    classes = np.array([f["properties"]["c"] for f in features])
    target = res.weights.to_numpy() > 0
    assert (classes[~target] == len(om.BAND_COLOURS)).all() and (classes[target] < len(om.BAND_COLOURS)).all()
    html = m.get_root().render()
    assert html.count("L.circleMarker(") == 3
    legend = legend_text(m)
    assert "Straight-line distance to the nearest site" in legend
    assert f"Types: {schema.SITE_TYPES['gp']}." in legend
    assert "Hartlepool" in legend
    assert_only_escaped(html)
