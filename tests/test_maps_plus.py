"""PLUS layers maps built from the real atlas: features, classes, legends, outlines and escaping."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from map_checks import HOSTILE, assert_only_escaped, assert_reads_as_a_user_would, legend_text, lsoa_layer

from geo_core20 import hotspots, plus, schema
from geo_core20.maps import palette, view
from geo_core20.maps import plus_maps as pm
from geo_core20.maps.lsoa_layer import lsoa_map

LAD = "E06000001"  # Hartlepool: 57 LSOAs, coastal, 30 of them Core20


@pytest.fixture(scope="module")
def hartlepool(atlas2025):
    return atlas2025[atlas2025["lad_code"] == LAD]


def test_core_module_does_not_import_streamlit():
    code = "import sys, geo_core20.maps.plus_maps; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_legend_drops_empty_notes_and_pairs_counts():
    lgd = pm.legend("T", ["#000", "#fff"], ["a", "b"], [3, 4], notes=("", "note"), core20=True, area_name="X")
    assert [(e.colour, e.label, e.count) for e in lgd.entries] == [("#000", "a", 3), ("#fff", "b", 4)]
    assert lgd.notes == ("note",) and lgd.core20_outline and lgd.area_name == "X"
    assert all(e.count is None for e in pm.legend("T", ["#000"], ["a"]).entries)
    with pytest.raises(ValueError):
        pm.legend("T", ["#000", "#fff"], ["a"])


def test_lsoa_props_escape_every_field(hartlepool):
    sub = hartlepool.head(2).assign(lsoa_name=[HOSTILE, "Plain"])
    props = pm.lsoa_props(sub, value=[HOSTILE, "1"])
    assert props["name"].tolist() == ["&lt;script&gt;alert(1)&lt;/script&gt;", "Plain"]
    assert props["value"].iloc[0] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert props["code"].tolist() == hartlepool[schema.LSOA_CODE].head(2).tolist()


def test_lsoa_layer_map_with_points_escapes_labels_and_draws_outlines(hartlepool):
    n = len(hartlepool)
    vals = np.arange(n) % 3
    props = pm.lsoa_props(hartlepool, value=[HOSTILE if i == 0 else str(v) for i, v in enumerate(vals)])
    counts = [int((vals == i).sum()) for i in range(3)]
    lgd = pm.legend("Uploaded", ["#a", "#b", "#c"], ["0", "1", "2"], counts, core20=True,
                    area_name="Hartlepool")
    first = hartlepool.iloc[0]
    points = pd.DataFrame({"row": [2, 3], "lon": [first["pwc_lon"]] * 2, "lat": [first["pwc_lat"]] * 2,
                           schema.LSOA_CODE: [first[schema.LSOA_CODE]] * 2, "venue": [HOSTILE, "Hall"]})
    vd = view.view_data("2025", "lad", LAD)
    rows = [("code", "LSOA"), ("name", "Name"), ("value", "Venues")]
    m = lsoa_map(vd, props, vals, ["#a", "#b", "#c"], rows, name="Venues", legend=lgd, basemap="none",
                 core20_on=True, points=points, point_label="venue")
    features, fills = lsoa_layer(m)
    assert len(features) == n == 57 and fills == ["#a", "#b", "#c"]
    assert [f["properties"]["c"] for f in features] == vals.tolist()
    html = m.get_root().render()
    assert html.count("L.circleMarker(") == 2
    assert "Core20 outline" in html and "Hartlepool boundary" in html
    assert "Uploaded" in legend_text(m)
    assert_only_escaped(html)
    no_core20 = lsoa_map(vd, props, vals, ["#a", "#b", "#c"], [("code", "LSOA")], name="Venues",
                         legend=lgd, basemap="none", core20_on=False).get_root().render()
    assert "Core20 outline" not in no_core20 and "L.circleMarker(" not in no_core20


def test_target_map_classes_match_the_target(hartlepool):
    spec = plus.TargetSpec("core20", "and", (plus.Condition("coastal"),))
    result = plus.evaluate(spec, hartlepool, {})
    m = pm.target_map("2025", "lad", LAD, result, "none", core20_on=True)
    features, fills = lsoa_layer(m)
    assert len(features) == 57
    inside = (hartlepool[schema.CORE20] & hartlepool[schema.COASTAL]).to_numpy()
    assert 0 < inside.sum() < 57
    assert [f["properties"]["c"] for f in features] == np.where(inside, 0, 1).tolist()
    assert fills == [pm.TARGET_COLOURS[True], pm.TARGET_COLOURS[False]]
    legend = legend_text(m)
    assert "Core20PLUS target" in legend and "In the target" in legend and "Hartlepool" in legend
    n_in = int(inside.sum())
    muted = palette.TEXT_MUTED
    assert f'In the target <span class="gc20-count" style="color:{muted}">({n_in:,})' in legend
    assert f'Not in the target <span class="gc20-count" style="color:{muted}">({57 - n_in:,})' in legend


def test_indicator_map_lsoa_and_local_authority_levels(atlas2025, hartlepool):
    m, table = pm.indicator_map("2025", "lad", LAD, "coastal_core20", "none", False)
    features, _ = lsoa_layer(m)
    assert len(features) == len(table) == 57
    assert "Shown per LSOA: 57 in view." in legend_text(m)
    m, table = pm.indicator_map("2025", "lad", LAD, "homeless_per_1000", "none", True,
                                national=plus.values(atlas2025, "homeless_per_1000"))
    features, _ = lsoa_layer(m)
    assert len(features) == len(table) == 1
    assert features[0]["properties"]["name"] == "Hartlepool"
    html = m.get_root().render()
    assert "Shown per local authority: 1 in view." in legend_text(m) and "Core20 outline" in html


def test_hotspot_map_legend_counts_every_lsoa(hartlepool):
    result = hotspots.gi_star(hartlepool, plus.values(hartlepool, "imd_score").astype(float), permutations=99,
                              seed=1)
    m = pm.hotspot_map("2025", "lad", LAD, result, HOSTILE, "none", core20_on=False)
    features, fills = lsoa_layer(m)
    assert len(features) == 57 and fills == [pm.HOTSPOT_COLOURS[c] for c in hotspots.CLASS_ORDER]
    codes = pd.Categorical(result.frame["hotspot"], categories=list(hotspots.CLASS_ORDER)).codes
    assert [f["properties"]["c"] for f in features] == codes.tolist()
    html = m.get_root().render()
    assert "FDR-adjusted (Benjamini-Hochberg)." in legend_text(m)
    assert "<script>alert" not in html
    assert_only_escaped(legend_text(m))  # the indicator label reaches the legend title escaped


def _outline_styles(m, name: str) -> list[dict]:
    """Style of each line layer in the map's outline group called ``name``."""
    group = next(c for c in m._children.values() if getattr(c, "layer_name", "") == name)
    return [layer.style_function({}) for layer in group._children.values()]


