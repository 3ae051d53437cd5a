"""ui.map_display: the map is rendered once with streamlit-folium's private helpers, shown with its
legend beside it. A new streamlit-folium that moves those helpers must fail here, loudly."""

from __future__ import annotations

import importlib.metadata
import inspect
import json
import re
from pathlib import Path

import folium
from apptests import shown_legends
from streamlit.testing.v1 import AppTest

from geo_core20.maps import palette
from geo_core20.ui import map_display

REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"


def test_streamlit_folium_internals_are_where_the_pinned_version_keeps_them():
    pinned = next(line.split("==")[1].strip() for line in REQUIREMENTS.read_text().splitlines()
                  if line.startswith("streamlit-folium=="))
    assert importlib.metadata.version("streamlit-folium") == pinned
    import streamlit_folium

    for name in ("_component_func", "_get_header", "_get_html", "_get_map_string", "generate_js_hash",
                 "get_full_id"):
        assert callable(getattr(streamlit_folium, name)), name
    assert list(inspect.signature(streamlit_folium.generate_js_hash).parameters)[:3] == [
        "js_string", "key", "return_on_hover"]


def test_render_map_gives_the_component_its_strings():
    from geo_core20.ui import map_display

    m = folium.Map(location=[53.4, -2.9], zoom_start=10)
    folium.CircleMarker([53.4, -2.9], radius=5, tooltip="<b>x</b>").add_to(m)
    rendered = map_display.render_map(m)
    assert rendered.map_id == "map_div" and "L.map(" in rendered.script and "circleMarker" in rendered.script


def _page() -> None:
    import folium

    from geo_core20.maps import choropleth, classify
    from geo_core20.ui import map_display

    m = folium.Map(location=[53.4, -2.9], zoom_start=10)
    lgd = classify.legend("Layer <i>x</i>", ["#440154", "#fde725"], ["Low", "High"], [3, 4])
    choropleth.finish_map(m, lgd)
    map_display.show_map(map_display.prepare(m), key="m", height=300)


def test_the_legend_is_shown_beside_the_map_and_escaped():
    at = AppTest.from_function(_page, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    legend = next(iter(shown_legends(at)))
    assert "Layer &lt;i&gt;x&lt;/i&gt;" in legend and "(3)" in legend and "(4)" in legend
    # the element holding the legend (uploaded layer names) is sanitised by Streamlit: no script runs
    # from it even if a text escaped the escaping; our own scripts are an element of their own
    shown = [h.proto for h in at.get("html") if "gc20-legend" in h.proto.body]
    assert len(shown) == 1 and not shown[0].unsafe_allow_javascript and "<script" not in shown[0].body
    assert len(at.columns) == 2  # the map and, beside it, the legend


def _classed_map(bounds, fills, flagged: bool = False):
    from geo_core20.maps import choropleth, classify

    m = choropleth.base_map(bounds)
    minx, miny, maxx, maxy = bounds
    square = {"type": "Feature", "properties": {"c": 0, "lsoa_code": "E01000001"},
              "geometry": {"type": "Polygon", "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy],
                                                               [minx, miny]]]}}
    choropleth.ClassedLsoaLayer({"type": "FeatureCollection", "features": [square]}, fills, [("c", "Class")],
                                name="LSOAs <b>x</b>", bounds=bounds).add_to(m)
    if flagged:
        folium.CircleMarker([(miny + maxy) / 2, (minx + maxx) / 2], radius=5).add_to(m)
    return choropleth.finish_map(m, classify.legend("x", fills, ["a"], [1]))


def test_a_new_layer_on_the_same_map_keeps_the_component_and_sends_only_the_layers():
    """Issue 22: a change of layer or shading redraws in the kept iframe. The map's frame (base) names
    the component; the layers (LSOAs, markers, the layer control) go through the data channel."""
    from geo_core20.ui import map_display

    bounds = (-3.0, 53.3, -2.8, 53.5)
    first = map_display.render_map(_classed_map(bounds, ["#440154"]))
    other = map_display.render_map(_classed_map(bounds, ["#fde725"], flagged=True))
    moved = map_display.render_map(_classed_map((-1.6, 53.7, -1.4, 53.9), ["#440154"]))
    assert first.component_key("m") == other.component_key("m")  # same map: the iframe is kept
    assert first.component_key("m") != first.component_key("other")
    assert moved.component_key("m") != first.component_key("m")  # another area: a new map
    assert first.layers != other.layers and "#fde725" in other.layers and "#fde725" not in first.base
    for r in (first, other):
        assert "L.map(" in r.base and "L.control.fullscreen(" in r.base and "L.geoJson(" not in r.base
        assert "L.geoJson(" in r.layers and "L.control.layers(" in r.layers
        # everything the layers add is recorded, so the component removes it before the next layers
        assert "window.feature_group = added;" in r.layers
        assert "window.layer_control = layer_control_" in r.layers
        assert r.layers.index("L.geoJson(") < r.layers.index("window.feature_group = added;")
        assert "LSOAs <b>x</b>" not in r.script  # the layer's name is still escaped
    assert "circleMarker" in other.layers and "circleMarker" not in first.layers


def test_the_rebuild_flag_draws_every_map_whole_in_a_new_iframe(monkeypatch):
    """``GEO_CORE20_MAP_REBUILD=1`` (the benchmark's "before"): the component gets the whole script, keyed
    by all of it, and no layers channel, so a new shading is a new iframe; unset, the same two maps keep
    one component and only their layers differ."""
    from geo_core20.ui import map_display

    calls: list[dict] = []
    monkeypatch.setattr(map_display, "_component_func", lambda **kw: calls.append(kw))
    bounds = (-3.0, 53.3, -2.8, 53.5)
    maps = [map_display.prepare(_classed_map(bounds, [c])) for c in ("#440154", "#fde725")]
    for cached in maps:
        map_display.show_map(cached, key="m")
    kept, new = calls[0], calls[1]
    assert kept["key"] == new["key"] and kept["feature_group"] != new["feature_group"]
    assert [c["script"] for c in calls] == [m.rendered.base for m in maps]
    assert [c["feature_group"] for c in calls] == [m.rendered.layers for m in maps]

    calls.clear()
    monkeypatch.setenv(map_display.REBUILD_ENV, "1")
    for cached in maps:
        map_display.show_map(cached, key="m")
    assert calls[0]["key"] != calls[1]["key"]  # a new component: a new iframe
    assert [c["script"] for c in calls] == [m.rendered.script for m in maps]
    assert [c["feature_group"] for c in calls] == [None, None]


def test_a_layer_that_cannot_load_its_geometry_says_so_on_the_map():
    """The layers' script notes a failed geometry load on the map (a browser test sees it,
    tests/browser/test_pages_browser.py); the note is text in the project's words, the next layers'
    script removes it, and no colour is written outside the palette."""
    script = map_display._layers_script("var x = 1;")
    assert json.dumps(map_display.LAYER_ERROR) in script and "textContent" in script
    assert "innerHTML" not in script and "role', 'alert'" in script
    assert script.index("window.gc20Layer.note.remove()") < script.index("var x = 1;")
    rest = map_display._ERROR_CSS
    for colour in (palette.NOTICE_BACKGROUND, palette.NOTICE_BORDER, palette.TEXT):
        rest = rest.replace(colour, "")
    assert not re.findall(r"#[0-9a-fA-F]{3,6}\b", rest)
