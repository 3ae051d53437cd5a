"""Routed origin-destination times: a long-form file the planner reads, and a cost model the solvers take.

`travel_times` routes every origin (e.g. LSOA population-weighted centroids) to every destination
(sites or candidates) and returns the long form ``origin_code, destination_code, minutes``; pairs
with no route are left out (the planner reads a pair that is not listed as unreachable). Results
are cached under ``data/routing/od/`` per (extract content, mode, origins, destinations), so the
same request is answered from disk.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from geo_core20 import access, atomic, geocode, tables
from geo_core20.routing.engine import (
    COSTING,
    MODES,
    ROUTING_DIR,
    Router,
    RoutingError,
    build_tiles,
    file_digest,
)

OD_HEADER = ("origin_code", "destination_code", "minutes")


def _points_key(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update("\n".join(frame["code"].astype(str)).encode())
    h.update(np.round(frame[["lon", "lat"]].to_numpy(dtype=float), 6).tobytes())
    return h.hexdigest()[:12]


def _check_points(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    missing = [c for c in ("code", "lon", "lat") if c not in frame.columns]
    if missing:
        raise RoutingError(f"{what} lack column(s) {', '.join(missing)}")
    out = frame[["code", "lon", "lat"]].reset_index(drop=True).copy()
    out["code"] = out["code"].astype(str)
    if out["code"].duplicated().any():
        dup = out.loc[out["code"].duplicated(), "code"].head(5).tolist()
        raise RoutingError(f"{what}: duplicate code(s) {', '.join(dup)}")
    return out


def od_cache_path(pbf: str | Path, mode: str, origins: pd.DataFrame, destinations: pd.DataFrame,
                  cache_dir: str | Path | None = None) -> Path:
    """The cache file of one routed matrix: keyed by extract content, mode, origins and destinations."""
    root = Path(cache_dir) if cache_dir is not None else ROUTING_DIR / "od"
    o, d = _check_points(origins, "origins"), _check_points(destinations, "destinations")
    return root / f"{file_digest(Path(pbf))}-{mode}-{_points_key(o)}-{_points_key(d)}.csv"


def travel_times(pbf: str | Path, origins: pd.DataFrame, destinations: pd.DataFrame, mode: str = "car",
                 cache_dir: str | Path | None = None, router: Router | None = None) -> pd.DataFrame:
    """Routed minutes from each origin to each destination (frames with code, lon, lat), long form.

    Columns ``origin_code, destination_code, minutes``; unreachable pairs are left out.
    ``cache_dir`` holds tiles (``tiles/``) and matrices (``od/``); default ``data/routing``.
    """
    if mode not in COSTING:
        raise RoutingError(f"unknown travel mode {mode!r}; expected one of {', '.join(MODES)}")
    o, d = _check_points(origins, "origins"), _check_points(destinations, "destinations")
    root = Path(cache_dir) if cache_dir is not None else None
    path = od_cache_path(pbf, mode, o, d, None if root is None else root / "od")
    if path.is_file():
        return pd.read_csv(path, dtype={"origin_code": str, "destination_code": str})
    if router is None:
        router = Router(build_tiles(pbf, None if root is None else root / "tiles"))
    minutes = router.matrix(o[["lon", "lat"]].to_numpy(), d[["lon", "lat"]].to_numpy(), mode)
    oi, di = np.nonzero(np.isfinite(minutes))
    out = pd.DataFrame({"origin_code": o["code"].to_numpy()[oi], "destination_code": d["code"].to_numpy()[di],
                        "minutes": np.round(minutes[oi, di], 3)})
    atomic.write_bytes(path, tables.to_csv(out, bom=False, tidy=False))
    return out


class RoutedCost:
    """An `access.CostModel` of routed minutes (Valhalla), from points frames in British National Grid."""

    unit = "min"

    def __init__(self, router: Router, mode: str = "car") -> None:
        if mode not in COSTING:
            raise RoutingError(f"unknown travel mode {mode!r}; expected one of {', '.join(MODES)}")
        self.router, self.mode = router, mode

    @staticmethod
    def _lonlat(frame: pd.DataFrame, what: str) -> np.ndarray:
        xy = access._xy(frame, what)
        lon, lat = geocode.bng_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    def matrix(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> np.ndarray:
        return self.router.matrix(self._lonlat(origins, "origins"),
                                  self._lonlat(destinations, "destinations"), self.mode)

    def nearest(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        m = self.matrix(origins, destinations)
        if m.shape[1] == 0:
            return np.full(m.shape[0], np.inf), np.full(m.shape[0], -1, dtype=np.int64)
        idx = np.argmin(m, axis=1)
        cost = m[np.arange(m.shape[0]), idx]
        return cost, np.where(np.isfinite(cost), idx, -1).astype(np.int64)
