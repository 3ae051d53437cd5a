"""Saved outreach plans: an embedded SQLite store, share-link ids, GeoPackage and CSV exports.

A plan is the JSON of `siting.PlanResult.to_dict()` plus a name. Each save is one transaction
(BEGIN IMMEDIATE ... COMMIT) in WAL mode with a busy timeout, so a crash mid-save leaves every
earlier plan intact and two sessions saving at once both succeed (one waits for the other).
A SHA-256 of the stored JSON is checked on every read.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import secrets
import shlex
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import pandas as pd
import pyogrio

from geo_core20 import access, atomic, schema, siting, sources, tables
from geo_core20.errors import InputError, PlanStoreError

DEFAULT_PATH = sources.DATA_DIR / "plans.sqlite"
PATH_ENV = "GEO_CORE20_PLANS_DB"  # overrides DEFAULT_PATH (tests, or a shared network location)
STORE_ENV = "GEO_CORE20_PLAN_STORE"  # a PostgreSQL URL (several app processes) or an SQLite path
SCHEMA_VERSION = 1
ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: ids are read aloud and retyped
ID_LENGTH = 10
_ID_RE = re.compile(f"^[{ID_ALPHABET}]{{{ID_LENGTH}}}$")
MAX_NAME = 120
BUSY_TIMEOUT_MS = 30_000
RETRY_SECONDS = 60.0  # how long an operation keeps retrying while another process holds the store
SQLITE_HEADER = b"SQLite format 3\x00"
T = TypeVar("T")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plans (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    vintage TEXT, level TEXT, area_code TEXT, area_name TEXT,
    target TEXT, target_label TEXT, objective TEXT,
    radius_km REAL, k INTEGER,
    covered_population REAL, total_target_population REAL,
    payload TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS plans_saved_at ON plans (saved_at);
CREATE TABLE IF NOT EXISTS plan_sites (
    plan_id TEXT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    fixed INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    code TEXT NOT NULL, name TEXT, lon REAL, lat REAL, easting REAL, northing REAL,
    covered_population REAL,
    PRIMARY KEY (plan_id, position)
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');
"""


def new_id() -> str:
    """A random share-link id: 10 characters from a 32-letter alphabet (50 bits)."""
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


def is_plan_id(text: object) -> bool:
    """Whether ``text`` looks like a plan id (checked before touching the database)."""
    return isinstance(text, str) and bool(_ID_RE.match(text))


