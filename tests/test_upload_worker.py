"""The upload worker's process: started from a dedicated entry module, whatever the main module is.

Streamlit installs the page script it runs as ``sys.modules["__main__"]``; multiprocessing's spawn
re-runs the parent's main module in its children. The worker is started as a fresh interpreter
(`geo_core20.uploads.worker_entry`), so it neither runs a page nor swaps the main module, and a
spawn child started by a later test no longer re-runs a page (tests/conftest.py puts the main
module back after each test).
"""

from __future__ import annotations

import multiprocessing
import sys
import types

import pytest
from streamlit.testing.v1 import AppTest

from geo_core20.uploads import UploadError, worker

PAGE = """
import pathlib
import streamlit as st

pathlib.Path({marker!r}).write_text("the page ran")
st.write("a page")
"""


def _page_main(tmp_path) -> tuple[types.ModuleType, object]:
    """A main module as Streamlit leaves it: a page script that leaves a marker file when it runs."""
    marker = tmp_path / "ran.txt"
    script = tmp_path / "page.py"
    script.write_text(PAGE.format(marker=str(marker)))
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    return main, marker


def test_the_worker_starts_without_running_or_swapping_the_main_module(tmp_path, monkeypatch) -> None:
    main, marker = _page_main(tmp_path)
    monkeypatch.setitem(sys.modules, "__main__", main)
    worker.shutdown()  # the next call starts a new worker, with the page as this process's main
    assert worker.run("_selftest", "main") == "__main__:None"  # the worker's main: no page script
    assert not marker.exists(), "the worker ran the app's page script"
    assert sys.modules["__main__"] is main


_PAGES: list[tuple[str, object]] = []  # (script, marker) of pages Streamlit left as the main module


def test_after_a_page_run_the_worker_reads_and_survives_its_failures(tmp_path) -> None:
    script_main, marker = _page_main(tmp_path)
    at = AppTest.from_file(script_main.__file__).run(timeout=60)
    assert not at.exception and marker.read_text() == "the page ran"
    marker.unlink()
    page = sys.modules["__main__"]
    assert page.__file__ == script_main.__file__  # Streamlit left its page as this process's main
    _PAGES.append((page.__file__, marker))
    with pytest.raises(UploadError, match="stopped the file reader"):
        worker.run("_selftest", "crash")
    with pytest.raises(UploadError, match=r"the reader failed on it \(KeyError"):
        worker.run("_selftest", "bug")
    assert worker.run("_selftest", "main") == "__main__:None"
    assert sys.modules["__main__"] is page  # the worker left the main module as it found it


def _report_main(queue) -> None:
    main = sys.modules["__main__"]
    queue.put(getattr(main, "__file__", None))


def test_a_spawn_child_started_after_the_worker_tests_runs_no_page() -> None:
    """Runs after the page and worker tests above (file order): the child starts, answers and exits."""
    pages = [script for script, _ in _PAGES]
    assert getattr(sys.modules["__main__"], "__file__", None) not in pages  # conftest put it back
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_report_main, args=(queue,))
    child.start()
    try:
        child_main = queue.get(timeout=300)  # a hang fails here rather than blocking the suite
    finally:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0
    assert child_main not in pages, f"the spawn child re-ran a page script: {child_main}"
    assert not [marker for _, marker in _PAGES if marker.exists()], "a page script ran again"
