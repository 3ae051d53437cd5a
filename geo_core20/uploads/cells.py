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


def number_format(values: pd.Series, *, european_hint: bool = False) -> str:
    """How a column writes its numbers: 'point' (1,234.5), 'comma' (1.234,5) or 'ambiguous'.

    'comma' when some cells can only be decimal commas (12,5; 0,125; 1.234,5) and none reads
    otherwise; 'ambiguous' when such cells sit beside cells that read differently either way
    (1,234 or 1.234 or 0.5), or, in a semicolon-separated file (``european_hint``), when every
    decimal is a point followed by exactly three digits (1.234: a thousand in Europe).
    """
    texts = values[values.map(lambda v: isinstance(v, str))].astype(str)
    if texts.empty:
        return "point"
    t = _clean(texts)
    sure = t.str.match(_SURE_DECIMAL_COMMA)
    if sure.any():
        other = t[~sure]
        conflict = (other.str.match(_THOUSANDS_RE) | other.str.match(_POINT_DECIMAL)
                    | other.str.match(_EUROPEAN_THOUSANDS))
        return "ambiguous" if conflict.any() else "comma"
    if european_hint:
        dotted = t[t.str.contains(".", regex=False)]
        if len(dotted) and dotted.str.match(_EUROPEAN_THOUSANDS).all():
            return "ambiguous"
    return "point"


def parse_numbers(values: pd.Series, decimal_comma: bool | None = None) -> pd.Series:
    """Numbers from text cells (NaN where blank or not a number), a column at a time.

    ``decimal_comma``: True reads 1.234,5 as 1234.5 (and 0,125 as 0.125); False reads each cell
    as `parse_number` does; None (default) reads the column with decimal commas when
    `number_format` finds it is written that way, else as False.
    """
    values = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    out = pd.Series(np.nan, index=values.index, dtype=float)
    if values.empty:
        return out
    kind = pd.api.types.infer_dtype(values, skipna=False)
    if kind == "string":
        is_text = pd.Series(True, index=values.index)
    else:
        is_text = values.map(lambda v: isinstance(v, str))
        plain = values.map(lambda v: isinstance(v, (int, float, np.integer, np.floating))
                           and not isinstance(v, (bool, np.bool_)))
        if plain.any():
            nums = values[plain].astype(float)
            out[plain] = nums.where(np.isfinite(nums))
    if not is_text.any():
        return out
    texts = values[is_text].astype(str)
    if decimal_comma is None:
        decimal_comma = number_format(texts) == "comma"
    t = _clean(texts)
    if decimal_comma:
        t = t.where(~t.str.match(_EUROPEAN_THOUSANDS.pattern[:-1] + r"(,\d*)?$"),
                    t.str.replace(".", "", regex=False))
        t = t.str.replace(",", ".", regex=False)
    else:
        thousands = t.str.match(_THOUSANDS_RE)
        t = t.where(~thousands, t.str.replace(",", "", regex=False))
        decimal = ~thousands & t.str.match(_DECIMAL_COMMA_RE)
        t = t.where(~decimal, t.str.replace(",", ".", regex=False))
    ok = t.str.match(_NUMBER_RE).fillna(False).astype(bool)
    if ok.any():
        nums = t[ok].astype(float)
        out[ok[ok].index] = nums.where(np.isfinite(nums)).to_numpy()
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
