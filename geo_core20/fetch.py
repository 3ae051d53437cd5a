"""Get every input file into the local cache: skip if present, else copy from a mirror, else download.

Downloads are streamed with timeouts, retried with backoff on dropped connections and server errors,
and written atomically (``<dest>.part-<random>``, verified, then renamed), so an interrupted download
never leaves a half file under the final name. ONS ArcGIS FeatureServer query URLs are paged and merged
into one GeoJSON FeatureCollection.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import os
import shutil
import sys
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TypeVar
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit, urlunsplit

import requests
from tqdm import tqdm

from geo_core20 import atomic
from geo_core20.errors import DataError, DownloadError, RetryableError
from geo_core20.sources import Dataset

log = logging.getLogger(__name__)

MIRROR_ENV = "GEO_CORE20_MIRROR"
BACKOFF_SECONDS = 1.0  # first retry waits this long, then doubles (tests set it to 0)
MAX_BACKOFF_SECONDS = 30.0
CHUNK_BYTES = 1 << 20
ARCGIS_PAGE_SIZE = 2000  # ONS services cap pages at about 2,000 records
USER_AGENT = "geo_core20-fetch/1.0 (Core20PLUS5 atlas builder)"

T = TypeVar("T")


RETRYABLE = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
             RetryableError)


@dataclass(frozen=True)
class FetchResult:
    """What happened to one dataset."""

    dataset_id: str
    status: str  # "present" | "copied" | "downloaded" | "missing" | "optional" (absent, not needed)
    path: Path | None
    bytes: int
    message: str

    @property
    def ok(self) -> bool:
        return self.status != "missing"


# --- where files live ---------------------------------------------------------------------------

def default_mirrors() -> list[Path]:
    """Mirror folders from ``GEO_CORE20_MIRROR`` (os.pathsep-separated); empty if unset."""
    raw = os.environ.get(MIRROR_ENV, "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def is_arcgis_query(url: str) -> bool:
    return "/FeatureServer/" in url and "query?" in url


def _stem(filename: str) -> str:
    # "File_2.csv.gz" -> "File_2": strip every suffix, since the download's format replaces them all
    return filename.split(".", 1)[0]


def download_name(dataset: Dataset, url: str) -> str:
    """File name a download from ``url`` is stored under; its suffix tells readers the format."""
    if is_arcgis_query(url):
        # the content is GeoJSON whatever the mirror's file is, so the suffix must say so
        return _stem(dataset.filename) + ".geojson"
    parts = urlsplit(url)
    name = PurePosixPath(unquote(parts.path)).name.replace("\\", "_")
    if "." in name.strip("."):
        return name
    fmt = (parse_qs(parts.query).get("format") or parse_qs(parts.query).get("f") or [""])[0]
    return f"{_stem(dataset.filename)}.{fmt.lower()}" if fmt.isalnum() else dataset.filename


def _cache_root(dataset: Dataset, raw_dir: Path | None, boundaries_dir: Path | None) -> Path:
    root = dataset.dest(raw_dir, boundaries_dir)
    for _ in PurePosixPath(dataset.mirror_path).parts:
        root = root.parent
    return root


def download_path(dataset: Dataset, url: str, raw_dir: Path | None = None,
                  boundaries_dir: Path | None = None) -> Path:
    """``<cache root>/<dataset id>/<download name>``: kept apart from the mirror-layout file."""
    return _cache_root(dataset, raw_dir, boundaries_dir) / dataset.id / download_name(dataset, url)


def _converted(dataset: Dataset) -> bool:
    """Official downloads of this dataset are reshaped into the mirror's layout (Census bulk zips)."""
    from geo_core20 import census

    return dataset.id in census.CONVERTERS


def locate(dataset: Dataset, raw_dir: Path | None = None, boundaries_dir: Path | None = None) -> Path | None:
    """The cached file for ``dataset`` (mirror-layout name first, then official downloads), or None.

    A download that must be reshaped first (a Census bulk zip) only counts once converted.
    """
    candidates = [dataset.dest(raw_dir, boundaries_dir)]
    if not _converted(dataset):
        candidates += [download_path(dataset, u, raw_dir, boundaries_dir) for u in dataset.urls]
    for path in candidates:
        # an empty file is never a valid input; treat it as absent so it gets replaced
        if path.is_file() and path.stat().st_size > 0:
            return path
    return None


# --- verified atomic writes (geo_core20.atomic) and content checks ---------------------------------

