"""Assertions shared by the map-building tests (imported by test_maps_*.py)."""

from __future__ import annotations

import json
import re

import folium

from geo_core20.maps import choropleth, classify

HOSTILE = "<script>alert(1)</script>"


def lsoa_layer(m: folium.Map) -> tuple[list[dict], list[str]]:
    """Features and fill colours of the map's one canvas LSOA layer."""
    layers = [c for c in m._children.values() if isinstance(c, choropleth.ClassedLsoaLayer)]
    assert len(layers) == 1
    return json.loads(layers[0].data_js)["features"], json.loads(layers[0].fills_js)


def legend_text(m: folium.Map) -> str:
    """The HTML of the legend built with a map, which must not be drawn on the map itself."""
    html = m.get_root().render()
    assert "gc20-legend" not in html and "Map legend" not in html, "the legend goes beside the map"
    legend = choropleth.legend_of(m)
    assert legend is not None, "every map is built with its legend"
    return classify.legend_html(legend)


def assert_reads_as_a_user_would(m: folium.Map) -> None:
    """Scrolling the page over the map does not zoom it; tooltips open on the side with room."""
    html = m.get_root().render()
    assert '"scrollWheelZoom": false' in html
    assert "scrollWheelZoom.enable()" in html, "zoom by wheel after a click or focus"


def assert_only_escaped(html: str) -> None:
    """The hostile name reaches the page, but never as markup."""
    assert "<script>alert" not in html and "<\\/script>alert" not in html
    assert "alert(1)" in html
    for hit in re.finditer(r"alert\(1\)", html):
        before = html[max(0, hit.start() - 40):hit.start()]
        assert before.endswith(("&lt;script&gt;", "\\u0026lt;script\\u0026gt;")), before