def clean_name(name: object) -> str:
    """A plan name: control characters removed, whitespace collapsed, at most MAX_NAME characters."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(name or ""))
    text = re.sub(r"\s+", " ", text).strip()[:MAX_NAME]
    if not text:
        raise InputError("a plan needs a name")
    return text


@dataclass(frozen=True)
class SavedPlan:
    """One stored plan: id, name, save time and the plan's record (``PlanResult.to_dict()``).

    ``data`` is the record as saved (any schema version); ``plan`` is it read as a typed
    `siting.PlanResult` (older records included).
    """

    id: str
    name: str
    saved_at: str
    data: dict

    @property
    def summary(self) -> dict:
        return self.data.get("summary", {})

    @property
    def request(self) -> dict:
        """The request as saved (a dict; ``plan.request`` is the typed `siting.PlanRequest`)."""
        return self.data.get("request", {})

    @cached_property
    def plan(self) -> siting.PlanResult:
        return siting.PlanResult.from_dict(self.data)

    def sites(self) -> pd.DataFrame:
        """Fixed then chosen sites with their figures."""
        return self.plan.siting.sites


def _busy(exc: BaseException) -> bool:
    """SQLITE_BUSY/SQLITE_LOCKED: another connection holds the lock (worth retrying)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _damage_words(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(w in text for w in ("not a database", "malformed", "disk image", "file is encrypted"))


class PlanStore:
    """The plan store in one SQLite file (created on first use).

    A damaged file (not SQLite, cut short, failing SQLite's quick check) raises PlanStoreError and
    is never written to. Every operation retries for up to ``retry_seconds`` while another
    process holds the write lock (on top of SQLite's own busy timeout, which does not cover
    every case: e.g. a connection closing the last handle on a WAL database briefly locks it).
    """

    def __init__(self, path: str | Path | None = None, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
                 retry_seconds: float = RETRY_SECONDS) -> None:
        self.path = Path(path) if path is not None else Path(os.environ.get(PATH_ENV) or DEFAULT_PATH)
        self.busy_timeout_ms = int(busy_timeout_ms)
        self.retry_seconds = float(retry_seconds)
        self._ready = False

    def _damaged(self, detail: str) -> PlanStoreError:
        return PlanStoreError(
            f"The plan store {self.path} is damaged: {detail}. It has been left exactly as it is, so nothing "
            "more is lost. Move it aside (rename it) to start a new, empty store, or restore it from a "
            "backup "
            f"('sqlite3 {self.path.name} .recover' may rescue the plans in it).")

    def _check_file(self) -> None:
        """Refuse a file that is not an SQLite database or is shorter than its header says."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return  # no store yet (SQLite treats an empty file as an empty database too)
        size = self.path.stat().st_size
        with open(self.path, "rb") as f:
            head = f.read(100)
        if len(head) < 100 or not head.startswith(SQLITE_HEADER):
            raise self._damaged("it is not an SQLite database (its header is wrong or cut short)")
        page_size = int.from_bytes(head[16:18], "big")
        page_size = 65_536 if page_size == 1 else page_size
        pages = int.from_bytes(head[28:32], "big")
        header_valid = head[24:28] == head[92:96]  # the page count is valid only when these agree
        # A process killed mid-checkpoint can leave the file shorter than its header while the
        # write-ahead log still holds every page: SQLite replays it, and its quick check decides.
        wal = self.path.with_name(self.path.name + "-wal")
        replayable = wal.exists() and wal.stat().st_size > 0
        if header_valid and pages and size < page_size * pages and not replayable:
            raise self._damaged(f"it is cut short ({size:,} bytes of the {page_size * pages:,} its header "
                                "records)")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            if self._ready and not self.path.exists():
                self._ready = False  # moved aside while the app runs: start a new, empty store
            if not self._ready:
                self._check_file()
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a folder that cannot be made, a file that cannot be read
            raise PlanStoreError(f"The plan store {self.path} cannot be used: {exc}") from exc
        # autocommit mode: transactions are explicit (BEGIN IMMEDIATE) so each save is one unit
        con = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None)
        try:
            try:
                con.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
                if not self._ready:
                    self._open_schema(con)
                con.execute("PRAGMA synchronous = FULL")  # a committed plan survives a power cut too
                con.execute("PRAGMA foreign_keys = ON")
                yield con
            except sqlite3.DatabaseError as exc:
                if _busy(exc) or isinstance(exc, sqlite3.IntegrityError):
                    raise
                if _damage_words(exc):
                    raise self._damaged(str(exc)) from exc
                raise PlanStoreError(f"The plan store {self.path} cannot be used: {exc}") from exc
        finally:
            con.close()

    def _open_schema(self, con: sqlite3.Connection) -> None:
        """Check an existing store (quick check, schema version) or create a new one."""
        check = con.execute("PRAGMA quick_check").fetchall()
        if [tuple(r) for r in check] != [("ok",)]:
            raise self._damaged("SQLite's check found " + "; ".join(str(r[0]) for r in check[:3]))
        has_meta = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        if not has_meta:
            con.execute("PRAGMA journal_mode = WAL")  # persistent: set once, when the store is created
            con.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    con.execute(statement)
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if version and int(version[0]) > SCHEMA_VERSION:
            raise PlanStoreError(f"{self.path} was written by a newer version (schema {version[0]})")
        self._ready = True

    def _transient(self, exc: BaseException) -> bool | None:
        """True: worth retrying (the store is busy); False: a fault of the store; None: not the store's."""
        if isinstance(exc, sqlite3.OperationalError):
            return _busy(exc)
        return None

    def _busy_message(self, exc: BaseException) -> str:
        return (f"The plan store is busy: another save has held it for over {self.retry_seconds:g} s. "
                "Try again in a moment.")

    def _retry(self, operation: Callable[[], T]) -> T:
        """Run ``operation``, again after a short random wait while the store is busy (both backends)."""
        deadline = time.monotonic() + self.retry_seconds
        wait = 0.05
        while True:
            try:
                return operation()
            except Exception as exc:
                transient = self._transient(exc)
                if transient is None:
                    raise
                if not transient:
                    raise PlanStoreError(f"The plan store {self.path} cannot be used: {exc}") from exc
                if time.monotonic() + wait > deadline:
                    raise PlanStoreError(self._busy_message(exc)) from exc
                time.sleep(wait * (0.5 + random.random()))
                wait = min(wait * 2, 1.0)

    def save(self, plan: siting.PlanResult | dict, name: str, *,
             _before_commit: Callable[[], None] | None = None) -> str:
        """Store a plan (a PlanResult or its dict) under ``name``; returns its new id.

        ``_before_commit`` is a test hook run inside the open transaction (to simulate a crash).
        """
        data = plan.to_dict() if isinstance(plan, siting.PlanResult) else dict(plan)
        record = plan if isinstance(plan, siting.PlanResult) else siting.PlanResult.from_dict(data)
        title = clean_name(name)
        try:
            payload = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
        except ValueError as exc:  # NaN or infinity: JSON cannot hold it, so the plan could not be reopened
            raise PlanStoreError(f"this plan cannot be stored: {exc}") from exc
        digest = hashlib.sha256(payload.encode()).hexdigest()
        req, s = record.request, record.siting
        sites = [*data.get("siting", {}).get("fixed", []), *data.get("siting", {}).get("chosen", [])]
        saved_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        row = (title, saved_at, req.vintage, req.level, req.area_code, record.area_name, req.target.key(),
               record.target_label, req.objective, req.radius_km, req.k, s.covered_population,
               s.total_target_population, payload, digest)
        return self._retry(lambda: self._insert(row, sites, _before_commit))

    def _insert(self, row: tuple, sites: list[dict], before_commit: Callable[[], None] | None) -> str:
        with self._connect() as con:
            for _ in range(5):
                plan_id = new_id()
                con.execute("BEGIN IMMEDIATE")
                try:
                    con.execute(
                        "INSERT INTO plans (id, name, saved_at, vintage, level, area_code, area_name, "
                        "target, target_label, objective, radius_km, k, covered_population, "
                        "total_target_population, payload, payload_sha256) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (plan_id, *row))
                    con.executemany(
                        "INSERT INTO plan_sites (plan_id, position, fixed, rank, code, name, lon, lat, "
                        "easting, northing, covered_population) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(plan_id, i, int(bool(s.get("fixed"))), int(s.get("rank") or 0),
                          str(s.get("candidate_id")), s.get("name"), s.get("lon"), s.get("lat"),
                          s.get("easting"), s.get("northing"), s.get("covered_population"))
                         for i, s in enumerate(sites)])
                    if before_commit is not None:
                        before_commit()
                    con.execute("COMMIT")
                    return plan_id
                except sqlite3.IntegrityError as exc:
                    con.execute("ROLLBACK")
                    if "plans.id" not in str(exc):
                        raise
                    # an id collision (about 1 in 10^15 per pair of plans): draw another id
                except BaseException:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                    raise
        raise PlanStoreError("could not allocate a plan id")

    def list(self, limit: int = 500) -> pd.DataFrame:
        """Saved plans, newest first (no payloads)."""
        def read() -> pd.DataFrame:
            with self._connect() as con:
                return pd.read_sql_query(
                    "SELECT id, name, saved_at, vintage, level, area_code, area_name, target, target_label, "
                    "objective, radius_km, k, covered_population, total_target_population FROM plans "
                    "ORDER BY saved_at DESC, id LIMIT ?", con, params=(int(limit),))

        frame = self._retry(read)
        total = frame["total_target_population"].astype(float)
        frame["covered_share"] = (frame["covered_population"].astype(float) / total).where(total > 0, 0.0)
        return frame

    def get(self, plan_id: str) -> SavedPlan | None:
        """The plan with this id, or None (also for malformed ids)."""
        if not is_plan_id(plan_id):
            return None

        def read() -> tuple | None:
            with self._connect() as con:
                return con.execute("SELECT id, name, saved_at, payload, payload_sha256 FROM plans "
                                   "WHERE id = ?",
                                   (plan_id,)).fetchone()

        row = self._retry(read)
        if row is None:
            return None
        if hashlib.sha256(row[3].encode()).hexdigest() != row[4]:
            raise PlanStoreError(f"plan {plan_id} is damaged (checksum mismatch)")
        return SavedPlan(row[0], row[1], row[2], json.loads(row[3]))

    def delete(self, plan_id: str) -> bool:
        """Delete a plan; True if it existed."""
        if not is_plan_id(plan_id):
            return False

        def remove() -> int:
            with self._connect() as con:
                con.execute("BEGIN IMMEDIATE")
                try:
                    cur = con.execute("DELETE FROM plans WHERE id = ?", (plan_id,))
                    con.execute("COMMIT")
                except BaseException:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                    raise
                return cur.rowcount

        return self._retry(remove) > 0

    def count(self) -> int:
        def read() -> int:
            with self._connect() as con:
                return int(con.execute("SELECT COUNT(*) FROM plans").fetchone()[0])

        return self._retry(read)

    def integrity_check(self) -> str:
        """SQLite's own integrity check ('ok' when sound)."""
        def read() -> str:
            with self._connect() as con:
                return str(con.execute("PRAGMA integrity_check").fetchone()[0])

        return self._retry(read)


