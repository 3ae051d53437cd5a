"""Every CSV the app offers opens with the documented recipe, pandas.read_csv(f, comment="#"), and has an
Excel twin that reads back to the same rows; the print/present buttons give files that open. Table
buttons all go through ui.downloads (which always draws both)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

from geo_core20 import access, clinical, hotspots, plans, plus, schema, siting, tables, uploads
from geo_core20.maps import view

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "uploads"
ICB, HULL = "E54000008", "E06000010"


def recipe(data: bytes) -> pd.DataFrame:
    """Exactly what the download buttons' help text tells people to run."""
    return pd.read_csv(io.BytesIO(data), comment="#")


def offered(table: pd.DataFrame, notes) -> pd.DataFrame:
    """What the two buttons of ``downloads.table`` give for a table: the CSV read with the recipe,
    checked against its Excel twin (same columns, same rows, same values; notes on sheet 2)."""
    back = recipe(tables.to_csv(table, notes))
    sheet, lines = tables.read_xlsx(tables.to_xlsx(table, notes))
    assert twins(back, sheet)
    assert lines == [", ".join(row) for row in tables.note_rows(notes)]
    return back


def twins(csv_frame: pd.DataFrame, sheet: pd.DataFrame) -> bool:
    """The CSV (read with the recipe) and the Excel sheet hold the same table."""
    if list(csv_frame.columns) != list(sheet.columns) or len(csv_frame) != len(sheet):
        return False
    for col in csv_frame.columns:
        a, b = csv_frame[col], sheet[col]
        if pd.api.types.is_bool_dtype(a) or pd.api.types.is_bool_dtype(b):
            if a.tolist() != b.tolist():
                return False
        elif pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            if not ((a - b).abs().fillna(0) < 1e-9).all() or not (a.isna() == b.isna()).all():
                return False
        elif a.fillna("").astype(str).tolist() != b.fillna("").astype(str).tolist():
            return False
    return True


def test_the_help_text_quotes_the_recipe():
    from geo_core20.ui import downloads

    assert 'read_csv(' in downloads.CSV_HELP and "comment=\"#\"" in downloads.CSV_HELP.replace("'", '"')


# a page drawing its own CSV/Excel button: a CSV MIME type or file name, or a table written by hand
# (not through the one writer, geo_core20.tables, or the plan's)
OWN_TABLE_BUTTON = (r"text/csv|spreadsheetml|\.(csv|xlsx)\b[\"']|(?<!plans)(?<!tables)\.to_(csv|xlsx)\("
                    r"|downloads\.csv\(")


