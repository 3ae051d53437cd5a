"""The explorer's England map alone on a Streamlit page: the map's own cost, measured between a bare page
(``benchmarks/bare_page.py``) and the whole explorer (``benchmarks/interaction_speed.py`` serves all three).

The same map as the explorer's England view (``ui.view_map_cached`` with the explorer's defaults, shown
by ``ui.show_map`` with its legend beside it), under a title and nothing else: no sidebar controls,
metrics, tabs or downloads.
"""

import streamlit as st

from geo_core20 import ui
from geo_core20.ui import link, style

st.set_page_config(page_title="England map", layout="wide")
style.apply()
st.title("England map")
shown = ui.view_map_cached(link.DEFAULT_VINTAGE, "england", None, link.DEFAULT_SHADE, True,
                           link.DEFAULT_BASEMAP)
left, right = st.columns([5, 2], gap="medium")
with left:
    ui.show_map(shown, key="explorer_map", height=620, legend_in=right)
