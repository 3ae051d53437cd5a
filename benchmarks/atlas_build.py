"""Atlas build and load benchmark: prints times, peak memory and ratios against a baseline.

Baseline (same run): reading the raw LSOA GeoJSON with pyogrio, which is what a page would do
without the atlas cache. Each measurement runs in a fresh subprocess so caches and peak RSS
are its own.

    python benchmarks/atlas_build.py
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from geo_core20 import atlas, sources
task, vintage, out = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
if task == "build":
    atlas.build_atlas(vintage, processed_dir=Path(out), force=True)
elif task == "rebuild":
    atlas.build_atlas(vintage, processed_dir=Path(out))
elif task == "load":
    atlas.load_atlas(vintage, processed_dir=Path(out))
elif task == "baseline":
    import pyogrio
    ds = "lsoa21_boundaries" if vintage == "2025" else "lsoa11_boundaries"
    pyogrio.read_dataframe(atlas.input_path(ds))
secs = time.perf_counter() - t0
print(json.dumps({{"seconds": secs, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(task: str, vintage: str, out: str) -> dict:
    code = _CHILD.format(root=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code, task, vintage, out], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}")
    print(f"{'vintage':8} {'step':26} {'seconds':>8} {'peak MB':>8} {'vs baseline':>12}")
    with tempfile.TemporaryDirectory() as out:
        for vintage in ("2025", "2019"):
            base = run("baseline", vintage, out)
            rows = [("raw GeoJSON read (baseline)", base),
                    ("atlas build (forced)", run("build", vintage, out)),
                    ("unchanged rebuild (no-op)", run("rebuild", vintage, out)),
                    ("atlas load (GeoParquet)", run("load", vintage, out))]
            for name, r in rows:
                ratio = r["seconds"] / base["seconds"]
                print(f"{vintage:8} {name:26} {r['seconds']:8.2f} {r['peak_mb']:8.0f} {ratio:11.2f}x")


if __name__ == "__main__":
    main()
