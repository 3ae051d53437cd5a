"""Colours, classes and legends for LSOA maps (shared by every renderer).

One colour-blind-safe sequential scheme (viridis: perceptually uniform, readable in
greyscale and with the common colour-vision deficiencies), always with the *most deprived*
class darkest. Deciles are the published national deciles (never re-ranked locally); IMD
scores are put in classes by natural breaks (Fisher-Jenks) computed once over all England
LSOAs of the vintage, so one colour means the same score range in every area.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
import pandas as pd

from geo_core20 import schema

# colours live in maps.palette (one palette for app and print), classes and legends in maps.classify:
# renderers import them from there
from geo_core20.maps import classify, palette

SCORE_CLASSES = len(palette.SCORE_COLOURS)
# Core20 outline: a thin dark line on a thin white halo reads on every fill, dark or light,
# and leaves the fill of small urban LSOAs visible (a 5 px outline hid them at ICB zoom).
CORE20_WEIGHT = 1.2  # px
CORE20_HALO_EXTRA = 1.0  # px added to the line width by the halo (0.5 px each side)

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


def decile_classes(shade: str, vintage_label: str = "") -> classify.Classes:
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
        note += f" Core20 = {schema.CORE20_RULE}."
    return classify.deciles(palette.DECILE_COLOURS, labels, title=title, note=note, shade=shade)


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
    return classify.natural_breaks(scores.arr, k)


@lru_cache(maxsize=8)
def _score_classes_cached(upper: tuple[float, ...], vintage_label: str, n_lsoas: int) -> classify.Classes:
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
    colours = palette.SCORE_COLOURS[: len(upper)] if len(upper) < SCORE_CLASSES else palette.SCORE_COLOURS
    title = f"IMD score (higher = more deprived){f', {vintage_label}' if vintage_label else ''}"
    note = (f"{len(upper)} classes by natural breaks (Fisher-Jenks) over all {n_lsoas:,} England "
            "LSOAs, so a colour means the same score range in every area.")
    return classify.fixed(upper, colours, labels, title=title, note=note, descending=True,
                          shade=schema.IMD_SCORE)


def score_classes(national_scores: np.ndarray | pd.Series, vintage_label: str = "") -> classify.Classes:
    """Classes of the IMD score shading from the *national* score distribution."""
    arr = np.asarray(national_scores, dtype=float)
    return _score_classes_cached(score_breaks(arr), vintage_label, int((~np.isnan(arr)).sum()))


def classes_for(shade: str, atlas_gdf: pd.DataFrame | None = None,
                vintage_label: str = "") -> classify.Classes:
    """Classes for a shading; the IMD score needs the national atlas for its breaks."""
    check_shade(shade)
    if is_decile(shade):
        return decile_classes(shade, vintage_label)
    if atlas_gdf is None:
        raise ValueError("the IMD score shading needs the national atlas to compute its class breaks")
    return score_classes(atlas_gdf[schema.IMD_SCORE].to_numpy(dtype=float), vintage_label)
