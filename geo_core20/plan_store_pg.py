"""The plan store on PostgreSQL: several app processes (or machines) behind a load balancer share plans.

Selected by ``GEO_CORE20_PLAN_STORE=postgresql://user@host/db`` (see ``plans.open_store``); SQLite stays
the embedded default. Same interface and records as ``plans.PlanStore``: each save is one transaction,
the stored JSON carries its SHA-256 (checked on every read), ids are drawn until unique, and a busy or
dropped connection is retried for up to ``retry_seconds``. The schema is created on first use inside a
transaction guarded by an advisory lock, so two processes starting at once do not race.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pandas as pd

from geo_core20 import plans

T = TypeVar("T")
_LOCK_KEY = 0x6763323070  # "gc20p": the advisory lock that serialises schema creation

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS gc20_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gc20_plans (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    vintage TEXT, level TEXT, area_code TEXT, area_name TEXT,
    target TEXT, target_label TEXT, objective TEXT,
    radius_km DOUBLE PRECISION, k INTEGER,
    covered_population DOUBLE PRECISION, total_target_population DOUBLE PRECISION,
    payload TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS gc20_plans_saved_at ON gc20_plans (saved_at);
CREATE TABLE IF NOT EXISTS gc20_plan_sites (
    plan_id TEXT NOT NULL REFERENCES gc20_plans (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    fixed INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    code TEXT NOT NULL, name TEXT, lon DOUBLE PRECISION, lat DOUBLE PRECISION,
    easting DOUBLE PRECISION, northing DOUBLE PRECISION,
    covered_population DOUBLE PRECISION,
    PRIMARY KEY (plan_id, position)
);
INSERT INTO gc20_meta (key, value) VALUES ('schema_version', '{plans.SCHEMA_VERSION}')
    ON CONFLICT (key) DO NOTHING
"""
_INSERT_PLAN = (
    "INSERT INTO gc20_plans (id, name, saved_at, vintage, level, area_code, area_name, target, "
    "target_label, objective, radius_km, k, covered_population, total_target_population, "
    "payload, payload_sha256) VALUES (" + ", ".join(["%s"] * 16) + ")"
)
_INSERT_SITE = (
    "INSERT INTO gc20_plan_sites (plan_id, position, fixed, rank, code, name, lon, lat, easting, "
    "northing, covered_population) VALUES (" + ", ".join(["%s"] * 11) + ")"
)
_COLUMNS = (
    "id, name, saved_at, vintage, level, area_code, area_name, target, target_label, objective, "
    "radius_km, k, covered_population, total_target_population"
)


def _redact(url: str) -> str:
    """The URL without its password (for messages)."""
    try:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        parts = conninfo_to_dict(url)
        if "password" in parts:
            parts["password"] = "***"
        return make_conninfo(**parts)
    except Exception:  # noqa: BLE001 - a malformed URL is reported by connect()
        return url.split("@")[-1]


