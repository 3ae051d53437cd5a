"""The app's pages, in navigation order: one list used by ``app.py`` (``st.navigation``) and by
anything that links to a page (``ui.link.page_link``), so no page hard-codes another's file name.

    from geo_core20.ui import pages
    pages.get(pages.PLUS).script        # "views/2_PLUS_layers.py"

Pure data (no Streamlit): the home page is a function in ``app.py``, the others are scripts in
``views/``. The folder is not called ``pages/`` on purpose: Streamlit would then build its own
page list from it and show the home page as "app" on a page opened by its link.
"""

from __future__ import annotations

from dataclasses import dataclass

EXPLORER, PLUS, PLANNER, ACCELERATORS, ABOUT = "explorer", "plus", "planner", "accelerators", "about"


@dataclass(frozen=True)
class Page:
    """One page: its id (used by the link registry), title, script and address."""

    id: str
    title: str
    script: str | None  # relative to app.py; None for the home page (a function in app.py)
    url_path: str  # the page's address: /PLUS_layers (the home page is /)
    has_view: bool  # draws the view sidebar (vintage, level, area, outline, basemap, focus)


PAGES: tuple[Page, ...] = (
    Page(EXPLORER, "Core20 explorer", None, "", True),
    Page(PLUS, "PLUS layers", "views/2_PLUS_layers.py", "PLUS_layers", True),
    Page(PLANNER, "Outreach planner", "views/3_Outreach_planner.py", "Outreach_planner", True),
    Page(ACCELERATORS, "Accelerator sites", "views/4_Accelerator_sites.py", "Accelerator_sites", False),
    Page(ABOUT, "About the data", "views/9_About_the_data.py", "About_the_data", False),
)
IDS = tuple(p.id for p in PAGES)
VIEW_PAGES = tuple(p.id for p in PAGES if p.has_view)


def get(page_id: str) -> Page:
    """The page with this id (KeyError naming the known ids otherwise)."""
    for p in PAGES:
        if p.id == page_id:
            return p
    raise KeyError(f"unknown page {page_id!r}; pages: {', '.join(IDS)}")
