"""Saved outreach plans: an embedded SQLite store, share-link ids, GeoPackage and CSV exports.

A plan is the JSON of `siting.PlanResult.to_dict()` plus a name. Each save is one transaction
(BEGIN IMMEDIATE ... COMMIT) in WAL mode with a busy timeout, so a crash mid-save leaves every
earlier plan intact and two sessions saving at once both succeed (one waits for the other).
A SHA-256 of the stored JSON is checked on every read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import secrets
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from geo_core20 import schema, sources

DEFAULT_PATH = sources.DATA_DIR / "plans.sqlite"
PATH_ENV = "GEO_CORE20_PLANS_DB"  # overrides DEFAULT_PATH (tests, or a shared network location)
SCHEMA_VERSION = 1
ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: ids are read aloud and retyped
ID_LENGTH = 10
_ID_RE = re.compile(f"^[{ID_ALPHABET}]{{{ID_LENGTH}}}$")
MAX_NAME = 120
BUSY_TIMEOUT_MS = 30_000

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


class PlanStoreError(RuntimeError):
    """The store cannot be used (corrupt payload, newer schema)."""


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
        raise ValueError("a plan needs a name")
    return text


@dataclass(frozen=True)
class SavedPlan:
    """One stored plan: id, name, save time and the plan's data (PlanResult.to_dict())."""

    id: str
    name: str
    saved_at: str
    data: dict

    @property
    def summary(self) -> dict:
        return self.data.get("summary", {})

    @property
    def request(self) -> dict:
        return self.data.get("request", {})

    def sites(self) -> pd.DataFrame:
        """Fixed then chosen sites with their figures."""
        siting = self.data.get("siting", {})
        return pd.DataFrame([*siting.get("fixed", []), *siting.get("chosen", [])])


class PlanStore:
    """The plan store in one SQLite file (created on first use)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else Path(os.environ.get(PATH_ENV) or DEFAULT_PATH)
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode: transactions are explicit (BEGIN IMMEDIATE) so each save is one unit
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = FULL")  # a committed plan survives a power cut too
            con.execute("PRAGMA foreign_keys = ON")
            if not self._ready:
                con.executescript(_SCHEMA)
                version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                if version and int(version[0]) > SCHEMA_VERSION:
                    raise PlanStoreError(f"{self.path} was written by a newer version (schema {version[0]})")
                self._ready = True
            yield con
        finally:
            con.close()

    def save(self, plan: object, name: str, *, _before_commit: Callable[[], None] | None = None) -> str:
        """Store a plan (a PlanResult or its dict) under ``name``; returns its new id.

        ``_before_commit`` is a test hook run inside the open transaction (to simulate a crash).
        """
        data = plan.to_dict() if hasattr(plan, "to_dict") else dict(plan)  # type: ignore[arg-type]
        title = clean_name(name)
        payload = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        req = data.get("request", {})
        siting = data.get("siting", {})
        sites = [*siting.get("fixed", []), *siting.get("chosen", [])]
        saved_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._connect() as con:
            for _ in range(5):
                plan_id = new_id()
                con.execute("BEGIN IMMEDIATE")
                try:
                    con.execute(
                        "INSERT INTO plans (id, name, saved_at, vintage, level, area_code, area_name, "
                        "target, target_label, objective, radius_km, k, covered_population, "
                        "total_target_population, payload, payload_sha256) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (plan_id, title, saved_at, req.get("vintage"), req.get("level"), req.get("area_code"),
                         data.get("area_name"), req.get("target"), data.get("target_label"),
                         req.get("objective"), req.get("radius_km"), req.get("k"),
                         siting.get("covered_population"), siting.get("total_target_population"),
                         payload, digest))
                    con.executemany(
                        "INSERT INTO plan_sites (plan_id, position, fixed, rank, code, name, lon, lat, "
                        "easting, northing, covered_population) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(plan_id, i, int(bool(s.get("fixed"))), int(s.get("rank") or 0),
                          str(s.get("candidate_id")), s.get("name"), s.get("lon"), s.get("lat"),
                          s.get("easting"), s.get("northing"), s.get("covered_population"))
                         for i, s in enumerate(sites)])
                    if _before_commit is not None:
                        _before_commit()
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
        with self._connect() as con:
            frame = pd.read_sql_query(
                "SELECT id, name, saved_at, vintage, level, area_code, area_name, target, target_label, "
                "objective, radius_km, k, covered_population, total_target_population FROM plans "
                "ORDER BY saved_at DESC, id LIMIT ?", con, params=(int(limit),))
        total = frame["total_target_population"].astype(float)
        frame["covered_share"] = (frame["covered_population"].astype(float) / total).where(total > 0, 0.0)
        return frame

    def get(self, plan_id: str) -> SavedPlan | None:
        """The plan with this id, or None (also for malformed ids)."""
        if not is_plan_id(plan_id):
            return None
        with self._connect() as con:
            row = con.execute("SELECT id, name, saved_at, payload, payload_sha256 FROM plans WHERE id = ?",
                              (plan_id,)).fetchone()
        if row is None:
            return None
        if hashlib.sha256(row[3].encode()).hexdigest() != row[4]:
            raise PlanStoreError(f"plan {plan_id} is damaged (checksum mismatch)")
        return SavedPlan(row[0], row[1], row[2], json.loads(row[3]))

    def delete(self, plan_id: str) -> bool:
        """Delete a plan; True if it existed."""
        if not is_plan_id(plan_id):
            return False
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                cur = con.execute("DELETE FROM plans WHERE id = ?", (plan_id,))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return cur.rowcount > 0

    def count(self) -> int:
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM plans").fetchone()[0])

    def integrity_check(self) -> str:
        """SQLite's own integrity check ('ok' when sound)."""
        with self._connect() as con:
            return str(con.execute("PRAGMA integrity_check").fetchone()[0])


