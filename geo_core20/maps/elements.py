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
.gc20-legend{background:rgba(255,255,255,.94);padding:6px 9px;border-radius:4px;
  box-shadow:0 1px 4px rgba(0,0,0,.35);font:12px/1.35 system-ui,-apple-system,"Segoe UI",Arial,sans-serif;
  color:#222;max-width:260px;max-height:60vh;overflow:auto}
.gc20-legend .gc20-title{font-weight:600;margin-bottom:2px}
.gc20-legend .gc20-row{display:flex;align-items:center;gap:6px;margin:1px 0}
.gc20-legend .gc20-swatch{display:inline-block;flex:0 0 18px;height:12px;border:1px solid #888}
.gc20-legend .gc20-core20{background:#fff;border:2px solid #000;box-shadow:0 0 0 2px #fff inset}
.gc20-legend .gc20-area{background:transparent;border:0;border-top:3px solid #d7191c;height:0}
.gc20-legend .gc20-count{color:#555}
.gc20-legend .gc20-note{color:#444;font-size:11px;margin-top:3px}
.leaflet-container{background:#f4f4f2}
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
                div.innerHTML = {{ this.html_js }};
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
        self.html_js = json.dumps(html).replace("</", "<\\/")
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
        self.lines_js = [json.dumps(escape_html(t)).replace("</", "<\\/") for t in lines]
        self.prefix_js = json.dumps(escape_html(prefix))
