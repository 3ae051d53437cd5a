"""Valhalla: tiles from an OpenStreetMap extract, then sources-to-targets time matrices.

The engine is the ``pyvalhalla-weekly`` wheel (requirements.txt pins the exact build): its
Python ``Actor`` answers matrix requests in-process, and its ``valhalla/bin/valhalla_build_tiles``
executable builds the routing graph (``python -m valhalla valhalla_build_tiles`` does not find
that executable, so it is run directly). Tiles are cached per extract under
``data/routing/tiles/<name>-<sha256 prefix>/`` and built into a temporary folder renamed into
place, so an interrupted build never leaves half a graph under the final name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import psutil

from geo_core20 import access, limits, sources

_LOG = logging.getLogger("geo_core20.routing")

MODES = ("car", "foot", "bicycle")
COSTING = {"car": "auto", "foot": "pedestrian", "bicycle": "bicycle"}
"""Our travel modes -> Valhalla costing models."""

ROUTING_DIR = sources.DATA_DIR / "routing"
MATRIX_CHUNK = 2_500
"""Most source x target pairs per matrix request (Valhalla's own default limit per request)."""
MAX_MATRIX_DISTANCE_M = 1_000_000.0
"""Crow-fly span a matrix request may cover (the defaults, 200-400 km, are raised for ICB-sized areas)."""


class RoutingError(access.AccessError):
    """A routing input or engine run that cannot give travel times (message meant for the user)."""


class EngineNotInstalled(RoutingError):
    """Valhalla (the pyvalhalla-weekly wheel) is not installed here."""


def _package_dir() -> Path:
    try:
        import valhalla
    except ImportError as exc:
        raise EngineNotInstalled(
            "the Valhalla routing engine is not installed: `pip install -r requirements.txt` installs "
            f"the pinned pyvalhalla-weekly wheel ({exc})") from None
    return Path(valhalla.__file__).resolve().parent


def valhalla_binary(name: str = "valhalla_build_tiles") -> Path:
    """A Valhalla executable shipped inside the wheel (``valhalla/bin/``)."""
    path = _package_dir() / "bin" / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise EngineNotInstalled(f"Valhalla's {name} is not installed at {path}: this pyvalhalla build lacks "
                                 "the tile builder (install the pinned pyvalhalla-weekly wheel)")
    return path


def engine_available() -> bool:
    """Whether Valhalla's Python bindings and its tile builder are both installed."""
    try:
        valhalla_binary()
    except EngineNotInstalled:
        return False
    return True


def file_digest(path: Path, length: int = 12) -> str:
    """SHA-256 prefix of a file's content (tiles and OD caches are keyed by it, not the file name)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:length]


def _stem(pbf: Path) -> str:
    name = pbf.name
    for suffix in (".osm.pbf", ".pbf"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return pbf.stem


def tiles_dir(pbf: str | Path, cache_dir: str | Path | None = None) -> Path:
    """Where the tiles of this extract live (built or not)."""
    pbf = Path(pbf)
    root = Path(cache_dir) if cache_dir is not None else ROUTING_DIR / "tiles"
    return root / f"{_stem(pbf)}-{file_digest(pbf)}"


def engine_config(tile_dir: Path) -> dict:
    """Valhalla's default configuration for ``tile_dir`` with matrix limits raised for ICB-sized areas."""
    import valhalla

    config = valhalla.get_config(tile_extract="", tile_dir=tile_dir)
    config["mjolnir"]["tile_extract"] = ""
    config["mjolnir"]["logging"]["type"] = ""
    for costing in COSTING.values():
        limits = config["service_limits"][costing]
        limits["max_matrix_distance"] = MAX_MATRIX_DISTANCE_M
        pairs = int(limits.get("max_matrix_location_pairs", 0))
        limits["max_matrix_location_pairs"] = max(pairs, MATRIX_CHUNK)
    return config


def build_tiles(pbf: str | Path, cache_dir: str | Path | None = None, force: bool = False) -> Path:
    """Build (or reuse) the routing tiles of an ``.osm.pbf`` extract; returns the config file path."""
    pbf = Path(pbf)
    if not pbf.is_file():
        raise RoutingError(f"OpenStreetMap extract not found: {pbf} (fetch one with `python -m geo_core20 "
                           "data fetch --only osm_rutland`, or download a county from download.geofabrik.de)")
    with open(pbf, "rb") as fh:
        head = fh.read(64)
    if b"OSMHeader" not in head:
        raise RoutingError(f"{pbf.name} is not an OpenStreetMap .osm.pbf extract (no OSMHeader block)")
    binary = valhalla_binary()
    final = tiles_dir(pbf, cache_dir)
    config_path = final / "valhalla.json"
    if config_path.is_file() and not force:
        return config_path
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{final.name}.part-", dir=final.parent))
    try:
        tiles = work / "tiles"
        tiles.mkdir()
        build_config = engine_config(tiles)
        # Valhalla's own log goes to a file beside the build: read for what went wrong, never shown
        build_config["mjolnir"]["logging"] = {"type": "file", "file_name": str(work / "valhalla.log"),
                                              "color": False}
        (work / "build.json").write_text(json.dumps(build_config), encoding="utf-8")
        code, output = _run_builder([str(binary), "-c", str(work / "build.json"), str(pbf.resolve())],
                                    work, pbf.name)
        if code != 0 or not any(tiles.rglob("*.gph")):
            raise RoutingError(_build_failure(pbf.name, code, output))
        (work / "build.json").unlink()
        if force and final.exists():
            shutil.rmtree(final)
        try:
            os.replace(work, final)
        except OSError:  # built meanwhile by another process: keep theirs
            if not (final / "valhalla.json").is_file():
                raise
            return final / "valhalla.json"
        # the config names the final tile folder, so it is written after the rename
        (final / "valhalla.json").write_text(json.dumps(engine_config(final / "tiles")), encoding="utf-8")
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return config_path


def _gb(mb: float) -> str:
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:,.0f} MB"


