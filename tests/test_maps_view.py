"""Building the map of a view from the real atlas (renderer choice behind one call)."""

from __future__ import annotations

import re

import pytest
import shapely

from geo_core20 import areas, schema
from geo_core20.maps import assets, choropleth, export, national, styles, view

ICB = "E54000008"  # NHS Cheshire and Merseyside ICB


def _national_layer(vm) -> national.NationalLayer:
    layers = [c for c in vm.map._children.values() if isinstance(c, national.NationalLayer)]
    assert len(layers) == 1
    return layers[0]


def _shown_codes(atlas_gdf, layer: national.NationalLayer) -> list[str]:
    """The LSOA codes the browser layer is told to draw (class string: one char per LSOA)."""
    classes = layer.options["classes"]
    codes = atlas_gdf[schema.LSOA_CODE].to_numpy()[national.asset_order(atlas_gdf)]
    assert len(classes) == len(codes)
    return [code for code, ch in zip(codes, classes, strict=True) if ch != national.HIDDEN_CHAR]


def test_icb_view_draws_exactly_its_lsoas_with_the_national_renderer(atlas2025):
    vm = view.build_view_map("2025", "icb", ICB, schema.IMD_DECILE)
    chosen = areas.select(atlas2025, "icb", ICB)
    assert vm.renderer == "national" and vm.n_lsoas == len(chosen) == 1601
    layer = _national_layer(vm)
    shown = _shown_codes(atlas2025, layer)
    assert sorted(shown) == sorted(chosen[schema.LSOA_CODE])
    # each LSOA's class is its IMD decile (class k = decile k + 1)
    decile = chosen.set_index(schema.LSOA_CODE)[schema.IMD_DECILE]
    codes = atlas2025[schema.LSOA_CODE].to_numpy()[national.asset_order(atlas2025)]
    by_code = dict(zip(codes, layer.options["classes"], strict=True))
    assert all(national.CLASS_CHARS.index(by_code[c]) == int(decile[c]) - 1 for c in shown)
    # only the ICB's NHS region file is fetched, and the ICB look draws the full Core20 outline
    needed = [c for c in layer.options["src"]["chunks"] if c["needed"]]
    assert [c["key"] for c in needed] == [str(chosen[national.CHUNK_COLUMN].iloc[0])]
    assert layer.options["core20Outline"] and layer.options["edgeZoom"] == 0
    # the Core20 outline is thin and zoom-dependent, so small urban LSOAs keep their fill
    steps = layer.options["core20Steps"]
    assert steps == [list(step) for step in national.LOOK.core20_steps] and len(steps) >= 2
    assert [z for z, _, _ in steps] == sorted(z for z, _, _ in steps)
    assert max(w for _, w, _ in steps) <= 1.5 and max(w + h for _, w, h in steps) <= 2.5
    assert sum(e.count for e in vm.legend.entries) == len(chosen)
    assert vm.area_name == areas.area_name(atlas2025, "icb", ICB)
    html = vm.map.get_root().render()
    assert f"{vm.area_name} boundary" in html and "Surrounding areas" in html
    assert "gc20-lsoa" not in html, "no per-LSOA SVG paths"
    assert assets.external_urls(vm.map) == []
    # the legend goes beside the map, with the counts; scrolling the page does not zoom the map
    assert "gc20-legend" not in html and choropleth.legend_of(vm.map) is vm.legend
    assert '"scrollWheelZoom": false' in html and "scrollWheelZoom.enable()" in html


def test_large_extents_use_the_fast_renderer(atlas2025):
    vm = view.build_view_map("2025", "england", None, schema.IMD_DECILE)
    assert vm.renderer == "national"
    assert vm.n_lsoas == len(atlas2025)
    html = vm.map.get_root().render()
    assert len(html) < 4_000_000, "the England page must stay light enough for a browser"
    assert "gc20-lsoa" not in html
    assert sum(e.count for e in vm.legend.entries) == len(atlas2025)


def test_shading_by_score_uses_national_breaks(atlas2025):
    vm = view.build_view_map("2025", "lad", "E08000003", schema.IMD_SCORE)
    classes = styles.classes_for(schema.IMD_SCORE, atlas2025)
    assert [e.label for e in vm.legend.entries] == list(classes.labels)
    assert "natural breaks" in " ".join(vm.legend.notes)


def test_area_outlines_are_clean_dissolves(atlas2025):
    outlines = view.level_outlines("2025", "icb")
    assert len(outlines) == atlas2025["icb_code"].nunique() == 42
    assert shapely.is_valid(outlines.values).all()
    icb = outlines[ICB]
    # the dissolve of a contiguous ICB has no sliver holes along internal LSOA edges
    holes = sum(shapely.get_num_interior_rings(shapely.get_parts(icb)))
    assert holes <= 2


def test_lsoa_table_matches_the_area(atlas2025):
    table = view.lsoa_table("2025", "icb", ICB)
    chosen = areas.select(atlas2025, "icb", ICB)
    assert set(table[schema.LSOA_CODE]) == set(chosen[schema.LSOA_CODE])
    assert table[schema.IMD_RANK].is_monotonic_increasing
    assert int(table[schema.CORE20].sum()) == int(chosen[schema.CORE20].sum())


def test_attribution_covers_every_input(atlas2025):
    lines = view.attribution_lines("2025")
    assert any("Indices of Deprivation 2025" in line for line in lines)
    assert any("Crown copyright" in line for line in lines)


@pytest.mark.skipif(not assets.is_installed(), reason="map assets not installed: python -m geo_core20 assets")
def test_standalone_map_html_is_self_contained(atlas2025):
    vm = view.build_view_map("2025", "lad", "E08000003", schema.IMD_DECILE, standalone=True)
    html = export.map_html(vm, view.attribution_lines("2025"))
    assert assets.STATIC_URL not in html
    assert not re.search(r'<(script|link)[^>]+(src|href)="', html)
    assert "<title>Core20 map: Manchester" in html and "Attribution:" in html
    # the legend and the sources sit in a side panel next to the map, not inside its container
    body = html.split("<body", 1)[1]
    panel = body.split('<aside class="gc20-panel"', 1)[1].split("</aside>", 1)[0]
    assert html.count('class="gc20-legend"') == 1 and 'class="gc20-legend"' in panel
    assert "1 (most deprived 10%)" in panel and "Crown copyright" in panel
    assert body.index("<aside") < body.index('class="folium-map"'), "panel outside the map's div"
    # the geometry of Manchester's NHS region is inline (base64), the other regions' not at all
    chunks = _national_layer(vm).options["src"]["chunks"]
    assert vm.renderer == "national" and sum(1 for c in chunks if c.get("data")) == 1
    assert all(bool(c.get("data")) == c["needed"] for c in chunks)
