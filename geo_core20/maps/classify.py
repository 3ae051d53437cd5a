"""One classification and style object for every map layer, and the legend drawn beside the map.

Built like mapclassify: a scheme is *fitted* once (on the national values, so a colour means
the same in every area, or on the chosen values when there is no national reference) and
then ``find_bin`` puts any area's values into its classes. Quantiles and natural breaks
come from mapclassify; deciles, flags, categories and fixed bins are plain lookups.

    classes = quantiles(national_values, 5, title="Disability (% of residents)")
    classes.find_bin(area_values)       # class of each value, -1 where missing
    classes.colour(area_values)         # fill colours (NO_DATA_COLOUR where missing)
    lgd = classes.legend(area_values)   # title, swatches, labels, counts, notes
    st.html(legend_html(lgd))   # beside the map, never on it (ui.map_display.show_beside)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd

from geo_core20 import schema
from geo_core20.maps import palette
from geo_core20.maps.palette import CATEGORY_COLOURS, FLAG_COLOURS, NO_DATA_COLOUR, SEQUENTIAL
from geo_core20.safety import escape_html

NUMERIC, DECILE, FLAG, CATEGORY = "numeric", "decile", "flag", "category"


@dataclass(frozen=True)
class LegendEntry:
    colour: str
    label: str
    count: int | None = None


@dataclass(frozen=True)
class Legend:
    """What the legend beside a map says: a title, one entry per class (in class order), notes."""

    title: str
    entries: tuple[LegendEntry, ...]
    notes: tuple[str, ...] = ()
    core20_outline: bool = False
    area_name: str = ""
    count_what: str = "LSOAs in view"


@dataclass(frozen=True)
class Classes:
    """A fitted classification: colours, labels and the rule that bins values.

    ``kind``: ``numeric`` (``upper`` = inclusive upper bound of each bin, ascending; values
    above the last bound go in the last bin), ``decile`` (integers 1..``len(colours)``),
    ``flag`` (True = class 0) or ``category`` (class i = ``categories[i]``).
    ``descending`` numbers numeric classes from the highest bin down (IMD score: class 0 =
    most deprived = darkest, as the deciles).
    """

    colours: tuple[str, ...]
    labels: tuple[str, ...]
    title: str
    note: str = ""
    kind: str = NUMERIC
    upper: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()
    descending: bool = False
    shade: str = ""

    def find_bin(self, values: pd.Series | np.ndarray | Sequence) -> np.ndarray:
        """Class of each value (0-based, as ``colours``); -1 where missing or out of scheme."""
        s = pd.Series(np.asarray(values, dtype=object))
        out = np.full(len(s), -1, dtype=np.int64)
        if self.kind in (NUMERIC, DECILE):
            v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
            ok = np.isfinite(v)
            if self.kind == DECILE:
                dec = v[ok].astype(np.int64)
                out[ok] = np.where((dec >= 1) & (dec <= len(self.colours)), dec - 1, -1)
            elif self.upper:
                top = len(self.upper) - 1
                asc = np.minimum(np.searchsorted(np.asarray(self.upper), v[ok], side="left"), top)
                out[ok] = top - asc if self.descending else asc
        elif self.kind == FLAG:
            ok = s.notna().to_numpy()
            out[ok] = np.where(s[ok].astype(bool).to_numpy(), 0, 1)
        else:
            pos = {c: i for i, c in enumerate(self.categories)}
            out = np.fromiter((pos.get(c, -1) if pd.notna(c) else -1 for c in s), dtype=np.int64,
                              count=len(s))
        return out

    def colour(self, values: pd.Series | np.ndarray | Sequence) -> np.ndarray:
        """Fill colour of each value (``NO_DATA_COLOUR`` where missing)."""
        fills = np.asarray((*self.colours, NO_DATA_COLOUR), dtype=object)
        return fills[self.find_bin(values)]  # -1 picks the trailing no-data grey

    def counts(self, values: pd.Series | np.ndarray | Sequence) -> list[int]:
        """How many values fall in each class (missing values are in none)."""
        idx = self.find_bin(values)
        return [int((idx == i).sum()) for i in range(len(self.colours))]

    def legend(self, values: pd.Series | np.ndarray | Sequence | None = None, *, notes: Sequence[str] = (),
               core20_outline: bool = False, area_name: str = "", no_data: bool = False,
               count_what: str = "LSOAs in view") -> Legend:
        """The legend of these classes, with counts when ``values`` are given.

        ``no_data`` adds a grey "No data" entry (counted) when any value is missing.
        """
        counts: list[int | None] = [None] * len(self.colours)
        missing = 0
        if values is not None:
            idx = self.find_bin(values)
            counts = [int((idx == i).sum()) for i in range(len(self.colours))]
            missing = int((idx < 0).sum())
        entries = [LegendEntry(c, lab, n)
                   for c, lab, n in zip(self.colours, self.labels, counts, strict=True)]
        if no_data and missing:
            entries.append(LegendEntry(NO_DATA_COLOUR, "No data", missing))
        return Legend(self.title, tuple(entries), tuple(n for n in (self.note, *notes) if n), core20_outline,
                      area_name, count_what)


def _finite(values: pd.Series | np.ndarray | Sequence) -> np.ndarray:
    v = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce").to_numpy(dtype=float)
    return v[np.isfinite(v)]


def _fit(scheme: Callable, v: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of a mapclassify scheme (k capped by the distinct values; no warnings)."""
    k = max(1, min(k, len(np.unique(v))))
    with warnings.catch_warnings():
        # numba is optional; fewer distinct values than k is handled above
        warnings.simplefilter("ignore")
        return np.unique(np.asarray(scheme(v, k=k).bins, dtype=float))


