"""The large-extent LSOA map: all of England (33,755 LSOAs) drawn in well under a second.

A plain folium GeoJSON layer of every English LSOA is a ~16.5 MB page that takes ~9.5 s to
draw as 33,755 SVG paths. This renderer splits the map into what never changes for a
vintage and what does:

* **Geometry + tooltip facts (per vintage, built once):** ``build_national_assets`` writes
  ``static/national/lsoa_<vintage>_<NHS region>_<hash>.bin.gz`` (seven files, ~1.5 MB in
  all): every LSOA's rings quantised to a ~3 m Web Mercator grid (``QUANT_BITS``) and stored
  as zigzag varint deltas, plus codes, names, IMD decile/rank/score, population and the
  Core20 flag. Streamlit serves them at ``/app/static/...`` as ``application/gzip``, which it
  neither recompresses nor inflates, so the browser unzips them itself
  (DecompressionStream). The content hash in the names lets the browser HTTP-cache them;
  a region or ICB view fetches only its NHS region's file. Each file has an uncompressed
  twin (``.bin``) for browsers without DecompressionStream.
* **Styling (per rerun, tiny):** ``add_national_layer`` puts one class character per LSOA
  (34 KB) and the palette in the map script. A change of shading or of the area sends only
  that; the decoded geometry stays in the page (on the Streamlit page when same-origin, so
  it survives streamlit-folium remounting its iframe).

The browser draws the fills on one canvas (even-odd, one colour at a time, in short paths:
Skia slows down sharply on long ones; the canvas's CSS opacity gives the fill opacity, so
neighbours leave no light seams) and the lines on a second one: LSOA edges once zoomed in,
and the outline of the Core20 areas (edges shared by two Core20 LSOAs are flagged at build
time and skipped), as the ICB view draws it. Tooltips and click-through use a grid index
and a point-in-polygon test; clicks reach streamlit-folium shaped like a GeoJSON feature
click (``last_active_drawing``, ``last_object_clicked_tooltip``). Colours, classes and
labels come from ``maps.styles``, as in the ICB view.

Asset file layout (little-endian): ``b"GC20"``, uint32 header length, UTF-8 JSON header
(chunk key, first LSOA index, counts, tooltip facts), then varints: rings per LSOA,
vertices per ring, zigzag (dx, dy) pairs (running over all rings, closing vertex dropped),
then bitsets: Core20-outline edge flags (one bit per vertex, for the edge to the next
vertex) and part-start flags (one bit per ring). LSOAs are ordered by NHS region, then
``lsoa_code`` (``asset_order``); the class string follows the same order.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from jinja2 import Template

from geo_core20 import atlas, atomic, schema
from geo_core20.maps import choropleth, classify, palette, styles
from geo_core20.maps.assets import STATIC_DIR, STATIC_URL
from geo_core20.maps.codec import (
    QUANT_BITS,
    Rings,
    from_units,
    outline_edges,
    quantise_rings,
    read_varints,
    varints,
)
from geo_core20.maps.codec import bits as _bits
from geo_core20.safety import escape_html

FORMAT_VERSION = 2  # bump when the file layout changes: a stale manifest then fails the fingerprint
MAGIC = b"GC20"
ASSET_SUBDIR = "national"
CLASS_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
HIDDEN_CHAR = "."
NO_DATA_LABEL = "No data"

# How the browser formats each tooltip field (labels come from choropleth.tooltip_aliases,
# so the tooltip reads the same as the ICB view's); any other key is the current shading.
TOOLTIP_FORMAT: dict[str, str] = {
    schema.LSOA_CODE: "text",
    schema.LSOA_NAME: "text",
    schema.IMD_DECILE: "int",
    schema.IMD_RANK: "rank",
    schema.IMD_SCORE: "score",
    schema.POPULATION: "int",
    schema.CORE20: "core20",
}
_ASSET_COLUMNS = (schema.LSOA_CODE, schema.LSOA_NAME, schema.IMD_DECILE, schema.IMD_RANK,
                  schema.IMD_SCORE, schema.POPULATION, schema.CORE20)


@dataclass(frozen=True)
class Look:
    """Line and fill settings of the canvas drawing, matching ``choropleth.build_lsoa_map``."""

    fill_opacity: float = 0.78
    edge_colour: str = palette.LSOA_EDGE
    edge_weight: float = 0.5
    edge_opacity: float = 1.0
    edge_zoom: float = 10  # LSOA edges from this zoom (below it an LSOA is a few pixels)
    core20_colour: str = palette.CORE20_LINE
    core20_halo: str = palette.CORE20_HALO
    # Core20 outline by zoom: (from zoom, line weight, halo width added; 0 = no halo). Thin
    # at every zoom (at most 1.5 px on a 1 px halo) so small urban LSOAs keep their fill.
    core20_steps: tuple[tuple[float, float, float], ...] = ((0, 0.6, 0), (8, 1.0, 1.0), (11, 1.5, 1.0))
    highlight_colour: str = palette.HIGHLIGHT_LINE
    highlight_weight: float = 2.5
    pane: str = "gc20National"
    pane_z: int = 350  # below overlayPane (400): area boundaries and markers stay on top


LOOK = Look()


# --- the asset -----------------------------------------------------------------------------------

CHUNK_COLUMN = "nhs_region_code"
"""The asset is split into one file per NHS region: a region or ICB view fetches and decodes
only its own (~0.2 MB), England all seven in parallel."""
ALL_CHUNK = "E92000001"  # the one chunk of an atlas without the column (England's code)

class _Frame:
    """An atlas frame hashed by its identity, so ``lru_cache`` can key on it: the atlas is
    loaded once per process and read-only. The cache entry holds the frame, so its ``id`` is
    never reused by another frame while the entry lives."""

    __slots__ = ("frame",)

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame

    def __hash__(self) -> int:
        return id(self.frame)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Frame) and other.frame is self.frame


def _chunk_keys(atlas_gdf: pd.DataFrame) -> np.ndarray:
    if CHUNK_COLUMN in atlas_gdf.columns:
        return atlas_gdf[CHUNK_COLUMN].astype(str).to_numpy()
    return np.full(len(atlas_gdf), ALL_CHUNK, dtype=object)


def asset_order(atlas_gdf: pd.DataFrame) -> np.ndarray:
    """Row positions in asset order: by chunk (NHS region), then LSOA code (memoised per atlas)."""
    return _asset_order_cached(_Frame(atlas_gdf))


@lru_cache(maxsize=32)
def _asset_order_cached(key: _Frame) -> np.ndarray:
    codes = key.frame[schema.LSOA_CODE].astype(str).to_numpy()
    return np.lexsort((codes, _chunk_keys(key.frame).astype(str)))


def _ordered(atlas_gdf: pd.DataFrame) -> pd.DataFrame:
    return atlas_gdf.iloc[asset_order(atlas_gdf)].reset_index(drop=True)


def _chunks(keys_ordered: np.ndarray) -> list[tuple[str, int, int]]:
    """(key, start, stop) of each run of equal keys."""
    bounds = np.r_[0, np.flatnonzero(keys_ordered[1:] != keys_ordered[:-1]) + 1, len(keys_ordered)]
    return [(str(keys_ordered[a]), int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _fields(rows: pd.DataFrame) -> dict:
    """Tooltip facts per LSOA: JSON lists (Core20 as a '0'/'1' string)."""
    def ints(col: str) -> list:
        s = pd.to_numeric(rows[col], errors="coerce")
        return [None if pd.isna(v) else int(v) for v in s]

    score = pd.to_numeric(rows[schema.IMD_SCORE], errors="coerce").round(3)
    return {
        schema.LSOA_CODE: rows[schema.LSOA_CODE].astype(str).tolist(),
        schema.LSOA_NAME: rows[schema.LSOA_NAME].astype(str).tolist(),
        schema.IMD_DECILE: ints(schema.IMD_DECILE),
        schema.IMD_RANK: ints(schema.IMD_RANK),
        schema.IMD_SCORE: [None if pd.isna(v) else float(v) for v in score],
        schema.POPULATION: ints(schema.POPULATION),
        schema.CORE20: "".join("1" if bool(v) else "0" for v in rows[schema.CORE20]),
    }


def _slice_rings(rings: Rings, start: int, stop: int) -> tuple[Rings, slice]:
    """The rings of areas [start, stop), and the slice of their vertices."""
    ring_at = np.r_[0, np.cumsum(rings.rings_per_area)]
    vert_at = np.r_[0, np.cumsum(rings.vertices_per_ring)]
    r0, r1 = int(ring_at[start]), int(ring_at[stop])
    v = slice(int(vert_at[r0]), int(vert_at[r1]))
    return Rings(rings.rings_per_area[start:stop], rings.vertices_per_ring[r0:r1], rings.qx[v], rings.qy[v],
                 rings.part_start[r0:r1], rings.ring_area[r0:r1] - start), v


def encode_chunks(atlas_gdf: gpd.GeoDataFrame, vintage: str,
                  bits: int = QUANT_BITS) -> list[tuple[str, bytes]]:
    """The uncompressed asset files of an atlas, one per chunk: [(key, bytes)].

    The Core20 outline flags are worked out over the whole atlas, so Core20 areas that
    straddle two NHS regions get no seam.
    """
    data = _ordered(atlas_gdf)
    rings = quantise_rings(data.geometry, bits)
    flags = outline_edges(rings, data[schema.CORE20].to_numpy(dtype=bool))
    out = []
    for key, start, stop in _chunks(_chunk_keys(data)):
        part, vslice = _slice_rings(rings, start, stop)
        coords = np.empty(2 * len(part.qx), dtype=np.int64)
        coords[0::2] = np.diff(part.qx, prepend=0)
        coords[1::2] = np.diff(part.qy, prepend=0)
        header = {
            "format": FORMAT_VERSION, "vintage": vintage, "lsoa_year": schema.LSOA_YEAR.get(vintage, ""),
            "chunk": key, "start": start, "n": stop - start, "total": len(data),
            "rings": len(part.vertices_per_ring), "vertices": len(part.qx), "q": bits,
            "fields": _fields(data.iloc[start:stop]),
        }
        head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        out.append((key, b"".join([
            MAGIC, len(head).to_bytes(4, "little"), head,
            varints(part.rings_per_area), varints(part.vertices_per_ring), varints(coords, signed=True),
            _bits(flags[vslice]), _bits(part.part_start),
        ])))
    return out


@dataclass
class DecodedAsset:
    """Asset chunk(s) read back in Python (tests and diagnostics)."""

    header: dict
    rings: Rings
    edge_flags: np.ndarray

    @property
    def codes(self) -> list[str]:
        return self.header["fields"][schema.LSOA_CODE]

    def polygons(self) -> np.ndarray:
        """Shapely geometries (lon/lat) rebuilt from the quantised rings, one per LSOA."""
        r = self.rings
        lon, lat = from_units(r.qx, r.qy, self.header["q"])
        xy = np.column_stack([lon, lat])
        bounds = np.r_[0, np.cumsum(r.vertices_per_ring)]
        ring_geoms = [xy[bounds[i]:bounds[i + 1]] for i in range(len(r.vertices_per_ring))]
        out = []
        ring_at = np.r_[0, np.cumsum(r.rings_per_area)]
        for a in range(len(r.rings_per_area)):
            polys: list[list[np.ndarray]] = []
            for k in range(ring_at[a], ring_at[a + 1]):
                if r.part_start[k] or not polys:
                    polys.append([ring_geoms[k]])
                else:
                    polys[-1].append(ring_geoms[k])
            made = [shapely.Polygon(p[0], p[1:]) for p in polys]
            out.append(made[0] if len(made) == 1 else shapely.MultiPolygon(made))
        return np.asarray(out, dtype=object)


def decode_asset(raw: bytes) -> DecodedAsset:
    """Parse one asset chunk (gzip-compressed or not) into header, rings and flags."""
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[:4] != MAGIC:
        raise ValueError("not a geo_core20 national asset")
    hlen = int.from_bytes(raw[4:8], "little")
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    pos = 8 + hlen
    n, n_rings, n_vert = header["n"], header["rings"], header["vertices"]
    per_area, pos = read_varints(raw, pos, n)
    per_ring, pos = read_varints(raw, pos, n_rings)
    deltas, pos = read_varints(raw, pos, 2 * n_vert, signed=True)
    flags = np.unpackbits(np.frombuffer(raw, np.uint8, (n_vert + 7) // 8, pos), bitorder="little")[:n_vert]
    pos += (n_vert + 7) // 8
    starts = np.unpackbits(np.frombuffer(raw, np.uint8, (n_rings + 7) // 8, pos), bitorder="little")[:n_rings]
    rings = Rings(per_area, per_ring, np.cumsum(deltas[0::2]), np.cumsum(deltas[1::2]), starts.astype(bool),
                  np.repeat(np.arange(n), per_area))
    return DecodedAsset(header, rings, flags.astype(bool))


def combine(parts: list[DecodedAsset]) -> DecodedAsset:
    """Chunks (in order) as one asset covering all their LSOAs."""
    parts = sorted(parts, key=lambda p: p.header["start"])
    fields: dict = {}
    for key, value in parts[0].header["fields"].items():
        fields[key] = "".join(p.header["fields"][key] for p in parts) if isinstance(value, str) else [
            v for p in parts for v in p.header["fields"][key]]
    def total(key: str) -> int:
        return sum(p.header[key] for p in parts)

    header = {**parts[0].header, "fields": fields, "start": 0, "n": total("n"), "rings": total("rings"),
              "vertices": total("vertices"), "chunk": [p.header["chunk"] for p in parts]}
    offsets = np.cumsum([0] + [p.header["n"] for p in parts[:-1]])
    rings = Rings(np.concatenate([p.rings.rings_per_area for p in parts]),
                  np.concatenate([p.rings.vertices_per_ring for p in parts]),
                  np.concatenate([p.rings.qx for p in parts]), np.concatenate([p.rings.qy for p in parts]),
                  np.concatenate([p.rings.part_start for p in parts]),
                  np.concatenate([p.rings.ring_area + o for p, o in zip(parts, offsets, strict=True)]))
    return DecodedAsset(header, rings, np.concatenate([p.edge_flags for p in parts]))


def read_assets(manifest: dict, static_dir: Path | str | None = None) -> DecodedAsset:
    """Every chunk of a built asset, decoded and combined (tests and diagnostics)."""
    folder = Path(static_dir or STATIC_DIR) / ASSET_SUBDIR
    return combine([decode_asset((folder / c["file"]).read_bytes()) for c in manifest["chunks"]])


def fingerprint(atlas_gdf: gpd.GeoDataFrame, vintage: str) -> str:
    """Hash of everything the asset holds, to tell whether a built asset is current."""
    data = _ordered(atlas_gdf)
    h = hashlib.sha256(f"{FORMAT_VERSION}:{QUANT_BITS}:{vintage}:{len(data)}".encode())
    h.update("\n".join(_chunk_keys(data)).encode())
    for col in _ASSET_COLUMNS:
        h.update(pd.util.hash_pandas_object(data[col], index=False).to_numpy().tobytes())
    h.update(b"".join(shapely.to_wkb(np.asarray(data.geometry.values), output_dimension=2)))
    return h.hexdigest()


def _cached_fingerprint(atlas_gdf: gpd.GeoDataFrame, vintage: str) -> str:
    return _fingerprint_cached(_Frame(atlas_gdf), vintage)


@lru_cache(maxsize=32)
def _fingerprint_cached(key: _Frame, vintage: str) -> str:
    return fingerprint(key.frame, vintage)


def clear_caches() -> None:
    """Forget the per-atlas memos (asset order, fingerprint): benchmarks of a cold start."""
    _asset_order_cached.cache_clear()
    _fingerprint_cached.cache_clear()


def manifest_path(static_dir: Path | str | None, vintage: str) -> Path:
    """Where the manifest of a vintage's asset lives (lists its chunk files)."""
    return Path(static_dir or STATIC_DIR) / ASSET_SUBDIR / f"lsoa_{vintage}.json"


