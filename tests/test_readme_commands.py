"""The README's commands exist and do what it says (issue 17: `make run PORT=...` was undocumented)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_readme_documents_make_run_with_a_port():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = re.search(r"make run PORT=(\d+)", readme)
    assert documented, "README does not say how to start the app on another port"
    assert f"http://localhost:{documented.group(1)}" in readme


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_run_passes_port_to_the_launcher():
    # -n: print the commands, run none (no install, no server). Under `make test` this runs inside make:
    # drop the parent's MAKEFLAGS/MAKELEVEL so the child prints only commands, no "Leaving directory".
    parent_make = {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"}
    env = {k: v for k, v in os.environ.items() if k not in parent_make}
    out = subprocess.run(["make", "-n", "--no-print-directory", "run", "PORT=8599"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True, timeout=60).stdout.strip().splitlines()
    assert out[-1].split()[1:5] == ["-m", "geo_core20.serve", "--server.port", "8599"], out[-1]
