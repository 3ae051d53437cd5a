"""Download buttons with one wording for every page: each table as CSV and as its Excel twin.

    downloads.table(col, "Layer", "plus_coastal_2025_icb_E54000008", lambda: frame, notes)

draws "Layer (CSV)" and "Layer (Excel)", each built only when clicked (``geo_core20.tables``:
attribution one line per licence holder, formula-safe cells). The CSV's help quotes the
documented reading recipe (tests/test_downloads.py reads every CSV the app offers with it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from geo_core20 import tables

CSV_HELP = tables.CSV_HELP

Data = bytes | Callable[[], bytes]


def _key(key: str | None, suffix: str) -> str | None:
    return None if key is None else f"{key}{suffix}"


def table_files(container, label: str, file_stem: str, csv: Data, xlsx: Data, *, key: str | None = None,
                help: str = CSV_HELP) -> None:
    """A table's CSV and Excel buttons from ready bytes (or callables making them on click)."""
    container.download_button(f"{label} (CSV)", csv, file_name=f"{file_stem}.csv", mime="text/csv",
                              on_click="ignore", icon=":material/table:", help=help, key=key)
    container.download_button(f"{label} (Excel)", xlsx, file_name=f"{file_stem}.xlsx", mime=tables.XLSX_MIME,
                              on_click="ignore", icon=":material/grid_on:", help=tables.XLSX_HELP,
                              key=_key(key, "_xlsx"))


def table(container, label: str, file_stem: str, rows: pd.DataFrame | Callable[[], pd.DataFrame],
          notes: Sequence[tables.Note] = (), *, key: str | None = None, help: str = CSV_HELP) -> None:
    """CSV and Excel buttons for one table and its notes (attribution, method, target)."""
    def frame() -> pd.DataFrame:
        return rows() if callable(rows) else rows

    table_files(container, label, file_stem, lambda: tables.to_csv(frame(), notes),
                lambda: tables.to_xlsx(frame(), notes), key=key, help=help)


def geojson(container, label: str, data: Data, file_name: str, *, key: str | None = None) -> None:
    container.download_button(label, data, file_name=file_name, mime="application/geo+json",
                              on_click="ignore", icon=":material/polyline:",
                              help="Boundaries with the same fields; attribution inside.", key=key)
