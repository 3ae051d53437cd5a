"""Showing a built map in Streamlit, and what was clicked on it.

``st_folium`` renders the folium map to strings on *every* rerun (~0.3 s for the largest
ICB) and, while doing so, renames the map's elements in place, so one folium.Map object
cannot safely be rendered twice (a cached map shown to a second session breaks with
"geo_json_... is not defined"). Here the map is rendered once, when it is built and
cached, with streamlit-folium's own helpers; each rerun then only hands the cached
strings to the streamlit-folium component. Those helpers are private: requirements.txt pins
streamlit-folium and tests/test_ui_map_display.py fails loudly if a new version moves them.

The legend is drawn beside the map, in the page, never on it (it covered London, Tyneside and
chosen outreach sites).

**A new layer or shading redraws in place.** The rendered script is split in two: the map itself
(``RenderedMap.base``: the Leaflet map, its fit, tiles, notices and buttons) and everything drawn
on it (``RenderedMap.layers``: LSOA layers, outlines, markers, the layer control). The base alone
names the component (its key), and the layers go through the component's own data channel
(streamlit-folium's ``feature_group`` argument: the iframe removes the previous layers and runs the
new ones). So a change that keeps the map's frame (shading, PLUS layer, hot spots, a target, a
clinical focus map) keeps the iframe, Leaflet and the decoded national geometry, and the browser
only draws the new layers (issue 22: 5-6 s to 1-2 s in Chromium); a new area or basemap is a new
base, so a new iframe, as before. ``window.gc20Layer.paintedAt`` (ms) is set one frame after new
layers were drawn (benchmarks and browser tests read it).

**The polygons stay in the browser.** The layers' script of a PLUS, upload or outreach map would hold
every polygon of its LSOA layer (~530 kB for an ICB) and so re-send it with each new layer or hot-spot
map. ``render_map`` shares them instead (``choropleth.share_geometry``, ``maps.shared_geometry``): the
view's geometry is a static file the browser fetches once and keeps parsed on the Streamlit page, and
the script carries only the classes, colours and the map's own tooltip values (~20-40 kB for an ICB).
``gc20Layer.paintedAt`` then waits for the geometry (``window.gc20Pending``), and ``gc20Layer.drawn``
is the number of the last layers' script whose layers hold their geometry.

``GEO_CORE20_MAP_REBUILD=1`` in the server's environment (read per rerun) draws every map as before
in-place redraw: the whole script in a component keyed by all of it, so any change is a new iframe,
geometry inline. ``GEO_CORE20_MAP_INLINE=1`` (read when a map is rendered) keeps in-place redraw but the
geometry inline in the layers' script (as before shared geometry). Only
``benchmarks/interaction_speed.py`` sets them, to time "before" and "after" in the same run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections import OrderedDict
from dataclasses import dataclass

import folium
import folium.plugins
import streamlit as st
from branca.element import MacroElement
from jinja2 import Template

# streamlit-folium 0.27 internals (see the module docstring)
from streamlit_folium import (
    _component_func,
    _get_header,
    _get_html,
    _get_map_string,
    generate_js_hash,
    get_full_id,
)

from geo_core20.maps import assets, choropleth, classify, elements, national, palette, shared_geometry
from geo_core20.maps.view import ViewMap
from geo_core20.ui import present, style

RETURNED = ["last_active_drawing"]
SPLIT = "/*gc20:layers*/"
# the map's own furniture: in the base script (everything else on a map is a layer, redrawn in place)
BASE_ELEMENTS = (folium.map.FitBounds, folium.TileLayer, folium.plugins.Fullscreen, elements.Attribution,
                 elements.MapStyle, elements.ScrollZoomOnFocus, elements.TileErrorNotice)
_NO_DRAWN_ITEMS = "\nvar drawnItems = [];"
REBUILD_ENV = "GEO_CORE20_MAP_REBUILD"  # "1": every change rebuilds the map (the benchmark's "before")
INLINE_ENV = "GEO_CORE20_MAP_INLINE"  # "1": polygons inline in the layers' script (the benchmark's "inline")
LAYER_ERROR = ("A layer of this map could not be loaded, so parts of it are blank. Reload the page; if "
               "this persists, restart the app (its map files are rebuilt when a map is drawn)")
_ERROR_CSS = (f"background:{palette.NOTICE_BACKGROUND};border:1px solid {palette.NOTICE_BORDER};"
              "padding:6px 8px;max-width:280px;font:12px system-ui,Arial,sans-serif;"
              f"color:{palette.TEXT};overflow-wrap:anywhere")
_LAYER_CONTROL = re.compile(r"\blet\s+(\w+)\s*=\s*L\.control\.layers\(")


class _Split(MacroElement):
    """Where the map's layers begin in its script (see the module docstring)."""

    _template = Template("{% macro script(this, kwargs) %}" + SPLIT + "{% endmacro %}")

    def __init__(self):
        super().__init__()
        self._name = "Gc20Split"


