"""Uploading local data: the form, the session's layers, their load reports.

Layers live in this browser session only (``layers()``), never on disk or in other sessions.
"""

from __future__ import annotations

from pathlib import PurePath

import pandas as pd
import streamlit as st

from geo_core20 import limits, schema, uploads
from geo_core20.maps import upload_maps
from geo_core20.ui import cache, downloads, keep
from geo_core20.ui.map_display import show_map
from geo_core20.ui.text import escape_markdown
from geo_core20.uploads import worker

K_LAYERS = "plus_layers"  # layer name -> uploads.LsoaTableResult | uploads.PointsResult
_K_ADDED = "_gc20_layer_added"
K_SHOW = "plus_show_layer"
KIND_LABEL = {uploads.LSOA_KIND: "Table keyed by LSOA code", uploads.POINTS_KIND: "Places (points)"}
SEMANTICS_LABEL = {uploads.COUNT: "count (people, events: split and summed)",
                   uploads.RATE: "rate or share (copied and population-weighted)"}


def size_limit_text() -> str:
    """The upload size limit as the pages state it (``limits.MAX_UPLOAD_MB``, read at run time)."""
    return f"up to {limits.MAX_UPLOAD_MB} MB per file"


def file_uploader(label: str, *, container=st, **kwargs):
    """``st.file_uploader`` with the app's one size limit, ``limits.MAX_UPLOAD_MB``.

    Every uploader of the app goes through here, so the limit the widget shows and enforces in the
    browser ("Limit 20MB per file") is the one the readers enforce and the pages state; the server
    refuses bigger bodies too (``server.maxUploadSize``, set to the same by ``.streamlit/config.toml``
    and the launcher ``geo_core20.serve``).
    """
    return container.file_uploader(label, max_upload_size=limits.MAX_UPLOAD_MB, **kwargs)


def layers() -> dict:
    """This session's uploaded layers, by name."""
    return st.session_state.setdefault(K_LAYERS, {})


def unique_name(name: str) -> str:
    base = (name or "upload").strip()[:60] or "upload"
    base = "".join(ch if ch.isalnum() or ch in " .,()&'+-_" else "_" for ch in base)
    out, k = base, 2
    while out in layers():
        out, k = f"{base} ({k})", k + 1
    return out


def problem_rows(res, key: str) -> None:
    """Rows that could not be used (or loaded with a warning), with their spreadsheet row numbers."""
    if not res.errors:
        return
    bad = uploads.errors_frame(res.errors)
    n_err = int((bad["severity"] == "error").sum())
    st.warning(f"{n_err:,} row(s) not used and {len(bad) - n_err:,} loaded with a warning. Row "
               "numbers are as in a spreadsheet (the header is row 1).", icon=":material/rule:")
    st.dataframe(bad, hide_index=True, width="stretch", height=min(38 * (len(bad) + 1), 320))
    downloads.table(st, "Problem rows", "upload_problems", bad, ["Rows of the upload that could not be used"],
                    key=key)


def report(res) -> None:
    st.dataframe(res.report(), hide_index=True, width="stretch")
    for note in res.notes:
        st.caption(escape_markdown(note))
    problem_rows(res, key=f"plus_bad_{res.name}")


def _lsoa_options(raw: uploads.RawTable, fid: str) -> dict:
    cols = list(raw.frame.columns)
    found = uploads.find_lsoa_column(raw.frame)
    code_col = st.selectbox("LSOA code column", cols, key=f"plus_upload_code_{fid}",
                            index=cols.index(found) if found in cols else 0)
    numeric = uploads.numeric_columns(raw.frame, exclude=[code_col])
    chosen = st.multiselect("Value columns to map", [c for c in cols if c != code_col], default=numeric,
                            key=f"plus_upload_values_{fid}")
    kinds = [uploads.COUNT, uploads.RATE]
    semantics = {col: st.radio(f"'{escape_markdown(col)}' is a", kinds,
                               index=kinds.index(uploads.guess_semantics(raw.frame, col)),
                               format_func=SEMANTICS_LABEL.get, horizontal=True, key=f"plus_sem_{fid}_{col}")
                 for col in chosen}
    return {"value_columns": semantics, "code_column": code_col}


def _failed(exc: Exception) -> None:
    st.session_state.pop(_K_ADDED, None)  # an earlier success must not sit beside this failure
    st.error(str(exc), icon=":material/error:")


