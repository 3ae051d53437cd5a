"""Folium building blocks of every LSOA map: base map, canvas LSOA layer, outlines, controls.

The explorer's views draw their LSOAs with the national canvas renderer (``maps.view``);
the PLUS, upload and outreach maps with ``ClassedLsoaLayer`` through the one LSOA layer
renderer (``maps.lsoa_layer.lsoa_map``). Every map is fitted once, scrolls with the page until clicked, and
keeps its legend for the page to show beside it (``legend_of``). Every text that reaches
HTML is escaped with ``safety.escape_html``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.map import Layer
from jinja2 import Template

from geo_core20 import schema
from geo_core20.maps import assets, classify, palette, shared_geometry, styles
from geo_core20.maps.elements import Attribution, FullscreenKey, MapStyle, ScrollZoomOnFocus, TileErrorNotice
from geo_core20.safety import escape_html

COORD_DECIMALS = 5  # ~1 m: far below the 200 m generalisation of the BSC boundaries

BASEMAPS: dict[str, str] = {
    "none": "No basemap (area outlines only; works offline)",
    "carto_light": "CARTO light (online tiles)",
    "osm": "OpenStreetMap (online tiles)",
}
_TILES = {
    "osm": dict(tiles="OpenStreetMap", name="OpenStreetMap"),
    "carto_light": dict(tiles="CartoDB positron", name="CARTO light"),
}

TOOLTIP_FIELDS: dict[str, str] = {
    "lsoa_code": "LSOA",
    "lsoa_name": "Name",
    "imd_decile": "IMD decile",
    "imd_rank": "IMD rank",
    "imd_score": "IMD score",
    "population": "Population",
    "core20": "Core20 (deciles 1-2)",
}


_SHARED_GEOJSON = Template("{% macro script(this, kwargs) %}{{ this.shared_script(kwargs) }}{% endmacro %}")


class BoundedGeoJson(folium.GeoJson):
    """folium.GeoJson that knows its bounds up front.

    streamlit-folium calls ``get_bounds()`` on every rerun, and folium's version walks every
    coordinate in Python; a precomputed box keeps reruns (e.g. after a click) cheap.
    """

    def __init__(self, data: dict, bounds: Sequence[float], *, shareable: bool = False, **kwargs):
        super().__init__(data, **kwargs)
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        self._gc20_bounds = [[miny, minx], [maxy, maxx]]
        self.shareable = shareable  # may be drawn from a shared file (``add_outline``)
        self.shared_url: str | None = None

    def get_bounds(self):  # noqa: D102 - folium API
        return self._gc20_bounds

    def share(self, static_dir: Path | str | None = None) -> str:
        """Draw from a shared geometry file the browser keeps (``maps.shared_geometry``)."""
        self.shared_url = shared_geometry.publish(self.data, static_dir)
        self.loader_js = shared_geometry.loader_js()  # share_geometry keeps it on the first layer only
        self._template = _SHARED_GEOJSON
        return self.shared_url

    def shared_script(self, kwargs) -> str:
        """folium's script with the inline data (``<name>_add({...});``) added from the shared file."""
        text = str(folium.GeoJson._template.module.script(self, kwargs))
        name = self.get_name()
        shared = (f"{self.loader_js}\n(window.gc20Pending = window.gc20Pending || []).push("
                  f"window.gc20Shared.load({json.dumps(self.shared_url)}).then({name}_add));")
        new, n = re.subn(re.escape(name) + r"_add\(\{.*\}\);", lambda _m: shared, text, count=1)
        if n != 1:
            raise RuntimeError(f"{name}: folium's GeoJson script changed; cannot share its geometry")
        return new


def round_geometry(geoms: np.ndarray | gpd.GeoSeries, decimals: int = COORD_DECIMALS) -> np.ndarray:
    """Coordinates rounded to ``decimals`` places (smaller JSON; no visible change)."""
    arr = np.asarray(geoms.values if isinstance(geoms, gpd.GeoSeries) else geoms)
    return shapely.transform(arr, lambda c: np.round(c, decimals))


def feature_collection(geoms: np.ndarray, properties: pd.DataFrame | None = None,
                       ids: Sequence[str] | None = None, decimals: int = COORD_DECIMALS) -> dict:
    """A GeoJSON FeatureCollection dict (GEOS writes the geometry JSON: fast)."""
    rounded = round_geometry(geoms, decimals)
    geo_json = shapely.to_geojson(rounded)
    records = properties.to_dict("records") if properties is not None else [{}] * len(rounded)
    features = []
    for i, (g, props) in enumerate(zip(geo_json, records, strict=True)):
        if g is None:
            continue
        feat = {"type": "Feature", "geometry": json.loads(g), "properties": props}
        if ids is not None:
            feat["id"] = ids[i]
        features.append(feat)
    return {"type": "FeatureCollection", "features": features}