def _put_layers_last(m: folium.Map) -> None:
    """The map's furniture first, then the split mark, then its layers in their order (z-order kept)."""
    split = _Split()
    m.add_child(split, name="gc20_split")
    items = [(k, c) for k, c in m._children.items() if c is not split]
    base = [(k, c) for k, c in items if isinstance(c, BASE_ELEMENTS)]
    layers = [(k, c) for k, c in items if not isinstance(c, BASE_ELEMENTS)]
    m._children = OrderedDict([*base, ("gc20_split", split), *layers])


def _layers_script(body: str) -> str:
    """The layers' script as the component runs it: in a function of the map, recording every layer
    and control it adds (the component removes them before running the next layers' script), then
    ``window.gc20Layer.paintedAt`` one frame after the new layers are on screen (``startedAt`` and ``runMs``:
    when the script began and how long it ran, for the benchmark's breakdown)."""
    control = _LAYER_CONTROL.search(body)
    name = control.group(1) if control else None
    keep_control = (f"window.layer_control = {name};\n"
                    f"Object.values({name}_layers.overlays).forEach(function (l) {{ added.push(l); }});\n"
                    if name else "window.layer_control = undefined;\n")
    return ("(function () {\nvar t0 = Date.now(), before = {};\n"
            "window.gc20Pending = [];\n"
            # the last layers' failure note goes with them
            "if (window.gc20Layer && window.gc20Layer.note) { window.gc20Layer.note.remove(); "
            "window.gc20Layer.note = null; }\n"
            "for (var k0 in map_div._layers) { before[k0] = true; }\n"
            f"{body}\n"
            "var added = [];\n"
            "for (var k1 in map_div._layers) { if (!before[k1]) { added.push(map_div._layers[k1]); } }\n"
            f"{keep_control}"
            "window.feature_group = added;\n"
            "var hook = window.gc20Layer = window.gc20Layer || {paintedAt: null, runs: 0};\n"
            "var run = hook.runs += 1;\nhook.startedAt = t0;\nhook.runMs = Date.now() - t0;\n"
            "hook.error = null;\n"
            # shared geometry (choropleth.ClassedLsoaLayer.share) fills its layers when it is there
            "Promise.all(window.gc20Pending).then(function () {\n"
            " if (hook.runs !== run) { return; }\n hook.filledMs = Date.now() - t0;\n hook.drawn = run;\n"
            # (an iframe out of view gets no animation frames: ``drawn`` does not wait for them)
            " requestAnimationFrame(function () { requestAnimationFrame(function () {"
            " if (hook.runs === run) { hook.paintedAt = Date.now(); } }); });\n"
            "}, function (e) {\n hook.error = String(e); console.error(e);\n"
            # say so on the map (the layer would stay blank): textContent, never markup
            " if (hook.runs !== run) { return; }\n"
            " var note = L.control({position: 'topright'});\n"
            " note.onAdd = function () {\n"
            "  var div = L.DomUtil.create('div', 'leaflet-control gc20-layer-error');\n"
            "  div.setAttribute('role', 'alert');\n"
            f"  div.style.cssText = {json.dumps(_ERROR_CSS)};\n"
            f"  div.textContent = {json.dumps(LAYER_ERROR)} + ' (' + String(e && e.message || e) + ')';\n"
            "  return div;\n };\n"
            " note.addTo(map_div);\n hook.note = note;\n"
            "});\n"
            "})();\n")


@dataclass(frozen=True)
class RenderedMap:
    """What the streamlit-folium component needs, rendered once per built map: the map (``base``)
    and what is drawn on it (``layers``), see the module docstring."""

    base: str
    layers: str
    header: str
    html: str
    map_id: str
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    bounds: dict
    zoom: float | None
    preload: tuple[str, ...] = ()  # the map's scripts and national geometry, preloaded: see preload_script
    shared: tuple[str, ...] = ()  # shared geometry files the layers load (maps.shared_geometry)

    @property
    def script(self) -> str:
        """The whole map script (base, then layers)."""
        return self.base + self.layers

    @property
    def nbytes(self) -> int:
        return len(self.script) + len(self.header) + len(self.html)

    def component_key(self, key: str) -> str:
        """The component's key: the same for two maps with the same base (then the iframe is kept and
        only the layers are redrawn). Header, HTML and assets are only loaded with a new iframe."""
        frame = "\n".join([self.base, self.header, self.html, *self.css_links, *self.js_links])
        return hashlib.sha256(f"{generate_js_hash(frame, key, False)}".encode()).hexdigest()


