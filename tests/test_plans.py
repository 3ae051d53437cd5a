"""Saved-plan store: save/reopen, restarts, concurrent saves, crashes mid-save, exports."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from geo_core20 import access, plans, siting, sources

ROOT = Path(__file__).resolve().parent.parent


def _plan(k: int = 2, name_prefix: str = "Venue") -> siting.PlanResult:
    demand = pd.DataFrame({"code": [f"E0100000{i}" for i in range(6)],
                           "easting": [0.0, 1_000, 2_000, 10_000, 11_000, 20_000], "northing": 530_000.0,
                           "weight": [10.0, 10, 10, 50, 5, 30]})
    names = ["=cmd|' /C calc'!A0", f"{name_prefix} <b>1</b>", "Asda, car park", "+44"]
    cands = siting.candidates_frame(["C0", "C1", "C2", "C3"], names,
                                    [1_000.0, 10_500, 20_000, 5_000], [530_000.0] * 4,
                                    [-1.0, -0.9, -0.8, -0.85], [53.0] * 4)
    res = siting.solve(demand, cands, k, "mclp", 1_500)
    cov = access.Coverage(1_500, "m", 115, 100, 6, 5)
    request = {"vintage": "2025", "level": "icb", "area_code": "E54000008", "target": "core20",
               "site_types": ["gp", "pharmacy"], "radius_km": 1.5, "radius": 1_500.0, "unit": "m", "k": k,
               "objective": "mclp", "candidates": "upload", "fixed_site_codes": []}
    return siting.PlanResult(request, "Test ICB", "Core20 LSOAs", res, cov, 4, cov, None,
                             "2026-01-01T00:00:00+00:00", sources.attribution_lines(["gp_practices"]))


def _canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True)


# --- basics ----------------------------------------------------------------------------------------

def test_save_get_list_delete(tmp_path):
    store = plans.PlanStore(tmp_path / "plans.sqlite")
    plan = _plan()
    pid = store.save(plan, "  Lung checks\n Q3  ")
    assert plans.is_plan_id(pid)
    saved = store.get(pid)
    assert saved.name == "Lung checks Q3"
    assert _canonical(saved.data) == _canonical(json.loads(plan.to_json()))
    assert saved.summary["target_population_covered"] == plan.siting.covered_population
    assert saved.sites()["candidate_id"].tolist() == plan.siting.chosen["candidate_id"].tolist()
    listing = store.list()
    assert listing["id"].tolist() == [pid]
    assert listing.loc[0, "covered_share"] == pytest.approx(85 / 115)
    assert listing.loc[0, "area_name"] == "Test ICB" and listing.loc[0, "k"] == 2
    assert store.delete(pid) and store.get(pid) is None and not store.delete(pid)
    assert store.count() == 0


def test_ids_are_checked_before_touching_the_database(tmp_path):
    store = plans.PlanStore(tmp_path / "plans.sqlite")
    for bad in ("", "x' OR 1=1 --", "ABCDEFGHJK", "abc", None, 12):
        assert store.get(bad) is None  # type: ignore[arg-type]
    assert not (tmp_path / "plans.sqlite").exists()  # nothing was created for a bad id
    with pytest.raises(ValueError):
        store.save(_plan(), "   ")


def test_a_damaged_payload_is_detected(tmp_path):
    path = tmp_path / "plans.sqlite"
    store = plans.PlanStore(path)
    pid = store.save(_plan(), "A plan")
    with sqlite3.connect(path) as con:
        con.execute("UPDATE plans SET payload = replace(payload, 'Test ICB', 'Best ICB') WHERE id = ?",
                    (pid,))
    with pytest.raises(plans.PlanStoreError, match="damaged"):
        store.get(pid)


def test_store_uses_wal(tmp_path):
    path = tmp_path / "plans.sqlite"
    plans.PlanStore(path).save(_plan(), "A plan")
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- restarts, concurrency, crashes ----------------------------------------------------------------

def _run(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_new_process_reopens_the_plan_identically(tmp_path):
    path = tmp_path / "plans.sqlite"
    plan = _plan()
    pid = plans.PlanStore(path).save(plan, "Saved before restart")
    out = _run("""
        import json, sys
        from geo_core20 import plans
        saved = plans.PlanStore(sys.argv[1]).get(sys.argv[2])
        out = {"name": saved.name, "saved_at": saved.saved_at, "data": saved.data}
        print(json.dumps(out, sort_keys=True))
    """, str(path), pid)
    assert out.returncode == 0, out.stderr
    reopened = json.loads(out.stdout)
    original = plans.PlanStore(path).get(pid)
    assert reopened["name"] == "Saved before restart" and reopened["saved_at"] == original.saved_at
    assert _canonical(reopened["data"]) == _canonical(json.loads(plan.to_json()))


def _save_many(path: str, who: str, count: int, queue, start) -> None:
    try:
        store = plans.PlanStore(path)
        plan = _plan()
        queue.put(("ready", who))
        start.wait(600)  # both processes start saving at the same moment, whatever their import time
        queue.put(("ids", [store.save(plan, f"{who} {i}") for i in range(count)]))
    except BaseException as exc:  # report it, rather than leave the parent waiting for a timeout
        queue.put(("error", f"{who}: {exc!r}"))


_SAVER = """
import json, pathlib, sys, time
sys.path.insert(0, sys.argv[4])
from test_plans import _plan
from geo_core20 import plans
path, who, folder = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
store, plan = plans.PlanStore(path), _plan()
(folder / f"ready-{who}").write_text("1")
while not (folder / "start").exists():  # both processes start saving at the same moment
    time.sleep(0.01)
