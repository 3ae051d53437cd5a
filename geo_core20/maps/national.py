"""The large-extent LSOA map: all of England (33,755 LSOAs) drawn in well under a second.

A plain folium GeoJSON layer of every English LSOA is a ~16.5 MB page that takes ~9.5 s to
draw as 33,755 SVG paths. This renderer splits the map into what never changes for a
vintage and what does:

* **Geometry + tooltip facts (per vintage, built once):** ``build_national_assets`` writes
  ``static/national/lsoa_<vintage>_<hash>.bin.gz`` (~1.5 MB): every LSOA's rings
  quantised to a ~3 m Web Mercator grid (``QUANT_BITS``) and stored as zigzag varint deltas,
  plus codes, names, IMD decile/rank/score, population and the Core20 flag. Streamlit serves
  it at ``/app/static/...`` as ``application/gzip``, which it neither recompresses nor
  inflates, so the browser unzips it itself (DecompressionStream). The content hash in the
  name lets the browser HTTP-cache it for good; it is fetched once per vintage.
* **Styling (per rerun, tiny):** ``add_national_layer`` puts one class character per LSOA
  (34 KB) and the palette in the map script. A change of shading or of the area sends only
  that; the decoded geometry stays in the page (``window.geoCore20National``).

The browser draws all rings on one canvas (one even-odd fill per class), with LSOA edges
and each Core20 LSOA outlined once zoomed in, and the outline of the Core20 areas when
zoomed out (edges shared by two Core20 LSOAs are flagged at build time so they can be
skipped). Tooltips and click-through use a grid index and a point-in-polygon test; clicks
reach streamlit-folium shaped like a GeoJSON feature click (``last_active_drawing``).
Colours, classes and labels come from ``maps.styles``, as in the ICB view.

Asset layout (little-endian): ``b"GC20"``, uint32 header length, UTF-8 JSON header, then
varints: rings per LSOA, vertices per ring, zigzag (dx, dy) pairs (running over all rings,
closing vertex dropped), then bitsets: Core20-outline edge flags (one bit per vertex, for
the edge to the next vertex) and part-start flags (one bit per ring). LSOAs are in
``lsoa_code`` order.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import tempfile
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

from geo_core20 import schema
from geo_core20.maps import styles
from geo_core20.maps.assets import STATIC_DIR, STATIC_URL
from geo_core20.safety import escape_html

FORMAT_VERSION = 1
MAGIC = b"GC20"
QUANT_BITS = 23
"""Web Mercator grid of 2**23 units round the world: ~2.9 m at 52N, far below the 200 m
generalisation of the BSC boundaries. Each halving of the grid costs ~10% of the asset."""
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
    edge_colour: str = styles.LSOA_EDGE
    edge_weight: float = 0.5
    edge_opacity: float = 1.0
    edge_zoom: float = 10  # LSOA edges from this zoom (below it an LSOA is a few pixels)
    core20_colour: str = styles.CORE20_LINE
    core20_halo: str = styles.CORE20_HALO
    # Core20 outline by zoom: (from zoom, line weight, halo width added; 0 = no halo).
    # From zoom 9.5 it is the ICB view's outline; zoomed out it thins so cities stay readable.
    core20_steps: tuple[tuple[float, float, float], ...] = ((0, 0.8, 0), (8, 1.3, 2), (9.5, 2.0, 3))
    highlight_colour: str = "#ff7f00"
    highlight_weight: float = 2.5
    pane: str = "gc20National"
    pane_z: int = 350  # below overlayPane (400): area boundaries and markers stay on top


LOOK = Look()


# --- geometry encoding ------------------------------------------------------------------------

def to_units(lon: np.ndarray, lat: np.ndarray, bits: int = QUANT_BITS) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude to integer Web Mercator units (2**bits across the world, y down)."""
    scale = float(2**bits)
    x = (np.asarray(lon, dtype=float) + 180.0) / 360.0
    s = np.clip(np.sin(np.radians(np.asarray(lat, dtype=float))), -0.9999, 0.9999)
    y = 0.5 - np.log((1 + s) / (1 - s)) / (4 * np.pi)
    return np.round(x * scale).astype(np.int64), np.round(y * scale).astype(np.int64)