def _fetched_files(m: folium.Map) -> tuple[str, ...]:
    """The national geometry files the map's LSOA layers fetch (URLs under ``/app/static``)."""
    found: list[str] = []

    def walk(el) -> None:
        for child in el._children.values():
            if isinstance(child, national.NationalLayer):
                found.extend(u for u in child.fetched_urls if u not in found)
            walk(child)

    walk(m)
    return tuple(found)


_PRELOAD_JS = """(function (urls) {
var have = {};
document.head.querySelectorAll('link[rel="preload"]').forEach(function (l) {
  have[l.getAttribute('href')] = 1;
});
urls.forEach(function (u) {
  if (have[u]) { return; }
  var l = document.createElement('link');
  l.rel = 'preload'; l.as = 'script'; l.href = u;
  document.head.appendChild(l);
});
})(%s);"""


def preload_script(scripts: tuple[str, ...] | list[str]) -> str:
    """A ``<script>`` that adds ``<link rel=preload as=script>`` for the map's ``scripts`` (Leaflet and
    its plugins, under ``/app/static``) to the Streamlit page's head, once per page.

    The map's iframe asks for them only once the component's own code has loaded; preloaded by the
    page as soon as the legend beside the map is drawn, they are in the browser's HTTP cache (same
    origin, heuristically fresh: Streamlit's static route sends Last-Modified and no Cache-Control) or
    on their way when the iframe asks, as its ``<script src>`` asks for them. A script, not the tags
    themselves: ``st.html`` drops ``<link>`` elements, even with JavaScript allowed. (The national
    geometry is fetched by the page's own decoder, ``national.page_prefetch``.) Relative URLs, so an
    app served under a base path preloads its own; "" when there are none.
    """
    rel = [u.lstrip("/") for u in scripts]
    if not rel:
        return ""
    return "<script>" + (_PRELOAD_JS % json.dumps(rel)).replace("</", "<\\/") + "</script>"


def render_map(m: folium.Map) -> RenderedMap:
    """Render a map for the component, as ``st_folium`` does (mutates ``m``: render once)."""
    assets.trim_unused_assets(m)  # no jQuery/Bootstrap/icon fonts for maps without markers
    shared: list[str] = []
    if "1" not in (os.environ.get(REBUILD_ENV), os.environ.get(INLINE_ENV)):
        shared = choropleth.share_geometry(m)  # polygons from a file the browser keeps (module docstring)
    _put_layers_last(m)
    m.get_root().render()
    m.render()
    html = _get_html(m)
    header = _get_header(m)
    css, js = assets.asset_links(m)
    try:
        (s, w), (n, e) = m.get_bounds()
    except (AttributeError, TypeError, ValueError):
        s = w = n = e = None
    script = _get_map_string(m)
    base, _, layers = script.partition(SPLIT)
    if layers.endswith(_NO_DRAWN_ITEMS):  # streamlit-folium's own variable belongs to the map
        layers, base = layers[:-len(_NO_DRAWN_ITEMS)], base + _NO_DRAWN_ITEMS
    return RenderedMap(base=base, layers=_layers_script(layers), header=header, html=html,
                       map_id=get_full_id(m),
                       css_links=tuple(css), js_links=tuple(js),
                       bounds={"_southWest": {"lat": s, "lng": w}, "_northEast": {"lat": n, "lng": e}},
                       zoom=m.options.get("zoom"),
                       preload=tuple(u for u in js if u.startswith(assets.STATIC_URL)) + _fetched_files(m),
                       shared=tuple(dict.fromkeys(shared)))


def clicked_code(out: dict | None) -> str | None:
    """The LSOA code of the feature last clicked, from the component's return value."""
    feature = (out or {}).get("last_active_drawing") or {}
    props = feature.get("properties") or {}
    code = props.get("lsoa_code") or props.get("code") or feature.get("id")
    return str(code) if code else None


@dataclass(frozen=True)
class CachedMap:
    """A built view map and its one-off rendering (see ``ui.view_map_cached``)."""

    vm: ViewMap | _PlainMap
    rendered: RenderedMap
    render_seconds: float

    @property
    def legend(self) -> classify.Legend | None:
        return getattr(self.vm, "legend", None) or choropleth.legend_of(self.vm.map)