print(json.dumps([store.save(plan, f"{who} {i}") for i in range(50)]))
"""


def test_two_processes_saving_at_once_all_succeed(tmp_path):
    # Deterministic: the savers start only once both are ready, so the saves always overlap. Two
    # separate Python processes (not multiprocessing children of the test process, whose state other
    # tests may have changed). The store retries while another process holds the lock
    # (PlanStore._retry), which SQLite's busy timeout alone did not always cover.
    path = str(tmp_path / "plans.sqlite")
    plans.PlanStore(path).count()  # create the schema once, as the app does on first use
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", _SAVER, path, who, str(tmp_path), str(ROOT / "tests")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
             for who in ("a", "b")]
    deadline = time.monotonic() + 300
    while not all((tmp_path / f"ready-{w}").exists() for w in "ab"):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), \
            [p.communicate()[1][-500:] for p in procs if p.poll() is not None]
        time.sleep(0.05)
    (tmp_path / "start").write_text("1")
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-500:] for _, err in outs]
    ids = [json.loads(out) for out, _ in outs]
    store = plans.PlanStore(path)
    assert store.count() == 100
    assert len(set(ids[0]) | set(ids[1])) == 100
    names = set(store.list()["name"])
    assert names == {f"{who} {i}" for who in "ab" for i in range(50)}
    assert store.integrity_check() == "ok"
    assert all(store.get(pid) is not None for pid in ids[0][:5] + ids[1][-5:])


def test_a_save_waits_while_another_process_holds_the_write_lock(tmp_path):
    path = tmp_path / "plans.sqlite"
    plans.PlanStore(path).count()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # as another process mid-save
    store = plans.PlanStore(path, busy_timeout_ms=20, retry_seconds=120)  # SQLite gives up at once
    result: dict = {}
    saver = threading.Thread(target=lambda: result.update(pid=store.save(_plan(), "waited")))
    saver.start()
    saver.join(1.0)
    assert saver.is_alive()  # still retrying while the lock is held
    holder.execute("COMMIT")
    holder.close()
    saver.join(120)
    assert plans.is_plan_id(result.get("pid")) and store.get(result["pid"]).name == "waited"


def test_a_store_busy_for_too_long_says_so(tmp_path):
    path = tmp_path / "plans.sqlite"
    plans.PlanStore(path).count()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(plans.PlanStoreError, match="busy"):
            plans.PlanStore(path, busy_timeout_ms=10, retry_seconds=0.3).save(_plan(), "never")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert plans.PlanStore(path).count() == 0


def test_a_lock_error_sqlite_does_not_wait_for_is_retried(tmp_path, monkeypatch):
    store = plans.PlanStore(tmp_path / "plans.sqlite")
    real, calls = plans.PlanStore._insert, []

    def flaky(self, *args):
        calls.append(1)
        if len(calls) <= 2:  # e.g. SQLITE_BUSY while another connection cleans up the WAL
            raise sqlite3.OperationalError("database is locked")
        return real(self, *args)

    monkeypatch.setattr(plans.PlanStore, "_insert", flaky)
    pid = store.save(_plan(), "third time")
    assert len(calls) == 3 and store.get(pid).name == "third time" and store.count() == 1


# --- damaged store files -----------------------------------------------------------------------------

def _filled_store(path: Path, n: int = 12) -> list[str]:
    store = plans.PlanStore(path)
    ids = [store.save(_plan(name_prefix="x" * 20_000), f"plan {i}") for i in range(n)]
    with sqlite3.connect(path) as con:  # fold the WAL into the file, as a clean shutdown does
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return ids


def _untouched(path: Path, attempt) -> None:
    before = path.read_bytes()
    with pytest.raises(plans.PlanStoreError, match="damaged") as info:
        attempt()
    assert path.read_bytes() == before  # reported, never overwritten
    assert "Move it aside" in str(info.value)


@pytest.mark.parametrize("what", ["garbage", "truncated", "torn page", "header only"])
def test_a_damaged_store_file_is_reported_and_left_alone(tmp_path, what):
    path = tmp_path / "plans.sqlite"
    if what == "garbage":
        path.write_bytes(os.urandom(50_000))
    else:
        _filled_store(path)
        data = path.read_bytes()
        if what == "truncated":
            path.write_bytes(data[: len(data) // 2])
        elif what == "header only":
            path.write_bytes(data[:60])
        else:  # a page in the middle overwritten (a torn write, a bad disk block)
            page = int.from_bytes(data[16:18], "big")
            path.write_bytes(data[:3 * page] + os.urandom(page) + data[4 * page:])
    for attempt in (lambda: plans.PlanStore(path).list(), lambda: plans.PlanStore(path).save(_plan(), "new"),
                    lambda: plans.PlanStore(path).count()):
        _untouched(path, attempt)


def test_an_empty_file_is_a_new_store(tmp_path):
    path = tmp_path / "plans.sqlite"
    path.write_bytes(b"")
    store = plans.PlanStore(path)
    assert store.count() == 0 and plans.is_plan_id(store.save(_plan(), "first"))


def test_a_crash_inside_the_save_transaction_loses_nothing_saved_before(tmp_path):
    path = tmp_path / "plans.sqlite"
    out = _run("""
        import hashlib, json, os, sys
        from tests.test_plans import _plan
        from geo_core20 import plans
        store = plans.PlanStore(sys.argv[1])
        for i in range(3):
            plan = _plan()
            digest = hashlib.sha256(json.dumps(plan.to_dict(), sort_keys=True).encode()).hexdigest()
            print(store.save(plan, f"kept {i}"), digest, flush=True)
        store.save(_plan(k=3), "never committed", _before_commit=lambda: os._exit(9))
        print("unreachable")
    """, str(path))
    assert out.returncode == 9, out.stderr
    kept = [line.split() for line in out.stdout.splitlines()]
    assert len(kept) == 3
    store = plans.PlanStore(path)
    assert store.integrity_check() == "ok"
    assert store.count() == 3
    assert sorted(store.list()["name"]) == ["kept 0", "kept 1", "kept 2"]
    for pid, digest in kept:  # each earlier plan is exactly what was saved
        assert hashlib.sha256(_canonical(store.get(pid).data).encode()).hexdigest() == digest
    assert store.save(_plan(), "after the crash")  # the store still takes saves


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_during_a_stream_of_large_saves_leaves_the_store_readable(tmp_path):
    path = tmp_path / "plans.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys
        from tests.test_plans import _plan
        from geo_core20 import plans
        store = plans.PlanStore(sys.argv[1])
        big = _plan(name_prefix="x" * 200_000)  # ~0.5 MB payloads: writes take a while
        i = 0
        while True:
            print(store.save(big, f"plan {i}"), flush=True)
            i += 1
    """), str(path)], stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    committed = [proc.stdout.readline().strip() for _ in range(5)]
    time.sleep(0.05)  # let it get into the next write
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    rest = proc.stdout.read().split()
    proc.stdout.close()
    store = plans.PlanStore(path)
    assert store.integrity_check() == "ok"
    listed = set(store.list()["id"])
    assert set(committed) | set(rest) <= listed  # everything reported as saved is there
    for pid in listed:
        assert store.get(pid) is not None  # checksums hold: no half-written plan


