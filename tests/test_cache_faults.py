"""Damaged caches and interrupted downloads: detected, then rebuilt or reported with the fix.

Every test works on copies in tmp_path (never on the real cache files).
"""

from __future__ import annotations

import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import folium
import pytest

from geo_core20 import atlas, errors, fetch, geocode, sources
from geo_core20.maps import national

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _fresh_caches():
    atlas._clear_caches()
    geocode._load_index_cached.cache_clear()
    yield
    atlas._clear_caches()
    geocode._load_index_cached.cache_clear()


def _copy_processed(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "processed"
    folder.mkdir()
    for name in names:
        src = sources.PROCESSED_DIR / name
        if not src.exists():
            pytest.skip(f"{src} not built: run `make data`")
        shutil.copy(src, folder / name)
    return folder


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _assert_clear(exc: BaseException, path: Path) -> None:
    text = str(exc)
    assert str(path) in text and "python -m geo_core20 data build --force" in text and "damaged" in text


# --- atlas GeoParquet ------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_damaged_atlas_is_reported_with_the_rebuild_command(tmp_path, damage):
    folder = _copy_processed(tmp_path, "atlas_2025.parquet", "atlas_2025.meta.json")
    path = folder / "atlas_2025.parquet"
    if damage == "truncated":
        _truncate(path)
    elif damage == "garbage":
        path.write_bytes(b"PAR1" + os.urandom(5000) + b"PAR1")
    else:
        path.write_bytes(b"")
    with pytest.raises(errors.CacheError) as err:
        atlas.load_atlas("2025", processed_dir=folder)
    _assert_clear(err.value, path)


def test_atlas_shorter_than_its_build_recorded_is_reported(tmp_path, atlas2025):
    folder = _copy_processed(tmp_path, "atlas_2025.meta.json")
    atlas2025.head(10).to_parquet(folder / "atlas_2025.parquet")  # readable, but not what was built
    with pytest.raises(errors.CacheError, match=r"10 rows where its build wrote 33,755"):
        atlas.load_atlas("2025", processed_dir=folder)


def test_intact_copy_loads_and_damaged_display_geometry_and_sites_are_reported(tmp_path):
    names = (
        "atlas_2019.parquet",
        "atlas_2019.meta.json",
        "atlas_2019_display.parquet",
        "atlas_2019_display.meta.json",
        "sites.parquet",
        "sites.meta.json",
    )
    folder = _copy_processed(tmp_path, *names)
    assert len(atlas.load_atlas("2019", processed_dir=folder)) == 32_844
    for name, load in (
        ("atlas_2019_display.parquet", lambda: atlas.load_display_geometry("2019", folder)),
        ("sites.parquet", lambda: atlas.load_sites(folder)),
    ):
        _truncate(folder / name, 0.3)
        with pytest.raises(errors.CacheError) as err:
            load()
        _assert_clear(err.value, folder / name)


# --- postcodes parquet -----------------------------------------------------------------------------


def _tiny_codepoint(tmp_path: Path) -> Path:
    """A Code-Point Open zip in the published layout, with three postcodes."""
    path = tmp_path / "codepo_gb.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "Doc/Code-Point_Open_Column_Headers.csv",
            "PC,PQ,EA,NO,CY\nPostcode,Positional_quality_indicator,Eastings,Northings,Country_code\n",
        )
        archive.writestr(
            "Data/CSV/ls.csv",
            '"LS1 1UR",10,429900,433500,"E92000001"\n"LS2 7HY",10,429330,434340,"E92000001"\n',
        )
        archive.writestr("Data/CSV/sw.csv", '"SW1A 1AA",10,529090,179645,"E92000001"\n')
    return path


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_damaged_postcode_index_is_reported_when_it_may_not_rebuild(tmp_path, damage):
    path = tmp_path / "postcodes.parquet"
    geocode.build_postcode_index(_tiny_codepoint(tmp_path), path)
    if damage == "truncated":
        _truncate(path)
    else:
        path.write_bytes(os.urandom(3000))
    with pytest.raises(errors.CacheError) as err:
        geocode.load_postcode_index(path, build_if_missing=False)
    _assert_clear(err.value, path)


