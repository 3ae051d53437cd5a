"""Derived caches built after the atlas by `python -m geo_core20 data build`.

Each step takes (force, vintages) and returns a one-line message.
"""

from __future__ import annotations

from collections.abc import Callable

STEPS: list[Callable[..., str]] = []
