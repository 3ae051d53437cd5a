"""ui.map_display: the map is rendered once with streamlit-folium's private helpers, shown with its
legend beside it. A new streamlit-folium that moves those helpers must fail here, loudly."""

from __future__ import annotations

import importlib.metadata
import inspect
from pathlib import Path

import folium
from streamlit.testing.v1 import AppTest

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
    legend = next(m.value for m in at.markdown if "gc20-legend" in m.value)
    assert "Layer &lt;i&gt;x&lt;/i&gt;" in legend and "(3)" in legend and "(4)" in legend
    assert len(at.columns) == 2  # the map and, beside it, the legend