def total_bounds(geoms: np.ndarray | gpd.GeoSeries) -> tuple[float, float, float, float]:
    arr = np.asarray(geoms.values if isinstance(geoms, gpd.GeoSeries) else geoms)
    b = shapely.total_bounds(arr)
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


MIN_ZOOM, MAX_ZOOM, ZOOM_SNAP = 5, 18, 0.25
FIT_SIZE_PX = (900, 600)  # a typical map in the app: the starting zoom is close to the fitted one


def fit_zoom(bounds: Sequence[float], size_px: tuple[int, int] = FIT_SIZE_PX, padding_px: int = 8) -> float:
    """The Web Mercator zoom that fits ``bounds`` (minx, miny, maxx, maxy) in ``size_px``.

    Only the starting view: the browser fits the real map size (without animation).
    """
    minx, miny, maxx, maxy = (float(b) for b in bounds)

    def merc_y(lat: float) -> float:  # 0..1 across the world, as Leaflet projects it
        s = np.sin(np.radians(np.clip(lat, -85.0, 85.0)))
        return 0.5 - np.log((1 + s) / (1 - s)) / (4 * np.pi)

    width, height = (max(1, p - 2 * padding_px) for p in size_px)
    span_x = max((maxx - minx) / 360.0, 1e-9)
    span_y = max(merc_y(miny) - merc_y(maxy), 1e-9)
    zoom = float(np.log2(min(width / (256 * span_x), height / (256 * span_y))))
    return float(np.clip(np.floor(zoom / ZOOM_SNAP) * ZOOM_SNAP, MIN_ZOOM, MAX_ZOOM))