@lru_cache(maxsize=16)
def _read_manifest_cached(path: str, mtime_ns: int) -> dict | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _read_manifest(static_dir: Path, vintage: str) -> dict | None:
    path = manifest_path(static_dir, vintage)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    return _read_manifest_cached(str(path), mtime)


def current_asset(static_dir: Path | str | None, vintage: str, atlas_gdf: gpd.GeoDataFrame) -> dict | None:
    """The manifest of the built asset of this atlas; None when missing or built from other data."""
    static_dir = Path(static_dir or STATIC_DIR)
    manifest = _read_manifest(static_dir, vintage)
    if (not manifest or manifest.get("format") != FORMAT_VERSION or not manifest.get("chunks")
            or manifest.get("fingerprint") != _cached_fingerprint(atlas_gdf, vintage)):
        return None
    folder = static_dir / ASSET_SUBDIR
    if not all(_chunk_intact(folder / c["file"], c.get("bytes")) for c in manifest.get("chunks", [])):
        return None  # a missing, truncated or corrupt chunk: the caller rebuilds the asset
    return manifest


def _chunk_intact(path: Path, size: int | None) -> bool:
    """Whether a chunk file and its uncompressed twin hold what the build wrote (checked once per mtime)."""
    try:
        stats = (path.stat(), path.with_name(path.name.removesuffix(".gz")).stat())
    except OSError:
        return False
    return _chunk_intact_cached(str(path), size, *(x for st in stats for x in (st.st_mtime_ns, st.st_size)))


