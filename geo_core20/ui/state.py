"""Share links: the view lives in the URL (``?vintage=2025&level=icb&area=E54000008``).

``parse_view`` turns query parameters into a valid view plus the problems found;
anything unknown or malformed falls back (ultimately to England) with a message the page
shows, never an exception. ``view_params`` is the inverse, so a pasted link reopens the
same view. Optional ``shade`` and ``basemap`` parameters are kept when not the default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from geo_core20 import schema
from geo_core20.maps import choropleth, styles

DEFAULT_VINTAGE = schema.DEFAULT_VINTAGE
DEFAULT_SHADE = schema.IMD_DECILE
DEFAULT_BASEMAP = "none"
_GSS = re.compile(r"^[EWSNK]\d{8}$")
_VINTAGE_ALIASES = {"2025": "2025", "iod2025": "2025", "2019": "2019", "imd2019": "2019"}


@dataclass(frozen=True)
class View:
    """What the explorer shows."""

    vintage: str = DEFAULT_VINTAGE
    level: str = "england"
    area: str | None = None
    shade: str = DEFAULT_SHADE
    basemap: str = DEFAULT_BASEMAP

    @property
    def area_code(self) -> str:
        return schema.ENGLAND_CODE if self.level == "england" else str(self.area)


def _first(value: object) -> str:
    """A query value as one trimmed string (Streamlit gives str; tests may pass lists)."""
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    return str(value or "").strip()


def _choice(raw: str | None, allowed, default: str, what: str, fallback: str, problems: list[str]) -> str:
    """``raw`` if it is one of ``allowed``; else ``default``, noting the problem for the page."""
    if not raw:
        return default
    if raw.lower() in allowed:
        return raw.lower()
    problems.append(f"Unknown {what} {raw[:40]!r}; showing {fallback}.")  # as given, not lower-cased
    return default


def parse_view(params: Mapping[str, object], area_exists: Callable[[str, str, str], bool]
               ) -> tuple[View, list[str]]:
    """The view a URL asks for, and what was wrong with it (empty when all was fine).

    ``area_exists(vintage, level, code)`` says whether an area is in that vintage's atlas.
    """
    problems: list[str] = []
    vintage_raw = _first(params.get("vintage"))
    level_given = _first(params.get("level"))
    level_raw = level_given.lower()
    area_given = _first(params.get("area"))
    area_raw = area_given.upper()  # codes match case-insensitively; messages echo what was given
    shade_raw = _first(params.get("shade"))
    basemap_raw = _first(params.get("basemap"))

    vintage = DEFAULT_VINTAGE
    if vintage_raw:
        vintage = _VINTAGE_ALIASES.get(vintage_raw.lower(), "")
        if not vintage:
            problems.append(f"Unknown vintage {vintage_raw!r} (use 2025 or 2019); showing IoD2025.")
            vintage = DEFAULT_VINTAGE
    shade = _choice(shade_raw, styles.SHADINGS, DEFAULT_SHADE, "shading", "the IMD decile", problems)
    basemap = _choice(basemap_raw, choropleth.BASEMAPS, DEFAULT_BASEMAP, "basemap", "no basemap", problems)
    base = View(vintage=vintage, shade=shade, basemap=basemap)

    if not level_raw and not area_raw:
        return base, problems
    if level_raw not in schema.LEVELS:
        problems.append(f"Unknown geography level {level_given[:40] or '(missing)'!r} "
                        f"(use one of {', '.join(schema.LEVELS)}); showing England.")
        return base, problems
    if level_raw == "england":
        return replace(base, level="england"), problems
    if not area_raw:
        problems.append(f"No area code given for level {level_raw!r}; showing England.")
        return base, problems
    if not _GSS.match(area_raw):
        problems.append(f"{area_given[:40]!r} is not a GSS area code (like E54000008); showing England.")
        return base, problems
    if not area_exists(vintage, level_raw, area_raw):
        problems.append(f"No {schema.LEVEL_LABEL[level_raw]} with code {area_given[:40]} in "
                        f"{schema.IMD_LABEL[vintage]}; showing England.")
        return base, problems
    return replace(base, level=level_raw, area=area_raw), problems


def view_params(view: View) -> dict[str, str]:
    """The query parameters of a view (defaults for shade and basemap left out)."""
    out = {"vintage": view.vintage, "level": view.level}
    if view.level != "england" and view.area:
        out["area"] = view.area
    if view.shade != DEFAULT_SHADE:
        out["shade"] = view.shade
    if view.basemap != DEFAULT_BASEMAP:
        out["basemap"] = view.basemap
    return out


def share_url(target: View | Mapping[str, str], base: str = "") -> str:
    """A link to a view or to a page's full parameters, relative unless ``base`` is given."""
    params = view_params(target) if isinstance(target, View) else dict(target)
    return f"{base}?{urlencode(params)}"