def _add(res, name: str) -> None:
    res.name = unique_name(name)
    layers()[res.name] = res
    st.session_state[_K_ADDED] = res.name
    keep.put(K_SHOW, res.name)  # the new layer is the one shown, with its report


def _read_options() -> dict:
    """How to re-read a file the page refused as ambiguous (its message names these toggles)."""
    c1, c2 = st.columns(2)
    options = {}
    if c1.toggle("Numbers use a decimal comma (1.234,5)", key="plus_upload_decimal_comma",
                 help="Read 0,125 as 0.125 and 1.234 as 1234 (a European-locale export)."):
        options["decimal_comma"] = True
    if c2.toggle("The coordinate columns are swapped", key="plus_upload_swap_axes",
                 help="Read the easting column as northing and the northing as easting (or longitude and "
                      "latitude the same way)."):
        options["swap_axes"] = True
    return options


def _gis_form(data: bytes, filename: str, fid: str) -> None:
    """A GeoJSON, GeoPackage or zipped shapefile: pick its layer, then add it."""
    try:
        names = worker.run("gis_layers", data, filename)
    except uploads.UploadError as exc:
        _failed(exc)
        return
    layer = (st.selectbox("Layer of the file", names, key=f"plus_upload_layer_{fid}") if len(names) > 1
             else (names[0] if names else None))
    name = st.text_input("Layer name", value=PurePath(filename).stem, key=f"plus_upload_name_{fid}",
                         max_chars=60)
    if st.button("Add layer", type="primary", key="plus_add_layer", icon=":material/add:"):
        try:
            with st.spinner("Loading…"):
                _add(worker.run("load_gis", data, filename, worker.Atlas("2025"), layer=layer), name)
        except uploads.UploadError as exc:
            _failed(exc)


def _table_form(data: bytes, filename: str, fid: str) -> None:
    """A CSV or Excel table: its sheet (if several), what it is, its columns, then add it."""
    sheet = st.session_state.get(f"plus_upload_sheet_{fid}")
    read_options = _read_options()
    try:
        raw, detected, problem = worker.run("read_table", data, filename, sheet=sheet,
                                            decimal_comma=read_options.get("decimal_comma"))
        if problem is not None:
            raise uploads.UploadError(problem)
    except uploads.UploadError as exc:
        _failed(exc)
        raw, detected = None, None
    if raw is not None:
        st.session_state[f"_plus_sheets_{fid}"] = raw.sheets
    sheets = st.session_state.get(f"_plus_sheets_{fid}") or []
    if len(sheets) > 1:  # drawn after the read so the default is the sheet it found data in
        st.selectbox("Sheet", sheets, key=f"plus_upload_sheet_{fid}",
                     index=sheets.index(raw.sheet) if raw is not None and raw.sheet in sheets else 0,
                     help=f"The workbook's sheets: {', '.join(sheets)}.")
    if raw is None:
        return
    fid = f"{fid}:{raw.sheet}" if raw.sheet else fid  # another sheet is another table: fresh choices
    where = (f" ({raw.encoding}, delimiter {raw.delimiter!r})" if raw.encoding else f" (sheet '{raw.sheet}')")
    st.caption(escape_markdown(f"Read {len(raw.frame):,} rows and {len(raw.frame.columns)} columns{where}. "
                               + " ".join(raw.notes)))
    kind = st.radio("This file is a", list(KIND_LABEL), index=list(KIND_LABEL).index(detected),
                    format_func=KIND_LABEL.get, horizontal=True, key=f"plus_upload_kind_{fid}")
    name = st.text_input("Layer name", value=raw.name, key=f"plus_upload_name_{fid}", max_chars=60)
    options = _lsoa_options(raw, fid) if kind == uploads.LSOA_KIND else {}
    if not st.button("Add layer", type="primary", key="plus_add_layer", icon=":material/add:"):
        return
    try:
        with st.spinner("Loading…"):
            if kind == uploads.LSOA_KIND:
                res = worker.run("load_lsoa_table", raw, england_codes21=worker.AtlasCodes("2025"), **options)
            else:
                res = worker.run("load_points", raw, worker.Atlas("2025"),
                                 swap_axes=read_options.get("swap_axes", False))
    except uploads.UploadError as exc:
        _failed(exc)
        return
    _add(res, name)


