"""Small folium elements: a legend control and map attribution.

Both are Leaflet controls created in the map script (not HTML next to the map), so they
stay inside the map in fullscreen, in streamlit-folium's iframe and in exported HTML.
"""

from __future__ import annotations

import json

from branca.element import MacroElement
from jinja2 import Template

from geo_core20.safety import escape_html

LEGEND_CSS = """
.gc20-legend{background:rgba(255,255,255,.94);padding:5px 8px;border-radius:4px;
  box-shadow:0 1px 4px rgba(0,0,0,.35);font:11px/1.3 system-ui,-apple-system,"Segoe UI",Arial,sans-serif;
  color:#222;max-width:230px;max-height:70vh;overflow:auto}
.gc20-legend summary{cursor:pointer;font-weight:600;list-style-position:inside}
.gc20-legend .gc20-title{font-weight:600;margin:2px 0}
.gc20-legend .gc20-row{display:flex;align-items:center;gap:5px;margin:0}
.gc20-legend .gc20-swatch{display:inline-block;flex:0 0 16px;height:10px;border:1px solid #888}
.gc20-legend .gc20-core20{background:#fff;border:2px solid #000;box-shadow:0 0 0 2px #fff inset}
.gc20-legend .gc20-area{background:transparent;border:0;border-top:3px solid #d7191c;height:0}
.gc20-legend .gc20-count{color:#555}
.gc20-legend .gc20-note{color:#444;font-size:10.5px;margin-top:3px}
.leaflet-container{background:#f4f4f2}
.leaflet-container .leaflet-control-attribution{font-size:10px;line-height:1.3;max-width:60%;
  background:rgba(255,255,255,.85);white-space:normal}
.gc20-tooltip th{text-align:left;padding-right:6px;font-weight:600}
"""


class LegendControl(MacroElement):
    """A Leaflet control holding pre-escaped legend HTML (see styles.legend_html)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position_js }}});
            {{ this.get_name() }}.onAdd = function (map) {
                var div = L.DomUtil.create('div', 'gc20-legend leaflet-control');
                div.setAttribute('role', 'region');
                div.setAttribute('aria-label', 'Map legend');
                div.innerHTML = '<details open><summary>Legend</summary>' + {{ this.html_js }} + '</details>';
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str, position: str = "bottomright"):
        super().__init__()
        self._name = "LegendControl"
        # json.dumps makes a safe JS string literal; "</" is broken up so it cannot close <script>
        self.html_js = json.dumps(html, ensure_ascii=False).replace("</", "<\\/")
        self.position_js = json.dumps(position)
        self.css = LEGEND_CSS


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
