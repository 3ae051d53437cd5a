"""Colours, classes and legends for LSOA maps (shared by every renderer).

One colour-blind-safe sequential scheme (viridis: perceptually uniform, readable in
greyscale and with the common colour-vision deficiencies), always with the *most deprived*
class darkest. Deciles are the published national deciles (never re-ranked locally); IMD
scores are put in classes by natural breaks (Fisher-Jenks) computed once over all England
LSOAs of the vintage, so one colour means the same score range in every area.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from geo_core20 import schema
from geo_core20.safety import escape_html

# viridis sampled at 10 even steps, darkest first: index 0 = decile 1 (most deprived)
DECILE_COLOURS: tuple[str, ...] = (
    "#440154", "#482878", "#3e4989", "#31688e", "#26828e",
    "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725",
)
# viridis at 7 steps, darkest first: index 0 = highest score class (most deprived)
SCORE_COLOURS: tuple[str, ...] = ("#440154", "#443983", "#31688e", "#21918c", "#35b779", "#90d743", "#fde725")
SCORE_CLASSES = len(SCORE_COLOURS)
NO_DATA_COLOUR = "#bdbdbd"

# Core20 outline: a dark line on a white halo reads on every fill, dark or light.
CORE20_LINE = "#000000"
CORE20_HALO = "#ffffff"
AREA_LINE = "#d7191c"  # the chosen area's boundary
CONTEXT_LINE = "#7f7f7f"  # neighbouring areas (context when there is no basemap)
LSOA_EDGE = "#ffffff"

SHADINGS: dict[str, str] = {
    schema.IMD_DECILE: "IMD decile",
    schema.IMD_SCORE: "IMD score",
    **{f"{stem}_decile": f"{label} domain decile" for stem, label in schema.DOMAINS.items()},
}
"""Atlas column -> label of everything a map can be shaded by."""


def is_decile(shade: str) -> bool:
    """True for decile shadings (1..10, national)."""
    return shade.endswith("_decile")


def check_shade(shade: str) -> str:
    """The shade name, or ValueError naming the valid ones."""
    if shade not in SHADINGS:
        raise ValueError(f"unknown shading {shade!r}; choose one of {', '.join(SHADINGS)}")
    return shade


@dataclass(frozen=True)
class Classes:
    """How one shading maps values to colours.

    ``upper`` holds the inclusive upper bound of each score class, in ascending order
    (empty for deciles).
    """

    shade: str
    colours: tuple[str, ...]
    labels: tuple[str, ...]
    title: str
    note: str
    upper: tuple[float, ...] = ()

    def index(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Class index (0 = darkest = most deprived) of each value; -1 where missing."""
        v = pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce").to_numpy(dtype=float)
        out = np.full(v.shape, -1, dtype=np.int64)
        ok = ~np.isnan(v)
        if is_decile(self.shade):
            dec = v[ok].astype(np.int64)
            out[ok] = np.where((dec >= 1) & (dec <= 10), dec - 1, -1)
        else:
            # ascending class (0 = lowest score) then flipped so the highest score is darkest
            asc = np.searchsorted(np.asarray(self.upper), v[ok], side="left")
            asc = np.minimum(asc, len(self.upper) - 1)
            out[ok] = len(self.upper) - 1 - asc
        return out

    def colour(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Fill colour of each value (grey where missing)."""
        idx = self.index(values)
        palette = np.asarray((*self.colours, NO_DATA_COLOUR), dtype=object)
        return palette[idx]  # -1 picks the trailing no-data grey


def decile_classes(shade: str, vintage_label: str = "") -> Classes:
    """Classes of a national decile shading (IMD or a domain)."""
    check_shade(shade)
    labels = tuple(
        f"{d}{' (most deprived 10%)' if d == 1 else ' (least deprived 10%)' if d == 10 else ''}"
        for d in range(1, 11)
    )
    what = SHADINGS[shade]
    title = f"{what}{f', {vintage_label}' if vintage_label else ''}"
    note = "National deciles: 1 = most deprived 10% of LSOAs in England."
    if shade == schema.IMD_DECILE:
        note += " Core20 = IMD deciles 1-2."
    return Classes(shade, DECILE_COLOURS, labels, title, note)


def _sample_for_breaks(scores: np.ndarray, n: int = 700) -> np.ndarray:
    """Evenly spaced order statistics: pure-python Fisher-Jenks is O(k n^2), 700 keeps it < 1 s."""
    s = np.sort(scores[~np.isnan(scores)])
    if len(s) <= n:
        return s
    return s[np.linspace(0, len(s) - 1, n).round().astype(int)]


class _Scores:
    """A score array hashed by its content, so ``lru_cache`` can key on it (~0.3 ms to hash
    all England's LSOAs, against ~0.8 s for the breaks)."""

    __slots__ = ("arr", "digest")

    def __init__(self, arr: np.ndarray):
        self.arr = np.ascontiguousarray(arr, dtype=float)
        self.digest = hashlib.blake2b(self.arr.tobytes(), digest_size=16).digest()

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Scores) and other.digest == self.digest


def score_breaks(scores: np.ndarray | pd.Series, k: int = SCORE_CLASSES) -> tuple[float, ...]:
    """Upper bounds of k natural-breaks (Fisher-Jenks) classes, the last being the maximum.

    Cached by the scores' content: the national breaks are computed once per vintage and
    process, whichever page or renderer asks (every rerun of an IMD score map asks).
    """
    return _score_breaks_cached(_Scores(np.asarray(scores, dtype=float)), k)


@lru_cache(maxsize=8)
def _score_breaks_cached(scores: _Scores, k: int) -> tuple[float, ...]:
    import mapclassify  # local import: only the score shading needs it

    arr = scores.arr
    sample = _sample_for_breaks(arr)
    k = max(1, min(k, len(np.unique(sample))))
    with warnings.catch_warnings():
        # mapclassify warns that numba would be faster; 700 values take well under a second
        warnings.filterwarnings("ignore", message="Numba not installed")
        bins = mapclassify.FisherJenks(sample, k=k).bins
    upper = [round(float(b), 1) for b in bins[:-1]]
    upper.append(float(np.nanmax(arr)))
    return tuple(upper)


@lru_cache(maxsize=8)
def _score_classes_cached(upper: tuple[float, ...], vintage_label: str, n_lsoas: int) -> Classes:
    lows = (float("nan"), *upper[:-1])
    asc_labels = []
    for i, (lo, hi) in enumerate(zip(lows, upper, strict=True)):
        if i == 0:
            asc_labels.append(f"up to {hi:.1f}")
        elif i == len(upper) - 1:
            asc_labels.append(f"over {lo:.1f} (to {hi:.1f})")
        else:
            asc_labels.append(f"{lo:.1f} to {hi:.1f}")
    labels = tuple(reversed(asc_labels))  # darkest (highest) first
    colours = SCORE_COLOURS[: len(upper)] if len(upper) < SCORE_CLASSES else SCORE_COLOURS
    title = f"IMD score (higher = more deprived){f', {vintage_label}' if vintage_label else ''}"
    note = (f"{len(upper)} classes by natural breaks (Fisher-Jenks) over all {n_lsoas:,} England "
            "LSOAs, so a colour means the same score range in every area.")
    return Classes(schema.IMD_SCORE, colours, labels, title, note, upper)


def score_classes(national_scores: np.ndarray | pd.Series, vintage_label: str = "") -> Classes:
    """Classes of the IMD score shading from the *national* score distribution."""
    arr = np.asarray(national_scores, dtype=float)
    return _score_classes_cached(score_breaks(arr), vintage_label, int((~np.isnan(arr)).sum()))


def classes_for(shade: str, atlas_gdf: pd.DataFrame | None = None, vintage_label: str = "") -> Classes:
    """Classes for a shading; the IMD score needs the national atlas for its breaks."""
    check_shade(shade)
    if is_decile(shade):
        return decile_classes(shade, vintage_label)
    if atlas_gdf is None:
        raise ValueError("the IMD score shading needs the national atlas to compute its class breaks")
    return score_classes(atlas_gdf[schema.IMD_SCORE].to_numpy(dtype=float), vintage_label)


@dataclass(frozen=True)
class LegendEntry:
    colour: str
    label: str
    count: int | None = None


@dataclass(frozen=True)
class Legend:
    """What the legend says: a title, one entry per class (darkest first), notes."""

    title: str
    entries: tuple[LegendEntry, ...]
    notes: tuple[str, ...] = ()
    core20_outline: bool = False
    area_name: str = ""


def legend_for(classes: Classes, values: pd.Series | np.ndarray | None = None, *,
               core20_outline: bool = False, area_name: str = "",
               extra_notes: tuple[str, ...] = ()) -> Legend:
    """Legend entries with, when values are given, the LSOA count in each class."""
    counts: list[int | None] = [None] * len(classes.colours)
    if values is not None:
        idx = classes.index(values)
        counts = [int((idx == i).sum()) for i in range(len(classes.colours))]
    entries = tuple(LegendEntry(c, lab, n) for c, lab, n in zip(classes.colours, classes.labels, counts,
                                                                 strict=True))
    return Legend(classes.title, entries, (classes.note, *extra_notes), core20_outline, area_name)


def legend_html(legend: Legend) -> str:
    """The legend as an HTML fragment; every text is escaped (names come from data)."""
    rows = []
    for e in legend.entries:
        count = f' <span class="gc20-count">({e.count:,})</span>' if e.count is not None else ""
        rows.append(
            f'<div class="gc20-row"><span class="gc20-swatch" style="background:{escape_html(e.colour)}">'
            f"</span>{escape_html(e.label)}{count}</div>"
        )
    if legend.core20_outline:
        rows.append(
            '<div class="gc20-row"><span class="gc20-swatch gc20-core20"></span>'
            "Core20 LSOA (IMD deciles 1-2), outlined</div>"
        )
    if legend.area_name:
        rows.append(
            '<div class="gc20-row"><span class="gc20-swatch gc20-area"></span>'
            f"{escape_html(legend.area_name)}"
            " boundary</div>"
        )
    notes = "".join(f'<div class="gc20-note">{escape_html(n)}</div>' for n in legend.notes)
    counted = any(e.count is not None for e in legend.entries)
    sub = '<div class="gc20-note">(LSOAs in view)</div>' if counted else ""
    return (f'<div class="gc20-title">{escape_html(legend.title)}</div>{sub}'
            f'{"".join(rows)}{notes}')