@lru_cache(maxsize=64)
def _chunk_intact_cached(path: str, size: int | None, *stamp: int) -> bool:
    # the file name carries the first 12 hex digits of the sha256 of the gzip bytes
    packed = Path(path).read_bytes()
    if (size is not None and len(packed) != size) or not path.endswith(
            f"_{hashlib.sha256(packed).hexdigest()[:12]}.bin.gz"):
        return False
    try:
        return gzip.decompress(packed) == Path(path.removesuffix(".gz")).read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile):
        return False


def build_national_assets(vintage: str, static_dir: Path | str | None = None,
                          atlas_gdf: gpd.GeoDataFrame | None = None, force: bool = False) -> Path:
    """Write the national map asset of a vintage into ``static_dir/national/``; returns its manifest.

    One gzip file per NHS region, ``lsoa_<vintage>_<region>_<content hash>.bin.gz``, listed
    in ``lsoa_<vintage>.json``. Called at data build (``python -m geo_core20 data build``);
    a no-op when the asset of the same atlas exists. Files of older builds are removed.
    ``atlas_gdf`` defaults to ``atlas.load_atlas(vintage)``.
    """
    static_dir = Path(static_dir or STATIC_DIR)
    if atlas_gdf is None:
        atlas_gdf = atlas.load_atlas(vintage)
    if not force and current_asset(static_dir, vintage, atlas_gdf) is not None:
        return manifest_path(static_dir, vintage)
    fp = _cached_fingerprint(atlas_gdf, vintage)
    out_dir = static_dir / ASSET_SUBDIR
    chunks = []
    keys_ordered = _chunk_keys(atlas_gdf)[asset_order(atlas_gdf)]
    for (key, raw), (_, start, stop) in zip(encode_chunks(atlas_gdf, vintage), _chunks(keys_ordered),
                                            strict=True):
        packed = gzip.compress(raw, compresslevel=9, mtime=0)
        name = f"lsoa_{vintage}_{key}_{hashlib.sha256(packed).hexdigest()[:12]}.bin.gz"
        atomic.write_bytes(out_dir / name, packed)
        # Uncompressed twin for browsers without DecompressionStream (Safari < 16.4): served
        # as octet-stream, which Streamlit gzips on the fly, so it costs server CPU, not bytes.
        atomic.write_bytes(out_dir / name.removesuffix(".gz"), raw)
        chunks.append({"key": key, "file": name, "start": start, "n": stop - start, "bytes": len(packed)})
    manifest = {"vintage": vintage, "fingerprint": fp, "lsoas": len(atlas_gdf), "format": FORMAT_VERSION,
                "quant_bits": QUANT_BITS, "bytes": sum(c["bytes"] for c in chunks), "chunks": chunks,
                "built": time.strftime("%Y-%m-%dT%H:%M:%S")}
    target = manifest_path(static_dir, vintage)
    atomic.write_bytes(target, (json.dumps(manifest, indent=1) + "\n").encode("utf-8"))
    keep = {c["file"] for c in chunks} | {c["file"].removesuffix(".gz") for c in chunks}
    for old in (*out_dir.glob(f"lsoa_{vintage}_*.bin.gz"), *out_dir.glob(f"lsoa_{vintage}_*.bin")):
        if old.name not in keep:
            old.unlink(missing_ok=True)
    return target


