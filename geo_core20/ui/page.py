"""What every page starts and ends with: the frame, the sidebar view, the area's LSOAs, the page
header and the link (address bar and "Link to this view").

    @page.frame                                  # a data error is shown here, once for every page
    def main():
        ctx = page.context(pages.PLUS)           # URL + sidebar -> PageContext
        page.header(ctx, f"{ctx.area_name}: PLUS groups", "caption…")
        ...                                      # the page's sections
        page.finish(ctx)                         # address bar + the shown share link
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from geo_core20 import schema
from geo_core20.errors import DataError
from geo_core20.ui import cache, focus, link, pages, present, style, widgets
from geo_core20.ui.context import PageContext

ABOUT_DIR = Path(__file__).resolve().parents[2] / "docs" / "about"  # Markdown shown on the About pages


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


def presentation(page_id: str) -> None:
    """A page without the view sidebar (accelerators, about): link, presentation switch, CSS, share link."""
    style.apply()
    link.apply(page_id, widgets.area_exists)
    present.toggle()
    present.apply()
    link.sync(page_id, None)
    link.share_box(st.sidebar, link.share_url(page_id, None), fold=True)


def context(page_id: str, *, with_shading: bool = False,
            on_link: Callable[[link.Link | None], list[str]] | None = None) -> PageContext:
    """Apply a new link, draw the sidebar (view controls) and return the page's context.

    ``on_link(new_link_or_None)`` runs after the link set the controls and before they are drawn
    (the planner opens ``?plan=`` there); it returns problems to show.
    """
    style.apply()
    st.sidebar.title(pages.get(page_id).title)
    new = link.apply(page_id, widgets.area_exists)
    extra = on_link(new) if on_link is not None else []
    with st.spinner("Loading the LSOA atlas…"):  # shown only if it takes over half a second (a cold start)
        view, core20_on, problems = widgets.view_controls(with_shading=with_shading)
    focus.picker()
    present.toggle()
    present.apply()
    box = st.sidebar.container()  # "Link to this view", filled by finish() once the page is drawn
    cache.warm_caches(view.vintage)
    return PageContext(page=page_id, view=view, core20_on=core20_on,
                       atlas=cache.load_atlas_cached(view.vintage),
                       area_atlas=cache.area_atlas_cached(view.vintage, view.level, view.area),
                       area_name=cache.area_title(view.vintage, view.level, view.area),
                       problems=[*link.problems(view), *problems, *extra], link_box=box)


def share_link(ctx: PageContext, extra: dict[str, str] | None = None, container=None,
               caption: str = "Link to this view") -> str:
    """Show the share link of what the page shows (every parameter written out); returns it. The
    sidebar's link (no ``container``) is folded into a "Link to this view" popover (``link.share_box``);
    a link shown in the page after an action (a built target, a saved plan) is shown open."""
    return link.share_box(container if container is not None else ctx.link_box,
                          link.share_url(ctx.page, ctx.view, extra), caption, fold=container is None)


def finish(ctx: PageContext, extra: dict[str, str] | None = None) -> None:
    """End of a page: the address bar follows the page, the sidebar shows its share link."""
    link.sync(ctx.page, ctx.view, extra)
    share_link(ctx, extra)


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
