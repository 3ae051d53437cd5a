"""Untrusted files parsed where they cannot hurt the server: a warm worker process with limits.

    res = worker.run("load_upload", data, "sites.csv", worker.Atlas("2025"))

`run` sends a reader's name and arguments to a worker process and returns what the reader
returns (the same objects, pickled back) or raises the reader's own error (the project's
`errors.GeoCore20Error` family: `UploadError`, `AccessError`, `DataError`...). Workers are
started as a fresh interpreter running `geo_core20.uploads.worker_entry` (never forked from the
app's threads, and never re-running the app's ``__main__`` as multiprocessing's spawn would), and
kept warm: each imports the readers (geopandas, GDAL, openpyxl) and loads the 2025 atlas and the
postcode index once, so an ordinary upload costs no import. The atlas is never sent per call:
pass `Atlas(vintage)` (or `AtlasCodes(vintage)` for the list of its LSOA codes) and the worker
uses its own copy.

Each file is read under the limits in `geo_core20.limits`, read at call time:

- memory: the worker's resident memory may grow by at most ``UPLOAD_RAM_MB`` over its warm
  size; the app polls it (see `limits` for why not RLIMIT_AS) and kills the worker past it;
- processor time: ``UPLOAD_CPU_SECONDS`` per file (RLIMIT_CPU set in the worker before each
  file, so the kernel stops a runaway C loop that Python could not interrupt);
- wall-clock time: ``UPLOAD_WALL_SECONDS`` (a worker stuck waiting is killed too).

A file past a limit ends as an `UploadError` naming it ("needed more than 2.0 GB of memory to
read"); the worker is killed and a new one started in the background, and the session and the
server carry on. Any other failure inside the worker (a bug in a reader) also ends as an
`UploadError`, logged with its traceback, rather than as a traceback on the page.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil

from geo_core20 import limits
from geo_core20.errors import UploadError

_LOG = logging.getLogger("geo_core20.uploads.worker")

# reader name -> "module:function"; only these run in the worker
TASKS = {
    "read_upload": "geo_core20.uploads.reading:read_upload",
    "read_table": "geo_core20.uploads.worker_entry:read_table",
    "detect_kind": "geo_core20.uploads.columns:detect_kind",
    "gis_layers": "geo_core20.uploads.gis:gis_layers",
    "read_gis": "geo_core20.uploads.gis:read_gis",
    "load_gis": "geo_core20.uploads.gis:load_gis",
    "load_upload": "geo_core20.uploads:load_upload",
    "load_lsoa_table": "geo_core20.uploads.lsoa_table:load_lsoa_table",
    "load_points": "geo_core20.uploads.points:load_points",
    "read_od_csv": "geo_core20.access:read_od_csv",
    "read_travel_times": "geo_core20.plan_files:read_travel_times",
    "read_sites_file": "geo_core20.plan_files:read_sites_file",
    "read_demand": "geo_core20.plan_files:read_demand",
    "read_census_bulk": "geo_core20.census:read_bulk",
    # for the worker's own tests: a file that needs too much memory or time, and a crash
    "_selftest": "geo_core20.uploads.worker_entry:selftest",
}


@dataclass(frozen=True)
class Atlas:
    """Stands for `atlas.load_atlas(vintage)` in a worker call (the worker loads its own)."""

    vintage: str = "2025"


@dataclass(frozen=True)
class AtlasCodes:
    """Stands for the LSOA codes of a vintage's atlas (a list) in a worker call."""

    vintage: str = "2025"


# --- in the app --------------------------------------------------------------------------------------

_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the geo_core20 package
_ENTRY = "import sys; from geo_core20.uploads.worker_entry import main; main(sys.argv[1:])"


