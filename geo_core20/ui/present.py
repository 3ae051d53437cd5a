"""Presentation mode (``present=1`` in any link, see ``ui.link``): for a projector or a screen share.

The sidebar, the page's controls and the downloads are hidden (still run, so every value is
kept), the title, subtitle and key numbers are large and the map fills the screen. One button
brings the controls back. Hiding is done with CSS on Streamlit's element test ids, so the
pages draw exactly what they draw otherwise.
"""

from __future__ import annotations

import streamlit as st

from geo_core20.ui import keep
from geo_core20.ui.link import K_PRESENT

MAP_HEIGHT = 400  # with the compact header below, title, key numbers, map and legend fit 1280x720

# What a presentation hides: every input widget and download in the page, the sidebar and
# Streamlit's own toolbar. The exit button is kept (its container has the class st-key-<key>,
# excluded from the hiding rule: a separate 'show' rule would lose on specificity).
_WIDGETS = ("stSelectbox", "stMultiSelect", "stRadio", "stNumberInput", "stTextInput", "stSlider",
            "stCheckbox", "stFileUploader", "stDownloadButton", "stButtonGroup", "stCode", "stForm",
            "stExpander", "stButton", "stTextArea", "stPopover")
_CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stToolbar"] {display: none !important;}
HIDDEN {display: none !important;}
[data-testid="stMain"] h1 {font-size: 3.2rem !important;}
[data-testid="stMain"] [data-testid="stCaptionContainer"] {font-size: 1.25rem !important;}
[data-testid="stMetricValue"] {font-size: 2.8rem !important;}
[data-testid="stMetricLabel"] p {font-size: 1.2rem !important;}
.block-container {padding-top: 1rem !important; max-width: 100% !important;}
/* the exit button floats top right instead of taking a row above the title */
.st-key-gc20_present_exit {position: fixed !important; top: 0.6rem; right: 1.2rem; z-index: 1000;
  width: auto !important;}
/* a 720-pixel projector: a compact header, so map and legend fit the screen without scrolling */
@media (max-height: 820px) {
  .block-container {padding-top: 0.5rem !important; padding-bottom: 1rem !important;}
  [data-testid="stMain"] h1 {font-size: 2.3rem !important; padding: 0.2rem 0 0.3rem 0 !important;}
  [data-testid="stMain"] [data-testid="stCaptionContainer"] {font-size: 1rem !important;}
  [data-testid="stMetricValue"] {font-size: 1.9rem !important;}
  [data-testid="stMetricLabel"] p {font-size: 1rem !important;}
  [data-testid="stMain"] [data-testid="stVerticalBlock"] {gap: 0.5rem !important;}
}
</style>
"""


def _css() -> str:
    hidden = ", ".join(f'[data-testid="stMain"] [data-testid="stElementContainer"]'
                       f':not(.st-key-gc20_present_exit):has([data-testid="{w}"])' for w in _WIDGETS)
    return _CSS.replace("HIDDEN", hidden)


def enabled() -> bool:
    return bool(keep.get(K_PRESENT, False))


def toggle(container=None) -> bool:
    """The sidebar switch; returns whether presentation mode is on."""
    c = container or st.sidebar
    return bool(keep.widget(c.toggle, "Presentation mode", key=K_PRESENT, default=False,
                            help="Hide the controls and show large titles, numbers and map, for a projector "
                                 "or a screen share. The link keeps it (present=1)."))


def apply() -> None:
    """Hide the controls when presentation mode is on, with one button to leave it."""
    if not enabled():
        return
    # style-only st.html takes no room, and needs no HTML-in-Markdown parser (ui.map_display.show_beside)
    st.html(_css())
    # a callback: it runs before the next run draws the toggle, so the toggle can be set
    st.button("Exit presentation", key="gc20_present_exit", icon=":material/close_fullscreen:",
              on_click=keep.put, args=(K_PRESENT, False))


def map_height(default: int) -> int:
    return MAP_HEIGHT if enabled() else default
