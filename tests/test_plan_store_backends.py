"""The plan store's interface on both backends: SQLite (embedded default) and PostgreSQL (shared).

SQLite's own damage, WAL and replay tests stay in test_plans.py; these run the same operations on
both stores, including concurrent saves from several processes.
"""

from __future__ import annotations

import json
import multiprocessing
import os

import pytest
from test_plans import _canonical, _plan

from geo_core20 import plans
from geo_core20.plan_store_pg import PostgresPlanStore


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return plans.open_store(tmp_path / "plans.sqlite")
    url = request.getfixturevalue("pg_url")
    store = plans.open_store(url)
    assert isinstance(store, PostgresPlanStore)
    for pid in store.list()["id"]:  # a clean store per test (one cluster per module)
        store.delete(pid)
    return store


def test_open_store_chooses_by_location(tmp_path, monkeypatch):
    monkeypatch.delenv(plans.STORE_ENV, raising=False)
    assert type(plans.open_store(tmp_path / "a.sqlite")) is plans.PlanStore
    monkeypatch.setenv(plans.STORE_ENV, "postgresql://u:secret@127.0.0.1:1/db")
    pg = plans.open_store()
    assert isinstance(pg, PostgresPlanStore) and "secret" not in str(pg.path)
    monkeypatch.setenv(plans.STORE_ENV, str(tmp_path / "b.sqlite"))
    assert plans.open_store().path == tmp_path / "b.sqlite"



def test_one_store_object_per_location_checks_the_file_once(tmp_path, monkeypatch):
    """The app opens the store on every script run that lists plans: the quick check runs once per
    location in a process, and a store moved aside while the app runs starts again empty."""
    monkeypatch.delenv(plans.STORE_ENV, raising=False)
    checks = []
    real = plans.PlanStore._open_schema
    monkeypatch.setattr(plans.PlanStore, "_open_schema",
                        lambda self, con: (checks.append(1), real(self, con)))
    where = tmp_path / "one.sqlite"
    first = plans.open_store(where)
    pid = first.save(_plan(), "kept")
    for _ in range(3):
        assert plans.open_store(where) is first and len(plans.open_store(where).list()) == 1
    assert len(checks) == 1
    assert plans.open_store(tmp_path / "other.sqlite") is not first
    where.rename(tmp_path / "aside.sqlite")
    assert plans.open_store(where).list().empty and plans.open_store(where).get(pid) is None
    assert len(checks) == 2

def test_save_get_list_delete(store):
    plan = _plan()
    pid = store.save(plan, "  Lung checks\n Q3  ")
    saved = store.get(pid)
    assert saved.name == "Lung checks Q3"
    assert _canonical(saved.data) == _canonical(json.loads(plan.to_json()))
    assert saved.sites()["candidate_id"].tolist() == plan.siting.chosen["candidate_id"].tolist()
    listing = store.list()
    assert listing["id"].tolist() == [pid]
    assert listing.loc[0, "area_name"] == "Test ICB" and int(listing.loc[0, "k"]) == 2
    assert listing.loc[0, "covered_share"] == pytest.approx(85 / 115)
    assert store.integrity_check() == "ok"
    assert store.delete(pid) and store.get(pid) is None and not store.delete(pid)
    assert store.count() == 0


def test_bad_ids_and_names(store):
    for bad in ("", "x' OR 1=1 --", "ABCDEFGHJK", "abc", None, 12):
        assert store.get(bad) is None  # type: ignore[arg-type]
        assert not store.delete(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.save(_plan(), "   ")


def test_newest_first_and_limit(store):
    ids = [store.save(_plan(k=1 + i % 2), f"plan {i}") for i in range(4)]
    listing = store.list()
    assert listing["id"].tolist() == ids[::-1]
    assert len(store.list(limit=2)) == 2


def test_a_crash_inside_the_save_loses_nothing_saved_before(store):
    first = store.save(_plan(), "kept")

    def boom():
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        store.save(_plan(), "lost", _before_commit=boom)
    assert store.list()["id"].tolist() == [first]
    assert store.count() == 1


def _save_many(location: str, n: int, queue) -> None:
    store = plans.open_store(location)
    queue.put([store.save(_plan(), f"proc {os.getpid()} #{i}") for i in range(n)])


def test_concurrent_saves_from_several_processes_lose_nothing(store):
    location = store.url if isinstance(store, PostgresPlanStore) else str(store.path)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_save_many, args=(location, 6, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    ids = [pid for _ in procs for pid in queue.get(timeout=120)]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len(set(ids)) == 12 and store.count() == 12
    assert all(store.get(pid) is not None for pid in ids)


def test_an_unreachable_postgres_says_so():
    store = PostgresPlanStore("postgresql://nobody@127.0.0.1:9/none", retry_seconds=0.2, connect_timeout=1)
    with pytest.raises(plans.PlanStoreError, match="cannot be reached"):
        store.count()