def _sequential(n: int) -> tuple[str, ...]:
    return SEQUENTIAL[-n:] if n < len(SEQUENTIAL) else SEQUENTIAL


def _range_labels(upper: Sequence[float], fmt: Callable[[float], str]) -> tuple[str, ...]:
    """'up to a', 'a to b', ... (ascending, inclusive upper bounds)."""
    return tuple(f"up to {fmt(hi)}" if i == 0 else f"{fmt(upper[i - 1])} to {fmt(hi)}"
                 for i, hi in enumerate(upper))


def round_breaks(upper: Sequence[float]) -> tuple[tuple[float, ...], int]:
    """Inner class breaks rounded to the coarsest decimal place that keeps them apart (a step at most
    a third of the smallest gap between them), and those decimals.

    Returns the bins' inclusive upper bounds for values *as shown* (each rounded break plus half a
    step, so 20.4 shown as "20" falls in the class ending at 20), the last bound kept, and the
    number of decimals (negative = tens, hundreds).
    """
    up = [float(u) for u in upper]
    inner = up[:-1]
    if not inner:
        return tuple(up), 0
    gaps = np.diff(up) if len(up) > 1 else np.array([abs(up[0]) or 1.0])
    smallest = float(np.min(gaps[gaps > 0])) if np.any(gaps > 0) else 1.0
    decimals = int(-np.floor(np.log10(max(smallest / 3, 1e-9))))
    decimals = max(decimals, -6)
    while True:
        r = [round(b, decimals) for b in inner]
        if all(b < a for b, a in zip(r, r[1:], strict=False)) or decimals > 8:
            break
        decimals += 1
    while decimals > 0 and all(round(b, decimals - 1) == b for b in r):  # whole breaks stay whole
        decimals -= 1
    half = 0.5 * 10.0 ** -decimals
    bounds = [b + half for b in r]
    last = max(up[-1], bounds[-1])
    return (*bounds, last), decimals