# --- exports -------------------------------------------------------------------------------------

def metadata(saved: SavedPlan) -> list[tuple[str, str]]:
    """(item, value) pairs describing a plan, for export headers and the metadata layer."""
    req, summ = saved.request, saved.summary
    siting = saved.data.get("siting", {})
    unit = req.get("unit", "m")
    radius = f"{req.get('radius_km')} km" if unit == "m" else f"{req.get('radius')} {unit}"
    covered = siting.get("covered_population") or 0
    total = siting.get("total_target_population") or 0
    share = covered / total if total else 0.0
    items = [
        ("plan_id", saved.id), ("plan_name", saved.name), ("saved_at", saved.saved_at),
        ("area", f"{saved.data.get('area_name', '')} ({req.get('area_code') or 'England'})"),
        ("level", str(req.get("level"))), ("target", str(saved.data.get("target_label", req.get("target")))),
        ("objective", str(req.get("objective"))), ("radius", radius), ("k", str(req.get("k"))),
        ("site_types", ",".join(req.get("site_types", []))), ("candidates", str(req.get("candidates"))),
        ("fixed_sites", ",".join(req.get("fixed_site_codes", []))),
        ("target_population_covered", f"{covered:,.0f}"), ("total_target_population", f"{total:,.0f}"),
        ("covered_share", f"{share:.1%}"), ("solver_status", str(siting.get("status"))),
        ("imd_vintage", schema.IMD_LABEL.get(str(req.get("vintage")), str(req.get("vintage")))),
        ("existing_sites_covered_population", str(summ.get("existing_sites_covered_population"))),
    ]
    return items


def _attribution(saved: SavedPlan) -> list[str]:
    lines = saved.data.get("attribution")
    return list(lines) if lines else sources.attribution_lines()


def _site_table(saved: SavedPlan) -> pd.DataFrame:
    sites = saved.sites()
    cols = ["rank", "fixed", "candidate_id", "name", "site_type", "postcode", "lon", "lat", "easting",
            "northing", "covered_population", "unique_population", "assigned_population"]
    out = sites[[c for c in cols if c in sites.columns]].rename(columns={"candidate_id": "code"})
    return out


def to_csv(saved: SavedPlan) -> str:
    """The plan's sites as CSV, after header rows with the plan's details and attribution.

    Every cell (plan name and site names included) is made formula-safe.
    """
    from geo_core20.safety import csv_safe_frame, csv_safe_value

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["# Outreach plan exported from geo_core20"])
    for item, value in metadata(saved):
        writer.writerow([f"# {item}", csv_safe_value(value)])
    for line in _attribution(saved):
        writer.writerow([f"# {line}"])
    writer.writerow([])
    buf.write(csv_safe_frame(_site_table(saved)).to_csv(index=False, lineterminator="\n"))
    return buf.getvalue()


def to_geopackage(saved: SavedPlan, path: str | Path | None = None) -> bytes:
    """A GeoPackage (EPSG:27700) with layers chosen_sites (points), target_lsoas (points at the
    LSOA population-weighted centroids, with the assigned site and distance) and plan_metadata
    (a table). Returns the file's bytes; also writes it to ``path`` when given."""
    import geopandas as gpd
    import pyogrio

    meta = dict(metadata(saved))
    sites = _site_table(saved)
    for key in ("plan_id", "plan_name", "area", "target", "objective", "radius", "k", "imd_vintage"):
        sites[key] = meta[key]
    site_layer = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites["easting"], sites["northing"]),
                                  crs=schema.CRS_BNG)
    assignment = pd.DataFrame(saved.data.get("siting", {}).get("assignment", []))
    if assignment.empty:
        assignment = pd.DataFrame({"code": [], "weight": [], "easting": [], "northing": [], "site_id": [],
                                   "cost": [], "covered": []})
    assignment = assignment.rename(columns={"code": "lsoa_code", "weight": "target_population",
                                            "site_id": "nearest_site"})
    if saved.request.get("unit", "m") == "m":
        assignment["distance_km"] = assignment["cost"].astype(float) / 1000
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
        Path(path).write_bytes(data)
    return data


def export_filename(saved: SavedPlan, extension: str) -> str:
    """A safe download file name: plan_<area>_<id>.<ext>."""
    area = re.sub(r"[^A-Za-z0-9]+", "_", str(saved.request.get("area_code") or "england")).strip("_")
    return f"plan_{area}_{saved.id}.{extension}"
