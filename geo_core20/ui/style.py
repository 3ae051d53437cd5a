"""The app's own CSS, drawn once at the top of every page (``page.context``, ``page.presentation``).

Streamlit greys captions by drawing the theme's text colour at 60% opacity (3.9:1 on white), and
the label of a disabled widget lighter still (2.3:1 on the sidebar): both below the 4.5:1
that WCAG 2 AA asks of normal text (axe-core's ``color-contrast`` rule). These rules draw them in
the palette's caption grey instead (7.5:1 on white, 7.0:1 on the sidebar), still lighter than
body text. The colours come from ``maps.palette``; the selectors are Streamlit's stable test ids.
"""

from __future__ import annotations

import streamlit as st

from geo_core20.maps import palette

SCRIPTS_MARK = "gc20-scripts"  # an element holding only scripts and preloads: hidden (it has nothing to show)

CSS = f"""<style>
/* gc20-contrast: WCAG 2 AA text contrast (tests/browser/test_accessibility_browser.py) */
[data-testid="stCaptionContainer"] {{
  color: {palette.CAPTION_TEXT} !important;
  opacity: 1 !important;
}}
[data-testid="stElementContainer"]:has(:disabled) label [data-testid="stMarkdownContainer"] p,
[data-testid="stElementContainer"]:has(:disabled) [data-testid="stWidgetLabel"] p {{
  color: {palette.CAPTION_TEXT} !important;
}}
/* our own scripts beside a map (ui.map_display.own_scripts_html) take no room on the page */
[data-testid="stElementContainer"]:has(.{SCRIPTS_MARK}) {{display: none;}}
</style>"""


def apply() -> None:
    """Add the app's CSS to the page (a style-only ``st.html`` takes no room on the page)."""
    st.html(CSS)