def test_small_target_lsoas_stay_visible_in_cornwall(atlas2025):
    icb = "E54000036"  # Cornwall and the Isles of Scilly: the four target LSOAs of issue 9
    area = atlas2025[atlas2025["icb_code"] == icb]
    spec = plus.TargetSpec("core20", "and", (plus.Condition("coastal"),
                                             plus.Condition("indicator", "ethnic_minority", "ge", 90,
                                                            percentile=True)))
    result = plus.evaluate(spec, area)
    assert result.summary["lsoas"] == 4
    m = pm.target_map("2025", "icb", icb, result, "none", core20_on=True)
    features, fills = lsoa_layer(m)
    assert sum(f["properties"]["c"] == 0 for f in features) == 4
    layer = next(c for c in m._children.values() if c.__class__.__name__ == "ClassedLsoaLayer")
    assert layer.fill_opacity >= 0.9
    # the Core20 outline is a thin line on a thin halo, never filled
    core20 = _outline_styles(m, "Core20 outline (IMD deciles 1-2)")
    assert max(s["weight"] for s in core20) <= 2.5 and min(s["weight"] for s in core20) <= 1.5
    assert all(s["fill"] is False for s in core20)
    # the target LSOAs are outlined in their own colour above it, so a few pixels still show
    names = [getattr(c, "layer_name", "") for c in m._children.values()]
    assert names.index("Core20PLUS target: outlined") > names.index("Core20 outline (IMD deciles 1-2)")
    assert names.index("Core20PLUS target: outlined") > names.index(
        "NHS Cornwall and the Isles of Scilly Integrated Care Board boundary"), "above the coastline too"
    (target,) = _outline_styles(m, "Core20PLUS target: outlined")
    assert target["color"] == pm.TARGET_COLOURS[True] and target["fill"] is False and target["weight"] >= 2
    assert "outlined in their colour" in legend_text(m)
    assert_reads_as_a_user_would(m)


def test_coastal_core20_lsoas_are_outlined_too():
    m, _ = pm.indicator_map("2025", "lad", LAD, "coastal_core20", "none", True)
    (flagged,) = _outline_styles(m, "Coastal Core20 (coastal and national IMD deciles 1-2) (LSOA): outlined")
    assert flagged["color"] == pm.FLAG_COLOURS[True] and flagged["fill"] is False
    assert_reads_as_a_user_would(m)