def test_every_csv_button_in_the_pages_goes_through_one_helper():
    sources = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py")),
               *sorted((ROOT / "geo_core20" / "ui").glob("*.py"))]
    offenders = [str(p.relative_to(ROOT)) for p in sources if p.name != "downloads.py"
                 and re.search(OWN_TABLE_BUTTON, p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_every_table_button_has_an_excel_twin():
    from geo_core20.ui import downloads

    calls = []

    class Column:
        def download_button(self, label, data, *, file_name, mime, **kwargs):
            calls.append((label, file_name, mime, data() if callable(data) else data))

    hostile = pd.DataFrame({schema.LSOA_CODE: ["E01000001", "E01000002"],
                            "name": ["=cmd|' /C calc'!A0", "Leeds"], "value": [1.5, None]})
    downloads.table(Column(), "Layer", "layer_2025", hostile, ["Contains OS data © Crown copyright 2021"])
    (csv_label, csv_name, csv_mime, csv), (x_label, x_name, x_mime, xlsx) = calls
    assert (csv_label, csv_name, csv_mime) == ("Layer (CSV)", "layer_2025.csv", "text/csv")
    assert (x_label, x_name, x_mime) == ("Layer (Excel)", "layer_2025.xlsx", tables.XLSX_MIME)
    sheet, notes = tables.read_xlsx(xlsx)
    assert twins(recipe(csv), sheet) and sheet["name"].tolist() == ["'=cmd|' /C calc'!A0", "Leeds"]
    assert notes == ["Contains OS data © Crown copyright 2021"]


@pytest.fixture(scope="module")
def hull(atlas2025):
    return atlas2025[atlas2025["lad_code"] == HULL]


def test_explorer_csv(atlas2025):
    table = view.lsoa_table("2025", "icb", ICB)
    back = offered(table, view.attribution_lines("2025"))
    assert len(back) == len(table) and list(back.columns) == list(table.columns)
    assert not any(re.search(r"\d\.\d{9,}", str(v)) for v in back[schema.IMD_SCORE])  # no float noise


def test_plus_csvs(hull):
    notes = [*view.attribution_lines("2025"), *plus.get("ethnic_minority").attribution(),
             'a, "quoted" #note']
    layer = pd.DataFrame(plus.area_layer(hull, "ethnic_minority").drop(columns="geometry"))
    assert len(offered(layer, notes)) == len(layer)
    result = hotspots.gi_star(hull, plus.values(hull, "imd_score").astype(float), permutations=99)
    table = pd.concat([hull[[schema.LSOA_CODE]].reset_index(drop=True), result.frame.reset_index(drop=True)],
                      axis=1)
    assert len(offered(table.astype({"hotspot": str}), [result.method_note, *notes])) == len(hull)
    target = plus.evaluate(plus.TargetSpec("core20", "and", (plus.Condition("coastal"),)), hull)
    frame = pd.DataFrame(plus.target_frame(hull, target).drop(columns="geometry"))
    assert len(offered(frame, ["Target: Core20 AND coastal", *notes])) == len(frame)


def test_upload_csvs(atlas2025):
    res = uploads.load_upload((FIXTURES / "points_mixed.csv").read_bytes(), "v.csv", atlas2025)
    back = offered(uploads.safe_export(res.points), ["Uploaded layer 'v'"])
    assert len(back) == res.rows_loaded
    bad = uploads.errors_frame(res.errors)
    assert len(offered(bad, ["Rows of the upload that could not be used"])) == len(bad)


def test_focus_and_outreach_csvs(atlas2025, tmp_path):
    from geo_core20.ui.focus import comparison_table

    compare = comparison_table(clinical.focus_compare(atlas2025, "cancer", "icb", ICB))
    assert len(offered(compare, clinical.attribution("cancer"))) == 6
    sub = atlas2025[atlas2025["icb_code"] == ICB]
    res = access.analyse(sub, _sites(), threshold=3000)
    for frame in (res.uncovered, res.bands):
        assert len(offered(frame, ["Distance to the nearest gp site"])) == len(frame)
    result = siting.plan("2025", "icb", ICB, "core20", ("gp",), 3.0, 2, "mclp", atlas_frame=atlas2025)
    saved = plans.SavedPlan("abc", "Plan, with \"quotes\" =1+1", "2026-01-01", result.to_dict())
    back = recipe(plans.to_csv(saved))
    assert len(back) == 2
    sheet, notes = tables.read_xlsx(plans.to_xlsx(saved))
    assert twins(back, sheet) and 'plan_name, Plan, with "quotes" =1+1' in notes


def _sites() -> pd.DataFrame:
    from geo_core20 import atlas

    sites = atlas.load_sites()
    return sites[sites["site_type"] == "gp"]


def test_print_and_present_buttons_make_files_that_open(atlas2025):
    from PIL import Image

    from geo_core20.ui import cache

    png = cache.decile_chart_bytes("2025", "icb", ICB, "Cheshire and Merseyside", "png")
    assert Image.open(io.BytesIO(png)).size[0] > 500
    svg = cache.decile_chart_bytes("2025", "icb", ICB, "Cheshire and Merseyside", "svg")
    assert b"<svg" in svg[:500]
    html = cache.report_file("2025", "lad", HULL, schema.IMD_DECILE, None, "html").decode("utf-8")
    assert "Kingston upon Hull" in html and "<script" not in html.lower()


def test_target_and_focus_print_maps_open():
    from PIL import Image

    from geo_core20.ui import cache

    tokens = (("tb", "core20"), ("tc", "and"), ("tx", "coastal"))
    png = cache.target_map_bytes("2025", "lad", HULL, tokens, "png")
    image = Image.open(io.BytesIO(png))
    small = image.convert("RGB").resize((200, 140))
    assert image.info.get("dpi", (0, 0))[0] > 299 and len(small.getcolors(maxcolors=100_000)) > 20
    svg = cache.target_map_bytes("2025", "lad", HULL, tokens, "svg").decode("utf-8")
    assert "Core20PLUS target" in svg and "In the target" in svg and "Kingston upon Hull" in svg
    pdf = cache.focus_map_bytes("2025", "lad", HULL, "hypertension", "undiagnosed_per_1000", "pdf")
    assert pdf[:5] == b"%PDF-"
