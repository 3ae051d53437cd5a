"""``PageContext``: what a page shows and the data it needs, built once per run by ``ui.page.context``.

A leaf module (it imports no other ``ui`` module but the link's ``View``), so the modules that take a
context (``focus``, ``plus_panels``, ``plan_form``...) never import the composer ``ui.page``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from geo_core20.ui.link import View


@dataclass(frozen=True)
class PageContext:
    """The view a page shows and the data it needs, built once per run."""

    page: str  # the page's id (ui.pages), which says which link parameters it has
    view: View
    core20_on: bool
    atlas: gpd.GeoDataFrame
    area_atlas: gpd.GeoDataFrame
    area_name: str
    problems: list[str] = field(default_factory=list)
    link_box: Any = None  # the sidebar placeholder for "Link to this view" (filled by page.finish)

    @property
    def slug(self) -> str:
        """``vintage_level[_area]`` for file names (no ``england_england``)."""
        v = self.view
        return f"{v.vintage}_{v.level}" + (f"_{v.area}" if v.level != "england" and v.area else "")