def build_step(force: bool = False, vintages: list[str] | tuple[str, ...] = schema.VINTAGES) -> str:
    """`python -m geo_core20 data build` step: the national map asset of each vintage."""
    done = []
    for vintage in vintages:
        path = build_national_assets(vintage, force=force)
        manifest = json.loads(path.read_text(encoding="utf-8"))
        done.append(f"{vintage}: {len(manifest['chunks'])} files, {manifest['bytes'] / 1e6:.1f} MB")
    return f"national map assets in {path.parent}: " + "; ".join(done)


# --- the folium layer ----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def renderer_js() -> str:
    """The browser side (templates/national_renderer.js), safe to inline in a <script>."""
    js = (Path(__file__).with_name("templates") / "national_renderer.js").read_text(encoding="utf-8")
    return js.replace("</", "<\\/")


DECODER_BEGIN, DECODER_END = "/* gc20:decoder */", "/* gc20:decoder-end */"

_PAGE_PREFETCH = """(function (urls) {
'use strict';
%s
// started by the Streamlit page beside the map (maps.national.page_prefetch): the map's iframe
// takes these jobs (window.top.__gc20Jobs) instead of fetching and decoding the files itself
var jobs = window.__gc20Jobs = window.__gc20Jobs || {}, kept = window.__gc20NationalGeo || {};
var d = window.__gc20Decoder;
if (d === undefined || (d && d.failed())) { d = window.__gc20Decoder = startDecoder(); }
urls.forEach(function (u) {
  var abs = new URL(u, window.location.href).href;
  if (jobs[abs] || kept[new URL(abs).pathname]) { return; }
  if (d) {
    jobs[abs] = d.run({url: abs, name: u});
    jobs[abs].catch(function () { delete jobs[abs]; });  // the map then decodes it itself
  } else {  // no worker here: at least have the bytes in the browser's cache when the map asks
    var link = document.createElement('link');
    link.rel = 'preload'; link.as = 'fetch'; link.crossOrigin = 'anonymous'; link.href = u;
    document.head.appendChild(link);
  }
});
})(%s);"""