def prepare(vm: ViewMap | folium.Map) -> CachedMap:
    """Render a freshly built map once (call inside a cached function).

    Takes the explorer's ViewMap or any other page's plain folium.Map.
    """
    if isinstance(vm, folium.Map):
        vm = _PlainMap(vm)
    t0 = time.perf_counter()
    rendered = render_map(vm.map)
    return CachedMap(vm, rendered, time.perf_counter() - t0)


@dataclass(frozen=True)
class _PlainMap:
    """A map built outside maps.view (PLUS, outreach pages): only ``.map`` is needed."""

    map: folium.Map


def show_map(cached: CachedMap, *, key: str = "gc20_map", height: int = 620, legend_in=None) -> str | None:
    """Draw a map with its legend beside it; returns the LSOA code last clicked (None before any),
    kept when the map is redrawn with other options (``remember_click``).

    ``legend_in``: a container beside the map to hold the legend (e.g. the page's side column);
    by default the map gets a column of its own for it.

    Only ``last_active_drawing`` comes back from the browser, so panning and zooming never
    rerun the script; a click reruns it without redrawing the map, because the cached
    strings are identical and the component keeps its iframe.
    """
    # a map kept in a Streamlit cache outlives the prune window of the files it loads: using it
    # counts as using them (maps.shared_geometry.prune removes only files unused longest)
    shared_geometry.touch(cached.rendered.shared)
    height = present.map_height(height)
    legend = cached.legend
    if legend is None or legend_in is not None:
        map_col, legend_col = st.container(), legend_in
    else:
        map_col, legend_col = st.columns([4, 1], gap="small")
    rendered = cached.rendered
    if os.environ.get(REBUILD_ENV) == "1":  # the whole map in a new iframe on any change (see above)
        script, feature_group = rendered.script, None
        component_key = generate_js_hash(rendered.script, key, False)
    else:
        script, feature_group, component_key = rendered.base, rendered.layers, rendered.component_key(key)
    with map_col:
        out = _component_func(
            script=script, header=rendered.header, html=rendered.html, id=rendered.map_id,
            key=component_key, height=height, width=None,
            returned_objects=RETURNED, default={"last_active_drawing": None}, zoom=None, center=None,
            feature_group=feature_group, return_on_hover=False, layer_control=None, pixelated=False,
            css_links=list(rendered.css_links), js_links=list(rendered.js_links), wrap_longitude=False,
        )
    if legend is not None and legend_col is not None:
        show_beside(legend_col, legend, rendered.preload)
    return remember_click(key, clicked_code(out))


def show_beside(container, legend: classify.Legend, preload: tuple[str, ...] | list[str]) -> None:
    """Beside a map: its legend, then our own scripts for it.

    The legend (``legend_html``: every text escaped, titles may hold uploaded layer names) is a plain
    ``st.html`` element, sanitised by Streamlit (no script or event handler can run from it even if a
    text escaped the escaping). The scripts (``own_scripts_html``: no user text) are a second element
    with JavaScript allowed, drawn only when there is something to preload or decode.

    Not ``st.markdown(..., unsafe_allow_html=True)``: HTML in Markdown makes Streamlit's frontend load
    its HTML-in-Markdown parser (~190 kB of script) on a first visit, for this legend alone; ``st.html``
    is already loaded for the page's CSS. The England map alone on a page: 1.59 -> 1.46 s to drawn,
    the browser's renderer 1.82 -> 1.60 CPU-s (7 fresh visits each, medians; issue 22)."""
    container.html(classify.legend_html(legend))
    scripts = own_scripts_html(preload)
    if scripts:
        container.html(scripts, unsafe_allow_javascript=True)


def own_scripts_html(preload: tuple[str, ...] | list[str]) -> str:
    """The map's scripts preloaded (``preload_script``) and, for national geometry, the page's script
    that decodes it while the map loads (``national.page_prefetch``); "" when there is neither. Marked
    so that its element takes no room beside the map (``style.SCRIPTS_MARK``: its scripts have run and
    its preloads started as soon as it was added to the page)."""
    geometry = [u for u in preload if not u.endswith(".js")]
    scripts = [u for u in preload if u.endswith(".js")]
    body = preload_script(scripts) + national.page_prefetch(geometry)
    return f'<span class="{style.SCRIPTS_MARK}" hidden></span>{body}' if body else ""


def remember_click(key: str, code: str | None) -> str | None:
    """The LSOA last clicked on the map shown with ``key``, kept across a change of map.

    The component's widget key holds a hash of the map's script, so a new shading (or basemap,
    outline...) is a new component whose value starts empty: without this, changing the shading
    cleared the "Selected LSOA" panel. A new click replaces the kept code.
    """
    slot = f"_gc20_clicked_{key}"
    if code is None:
        return st.session_state.get(slot)
    st.session_state[slot] = code
    return code
