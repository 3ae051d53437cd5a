"""Shared fixtures: the real atlases (built by `python -m geo_core20 data build`)."""

from __future__ import annotations

import pytest

from geo_core20 import atlas


def _load(vintage: str):
    if not atlas.atlas_path(vintage).exists():
        pytest.skip(f"atlas {vintage} not built: run `make data` (CI always builds it first)")
    return atlas.load_atlas(vintage)


@pytest.fixture(scope="session")
def atlas2025():
    return _load("2025")


@pytest.fixture(scope="session")
def atlas2019():
    return _load("2019")