def rounded_labels(upper: Sequence[float], decimals: int) -> tuple[str, ...]:
    """Labels of ``round_breaks`` bins that share no value: 'up to 16', '17 to 20', '21 or more'."""
    step = 10.0 ** -decimals
    d = max(decimals, 0)

    def f(x: float) -> str:
        return f"{round(x, decimals):,.{d}f}"

    shown = [b - step / 2 for b in upper[:-1]]  # the rounded breaks
    if not shown:
        return (f"up to {f(upper[0])}",)
    labels = [f"up to {f(shown[0])}"]
    labels += [f(hi) if f(lo + step) == f(hi) else f"{f(lo + step)} to {f(hi)}"
               for lo, hi in zip(shown, shown[1:], strict=False)]
    labels.append(f"{f(shown[-1] + step)} or more")
    return tuple(labels)


def _no_data(title: str) -> Classes:
    return Classes((NO_DATA_COLOUR,), ("no data",), title, "", NUMERIC, upper=(np.inf,))


def quantiles(values: pd.Series | np.ndarray | Sequence, k: int = 5, *, title: str, note: str = "",
              fmt: Callable[[float], str] = lambda x: f"{x:,.4g}", rounded: bool = False,
              colours: Sequence[str] | None = None) -> Classes:
    """k quantile classes (mapclassify.Quantiles) fitted on ``values``; light = low, dark = high.

    ``rounded``: breaks rounded for a legend a person reads (``round_breaks``: "17 to 20", no value
    in two classes); ``colours``: a palette of at least k colours, light to dark (default viridis).
    """
    v = _finite(values)
    if not len(v):
        return _no_data(title)
    upper = _fit(mapclassify.Quantiles, v, k)
    labels = _range_labels(upper, fmt)
    if rounded:
        upper, decimals = round_breaks(upper)
        labels = rounded_labels(upper, decimals)
    pal = _sequential(len(upper)) if colours is None else tuple(colours)[-len(upper):]
    return Classes(pal, labels, title, note, NUMERIC, upper=tuple(float(u) for u in upper))


def natural_breaks(values: pd.Series | np.ndarray | Sequence, k: int, *,
                   sample: int = 700) -> tuple[float, ...]:
    """Upper bounds of k Fisher-Jenks classes (mapclassify) over ``values``, the last the maximum.

    Fitted on ``sample`` evenly spaced order statistics: pure-python Fisher-Jenks is
    O(k n^2), and 700 keeps it under a second for all England's LSOAs.
    """
    v = np.sort(_finite(values))
    v_fit = v[np.linspace(0, len(v) - 1, sample).round().astype(int)] if len(v) > sample else v
    upper = [round(float(b), 1) for b in _fit(mapclassify.FisherJenks, v_fit, k)[:-1]]
    upper.append(float(v.max()))
    return tuple(upper)


def fixed(upper: Sequence[float], colours: Sequence[str], labels: Sequence[str], *, title: str,
          note: str = "", descending: bool = False, shade: str = "") -> Classes:
    """Classes with given inclusive upper bounds (e.g. counts 0, 1, 2-4, 5 or more)."""
    return Classes(tuple(colours), tuple(labels), title, note, NUMERIC, upper=tuple(float(u) for u in upper),
                   descending=descending, shade=shade)


def deciles(colours: Sequence[str], labels: Sequence[str], *, title: str, note: str = "",
            shade: str = "") -> Classes:
    """Published deciles 1..n (never re-ranked locally): class i = decile i + 1."""
    return Classes(tuple(colours), tuple(labels), title, note, DECILE, shade=shade)


def flag(title: str, note: str = "", labels: tuple[str, str] = ("Yes", "No"),
         colours: Sequence[str] = FLAG_COLOURS) -> Classes:
    """Yes / No classes (True = class 0)."""
    return Classes(tuple(colours), labels, title, note, FLAG)