def from_units(qx: np.ndarray, qy: np.ndarray, bits: int = QUANT_BITS) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of `to_units`: (lon, lat) in degrees."""
    scale = float(2**bits)
    lon = np.asarray(qx, dtype=float) / scale * 360.0 - 180.0
    lat = np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * np.asarray(qy, dtype=float) / scale))))
    return lon, lat


def varints(values: np.ndarray, signed: bool = False) -> bytes:
    """LEB128 varints of non-negative ints (zigzag first when signed), vectorised."""
    v = np.asarray(values, dtype=np.int64)
    z = ((v << 1) ^ (v >> 63)).astype(np.uint64) if signed else v.astype(np.uint64)
    if not len(z):
        return b""
    nbytes = np.ones(len(z), dtype=np.int64)
    rest = z >> np.uint64(7)
    while rest.any():
        nbytes += rest > 0
        rest >>= np.uint64(7)
    starts = np.concatenate(([0], np.cumsum(nbytes)[:-1]))
    out = np.zeros(int(nbytes.sum()), dtype=np.uint8)
    for k in range(int(nbytes.max())):
        m = nbytes > k
        chunk = ((z[m] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        out[starts[m] + k] = chunk | ((nbytes[m] > k + 1).astype(np.uint8) << 7)
    return out.tobytes()


def read_varints(buf: bytes | memoryview, pos: int, count: int,
                 signed: bool = False) -> tuple[np.ndarray, int]:
    """Decode `count` varints from `buf` at `pos`; returns (values, new position)."""
    if count == 0:
        return np.zeros(0, dtype=np.int64), pos
    b = np.frombuffer(buf, dtype=np.uint8, offset=pos)
    ends = np.flatnonzero(b < 0x80)[:count]
    if len(ends) < count:
        raise ValueError("truncated varint stream")
    b = b[: ends[-1] + 1].astype(np.uint64)
    starts = np.concatenate(([0], ends[:-1] + 1))
    shift = (np.arange(len(b)) - np.repeat(starts, ends - starts + 1)).astype(np.uint64) * np.uint64(7)
    vals = np.bitwise_or.reduceat((b & np.uint64(0x7F)) << shift, starts)
    out = vals.astype(np.int64)
    if signed:
        out = (vals >> np.uint64(1)).astype(np.int64) ^ -(vals & np.uint64(1)).astype(np.int64)
    return out, pos + int(ends[-1]) + 1


def _bits(flags: np.ndarray) -> bytes:
    return np.packbits(np.asarray(flags, dtype=bool), bitorder="little").tobytes()


@dataclass
class Rings:
    """Quantised rings of N areas: counts, flat coordinates and per-ring/vertex flags."""

    rings_per_area: np.ndarray  # (N,)
    vertices_per_ring: np.ndarray  # (R,)
    qx: np.ndarray  # (V,) int64
    qy: np.ndarray  # (V,)
    part_start: np.ndarray  # (R,) bool: ring opens a new polygon (else a hole of the last one)
    ring_area: np.ndarray  # (R,) index of the area


def quantise_rings(geometry: np.ndarray | gpd.GeoSeries, bits: int = QUANT_BITS) -> Rings:
    """Rings of (Multi)Polygons snapped to the grid; closing and repeated vertices dropped.

    Rings that collapse below 3 vertices are dropped unless the area would lose all of them.
    Shared borders stay shared: both neighbours snap the same vertices to the same units.
    """
    geoms = np.asarray(geometry.values if isinstance(geometry, gpd.GeoSeries) else geometry)
    parts, part_area = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_area = part_area[ring_part]
    part_start = np.r_[True, ring_part[1:] != ring_part[:-1]]
    coords, vring = shapely.get_coordinates(rings, return_index=True)
    qx, qy = to_units(coords[:, 0], coords[:, 1], bits)
    last = np.r_[vring[1:] != vring[:-1], True]
    same_prev = np.r_[False, (vring[1:] == vring[:-1]) & (qx[1:] == qx[:-1]) & (qy[1:] == qy[:-1])]
    keep = ~last & ~same_prev
    qx, qy, vring = qx[keep], qy[keep], vring[keep]
    # a last vertex that snapped onto the first one closes the ring already
    first_at = np.r_[0, np.flatnonzero(vring[1:] != vring[:-1]) + 1]
    first_of = np.repeat(first_at, np.diff(np.r_[first_at, len(vring)]))
    end = np.r_[vring[1:] != vring[:-1], True]
    dup_first = end & (np.arange(len(vring)) != first_of) & (qx == qx[first_of]) & (qy == qy[first_of])
    qx, qy, vring = qx[~dup_first], qy[~dup_first], vring[~dup_first]
    counts = np.bincount(vring, minlength=len(rings))
    n_areas = len(geoms)
    good = counts >= 3
    has_good = np.bincount(ring_area[good], minlength=n_areas) > 0
    keep_ring = good | ((counts > 0) & ~has_good[ring_area])
    if not keep_ring.all():
        vkeep = keep_ring[vring]
        qx, qy, vring = qx[vkeep], qy[vkeep], vring[vkeep]
        # a dropped ring that opened a polygon hands that role to the next kept ring of it
        opened = np.maximum.accumulate(np.where(part_start, np.arange(len(rings)), 0))
        kept_idx = np.flatnonzero(keep_ring)
        prev_opened = np.r_[-1, opened[kept_idx][:-1]]
        part_start = opened[kept_idx] != prev_opened
        counts, ring_area = counts[keep_ring], ring_area[keep_ring]
    return Rings(
        rings_per_area=np.bincount(ring_area, minlength=n_areas),
        vertices_per_ring=counts,
        qx=qx,
        qy=qy,
        part_start=np.asarray(part_start, dtype=bool),
        ring_area=ring_area,
    )


def outline_edges(rings: Rings, selected: np.ndarray) -> np.ndarray:
    """Per vertex: does the edge to the next vertex lie on the outline of the selected areas?

    True for edges of selected areas that no other selected area shares, i.e. the boundary
    of their union (so a block of adjacent Core20 LSOAs gets one outline, not a mesh).
    """
    n_rings = len(rings.vertices_per_ring)
    ring_of_vertex = np.repeat(np.arange(n_rings), rings.vertices_per_ring)
    start = np.r_[0, np.cumsum(rings.vertices_per_ring)[:-1]]
    nxt = np.arange(len(rings.qx)) + 1
    ends = start + rings.vertices_per_ring - 1
    nxt[ends] = start  # cyclic: the last vertex joins the first
    sel_vertex = np.asarray(selected, dtype=bool)[rings.ring_area][ring_of_vertex]
    flags = np.zeros(len(rings.qx), dtype=bool)
    idx = np.flatnonzero(sel_vertex)
    if not len(idx):
        return flags
    a = rings.qx[idx] * (1 << 24) + rings.qy[idx]
    b = rings.qx[nxt[idx]] * (1 << 24) + rings.qy[nxt[idx]]
    pairs = np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)
    _, inverse, counts = np.unique(pairs, axis=0, return_inverse=True, return_counts=True)
    flags[idx] = counts[inverse.ravel()] == 1
    return flags


# --- the asset -----------------------------------------------------------------------------------

def _ordered(atlas_gdf: pd.DataFrame) -> pd.DataFrame:
    return atlas_gdf.sort_values(schema.LSOA_CODE, kind="stable").reset_index(drop=True)


def _fields(atlas_sorted: pd.DataFrame) -> dict:
    """Tooltip facts per LSOA: JSON lists (Core20 as a '0'/'1' string)."""
    def ints(col: str) -> list:
        s = pd.to_numeric(atlas_sorted[col], errors="coerce")
        return [None if pd.isna(v) else int(v) for v in s]

    score = pd.to_numeric(atlas_sorted[schema.IMD_SCORE], errors="coerce").round(3)
    return {
        schema.LSOA_CODE: atlas_sorted[schema.LSOA_CODE].astype(str).tolist(),
        schema.LSOA_NAME: atlas_sorted[schema.LSOA_NAME].astype(str).tolist(),
        schema.IMD_DECILE: ints(schema.IMD_DECILE),
        schema.IMD_RANK: ints(schema.IMD_RANK),
        schema.IMD_SCORE: [None if pd.isna(v) else float(v) for v in score],
        schema.POPULATION: ints(schema.POPULATION),
        schema.CORE20: "".join("1" if bool(v) else "0" for v in atlas_sorted[schema.CORE20]),
    }


def encode_asset(atlas_gdf: gpd.GeoDataFrame, vintage: str, bits: int = QUANT_BITS) -> bytes:
    """The uncompressed national asset of an atlas (see the module docstring for the layout)."""
    data = _ordered(atlas_gdf)
    rings = quantise_rings(data.geometry, bits)
    core20 = data[schema.CORE20].to_numpy(dtype=bool)
    edge_flags = outline_edges(rings, core20)
    coords = np.empty(2 * len(rings.qx), dtype=np.int64)
    coords[0::2] = np.diff(rings.qx, prepend=0)
    coords[1::2] = np.diff(rings.qy, prepend=0)
    header = {
        "format": FORMAT_VERSION,
        "vintage": vintage,
        "lsoa_year": schema.LSOA_YEAR.get(vintage, ""),
        "n": len(data),
        "rings": len(rings.vertices_per_ring),
        "vertices": len(rings.qx),
        "q": bits,
        "bbox": [int(rings.qx.min()), int(rings.qy.min()), int(rings.qx.max()), int(rings.qy.max())]
        if len(rings.qx) else [0, 0, 0, 0],
        "fields": _fields(data),
    }
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return b"".join([
        MAGIC,
        len(head).to_bytes(4, "little"),
        head,
        varints(rings.rings_per_area),
        varints(rings.vertices_per_ring),
        varints(coords, signed=True),
        _bits(edge_flags),
        _bits(rings.part_start),
    ])


@dataclass
class DecodedAsset:
    """A national asset read back in Python (tests and diagnostics)."""

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
    """Parse an asset (gzip-compressed or not) back into header, rings and flags."""
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


def fingerprint(atlas_gdf: gpd.GeoDataFrame, vintage: str) -> str:
    """Hash of everything the asset holds, to tell whether a built asset is current."""
    data = _ordered(atlas_gdf)
    h = hashlib.sha256(f"{FORMAT_VERSION}:{QUANT_BITS}:{vintage}:{len(data)}".encode())
    for col in _ASSET_COLUMNS:
        h.update(pd.util.hash_pandas_object(data[col], index=False).to_numpy().tobytes())
    h.update(b"".join(shapely.to_wkb(np.asarray(data.geometry.values), output_dimension=2)))
    return h.hexdigest()


_FINGERPRINTS: dict[tuple[int, str], tuple[gpd.GeoDataFrame, str]] = {}


def _cached_fingerprint(atlas_gdf: gpd.GeoDataFrame, vintage: str) -> str:
    """`fingerprint`, memoised per atlas object (the atlas is cached and read-only)."""
    key = (id(atlas_gdf), vintage)
    hit = _FINGERPRINTS.get(key)
    if hit is not None and hit[0] is atlas_gdf:
        return hit[1]
    fp = fingerprint(atlas_gdf, vintage)
    if len(_FINGERPRINTS) >= 8:
        _FINGERPRINTS.clear()
    _FINGERPRINTS[key] = (atlas_gdf, fp)  # holding the frame keeps its id from being reused
    return fp


def _manifest_path(static_dir: Path, vintage: str) -> Path:
    return static_dir / ASSET_SUBDIR / f"lsoa_{vintage}.json"


@lru_cache(maxsize=16)
def _read_manifest_cached(path: str, mtime_ns: int) -> dict | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _read_manifest(static_dir: Path, vintage: str) -> dict | None:
    path = _manifest_path(static_dir, vintage)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    return _read_manifest_cached(str(path), mtime)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_asset(static_dir: Path | None, vintage: str, atlas_gdf: gpd.GeoDataFrame) -> Path | None:
    """The built asset of this atlas, or None when missing or built from other data."""
    static_dir = Path(static_dir or STATIC_DIR)
    manifest = _read_manifest(static_dir, vintage)
    if not manifest or manifest.get("fingerprint") != _cached_fingerprint(atlas_gdf, vintage):
        return None
    path = static_dir / ASSET_SUBDIR / manifest["file"]
    return path if path.is_file() else None


def build_national_assets(vintage: str, static_dir: Path | str | None = None,
                          atlas_gdf: gpd.GeoDataFrame | None = None, force: bool = False) -> Path:
    """Write the national map asset of a vintage into ``static_dir/national/``; returns its path.

    Called at data build (``python -m geo_core20 data build``). No-op when the asset of the
    same atlas exists. Older assets of the vintage are removed. ``atlas_gdf`` defaults to
    ``atlas.load_atlas(vintage)``.
    """
    static_dir = Path(static_dir or STATIC_DIR)
    if atlas_gdf is None:
        from geo_core20 import atlas

        atlas_gdf = atlas.load_atlas(vintage)
    if not force:
        existing = current_asset(static_dir, vintage, atlas_gdf)
        if existing is not None:
            return existing
    fp = _cached_fingerprint(atlas_gdf, vintage)
    packed = gzip.compress(encode_asset(atlas_gdf, vintage), compresslevel=9, mtime=0)
    name = f"lsoa_{vintage}_{hashlib.sha256(packed).hexdigest()[:12]}.bin.gz"
    out_dir = static_dir / ASSET_SUBDIR
    target = out_dir / name
    _write_atomic(target, packed)
    manifest = {"file": name, "fingerprint": fp, "vintage": vintage, "lsoas": len(atlas_gdf),
                "bytes": len(packed), "format": FORMAT_VERSION, "quant_bits": QUANT_BITS,
                "built": time.strftime("%Y-%m-%dT%H:%M:%S")}
    _write_atomic(_manifest_path(static_dir, vintage),
                  (json.dumps(manifest, indent=1) + "\n").encode("utf-8"))
    for old in out_dir.glob(f"lsoa_{vintage}_*.bin.gz"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return target


def build_step(force: bool = False, vintages: list[str] | tuple[str, ...] = schema.VINTAGES) -> str:
    """`python -m geo_core20 data build` step: the national map asset of each vintage."""
    done = []
    for vintage in vintages:
        path = build_national_assets(vintage, force=force)
        done.append(f"{vintage} {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
    return "national map assets: " + ", ".join(done)


# --- the folium layer ----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def renderer_js() -> str:
    """The browser side (templates/national_renderer.js), safe to inline in a <script>."""
    js = (Path(__file__).with_name("templates") / "national_renderer.js").read_text(encoding="utf-8")
    return js.replace("</", "<\\/")


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

    def render(self, **kwargs) -> None:
        # Start downloading the geometry with the page's other assets, not after them.
        url = self.options["src"].get("url")
        root = self.get_root()
        if url and hasattr(root, "header"):
            tag = f'<link rel="preload" href="{escape_html(url)}" as="fetch" crossorigin="anonymous">'
            key = hashlib.sha256(url.encode()).hexdigest()[:16]
            root.header.add_child(Element(tag), name=f"gc20_national_preload_{key}")
        super().render(**kwargs)


def class_string(atlas_gdf: pd.DataFrame, classes: styles.Classes, shade: str,
                 lsoa_codes: list[str] | None = None) -> str:
    """One character per LSOA (lsoa_code order): its class, no-data class, or hidden ('.')."""
    data = _ordered(atlas_gdf)
    idx = classes.index(data[shade].to_numpy())
    n_cls = len(classes.colours)
    idx = np.where(idx < 0, n_cls, idx)  # missing values: the trailing no-data class
    if lsoa_codes is not None:
        shown = data[schema.LSOA_CODE].isin(pd.Index(lsoa_codes)).to_numpy()
        idx = np.where(shown, idx, -1)
    alphabet = np.frombuffer((CLASS_CHARS + HIDDEN_CHAR).encode("ascii"), dtype="S1")
    return alphabet[np.where(idx < 0, len(CLASS_CHARS), idx)].tobytes().decode("ascii")


def _tooltip_fields(shade: str) -> list[list[str]]:
    """[key, label, format] rows, in the ICB view's order and wording."""
    from geo_core20.maps import choropleth  # local: choropleth is the explorer's module

    return [[key, label, TOOLTIP_FORMAT.get(key, "shade")]
            for key, label in choropleth.tooltip_aliases(shade).items()]