def base_map(bounds: Sequence[float], basemap: str = "none", attribution: Sequence[str] = (),
             *, prefer_canvas: bool = False) -> folium.Map:
    """An empty map fitted to ``bounds`` (minx, miny, maxx, maxy), with local assets.

    ``basemap="none"`` draws no tiles (nothing leaves the app); the others are optional
    online tile layers, attributed as their providers require.
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"unknown basemap {basemap!r}; choose one of {', '.join(BASEMAPS)}")
    assets.use_local_assets()
    minx, miny, maxx, maxy = bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=fit_zoom(bounds), tiles=None,
                   control_scale=True, prefer_canvas=prefer_canvas, min_zoom=MIN_ZOOM, max_zoom=MAX_ZOOM,
                   zoom_snap=ZOOM_SNAP, scroll_wheel_zoom=False)
    # folium passes max_zoom to tile layers only; without tiles the map itself needs it
    # (MarkerCluster refuses a map with no maxZoom and leaves it blank)
    m.options["maxZoom"] = MAX_ZOOM
    # Fit before any layer exists and without Leaflet's zoom animation: animated, every view
    # flashed from the starting zoom to the fitted one and drew ~0.25 s later.
    # padding keeps the area clear of the controls: zoom buttons (top left), scale bar and
    # attribution (bottom); the Isles of Scilly sat under the scale bar with an even 8 px
    fit = folium.map.FitBounds([[miny, minx], [maxy, maxx]], padding_top_left=(44, 8),
                               padding_bottom_right=(8, 50))
    fit.options["animate"] = False
    m.add_child(fit)
    if basemap != "none":
        folium.TileLayer(**_TILES[basemap], control=True, overlay=False).add_to(m)
        m.add_child(TileErrorNotice())  # no internet: say so on the map instead of showing nothing
    m.add_child(Attribution(attribution))
    m.add_child(MapStyle())
    m.add_child(ScrollZoomOnFocus())  # the page scrolls over the map until it is clicked
    return m


def tooltip_aliases(shade: str, n_lsoas: int | None = None) -> dict[str, str]:
    fields = dict(TOOLTIP_FIELDS)
    if n_lsoas:
        fields["imd_rank"] = f"IMD rank (of {n_lsoas:,})"
    if shade not in fields:
        fields[shade] = styles.SHADINGS[shade]
    return fields


def add_outline(m: folium.Map | folium.FeatureGroup, geom: shapely.Geometry, *, name: str,
                colour: str, weight: float, halo: str | None = None, halo_extra: float = 3.0,
                dash: str | None = None,
                show: bool = True, control: bool = True,
                decimals: int = COORD_DECIMALS, shareable: bool = False) -> folium.FeatureGroup:
    """A non-interactive outline, never filled (optionally on a halo ``halo_extra`` px wider),
    in its own toggleable group. ``shareable``: the app's display may draw it from a static file the
    browser fetches and keeps (``share_geometry``), e.g. the Core20 outline and area boundary, the same
    on every map of the view, so a new layer sends no polygon over the websocket."""
    group = folium.FeatureGroup(name=escape_html(name), show=show, control=control)
    if geom is None or geom.is_empty:
        group.add_to(m)
        return group
    data = feature_collection(np.array([geom]), decimals=decimals)
    bounds = geom.bounds
    if halo:
        BoundedGeoJson(data, bounds, style_function=lambda _f: {"color": halo, "weight": weight + halo_extra,
                                                                "fill": False, "opacity": 0.95},
                       interactive=False, control=False, shareable=shareable).add_to(group)
    line = {"color": colour, "weight": weight, "fill": False, "opacity": 1.0}
    if dash:
        line["dashArray"] = dash
    BoundedGeoJson(data, bounds, style_function=lambda _f: line, interactive=False,
                   control=False, shareable=shareable).add_to(group)
    group.add_to(m)
    return group


def dissolve(geoms: np.ndarray | gpd.GeoSeries) -> shapely.Geometry:
    """The union of polygons that tile without overlaps (LSOAs): coverage union, ~100x faster
    than a general union and free of the slivers simplified polygons leave; general union
    where the coverage is not clean."""
    arr = np.asarray(geoms.values if isinstance(geoms, gpd.GeoSeries) else geoms)
    try:
        return shapely.coverage_union_all(arr)
    except shapely.errors.GEOSException:
        return shapely.union_all(arr)


def core20_outline(view: gpd.GeoDataFrame, full_geometry: np.ndarray | None = None,
                   tolerance: float = 2e-4) -> shapely.Geometry | None:
    """The dissolved outline of the Core20 LSOAs in view (None when there are none).

    Pass the atlas's full geometry of the view's rows: dissolving simplified polygons
    leaves slivers along shared edges. The result is simplified by ``tolerance`` degrees.
    """
    core = view[schema.CORE20].to_numpy(dtype=bool)
    if not core.any():
        return None
    geoms = (full_geometry if full_geometry is not None else view.geometry.values)[core]
    return shapely.simplify(dissolve(geoms), tolerance, preserve_topology=True)


def add_core20_outline(m: folium.Map, geom: shapely.Geometry | None,
                       show: bool = True) -> folium.FeatureGroup:
    """The Core20 outline: a thin line on a thin halo, no fill, so small LSOAs keep their colour."""
    return add_outline(m, geom, name=f"Core20 outline ({schema.CORE20_DECILES})", colour=palette.CORE20_LINE,
                       weight=styles.CORE20_WEIGHT, halo=palette.CORE20_HALO,
                       halo_extra=styles.CORE20_HALO_EXTRA, show=show, shareable=True)


LEGEND_ATTR = "gc20_legend"


def finish_map(m: folium.Map, legend: classify.Legend, *, layer_control: bool = True) -> folium.Map:
    """Fullscreen button and layer control (added last so it lists every layer).

    The legend is kept with the map (``legend_of(m)``) for the page to show *beside* it:
    drawn on the map it covered the area and the tooltips.
    """
    setattr(m, LEGEND_ATTR, legend)
    if legend is not None:  # full screen keeps the title and the key (the page's legend stays behind)
        title = f"{legend.area_name}: {legend.title}" if legend.area_name else legend.title
        head = (f'<div class="gc20-fullscreen-title" style="font:600 18px system-ui,Arial,sans-serif;'
                f'background:{palette.BACKGROUND};padding:6px 10px;margin-bottom:4px;border-radius:6px">'
                f"{escape_html(title)}</div>")
        # the same legend, under its own class and label: on the page the one legend is beside the map
        key = (classify.legend_html(legend).replace('class="gc20-legend"', 'class="gc20-fullscreen-legend"')
               .replace('aria-label="Map legend"', 'aria-label="Key of the full-screen map"'))
        FullscreenKey(head + key).add_to(m)
    folium.plugins.Fullscreen(position="topleft", title="Full screen", title_cancel="Exit full screen",
                              force_separate_button=True).add_to(m)
    if layer_control:
        folium.LayerControl(position="topright", collapsed=True).add_to(m)
    return m


def legend_of(m: folium.Map) -> classify.Legend | None:
    """The legend of a map built by ``geo_core20.maps`` (None for another map)."""
    return getattr(m, LEGEND_ATTR, None)


class ClassedLsoaLayer(Layer):
    """Many LSOAs drawn on a canvas, styled in the browser from a class number per feature.

    No per-feature style table, compact properties, and canvas instead of one SVG node per
    LSOA, so even all of England stays responsive. After ``share()`` the polygons (and the
    fields every map of the view has: ``SHARED_FIELDS``) come from a static file the browser
    keeps (``maps.shared_geometry``) and the script holds only the classes and this map's own
    tooltip values; the layer is on the map at once and filled when the geometry is there
    (pushed on ``window.gc20Pending``, which ``ui.map_display`` waits for before it says drawn).
    """

    SHARED_FIELDS = ("code", "name")

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }}_fills = {{ this.fills_js }};
        var {{ this.get_name() }} = L.geoJson({{ 'null' if this.shared_url else this.data_js }}, {
            renderer: L.canvas({padding: 0.5, tolerance: 2}),
            style: function (f) {
                var c = f.properties.c;
                return {fillColor: c >= 0 ? {{ this.get_name() }}_fills[c] : {{ this.no_data_js }},
                        fillOpacity: {{ this.fill_opacity }}, color: {{ this.edge_js }},
                        weight: {{ this.edge_weight }}};
            },
            onEachFeature: function (f, layer) {
                var p = f.properties;
                layer.bindTooltip(function () {
                    return '<table class="gc20-tip">' + {{ this.rows_js }}.map(function (r) {
                        return '<tr><th>' + r[1] + '</th><td>' + (p[r[0]] === undefined ? '' : p[r[0]])
                            + '</td></tr>';
                    }).join('') + '</table>';
                }, {sticky: true, direction: 'auto', className: 'gc20-tooltip'});
            }
        });
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {%- if this.shared_url %}
        {{ this.loader_js }}
        (window.gc20Pending = window.gc20Pending || []).push(
            window.gc20Shared.load({{ this.shared_url_js }}).then(function (geo) {
                {{ this.get_name() }}.addData(window.gc20Shared.join(geo, {{ this.own_js }}));
            }));
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, fills: Sequence[str], rows: Sequence[tuple[str, str]], *, name: str,
                 bounds: Sequence[float], fill_opacity: float = 0.8, edge_weight: float = 0.0):
        super().__init__(name=escape_html(name), overlay=True, control=True, show=True)
        self._name = "ClassedLsoaLayer"
        self.data_js = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        self.fills_js = json.dumps(list(fills))
        self.rows_js = json.dumps([[k, escape_html(v)] for k, v in rows]).replace("</", "<\\/")
        self.no_data_js = json.dumps(palette.NO_DATA_COLOUR)
        self.edge_js = json.dumps(palette.LSOA_EDGE)
        self.fill_opacity = float(fill_opacity)
        self.edge_weight = float(edge_weight)
        minx, miny, maxx, maxy = bounds
        self._bounds = [[miny, minx], [maxy, maxx]]
        self.shared_url: str | None = None

    def share(self, static_dir: Path | str | None = None) -> str:
        """Draw from a shared geometry file (see the class docstring); returns its URL."""
        feats = json.loads(self.data_js)["features"]  # parsed again only here: no second copy kept
        common = [k for k in self.SHARED_FIELDS if all(k in f["properties"] for f in feats)]
        own = [k for k in (feats[0]["properties"] if feats else {}) if k not in common]
        geo = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": f["geometry"],
             "properties": {k: f["properties"][k] for k in common}, **({"id": f["id"]} if "id" in f else {})}
            for f in feats]}
        self.shared_url = shared_geometry.publish(geo, static_dir)
        self.shared_url_js = json.dumps(self.shared_url)
        rows = [[f["properties"].get(k) for k in own] for f in feats]
        self.own_js = json.dumps({"keys": own, "rows": rows}, separators=(",", ":")).replace("</", "<\\/")
        self.loader_js = shared_geometry.loader_js()  # share_geometry keeps it on the first layer only
        return self.shared_url

    def get_bounds(self):  # noqa: D102 - folium API
        return self._bounds


def share_geometry(m: folium.Map, static_dir: Path | str | None = None) -> list[str]:
    """Every ClassedLsoaLayer and shareable outline of ``m`` draws from a shared geometry file
    (``maps.shared_geometry``): for the app's own display; exports stay inline. Returns the URLs."""
    def walk(el):
        for child in el._children.values():
            yield child
            yield from walk(child)

    shared = [c for c in list(walk(m))
              if isinstance(c, ClassedLsoaLayer) or (isinstance(c, BoundedGeoJson) and c.shareable)]
    urls = [c.share(static_dir) for c in shared]
    for c in shared[1:]:  # the browser's loader once, with the first (the map's scripts run in order)
        c.loader_js = ""
    return urls