@lru_cache(maxsize=1)
def decoder_js() -> str:
    """The renderer's decoding part (gunzip, decode, the worker), as the Streamlit page runs it."""
    js = (Path(__file__).with_name("templates") / "national_renderer.js").read_text(encoding="utf-8")
    begin, end = js.index(DECODER_BEGIN), js.index(DECODER_END)
    return js[begin + len(DECODER_BEGIN):end]


def page_prefetch(urls: list[str] | tuple[str, ...]) -> str:
    """A ``<script>`` for the Streamlit page beside a map: starts fetching and decoding the national
    geometry files ``urls`` (``/app/static/...``) in a Web Worker at once, while the map's iframe is
    still loading (its component code, Leaflet, the map script: ~0.3 s on a first visit); the map's
    renderer then takes the decoded arrays instead of starting only when its own script runs. URLs
    are made relative (an app served under a base path fetches its own); "" when there are none."""
    rel = [u.lstrip("/") for u in urls]
    if not rel:
        return ""
    body = _PAGE_PREFETCH % (decoder_js(), json.dumps(rel))
    return "<script>" + body.replace("</", "<\\/") + "</script>"


class NationalLayer(folium.map.Layer):
    """A folium layer that draws LSOAs from the national asset on a canvas."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .gc20-national-tooltip{font:12px system-ui,Arial,sans-serif}
        .gc20-national-tooltip table{margin:auto}
        .gc20-national-tooltip tr{text-align:left}
        .gc20-national-tooltip th{padding:2px;padding-right:8px}
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        {{ this.library }}
        var {{ this.get_name() }} = window.geoCore20National.create({{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(self, options: dict, name: str, show: bool = True, control: bool = True):
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "NationalLayer"
        self.options = options
        self.library = renderer_js()
        self.options_js = json.dumps(options, separators=(",", ":")).replace("</", "<\\/")

    @property
    def fetched_urls(self) -> list[str]:
        """The asset files this layer fetches (the NHS regions it draws; none when inline)."""
        return [c["url"] for c in self.options["src"]["chunks"] if c.get("url") and c.get("needed")]

    def render(self, **kwargs) -> None:
        # Start downloading the geometry with the page's other assets, not after them. An
        # inline script, not <link rel=preload>: streamlit-folium inserts the header after
        # the map's scripts have loaded (no gain) and as innerHTML, which runs no script,
        # so there this does nothing (in Streamlit, ui.map_display preloads the files from
        # the page itself, beside the map).
        urls = self.fetched_urls
        root = self.get_root()
        if urls and hasattr(root, "header"):
            js = json.dumps(urls).replace("</", "<\\/")
            tag = ("<script>(function(u){if(typeof DecompressionStream==='undefined'){return;}"
                   "var p=window.__gc20Prefetch=window.__gc20Prefetch||{};"
                   "u.forEach(function(x){if(!p[x]){p[x]=fetch(x,{credentials:'same-origin'}).then("
                   "function(r){if(!r.ok){throw new Error('HTTP '+r.status+' for '+x);}"
                   "return r.arrayBuffer();});p[x].catch(function(){});}});"
                   f"}})({js});</script>")
            key = hashlib.sha256(js.encode()).hexdigest()[:16]
            root.header.add_child(Element(tag), name=f"gc20_national_prefetch_{key}")
        super().render(**kwargs)


def _visible(atlas_gdf: pd.DataFrame, lsoa_codes: list[str] | None) -> np.ndarray | None:
    """Which LSOAs (asset order) are drawn; None for all."""
    if lsoa_codes is None:
        return None
    codes = atlas_gdf[schema.LSOA_CODE].to_numpy()[asset_order(atlas_gdf)]
    return pd.Index(lsoa_codes).get_indexer(codes) >= 0


def class_string(atlas_gdf: pd.DataFrame, classes: classify.Classes, shade: str,
                 lsoa_codes: list[str] | None = None) -> str:
    """One character per LSOA (asset order): its class, the no-data class, or hidden ('.')."""
    values = atlas_gdf[shade].to_numpy()[asset_order(atlas_gdf)]
    idx = classes.find_bin(values)
    idx = np.where(idx < 0, len(classes.colours), idx)  # missing values: the trailing no-data class
    shown = _visible(atlas_gdf, lsoa_codes)
    if shown is not None:
        idx = np.where(shown, idx, -1)
    alphabet = np.frombuffer((CLASS_CHARS + HIDDEN_CHAR).encode("ascii"), dtype="S1")
    return alphabet[np.where(idx < 0, len(CLASS_CHARS), idx)].tobytes().decode("ascii")


def _tooltip_fields(shade: str) -> list[list[str]]:
    """[key, label, format] rows, in the ICB view's order and wording."""
    return [[key, label, TOOLTIP_FORMAT.get(key, "shade")]
            for key, label in choropleth.tooltip_aliases(shade).items()]


