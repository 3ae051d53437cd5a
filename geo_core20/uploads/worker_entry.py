"""The upload worker process itself: ``python -m geo_core20.uploads.worker_entry FD``.

`geo_core20.uploads.worker` (the app's side) starts this module in a fresh interpreter with one
end of a socket pair open as file descriptor ``FD``; `main` wraps it as a
`multiprocessing.connection.Connection` and serves reader calls on it until the app closes it.

A fresh interpreter rather than ``multiprocessing``'s spawn: spawn re-runs the parent's
``sys.modules["__main__"]`` in the child so that pickled functions of the main script can be
found, and under Streamlit (and after an ``AppTest`` run, which installs the page script as
``__main__`` and leaves it there) that main module is a page script: the child would run the
page. Starting this module by name needs no main module at all, so the app, the command line and
pytest start the worker the same way and nobody's ``__main__`` is touched. Nothing is forked from
the app's threads either.

This module's top level imports only the standard library; the readers (geopandas, GDAL,
openpyxl) and the atlas are loaded by `serve` once the process runs.
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import resource
import signal
import sys
import time
import traceback
from typing import Any

_LOG = logging.getLogger("geo_core20.uploads.worker")


def read_table(data: bytes, filename: str, *, sheet: str | None = None, **options: Any):
    """A table upload read and its kind detected: (RawTable, kind or None, the detection's error text)."""
    from geo_core20.errors import UploadError
    from geo_core20.uploads.columns import detect_kind
    from geo_core20.uploads.reading import read_upload

    raw = read_upload(data, filename, sheet=sheet, **options)
    try:
        return raw, detect_kind(raw), None
    except UploadError as exc:
        return raw, None, str(exc)


def selftest(what: str, amount: float = 0.0) -> str:
    """For the worker's own tests: a file that needs too much memory or time, a crash, a bug."""
    if what == "memory":  # touch ``amount`` MB, a page at a time
        block = bytearray(int(amount * 2**20))
        for i in range(0, len(block), 4096):
            block[i] = 1
        return "kept"
    if what == "cpu":
        end = time.process_time() + amount
        while time.process_time() < end:
            pass
        return "done"
    if what == "sleep":
        time.sleep(amount)
        return "slept"
    if what == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    if what == "bug":
        raise KeyError("a reader's bug")
    if what == "main":  # what this process's main module is (its tests check no page script ran here)
        main = sys.modules["__main__"]
        return f"{main.__name__}:{getattr(main, '__file__', None)}"
    return what


def _resolve(value: Any, atlases: dict) -> Any:
    from geo_core20.uploads.worker import Atlas, AtlasCodes

    if isinstance(value, (Atlas, AtlasCodes)):
        from geo_core20 import atlas, schema

        if value.vintage not in atlases:
            atlases[value.vintage] = atlas.load_atlas(value.vintage)
        frame = atlases[value.vintage]
        if isinstance(value, AtlasCodes):
            key = ("codes", value.vintage)
            if key not in atlases:
                atlases[key] = frame[schema.LSOA_CODE].astype(str).tolist()
            return atlases[key]
        return frame
    return value


def _warm(atlases: dict, tasks: dict[str, str]) -> None:
    """Import every reader and load what they share (the default atlas, the postcode index)."""
    from geo_core20 import geocode
    from geo_core20.uploads.worker import AtlasCodes

    for target in tasks.values():
        importlib.import_module(target.split(":")[0])
    try:
        _resolve(AtlasCodes("2025"), atlases)
    except (FileNotFoundError, OSError) as exc:  # not built yet: loaded when a call needs it
        _LOG.info("upload worker: no 2025 atlas yet (%s)", exc)
    try:
        geocode.load_postcode_index(build_if_missing=False)
    except Exception as exc:  # noqa: BLE001 - optional warm-up; the call that needs it says what is missing
        _LOG.info("upload worker: no postcode index yet (%s)", exc)


def _set_limits(values: dict) -> None:
    from geo_core20 import limits

    for name, value in values.items():
        setattr(limits, name, value)
    used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    soft = math.ceil(used + float(values.get("UPLOAD_CPU_SECONDS", limits.UPLOAD_CPU_SECONDS)))
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))


def serve(conn) -> None:
    """The worker's loop: warm up, say ready (with the resident bytes), then answer calls until EOF."""
    import psutil

    from geo_core20.errors import GeoCore20Error
    from geo_core20.uploads.worker import TASKS

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a file stopped by RLIMIT_CPU leaves no core dump
    atlases: dict = {}
    _warm(atlases, TASKS)
    conn.send(("ready", psutil.Process().memory_info().rss))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        name, args, kwargs, values = message
        try:
            _set_limits(values)
            module, _, attr = TASKS[name].partition(":")
            fn = getattr(importlib.import_module(module), attr)
            args = [_resolve(a, atlases) for a in args]
            kwargs = {k: _resolve(v, atlases) for k, v in kwargs.items()}
            reply = ("ok", fn(*args, **kwargs))
        except MemoryError:
            reply = ("memory", None)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the app as data
            if isinstance(exc, GeoCore20Error):  # raised on purpose: the message is for the user
                reply = ("error", exc)
            else:
                reply = ("bug", (f"{type(exc).__name__}: {str(exc)[:100]}", traceback.format_exc(limit=20)))
        finally:
            resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result or error
            conn.send(("bug", (f"{type(exc).__name__} sending the result", str(exc)[:500])))


def main(argv: list[str] | None = None) -> None:
    """Serve on the connection whose file descriptor is the first argument."""
    from multiprocessing.connection import Connection

    argv = sys.argv[1:] if argv is None else argv
    serve(Connection(int(argv[0])))


if __name__ == "__main__":
    main()