def _verified_write(dest: Path):
    """``atomic.path`` for a fetched file: its content is checked before it replaces ``dest``."""
    return atomic.path(dest, check=lambda tmp: check_content(tmp, dest.name))


def check_content(path: Path, name: str | None = None) -> None:
    """Quick sanity check of a file's format, judged by the suffix of ``name`` (default: its own)."""
    name = (name or path.name).lower()
    size = path.stat().st_size
    if size == 0:
        raise DownloadError("file is empty")
    if name.endswith((".zip", ".xlsx", ".ods", ".docx")):
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise DownloadError(f"not a valid zip archive: {exc}") from None
        if bad:
            raise DownloadError(f"zip member {bad} is corrupt")
        return
    if name.endswith(".parquet"):
        with open(path, "rb") as fh:
            head = fh.read(4)
            fh.seek(max(size - 4, 0))
            tail = fh.read(4)
        if head != b"PAR1" or tail != b"PAR1":
            raise DownloadError("not a Parquet file (missing PAR1 magic at start or end)")
        return
    if name.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(64 * 1024)
        except (OSError, EOFError) as exc:
            raise DownloadError(f"not valid gzip: {exc}") from None
        name = name[:-3]
    else:
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:15].lower().startswith((b"<!doctype html", b"<html")) and not name.endswith((".html", ".htm")):
        raise DownloadError("got an HTML page instead of data (error, login or landing page?)")
    if name.endswith((".geojson", ".json", ".topojson")):
        if not text.startswith((b"{", b"[")):
            raise DownloadError("not JSON: does not start with '{' or '['")
    elif name.endswith((".csv", ".tsv", ".txt")) and (not text.split(b"\n", 1)[0].strip() or b"\x00" in head):
        raise DownloadError("not a text table: no header line")


# --- HTTP ---------------------------------------------------------------------------------------

def _with_retries(attempt: Callable[[], T], what: str, retries: int, backoff: float | None) -> T:
    """Call ``attempt``; on a transient error wait (exponential backoff) and try again, ``retries`` times."""
    wait = BACKOFF_SECONDS if backoff is None else backoff
    for n in range(retries + 1):
        try:
            return attempt()
        except RETRYABLE as exc:
            if n == retries:
                raise DownloadError(f"{what}: gave up after {retries + 1} attempts: {exc}") from exc
            delay = min(wait * 2**n, MAX_BACKOFF_SECONDS)
            log.warning("%s: %s; retrying in %.1f s (%d/%d)", what, exc, delay, n + 1, retries)
            time.sleep(delay)
    raise AssertionError("unreachable")