def _shade_values(classes: classify.Classes) -> list[str]:
    """What the tooltip says for the shaded value of each class (deciles: the decile)."""
    if styles.is_decile(classes.shade):
        return [str(k + 1) for k in range(len(classes.colours))] + [""]
    return [*classes.labels, ""]


def layer_options(atlas_gdf: gpd.GeoDataFrame, vintage: str, shade: str, core20_outline: bool = True,
                  lsoa_codes: list[str] | None = None, *, src: dict, look: Look = LOOK) -> dict:
    """The JSON options of the browser layer (everything that may change between reruns)."""
    # cheap on every rerun: styles caches the IMD score's national breaks itself
    classes = styles.classes_for(shade, atlas_gdf, schema.IMD_LABEL.get(vintage, ""))
    fills = [*classes.colours, palette.NO_DATA_COLOUR]
    labels = [*classes.labels, NO_DATA_LABEL]
    if len(fills) > len(CLASS_CHARS):
        raise ValueError(f"{shade}: {len(fills)} classes, at most {len(CLASS_CHARS)} supported")
    return {
        "src": src,
        "n": len(atlas_gdf),
        "vintage": vintage,
        "shade": shade,
        "classes": class_string(atlas_gdf, classes, shade, lsoa_codes),
        "palette": fills,
        "labels": labels,
        "tooltipFields": _tooltip_fields(shade),
        "shadeValues": _shade_values(classes),
        "nNational": len(atlas_gdf),
        "core20Outline": bool(core20_outline),
        "fillOpacity": look.fill_opacity,
        "edgeColour": look.edge_colour,
        "edgeWeight": look.edge_weight,
        "edgeOpacity": look.edge_opacity,
        "edgeZoom": look.edge_zoom,
        "core20Colour": look.core20_colour,
        "core20Halo": look.core20_halo,
        "core20Steps": [list(step) for step in look.core20_steps],
        "highlightColour": look.highlight_colour,
        "highlightWeight": look.highlight_weight,
        "pane": look.pane,
        "paneZ": look.pane_z,
        "ariaLabel": f"Map of LSOAs shaded by {styles.SHADINGS.get(shade, shade)}",
    }


