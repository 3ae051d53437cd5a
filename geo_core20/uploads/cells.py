"""One text cell of an upload: numbers, blanks and LSOA codes as the user wrote them."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

LSOA_RE = re.compile(r"^[EW]01\d{6}$")
_SPACE = re.compile(r"\s+")
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_DECIMAL_COMMA_RE = re.compile(r"^[+-]?\d+,\d+$")
MISSING_MARKERS = frozenset({"na", "n/a", "nan", "null", "none", "-", "*", "**", "..", ".", "x", "c",
                             "#n/a", "suppressed", "redacted", "<5", "[c]", "[x]", "[z]"})
"""Cells meaning 'no value' in published and NHS tables (suppression included): read as blank."""


def key(name: object) -> str:
    """A header compared loosely: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def parse_number(text: str) -> float | None:
    """'1,234' -> 1234.0; '12.5%' -> 12.5; '£3' -> 3.0; None if not a (finite) number."""
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if not t:
        return None
    t = t.lstrip("£$€").rstrip("%")
    if _THOUSANDS_RE.match(t):
        t = t.replace(",", "")
    elif _DECIMAL_COMMA_RE.match(t):  # "12,5" from a European-locale export ("1,234" stays thousands)
        t = t.replace(",", ".")
    if not _NUMBER_RE.match(t):
        return None
    value = float(t)
    return value if np.isfinite(value) else None


# number formats in a column, as `number_format` tells them apart
_SURE_DECIMAL_COMMA = re.compile(r"^[+-]?(0,\d+|\d+,\d{1,2}|\d+,\d{4,}|\d{1,3}(\.\d{3})+,\d+|\d+,)$")
_EUROPEAN_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")  # 1.234: a thousand in Europe
_POINT_DECIMAL = re.compile(r"^[+-]?\d*\.\d+([eE][+-]?\d+)?$")
DECIMAL_COMMA_OPTION = ("tick 'Numbers use a decimal comma (1.234,5)' on the upload form "
                        "(--decimal-comma on the command line)")


def _clean(texts: pd.Series) -> pd.Series:
    t = texts.str.strip().str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    return t.str.lstrip("£$€").str.rstrip("%")


def _mask(values: pd.Series) -> np.ndarray:
    return values.fillna(False).to_numpy(dtype=bool)


def _flat(frame: pd.DataFrame, columns: list) -> tuple[pd.Series, np.ndarray]:
    """Every cell of ``columns``, column after column, as one Series, and each cell's column number:
    string work on many columns costs one pandas call instead of one per column."""
    arr = frame[columns].to_numpy(dtype=object)
    return pd.Series(arr.ravel(order="F"), dtype=object), np.repeat(np.arange(len(columns)), len(frame))


def _text_cells(values: pd.Series) -> np.ndarray:
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return np.ones(len(values), dtype=bool)
    return np.fromiter((isinstance(v, str) for v in values.tolist()), dtype=bool, count=len(values))


def _formats(t: pd.Series, group: np.ndarray, n: int, european_hint: bool) -> np.ndarray:
    """`number_format` of each group of cleaned text cells (``group``: each cell's group number)."""
    sure = _mask(t.str.match(_SURE_DECIMAL_COMMA))
    conflict = ~sure & (_mask(t.str.match(_THOUSANDS_RE)) | _mask(t.str.match(_POINT_DECIMAL))
                        | _mask(t.str.match(_EUROPEAN_THOUSANDS)))
    any_sure = np.bincount(group[sure], minlength=n) > 0
    any_conflict = np.bincount(group[conflict], minlength=n) > 0
    out = np.where(any_sure, np.where(any_conflict, "ambiguous", "comma"), "point").astype(object)
    if european_hint:
        dotted = _mask(t.str.contains(".", regex=False))
        euro = dotted & _mask(t.str.match(_EUROPEAN_THOUSANDS))
        n_dotted, n_euro = np.bincount(group[dotted], minlength=n), np.bincount(group[euro], minlength=n)
        out[~any_sure & (n_dotted > 0) & (n_dotted == n_euro)] = "ambiguous"
    return out


def number_formats(frame: pd.DataFrame, columns, *, european_hint: bool = False) -> dict[str, str]:
    """`number_format` of each of ``columns`` (all at once)."""
    columns = list(dict.fromkeys(columns))
    if not columns:
        return {}
    values, group = _flat(frame, columns)
    text = _text_cells(values)
    t = _clean(values[text].astype(str))
    return dict(zip(columns, _formats(t, group[text], len(columns), european_hint), strict=True))


def number_format(values: pd.Series, *, european_hint: bool = False) -> str:
    """How a column writes its numbers: 'point' (1,234.5), 'comma' (1.234,5) or 'ambiguous'.

    'comma' when some cells can only be decimal commas (12,5; 0,125; 1.234,5) and none reads
    otherwise; 'ambiguous' when such cells sit beside cells that read differently either way
    (1,234 or 1.234 or 0.5), or, in a semicolon-separated file (``european_hint``), when every
    decimal is a point followed by exactly three digits (1.234: a thousand in Europe).
    """
    return number_formats(pd.DataFrame({"v": pd.Series(values, dtype=object).to_numpy()}), ["v"],
                          european_hint=european_hint)["v"]


