"""Tests for geo_core20.fetch: mirror copy, skip-if-present, missing messages, and the HTTP path
against a local http.server (no internet), including dropped connections, 5xx, timeouts and
ArcGIS paging."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from geo_core20 import errors, fetch
from geo_core20.sources import Dataset

MIRROR = Path("/work/shared/data/raw")
CSV_SRC = MIRROR / "healthyr/england_homelessness.csv"
JSON_SRC = MIRROR / "govuk_nhs_map/lookup_icb_ics_nhser.json"


# --- a local HTTP server with scripted behaviours -------------------------------------------------

Route = Callable[[BaseHTTPRequestHandler, int, dict[str, str]], None]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        server: _Server = self.server  # type: ignore[assignment]
        with server.lock:
            server.hits[parts.path] += 1
            n = server.hits[parts.path]
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        route = server.routes.get(parts.path)
        if route is None:
            _send(self, b"not found", status=404)
        else:
            route(self, n, params)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]
    hits: Counter
    lock: threading.Lock

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client hanging up on a slow or dropping handler is expected here


def _send(h: BaseHTTPRequestHandler, body: bytes, status: int = 200, ctype: str = "text/plain") -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def _send_half_and_drop(h: BaseHTTPRequestHandler, body: bytes) -> None:
    """Promise the full body in Content-Length, send half, then close the connection."""
    h.send_response(200)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body[: len(body) // 2])
    h.wfile.flush()
    h.close_connection = True


def ok(body: bytes) -> Route:
    return lambda h, n, q: _send(h, body)


def drop_first(body: bytes, times: int) -> Route:
    return lambda h, n, q: _send_half_and_drop(h, body) if n <= times else _send(h, body)


def error_first(body: bytes, times: int, status: int = 500) -> Route:
    return lambda h, n, q: _send(h, b"oops", status=status) if n <= times else _send(h, body)


def slow_first(body: bytes, times: int, seconds: float) -> Route:
    def route(h: BaseHTTPRequestHandler, n: int, q: dict[str, str]) -> None:
        if n <= times:
            time.sleep(seconds)
        _send(h, body)
    return route


def arcgis(features: list[dict], max_records: int, drop_pages: frozenset[int] = frozenset()) -> Route:
    """An ArcGIS FeatureServer query endpoint: caps pages at max_records, flags exceededTransferLimit."""
    seen: Counter = Counter()

    def route(h: BaseHTTPRequestHandler, n: int, q: dict[str, str]) -> None:
        assert q.get("where") == "1=1"  # the URL's own parameters are kept
        if q.get("returnCountOnly") == "true":
            _send(h, json.dumps({"count": len(features)}).encode(), ctype="application/json")
            return
        offset = int(q.get("resultOffset", 0))
        size = min(int(q.get("resultRecordCount", max_records)), max_records)
        page = features[offset: offset + size]
        body = {"type": "FeatureCollection", "features": page}
        if offset + size < len(features):
            body["properties"] = {"exceededTransferLimit": True}
        data = json.dumps(body).encode()
        seen[offset] += 1
        if offset in drop_pages and seen[offset] == 1:
            _send_half_and_drop(h, data)
        else:
            _send(h, data, ctype="application/geo+json")
    return route


@dataclass
class Web:
    server: _Server
    base: str
    routes: dict[str, Route] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        return self.server.hits[path]


@pytest.fixture
def web() -> Iterator[Web]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.routes, server.hits, server.lock = {}, Counter(), threading.Lock()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield Web(server, f"http://127.0.0.1:{server.server_address[1]}", server.routes)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch, "BACKOFF_SECONDS", 0.0)


@pytest.fixture
def csv_bytes(tmp_path: Path) -> bytes:
    """A copy of a small real mirror CSV (copied at test time, never committed)."""
    if not CSV_SRC.is_file():
        pytest.skip(f"mirror file {CSV_SRC} not available")
    copy = tmp_path / "src" / CSV_SRC.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(CSV_SRC, copy)
    return copy.read_bytes()


@pytest.fixture
def json_bytes(tmp_path: Path) -> bytes:
    if not JSON_SRC.is_file():
        pytest.skip(f"mirror file {JSON_SRC} not available")
    copy = tmp_path / "src" / JSON_SRC.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(JSON_SRC, copy)
    return copy.read_bytes()


def _dataset(urls: tuple[str, ...] = (), mirror_path: str = "healthyr/england_homelessness.csv",
             kind: str = "table", landing_page: str = "https://example.org/landing") -> Dataset:
    return Dataset(id="homeless", title="Homelessness test table", mirror_path=mirror_path,
                   publisher="Test Publisher", vintage="2024", licence="OGL", attribution="Test.",
                   urls=urls, landing_page=landing_page, kind=kind)


def _dirs(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "cache" / "raw", tmp_path / "cache" / "boundaries"


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if ".part-" in p.name]


# --- mirrors, skip, missing ---------------------------------------------------------------------

def test_default_mirrors_reads_env_list(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(fetch.MIRROR_ENV, raising=False)
    assert fetch.default_mirrors() == []
    a, b = tmp_path / "a", tmp_path / "b"
    monkeypatch.setenv(fetch.MIRROR_ENV, f"{a}{fetch.os.pathsep}{fetch.os.pathsep}{b}")
    assert fetch.default_mirrors() == [a, b]


def test_copies_from_first_mirror_that_has_the_file(tmp_path: Path, csv_bytes: bytes) -> None:
    raw, bnd = _dirs(tmp_path)
    empty, good, other = tmp_path / "m_empty", tmp_path / "m_good", tmp_path / "m_other"
    empty.mkdir()
    for mirror, content in ((good, csv_bytes), (other, b"a,b\n1,2\n")):
        (mirror / "healthyr").mkdir(parents=True)
        (mirror / "healthyr/england_homelessness.csv").write_bytes(content)
    (good / "healthyr/england_homelessness.csv").chmod(0o444)  # like the read-only shared mirror

    res = fetch.fetch_one(_dataset(), [tmp_path / "nowhere", empty, good, other], raw, bnd, progress=False)

    dest = raw / "healthyr/england_homelessness.csv"
    assert (res.status, res.path, res.bytes) == ("copied", dest, len(csv_bytes))
    assert str(good) in res.message
    assert dest.read_bytes() == csv_bytes
    dest.write_bytes(b"x")  # the cached copy is ours to replace, even though the mirror file is read-only
    assert _leftovers(tmp_path) == []


def test_skips_a_file_already_present(tmp_path: Path, web: Web) -> None:
    raw, bnd = _dirs(tmp_path)
    dest = _dataset().dest(raw, bnd)
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"code,value\nE1,1\n")
    mirror = tmp_path / "m" / "healthyr"
    mirror.mkdir(parents=True)
    (mirror / "england_homelessness.csv").write_bytes(b"different\n")
    web.routes["/x.csv"] = ok(b"also,different\n")

    res = fetch.fetch_one(_dataset((web.url("/x.csv"),)), [tmp_path / "m"], raw, bnd, progress=False)

    assert (res.status, res.path) == ("present", dest)
    assert dest.read_bytes() == b"code,value\nE1,1\n"
    assert web.hits("/x.csv") == 0


def test_boundary_kind_goes_under_boundaries_dir(tmp_path: Path) -> None:
    raw, bnd = _dirs(tmp_path)
    (tmp_path / "m/geo").mkdir(parents=True)
    (tmp_path / "m/geo/b.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    res = fetch.fetch_one(_dataset(mirror_path="geo/b.geojson", kind="boundary"), [tmp_path / "m"], raw, bnd)
    assert res.status == "copied" and res.path == bnd / "geo/b.geojson"


def test_missing_message_says_what_where_and_how(tmp_path: Path) -> None:
    raw, bnd = _dirs(tmp_path)
    m1 = tmp_path / "mirror1"
    m1.mkdir()
    url = "https://assets.example.gov.uk/media/abc/File_7_IoD2025.csv"
    res = fetch.fetch_one(_dataset((url,)), [m1, tmp_path / "absent"], raw, bnd, allow_download=False)

    assert res.status == "missing" and res.path is None and not res.ok
    msg = res.message
    for needle in ("england_homelessness.csv", str(raw / "healthyr/england_homelessness.csv"), str(m1),
                   f"{tmp_path / 'absent'} (not a folder)", "GEO_CORE20_MIRROR", "--mirror",
                   "healthyr/england_homelessness.csv", url, "https://example.org/landing", "--no-download",
                   str(raw / "homeless" / "File_7_IoD2025.csv")):
        assert needle in msg, needle


def test_missing_without_url_points_to_publisher(tmp_path: Path) -> None:
    raw, bnd = _dirs(tmp_path)
    res = fetch.fetch_one(_dataset(landing_page=""), [], raw, bnd)
    assert res.status == "missing"
    assert "No mirror folder was given" in res.message
    assert "Test Publisher" in res.message and "No direct download URL" in res.message


def test_download_names_follow_the_content_format() -> None:
    d = _dataset(mirror_path="geographr/lookup_lsoa21_icb24.csv")
    arc = "https://s.arcgis.com/x/rest/services/LU/FeatureServer/0/query?where=1%3D1&outFields=*&f=geojson"
    assert fetch.download_name(d, arc) == "lookup_lsoa21_icb24.geojson"
    assert fetch.download_name(d, "https://a.gov.uk/media/1/File%207.csv") == "File 7.csv"
    api = "https://a.com/api/downloads/data?format=csv&x=1"
    assert fetch.download_name(d, api) == "lookup_lsoa21_icb24.csv"
    assert fetch.download_name(d, "https://a.com/items/abc/data") == "lookup_lsoa21_icb24.csv"
    assert fetch.download_name(d, "https://a.com/%2E%2E") == "lookup_lsoa21_icb24.csv"  # no escaping the dir


# --- HTTP downloads -----------------------------------------------------------------------------

def test_downloads_then_finds_it_next_time(tmp_path: Path, web: Web, csv_bytes: bytes) -> None:
    raw, bnd = _dirs(tmp_path)
    web.routes["/media/File_7.csv"] = ok(csv_bytes)
    d = _dataset((web.url("/media/File_7.csv"),))

    res = fetch.fetch_one(d, [], raw, bnd, progress=False)

    assert res.status == "downloaded"
    assert res.path == raw / "homeless" / "File_7.csv"
    assert res.path.read_bytes() == csv_bytes and res.bytes == len(csv_bytes)
    assert fetch.locate(d, raw, bnd) == res.path
    again = fetch.fetch_one(d, [], raw, bnd, progress=False)
    assert (again.status, again.path) == ("present", res.path)
    assert web.hits("/media/File_7.csv") == 1


def test_dropped_connection_is_retried_until_complete(tmp_path: Path, web: Web, json_bytes: bytes) -> None:
    raw, bnd = _dirs(tmp_path)
    web.routes["/lookup.json"] = drop_first(json_bytes, times=2)

    res = fetch.fetch_one(_dataset((web.url("/lookup.json"),)), [], raw, bnd, progress=False, retries=3)

    assert res.status == "downloaded"
    assert res.path.read_bytes() == json_bytes
    assert web.hits("/lookup.json") == 3
    assert _leftovers(tmp_path) == []


def test_connection_that_always_drops_leaves_nothing(tmp_path: Path, web: Web, csv_bytes: bytes) -> None:
    raw, bnd = _dirs(tmp_path)
    web.routes["/t.csv"] = drop_first(csv_bytes, times=99)
    d = _dataset((web.url("/t.csv"),))

    res = fetch.fetch_one(d, [], raw, bnd, progress=False, retries=2)

    assert res.status == "missing" and res.path is None
    assert web.url("/t.csv") in res.message and "3 attempts" in res.message
    assert web.hits("/t.csv") == 3
    assert not (raw / "homeless" / "t.csv").exists()
    assert fetch.locate(d, raw, bnd) is None
    assert _leftovers(tmp_path) == []


def test_server_error_then_ok(tmp_path: Path, web: Web, csv_bytes: bytes) -> None:
    raw, bnd = _dirs(tmp_path)
    web.routes["/t.csv"] = error_first(csv_bytes, times=1, status=500)
    res = fetch.fetch_one(_dataset((web.url("/t.csv"),)), [], raw, bnd, progress=False)
    assert res.status == "downloaded" and res.path.read_bytes() == csv_bytes
    assert web.hits("/t.csv") == 2


def test_client_error_is_final_and_next_url_is_tried(tmp_path: Path, web: Web, csv_bytes: bytes) -> None:
    raw, bnd = _dirs(tmp_path)
    web.routes["/good.csv"] = ok(csv_bytes)
    d = _dataset((web.url("/gone.csv"), web.url("/good.csv")))

    res = fetch.fetch_one(d, [], raw, bnd, progress=False, retries=3)

    assert web.hits("/gone.csv") == 1  # 404 is final
    assert res.status == "downloaded" and res.path.name == "good.csv"
    assert "404" in res.message


def test_timeout_is_retried(tmp_path: Path, web: Web, csv_bytes: bytes) -> None:
    raw, bnd = _dirs(tmp_path)
    web.routes["/slow.csv"] = slow_first(csv_bytes, times=1, seconds=1.5)
    d = _dataset((web.url("/slow.csv"),))

    res = fetch.fetch_one(d, [], raw, bnd, progress=False, timeout=0.3, retries=1)

    assert res.status == "downloaded" and res.path.read_bytes() == csv_bytes
    assert web.hits("/slow.csv") == 2


def test_timeout_gives_up(tmp_path: Path, web: Web, csv_bytes: bytes) -> None:
    raw, bnd = _dirs(tmp_path)
    web.routes["/slow.csv"] = slow_first(csv_bytes, times=99, seconds=1.5)
    started = time.monotonic()

    res = fetch.fetch_one(_dataset((web.url("/slow.csv"),)), [], raw, bnd, progress=False, timeout=0.2,
                          retries=0)

    assert time.monotonic() - started < 1.2
    assert res.status == "missing" and "timed out" in res.message.lower()
    assert _leftovers(tmp_path) == [] and not list((raw / "homeless").glob("slow.csv*"))


def test_html_page_instead_of_data_is_rejected(tmp_path: Path, web: Web) -> None:
    raw, bnd = _dirs(tmp_path)
    web.routes["/t.csv"] = ok(b"\n<!DOCTYPE html><html><body>Sign in</body></html>")
    res = fetch.fetch_one(_dataset((web.url("/t.csv"),)), [], raw, bnd, progress=False)
    assert res.status == "missing" and "HTML" in res.message
    assert not (raw / "homeless" / "t.csv").exists() and _leftovers(tmp_path) == []


def test_failed_download_never_overwrites_a_good_file(tmp_path: Path, web: Web, csv_bytes: bytes) -> None:
    dest = tmp_path / "out" / "t.csv"
    dest.parent.mkdir()
    dest.write_bytes(b"good,file\n1,2\n")
    web.routes["/drop.csv"] = drop_first(csv_bytes, times=99)
    web.routes["/err.csv"] = error_first(csv_bytes, times=99, status=503)
    web.routes["/html.csv"] = ok(b"<html>error</html>")

    for path in ("/drop.csv", "/err.csv", "/html.csv"):
        with pytest.raises(errors.DownloadError):
            fetch.download(web.url(path), dest, retries=1, progress=False)
        assert dest.read_bytes() == b"good,file\n1,2\n", path
    assert _leftovers(tmp_path) == []

    web.routes["/ok.csv"] = ok(csv_bytes)  # a successful download does replace it
    assert fetch.download(web.url("/ok.csv"), dest, progress=False) == len(csv_bytes)
    assert dest.read_bytes() == csv_bytes


# --- ArcGIS paging ------------------------------------------------------------------------------

def _features(n: int) -> list[dict]:
    return [{"type": "Feature", "properties": {"LSOA21CD": f"E0100{i:04d}", "FID": i},
             "geometry": {"type": "Point", "coordinates": [-1.5 + i / 100, 52.0]}} for i in range(n)]


ARC_PATH = "/arcgis/rest/services/LU/FeatureServer/0/query"
ARC_QUERY = "?where=1%3D1&outFields=*&f=geojson"


def test_arcgis_pages_are_merged(tmp_path: Path, web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    raw, bnd = _dirs(tmp_path)
    feats = _features(5)
    web.routes[ARC_PATH] = arcgis(feats, max_records=2)
    monkeypatch.setattr(fetch, "ARCGIS_PAGE_SIZE", 2)
    d = _dataset((web.url(ARC_PATH + ARC_QUERY),), mirror_path="geographr/lookup_lsoa21_icb24.csv")

    res = fetch.fetch_one(d, [], raw, bnd, progress=False)

    assert res.status == "downloaded" and res.path == raw / "homeless" / "lookup_lsoa21_icb24.geojson"
    merged = json.loads(res.path.read_text())
    assert merged["type"] == "FeatureCollection" and merged["features"] == feats
    assert web.hits(ARC_PATH) == 1 + 3  # the count query plus three pages
    assert fetch.locate(d, raw, bnd) == res.path


def test_arcgis_server_page_cap_smaller_than_requested(tmp_path: Path, web: Web) -> None:
    feats = _features(7)
    web.routes[ARC_PATH] = arcgis(feats, max_records=3, drop_pages=frozenset({3}))  # page 2 drops once
    dest = tmp_path / "x.geojson"
    fetch.download(web.url(ARC_PATH + ARC_QUERY), dest, progress=False)
    assert json.loads(dest.read_text())["features"] == feats
    assert web.hits(ARC_PATH) == 1 + 3 + 1


def test_arcgis_error_object_fails_cleanly(tmp_path: Path, web: Web) -> None:
    raw, bnd = _dirs(tmp_path)
    body = json.dumps({"error": {"code": 400, "message": "Invalid query parameters"}}).encode()
    web.routes[ARC_PATH] = ok(body)
    d = _dataset((web.url(ARC_PATH + ARC_QUERY),))
    res = fetch.fetch_one(d, [], raw, bnd, progress=False)
    assert res.status == "missing" and "Invalid query parameters" in res.message
    assert fetch.locate(d, raw, bnd) is None and _leftovers(tmp_path) == []


# --- content checks -----------------------------------------------------------------------------

def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.csv", "pcd,x,y\n" * 2000)
    return buf.getvalue()


@pytest.mark.parametrize(("name", "content", "good"), [
    ("a.csv", b"\xef\xbb\xbfcode,value\nE1,1\n", True),
    ("a.csv", b"", False),
    ("a.csv", b"\n\n", False),
    ("a.csv", b"PK\x03\x04\x00\x00binary", False),
    ("a.geojson", b'  {"type": "FeatureCollection"}', True),
    ("a.json", b"[1, 2]", True),
    ("a.geojson", b"type,FeatureCollection\n", False),
    ("a.zip", _zip_bytes(), True),
    ("a.xlsx", _zip_bytes()[:-30], False),  # truncated: central directory gone
    ("a.csv.gz", gzip.compress(b"code,value\nE1,1\n"), True),
    ("a.csv.gz", b"code,value\n", False),
    ("a.parquet", b"PAR1" + b"\x00" * 20 + b"PAR1", True),
    ("a.parquet", b"PAR1" + b"\x00" * 20, False),
])
def test_check_content(tmp_path: Path, name: str, content: bytes, good: bool) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    if good:
        fetch.check_content(path)
    else:
        with pytest.raises(errors.DownloadError):
            fetch.check_content(path)


def test_fetch_all_keeps_order_and_reports_each(tmp_path: Path) -> None:
    raw, bnd = _dirs(tmp_path)
    (tmp_path / "m/geo").mkdir(parents=True)
    (tmp_path / "m/geo/a.csv").write_text("a,b\n1,2\n")
    ds = [_dataset(mirror_path="geo/missing.csv"), _dataset(mirror_path="geo/a.csv")]
    results = fetch.fetch_all(ds, [tmp_path / "m"], raw, bnd, allow_download=False, progress=False)
    assert [r.status for r in results] == ["missing", "copied"]
