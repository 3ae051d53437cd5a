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


MAX_ZIP_MEMBERS = 2_000
"""Most files inside one zip upload (a zipped shapefile needs 3-5 per layer)."""

MAX_ZIP_NAME_CHARS = 255
"""Longest file name (with its folders) inside a zip upload."""

MAX_GIS_LAYERS = 100
"""Most layers in one GIS upload (a GeoPackage or a zip of shapefiles)."""

MAX_XLSX_PART_BYTES = 200 * 1024 * 1024
"""Most bytes one part of a workbook (a sheet, its shared strings or styles) may unzip to: a
workbook of 250,000 rows is well under this, a 'zip bomb' workbook is not."""

MAX_JOIN_PAIRS = 20_000_000
"""Most (LSOA, uploaded area) pairs the spatial join of an areas upload may consider: 33,755
LSOA centres inside ~600 areas each. Thousands of overlapping England-sized polygons exceed it."""

# --- the upload worker (geo_core20.uploads.worker) ---------------------------------------------------
# Untrusted files are parsed in a separate, warm worker process. Its memory is watched from the
# app (resident memory, polled every WORKER_POLL_SECONDS) rather than capped with RLIMIT_AS or
# RLIMIT_DATA: measured on the warm worker (geopandas, pyarrow, GDAL and both atlases loaded) the
# address space is ~2.1 GB and the data segment ~1.5 GB for ~0.55 GB resident, because pyarrow's
# allocator and OpenBLAS reserve address space they never touch; an RLIMIT_AS of 2 GB then aborted
# the process with C++ `std::bad_alloc` in an ordinary points upload while 1.5 GB did not (the
# allocators size their reservations to the limit), so an address-space cap trips spuriously and
# kills with no message. Resident memory counts what a file really costs.

UPLOAD_RAM_MB = 2_048
"""Most memory (MB) one upload may use while it is read, on top of the warm worker's own."""

UPLOAD_CPU_SECONDS = 60
"""Most processor time (s) one upload may take to read (RLIMIT_CPU in the worker)."""

UPLOAD_WALL_SECONDS = 120
"""Most wall-clock time (s) the app waits for one upload (the worker is then killed and replaced)."""

WORKER_PROCESSES = 2
"""Upload workers kept at most (two people's uploads are read at once; a third waits)."""

WORKER_RECYCLE_MB = 512
"""A worker still holding this much more memory (MB) than when warm after a file is replaced."""

WORKER_POLL_SECONDS = 0.02
"""How often the app checks the worker's memory and time while it reads a file."""

# --- the routing tile builder (geo_core20.routing.engine.build_tiles) ----------------------------------
# Valhalla's valhalla_build_tiles is run as a child process under the same kind of limits as the upload
# worker: resident memory polled from the app (not RLIMIT_AS, for the reasons above: the builder's
# threads and allocators reserve address space they never touch), processor time as RLIMIT_CPU on the
# child (summed over its threads) and a wall-clock limit. Measured on the mirror's Rutland extract
# (1.2 MB): ~0.1 GB resident and ~0.8 CPU-s. No larger extract is in the mirror; a county (Devon,
# ~50 MB from download.geofabrik.de) is ~40x Rutland, so these leave an order of magnitude of room
# for a county while stopping a region- or country-sized extract before it takes the server.

ROUTING_BUILD_RAM_MB = 4_096
"""Most resident memory (MB) the tile builder may use for one extract."""

SHARED_GEOMETRY_MB = 1_024
"""Most disk (MB) the maps' shared geometry files (static/shared/) may take; past it, the files unused
longest are removed (an ICB's polygons are ~0.2 MB gzipped plus a 0.5 MB uncompressed twin)."""
SHARED_GEOMETRY_KEEP_S = 24 * 3600
"""A shared geometry file used within this many seconds is never removed (a page that has its map
script may still fetch it)."""

ROUTING_BUILD_CPU_SECONDS = 1_800
"""Most processor time (s, all its threads together) the tile builder may take for one extract."""

ROUTING_BUILD_WALL_SECONDS = 3_600
"""Most wall-clock time (s) the tile builder may take for one extract."""


def worker_limits() -> dict[str, float]:
    """The limits the worker applies, read now (a test or deployment may have changed them)."""
    names = ("MAX_UPLOAD_MB", "MAX_BYTES", "MAX_UNZIPPED_BYTES", "MAX_ROWS", "MAX_CELL_CHARS",
             "MAX_COLUMNS", "MAX_GIS_VERTICES", "MAX_ZIP_MEMBERS", "MAX_ZIP_NAME_CHARS", "MAX_GIS_LAYERS",
             "MAX_XLSX_PART_BYTES", "MAX_JOIN_PAIRS", "UPLOAD_CPU_SECONDS")
    return {n: globals()[n] for n in names}


def describe() -> str:
    """The limits as one sentence for the upload form."""
    return (f"up to {MAX_UPLOAD_MB} MB, {MAX_ROWS:,} rows, {MAX_COLUMNS:,} columns and "
            f"{MAX_CELL_CHARS:,} characters per cell")
