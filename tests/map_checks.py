"""Assertions shared by the map-building tests (imported by test_maps_*.py)."""

from __future__ import annotations

import json
import re

import folium

from geo_core20.maps import choropleth

HOSTILE = "<script>alert(1)</script>"


def lsoa_layer(m: folium.Map) -> tuple[list[dict], list[str]]:
    """Features and fill colours of the map's one canvas LSOA layer."""
    layers = [c for c in m._children.values() if isinstance(c, choropleth.ClassedLsoaLayer)]
    assert len(layers) == 1
    return json.loads(layers[0].data_js)["features"], json.loads(layers[0].fills_js)


def legend_text(html: str) -> str:
    return html.split("Map legend", 1)[1].split("</details>", 1)[0]


def assert_only_escaped(html: str) -> None:
    """The hostile name reaches the page, but never as markup."""
    assert "<script>alert" not in html and "<\\/script>alert" not in html
    assert "alert(1)" in html
    for hit in re.finditer(r"alert\(1\)", html):
        before = html[max(0, hit.start() - 40):hit.start()]
        assert before.endswith(("&lt;script&gt;", "\\u0026lt;script\\u0026gt;")), before
