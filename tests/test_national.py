"""The national map asset (geometry encoding, build, freshness) and the folium layer."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from geo_core20 import schema
from geo_core20.maps import codec, national, palette, styles

UNIT_DEG = 360 / 2**codec.QUANT_BITS  # one grid unit of longitude, in degrees


# --- a tiny hand-made atlas: a 3 x 3 grid of squares near Leeds ---------------------------------

def _tiny_atlas() -> gpd.GeoDataFrame:
    """Nine LSOAs on a grid; one has a hole filled by an island LSOA, one is in two parts."""
    x0, y0, d = -1.60, 53.78, 0.01
    geoms, codes = [], []
    for r in range(3):
        for c in range(3):
            geoms.append(box(x0 + c * d, y0 + r * d, x0 + (c + 1) * d, y0 + (r + 1) * d))
            codes.append(f"E0100{r}{c}00")
    # LSOA 4 (centre) has a hole; LSOA 9 is the island in it; LSOA 0 gets a detached part
    centre = geoms[4]
    hole = box(x0 + d + 0.003, y0 + d + 0.003, x0 + d + 0.007, y0 + d + 0.007)
    geoms[4] = Polygon(centre.exterior.coords, [hole.exterior.coords[::-1]])
    geoms[0] = MultiPolygon([geoms[0], box(x0 - 0.02, y0, x0 - 0.015, y0 + 0.005)])
    geoms.append(hole)
    codes.append("E01009999")
    n = len(geoms)
    deciles = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])[:n]
    frame = pd.DataFrame({
        schema.LSOA_CODE: codes,
        schema.LSOA_NAME: [f"Leeds 0{i:02d}A" for i in range(n - 1)] + ['Tricky <b>"name"</b> & co'],
        schema.IMD_DECILE: deciles,
        schema.IMD_RANK: deciles * 3000 - 1000,
        schema.IMD_SCORE: np.round(60.0 - deciles * 5.123, 3),
        schema.POPULATION: np.arange(n) * 100 + 1200,
        schema.CORE20: deciles <= 2,
        "income_decile": (deciles % 10) + 1,
        # two NHS regions: the west column, and the rest (the asset has one file per region)
        "nhs_region_code": ["E40000001" if code[6] == "0" else "E40000002" for code in codes],
    })
    # rows deliberately not in code order: the asset sorts them
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=schema.CRS_WGS84).iloc[::-1].reset_index(drop=True)


@pytest.fixture
def tiny() -> gpd.GeoDataFrame:
    return _tiny_atlas()


# --- encoding primitives -----------------------------------------------------------------------

@pytest.mark.parametrize("signed", [False, True])
def test_varints_round_trip(signed):
    rng = np.random.default_rng(1)
    values = np.concatenate([[0, 1, 63, 64, 127, 128, 2**21, 2**35], rng.integers(0, 2**28, 500)])
    if signed:
        values = np.concatenate([values, -values, [-1, -64, -65]])
    raw = codec.varints(values, signed=signed)
    back, pos = codec.read_varints(raw + b"\x05tail", 0, len(values), signed=signed)
    assert back.tolist() == values.tolist()
    assert pos == len(raw)
    # small magnitudes cost one byte each: that is where the size saving comes from
    assert len(codec.varints(np.array([3, -3, 60, -60]), signed=True)) == 4


def test_varints_truncated_stream_is_an_error():
    raw = codec.varints(np.array([300, 5]))
    with pytest.raises(ValueError):
        codec.read_varints(raw[:1], 0, 2)


def test_units_round_trip_within_half_a_unit():
    lon = np.array([-6.4, -1.5, 0.0, 1.76])
    lat = np.array([49.9, 52.5, 51.5, 55.8])
    qx, qy = codec.to_units(lon, lat)
    lon2, lat2 = codec.from_units(qx, qy)
    assert np.abs(lon2 - lon).max() <= UNIT_DEG / 2 + 1e-12
    # a unit of latitude is smaller than one of longitude away from the equator
    assert np.abs(lat2 - lat).max() <= UNIT_DEG / 2
    assert (np.diff(qy[[0, 3]]) < 0).all()  # y grows southwards, as Leaflet's pixels do


def test_quantise_rings_drops_closing_repeats_and_collapsed_rings():
    square = box(0, 51, 0.01, 51.01)
    # a repeated vertex and a sliver hole that collapses on the grid
    tiny_hole = [(0.004, 51.004), (0.004 + 1e-7, 51.004), (0.004, 51.004 + 1e-7)]
    coords = list(square.exterior.coords)
    coords.insert(1, coords[1])
    poly = Polygon(coords, [tiny_hole])
    speck = Polygon([(1, 51), (1 + 1e-7, 51), (1, 51 + 1e-7)])  # collapses completely
    rings = codec.quantise_rings(np.array([poly, speck]))
    assert rings.rings_per_area.tolist() == [1, 1]  # hole dropped; the speck keeps its only ring
    assert rings.vertices_per_ring.tolist()[0] == 4  # closing and repeated vertices gone
    assert rings.part_start.tolist() == [True, True]


def test_outline_edges_keep_only_the_union_boundary():
    # 2 x 2 grid; the three selected squares form an L whose outline has 8 unit edges
    squares = [box(c, r, c + 1, r + 1) for r in range(2) for c in range(2)]
    rings = codec.quantise_rings(gpd.GeoSeries(squares, crs=schema.CRS_WGS84))
    flags = codec.outline_edges(rings, np.array([True, True, True, False]))
    per_ring = np.split(flags, np.cumsum(rings.vertices_per_ring)[:-1])
    # the corner square shares two edges with selected squares, the other two share one
    assert [int(f.sum()) for f in per_ring] == [2, 3, 3, 0]
    assert not codec.outline_edges(rings, np.zeros(4, dtype=bool)).any()


# --- the asset -------------------------------------------------------------------------------

def _decoded(gdf, vintage="2025") -> national.DecodedAsset:
    return national.combine([national.decode_asset(gzip.compress(raw))
                             for _, raw in national.encode_chunks(gdf, vintage)])


def test_asset_order_is_region_then_code(tiny):
    data = national._ordered(tiny)
    assert data["nhs_region_code"].is_monotonic_increasing
    for _, group in data.groupby("nhs_region_code"):
        assert group[schema.LSOA_CODE].is_monotonic_increasing
    chunks = national.encode_chunks(tiny, "2025")
    assert [key for key, _ in chunks] == ["E40000001", "E40000002"]
    heads = [national.decode_asset(raw).header for _, raw in chunks]
    assert [(h["start"], h["n"], h["total"]) for h in heads] == [(0, 3, 10), (3, 7, 10)]


def test_asset_round_trips_geometry_and_facts(tiny):
    asset = _decoded(tiny)
    data = national._ordered(tiny)
    assert asset.header["n"] == len(tiny) and asset.header["vintage"] == "2025"
    assert asset.codes == data[schema.LSOA_CODE].tolist()
    fields = asset.header["fields"]
    assert fields[schema.LSOA_NAME] == data[schema.LSOA_NAME].tolist()
    assert fields[schema.IMD_DECILE] == data[schema.IMD_DECILE].tolist()
    assert fields[schema.IMD_RANK] == data[schema.IMD_RANK].tolist()
    assert fields[schema.IMD_SCORE] == pytest.approx(data[schema.IMD_SCORE].tolist())
    assert fields[schema.POPULATION] == data[schema.POPULATION].tolist()
    assert fields[schema.CORE20] == "".join("1" if v else "0" for v in data[schema.CORE20])
    polys = asset.polygons()
    tol = UNIT_DEG  # half a unit in x and y: under one unit in any direction
    for got, want in zip(polys, data.geometry.values, strict=True):
        assert got.geom_type == want.geom_type
        assert shapely.hausdorff_distance(got, want) <= tol
        assert got.area == pytest.approx(want.area, rel=0.02)  # boxes ~100 grid units across
    # the centre square keeps its hole, so the island is not covered twice
    centre = polys[data.index[data[schema.LSOA_CODE] == "E01001100"][0]]
    assert len(centre.interiors) == 1


def test_core20_outline_flags_skip_shared_core20_edges(tiny):
    asset = _decoded(tiny)
    data = national._ordered(tiny)
    r = asset.rings
    starts = np.r_[0, np.cumsum(r.vertices_per_ring)]
    ring_at = np.r_[0, np.cumsum(r.rings_per_area)]
    flagged = [int(asset.edge_flags[starts[ring_at[i]]:starts[ring_at[i + 1]]].sum())
               for i in range(len(data))]
    core = data[schema.CORE20].to_numpy()
    assert all(f == 0 for f, c in zip(flagged, core, strict=True) if not c)
    # E01000000 (two parts) and E01000100 are Core20 and share one edge: 4+4-1 and 4-1 edges,
    # although they are in different NHS regions, so in different files
    by_code = dict(zip(data[schema.LSOA_CODE], flagged, strict=True))
    assert by_code["E01000000"] == 7
    assert by_code["E01000100"] == 3


def test_build_writes_hashed_gzip_files_once_and_rebuilds_when_data_change(tiny, tmp_path):
    path = national.build_national_assets("2025", tmp_path, tiny)
    assert path == tmp_path / "national" / "lsoa_2025.json"
    manifest = json.loads(path.read_text())
    assert manifest["lsoas"] == len(tiny)
    files = [tmp_path / "national" / c["file"] for c in manifest["chunks"]]
    assert [c["key"] for c in manifest["chunks"]] == ["E40000001", "E40000002"]
    for c, f in zip(manifest["chunks"], files, strict=True):
        assert re.fullmatch(rf"lsoa_2025_{c['key']}_[0-9a-f]{{12}}\.bin\.gz", f.name)
        assert f.read_bytes()[:2] == b"\x1f\x8b" and f.stat().st_size == c["bytes"]
    codes = national._ordered(tiny)[schema.LSOA_CODE].tolist()
    assert national.read_assets(manifest, tmp_path).codes == codes
    mtimes = [f.stat().st_mtime_ns for f in files]
    assert national.build_national_assets("2025", tmp_path, tiny) == path
    assert [f.stat().st_mtime_ns for f in files] == mtimes  # no-op while the atlas is unchanged
    changed = tiny.copy()
    changed.loc[changed[schema.LSOA_CODE] == "E01000000", schema.IMD_RANK] += 1
    national.build_national_assets("2025", tmp_path, changed)
    newer = json.loads(path.read_text())
    # only the file of the region that changed gets a new name; the stale one is removed
    assert newer["chunks"][0]["file"] != manifest["chunks"][0]["file"]
    assert newer["chunks"][1]["file"] == manifest["chunks"][1]["file"]
    assert not files[0].exists() and files[1].exists()
    assert national.current_asset(tmp_path, "2025", tiny) is None
    assert national.current_asset(tmp_path, "2025", changed) == newer


def test_streamlit_serves_the_asset_as_is():
    """application/gzip: Streamlit neither recompresses it per request nor marks it encoded."""
    from streamlit.web.server.component_file_utils import guess_content_type

    assert guess_content_type("/x/national/lsoa_2025_E40000003_0123456789ab.bin.gz") == "application/gzip"


# --- classes and the folium layer -------------------------------------------------------------

@pytest.mark.parametrize("shade", ["imd_decile", "income_decile", "imd_score"])
def test_class_string_matches_styles(tiny, shade):
    classes = styles.classes_for(shade, tiny)
    text = national.class_string(tiny, classes, shade)
    data = national._ordered(tiny)
    expected = classes.find_bin(data[shade])
    assert [national.CLASS_CHARS.index(ch) for ch in text] == expected.tolist()


def test_class_string_hides_lsoas_outside_the_area_and_marks_missing(tiny):
    data = tiny.copy()
    data[schema.IMD_DECILE] = data[schema.IMD_DECILE].astype(float)
    data.loc[data[schema.LSOA_CODE] == "E01000200", schema.IMD_DECILE] = np.nan
    classes = styles.classes_for(schema.IMD_DECILE)
    keep = ["E01000000", "E01000200"]
    text = national.class_string(data, classes, schema.IMD_DECILE, keep)
    codes = national._ordered(data)[schema.LSOA_CODE].tolist()
    by_code = dict(zip(codes, text, strict=True))
    assert by_code["E01000000"] == "0"  # decile 1 -> class 0 (darkest)
    assert by_code["E01000200"] == national.CLASS_CHARS[len(classes.colours)]  # no-data class
    assert all(by_code[c] == national.HIDDEN_CHAR for c in codes if c not in keep)


def test_add_national_layer_sends_classes_not_geometry(tiny, tmp_path):
    m = folium.Map(tiles=None)
    layer = national.add_national_layer(m, tiny, "2025", "income_decile", static_dir=tmp_path,
                                        name="LSOAs </script><b>")
    folium.LayerControl().add_to(m)
    html = m.get_root().render()
    manifest = json.loads((tmp_path / "national" / "lsoa_2025.json").read_text())
    urls = [f"/app/static/national/{c['file']}" for c in manifest["chunks"]]
    src = layer.options["src"]
    assert src["total"] == len(tiny)
    assert [c["url"] for c in src["chunks"]] == urls and all(c["needed"] for c in src["chunks"])
    head = html.split("</head>")[0]
    assert "window.__gc20Prefetch" in head and all(json.dumps(url) in head for url in urls)
    assert layer.options["classes"] == national.class_string(
        tiny, styles.classes_for("income_decile", tiny), "income_decile")
    assert layer.options["palette"][:10] == list(palette.DECILE_COLOURS)
    # tooltip rows as the ICB view's, plus the shaded domain
    keys = [f[0] for f in layer.options["tooltipFields"]]
    assert keys[:7] == ["lsoa_code", "lsoa_name", "imd_decile", "imd_rank", "imd_score", "population",
                        "core20"]
    assert keys[-1] == "income_decile"
    # no coordinates and no names in the page: they live in the cached asset
    assert "Leeds 000A" not in html and "-1.6" not in html.split("geoCore20National.create(")[1][:5000]
    # no user text can close the script; names in the layer control are escaped
    assert "</script><b>" not in html
    assert layer.layer_name == "LSOAs &lt;/script&gt;&lt;b&gt;"
    assert '"LSOAs \\u0026lt;/script\\u0026gt;' in html  # the layer control lists it, escaped
    assert not re.search(r'(src|href)="(https?:)?//', html.split("geoCore20National.create(")[1])


def test_an_area_fetches_only_its_regions_file(tiny, tmp_path):
    m = folium.Map(tiles=None)
    layer = national.add_national_layer(m, tiny, "2025", "imd_decile", True, ["E01000100", "E01000200"],
                                        static_dir=tmp_path)
    chunks = layer.options["src"]["chunks"]
    assert [c["needed"] for c in chunks] == [False, True]
    head = m.get_root().render().split("</head>")[0]
    assert chunks[1]["url"] in head and chunks[0]["url"] not in head  # prefetched: only what is drawn


def test_add_national_layer_inline_geometry_for_exports(tiny, tmp_path):
    import base64

    m = folium.Map(tiles=None)
    layer = national.add_national_layer(m, tiny, "2025", "imd_decile", True, ["E01000100"],
                                        static_dir=tmp_path, inline_geometry=True)
    chunks = layer.options["src"]["chunks"]
    assert all("url" not in c for c in chunks)
    assert "data" not in chunks[0]  # not drawn: not embedded
    decoded = national.decode_asset(base64.b64decode(chunks[1]["data"]))
    assert decoded.header["start"] == 3 and "E01000100" in decoded.codes
    assert "__gc20Prefetch" not in m.get_root().render().split("</head>")[0]


def test_options_json_cannot_break_out_of_the_script(tiny, tmp_path):
    data = tiny.copy()
    m = folium.Map(tiles=None)
    national.add_national_layer(m, data, "2025", "imd_decile", static_dir=tmp_path)
    script = m.get_root().render()
    # the renderer library is inlined; it and the options never contain a closing tag
    body = script.split("window.geoCore20National.create(")[1].split(");")[0]
    assert "</" not in body
    assert "</" not in national.renderer_js()


# --- the real atlases ---------------------------------------------------------------------------

@pytest.mark.parametrize("vintage", ["2025", "2019"])
def test_real_asset_holds_every_lsoa_and_its_facts(vintage, request, tmp_path):
    gdf = request.getfixturevalue(f"atlas{vintage}")
    manifest = json.loads(national.build_national_assets(vintage, tmp_path, gdf).read_text())
    assert manifest["bytes"] < 2_000_000  # the page budget is 3 MB in all
    assert len(manifest["chunks"]) == gdf["nhs_region_code"].nunique() == 7
    asset = national.read_assets(manifest, tmp_path)
    data = national._ordered(gdf)
    assert asset.header["n"] == schema.LSOA_COUNT[vintage] == len(set(asset.codes))
    assert asset.codes == data[schema.LSOA_CODE].tolist()
    assert (asset.rings.rings_per_area >= 1).all()
    fields = asset.header["fields"]
    for col in (schema.IMD_DECILE, schema.IMD_RANK, schema.POPULATION):
        assert fields[col] == data[col].astype(int).tolist(), col
    assert fields[schema.CORE20] == "".join(np.where(data[schema.CORE20], "1", "0"))
    # every decoded vertex lies within a grid unit of the LSOA's true boundary
    polys = asset.polygons()
    lon, lat = codec.from_units(asset.rings.qx, asset.rings.qy)
    owner = np.repeat(asset.rings.ring_area, asset.rings.vertices_per_ring)
    dist = shapely.distance(shapely.points(lon, lat), shapely.boundary(data.geometry.values)[owner])
    assert dist.max() <= UNIT_DEG
    # and the shapes keep their area (a 3 m grid moves the sides of the smallest urban
    # LSOAs, ~100 m across, by a few per cent at most)
    rel = np.abs(shapely.area(polys) / shapely.area(data.geometry.values) - 1)
    assert np.quantile(rel, 0.99) < 0.01
    assert rel.max() < 0.25  # the worst: an LSOA that loses a sliver of a few metres


def test_real_classes_match_the_atlas_for_every_shading(atlas2025):
    data = national._ordered(atlas2025)
    for shade in styles.SHADINGS:
        classes = styles.classes_for(shade, atlas2025)
        text = national.class_string(atlas2025, classes, shade)
        idx = np.frombuffer(text.encode(), dtype=np.uint8)
        lookup = np.full(256, -1)
        chars = np.frombuffer(national.CLASS_CHARS.encode(), dtype=np.uint8)
        lookup[chars] = np.arange(len(chars))
        got = lookup[idx]
        want = classes.find_bin(data[shade])
        want = np.where(want < 0, len(classes.colours), want)
        assert (got == want).all(), shade
    region = atlas2025.loc[atlas2025["nhs_region_code"] == "E40000003", schema.LSOA_CODE].tolist()
    text = national.class_string(atlas2025, styles.classes_for("imd_decile"), "imd_decile", region)
    assert len(text) - text.count(national.HIDDEN_CHAR) == len(region)


def test_the_streamlit_page_preloads_the_scripts_and_decodes_the_geometry_beside_the_map(tiny, tmp_path,
                                                                                          monkeypatch):
    """Issue 22 (England view): the map's iframe asks for Leaflet and the geometry only once its own
    code has loaded; the page preloads the scripts with the legend beside the map (relative URLs, a
    script request as the iframe makes it) and starts fetching and decoding the geometry of the regions
    drawn (none inline) in a worker, from a script of its own (``national.page_prefetch``). All as ``st.html``
    (no HTML in Markdown, whose parser a first visit would load for the legend): the legend sanitised by
    Streamlit, our scripts in an element of their own with JavaScript allowed."""
    from geo_core20.maps import choropleth, classify
    from geo_core20.ui import map_display

    def shown(inline: bool) -> tuple[map_display.CachedMap, list[tuple[str, dict]]]:
        m = choropleth.base_map((-1.6, 53.78, -1.57, 53.81))
        national.add_national_layer(m, tiny, "2025", "imd_decile", True, ["E01000100"], static_dir=tmp_path,
                                    inline_geometry=inline)
        choropleth.finish_map(m, classify.legend("x", ["#440154"], ["a"], [1]))
        cached = map_display.prepare(m)
        html: list[tuple[str, dict]] = []

        class Beside:  # the legend's container: st.html only (no st.markdown here)
            def html(self, body: str, **kwargs) -> None:
                html.append((body, kwargs))

        map_display.show_map(cached, key="m", legend_in=Beside())
        return cached, html

    monkeypatch.setattr(map_display, "_component_func", lambda **kw: None)
    cached, html = shown(inline=False)
    chunks = json.loads((tmp_path / "national" / "lsoa_2025.json").read_text())["chunks"]
    by_start = sorted(chunks, key=lambda c: c["start"])
    drawn, other = (f"/app/static/national/{c['file']}" for c in by_start[::-1])
    assert drawn in cached.rendered.preload and other not in cached.rendered.preload
    legend = classify.legend_html(cached.legend)
    assert len(html) == 2 and html[0] == (legend, {})  # the legend first, sanitised (no JavaScript)
    assert html[1][1] == {"unsafe_allow_javascript": True} and "gc20-legend" not in html[1][0]
    beside = html[1][0]  # then our scripts
    scripts = [u for u in cached.rendered.js_links if u.endswith(".js")]
    # the scripts preloaded by a script of ours (st.html drops <link> tags), by relative URLs
    assert scripts and beside.count(map_display.preload_script(scripts)) == 1
    assert json.dumps([u[1:] for u in scripts]) in beside
    hostile = map_display.preload_script(['/a/"x</script><b>.js'])
    assert hostile.count("</script>") == 1 and hostile.endswith("</script>")  # cannot break out
    assert r'["a/\"x<\/script><b>.js"]' in hostile  # the URL, relative, as a JSON string
    assert map_display.preload_script([]) == ""
    # the geometry: one script of our own, run by the page (st.html with JavaScript), the drawn region's
    # file only, by a relative URL
    assert beside.endswith(national.page_prefetch([drawn])) and beside.count("<script") == 2
    assert json.dumps([drawn[1:]]) in beside and other[1:] not in beside

    cached, html = shown(inline=True)  # a standalone map fetches nothing
    assert not any(u.endswith(".bin.gz") for u in cached.rendered.preload)
    assert html[0] == (classify.legend_html(cached.legend), {})
    assert len(html) == 2 and ".bin.gz" not in html[1][0] and "__gc20Jobs" not in html[1][0]
    assert html[1][0].count("<script") == 1  # the scripts' preload only: no decoder


def test_page_prefetch_is_the_renderers_own_decoder_and_cannot_break_out_of_its_script():
    js = (Path(national.__file__).with_name("templates") / "national_renderer.js").read_text(encoding="utf-8")
    script = national.page_prefetch(["/app/static/national/a</script><b>.bin.gz"])
    assert script.startswith("<script>") and script.endswith("</script>")
    assert script.count("</") == 1  # only its own end tag
    assert national.decoder_js().strip() and national.decoder_js() in js  # one source for both
    for name in ("function decode(", "function gunzip(", "function startDecoder("):
        assert name in national.decoder_js()
    assert national.page_prefetch([]) == ""