def test_damaged_postcode_index_is_rebuilt_from_code_point(tmp_path, monkeypatch):
    path = tmp_path / "postcodes.parquet"
    path.write_bytes(b"PAR1 not really parquet")
    monkeypatch.setattr(geocode, "_codepoint_zip", lambda: _tiny_codepoint(tmp_path))
    index = geocode.load_postcode_index(path)
    assert sorted(index.index) == ["LS1 1UR", "LS2 7HY", "SW1A 1AA"]
    assert index.loc["SW1A 1AA", "easting"] == 529090
    found = geocode.locate_postcodes(["sw1a1aa"], index)
    assert found["status"].tolist() == [geocode.STATUS_OK]


def test_damaged_postcode_index_without_code_point_is_reported(tmp_path, monkeypatch):
    path = tmp_path / "postcodes.parquet"
    path.write_bytes(b"PAR1 not really parquet")

    def missing():
        raise errors.DataError("missing input codepoint_open")

    monkeypatch.setattr(geocode, "_codepoint_zip", missing)
    with pytest.raises(errors.CacheError) as err:
        geocode.load_postcode_index(path)
    _assert_clear(err.value, path)


# --- national map geometry (.bin.gz chunks) --------------------------------------------------------


@pytest.fixture()
def static_copy(tmp_path) -> Path:
    src = national.STATIC_DIR / national.ASSET_SUBDIR
    if not (src / "lsoa_2025.json").exists():
        pytest.skip("national map assets not built: run `make data`")
    dest = tmp_path / "static"
    shutil.copytree(
        src, dest / national.ASSET_SUBDIR, ignore=lambda d, names: [n for n in names if "_2019" in n]
    )
    return dest


@pytest.mark.parametrize("damage", ["truncated gz", "flipped gz", "deleted twin", "stale twin"])
def test_damaged_map_geometry_is_detected_and_rebuilt(static_copy, atlas2025, damage):
    manifest = national.current_asset(static_copy, "2025", atlas2025)
    assert manifest is not None
    folder = static_copy / national.ASSET_SUBDIR
    chunk = folder / manifest["chunks"][2]["file"]
    originals = {p.name: p.read_bytes() for p in folder.glob("*.bin*")}
    twin = chunk.with_name(chunk.name.removesuffix(".gz"))
    if damage == "truncated gz":
        _truncate(chunk, 0.9)
    elif damage == "flipped gz":
        data = bytearray(chunk.read_bytes())
        data[len(data) // 2] ^= 0xFF
        chunk.write_bytes(bytes(data))
    elif damage == "deleted twin":
        twin.unlink()
    else:
        twin.write_bytes(twin.read_bytes()[:-100])
    assert national.current_asset(static_copy, "2025", atlas2025) is None

    national.add_national_layer(folium.Map(), atlas2025, "2025", "imd_decile", static_dir=static_copy)
    assert national.current_asset(static_copy, "2025", atlas2025) is not None
    assert {p.name: p.read_bytes() for p in folder.glob("*.bin*")} == originals  # rebuilt byte for byte


# --- a download killed mid-way ---------------------------------------------------------------------


class _Stalling(http.server.BaseHTTPRequestHandler):
    # large enough that the first half fills several of fetch's read chunks
    body = b"lsoa_code,value\n" + b"".join(
        b"E01%06d,%d\n" % (i % 999_999, i) for i in range(1, 4 * fetch.CHUNK_BYTES // 12)
    )
    first = threading.Event()

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        if not self.first.is_set():
            self.first.set()
            self.wfile.write(self.body[: len(self.body) // 2])
            self.wfile.flush()
            time.sleep(60)  # stall: the downloading process is killed meanwhile
            return
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_a_download_killed_mid_way_restarts_cleanly(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stalling)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/table.csv"
    dest = tmp_path / "raw" / "table.csv"
    code = (
        "import sys; from pathlib import Path; from geo_core20 import fetch; "
        "fetch.download(sys.argv[1], Path(sys.argv[2]), retries=0, progress=False, timeout=120)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, url, str(dest)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    try:
        deadline = time.monotonic() + 120
        while not any(p.stat().st_size > 0 for p in dest.parent.glob("table.csv.part-*")):
            assert proc.poll() is None and time.monotonic() < deadline, "download never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)  # no clean-up runs: a half-written .part file stays behind
        proc.wait(10)
        assert not dest.exists() and list(dest.parent.glob("table.csv.part-*"))
        size = fetch.download(url, dest, retries=1, progress=False)
        assert dest.read_bytes() == _Stalling.body and size == len(_Stalling.body)
    finally:
        proc.kill()
        server.shutdown()
        server.server_close()
