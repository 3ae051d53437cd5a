"""The explorer's England map drawn in the Streamlit page itself, without streamlit-folium's iframe: an
experiment page for ``benchmarks/england_floor.py`` (not part of the app).

The same rendered map as ``benchmarks/map_only_page.py`` (``ui.view_map_cached`` with the explorer's
defaults, rendered once by ``ui.map_display``) and the same legend and page decoder beside it
(``map_display.show_beside``), but the map is a ``st.components.v2`` element mounted in the page's own
document: it adds Leaflet's files to the page, makes the map's ``<div id="map_div">`` and runs the map's
script and its layers' script there. Clicks, redraws and the map's header scripts beyond the national
geometry prefetch are left out: it only has to draw the map, to time what the iframe costs.
"""

import re

import streamlit as st

from geo_core20 import ui
from geo_core20.ui import link, map_display, style

JS = r"""
function loadScript(src) {
  const S = window.__gc20Inpage || (window.__gc20Inpage = {scripts: {}});
  if (!S.scripts[src]) {
    S.scripts[src] = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = src; s.async = false; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  return S.scripts[src];
}
export default function (component) {
  const { parentElement, data } = component;
  const host = parentElement.querySelector('.gc20-host');
  (async () => {
    for (const href of data.css) {
      if (!document.querySelector('link[data-gc20-css="' + href + '"]')) {
        const l = document.createElement('link');
        l.rel = 'stylesheet'; l.href = href; l.setAttribute('data-gc20-css', href);
        document.head.appendChild(l);
      }
    }
    for (const src of data.js) { await loadScript(src); }
    if (host.dataset.base === data.key) { return; }
    host.dataset.base = data.key;
    host.innerHTML = data.styles + '<div id="map_div" style="height:' + data.height + 'px;width:100%"></div>';
    for (const s of data.scripts) { (0, eval)(s); }
    (0, eval)(data.base + '\nwindow.map = map_div;');
    (0, eval)(data.layers);
  })();
}
"""
in_page_map = st.components.v2.component("gc20_bench_inpage_map", html='<div class="gc20-host"></div>', js=JS,
                                          isolate_styles=False)

st.set_page_config(page_title="England map in the page", layout="wide")
style.apply()
st.title("England map")
shown = ui.view_map_cached(link.DEFAULT_VINTAGE, "england", None, link.DEFAULT_SHADE, True,
                           link.DEFAULT_BASEMAP)
r = shown.rendered
# the header's styles for the map (not those for a whole document of its own) and its scripts
styles = "".join(s for s in re.findall(r"<style>.*?</style>", r.header, re.S)
                 if "html, body" not in s and "#map {" not in s)
scripts = re.findall(r"<script>(.*?)</script>", r.header, re.S)
left, right = st.columns([5, 2], gap="medium")
with left:
    in_page_map(key="inpage", height=620,
                data={"css": list(r.css_links), "js": list(r.js_links), "styles": styles, "scripts": scripts,
                      "base": r.base, "layers": r.layers, "height": 620, "key": r.component_key("inpage")})
map_display.show_beside(right, shown.legend, r.preload)
