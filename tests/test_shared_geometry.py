"""Issue 22, item 5: a PLUS layer (or hot-spot) change sends only the new classes, colours and tooltip
values to the map already in the browser; the polygons, the Core20 outline and the area boundary
come from a static file the browser fetched once (maps.shared_geometry) and are never sent again."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apptests import PLUS_PAGE, ok, open_page, shown_legends
from map_checks import HOSTILE, assert_only_escaped

from geo_core20 import plus, schema
from geo_core20.maps import assets, choropleth, classify, palette, shared_geometry, view
from geo_core20.maps import plus_maps as pm
from geo_core20.maps.lsoa_layer import lsoa_map
from geo_core20.ui import map_display

LAD = "E06000001"  # Hartlepool: 57 LSOAs, coastal
GEOMETRY = '"coordinates"'  # what every GeoJSON polygon carries, and nothing else on the page does


@pytest.fixture
def static(tmp_path, monkeypatch):
    """The app's static folder, in a temp folder; shared geometry on (as the app runs)."""
    monkeypatch.setattr(assets, "STATIC_DIR", tmp_path)
    monkeypatch.delenv(map_display.REBUILD_ENV, raising=False)
    monkeypatch.delenv(map_display.INLINE_ENV, raising=False)
    return tmp_path


def _file(url: str, static_dir: Path | None = None) -> dict:
    """The shared file behind ``url`` (its uncompressed twin), parsed."""
    rel = url[len(assets.STATIC_URL) + 1:].removesuffix(".gz")
    return json.loads((Path(static_dir or assets.STATIC_DIR) / rel).read_text(encoding="utf-8"))


def _urls(script: str) -> list[str]:
    return sorted(set(re.findall(r'gc20Shared\.load\("([^"]+)"\)', script)))


def _indicator(layer: str):
    return pm.indicator_map("2025", "lad", LAD, layer, "none", True)[0]


def test_a_new_layer_sends_classes_and_values_not_the_polygons(atlas2025, static, monkeypatch):
    coastal, disability = (map_display.render_map(_indicator(i)) for i in ("coastal_core20", "disability"))
    assert coastal.component_key("m") == disability.component_key("m")  # the same map, kept
    for r in (coastal, disability):
        assert GEOMETRY not in r.base and GEOMETRY not in r.layers, "polygons sent in the script"
        assert "L.geoJson(" in r.layers and "window.gc20Pending" in r.layers
    # both layers draw the same LSOA polygons, Core20 outline and boundary (three files); the coastal
    # layer also outlines its 'Yes' LSOAs (a file of its own)
    assert len(_urls(disability.layers)) == 3 and set(_urls(disability.layers)) < set(_urls(coastal.layers))
    files = [_file(u) for u in _urls(disability.layers)]
    lsoas = next(f for f in files if len(f["features"]) > 1)
    area = atlas2025[atlas2025["lad_code"] == LAD]
    assert sorted(f["properties"]["code"] for f in lsoas["features"]) == sorted(area[schema.LSOA_CODE])
    assert all(GEOMETRY not in json.dumps(f["properties"]) for f in lsoas["features"])
    # what a layer change sends: the new values (and classes), in the order of the shared features
    vals = plus.values(view.view_data("2025", "lad", LAD).frame, "disability")
    shown = plus.format_value(plus.get("disability"), vals.iloc[0])
    assert shown in disability.layers and shown not in coastal.layers

    monkeypatch.setenv(map_display.INLINE_ENV, "1")  # the same map as before shared geometry
    inline = map_display.render_map(_indicator("disability"))
    assert GEOMETRY in inline.layers and "gc20Shared" not in inline.layers
    assert len(disability.layers) < len(inline.layers) / 2, (len(disability.layers), len(inline.layers))