# --- exports ---------------------------------------------------------------------------------------

def test_csv_export_has_details_attribution_and_no_formulas(tmp_path):
    store = plans.PlanStore(tmp_path / "plans.sqlite")
    pid = store.save(_plan(k=4), "=SUM(A1:A9)")
    data = plans.to_csv(store.get(pid))
    assert data.startswith("\ufeff".encode())  # the app's CSV, BOM and all (Excel reads names right)
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["# Outreach plan exported from geo_core20"]
    head = {r[0]: r[1] for r in rows if r and r[0].startswith("# ") and len(r) == 2}
    assert head["# plan_name"] == "'=SUM(A1:A9)"
    assert head["# plan_id"] == pid and head["# target_population_covered"] == "115"
    # attribution lines are written raw (never quoted) so that the read_csv(comment="#") recipe works,
    # one line per licence holder (the GP data's NHS, OS, Royal Mail and ONS notices)
    holders = sources.attribution_lines(["gp_practices"])
    assert len(holders) == 4 and all(("# " + line) in text.splitlines() for line in holders)
    recipe = pd.read_csv(io.BytesIO(text.encode("utf-8-sig")), comment="#")  # as the page's download
    assert recipe["code"].tolist() == store.get(pid).plan.siting.chosen["candidate_id"].tolist()
    assert len(recipe) == 4
    body = pd.read_csv(io.StringIO(text.split("\n\n", 1)[1]))
    assert len(body) == 4
    assert set(body["name"]) >= {"'=cmd|' /C calc'!A0", "Asda, car park"}
    # "+44" reads as a number, which safety.csv_safe_value now leaves as it is (checked just below)
    for row in rows:
        for cell in row:
            if cell.startswith(("=", "+", "-", "@")):
                float(cell)  # only numbers (negative longitudes) may start like a formula


