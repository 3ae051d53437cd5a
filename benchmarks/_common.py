"""What the browser benchmarks share: the project on sys.path, Debian's Chromium, the machine.

    from _common import ROOT, launch_chromium, machine, serve_app

The app itself is served by ``serve_app`` from tests/harness.py (as the browser tests do).
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "tests"):  # the project, and tests/harness.py shared with the browser tests
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from harness import serve_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"  # Debian's; never a downloaded browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "ROOT", "launch_chromium", "machine", "serve_app"]


def launch_chromium(playwright):
    """Headless Debian Chromium through Playwright's sync API."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def machine() -> dict:
    """The machine a benchmark ran on (goes into the results and the issue notes)."""
    model, mem = "", 0
    try:
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
        mem = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                   if x.startswith("MemTotal"))
    except (OSError, StopIteration):
        pass
    import folium
    import streamlit

    return {"nproc": os.cpu_count(), "cpu": model or platform.processor(), "mem_gb": round(mem / 1e6, 1),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "platform": platform.platform(),
            "streamlit": streamlit.__version__, "folium": folium.__version__}