def _run_builder(command: list[str], work: Path, name: str) -> tuple[int, str]:
    """Run the tile builder in ``work`` under the limits in `geo_core20.limits`; (exit code, its output).

    Processor time is RLIMIT_CPU set on the child once started (psutil's prlimit: no ``preexec_fn``,
    which is unsafe in a threaded server); resident memory and wall-clock time are polled, as the
    upload worker does. A build past a limit is killed and ends as a `RoutingError` naming the limit.
    """
    ram_mb = float(limits.ROUTING_BUILD_RAM_MB)
    cpu_s = max(1, int(limits.ROUTING_BUILD_CPU_SECONDS))
    wall_s = float(limits.ROUTING_BUILD_WALL_SECONDS)
    poll = float(limits.WORKER_POLL_SECONDS)
    advice = "use a smaller extract (a county from download.geofabrik.de), or raise the limit"
    log = work / "builder-output.txt"
    with open(log, "wb") as out:
        child = subprocess.Popen(command, cwd=work, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT)
    try:
        proc = psutil.Process(child.pid)
        try:
            proc.rlimit(resource.RLIMIT_CORE, (0, 0))  # a build stopped by RLIMIT_CPU leaves no core dump
            proc.rlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))  # SIGXCPU, then SIGKILL 5 s later
        except psutil.NoSuchProcess:
            pass  # it has already finished
        started = time.monotonic()
        while True:
            try:
                code = child.wait(timeout=poll)
                break
            except subprocess.TimeoutExpired:
                pass
            try:
                rss = proc.memory_info().rss
            except psutil.Error:
                rss = 0
            if rss > ram_mb * 2**20:
                raise RoutingError(f"building routing tiles from {name} needed more than {_gb(ram_mb)} of "
                                   f"memory (limits.ROUTING_BUILD_RAM_MB), so it was stopped: {advice}.")
            if time.monotonic() - started > wall_s:
                raise RoutingError(f"building routing tiles from {name} took more than {wall_s:,.0f} s "
                                   f"(limits.ROUTING_BUILD_WALL_SECONDS), so it was stopped: {advice}.")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    output = log.read_text(encoding="utf-8", errors="replace")
    if code == -signal.SIGXCPU:  # only the kernel sends it, at the RLIMIT_CPU soft limit
        raise RoutingError(f"building routing tiles from {name} needed more than {cpu_s:,} s of processor "
                           f"time (limits.ROUTING_BUILD_CPU_SECONDS), so it was stopped: {advice}.")
    valhalla_log = work / "valhalla.log"
    if valhalla_log.is_file():
        output = valhalla_log.read_text(encoding="utf-8", errors="replace") + "\n" + output
    if code != 0:
        _LOG.warning("valhalla_build_tiles on %s exited %s; its output ends:\n%s", name, code,
                     "\n".join(output.strip().splitlines()[-20:]))
    return code, output


_DAMAGE = re.compile(r"(PBF error: .*|invalid tag exception|end of buffer exception|"
                     r"varint too long exception|unknown pbf field type exception|"
                     r"deleted pbf field type exception)")


_NO_ROADS = re.compile(r"Finished with 0 routable ways")