def open_store(location: str | Path | None = None) -> PlanStore:
    """The plan store the app uses: ``location``, else ``$GEO_CORE20_PLAN_STORE``, else the SQLite file.

    ``postgresql://user:password@host:port/db`` (or ``postgres://``) selects the PostgreSQL store, which
    several app processes or machines can share; anything else is an SQLite path (the embedded default,
    ``data/plans.sqlite``, or ``$GEO_CORE20_PLANS_DB``).
    """
    where = location if location is not None else (os.environ.get(STORE_ENV) or None)
    if where is not None and str(where).startswith(("postgresql://", "postgres://")):
        return _store_at("postgresql", str(where))
    path = Path(where) if where is not None else Path(os.environ.get(PATH_ENV) or DEFAULT_PATH)
    return _store_at("sqlite", str(path))


@lru_cache(maxsize=16)
def _store_at(kind: str, location: str) -> PlanStore:
    """One store object per location in a process, so its check on first use (SQLite's quick check, the
    schema) runs once, not on every script run that lists or opens plans. Both stores connect per
    operation and hold no connection, so threads may share the object."""
    if kind == "postgresql":
        from geo_core20.plan_store_pg import PostgresPlanStore

        return PostgresPlanStore(location)
    return PlanStore(location)


# --- exports -------------------------------------------------------------------------------------