def _parse_flat(values: pd.Series, group: np.ndarray, n: int, decimal_comma: bool | None) -> np.ndarray:
    out = np.full(len(values), np.nan)
    if not len(values):
        return out
    text = _text_cells(values)
    if not text.all():
        plain = np.fromiter((isinstance(v, (int, float, np.integer, np.floating))
                             and not isinstance(v, (bool, np.bool_)) for v in values.tolist()),
                            dtype=bool, count=len(values))
        if plain.any():
            nums = values[plain].astype(float).to_numpy()
            out[plain] = np.where(np.isfinite(nums), nums, np.nan)
    if not text.any():
        return out
    t = _clean(values[text].astype(str)).reset_index(drop=True)
    if decimal_comma is None:
        comma = (_formats(t, group[text], n, False) == "comma")[group[text]]
    else:
        comma = np.full(len(t), bool(decimal_comma))
    if comma.any():  # 1.234,5: points are thousands, the comma the decimal
        eu = t[comma]
        eu = eu.where(~_mask(eu.str.match(_EUROPEAN_THOUSANDS.pattern[:-1] + r"(,\d*)?$")),
                      eu.str.replace(".", "", regex=False))
        t[comma] = eu.str.replace(",", ".", regex=False)
    if not comma.all():  # 1,234.5 (and 12,5 as `parse_number` reads it)
        uk = t[~comma]
        thousands = _mask(uk.str.match(_THOUSANDS_RE))
        uk = uk.where(~thousands, uk.str.replace(",", "", regex=False))
        decimal = ~thousands & _mask(uk.str.match(_DECIMAL_COMMA_RE))
        t[~comma] = uk.where(~decimal, uk.str.replace(",", ".", regex=False))
    ok = _mask(t.str.match(_NUMBER_RE))
    if ok.any():
        nums = t[ok].astype(float).to_numpy()
        where = np.flatnonzero(text)[ok]
        out[where] = np.where(np.isfinite(nums), nums, np.nan)
    return out


def parse_numbers(values: pd.Series, decimal_comma: bool | None = None) -> pd.Series:
    """Numbers from text cells (NaN where blank or not a number), a column at a time.

    ``decimal_comma``: True reads 1.234,5 as 1234.5 (and 0,125 as 0.125); False reads each cell
    as `parse_number` does; None (default) reads the column with decimal commas when
    `number_format` finds it is written that way, else as False.
    """
    values = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    flat = pd.Series(values.to_numpy(dtype=object), dtype=object)
    return pd.Series(_parse_flat(flat, np.zeros(len(flat), dtype=int), 1, decimal_comma), index=values.index,
                     dtype=float)


def parse_columns(frame: pd.DataFrame, columns, decimal_comma: bool | None = None) -> pd.DataFrame:
    """`parse_numbers` of each of ``columns`` (all at once: a thousand columns cost one pass)."""
    columns = list(dict.fromkeys(columns))
    if not columns:
        return pd.DataFrame(index=frame.index)
    values, group = _flat(frame, columns)
    nums = _parse_flat(values, group, len(columns), decimal_comma).reshape(len(columns), len(frame)).T
    return pd.DataFrame(nums, index=frame.index, columns=columns)


def blank_columns(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """`is_blank` of each cell of ``columns`` (all at once)."""
    columns = list(dict.fromkeys(columns))
    if not columns:
        return pd.DataFrame(index=frame.index)
    values, _ = _flat(frame, columns)
    blank = blank_mask(values).to_numpy(dtype=bool).reshape(len(columns), len(frame)).T
    return pd.DataFrame(blank, index=frame.index, columns=columns)


def share_numbers_columns(frame: pd.DataFrame, columns, sample: int = 2000) -> dict[str, float]:
    """`share_numbers` of each of ``columns``: the share of its first ``sample`` filled cells that
    are numbers."""
    columns = list(dict.fromkeys(columns))
    head = frame.head(2 * sample)
    if not columns or head.empty:
        return dict.fromkeys(columns, 0.0)
    filled = ~blank_columns(head, columns).to_numpy()
    rank = np.cumsum(filled, axis=0)
    use = filled & (rank <= sample)
    nums = ~np.isnan(parse_columns(head, columns, decimal_comma=False).to_numpy())
    out = {}
    for j, col in enumerate(columns):
        if rank[-1, j] < sample and len(frame) > len(head):  # few values at the top: read it all
            out[col] = share_numbers(frame[col])
        else:
            n = int(use[:, j].sum())
            out[col] = float((nums[:, j] & use[:, j]).sum() / n) if n else 0.0
    return out


def is_blank(text: object) -> bool:
    """Empty, or a missing-value marker such as 'n/a' or '*'."""
    t = str(text).strip()
    return t == "" or t.lower() in MISSING_MARKERS


def blank_mask(values: pd.Series) -> pd.Series:
    """`is_blank` for a whole column."""
    t = values.astype(str).str.strip()
    return (t == "") | t.str.lower().isin(MISSING_MARKERS)


def share(values: pd.Series, test: Callable[[str], object]) -> float:
    """Share of the filled cells (first 2,000) that pass ``test``."""
    filled = values[~blank_mask(values)]
    if filled.empty:
        return 0.0
    sample = filled.head(2000)
    return float(np.mean([bool(test(str(v))) for v in sample]))


def share_numbers(values: pd.Series) -> float:
    """Share of the filled cells (first 2,000) that are numbers (`share` with `parse_number`, vectorised)."""
    filled = values[~blank_mask(values)]
    if filled.empty:
        return 0.0
    return float(parse_numbers(filled.head(2000).astype(str), decimal_comma=False).notna().mean())


def is_lsoa_code(text: str) -> bool:
    """An LSOA code as the loaders accept it (any case, spaces anywhere)."""
    return bool(LSOA_RE.match(_SPACE.sub("", text).upper()))