def _build_failure(name: str, code: int, output: str) -> str:
    """The tile builder's failure in the project's words (the reader's damage found kept; the rest logged)."""
    lines = [ln.strip() for ln in output.strip().splitlines() if ln.strip()]
    lines = [ln.removeprefix("what():").strip() for ln in lines if not ln.startswith("terminate called")]
    damage = next((m.group(1) for ln in lines if (m := _DAMAGE.search(ln))), None)
    if damage:
        return (f"{name} is not a readable OpenStreetMap extract: it is damaged or cut short ({damage}). "
                "Download it again (e.g. a county from download.geofabrik.de) and retry.")
    if _NO_ROADS.search(output):
        return (f"{name} holds no roads to route on: it is a readable OpenStreetMap file, but none of its "
                "ways is a road (a points-only or filtered extract, or an area with no roads). Use the "
                "full extract of the area, roads included (e.g. its county from download.geofabrik.de), "
                "and retry.")
    return (f"Routing tiles could not be built from {name} (the tile builder stopped with exit code {code}; "
            "its own words are in the server log). Check that the file is an OpenStreetMap extract holding "
            "the area's roads (e.g. its county from download.geofabrik.de), and retry.")


class Router:
    """Sources-to-targets travel times (minutes) over one extract's tiles, in chunked requests."""

    def __init__(self, config_path: str | Path, chunk_pairs: int = MATRIX_CHUNK) -> None:
        _package_dir()
        import valhalla

        self.config_path = Path(config_path)
        self.chunk_pairs = int(chunk_pairs)
        self._actor = valhalla.Actor(self.config_path)

    @classmethod
    def from_extract(cls, pbf: str | Path, cache_dir: str | Path | None = None) -> Router:
        return cls(build_tiles(pbf, cache_dir))

    def matrix(self, sources_lonlat: Sequence[Sequence[float]] | np.ndarray,
               targets_lonlat: Sequence[Sequence[float]] | np.ndarray, mode: str = "car") -> np.ndarray:
        """(n_sources, n_targets) minutes; ``inf`` where Valhalla finds no route (or no road nearby)."""
        if mode not in COSTING:
            raise RoutingError(f"unknown travel mode {mode!r}; expected one of {', '.join(MODES)}")
        src = np.asarray(sources_lonlat, dtype=float).reshape(-1, 2)
        dst = np.asarray(targets_lonlat, dtype=float).reshape(-1, 2)
        for what, pts in (("origins", src), ("destinations", dst)):
            if len(pts) and not np.isfinite(pts).all():
                raise RoutingError(f"{what}: {int((~np.isfinite(pts)).any(axis=1).sum())} point(s) without "
                                   "longitude/latitude")
        out = np.full((len(src), len(dst)), np.inf)
        if not len(src) or not len(dst):
            return out
        try:
            self._fill(out, src, dst, np.arange(len(src)), np.arange(len(dst)), mode)
        except RoutingError:
            # a point with no road nearby fails the whole request: find such points, route the rest
            src_ok, dst_ok = self.routable(src, mode), self.routable(dst, mode)
            out[:] = np.inf
            if src_ok.any() and dst_ok.any():
                self._fill(out, src, dst, np.flatnonzero(src_ok), np.flatnonzero(dst_ok), mode)
        return out

    def routable(self, points: np.ndarray, mode: str = "car") -> np.ndarray:
        """Per point (lon, lat): whether Valhalla finds a road for ``mode`` near it."""
        ok = np.zeros(len(points), dtype=bool)
        step = 500
        for p0 in range(0, len(points), step):
            request = {"locations": [{"lon": float(x), "lat": float(y)} for x, y in points[p0:p0 + step]],
                       "costing": COSTING[mode], "verbose": False}
            for i, found in enumerate(self._actor.locate(request)):
                ok[p0 + i] = bool(found.get("edges"))
        return ok

    def _fill(self, out: np.ndarray, src: np.ndarray, dst: np.ndarray, src_idx: np.ndarray,
              dst_idx: np.ndarray, mode: str) -> None:
        per_target = max(1, min(len(dst_idx), self.chunk_pairs))
        per_source = max(1, self.chunk_pairs // per_target)
        for t0 in range(0, len(dst_idx), per_target):
            tj = dst_idx[t0:t0 + per_target]
            targets = [{"lon": float(x), "lat": float(y)} for x, y in dst[tj]]
            for s0 in range(0, len(src_idx), per_source):
                si = src_idx[s0:s0 + per_source]
                sources_ = [{"lon": float(x), "lat": float(y)} for x, y in src[si]]
                request = {"sources": sources_, "targets": targets, "costing": COSTING[mode]}
                try:
                    answer = self._actor.matrix(request)
                except RuntimeError as exc:
                    raise RoutingError(f"Valhalla could not answer a {mode} matrix: {exc}") from None
                for row in answer.get("sources_to_targets", []):
                    for cell in row:
                        seconds = cell.get("time")
                        if seconds is not None:
                            out[si[int(cell["from_index"])], tj[int(cell["to_index"])]] = seconds / 60.0