@lru_cache(maxsize=32)
def _inline_chunk(path: str, mtime_ns: int) -> dict:
    raw = Path(path).read_bytes()
    return {"data": base64.b64encode(raw).decode("ascii"), "hash": hashlib.sha256(raw).hexdigest()[:12]}


def asset_url(path: Path, static_dir: Path | str | None = None) -> str:
    """The URL Streamlit serves a file under static_dir at (``/app/static/...``)."""
    rel = Path(path).resolve().relative_to(Path(static_dir or STATIC_DIR).resolve())
    return f"{STATIC_URL}/{rel.as_posix()}"


def asset_source(manifest: dict, static_dir: Path | str | None, visible: np.ndarray | None,
                 inline: bool = False) -> dict:
    """The layer's ``src`` option: every chunk (URL or, inline, its bytes when drawn)."""
    folder = Path(static_dir or STATIC_DIR) / ASSET_SUBDIR
    chunks = []
    for c in manifest["chunks"]:
        needed = visible is None or bool(visible[c["start"]:c["start"] + c["n"]].any())
        entry = {"key": c["key"], "start": c["start"], "n": c["n"], "needed": needed}
        path = folder / c["file"]
        if inline:
            if needed:
                entry.update(_inline_chunk(str(path), path.stat().st_mtime_ns))
        else:
            entry["url"] = asset_url(path, static_dir)
        chunks.append(entry)
    return {"chunks": chunks, "total": manifest["lsoas"]}