class _Worker:
    """One worker process (`geo_core20.uploads.worker_entry`) and the app's end of its connection."""

    def __init__(self) -> None:
        # a fresh interpreter that imports the entry module, not multiprocessing's spawn: spawn would
        # re-run the app's __main__ (under Streamlit, a page script) in the child; see worker_entry
        ours, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _ENTRY, str(theirs.fileno())], pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL, env=env)
        except OSError:
            ours.close()
            raise UploadError("The file reader could not start; please try again in a minute.") from None
        finally:
            theirs.close()
        self.conn = Connection(ours.detach())
        self.baseline: int | None = None  # resident bytes once warm
        self.calls = 0

    def wait_ready(self, timeout: float) -> None:
        if self.baseline is not None:
            return
        try:
            if not self.conn.poll(timeout):
                raise EOFError
            tag, rss = self.conn.recv()
        except (EOFError, OSError):
            raise UploadError("The file reader could not start; please try again in a minute.") from None
        self.baseline = int(rss)

    def rss(self) -> int:
        try:
            return psutil.Process(self.process.pid).memory_info().rss
        except psutil.Error:
            return 0

    def alive(self) -> bool:
        return self.process.poll() is None

    def exitcode(self) -> int | None:
        """The process's exit code once it has ended (minus the signal number if a signal ended it)."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        if not self.conn.closed:
            self.conn.close()


class _Pool:
    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.idle: list[_Worker] = []
        self.busy = 0
        self.last_call: dict[str, float] = {}

    def acquire(self) -> _Worker:
        with self.lock:
            while True:
                while self.idle:
                    worker = self.idle.pop()
                    if worker.alive():
                        self.busy += 1
                        return worker
                    worker.kill()
                if self.busy < max(1, int(limits.WORKER_PROCESSES)):
                    self.busy += 1
                    return _Worker()
                self.lock.wait(timeout=1.0)

    def release(self, worker: _Worker | None) -> None:
        with self.lock:
            self.busy -= 1
            if worker is not None:
                self.idle.append(worker)
            elif not self.idle:  # keep one warm worker for the next file
                self.idle.append(_Worker())
            self.lock.notify()

    def warm(self) -> None:
        with self.lock:
            if not self.idle and self.busy == 0:
                self.idle.append(_Worker())

    def shutdown(self) -> None:
        with self.lock:
            for worker in self.idle:
                worker.kill()
            self.idle.clear()


_POOL = _Pool()
atexit.register(_POOL.shutdown)


def warm() -> None:
    """Start a worker now (in the background), so the first upload does not wait for its imports."""
    _POOL.warm()


def shutdown() -> None:
    """Stop the idle workers (a new one starts with the next upload)."""
    _POOL.shutdown()


def _gb(mb: float) -> str:
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:,.0f} MB"


def _what(args: tuple) -> str:
    name = next((a for a in args[1:2] if isinstance(a, str)), None) or getattr(args[0] if args else None,
                                                                           "filename", None)
    return f"'{name}'" if name else "This file"


def run(task: str, *args: Any, **kwargs: Any) -> Any:
    """``task`` (a name in `TASKS`) run on ``args`` in a warm worker under the limits; its result.

    Raises what the reader raises (the project's errors), or `UploadError` naming the limit a
    file went past, or saying the reader failed.
    """
    if task not in TASKS:
        raise ValueError(f"unknown upload task {task!r}")
    values = limits.worker_limits()
    memory_mb = float(limits.UPLOAD_RAM_MB)
    cpu_s, wall_s = float(limits.UPLOAD_CPU_SECONDS), float(limits.UPLOAD_WALL_SECONDS)
    what = _what(args)
    worker = _POOL.acquire()
    keep: _Worker | None = None
    try:
        started = time.monotonic()
        worker.wait_ready(timeout=max(wall_s, 120.0))
        cap = worker.baseline + memory_mb * 2**20
        worker.conn.send((task, args, kwargs, values))
        started = time.monotonic()
        peak = 0
        while not worker.conn.poll(float(limits.WORKER_POLL_SECONDS)):
            peak = max(peak, worker.rss())
            if peak > cap:
                worker.kill()
                raise UploadError(f"{what} needed more than {_gb(memory_mb)} of memory to read "
                                  f"(limits.UPLOAD_RAM_MB), so reading it was stopped. Keep only the "
                                  "rows, columns or features you need, or simplify the shapes, and retry.")
            if time.monotonic() - started > wall_s:
                worker.kill()
                raise UploadError(f"{what} took more than {wall_s:,.0f} s to read "
                                  f"(limits.UPLOAD_WALL_SECONDS), so reading it was stopped. Keep only the "
                                  "rows, columns or features you need, and retry.")
            if not worker.alive():
                break
        try:
            tag, payload = worker.conn.recv()
        except (EOFError, OSError):
            code = worker.exitcode()
            worker.kill()
            if code == -signal.SIGXCPU:
                raise UploadError(f"{what} needed more than {cpu_s:,.0f} s of processor time to read "
                                  f"(limits.UPLOAD_CPU_SECONDS), so reading it was stopped. Keep only the "
                                  "rows, columns or features you need, and retry.") from None
            raise UploadError(f"{what} stopped the file reader (exit code {code}); nothing was loaded. "
                              "Save the file again from the program that made it, and retry.") from None
        worker.calls += 1
        if tag == "memory":
            worker.kill()
            raise UploadError(f"{what} needed more than {_gb(memory_mb)} of memory to read "
                              "(limits.UPLOAD_RAM_MB). Keep only what you need, and retry.")
        keep = worker if worker.rss() - worker.baseline < limits.WORKER_RECYCLE_MB * 2**20 else None
        if keep is None:
            worker.kill()
        if tag == "ok":
            return payload
        if tag == "error":
            raise payload
        summary, details = payload
        _LOG.error("upload reader %s failed: %s", task, details)
        raise UploadError(f"{what} could not be read: the reader failed on it ({summary}). Nothing was "
                          "loaded; please report this file to the geo_core20 maintainers.")
    finally:
        if keep is None:
            worker.kill()
        _POOL.release(keep)
