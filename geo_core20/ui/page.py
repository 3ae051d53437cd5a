"""What every page starts from: the frame, the sidebar view, the area's LSOAs and the page header.

    @page.frame                                  # a data error is shown here, once for every page
    def main():
        ctx = page.context("PLUS layers")        # sidebar + URL -> PageContext
        page.header(ctx, f"{ctx.area_name}: PLUS groups", "caption…")
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import streamlit as st

from geo_core20 import schema
from geo_core20.errors import DataError
from geo_core20.ui import cache, focus, present, style, widgets
from geo_core20.ui.state import View

ABOUT_DIR = Path(__file__).resolve().parents[2] / "docs" / "about"  # Markdown shown on the About pages


@dataclass(frozen=True)
class PageContext:
    """The view a page shows and the data it needs, built once per run."""

    view: View
    core20_on: bool
    atlas: gpd.GeoDataFrame
    area_atlas: gpd.GeoDataFrame
    area_name: str
    problems: list[str] = field(default_factory=list)
    link: dict[str, str] | None = None  # the URL's parameters when it is a link new to this session

    @property
    def slug(self) -> str:
        """``vintage_level[_area]`` for file names (no ``england_england``)."""
        v = self.view
        return f"{v.vintage}_{v.level}" + (f"_{v.area}" if v.level != "england" and v.area else "")


def frame(page_main: Callable[[], None]) -> Callable[[], None]:
    """A page's ``main`` inside the page frame: a data error (a cache not built yet, or damaged)
    ends the page with its message (which file, which command builds it) instead of a traceback.

    Input errors are not caught here: a page shows them beside the control they concern.
    """
    @functools.wraps(page_main)
    def run() -> None:
        try:
            page_main()
        except DataError as exc:
            st.error(str(exc), icon=":material/error:")

    return run


def presentation() -> None:
    """Presentation mode on a page without the view sidebar (accelerators, about): link, switch, CSS."""
    style.apply()
    present.from_link(widgets.new_link_params())
    present.toggle()
    present.apply()
    widgets.sync_query(present.params())


def context(title: str, *, with_shading: bool = False) -> PageContext:
    """Draw the sidebar (view controls) and return the page's context."""
    style.apply()
    st.sidebar.title(title)
    link = widgets.new_link_params()
    present.from_link(link)
    focus_problems = focus.from_link(link)
    with st.spinner("Loading the LSOA atlas…"):  # shown only if it takes over half a second (a cold start)
        view, core20_on, problems = widgets.view_controls(with_shading=with_shading)
    focus.picker()
    present.toggle()
    present.apply()
    cache.warm_caches(view.vintage)
    return PageContext(view=view, core20_on=core20_on, atlas=cache.load_atlas_cached(view.vintage),
                       area_atlas=cache.area_atlas_cached(view.vintage, view.level, view.area),
                       area_name=cache.area_title(view.vintage, view.level, view.area),
                       problems=[*problems, *focus_problems],
                       link=link)


def header(ctx: PageContext, title: str, caption: str, problems: list[str] | tuple[str, ...] = ()) -> None:
    """Title, caption, link problems and a missing-assets error."""
    st.title(title)
    level = "" if ctx.view.level == "england" else f"{schema.LEVEL_LABEL[ctx.view.level]} · "
    st.caption(f"{level}{schema.IMD_LABEL[ctx.view.vintage]} · {caption}")
    focus.accelerator_banner(ctx)
    for problem in [*ctx.problems, *problems]:
        st.warning(problem, icon=":material/link_off:")
    if not cache.assets_ready():
        st.error("The map's JavaScript/CSS is not installed, so maps cannot draw. Run "
                 "`python -m geo_core20 assets` (needs npm) and reload.")
