"""Download buttons with one wording for every page (file names, CSV reading recipe)."""

from __future__ import annotations

from collections.abc import Callable

from geo_core20.maps import export

# the documented recipe, tested on every CSV the app offers (tests/test_downloads.py)
CSV_HELP = export.CSV_HELP


def csv(container, label: str, data: bytes | Callable[[], bytes], file_name: str, *, key: str | None = None,
        help: str = CSV_HELP) -> None:
    """A CSV download button (built lazily when ``data`` is a callable)."""
    container.download_button(label, data, file_name=file_name, mime="text/csv", on_click="ignore",
                              icon=":material/table:", help=help, key=key)


def geojson(container, label: str, data: bytes | Callable[[], bytes], file_name: str, *,
            key: str | None = None) -> None:
    container.download_button(label, data, file_name=file_name, mime="application/geo+json",
                              on_click="ignore", icon=":material/polyline:",
                              help="Boundaries with the same fields; attribution inside.", key=key)