class PostgresPlanStore(plans.PlanStore):
    """``plans.PlanStore`` on a PostgreSQL database named by a connection URL."""

    def __init__(
        self, url: str, *, retry_seconds: float = plans.RETRY_SECONDS, connect_timeout: float = 10.0
    ) -> None:
        self.url = url
        self.path = _redact(url)  # what messages name
        self.retry_seconds = float(retry_seconds)
        self.connect_timeout = connect_timeout
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator:
        import psycopg

        try:
            con = psycopg.connect(self.url, connect_timeout=int(self.connect_timeout), autocommit=False)
        except psycopg.OperationalError:
            raise
        except psycopg.Error as exc:
            raise plans.PlanStoreError(f"The plan store {self.path} cannot be used: {exc}") from exc
        try:
            if not self._ready:
                self._open_schema(con)
            yield con
        finally:
            con.close()

    def _open_schema(self, con) -> None:
        with con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            for statement in filter(str.strip, _SCHEMA.split(";")):
                con.execute(statement)
            row = con.execute("SELECT value FROM gc20_meta WHERE key = 'schema_version'").fetchone()
        if row and int(row[0]) > plans.SCHEMA_VERSION:
            raise plans.PlanStoreError(f"{self.path} was written by a newer version (schema {row[0]})")
        self._ready = True

    def _transient(self, exc: BaseException) -> bool | None:
        import psycopg

        if isinstance(exc, psycopg.OperationalError | psycopg.errors.SerializationFailure
                      | psycopg.errors.DeadlockDetected):
            return True  # unreachable for now, or a conflicting transaction: try again
        return False if isinstance(exc, psycopg.Error) else None

    def _busy_message(self, exc: BaseException) -> str:
        return (f"The plan store {self.path} cannot be reached or stays busy ({str(exc).strip()[:200]}). "
                "Try again in a moment.")

    def _insert(self, row: tuple, sites: list[dict], before_commit: Callable[[], None] | None) -> str:
        import psycopg

        with self._connect() as con:
            for _ in range(5):
                plan_id = plans.new_id()
                try:
                    with con.transaction():
                        con.execute(_INSERT_PLAN, (plan_id, *row))
                        with con.cursor() as cur:
                            cur.executemany(
                                _INSERT_SITE,
                                [
                                    (
                                        plan_id,
                                        i,
                                        int(bool(s.get("fixed"))),
                                        int(s.get("rank") or 0),
                                        str(s.get("candidate_id")),
                                        s.get("name"),
                                        s.get("lon"),
                                        s.get("lat"),
                                        s.get("easting"),
                                        s.get("northing"),
                                        s.get("covered_population"),
                                    )
                                    for i, s in enumerate(sites)
                                ],
                            )
                        if before_commit is not None:
                            before_commit()
                    return plan_id
                except psycopg.errors.UniqueViolation:
                    continue  # an id collision (about 1 in 10^15 per pair): draw another id
        raise plans.PlanStoreError("could not allocate a plan id")

    def list(self, limit: int = 500) -> pd.DataFrame:
        def read() -> pd.DataFrame:
            with self._connect() as con:
                cur = con.execute(
                    f"SELECT {_COLUMNS} FROM gc20_plans ORDER BY saved_at DESC, id LIMIT %s", (int(limit),)
                )
                names = [d.name for d in cur.description]
                return pd.DataFrame(cur.fetchall(), columns=names)

        frame = self._retry(read)
        total = frame["total_target_population"].astype(float)
        frame["covered_share"] = (frame["covered_population"].astype(float) / total).where(total > 0, 0.0)
        return frame

    def get(self, plan_id: str) -> plans.SavedPlan | None:
        if not plans.is_plan_id(plan_id):
            return None

        def read() -> tuple | None:
            with self._connect() as con:
                return con.execute(
                    "SELECT id, name, saved_at, payload, payload_sha256 FROM gc20_plans WHERE id = %s",
                    (plan_id,),
                ).fetchone()

        row = self._retry(read)
        if row is None:
            return None
        if hashlib.sha256(row[3].encode()).hexdigest() != row[4]:
            raise plans.PlanStoreError(f"plan {plan_id} is damaged (checksum mismatch)")
        return plans.SavedPlan(row[0], row[1], row[2], json.loads(row[3]))

    def delete(self, plan_id: str) -> bool:
        if not plans.is_plan_id(plan_id):
            return False

        def remove() -> int:
            with self._connect() as con, con.transaction():
                return con.execute("DELETE FROM gc20_plans WHERE id = %s", (plan_id,)).rowcount

        return self._retry(remove) > 0

    def count(self) -> int:
        def read() -> int:
            with self._connect() as con:
                return int(con.execute("SELECT COUNT(*) FROM gc20_plans").fetchone()[0])

        return self._retry(read)

    def integrity_check(self) -> str:
        """Every stored payload matches its checksum ('ok'), else the ids that do not."""

        def read() -> list[tuple]:
            with self._connect() as con:
                return con.execute("SELECT id, payload, payload_sha256 FROM gc20_plans").fetchall()

        bad = [r[0] for r in self._retry(read) if hashlib.sha256(r[1].encode()).hexdigest() != r[2]]
        return "ok" if not bad else "checksum mismatch: " + ", ".join(bad[:10])
