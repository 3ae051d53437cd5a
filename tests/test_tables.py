"""geo_core20.tables: the one table writer (CSV and its Excel twin) and the one attribution builder
(sources.merge_attribution) behind every page and export."""

from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd

from geo_core20 import siting, sources, tables

OS_2021 = "Contains OS data © Crown copyright and database right 2021."
ROYAL_MAIL_2025 = ("Contains OS data © Crown copyright and database right 2025; Contains Royal Mail data "
                   "© Royal Mail copyright and database right 2025.")


def _hostile() -> pd.DataFrame:
    return pd.DataFrame({
        "lsoa_code": ["E01000001", "E01000002", "E01000003"],
        "name": ["=cmd|' /C calc'!A0", "Leeds, 001B #2", "+44 \x07bell"],
        "share": [0.123456789, None, 1.0],
        "people": [10.0, 20.0, None],
        "core20": [True, False, True],
    })


def test_excel_twin_round_trips_table_and_notes():
    notes = ["Target: Core20 AND coastal", OS_2021, ROYAL_MAIL_2025, ("plan_name", "=1+1")]
    data = tables.to_xlsx(_hostile(), notes)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == [tables.DATA_SHEET, tables.NOTES_SHEET]
    sheet = book[tables.DATA_SHEET]
    assert [c.value for c in sheet[1]] == list(_hostile().columns)  # the header on row 1
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"], "no formulas"
    assert sheet["B2"].value == "'=cmd|' /C calc'!A0"  # neutralised as in the CSV (safety.csv_safe_frame)
    assert sheet["B4"].value == "'+44 bell"  # neutralised; control characters Excel cannot hold dropped
    table, lines = tables.read_xlsx(data)
    assert table["lsoa_code"].tolist() == ["E01000001", "E01000002", "E01000003"]
    assert table["core20"].tolist() == [True, False, True]
    assert table["people"].isna().tolist() == [False, False, True]
    assert abs(table["share"].iloc[0] - 0.12346) < 1e-9 and pd.isna(table["share"].iloc[1])
    assert lines[0] == "Target: Core20 AND coastal"
    assert "Contains OS data © Crown copyright and database right 2021 and 2025." in lines
    assert "Contains Royal Mail data © Royal Mail copyright and database right 2025." in lines
    assert "plan_name, '=1+1" in lines
    notes_sheet = book[tables.NOTES_SHEET]
    assert not [c.coordinate for row in notes_sheet.iter_rows() for c in row if c.data_type == "f"]


def test_csv_and_excel_hold_the_same_rows():
    frame = _hostile().assign(name=["=cmd|' /C calc'!A0", "Leeds, 001B #2", "@SUM(A1)"])
    csv = pd.read_csv(io.BytesIO(tables.to_csv(frame, [OS_2021])), comment="#")
    sheet, _ = tables.read_xlsx(tables.to_xlsx(frame, [OS_2021]))
    assert csv["name"].tolist() == sheet["name"].tolist()
    assert csv["people"].fillna(-1).tolist() == sheet["people"].fillna(-1).tolist()


def test_csv_notes_sit_above_a_blank_line_and_the_header():
    frame = pd.DataFrame({"lsoa_code": ["E01000001"], "value": [1.5]})
    text = tables.to_csv(frame, ["Method note", ("k", 5)]).decode("utf-8")
    assert text.startswith("\ufeff# Method note\n# k,5\n\nlsoa_code,value\nE01000001,1.5\n")
    assert tables.to_csv(frame, bom=False).decode("utf-8") == "lsoa_code,value\nE01000001,1.5\n"


def _holders(lines: list[str]) -> list[str]:
    """Each line with its years taken out: the licence holder's notice."""
    return [re.sub(r"\b(19|20)\d{2}\b", "", line) for line in lines]


def test_one_attribution_line_per_licence_holder_with_2021_and_2025_data():
    # the outreach planner's downloads: LSOA 2021 boundaries and centroids (ONS, OS 2021...) and
    # GP practices located by Code-Point Open postcodes (OS, Royal Mail 2025)
    lines = siting.attribution("2025", ("gp",))
    assert len(_holders(lines)) == len(set(_holders(lines))), lines
    os_lines = [line for line in lines if line.startswith("Contains OS data")]
    assert len(os_lines) == 1 and "2021" in os_lines[0] and "2025" in os_lines[0]
    assert sum("Royal Mail" in line for line in lines) == 1
    # a download made of them (and the same lines again, as pages pass them) says each holder once
    text = tables.to_csv(pd.DataFrame({"a": [1]}), [*lines, *lines, OS_2021]).decode("utf-8-sig")
    notes = [line[2:] for line in text.splitlines() if line.startswith("# ")]
    assert notes == lines


def test_merge_attribution_keeps_plain_lines_whole():
    citation = "Coastal flag: Welsh et al., BMJ Public Health 2024, doi:10.1136/bmjph-2024-001067."
    method = "Gi* with 999 permutations. FDR 5%."
    assert sources.merge_attribution([citation, method, citation, "a\nb"]) == [citation, method, "a", "b"]
