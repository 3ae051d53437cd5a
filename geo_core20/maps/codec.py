"""The geometry coding of the national map asset (``maps.national``): rings snapped to a Web
Mercator grid, zigzag LEB128 varints, and the flags of the Core20 outline's edges.

Pure numpy/shapely; the browser side decodes the same layout (templates/national_renderer.js).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

QUANT_BITS = 23
"""Web Mercator grid of 2**23 units round the world: ~2.9 m at 52N, far below the 200 m
generalisation of the BSC boundaries. Each halving of the grid costs ~10% of the asset."""


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


def bits(flags: np.ndarray) -> bytes:
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
    a = (rings.qx[idx] << 32) | rings.qy[idx]  # one int64 per vertex (units < 2**31)
    b = (rings.qx[nxt[idx]] << 32) | rings.qy[nxt[idx]]
    pairs = np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)
    _, inverse, counts = np.unique(pairs, axis=0, return_inverse=True, return_counts=True)
    flags[idx] = counts[inverse.ravel()] == 1
    return flags
