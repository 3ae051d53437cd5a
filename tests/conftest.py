"""Shared fixtures: the real atlases (built by `python -m geo_core20 data build`)."""

from __future__ import annotations

import os
import sys

import pytest

from geo_core20 import atlas


def _load(vintage: str):
    if not atlas.atlas_path(vintage).exists():
        pytest.skip(f"atlas {vintage} not built: run `make data` (CI always builds it first)")
    return atlas.load_atlas(vintage)


@pytest.fixture(autouse=True)
def _main_module_kept():
    """Puts this process's main module back after each test.

    Streamlit's script runner (AppTest's included) installs the page script it runs as
    ``sys.modules["__main__"]`` and leaves it there, and multiprocessing's spawn re-runs the parent's
    main module in every child: a child started by a later test would run that page first (and hang
    or take minutes). The upload worker does not use spawn (`geo_core20.uploads.worker_entry`)."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="module")
def pg_url():
    """A throwaway PostgreSQL database (tests/pg_cluster.py), per test module."""
    from pg_cluster import cluster

    try:
        with cluster() as url:
            yield url
    except FileNotFoundError as exc:
        pytest.skip(f"not installed: {exc}")


@pytest.fixture()
def plan_store(tmp_path, monkeypatch):
    """A fresh, empty plan store for one test (the pages and the CLI find it by its environment variable)."""
    from geo_core20 import plans

    monkeypatch.setenv(plans.PATH_ENV, str(tmp_path / "plans.sqlite"))


@pytest.fixture(scope="session")
def atlas2025():
    return _load("2025")


@pytest.fixture(scope="session")
def atlas2019():
    return _load("2019")


# In CI every input is there (`make test` fetches and builds first, .ci/run installs Chromium),
# so a test skipped for a missing atlas, mirror file, map assets or browser means CI is broken:
# fail it rather than let the run pass without testing anything real.
_MISSING_WORDS = ("not built", "not installed", "not found", "not available")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if any(word in reason for word in _MISSING_WORDS):
            report.outcome = "failed"
            report.longrepr = f"skipped in CI, where it must run: {reason}"