def categories(values: pd.Series | np.ndarray | Sequence, *, title: str, note: str = "") -> Classes:
    """One colour per category found in ``values`` (sorted)."""
    cats = tuple(sorted(pd.Series(np.asarray(values, dtype=object)).dropna().astype(str).unique()))
    colours = tuple(CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i in range(len(cats)))
    return Classes(colours, cats, title, note, CATEGORY, categories=cats)


def legend(title: str, colours: Sequence[str], labels: Sequence[str],
           counts: Sequence[int | None] | None = None, notes: Sequence[str] = (), core20: bool = False,
           area_name: str = "") -> Legend:
    """A legend of hand-picked entries (one per class); empty notes are dropped."""
    counts = counts or [None] * len(colours)
    entries = tuple(LegendEntry(c, lab, n) for c, lab, n in zip(colours, labels, counts, strict=True))
    return Legend(title, entries, tuple(n for n in notes if n), core20, area_name)


# --- the legend beside the map -------------------------------------------------------------------

_BOX = (f"font:13px/1.35 system-ui,-apple-system,'Segoe UI',Arial,sans-serif;color:{palette.TEXT};"
        f"background:{palette.BACKGROUND};border:1px solid {palette.RULE};border-radius:6px;padding:8px 10px")
_SWATCH = ("display:inline-block;flex:0 0 18px;height:12px;"
           f"border:1px solid {palette.SWATCH_EDGE};background:{{}}")
_ROW = "display:flex;align-items:center;gap:6px;margin:1px 0"
_NOTE = f"color:{palette.TEXT_MUTED};font-size:12px;margin-top:4px"


def legend_html(legend: Legend) -> str:
    """The legend as a self-contained HTML fragment (inline styles) to show *beside* the map,
    e.g. ``st.html(legend_html(lgd))`` (``ui.map_display.show_beside``). Every text is escaped."""
    rows = []
    for e in legend.entries:
        count = ("" if e.count is None
                 else f' <span class="gc20-count" style="color:{palette.TEXT_MUTED}">({e.count:,})</span>')
        rows.append(f'<div class="gc20-row" style="{_ROW}"><span class="gc20-swatch" '
                    f'style="{_SWATCH.format(escape_html(e.colour))}"></span>'
                    f"<span>{escape_html(e.label)}{count}</span></div>")
    if legend.core20_outline:
        rows.append(f'<div class="gc20-row" style="{_ROW}"><span class="gc20-swatch gc20-core20" '
                    f'style="{_SWATCH.format(palette.CORE20_HALO)};'
                    f'border:1.5px solid {palette.CORE20_LINE}"></span>'
                    f"<span>Core20 LSOA ({schema.CORE20_RULE}), outlined</span></div>")
    if legend.area_name:
        rows.append(f'<div class="gc20-row" style="{_ROW}"><span class="gc20-swatch gc20-area" '
                    f'style="{_SWATCH.format("transparent")};border:0;'
                    f'border-top:3px solid {palette.AREA_LINE};height:0">'
                    f"</span><span>{escape_html(legend.area_name)} boundary</span></div>")
    counted = any(e.count is not None for e in legend.entries)
    sub = (f'<div class="gc20-note" style="{_NOTE};margin-top:0">({escape_html(legend.count_what)})</div>'
           if counted else "")
    notes = "".join(f'<div class="gc20-note" style="{_NOTE}">{escape_html(n)}</div>' for n in legend.notes)
    return (f'<div class="gc20-legend" role="region" aria-label="Map legend" style="{_BOX}">'
            '<div class="gc20-title" style="font-weight:600;margin-bottom:2px">'
            f"{escape_html(legend.title)}</div>"
            f'{sub}{"".join(rows)}{notes}</div>')


def legend_frame(legend: Legend) -> pd.DataFrame:
    """The legend's entries as a small table: colour, label, count (for st.dataframe)."""
    return pd.DataFrame({"colour": [e.colour for e in legend.entries],
                         "label": [e.label for e in legend.entries],
                         "count": pd.array([e.count for e in legend.entries], dtype="Int64")})
