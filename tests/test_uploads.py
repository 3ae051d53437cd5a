"""Uploads: robust reading, LSOA 2011 -> 2021 conversion, point files, row-level reporting."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo_core20 import geocode, limits, safety, uploads
from geo_core20.uploads import UploadError

FIXTURES = Path(__file__).parent / "fixtures" / "uploads"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def by_row(errors: list[uploads.RowError]) -> dict[int, uploads.RowError]:
    return {e.row: e for e in errors}


# --- reading ---------------------------------------------------------------------------------------

def test_utf8_bom_and_semicolons():
    raw = uploads.read_upload(fixture("lsoa21_bom_semicolon.csv"), "lsoa21_bom_semicolon.csv")
    assert raw.encoding == "UTF-8 (with BOM)" and raw.delimiter == ";"
    assert list(raw.frame.columns) == ["LSOA code (2021)", "Patients registered", "% smokers"]  # no BOM left
    assert raw.row_numbers.tolist() == [2, 3, 4]
    assert uploads.find_lsoa_column(raw.frame) == "LSOA code (2021)"


@pytest.mark.parametrize("data, delimiter, columns, first_row", [
    (b"lsoa_code\tvalue\nE01000001\t3\nE01000002\t4\n", "\t", ["lsoa_code", "value"], 2),
    (b"Referrals 2024\n\nlsoa_code|value\nE01000001|3\nE01000002|4\n", "|", ["lsoa_code", "value"], 4),
    (b'lsoa;name;rate\nE01000001;"Smith, J";12,5\nE01000002;Bob;3,25\n', ";", ["lsoa", "name", "rate"], 2),
    (b'lsoa,name\nE01000001,"Smith, J; and co"\nE01000002,Bob\n', ",", ["lsoa", "name"], 2),
    # found by test_uploads_props (hypothesis): a title with a comma above a one-row semicolon table whose
    # value has a thousands comma splits two lines either way; header and data split alike in a row
    (b"Referrals by LSOA, 2024 (provisional)\nlsoa_code;value\nE01000001;1,000\n", ";",
     ["lsoa_code", "value"], 3),
    (b"lsoa_code;value\nE01000001;3\nE01000002;4\nSource: NHS, 2024\n", ";", ["lsoa_code", "value"], 2),
])
def test_delimiters_and_title_lines(data, delimiter, columns, first_row):
    raw = uploads.read_upload(data, "x.csv")
    assert raw.delimiter == delimiter and list(raw.frame.columns) == columns
    assert raw.row_numbers[0] == first_row  # the row the user sees in a spreadsheet


@pytest.mark.parametrize("text, value", [
    ("1,234", 1234.0), ("12.5%", 12.5), ("\u00a33", 3.0), ("12,5", 12.5), ("-0.5", -0.5), ("1e3", 1000.0),
    ("abc", None), ("", None), ("1,23,4", None),
])
def test_number_parsing(text, value):
    assert uploads.parse_number(text) == value


def test_windows_1252_fallback_keeps_text():
    raw = uploads.read_upload(fixture("lsoa21_cp1252.csv"), "lsoa21_cp1252.csv")
    assert raw.encoding == "Windows-1252"
    assert raw.frame["area"].tolist() == ["Bishop\u2019s Caf\u00e9", "St Mary\u2019s"]
    assert any("Windows-1252" in n for n in raw.notes)


def test_headerless_file():
    raw = uploads.read_upload(fixture("headerless_lsoa.csv"), "headerless_lsoa.csv")
    assert not raw.has_header and list(raw.frame.columns) == ["column_1", "column_2"]
    assert raw.row_numbers.tolist() == [1, 2, 3]  # no header, so data starts on row 1
    assert uploads.detect_kind(raw) == "lsoa"
    result = uploads.load_lsoa_table(raw, pop21=pd.Series(dtype=float), pop11=pd.Series(dtype=float),
                                     lookup=_lookup())
    assert result.frame.set_index("lsoa_code")["column_2"].to_dict() == pytest.approx(
        {"E01011949": 5.0, "E01011950": 7.0, "E01011951": np.nan}, nan_ok=True)
    assert any("missing-value marker" in n for n in result.notes)  # the '*'


def test_excel_first_sheet_with_title_line(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Referrals"
    sheet.append(["Referrals by LSOA, 2024 (draft)"])  # a title line above the header
    sheet.append(["LSOA21CD", "Referrals", "Rate per 1,000"])
    sheet.append(["E01000001", 12, 3.5])
    sheet.append(["E01000002", 7.0, None])
    sheet.append(["not a code", 1, 1])
    book.create_sheet("Notes").append(["ignored"])
    path = tmp_path / "referrals.xlsx"
    book.save(path)

    raw = uploads.read_upload(path.read_bytes(), "referrals.xlsx")
    assert raw.file_format == "xlsx" and raw.sheet == "Referrals"
    assert list(raw.frame.columns) == ["LSOA21CD", "Referrals", "Rate per 1,000"]
    assert raw.frame["Referrals"].tolist() == ["12", "7", "1"]  # 7.0 shown as the user sees it
    assert raw.row_numbers.tolist() == [3, 4, 5]  # spreadsheet rows, after title and header
    assert raw.sheets == ["Referrals", "Notes"] and any("2 sheets" in n for n in raw.notes)
    result = uploads.load_lsoa_table(raw, lookup=_lookup(), pop21=pd.Series(dtype=float),
                                     pop11=pd.Series(dtype=float))
    assert result.value_columns == {"Referrals": "count", "Rate per 1,000": "rate"}
    assert result.vintage == "either" and len(result.frame) == 2
    assert by_row(result.errors)[5].reason.startswith("not an LSOA code")


@pytest.mark.parametrize("data, name, message", [
    (b"", "empty.csv", "empty"),
    (b"\n\n , ,\n", "blank.csv", "every row is empty"),
    (b"lsoa_code,value\n", "header_only.csv", "no data rows"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", ".xls"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "picture.csv", "binary"),
    (b"lsoa_code,value\nE01000001,1\n", "fake.xlsx", "not one"),
])
def test_unusable_files_raise_a_clear_message(data, name, message):
    with pytest.raises(UploadError, match=message.replace(".", r"\.")):
        uploads.read_upload(data, name)


def test_size_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_BYTES", 1000)
    with pytest.raises(UploadError, match=r"limit is"):
        uploads.read_upload(b"lsoa_code,v\n" + b"E01000001,1\n" * 200, "big.csv")


def test_no_usable_column_lists_found_and_expected():
    raw = uploads.read_upload(fixture("no_usable_column.csv"), "no_usable_column.csv")
    with pytest.raises(UploadError) as err:
        uploads.detect_kind(raw)
    text = str(err.value)
    assert "'organisation', 'notes', 'contact'" in text  # what we found
    assert "LSOA code" in text and "postcode" in text and "longitude and latitude" in text  # what we want


# --- LSOA tables -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lookup():
    return _lookup()


def _lookup() -> pd.DataFrame:
    try:
        return uploads.load_lookup()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"LSOA 2011-2021 lookup not available: {exc}")


def test_2011_file_is_converted_with_split_and_merge_accounted_for(atlas2025, atlas2019, lookup):
    raw = uploads.read_upload(fixture("lsoa11_counts.csv"), "lsoa11_counts.csv")
    pop21 = atlas2025.set_index("lsoa_code")["population"]
    pop11 = atlas2019.set_index("lsoa_code")["population"]
    result = uploads.load_lsoa_table(raw, {"referrals": "count", "rate_per_1000": "rate"}, lookup=lookup,
                                     pop21=pop21, pop11=pop11, england_codes21=atlas2025["lsoa_code"])
    assert result.code_column == "LSOA11CD" and result.vintage == "2011"
    assert (result.rows_read, result.unchanged, result.split, result.merged, result.irregular,
            result.unmatched) == (9, 2, 1, 2, 1, 3)
    assert result.converted == 4
    out = result.frame.set_index("lsoa_code")

    # counts are conserved: 12 + 30 + 8 + 4 + 20 (the 'unknown' value is left empty)
    assert out["referrals"].sum() == pytest.approx(74.0)
    # U: unchanged
    assert out.loc["E01011949", "referrals"] == 12 and out.loc["E01011949", "rate_per_1000"] == 4.5
    # S: E01033468 -> E01035189 + E01035190, counts by 2021 population share, rate copied
    share = pop21["E01035189"] / (pop21["E01035189"] + pop21["E01035190"])
    assert out.loc["E01035189", "referrals"] == pytest.approx(30 * share)
    assert out.loc["E01035190", "referrals"] == pytest.approx(30 * (1 - share))
    assert out.loc[["E01035189", "E01035190"], "rate_per_1000"].tolist() == [10.0, 10.0]
    # M: E01011973 + E01011976 -> E01035188, counts summed, rates population-weighted
    assert out.loc["E01035188", "referrals"] == pytest.approx(12.0)
    w1, w2 = pop11["E01011973"], pop11["E01011976"]
    assert out.loc["E01035188", "rate_per_1000"] == pytest.approx((2.0 * w1 + 6.0 * w2) / (w1 + w2))
    # X: E01008187 -> E01035637 + E01035624, apportioned by population
    assert out.loc[["E01035637", "E01035624"], "referrals"].sum() == pytest.approx(20.0)
    assert any("only some of their 2011 LSOAs" in n for n in result.notes)  # E01035637 also needs E01027506

    errors = by_row(result.errors)
    assert set(errors) == {7, 8, 9, 10}  # spreadsheet rows: header is row 1
    assert "not an LSOA code" in errors[7].reason and errors[7].value == "E01ABC123"
    assert "Welsh" in errors[8].reason
    assert "duplicate" in errors[9].reason and "row 2" in errors[9].reason
    assert errors[10].severity == "warning" and errors[10].column == "referrals"
    assert np.isnan(out.loc["E01011950", "referrals"]) and out.loc["E01011950", "rate_per_1000"] == 3.0
    report = result.report().set_index("item")["value"]
    assert report["... of which split (one 2011 LSOA -> several 2021)"] == "1"
    assert report["LSOA codes detected as"] == "LSOA 2011"


def test_2021_file_needs_no_conversion(lookup):
    raw = uploads.read_upload(fixture("lsoa21_bom_semicolon.csv"), "x.csv")
    result = uploads.load_lsoa_table(raw, lookup=lookup, pop21=pd.Series(dtype=float),
                                     pop11=pd.Series(dtype=float))
    assert result.vintage == "2021" and result.converted == 0 and result.unmatched == 0
    assert result.value_columns == {"Patients registered": "count", "% smokers": "rate"}
    out = result.frame.set_index("lsoa_code")
    assert out.loc["E01035189", "Patients registered"] == 1320.0  # "1,320"
    assert out.loc["E01035189", "% smokers"] == 12.5  # "12.5%"


def test_semantics_validation(lookup):
    raw = uploads.read_upload(fixture("lsoa11_counts.csv"), "x.csv")
    with pytest.raises(UploadError, match="meaning must be"):
        uploads.load_lsoa_table(raw, {"referrals": "total"}, lookup=lookup)
    with pytest.raises(UploadError, match="not in"):
        uploads.load_lsoa_table(raw, {"nope": "count"}, lookup=lookup)


# --- point files -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def postcode_index():
    from geo_core20 import geocode

    try:
        return geocode.load_postcode_index()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Code-Point Open not available: {exc}")


def test_point_file_rows_and_counts(atlas2025, postcode_index):
    raw = uploads.read_upload(fixture("points_mixed.csv"), "points_mixed.csv")
    assert uploads.detect_kind(raw) == "points"
    result = uploads.load_points(raw, atlas2025, postcode_index=postcode_index)
    assert result.rows_read == 10 and result.rows_loaded == 4
    assert result.points["row"].tolist() == [2, 3, 4, 11]
    assert result.points.set_index("row")["located_by"].to_dict() == {
        2: "postcode", 3: "longitude/latitude", 4: "postcode", 11: "postcode"}
    # both Manchester rows (one typed 'm11ae') land in the same LSOA: counted twice
    counts = result.counts.set_index("lsoa_code")["count"]
    assert counts.sum() == 4 and counts.max() == 2 and len(counts) == 3

    errors = by_row(result.errors)
    assert set(errors) == {5, 6, 7, 8, 9, 10}
    assert "not found" in errors[5].reason
    assert "swapped" in errors[6].reason
    assert "Scotland" in errors[7].reason
    assert "not a valid UK postcode" in errors[8].reason
    assert "no location" in errors[9].reason
    assert "outside England" in errors[10].reason
    table = uploads.errors_frame(result.errors)
    assert table["row"].tolist() == [5, 6, 7, 8, 9, 10]


def test_easting_northing_file(atlas2025):
    raw = uploads.read_upload(fixture("points_bng.csv"), "points_bng.csv")
    result = uploads.load_points(raw, atlas2025)
    assert result.columns.easting == "easting" and result.rows_loaded == 2
    errors = by_row(result.errors)
    assert "easting and northing look swapped" in errors[3].reason
    assert "looks like longitude/latitude" in errors[4].reason
    leeds = result.points.iloc[0]
    assert leeds["lon"] == pytest.approx(-1.5467, abs=1e-3)
    assert leeds["lat"] == pytest.approx(53.795, abs=1e-3)


def test_hostile_text_is_kept_as_data_and_escaped_on_output(atlas2025, postcode_index):
    raw = uploads.read_upload(fixture("points_mixed.csv"), "points_mixed.csv")
    result = uploads.load_points(raw, atlas2025, postcode_index=postcode_index)
    names = result.points["site_name"].tolist()
    assert "<script>alert('x')</script> hostel" in names  # kept verbatim
    assert '=HYPERLINK("http://evil.example","click")' in names
    exported = uploads.safe_export(result.points)
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in exported["site_name"].tolist()
    assert "geometry" not in exported.columns
    assert "<script>" not in safety.escape_html(names[0])


def test_load_upload_dispatches(atlas2025, postcode_index):
    res = uploads.load_upload(fixture("points_bng.csv"), "venues.csv", atlas2025)
    assert res.kind == "points" and res.name == "venues"
    with pytest.raises(UploadError, match="No usable column"):
        uploads.load_upload(fixture("no_usable_column.csv"), "n.csv", atlas2025)


# --- the two bugs, limits, sheets, zips, formulas ------------------------------------------

def test_a_cell_over_the_csv_modules_field_limit_gets_a_message_not_a_csv_error(monkeypatch):
    data = b"lsoa_code,notes,value\nE01000001," + b"x" * 140_000 + b",3\n"
    with pytest.raises(UploadError, match=r"cell of 140,000 characters on row 2.*limits\.MAX_CELL_CHARS"):
        uploads.read_upload(data, "long.csv")
    monkeypatch.setattr(limits, "MAX_CELL_CHARS", 200_000)  # allowed: read in full (past csv's 131,072)
    assert len(uploads.read_upload(data, "long.csv").frame["notes"].iat[0]) == 140_000


def test_unquoted_thousands_separator_is_reported_not_mapped_as_a_phantom_column(lookup):
    data = b"lsoa_code,value\nE01011949,12\nE01011950,1,000\nE01011951,7\n"
    raw = uploads.read_upload(data, "counts.csv")
    assert list(raw.frame.columns) == ["lsoa_code", "value"]
    result = uploads.load_lsoa_table(raw, lookup=lookup, pop21=pd.Series(dtype=float),
                                     pop11=pd.Series(dtype=float))
    assert result.value_columns == {"value": "count"}
    assert result.frame.set_index("lsoa_code")["value"].to_dict() == {"E01011949": 12.0, "E01011951": 7.0}
    problem = by_row(result.errors)[3]
    assert problem.severity == "error" and "3 values but the table has 2 columns" in problem.reason
    assert "1,000" in problem.reason and problem.value == "E01011950,1,000"
    assert result.rows_read == 3 and result.unmatched == 1


def test_a_header_missing_its_last_names_keeps_the_unnamed_columns():
    raw = uploads.read_upload(b"lsoa_code,value\nE01000001,1,a\nE01000002,2,b\n", "x.csv")
    assert list(raw.frame.columns) == ["lsoa_code", "value", "column_3"] and not raw.errors


def test_unclosed_quote_is_named():
    with pytest.raises(UploadError, match=r"quote mark .* never closed, on row 3"):
        uploads.read_upload(b'lsoa_code,name\nE01000001,a\nE01000002,"b\nE01000003,c\n', "q.csv")


def test_row_limit_at_full_size():
    data = b"lsoa_code,value\n" + b"E01000001,1\n" * (limits.MAX_ROWS + 1)
    with pytest.raises(UploadError, match=r"limit is 250,000 data rows \(limits\.MAX_ROWS\)"):
        uploads.read_upload(data, "big.csv")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16"])
def test_utf16_with_or_without_bom(codec):
    raw = uploads.read_upload("lsoa_code,name\nE01000001,Caf\u00e9\n".encode(codec), "u.csv")
    assert raw.encoding == "UTF-16" and raw.frame["name"].tolist() == ["Caf\u00e9"]


def test_a_zip_holding_one_csv_is_read():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("export/table.csv", "lsoa_code,value\nE01000001,4\n")
    raw = uploads.read_upload(buf.getvalue(), "table.zip")
    assert raw.frame["value"].tolist() == ["4"] and "Read 'export/table.csv'" in raw.notes[0]


def test_formulas_without_a_saved_result_are_flagged(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["lsoa_code", "value"])
    book.active.append(["E01000001", "=1+1"])  # written by a program: no saved result
    book.active.append(["E01000002", 3])
    path = tmp_path / "f.xlsx"
    book.save(path)
    raw = uploads.read_upload(path.read_bytes(), "f.xlsx")
    assert raw.frame["value"].tolist() == ["", "3"]
    flagged = by_row(raw.errors)[2]
    assert flagged.severity == "warning" and "formula with no saved result" in flagged.reason
    assert flagged.value == "=1+1"


def test_layer_on_vintage(atlas2025, atlas2019, lookup):
    raw = uploads.read_upload(fixture("points_bng.csv"), "points_bng.csv")
    on2019 = uploads.load_points(raw, atlas2019)
    assert on2019.lsoa_vintage == "2019"
    on2025 = uploads.layer_on_vintage(on2019, "2025", atlas2025)  # re-placed on 2021 LSOAs
    expected = geocode.assign_lsoa(on2019.points["lon"], on2019.points["lat"], atlas2025)["lsoa_code"]
    assert sorted(on2025["lsoa_code"]) == sorted(expected.dropna())
    assert uploads.layer_on_vintage(on2019, "2019") is on2019.counts
    table = uploads.load_lsoa_table(uploads.read_upload(fixture("lsoa21_bom_semicolon.csv"), "t.csv"),
                                    lookup=lookup, pop21=pd.Series(dtype=float), pop11=pd.Series(dtype=float))
    assert uploads.layer_on_vintage(table, "2025") is table.frame
    empty = uploads.layer_on_vintage(table, "2019")
    assert empty.empty and list(empty.columns) == list(table.frame.columns)


def test_limits_are_read_when_the_reader_runs(monkeypatch):
    data = b"lsoa_code,value\n" + b"E01000001,1\n" * 5
    assert len(uploads.read_upload(data, "five.csv").frame) == 5
    monkeypatch.setattr(limits, "MAX_ROWS", 3)  # changed after every module was imported
    with pytest.raises(UploadError, match=r"limit is 3 data rows \(limits\.MAX_ROWS\)"):
        uploads.read_upload(data, "five.csv")
    monkeypatch.setattr(limits, "MAX_ROWS", 250_000)
    monkeypatch.setattr(limits, "MAX_COLUMNS", 1)
    with pytest.raises(UploadError, match=r"limits\.MAX_COLUMNS"):
        uploads.read_upload(data, "five.csv")


def test_uploads_keep_no_import_time_copy_of_the_limits():
    assert not {"MAX_BYTES", "MAX_ROWS", "limits"} & set(dir(uploads))
