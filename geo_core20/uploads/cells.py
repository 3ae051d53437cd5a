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


def parse_numbers(values: pd.Series) -> pd.Series:
    """Numbers from text cells (NaN where blank or not a number)."""
    return values.map(lambda v: parse_number(v) if isinstance(v, str) else
                      (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None)
                      ).astype(float)


def is_blank(text: object) -> bool:
    """Empty, or a missing-value marker such as 'n/a' or '*'."""
    t = str(text).strip()
    return t == "" or t.lower() in MISSING_MARKERS


def share(values: pd.Series, test: Callable[[str], object]) -> float:
    """Share of the filled cells (first 2,000) that pass ``test``."""
    filled = values[~values.map(is_blank)]
    if filled.empty:
        return 0.0
    sample = filled.head(2000)
    return float(np.mean([bool(test(str(v))) for v in sample]))


def is_lsoa_code(text: str) -> bool:
    """An LSOA code as the loaders accept it (any case, spaces anywhere)."""
    return bool(LSOA_RE.match(_SPACE.sub("", text).upper()))