def test_geopackage_export_opens_with_points_and_metadata(tmp_path):
    store = plans.PlanStore(tmp_path / "plans.sqlite")
    plan = _plan(k=3)
    saved = store.get(store.save(plan, "GPKG plan"))
    target = tmp_path / "plan.gpkg"
    data = plans.to_geopackage(saved, target)
    assert data[:16] == b"SQLite format 3\x00" and target.read_bytes() == data
    layers = dict(pyogrio.list_layers(target))
    assert layers == {"chosen_sites": "Point", "target_lsoas": "Point", "plan_metadata": None}
    sites = pyogrio.read_dataframe(target, layer="chosen_sites")
    assert sites.crs.to_epsg() == 27700
    assert sites["code"].tolist() == plan.siting.chosen["candidate_id"].tolist()
    assert sites.geometry.x.tolist() == plan.siting.chosen["easting"].tolist()
    assert (sites["plan_id"] == saved.id).all() and (sites["radius"] == "1.5 km").all()
    demand = pyogrio.read_dataframe(target, layer="target_lsoas")
    assert len(demand) == 6 and demand["covered"].sum() == 6
    meta = pyogrio.read_dataframe(target, layer="plan_metadata")
    items = dict(zip(meta["item"], meta["value"], strict=True))
    assert items["plan_name"] == "GPKG plan" and items["objective"] == "mclp"
    assert (meta["item"] == "attribution").sum() >= 1
    assert plans.export_filename(saved, "gpkg") == f"plan_E54000008_{saved.id}.gpkg"


def test_a_short_file_beside_a_write_ahead_log_is_left_to_sqlite_to_judge(tmp_path):
    """A checkpoint killed half-way leaves the file shorter than its header while the WAL still has the
    pages, so the size check stands aside; a WAL that cannot repair it still ends in a clear refusal."""
    path = tmp_path / "plans.sqlite"
    store = plans.PlanStore(path)
    for i in range(3):
        store.save(_plan(name_prefix="x" * 50_000), f"plan {i}")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    path.with_name(path.name + "-wal").write_bytes(b"not a real log" * 10)
    with pytest.raises(plans.PlanStoreError) as err:
        plans.PlanStore(path).list()
    assert "damaged" in str(err.value) and "cut short" not in str(err.value)  # SQLite's check decided
    assert path.read_bytes() == data[: len(data) // 2]  # left exactly as it was
