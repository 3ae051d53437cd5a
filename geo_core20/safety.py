"""Escaping for text that reaches HTML (tooltips, popups, exported maps) or spreadsheets.

Names of LSOAs, sites and uploaded rows are data, never markup or formulas.
"""

from __future__ import annotations

import html

import pandas as pd

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_html(text: object) -> str:
    """Text made safe to place inside HTML (quotes escaped too, for attributes)."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    return html.escape(str(text), quote=True)


def csv_safe_value(value: object) -> object:
    """A cell a spreadsheet will show as text, not run as a formula.

    Numbers are left alone (a negative number is not a formula); strings that start
    with a formula character get a leading apostrophe, as OWASP recommends.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot act as formulas."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_safe_value)
    out.columns = [csv_safe_value(c) if isinstance(c, str) else c for c in out.columns]
    return out
