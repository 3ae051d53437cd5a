"""Escaping for text that reaches HTML (tooltips, popups, exported maps) or spreadsheets.

Names of LSOAs, sites and uploaded rows are data, never markup or formulas:

- `escape_html` for text placed in HTML (element content or a quoted attribute);
- `json_for_script` for data embedded in a ``<script>`` block (a name cannot close the tag);
- `csv_safe_frame` (one call for every CSV/Excel export) and `csv_safe_value` for single cells:
  text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice);
  numbers, and text that is just a number such as ``-12.5``, stay as they are.
"""

from __future__ import annotations

import html
import json
import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""A spreadsheet treats a cell starting with one of these as a formula (CSV injection); the
full-width forms are included because some spreadsheet locales fold them to ASCII."""

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_HTML_EXTRA = {ord("`"): "&#96;", ord("\x00"): "\ufffd"}  # backtick: old IE attribute quirks
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def escape_html(text: object) -> str:
    """Text made safe to place inside HTML: element content or a quoted attribute value.

    ``<``, ``>``, ``&``, both quote marks and the backtick become entities, so
    ``<img src=x onerror=alert(1)>``, ``<script>alert(1)</script>`` and ``"><svg onload=alert(1)>``
    show as the literal text. None and NaN give "".
    """
    if text is None or (isinstance(text, float) and pd.isna(text)) or text is pd.NA:
        return ""
    return html.escape(str(text), quote=True).translate(_HTML_EXTRA)


def json_for_script(value: object) -> str:
    """JSON to embed in a ``<script>`` block: ``</script>`` or ``<!--`` in a name cannot end it."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    return "".join(_SCRIPT_UNSAFE.get(ch, ch) for ch in text)


def csv_safe_value(value: object) -> object:
    """A cell a spreadsheet will show as text, not run as a formula.

    Numbers are left alone (a negative number is not a formula), and so is text that is
    just a number (``"-12.5"``); other strings that start with a formula character get a
    leading apostrophe, as OWASP recommends.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def is_formula_like(value: object) -> bool:
    """Whether a spreadsheet could run this cell as a formula (what `csv_safe_value` neutralises)."""
    return csv_safe_value(value) is not value


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, column names and index labels cannot act as formulas.

    Use it for every CSV or Excel export (tables, layers, plans, row problems).
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            out[col] = series.cat.rename_categories([csv_safe_value(c) for c in series.cat.categories])
        elif series.dtype == object or pd.api.types.is_string_dtype(series):
            out[col] = series.map(csv_safe_value).astype(object)
    out.columns = [csv_safe_value(c) for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
        out.index = out.index.map(csv_safe_value)
    return out
