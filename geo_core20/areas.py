"""Geography levels: listing areas, selecting an area's LSOAs, and area summaries.

Core20 is always the national cut (IMD decile 1-2 in England), never re-ranked within
an area: a summary counts the area's LSOAs that are in the national most deprived 20%.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo_core20 import schema
from geo_core20.errors import AreaError

SUMMARY_COLUMNS = ("area_code", "area_name", "lsoas", "population", "core20_lsoas",
                   "core20_population", "core20_population_pct", "pct_lsoas_most_deprived_10")
"""Stable column names of `summary` (scripted against by analysts).

``core20_population_pct`` and ``pct_lsoas_most_deprived_10`` are fractions from 0 to 1."""


def check_level(level: str) -> str:
    if level not in schema.LEVELS:
        raise AreaError(f"unknown level {level!r}; expected one of {', '.join(schema.LEVELS)}")
    return level


def list_areas(atlas: pd.DataFrame, level: str) -> pd.DataFrame:
    """The areas of a level, sorted by name: columns area_code, area_name."""
    check_level(level)
    if level == "england":
        return pd.DataFrame({"area_code": [schema.ENGLAND_CODE], "area_name": ["England"]})
    code, name = schema.LEVEL_COLUMNS[level]
    out = atlas[[code, name]].drop_duplicates().rename(columns={code: "area_code", name: "area_name"})
    return out.sort_values("area_name").reset_index(drop=True)


def area_name(atlas: pd.DataFrame, level: str, area_code: str | None) -> str:
    """The area's name ("England" for level england); AreaError for an unknown code."""
    if level == "england":
        return "England"
    areas = list_areas(atlas, level)
    hit = areas.loc[areas["area_code"] == area_code, "area_name"]
    if hit.empty:
        raise AreaError(f"no {schema.LEVEL_LABEL[level]} with code {area_code!r} in this atlas")
    return str(hit.iloc[0])


def mask(atlas: pd.DataFrame, level: str, area_code: str | None) -> pd.Series:
    """Boolean row mask of the LSOAs in an area (all of England for level england)."""
    check_level(level)
    if level == "england":
        return pd.Series(True, index=atlas.index)
    code_col = schema.LEVEL_COLUMNS[level][0]
    out = atlas[code_col] == area_code
    if not out.any():
        raise AreaError(f"no {schema.LEVEL_LABEL[level]} with code {area_code!r} in this atlas")
    return out


def select(atlas: gpd.GeoDataFrame, level: str, area_code: str | None) -> gpd.GeoDataFrame:
    """The LSOAs of one area."""
    return atlas[mask(atlas, level, area_code)]


def _summarise(frame: pd.DataFrame) -> dict:
    pop = int(frame[schema.POPULATION].sum())
    core = frame[schema.CORE20]
    core_pop = int(frame.loc[core, schema.POPULATION].sum())
    n = len(frame)
    return {
        "lsoas": n,
        "population": pop,
        "core20_lsoas": int(core.sum()),
        "core20_population": core_pop,
        "core20_population_pct": core_pop / pop if pop else 0.0,
        "pct_lsoas_most_deprived_10": float((frame[schema.IMD_DECILE] == 1).sum() / n) if n else 0.0,
    }


def summary(atlas: pd.DataFrame, level: str) -> pd.DataFrame:
    """One row per area of ``level`` with the SUMMARY_COLUMNS."""
    check_level(level)
    if level == "england":
        rows = [{"area_code": schema.ENGLAND_CODE, "area_name": "England", **_summarise(atlas)}]
        return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    code, name = schema.LEVEL_COLUMNS[level]
    rows = [{"area_code": c, "area_name": n, **_summarise(g)}
            for (c, n), g in atlas.groupby([code, name], sort=False)]
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return out.sort_values("area_name").reset_index(drop=True)


def area_summary(atlas: pd.DataFrame, level: str, area_code: str | None) -> dict:
    """The summary row of one area, as a dict (the same figures as `summary`)."""
    frame = atlas[mask(atlas, level, area_code)]
    code = schema.ENGLAND_CODE if level == "england" else area_code
    return {"area_code": code, "area_name": "England" if level == "england"
            else area_name(atlas, level, area_code), **_summarise(frame)}


PARENT_LEVEL = {"lad": "region", "sub_icb": "icb", "icb": "nhs_region", "region": "england",
                "nhs_region": "england"}


def parent(atlas: pd.DataFrame, level: str, area_code: str | None) -> tuple[str, str | None] | None:
    """The (level, code) of the area containing this one, or None for England.

    Local authorities sit in ONS regions; sub-ICB locations in ICBs; ICBs in NHS regions.
    """
    check_level(level)
    if level == "england":
        return None
    up = PARENT_LEVEL[level]
    if up == "england":
        return ("england", None)
    rows = atlas.loc[mask(atlas, level, area_code), schema.LEVEL_COLUMNS[up][0]].unique()
    return (up, str(rows[0])) if len(rows) == 1 else ("england", None)


@dataclass(frozen=True)
class Scope:
    """One row of a comparison: the area itself, the area containing it, or England."""

    scope: str  # "area", "parent" or "england"
    level: str
    area_code: str | None

    @property
    def role(self) -> str:
        """How the page labels the row: "This area", "Parent (ICB)" or "England"."""
        if self.scope == "parent":
            return f"Parent ({schema.LEVEL_LABEL[self.level]})"
        return "England" if self.level == "england" else "This area"


def comparison_scopes(atlas: pd.DataFrame, level: str, area_code: str | None) -> tuple[Scope, ...]:
    """The area, its parent area (when that is not England) and England (unless the area is England).

    The one definition of "the area beside its parent and England" used by the explorer's
    comparison, the area profile and the clinical focus figures.
    """
    scopes = [Scope("area", level, area_code)]
    up = parent(atlas, level, area_code)
    if up is not None and up[0] != "england":
        scopes.append(Scope("parent", up[0], up[1]))
    if level != "england":
        scopes.append(Scope("england", "england", None))
    return tuple(scopes)


def comparison(atlas: pd.DataFrame, level: str, area_code: str | None) -> pd.DataFrame:
    """Summary rows (SUMMARY_COLUMNS) of `comparison_scopes`, with their ``scope`` and ``role``."""
    rows = [{**area_summary(atlas, s.level, s.area_code), "scope": s.scope, "role": s.role}
            for s in comparison_scopes(atlas, level, area_code)]
    return pd.DataFrame(rows, columns=[*SUMMARY_COLUMNS, "scope", "role"])


def decile_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """LSOAs and population per national IMD decile (1 = most deprived), all ten deciles."""
    grouped = frame.groupby(schema.IMD_DECILE).agg(lsoas=(schema.LSOA_CODE, "size"),
                                                  population=(schema.POPULATION, "sum"))
    out = grouped.reindex(range(1, 11), fill_value=0)
    out.index.name = "imd_decile"
    out["lsoa_share"] = out["lsoas"] / max(len(frame), 1)
    return out.reset_index()