def metadata(saved: SavedPlan) -> list[tuple[str, str]]:
    """(item, value) pairs describing a plan, for export headers and the metadata layer."""
    rec = saved.plan
    req, s = rec.request, rec.siting
    radius = access.format_cost(req.radius, req.unit)
    mean = access.format_cost(s.mean_cost, req.unit, decimals=2, missing="unreachable for some")
    items = [
        ("plan_id", saved.id), ("plan_name", saved.name), ("saved_at", saved.saved_at),
        ("area", f"{rec.area_name} ({req.area_code or 'England'})"),
        ("level", req.level), ("target", rec.target_label or req.target.key()),
        ("focus", req.target.focus or "none"),
        ("objective", req.objective), ("radius", radius), ("k", str(req.k)),
        ("site_types", ",".join(req.site_types)), ("candidates", req.candidates),
        ("fixed_sites", ",".join(req.fixed_site_codes)),
        ("target_population_covered", f"{s.covered_population:,.0f}"),
        ("total_target_population", f"{s.total_target_population:,.0f}"),
        ("covered_share", f"{s.covered_share:.1%}"), ("mean_distance_to_nearest_site", mean),
        ("solver_status", s.status),
        ("imd_vintage", schema.IMD_LABEL.get(req.vintage, req.vintage)),
        ("existing_sites_covered_population", f"{rec.existing.covered_population:,.0f}"),
    ]
    if rec.equity is not None:
        items += [("covered_living_in_core20", f"{rec.equity.covered_core20_share:.1%}"),
                  ("target_living_in_core20", f"{rec.equity.target_core20_share:.1%}")]
    return items


def _attribution(saved: SavedPlan) -> list[str]:
    lines = saved.plan.attribution
    return sources.merge_attribution(lines or sources.attribution_lines())


def _site_table(saved: SavedPlan) -> pd.DataFrame:
    sites = saved.sites()
    cols = ["rank", "fixed", "candidate_id", "name", "where", "site_type", "address", "town", "postcode",
            "lon", "lat", "easting", "northing", "covered_population", "unique_population",
            "assigned_population"]
    sites = sites.assign(where=siting.site_where(sites))  # address or town and postcode where known
    out = sites[[c for c in cols if c in sites.columns]].rename(columns={"candidate_id": "code"})
    return out


def _notes(saved: SavedPlan) -> list[tables.Note]:
    return ["Outreach plan exported from geo_core20", *metadata(saved), *_attribution(saved)]