def new_session() -> requests.Session:
    """A session that identifies the app (some publishers refuse the default python-requests agent)."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def _raise_for_status(resp: requests.Response) -> None:
    if resp.status_code >= 500 or resp.status_code == 429:
        raise RetryableError(f"HTTP {resp.status_code} from {resp.url}")
    if resp.status_code >= 400:
        raise DownloadError(f"HTTP {resp.status_code} from {resp.url}")


def _timeouts(timeout: float) -> tuple[float, float]:
    # connecting should be quick; a slow server may legitimately pause between chunks for longer
    return (min(timeout, 15.0), timeout)


def _progress(desc: str, total: int | None, unit: str, progress: bool) -> tqdm:
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=unit == "B", unit_divisor=1024,
                file=sys.stderr, leave=False, disable=not (progress and sys.stderr.isatty()))


def _download_file_once(session: requests.Session, url: str, dest: Path, timeout: float,
                        progress: bool) -> int:
    with session.get(url, stream=True, timeout=_timeouts(timeout)) as resp:
        _raise_for_status(resp)
        length = resp.headers.get("Content-Length", "")
        encoded = resp.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity")
        # with Content-Encoding the body is decoded as it streams, so its size differs from Content-Length
        expected = int(length) if length.isdigit() and not encoded else None
        received = 0
        with _verified_write(dest) as tmp:
            with open(tmp, "xb") as out, _progress(dest.name, expected, "B", progress) as bar:
                for chunk in resp.iter_content(CHUNK_BYTES):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if expected is not None and received != expected:
                raise RetryableError(f"connection dropped: got {received:,} of {expected:,} bytes")
    return received


def _get_json(session: requests.Session, url: str, params: dict[str, str], timeout: float) -> dict:
    resp = session.get(url, params=params, timeout=_timeouts(timeout))
    _raise_for_status(resp)
    try:
        data = resp.json()
    except ValueError:
        raise RetryableError(f"unparseable JSON from {resp.url}") from None
    if not isinstance(data, dict):
        raise DownloadError(f"unexpected JSON from {resp.url}")
    if "error" in data:  # ArcGIS reports failures as HTTP 200 with an error object
        err = data["error"] or {}
        cls = RetryableError if int(err.get("code") or 0) >= 500 else DownloadError
        raise cls(f"ArcGIS error from {resp.url}: {err.get('message', err)}")
    return data


def _download_arcgis(session: requests.Session, url: str, dest: Path, timeout: float, retries: int,
                     backoff: float | None, progress: bool) -> int:
    """Page through a FeatureServer query and stream the features into one FeatureCollection."""
    parts = urlsplit(url)
    base = urlunsplit(parts._replace(query=""))
    params = dict(parse_qsl(parts.query, keep_blank_values=True)) | {"f": "geojson"}

    def get(extra: dict[str, str], what: str) -> dict:
        return _with_retries(functools.partial(_get_json, session, base, params | extra, timeout),
                             what, retries, backoff)

    try:  # the total lets us show progress and check that paging neither skipped nor repeated
        total = int(get({"returnCountOnly": "true", "f": "json"}, f"{base} (count)")["count"])
    except (DownloadError, KeyError, TypeError, ValueError):
        total = None
    count = 0
    with _verified_write(dest) as tmp:
        bar = _progress(dest.name, total, "features", progress)
        with open(tmp, "x", encoding="utf-8") as out, bar:
            out.write('{"type":"FeatureCollection","features":[')
            while True:
                page = get({"resultOffset": str(count), "resultRecordCount": str(ARCGIS_PAGE_SIZE)},
                           f"{base} (offset {count})")
                features = page.get("features") or []
                for feature in features:
                    out.write(("," if count else "") + "\n" + json.dumps(feature, separators=(",", ":")))
                    count += 1
                bar.update(len(features))
                more = page.get("exceededTransferLimit") or (page.get("properties") or {}).get(
                    "exceededTransferLimit")
                if not more:
                    break
                if not features:
                    raise DownloadError(f"{base}: server says more records remain but sent none")
            out.write("\n]}\n")
        if count == 0:
            raise DownloadError(f"{base}: query returned no features")
        if total is not None and count != total:
            raise DownloadError(f"{base}: paging returned {count:,} features but the server counts {total:,}")
    return dest.stat().st_size


def download(url: str, dest: Path, *, session: requests.Session | None = None, timeout: float = 60,
             retries: int = 3, backoff: float | None = None, progress: bool = True) -> int:
    """Download ``url`` to ``dest`` atomically; return bytes written. Raises DownloadError.

    ``dest`` is only ever replaced by a complete, verified file; on failure it is left untouched.
    """
    own = session is None
    session = session or new_session()
    try:
        if is_arcgis_query(url):
            return _download_arcgis(session, url, dest, timeout, retries, backoff, progress)
        attempt = functools.partial(_download_file_once, session, url, dest, timeout, progress)
        return _with_retries(attempt, url, retries, backoff)
    finally:
        if own:
            session.close()


# --- the fetch steps ----------------------------------------------------------------------------

def _copy_atomic(src: Path, dest: Path) -> int:
    with _verified_write(dest) as tmp:
        # copy content only: mirror files may be read-only, and the cache copy should not be
        with open(src, "rb") as fin, open(tmp, "xb") as fout:
            shutil.copyfileobj(fin, fout, CHUNK_BYTES)
        if tmp.stat().st_size != src.stat().st_size:
            raise DownloadError(f"copy of {src} is incomplete")
    return dest.stat().st_size


def _missing_message(dataset: Dataset, mirrors: list[Path], dest: Path, download_note: str,
                     raw_dir: Path | None, boundaries_dir: Path | None) -> str:
    if mirrors:
        searched = ", ".join(f"{m}{'' if m.is_dir() else ' (not a folder)'}" for m in mirrors)
        mirror_line = f"Mirror folders searched for {dataset.mirror_path}: {searched}."
    else:
        mirror_line = "No mirror folder was given."
    lines = [
        f"{dataset.id}: {dataset.filename} ({dataset.title}) is not available.",
        f"  Looked for it at {dest}.",
        f"  {mirror_line}",
        f"  To use a mirror, set {MIRROR_ENV}=DIR (several separated by '{os.pathsep}')"
        + f" or pass --mirror DIR, where DIR contains {dataset.mirror_path}.",
    ]
    if download_note:
        lines.append(f"  {download_note}")
    if dataset.urls:
        lines.append("  Official download: " + " ; ".join(dataset.urls))
        manual = download_path(dataset, dataset.urls[0], raw_dir, boundaries_dir)
        lines.append(f"  Or download it yourself and save it as {manual}.")
    else:
        lines.append(f"  No direct download URL is known; get it from {dataset.publisher}"
                     f" and save it as {dest}.")
    if dataset.landing_page:
        lines.append(f"  Landing page: {dataset.landing_page}")
    return "\n".join(lines)


def _convert(dataset: Dataset, source: Path, dest: Path, how: str) -> FetchResult:
    """Reshape an official Census bulk download into the mirror layout at ``dest``."""
    from geo_core20 import census

    try:
        census.convert_to_file(dataset.id, source, dest)
    except DataError as exc:
        return FetchResult(dataset.id, "missing", None, 0, f"{source.name}: {exc}")
    return FetchResult(dataset.id, "downloaded", dest, dest.stat().st_size,
                       f"{how}; reshaped from the Census bulk layout into {dest.name}")


def fetch_one(dataset: Dataset, mirrors: Iterable[Path], raw_dir: Path | None = None,
              boundaries_dir: Path | None = None, allow_download: bool = True, progress: bool = True,
              timeout: float = 60, retries: int = 3, session: requests.Session | None = None) -> FetchResult:
    """Make one dataset available locally: present, else mirror copy, else official download."""
    mirrors = [Path(m) for m in mirrors]
    found = locate(dataset, raw_dir, boundaries_dir)
    if found is not None:
        return FetchResult(dataset.id, "present", found, found.stat().st_size, f"already present at {found}")

    dest = dataset.dest(raw_dir, boundaries_dir)
    for mirror in mirrors:
        src = mirror / dataset.mirror_path
        if src.is_file():
            size = _copy_atomic(src, dest)
            return FetchResult(dataset.id, "copied", dest, size, f"copied from {src}")

    errors: list[str] = []
    if _converted(dataset):  # an earlier download not converted yet (or converted by an older reader)
        for url in dataset.urls:
            target = download_path(dataset, url, raw_dir, boundaries_dir)
            if target.is_file():
                result = _convert(dataset, target, dest, f"converted {target}")
                if result.ok:
                    return result
                errors.append(result.message)
    if allow_download and dataset.urls:
        own = session is None
        session = session or new_session()
        try:
            for url in dataset.urls:
                target = download_path(dataset, url, raw_dir, boundaries_dir)
                try:
                    size = download(url, target, session=session, timeout=timeout, retries=retries,
                                    progress=progress)
                except (DownloadError, requests.RequestException, OSError) as exc:
                    log.warning("%s: download from %s failed: %s", dataset.id, url, exc)
                    errors.append(f"{url}: {exc}")
                    continue
                note = f" (after failures: {'; '.join(errors)})" if errors else ""
                if _converted(dataset):
                    result = _convert(dataset, target, dest, f"downloaded from {url}{note}")
                    if result.ok:
                        return result
                    errors.append(result.message)
                    continue
                return FetchResult(dataset.id, "downloaded", target, size, f"downloaded from {url}{note}")
        finally:
            if own:
                session.close()

    if errors:
        note = "Download failed: " + " ; ".join(errors)
    elif not allow_download and dataset.urls:
        note = "Downloading was switched off (--no-download)."
    else:
        note = ""
    message = _missing_message(dataset, mirrors, dest, note, raw_dir, boundaries_dir)
    if dataset.optional:
        return FetchResult(dataset.id, "optional", None, 0,
                           "optional input not fetched (the app works without it): " + message)
    return FetchResult(dataset.id, "missing", None, 0, message)


def fetch_all(datasets: Iterable[Dataset], mirrors: Iterable[Path], raw_dir: Path | None = None,
              boundaries_dir: Path | None = None, allow_download: bool = True, progress: bool = True,
              timeout: float = 60, retries: int = 3) -> list[FetchResult]:
    """``fetch_one`` for each dataset, sharing one HTTP session; results in input order."""
    mirrors = list(mirrors)
    with new_session() as session:
        return [fetch_one(d, mirrors, raw_dir, boundaries_dir, allow_download, progress, timeout, retries,
                          session) for d in datasets]
