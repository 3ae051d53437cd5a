"""Escaping: hostile names show as text in HTML; exported cells never run as spreadsheet formulas."""

from __future__ import annotations

import html
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from geo_core20 import safety, uploads

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "'><iframe src=javascript:alert(1)>",
    "`onmouseover=alert(1)`",
    "</script><script>alert(1)</script>",
    "&lt;b&gt;",
    "<!--",
    "\x00<x>",
]
FORMULAS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    '=HYPERLINK("http://evil","x")',
    "=cmd|' /C calc'!A0",
    "\uff1d1+1",
    "-",
    "+",
    "=",
    "@",
]
NUMBERS_AS_TEXT = ["-12.5", "+3", "-0", "-1e5", "12", ".5", "-.5"]
SETTINGS = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_names_become_literal_text(text):
    out = safety.escape_html(text)
    assert not re.search(r"[<>\"'`]", out)  # nothing that can open a tag or leave an attribute
    assert html.unescape(out) == text.replace("\x00", "\ufffd")  # and it shows exactly as typed


@SETTINGS
@given(st.text())
def test_escape_html_never_leaves_markup_and_shows_the_text(text):
    out = safety.escape_html(text)
    assert not re.search(r"[<>\"'`\x00]", out)
    assert html.unescape(out) == text.replace("\x00", "\ufffd")


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA])
def test_missing_values_escape_to_nothing(value):
    assert safety.escape_html(value) == ""


@SETTINGS
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=12,
    )
)
def test_json_for_script_cannot_close_the_script_and_reads_back(value):
    out = safety.json_for_script(value)
    assert "<" not in out and ">" not in out and "\u2028" not in out
    assert json.loads(out) == value


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_cells_are_neutralised(text):
    assert safety.csv_safe_value(text) == "'" + text
    assert safety.is_formula_like(text)


@pytest.mark.parametrize(
    "value",
    [
        *NUMBERS_AS_TEXT,
        -12.5,
        -3,
        0,
        np.float64(-1.5),
        np.int64(-7),
        None,
        "plain text",
        "E01000001",
        "a=b",
        " =1",
    ],
)
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert safety.csv_safe_value(value) is value


@SETTINGS
@given(st.text())
def test_no_exported_cell_starts_like_a_formula(text):
    out = safety.csv_safe_value(text)
    assert not out.startswith(safety.FORMULA_START) or re.fullmatch(
        r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", out
    )
    assert out == text or out == "'" + text


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "=name": pd.Series(FORMULAS[:7], dtype=object),
            "as_string": pd.Series(FORMULAS[7:14], dtype="string"),
            "category": pd.Categorical(["=1", "a", "=1", "b", "-2", "@x", "c"]),
            "number": [-1.5, -2, 3, 0, -0.0, 1e9, -7],
            "numeric_text": NUMBERS_AS_TEXT,
        }
    )


def test_frames_are_safe_in_csv_and_excel():
    safe = safety.csv_safe_frame(_frame())
    assert list(safe.columns) == ["'=name", "as_string", "category", "number", "numeric_text"]
    assert safe["number"].tolist() == [-1.5, -2, 3, 0, -0.0, 1e9, -7]  # numbers stay numbers
    assert safe["numeric_text"].tolist() == NUMBERS_AS_TEXT
    assert list(safe["category"]) == ["'=1", "a", "'=1", "b", "-2", "'@x", "c"]
    text = safe.to_csv(index=False)
    cells = [c for line in text.splitlines() for c in line.split(",")]
    assert not [
        c for c in cells if c.lstrip('"').startswith(("=", "+", "@")) and not c.lstrip('"')[1:2].isdigit()
    ]
    buf = io.BytesIO()
    safe.to_excel(buf, index=False)
    sheet = load_workbook(io.BytesIO(buf.getvalue())).active
    kinds = {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds  # no cell is stored as a formula
    assert sheet["E2"].value == "-12.5" and sheet["D2"].value == -1.5


def test_upload_exports_use_it():
    raw = uploads.read_upload(b'site,postcode\n"=HYPERLINK(""x"")",SW1A 1AA\n-5,M1 1AE\n', "sites.csv")
    exported = uploads.safe_export(raw.frame)
    assert exported["site"].tolist() == ['\'=HYPERLINK("x")', "-5"]
    problems = uploads.errors_frame([uploads.RowError(2, "bad", "=col", "=1+1")])
    assert safety.csv_safe_frame(problems)["value"].tolist() == ["'=1+1"]