def add_layer_form() -> None:
    """File -> what it is -> options -> Add layer (the new layer becomes the one shown)."""
    worker.warm()  # the file reader starts while the user picks a file
    file = file_uploader("Upload a CSV, Excel or GIS file (GeoJSON, GeoPackage, zipped shapefile)",
                         type=["csv", "txt", "tsv", "xlsx", "xlsm", "geojson", "json", "gpkg", "zip"],
                         key="plus_upload", help=f"Files {size_limit_text()} ({limits.describe()}).")
    if file is None:
        return
    fid = getattr(file, "file_id", None) or f"{file.name}-{file.size}"  # per-file widget state
    data = file.getvalue()
    if uploads.is_gis(data, file.name):
        _gis_form(data, file.name, fid)
    else:
        _table_form(data, file.name, fid)


def layer_summary() -> pd.DataFrame:
    return pd.DataFrame([{"Layer": n, "Rows read": r.rows_read, "Loaded": r.rows_loaded,
                          "Kind": "points" if r.kind == uploads.POINTS_KIND else "LSOA table",
                          "Problem rows": sum(e.severity == "error" for e in r.errors)}
                         for n, r in layers().items()])


def pick_layer() -> str | None:
    """The layer list, a select of the layer to show (with its report and Remove); its name."""
    held = layers()
    if not held:
        st.info("No layers yet. Earlier layers stay here while this browser tab is open.")
        return None
    added = st.session_state.get(_K_ADDED)
    if added in held:
        st.success(f"Added layer '{escape_markdown(added)}'.", icon=":material/check:")
    st.dataframe(layer_summary(), hide_index=True, width="stretch")
    names = list(held)
    pick = keep.widget(st.selectbox, "Show layer", names, key=K_SHOW, default=names[-1], valid=names)
    with st.expander("Load report", expanded=pick == added):
        report(held[pick])
    if st.button(f"Remove layer '{escape_markdown(pick)}'", key="plus_remove_layer",
                 icon=":material/delete:"):
        del held[pick]
        st.session_state.pop(_K_ADDED, None)
        keep.forget(K_SHOW)
        st.rerun()
    return pick


def layer_on_vintage(res, vintage: str) -> pd.DataFrame:
    """An uploaded layer as lsoa_code + values on this vintage's LSOAs (see uploads)."""
    return uploads.layer_on_vintage(res, vintage, cache.load_atlas_cached(vintage))


def layer_view(ctx, pick: str, column_key: str) -> None:
    """The chosen layer on the map of the area, with its data download."""
    res, v = layers()[pick], ctx.view
    if res.kind == uploads.LSOA_KIND and v.vintage != "2025":
        st.info("LSOA tables are converted to 2021 LSOAs: switch the IMD vintage to IoD2025 to map them.")
        return
    if res.kind == uploads.POINTS_KIND:
        column = "count"
    else:
        cols = list(res.value_columns)
        column = keep.widget(st.selectbox, "Value", cols, key=column_key, default=cols[0], valid=cols)
    values, national = uploads.layer_values(res, column, v.vintage, ctx.area_atlas[schema.LSOA_CODE],
                                            cache.load_atlas_cached(v.vintage))
    points = None
    if res.kind == uploads.POINTS_KIND:
        points = res.points[res.points[schema.LSOA_CODE].isin(set(ctx.area_atlas[schema.LSOA_CODE]))] \
            if v.vintage == "2025" else res.points
        st.caption(f"{int(values.sum()):,} point(s) in {ctx.area_name}; {int((values > 0).sum()):,} "
                   "LSOAs have at least one.")
    title = (f"{pick}: points per LSOA" if res.kind == uploads.POINTS_KIND
             else f"{pick}: {column} ({res.value_columns[column]})")
    cached = cache.session_map(
        "plus_upload", (ctx.slug, pick, column, v.basemap, ctx.core20_on),
        lambda: upload_maps.upload_map(v.vintage, v.level, v.area, values, title, basemap=v.basemap,
                                     core20_on=ctx.core20_on, national=national, points=points,
                                     point_label=res.columns.label if points is not None else None))
    show_map(cached, key="plus_upload_map", height=560)
    export_frame = uploads.safe_export(res.points if res.kind == uploads.POINTS_KIND else res.frame)
    downloads.table(st, "Layer data", pick, export_frame, [f"Uploaded layer '{pick}'"], key="plus_layer_csv",
                    help=f"The layer as loaded (LSOA 2021 codes for tables). {downloads.CSV_HELP}")