def _shade_values(classes: styles.Classes) -> list[str]:
    """What the tooltip says for the shaded value of each class (deciles: the decile)."""
    if styles.is_decile(classes.shade):
        return [str(k + 1) for k in range(len(classes.colours))] + [""]
    return [*classes.labels, ""]


_CLASSES: dict[tuple[int, str, str], tuple[gpd.GeoDataFrame, styles.Classes]] = {}


def _classes(atlas_gdf: gpd.GeoDataFrame, vintage: str, shade: str) -> styles.Classes:
    """``styles.classes_for``, memoised per atlas object: the IMD score's natural breaks take
    ~0.7 s to compute, which would break the 0.3 s budget of a rerun."""
    styles.check_shade(shade)
    key = (id(atlas_gdf), vintage, shade)
    hit = _CLASSES.get(key)
    if hit is not None and hit[0] is atlas_gdf:
        return hit[1]
    classes = styles.classes_for(shade, atlas_gdf, schema.IMD_LABEL.get(vintage, ""))
    if len(_CLASSES) >= 32:
        _CLASSES.clear()
    _CLASSES[key] = (atlas_gdf, classes)
    return classes


def layer_options(atlas_gdf: gpd.GeoDataFrame, vintage: str, shade: str, core20_outline: bool = True,
                  lsoa_codes: list[str] | None = None, *, src: dict, look: Look = LOOK) -> dict:
    """The JSON options of the browser layer (everything that may change between reruns)."""
    classes = _classes(atlas_gdf, vintage, shade)
    palette = [*classes.colours, styles.NO_DATA_COLOUR]
    labels = [*classes.labels, NO_DATA_LABEL]
    if len(palette) > len(CLASS_CHARS):
        raise ValueError(f"{shade}: {len(palette)} classes, at most {len(CLASS_CHARS)} supported")
    return {
        "src": src,
        "n": len(atlas_gdf),
        "vintage": vintage,
        "shade": shade,
        "classes": class_string(atlas_gdf, classes, shade, lsoa_codes),
        "palette": palette,
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


@lru_cache(maxsize=4)
def _inline_src(path: str, mtime_ns: int) -> dict:
    raw = Path(path).read_bytes()
    return {"data": base64.b64encode(raw).decode("ascii"), "hash": hashlib.sha256(raw).hexdigest()[:12]}


def asset_url(path: Path, static_dir: Path | None = None) -> str:
    """The URL Streamlit serves an asset under static_dir at (``/app/static/...``)."""
    rel = Path(path).resolve().relative_to(Path(static_dir or STATIC_DIR).resolve())
    return f"{STATIC_URL}/{rel.as_posix()}"


def add_national_layer(m: folium.Map | folium.FeatureGroup, atlas_gdf: gpd.GeoDataFrame, vintage: str,
                       shade: str, core20_outline: bool = True, lsoa_codes: list[str] | None = None, *,
                       name: str | None = None, static_dir: Path | str | None = None,
                       inline_geometry: bool = False, show: bool = True,
                       look: Look = LOOK) -> NationalLayer:
    """Draw the LSOAs of ``atlas_gdf`` (the full atlas of ``vintage``) on ``m``, shaded by ``shade``.

    ``lsoa_codes`` restricts the drawing to those LSOAs (an NHS region, an ICB...); the
    geometry sent is the same for every area, so switching area or shading reuses it.
    ``m`` may be a FeatureGroup (e.g. streamlit-folium's ``feature_group_to_add``, which
    updates the layer without rebuilding the map). ``inline_geometry`` embeds the asset in
    the page (base64, ~1.7 MB) for standalone HTML exports that must work from a file.
    Builds the asset first if it is missing or stale (~2 s; normally done at data build).
    Returns the folium layer.
    """
    static_dir = Path(static_dir or STATIC_DIR)
    path = current_asset(static_dir, vintage, atlas_gdf)
    if path is None:
        path = build_national_assets(vintage, static_dir, atlas_gdf)
    if inline_geometry:
        src = _inline_src(str(path), path.stat().st_mtime_ns)
    else:
        src = {"url": asset_url(path, static_dir)}
    options = layer_options(atlas_gdf, vintage, shade, core20_outline, lsoa_codes, src=src, look=look)
    label = escape_html(name or f"LSOAs: {styles.SHADINGS.get(shade, shade)}")
    layer = NationalLayer(options, name=label, show=show)
    layer.add_to(m)
    return layer
