"""Building the map of a view from the real atlas (renderer choice behind one call)."""

from __future__ import annotations

import re

import pytest
import shapely

from geo_core20 import areas, schema
from geo_core20.maps import assets, export, national, styles, view

ICB = "E54000008"  # NHS Cheshire and Merseyside ICB


def _svg_features(vm) -> int:
    from geo_core20.maps.choropleth import BoundedGeoJson

    layers = [c for c in vm.map._children.values()
              if isinstance(c, BoundedGeoJson) and c.options.get("className") == "gc20-lsoa"]
    assert len(layers) == 1
    return len(layers[0].data["features"])


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
    assert layer.options["core20Steps"] == [[0, *national.LOOK.core20_steps[-1][1:]]]
    assert sum(e.count for e in vm.legend.entries) == len(chosen)
    assert vm.area_name == areas.area_name(atlas2025, "icb", ICB)
    html = vm.map.get_root().render()
    assert f"{vm.area_name} boundary" in html and "Surrounding areas" in html
    assert "gc20-lsoa" not in html, "no per-LSOA SVG paths"
    assert assets.external_urls(vm.map) == []


def test_svg_fallback_still_draws_every_lsoa(atlas2025):
    vm = view.build_view_map("2025", "icb", ICB, schema.IMD_DECILE, force_renderer="svg")
    expected = len(areas.select(atlas2025, "icb", ICB))
    assert vm.renderer == "svg" and vm.n_lsoas == expected == _svg_features(vm)
    assert sum(e.count for e in vm.legend.entries) == expected


def test_every_small_area_fits_the_svg_fallback(atlas2025):
    biggest = max(areas.summary(atlas2025, lv)["lsoas"].max() for lv in ("icb", "sub_icb", "lad"))
    assert biggest <= view.SVG_MAX_LSOAS


def test_large_extents_use_the_fast_renderer(atlas2025):
    vm = view.build_view_map("2025", "england", None, schema.IMD_DECILE)
    assert vm.renderer in ("national", "canvas")
    assert vm.n_lsoas == len(atlas2025)
    html = vm.map.get_root().render()
    assert len(html) < 4_000_000, "the England page must stay light enough for a browser"
    assert "gc20-lsoa" not in html or vm.renderer == "canvas"


def test_canvas_fallback_for_a_region(atlas2025):
    vm = view.build_view_map("2025", "region", "E12000007", schema.IMD_DECILE, force_renderer="canvas")
    assert vm.renderer == "canvas" and vm.n_lsoas == (atlas2025["region_code"] == "E12000007").sum()
    html = vm.map.get_root().render()
    assert html.count('"code":"E01') == vm.n_lsoas


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
    # the geometry of Manchester's NHS region is inline (base64), the other regions' not at all
    chunks = _national_layer(vm).options["src"]["chunks"]
    assert vm.renderer == "national" and sum(1 for c in chunks if c.get("data")) == 1
    assert all(bool(c.get("data")) == c["needed"] for c in chunks)