def test_the_shared_file_holds_what_the_inline_layer_did(atlas2025, static):
    """The same polygons, codes and names; the map's own fields (class, value) travel with the layer."""
    m = _indicator("disability")
    features = json.loads(next(c for c in m._children.values()
                               if isinstance(c, choropleth.ClassedLsoaLayer)).data_js)["features"]
    rendered = map_display.render_map(m)
    layer = next(c for c in m._children.values() if isinstance(c, choropleth.ClassedLsoaLayer))
    shared = _file(layer.shared_url)["features"]
    own = json.loads(layer.own_js)
    assert [f["geometry"] for f in shared] == [f["geometry"] for f in features]
    assert [f["properties"] for f in shared] == [{"code": f["properties"]["code"],
                                                  "name": f["properties"]["name"]} for f in features]
    assert own["keys"] == [k for k in features[0]["properties"] if k not in ("code", "name")]
    assert "c" in own["keys"] and "value" in own["keys"]
    assert own["rows"] == [[f["properties"][k] for k in own["keys"]] for f in features]
    assert layer.shared_url in rendered.layers


def test_shared_tooltips_stay_escaped(atlas2025, static):
    vd = view.view_data("2025", "lad", LAD)
    n = len(vd.frame)
    props = pm.lsoa_props(vd.frame, v=[HOSTILE] * n)
    props["name"] = pm.escaped([HOSTILE] * n)
    colours = list(palette.FLAG_COLOURS)
    lgd = classify.legend("x", colours, ["a", "b"], [n, 0])
    rows = [("code", "LSOA"), ("name", "Name"), ("v", "Value")]
    m = lsoa_map(vd, props, np.zeros(n, dtype=int), colours, rows,
                 name=f"Layer {HOSTILE}", legend=lgd, basemap="none", core20_on=True)
    rendered = map_display.render_map(m)
    assert_only_escaped(rendered.script)
    layer = next(c for c in m._children.values() if isinstance(c, choropleth.ClassedLsoaLayer))
    assert_only_escaped((Path(assets.STATIC_DIR) / layer.shared_url[len(assets.STATIC_URL) + 1:]
                         .removesuffix(".gz")).read_text(encoding="utf-8"))


def test_exports_and_the_rebuild_flag_keep_the_polygons_inline(atlas2025, static, monkeypatch):
    html = _indicator("disability").get_root().render()  # a standalone page (HTML download) stays whole
    assert GEOMETRY in html and "gc20Shared" not in html
    monkeypatch.setenv(map_display.REBUILD_ENV, "1")
    assert GEOMETRY in map_display.render_map(_indicator("disability")).layers


def test_the_browser_joins_the_shared_features_with_the_layers_own_fields():
    """templates/shared_geometry.js's join, run by Node: each feature gets this map's row, in order."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed")
    geo = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "a", "geometry": {"type": "Point", "coordinates": [0, 0]},
         "properties": {"code": "E01", "name": "A"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 1]},
         "properties": {"code": "E02", "name": "B"}}]}
    extra = {"keys": ["c", "value"], "rows": [[0, "1.5%"], [-1, ""]]}
    js = (f"var window = {{top: null, location: {{pathname: '/'}}}};\n{shared_geometry.loader_js()}\n"
          f"console.log(JSON.stringify(window.gc20Shared.join({json.dumps(geo)}, {json.dumps(extra)})));")
    out = json.loads(subprocess.run([node, "-e", js], capture_output=True, text=True, check=True).stdout)
    assert [f["properties"] for f in out["features"]] == [
        {"code": "E01", "name": "A", "c": 0, "value": "1.5%"},
        {"code": "E02", "name": "B", "c": -1, "value": ""}]
    assert out["features"][0]["id"] == "a" and "id" not in out["features"][1]
    assert [f["geometry"] for f in out["features"]] == [f["geometry"] for f in geo["features"]]


def _component(at) -> dict:
    comps = at.get("component_instance")
    assert len(comps) == 1, len(comps)
    return json.loads(comps[0].proto.json_args)


def test_plus_page_layer_and_hotspot_changes_send_no_geometry_to_the_kept_map(atlas2025):
    """AppTest, as a person changes the Layer select and then the hot-spot indicator: the map component
    keeps its key (the browser keeps its iframe and Leaflet map) and what it is sent carries no polygon;
    the polygons it draws are the shared file's, the same before and after."""
    at = open_page(PLUS_PAGE, vintage="2025", level="lad", area=LAD)
    first = _component(at)
    ok(at.selectbox(key="plus_indicator").set_value("disability").run())
    after = _component(at)
    assert after["key"] == first["key"] and after["script"] == first["script"]
    assert after["feature_group"] != first["feature_group"]
    for args in (first, after):
        assert GEOMETRY not in args["script"] + args["feature_group"], "the layer change re-sent polygons"
    assert set(_urls(after["feature_group"])) < set(_urls(first["feature_group"]))  # less the 'Yes' outline
    lsoas = max((_file(u) for u in _urls(after["feature_group"])), key=lambda f: len(f["features"]))
    assert len(lsoas["features"]) == int((atlas2025["lad_code"] == LAD).sum())
    assert any(plus.get("disability").label in legend for legend in shown_legends(at))

    at.segmented_control(key="plus_section").set_value("Hot spots")
    hot = _component(ok(at.run()))
    box = at.selectbox(key="plus_hot_indicator")
    other = next(o for o in box.options if o != box.value and "upload" not in o)
    ok(box.set_value(other).run())
    hot2 = _component(at)
    assert hot2["key"] == hot["key"] and hot2["feature_group"] != hot["feature_group"]
    assert GEOMETRY not in hot["feature_group"] + hot2["feature_group"]
    assert set(_urls(hot2["feature_group"])) == set(_urls(hot["feature_group"]))
    codes = pd.Series([f["properties"]["code"] for f in lsoas["features"]])
    assert codes.is_unique