def add_national_layer(m: folium.Map | folium.FeatureGroup, atlas_gdf: gpd.GeoDataFrame, vintage: str,
                       shade: str, core20_outline: bool = True, lsoa_codes: list[str] | None = None, *,
                       name: str | None = None, static_dir: Path | str | None = None,
                       inline_geometry: bool = False, show: bool = True,
                       look: Look = LOOK) -> NationalLayer:
    """Draw the LSOAs of ``atlas_gdf`` (the full atlas of ``vintage``) on ``m``, shaded by ``shade``.

    ``lsoa_codes`` restricts the drawing to those LSOAs (an NHS region, an ICB...): the page
    then fetches only the asset files of the NHS regions they are in. The geometry is the same
    whatever the shading, so a change of shading (or area) reuses what the browser holds.
    ``m`` may be a FeatureGroup (e.g. streamlit-folium's ``feature_group_to_add``, which
    updates the layer without rebuilding the map). ``inline_geometry`` embeds the files it
    needs in the page (base64; ~2 MB for England) for standalone HTML exports.
    Builds the asset first if it is missing or stale (~1 s; normally done at data build).
    Returns the folium layer.
    """
    static_dir = Path(static_dir or STATIC_DIR)
    manifest = current_asset(static_dir, vintage, atlas_gdf)
    if manifest is None:
        build_national_assets(vintage, static_dir, atlas_gdf)
        manifest = current_asset(static_dir, vintage, atlas_gdf)
        if manifest is None:
            raise RuntimeError(f"national map asset for {vintage} could not be built in {static_dir}")
    src = asset_source(manifest, static_dir, _visible(atlas_gdf, lsoa_codes), inline_geometry)
    options = layer_options(atlas_gdf, vintage, shade, core20_outline, lsoa_codes, src=src, look=look)
    label = escape_html(name or f"LSOAs: {styles.SHADINGS.get(shade, shade)}")
    layer = NationalLayer(options, name=label, show=show)
    layer.add_to(m)
    return layer
