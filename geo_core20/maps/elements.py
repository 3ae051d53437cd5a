"""Small folium elements every map gets: its CSS, scroll-wheel zoom on focus, and attribution.

The legend is *not* drawn on the map (it covered London, Tyneside and chosen sites): the
map-building functions return a ``classify.Legend`` that the page shows beside the map.
"""

from __future__ import annotations

import json

from branca.element import MacroElement
from jinja2 import Template

from geo_core20.maps import palette
from geo_core20.safety import escape_html

MAP_CSS = f"""
.leaflet-container{{background:{palette.MAP_BACKGROUND}}}
.leaflet-container .leaflet-control-attribution{{font-size:10px;line-height:1.3;max-width:60%;
  background:{palette.ATTRIBUTION_BACKGROUND};white-space:normal}}
.leaflet-tooltip-pane{{z-index:750}}
.leaflet-tooltip.gc20-tooltip{{white-space:normal;width:max-content;max-width:240px}}
.gc20-tooltip th{{white-space:nowrap;vertical-align:top}}
.gc20-tooltip th{{text-align:left;padding-right:6px;font-weight:600}}
"""
"""Tooltips sit above every map pane (markers 600, popups 700) and stay narrow enough (240 px) to
open beside the pointer inside a map of ~500 px, the app's narrowest."""


class MapStyle(MacroElement):
    """The map's own CSS (background, attribution, tooltips)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        """
    )

    def __init__(self, css: str = MAP_CSS):
        super().__init__()
        self._name = "MapStyle"
        self.css = css


class ScrollZoomOnFocus(MacroElement):
    """Scroll-wheel zoom only once the map is clicked or focused, off again when the pointer or
    focus leaves it: scrolling the page over a map scrolls the page (the map is created with
    ``scrollWheelZoom: false``). Ctrl/Cmd + wheel zooms at once, as many embedded maps do."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var el = map.getContainer();
            el.setAttribute('aria-description', 'Click the map (or hold Ctrl) to zoom with the scroll wheel');
            map.on('click focus', function () { map.scrollWheelZoom.enable(); });
            map.on('mouseout blur', function () { map.scrollWheelZoom.disable(); });
            el.addEventListener('wheel', function (e) {
                if ((e.ctrlKey || e.metaKey) && !map.scrollWheelZoom.enabled()) {
                    e.preventDefault();
                    map.setZoomAround(map.mouseEventToContainerPoint(e),
                                      map.getZoom() + (e.deltaY < 0 ? 0.5 : -0.5));
                }
            }, {passive: false});
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "ScrollZoomOnFocus"


class Attribution(MacroElement):
    """Adds attribution text to the map's attribution control (escaped, one line each)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.setPrefix({{ this.prefix_js }});
            {% for line in this.lines_js %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ line }});
            {% endfor %}
        {% endmacro %}
        """
    )

    def __init__(self, lines: list[str] | tuple[str, ...], prefix: str = "Leaflet"):
        super().__init__()
        self._name = "Attribution"
        self.lines_js = [json.dumps(escape_html(t), ensure_ascii=False).replace("</", "<\\/") for t in lines]
        self.prefix_js = json.dumps(escape_html(prefix))


TILE_ERROR_MESSAGE = "Basemap tiles could not be loaded (no internet?): the map works without them."


class TileErrorNotice(MacroElement):
    """A visible note on the map, once, when an online basemap's tiles fail to load.

    Without it a map with an online basemap and no internet (or a proxy blocking the tile host)
    showed no tiles and no word of why. Listens to Leaflet's ``tileerror`` on every tile layer of
    the map (those there now and any added later); the text goes in as ``textContent``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, message) {
            var shown = false;
            function notice() {
                if (shown) { return; }
                shown = true;
                var ctl = L.control({position: 'topright'});
                ctl.onAdd = function () {
                    var div = L.DomUtil.create('div', 'leaflet-control gc20-tile-error');
                    div.setAttribute('role', 'status');
                    div.style.cssText = 'background:{{ this.background }};' +
                        'border:1px solid {{ this.border }};padding:6px 8px;' +
                        'max-width:260px;font:12px system-ui,Arial,sans-serif;color:{{ this.text }};' +
                        'overflow-wrap:anywhere';
                    div.textContent = message;
                    return div;
                };
                ctl.addTo(map);
            }
            function watch(layer) {
                if (layer instanceof L.TileLayer && !layer._gc20TileWatch) {
                    layer._gc20TileWatch = true;
                    layer.on('tileerror', notice);
                }
            }
            map.eachLayer(watch);
            map.on('layeradd', function (e) { watch(e.layer); });
        })({{ this._parent.get_name() }}, {{ this.message_js }});
        {% endmacro %}
        """
    )

    def __init__(self, message: str = TILE_ERROR_MESSAGE):
        super().__init__()
        self._name = "TileErrorNotice"
        self.background, self.border = palette.NOTICE_BACKGROUND, palette.NOTICE_BORDER
        self.text = palette.TEXT
        self.message_js = json.dumps(message, ensure_ascii=False).replace("</", "<\\/")


class FullscreenKey(MacroElement):
    """The map's title and legend *on* the map, shown only while the map is full screen.

    The page shows the legend beside the map (on the map it covered the area), but the full-screen
    button enlarges the map alone: a presenter lost the title and the key. This box (bottom left,
    scrollable) appears on Leaflet.fullscreen's ``enterFullscreen`` and hides on ``exitFullscreen``.
    ``html`` must be escaped already (``classify.legend_html`` escapes every text).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, html) {
            var ctl = L.control({position: 'bottomleft'});
            ctl.onAdd = function () {
                var div = L.DomUtil.create('div', 'leaflet-control gc20-fullscreen-key');
                div.style.cssText = 'display:none;max-width:340px;max-height:70vh;overflow:auto;' +
                    'font:14px system-ui,Arial,sans-serif';
                div.innerHTML = html;
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            ctl.addTo(map);
            map.on('enterFullscreen', function () { ctl.getContainer().style.display = 'block'; });
            map.on('exitFullscreen', function () { ctl.getContainer().style.display = 'none'; });
        })({{ this._parent.get_name() }}, {{ this.html_js }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str):
        super().__init__()
        self._name = "FullscreenKey"
        self.html_js = json.dumps(html, ensure_ascii=False).replace("</", "<\\/")
