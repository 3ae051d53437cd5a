"""Geometry the browser keeps between reruns: a map's view-constant GeoJSON as a static file.

The PLUS, upload and outreach maps draw their polygons with ``choropleth.ClassedLsoaLayer``.
Inline, a layer's script holds every polygon (~530 kB for an ICB), so a new PLUS layer or hot-spot
map re-sent the whole geometry over the websocket although only the classes changed. Shared
(``ClassedLsoaLayer.share``, done by ``ui.map_display.render_map`` for the app's own maps), the
geometry and the fields every map of the view has (code, name) go to
``static/shared/<content hash>.json.gz`` (with an uncompressed ``.json`` twin for browsers without
DecompressionStream), written once, served by Streamlit at ``/app/static/shared/...``; the layer's
script then carries only the classes, colours and the map's own tooltip values, and the browser
fetches the file once and keeps it parsed on the Streamlit page (``templates/shared_geometry.js``),
so a second map of the same view draws from memory. Standalone HTML exports stay inline.

The file names are content hashes: the same geometry is one file, whatever map or session asked
for it, and a changed geometry is a new name (no stale cache). Files are never rewritten; each use
touches them, and once the folder holds more than ``limits.SHARED_GEOMETRY_MB`` the files unused
longest (never one used in the last ``limits.SHARED_GEOMETRY_KEEP_S``) are removed (``prune``).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import time
from functools import lru_cache
from pathlib import Path

from geo_core20 import atomic, limits
from geo_core20.maps import assets

SUBDIR = "shared"


def folder(static_dir: Path | str | None = None) -> Path:
    return Path(static_dir or assets.STATIC_DIR) / SUBDIR


def publish(payload: dict, static_dir: Path | str | None = None) -> str:
    """Write ``payload`` (JSON) once under its content hash; returns the URL the app serves it at."""
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    name = f"{hashlib.sha256(raw).hexdigest()[:20]}.json"
    out = folder(static_dir)
    path = out / f"{name}.gz"
    if path.exists() and path.with_suffix("").exists():
        for p in (path, path.with_suffix("")):
            _touch(p)
    else:
        atomic.write_bytes(out / name, raw)
        atomic.write_bytes(path, gzip.compress(raw, compresslevel=6, mtime=0))
        prune(out)
    return f"{assets.STATIC_URL}/{SUBDIR}/{name}.gz"


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):  # removed meanwhile by another process: written on its next use
        os.utime(path)


def touch(urls, static_dir: Path | str | None = None) -> None:
    """Mark the files behind ``urls`` (as ``publish`` returned them) used now, so ``prune`` keeps them."""
    out = folder(static_dir)
    for url in urls:
        path = out / url.rsplit("/", 1)[-1]
        _touch(path)
        _touch(path.with_suffix(""))


def prune(out: Path, *, cap_mb: float | None = None, keep_s: float | None = None) -> list[str]:
    """Remove the files unused longest until the folder is under its cap; returns the names removed.

    A file used within ``keep_s`` seconds stays even past the cap (a page may still fetch it).
    """
    cap = (limits.SHARED_GEOMETRY_MB if cap_mb is None else cap_mb) * 1024 * 1024
    keep = limits.SHARED_GEOMETRY_KEEP_S if keep_s is None else keep_s
    files = []
    for p in out.glob("*.json*"):
        try:
            st = p.stat()
        except OSError:
            continue
        files.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in files)
    removed: list[str] = []
    now = time.time()
    for mtime, size, p in sorted(files, key=lambda f: f[0]):
        if total <= cap or now - mtime < keep:
            break
        try:
            p.unlink()
        except OSError:
            continue
        total -= size
        removed.append(p.name)
    return removed


@lru_cache(maxsize=1)
def loader_js() -> str:
    """The browser side (templates/shared_geometry.js), safe to inline in a <script>."""
    js = (Path(__file__).with_name("templates") / "shared_geometry.js").read_text(encoding="utf-8")
    lines = (line.strip() for line in js.splitlines())  # no comments or indents: it is sent with the map
    return "\n".join(line for line in lines if line and not line.startswith("//")).replace("</", "<\\/")
