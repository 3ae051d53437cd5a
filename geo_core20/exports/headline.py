"""Headline messages of the exports, generated from the same numbers as their tables.

    where = core20_by_lad(frame)                 # local authorities by Core20 residents, most first
    headline_sentence(area_name, summary, where) -> "31.0% of residents live in Core20 neighbourhoods,
                                                     most of them in Liverpool and Knowsley."
    profile_paragraph(facts)                     -> the plain-English Core20PLUS5 picture of the area

No hand-written text per area: every figure is formatted by the functions below, so a sentence
and the table it summarises always show the same value (tests parse the figures back).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

MOST_OF_THEM_MAX = 3
""""most of them in" names at most this many local authorities."""


def pct(share: float) -> str:
    """A share (0-1) as the tables show it: one decimal place."""
    return f"{float(share):.1%}"


def count(n: float) -> str:
    """A count of people or places as the tables show it: whole, with thousands separators."""
    return f"{float(n):,.0f}"


def join_names(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def core20_by_lad(frame: pd.DataFrame) -> pd.DataFrame:
    """Core20 residents of an area's LSOAs by local authority: columns lad_name, core20_population,
    share (of the area's Core20 residents); most first, local authorities with none left out."""
    core = frame.loc[frame["core20"].astype(bool), ["lad_name", "population"]]
    out = (core.groupby("lad_name", observed=True)["population"].sum().rename("core20_population")
           .reset_index().sort_values(["core20_population", "lad_name"], ascending=[False, True]))
    out = out.loc[out["core20_population"] > 0].reset_index(drop=True)
    total = float(out["core20_population"].sum())
    out["share"] = out["core20_population"] / total if total else 0.0
    return out


def most_of_them(where: pd.DataFrame, limit: int = MOST_OF_THEM_MAX) -> list[str] | None:
    """The fewest local authorities (at most ``limit``) that together hold more than half of the
    area's Core20 residents, or None when more would be needed (or there are none)."""
    total = float(where["core20_population"].sum())
    if total <= 0:
        return None
    running = 0.0
    for i, row in enumerate(where.itertuples(index=False)):
        if i >= limit:
            return None
        running += float(row.core20_population)
        if running > total / 2:
            return [str(n) for n in where["lad_name"].iloc[: i + 1]]
    return None


def where_clause(where: pd.DataFrame) -> str:
    """'most of them in A and B' or 'spread across N local authorities' ('' with one or none)."""
    if len(where) <= 1:
        return f"all of them in {where['lad_name'].iloc[0]}" if len(where) == 1 else ""
    names = most_of_them(where)
    if names:
        return f"most of them in {join_names(names)}"
    return f"spread across {len(where):,} local authorities"


def headline_sentence(area_name: str, summary: dict, where: pd.DataFrame, *, level: str = "icb") -> str:
    """One sentence: the Core20 share of residents and where they live."""
    share, people = summary["core20_population_pct"], summary["core20_population"]
    whose = "England's residents" if level == "england" else "residents"
    if not people:
        return f"No resident of {area_name} lives in a Core20 neighbourhood."
    clause = where_clause(where) if level != "lad" else ""
    return (f"{pct(share)} of {whose} ({count(people)} people) live in Core20 neighbourhoods"
            + (f", {clause}." if clause else "."))


@dataclass(frozen=True)
class PlusRow:
    """One PLUS group's share of residents in the area and in England."""

    label: str
    area_share: float
    england_share: float


@dataclass(frozen=True)
class Facts:
    """What the profile paragraph says, each figure as the tables hold it."""

    area_name: str
    level: str
    summary: dict
    england_share: float  # England's Core20 share of residents
    where: pd.DataFrame  # core20_by_lad
    plus: tuple[PlusRow, ...] = ()  # only groups present in the area (no coastal row inland)
    focus_label: str = ""
    focus_sentence: str = ""  # built by focus_sentence()
    plan_sentence: str = ""  # built by plan_sentence()


def plus_above(rows: tuple[PlusRow, ...]) -> list[PlusRow]:
    """The PLUS groups whose share in the area is above England's."""
    return [r for r in rows if r.area_share > r.england_share]


def focus_sentence(label: str, *, recorded_to_expected: float | None = None,
                   core20_recorded_to_expected: float | None = None, ambition: float | None = None,
                   target_label: str = "", target: float | None = None,
                   core20_target_share: float | None = None) -> str:
    """The chosen focus against its ambition (hypertension: diagnosed / expected against 80%);
    for a focus without a measured ambition, its target population and the Core20 share of it."""
    if recorded_to_expected is not None and ambition is not None:
        core = (f" ({pct(core20_recorded_to_expected)} in Core20 neighbourhoods)"
                if core20_recorded_to_expected is not None else "")
        verdict = "meeting" if recorded_to_expected >= ambition else "short of"
        return (f"{label}: {pct(recorded_to_expected)} of expected hypertension is diagnosed{core}, "
                f"{verdict} the national ambition of {ambition:.0%}.")
    if target is not None:
        core = f", {pct(core20_target_share)} of them in Core20 neighbourhoods" \
            if core20_target_share is not None else ""
        what = target_label.split(" (")[0].lower() or "people in the target"  # no parenthetical aside
        return f"{label}: {count(target)} {what}{core}."
    return ""


def plan_sentence(name: str, covered_share: float, sites: int, *, covered_core20_share: float | None = None,
                  target_core20_share: float | None = None) -> str:
    """The saved plan's reach and equity."""
    out = (f"The saved plan \u201c{name}\u201d reaches {pct(covered_share)} of its target residents "
           f"with {sites:,} new site{'s' if sites != 1 else ''}")
    if covered_core20_share is not None and target_core20_share is not None:
        out += (f"; {pct(covered_core20_share)} of the people it reaches live in Core20 neighbourhoods "
                f"(target: {pct(target_core20_share)})")
    return out + "."


def profile_paragraph(f: Facts) -> str:
    """The area's Core20PLUS5 picture in plain English (a few sentences, all from ``f``)."""
    s = f.summary
    if f.level == "england":
        parts = [f"{pct(s['core20_population_pct'])} of England's residents "
                 f"({count(s['core20_population'])}) live in Core20 neighbourhoods, "
                 "by definition about a fifth."]
    else:
        rel = "above" if s["core20_population_pct"] > f.england_share else "below"
        parts = [f"{pct(s['core20_population_pct'])} of residents of {f.area_name} "
                 f"({count(s['core20_population'])}) live in Core20 neighbourhoods, {rel} England's "
                 f"{pct(f.england_share)}."]
    if f.level != "lad" and s["core20_population"] and len(f.where):
        names = most_of_them(f.where)
        if len(f.where) == 1:
            parts.append(f"All of them live in {f.where['lad_name'].iloc[0]}.")
        elif names:
            parts.append(f"Most of them live in {join_names(names)}.")
        else:
            parts.append(f"They are spread across {len(f.where):,} local authorities.")
    above = plus_above(f.plus)
    if above:
        parts.append("PLUS groups with a larger share of residents here than in England: " + "; ".join(
            f"{r.label} {pct(r.area_share)} (England {pct(r.england_share)})" for r in above) + ".")
    elif f.plus and f.level != "england":
        parts.append("No PLUS group in these national data has a larger share of residents here than "
                     "in England.")
    if f.focus_sentence:
        parts.append(f.focus_sentence)
    if f.plan_sentence:
        parts.append(f.plan_sentence)
    return " ".join(parts)