def test_the_shared_folder_stays_under_its_cap_and_keeps_what_is_in_use(tmp_path):
    """Files unused longest go first once the folder is past limits.SHARED_GEOMETRY_MB; a file used
    recently (publish touches it) stays even past the cap; a file removed is written again on use."""
    import os
    import time

    urls = [shared_geometry.publish({"n": i, "pad": "x" * 100_000}, tmp_path) for i in range(4)]
    out = shared_geometry.folder(tmp_path)
    old = time.time() - 10 * 24 * 3600
    for p in out.iterdir():
        os.utime(p, (old, old))
    shared_geometry.publish({"n": 0, "pad": "x" * 100_000}, tmp_path)  # the first one used again now
    removed = shared_geometry.prune(out, cap_mb=0.25, keep_s=3600)
    names = {p.name for p in out.iterdir()}
    first = urls[0].rsplit("/", 1)[1]
    assert first in names and first.removesuffix(".gz") in names  # in use: kept
    assert removed and not set(removed) & names
    assert sum(p.stat().st_size for p in out.iterdir()) <= 0.25 * 1024 * 1024 + 2 * 100_100
    # a removed file is written again when a map asks for it
    gone = next(u for u in urls[1:] if u.rsplit("/", 1)[1] not in names)
    again = shared_geometry.publish({"n": urls.index(gone), "pad": "x" * 100_000}, tmp_path)
    assert again == gone and (out / gone.rsplit("/", 1)[1]).exists()
    # nothing used within keep_s is removed, whatever the cap
    shared_geometry.prune(out, cap_mb=0, keep_s=3600)
    recent = {first, gone.rsplit("/", 1)[1]}
    assert {p.name for p in out.iterdir()} == recent | {n.removesuffix(".gz") for n in recent}


def test_a_cached_map_shown_again_keeps_its_files_from_the_prune(static):
    """A map held in a Streamlit cache never calls publish again; showing it touches its files, so the
    prune (files unused longest first) does not remove what a cached map still loads."""
    import os
    import time

    cached = map_display.prepare(_indicator("imd_score"))
    urls = cached.rendered.shared
    assert urls
    out = shared_geometry.folder(static)
    old = time.time() - 10 * 24 * 3600
    for p in out.iterdir():
        os.utime(p, (old, old))
    shared_geometry.touch(urls)  # what show_map does on every run that draws the map
    shared_geometry.prune(out, cap_mb=0, keep_s=3600)
    for url in urls:
        name = url.rsplit("/", 1)[1]
        assert (out / name).exists() and (out / name.removesuffix(".gz")).exists()
