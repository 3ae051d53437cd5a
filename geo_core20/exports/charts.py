"""Charts for slides and reports (matplotlib), as PNG (300 dpi) or SVG bytes.

    png = decile_profile_chart(profile_frame(atlas, "icb", "E54000008"), "Cheshire and Merseyside", "png")

Each function takes the same frame the app shows (``areas.decile_profile``, a plan's ``curve``
records, ``access.distance_bands``) and returns the file's bytes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from geo_core20 import areas
from geo_core20.clinical import hypertension
from geo_core20.exports.cartography import FONT
from geo_core20.exports.formats import CHART_FORMATS, check_format, figure_bytes
from geo_core20.maps import palette

CHART_SIZE = (7.5, 4.2)  # inches: half a 16:9 slide at a readable font size
_ENGLAND_TICK = palette.AREA_LINE


def _check(fmt: str) -> str:
    return check_format(fmt, CHART_FORMATS, "chart output type")


def _figure(title: str) -> tuple[Figure, object]:
    fig = Figure(figsize=CHART_SIZE, dpi=100, layout="constrained")
    ax = fig.add_subplot()
    # a figure-level title, wrapped: long area names must not run off the chart
    fig.suptitle(
        "\n".join(textwrap.wrap(title, 70)), x=0.02, ha="left", fontsize=12, fontweight="bold", family=FONT
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=9)
    return fig, ax


def profile_frame(atlas: pd.DataFrame, level: str, area_code: str | None) -> pd.DataFrame:
    """The decile profile the app charts: ``areas.decile_profile`` plus population_share and
    england_share (fractions 0-1) and ``core20`` (deciles 1-2)."""
    prof = areas.decile_profile(atlas[areas.mask(atlas, level, area_code)])
    eng = areas.decile_profile(atlas)
    prof["population_share"] = prof["population"] / max(int(prof["population"].sum()), 1)
    prof["england_share"] = (eng["population"] / max(int(eng["population"].sum()), 1)).to_numpy()
    prof["core20"] = prof["imd_decile"] <= 2
    return prof


def decile_profile_figure(profile: pd.DataFrame, area_name: str, *, england_ticks: bool = True) -> Figure:
    """Share of the area's population by national IMD decile (bars, the map's colours), England as ticks."""
    fig, ax = _figure(f"{area_name}: population by national IMD decile")
    x = profile["imd_decile"].to_numpy()
    ax.bar(
        x,
        profile["population_share"],
        color=list(palette.DECILE_COLOURS[: len(x)]),
        width=0.75,
        label="This area",
    )
    if england_ticks:
        ax.scatter(
            x,
            profile["england_share"],
            marker="_",
            s=700,
            linewidths=3,
            color=_ENGLAND_TICK,
            label="England",
            zorder=3,
        )
    ax.axvspan(0.5, 2.5, color=palette.CHART_SHADE, alpha=0.05, lw=0)
    top = max(float(profile["population_share"].max()), float(profile["england_share"].max()), 0.01)
    ax.text(1.5, top * 1.08, "Core20", ha="center", fontsize=9, family=FONT, color=palette.TEXT_SUBTITLE)
    ax.set_ylim(0, top * 1.18)
    ax.set_xticks(x)
    ax.set_xlabel("National IMD decile (1 = most deprived)", fontsize=10, family=FONT)
    ax.set_ylabel("Share of population", fontsize=10, family=FONT)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    if england_ticks:
        ax.legend(frameon=False, fontsize=9, loc="upper right")
    return fig


def decile_profile_chart(
    profile: pd.DataFrame, area_name: str, fmt: str = "png", *, england_ticks: bool = True
) -> bytes:
    """:func:`decile_profile_figure` as PNG or SVG bytes."""
    return figure_bytes(decile_profile_figure(profile, area_name, england_ticks=england_ticks), _check(fmt))


def coverage_curve_figure(
    curve: pd.DataFrame | Sequence[dict],
    area_name: str = "",
    chosen_k: int | None = None,
    target_label: str = "target",
    objective: str = "mclp",
    unit: str = "m",
) -> Figure:
    """What the plan's objective optimises against the number of new sites, as the page shows it:
    the share of the target within reach (MCLP) or the mean distance or time to the nearest site
    (p-median; ``unit`` "m" draws km, any other unit as it is, e.g. minutes)."""
    frame = pd.DataFrame(curve)
    pmedian = objective == "pmedian"
    column = "mean_cost" if pmedian else "covered_share"
    if frame.empty or not {"k", column} <= set(frame.columns):
        raise ValueError(f"a plan's curve needs records with k and {column}")
    if pmedian:
        frame = frame[frame["k"] > 0]
        y_values = frame[column].astype(float) / (1000 if unit == "m" else 1)
        unit_text = "km" if unit == "m" else unit
        what = "distance" if unit == "m" else "travel time"
        where = f"{area_name}: " if area_name else ""
        title = f"{where}mean {what} to the nearest site by number of new sites"
    else:
        y_values = frame[column].astype(float)
        where = f"{area_name}: " if area_name else ""
        title = f"{where}coverage of {target_label} residents by number of new sites"
    fig, ax = _figure(title)
    ax.plot(frame["k"], y_values, marker="o", color=palette.DECILE_COLOURS[3], lw=2)
    if chosen_k is not None and (frame["k"] == chosen_k).any():
        y = float(y_values[(frame["k"] == chosen_k).to_numpy()].iloc[0])
        ax.scatter([chosen_k], [y], s=120, facecolor="none", edgecolor=_ENGLAND_TICK, linewidths=2, zorder=3)
        ax.annotate(
            f"k = {chosen_k}: " + (f"{y:.2f} {unit_text}" if pmedian else f"{y:.1%}"),
            (chosen_k, y),
            xytext=(8, -14),
            textcoords="offset points",
            fontsize=9,
            family=FONT,
        )
    ax.set_xlabel("New sites (k)", fontsize=10, family=FONT)
    if pmedian:
        ax.set_ylabel(f"Mean {what} to the nearest site ({unit_text})", fontsize=10, family=FONT)
        ax.set_ylim(0, float(y_values.max()) * 1.1 if len(y_values) else 1)
    else:
        ax.set_ylabel("Share of target residents reached", fontsize=10, family=FONT)
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", color=palette.RULE, lw=0.6)
    return fig


def coverage_curve_chart(
    curve: pd.DataFrame | Sequence[dict],
    fmt: str = "png",
    *,
    area_name: str = "",
    chosen_k: int | None = None,
    target_label: str = "target",
    objective: str = "mclp",
    unit: str = "m",
) -> bytes:
    return figure_bytes(coverage_curve_figure(curve, area_name, chosen_k, target_label, objective, unit),
                        _check(fmt))


def distance_bands_figure(bands: pd.DataFrame, area_name: str = "", what: str = "nearest site") -> Figure:
    """Share of the target population per distance band (``access.distance_bands``), cumulative as a line."""
    if bands.empty or not {"band", "share"} <= set(bands.columns):
        raise ValueError("distance bands need the columns band and share")
    fig, ax = _figure(f"{area_name + ': ' if area_name else ''}distance to the {what}")
    x = np.arange(len(bands))
    ax.bar(x, bands["share"], color=palette.DECILE_COLOURS[4], width=0.7, label="In band")
    if "cumulative_share" in bands:
        ax.plot(x, bands["cumulative_share"], color=_ENGLAND_TICK, marker="o", lw=1.5, label="Cumulative")
        ax.legend(frameon=False, fontsize=9, loc="center right")
    ax.set_xticks(x, bands["band"].astype(str), fontsize=9)
    ax.set_xlabel(
        "Straight-line distance from the LSOA's population-weighted centre", fontsize=10, family=FONT
    )
    ax.set_ylabel("Share of target population", fontsize=10, family=FONT)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    return fig


def distance_bands_chart(
    bands: pd.DataFrame, fmt: str = "png", *, area_name: str = "", what: str = "nearest site"
) -> bytes:
    return figure_bytes(distance_bands_figure(bands, area_name, what), _check(fmt))


SHARE_MEASURES = ("recorded_to_expected", "core20_target_share", "smoking_prevalence", "recorded_prevalence")
AMBITIONS = {"recorded_to_expected": hypertension.AMBITION}  # the national ambition a measure is read against


def focus_compare_figure(compare: pd.DataFrame, measure: str = "target_per_1000", label: str = "") -> Figure:
    """A clinical focus measure for the area, its parent and England, whole and Core20 part
    (rows of ``clinical.focus_compare``)."""
    if compare.empty or measure not in compare.columns:
        raise ValueError(f"the focus comparison has no column {measure!r}")
    wide = compare.pivot_table(index=["scope", "area_name"], columns="part", values=measure, sort=False)
    fig, ax = _figure(label or measure.replace("_", " "))
    y = np.arange(len(wide))
    names = ["\n".join(textwrap.wrap(str(n), 28)) for _, n in wide.index]
    share = measure in SHARE_MEASURES  # a fraction 0-1: shown in per cent, each bar labelled
    for i, (part, colour) in enumerate(  # the deck's focus chart colours: NHS blue, decile 1 for Core20
        (("whole", palette.NHS_BLUE), ("core20", palette.DECILE_COLOURS[0]))
    ):
        if part in wide.columns:
            bars = ax.barh(
                y + (i - 0.5) * 0.38,
                wide[part],
                height=0.36,
                color=colour,
                label="Whole area" if part == "whole" else "Core20 part",
            )
            if share:
                ax.bar_label(bars, labels=[f"{v:.1%}" for v in wide[part]], padding=3, fontsize=9)
    if share:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlim(0, max(1.0, float(np.nanmax(wide.to_numpy())) * 1.12))
        if measure in AMBITIONS:  # the national ambition as a line the bars are read against
            ax.axvline(AMBITIONS[measure], color=palette.TEXT, linestyle=(0, (4, 3)), linewidth=1.2,
                       label=f"Ambition {AMBITIONS[measure]:.0%}")
    ax.set_yticks(y, names, fontsize=9)
    ax.set_xlabel(label or measure.replace("_", " "), fontsize=10, family=FONT)
    ax.invert_yaxis()
    ax.legend(frameon=False, fontsize=9)
    return fig


def focus_compare_chart(
    compare: pd.DataFrame, fmt: str = "png", *, measure: str = "target_per_1000", label: str = ""
) -> bytes:
    return figure_bytes(focus_compare_figure(compare, measure, label), _check(fmt))