def to_csv(saved: SavedPlan) -> bytes:
    """The plan's sites as the app's CSV (`tables.to_csv`), after ``#`` lines with the plan's details
    (``# item,value``) and attribution.

    Read it with the app's recipe, ``pandas.read_csv(path, comment="#")``. Every cell (plan name and
    site names included) is made formula-safe.
    """
    return tables.to_csv(_site_table(saved), _notes(saved))


def to_xlsx(saved: SavedPlan) -> bytes:
    """The Excel twin of `to_csv`: the sites on the first sheet, details and attribution on the second."""
    return tables.to_xlsx(_site_table(saved), _notes(saved))


def to_geopackage(saved: SavedPlan, path: str | Path | None = None) -> bytes:
    """A GeoPackage (EPSG:27700) with layers chosen_sites (points), target_lsoas (points at the
    LSOA population-weighted centroids, with the assigned site and distance) and plan_metadata
    (a table). Returns the file's bytes; also writes it to ``path`` when given."""
    meta = dict(metadata(saved))
    sites = _site_table(saved)
    for key in ("plan_id", "plan_name", "area", "target", "objective", "radius", "k", "imd_vintage"):
        sites[key] = meta[key]
    site_layer = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites["easting"], sites["northing"]),
                                  crs=schema.CRS_BNG)
    assignment = saved.plan.siting.assignment.copy()
    assignment["cost"] = pd.to_numeric(assignment["cost"]).astype(float).replace(math.inf, math.nan)
    assignment = assignment.rename(columns={"code": "lsoa_code", "weight": "target_population",
                                            "site_id": "nearest_site"})
    if saved.plan.request.unit == "m":
        assignment["distance_km"] = assignment["cost"] / 1000
    demand_layer = gpd.GeoDataFrame(assignment, geometry=gpd.points_from_xy(assignment["easting"],
                                                                            assignment["northing"]),
                                    crs=schema.CRS_BNG)
    meta_rows = [*metadata(saved), *(("attribution", line) for line in _attribution(saved))]
    meta_layer = pd.DataFrame(meta_rows, columns=["item", "value"])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan.gpkg"
        pyogrio.write_dataframe(site_layer, out, layer="chosen_sites", driver="GPKG")
        pyogrio.write_dataframe(demand_layer, out, layer="target_lsoas", driver="GPKG")
        pyogrio.write_dataframe(meta_layer, out, layer="plan_metadata", driver="GPKG")
        data = out.read_bytes()
    if path is not None:
        atomic.write_bytes(path, data)
    return data


def export_filename(saved: SavedPlan, extension: str) -> str:
    """A safe download file name: plan_<area>_<id>.<ext>."""
    area = re.sub(r"[^A-Za-z0-9]+", "_", str(saved.request.get("area_code") or "england")).strip("_")
    return f"plan_{area}_{saved.id}.{extension}"


def cli_command(request: siting.PlanRequest | dict, *, program: str = "python -m geo_core20") -> str:
    """The ``python -m geo_core20 plan ...`` command line (shell-quoted) that runs ``request`` again.

    "" when the command line cannot express it: uploaded candidate venues, a travel-time cost,
    a PLUS rule using an uploaded layer, or a custom target.
    """
    req = request if isinstance(request, siting.PlanRequest) else siting.PlanRequest.from_dict(request)
    target = req.target
    uploaded = target.spec is not None and any(c.kind == "upload" for c in target.spec.conditions)
    if not req.reproducible or uploaded or req.radius_km is None:
        return ""
    cmd = [*shlex.split(program), "plan", "--vintage", req.vintage, "--level", req.level]
    if req.area_code:
        cmd += ["--area", req.area_code]
    cmd += ["--target", target.base]
    if target.spec is not None:
        cmd += ["--target-conditions", ",".join(c.token() for c in target.spec.conditions),
                "--combine", target.spec.combine]
    if target.focus:
        cmd += ["--focus", target.focus]
    cmd += ["--sites", ",".join(req.site_types), "--radius-km", f"{req.radius_km:g}", "--k", str(req.k),
            "--objective", req.objective, "--candidates", req.candidates]
    if req.fixed_site_codes:
        cmd += ["--fixed", ",".join(req.fixed_site_codes)]
    if req.curve_max_k:
        cmd += ["--curve", str(req.curve_max_k)]
    return shlex.join(cmd)
