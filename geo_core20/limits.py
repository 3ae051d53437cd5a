"""Limits on what a user may upload, in one place; every message that enforces one names it.

The readers look these names up when they run (``limits.MAX_ROWS``), so a test or a
deployment can change one here and every reader and message follows.
"""

from __future__ import annotations

MAX_UPLOAD_MB = 20
MAX_BYTES = MAX_UPLOAD_MB * 1024 * 1024
"""Largest upload (CSV, Excel or GIS file) in bytes; Streamlit's uploader is set to the same."""

MAX_UNZIPPED_BYTES = 500 * 1024 * 1024
"""Most bytes a zip upload (an .xlsx workbook is one) may unzip to: a guard against zip bombs."""

MAX_ROWS = 250_000
"""Most data rows (or GIS features) in one upload: England has 33,755 LSOAs, so an LSOA table
never needs more, and 250,000 points keep a page responsive."""

MAX_CELL_CHARS = 32_767
"""Longest cell, in characters: Excel's own limit, so a longer CSV cell is almost always a
broken quote that swallowed the rows after it."""

MAX_COLUMNS = 1_000
"""Most columns in one upload."""

MAX_GIS_VERTICES = 5_000_000
"""Most polygon vertices in one GIS upload (all of England's LSOAs at full detail hold ~10 M)."""


def describe() -> str:
    """The limits as one sentence for the upload form."""
    return (f"up to {MAX_UPLOAD_MB} MB, {MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns and "
            f"{MAX_CELL_CHARS:,} characters per cell")
