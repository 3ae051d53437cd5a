"""Our own adversarial suite: hostile and odd files, each class read in a child process under a
memory cap and a time limit. Fails on any exception other than the project's, any hang, any
memory blow-up and any silently wrong value; prints per class the count, time and peak memory."""

from __future__ import annotations

import contextlib
import multiprocessing
import time

import adversarial_files
import psutil
import pytest

from geo_core20 import atlas, limits
from geo_core20.uploads import UploadError, worker

pytestmark = pytest.mark.skipif(not atlas.atlas_path("2025").exists(),
                                reason="needs the 2025 atlas")

MEMORY_CAP_GB = 3.0  # the whole child, warm imports and atlas (~0.55 GB) included
TIME_LIMIT_S = 150.0


@pytest.mark.parametrize("name", list(adversarial_files.CLASSES))
def test_class_ends_in_a_result_or_our_error(name: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=adversarial_files.run_class, args=(name, child), daemon=True)
    start = time.monotonic()
    proc.start()
    child.close()
    peak = 0
    try:
        while not parent.poll(0.05):
            with contextlib.suppress(psutil.Error):  # the child and what it runs (the tile builder)
                family = [psutil.Process(proc.pid)]
                family += family[0].children(recursive=True)
                peak = max(peak, sum(p.memory_info().rss for p in family))
            assert peak < MEMORY_CAP_GB * 2**30, f"{name}: memory blew up past {MEMORY_CAP_GB} GB"
            assert time.monotonic() - start < TIME_LIMIT_S, f"{name}: a case hung (over {TIME_LIMIT_S:.0f} s)"
            assert proc.is_alive() or parent.poll(), f"{name}: the reader process died ({proc.exitcode})"
        outcomes, maxrss_mb = parent.recv()
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    wall = time.monotonic() - start
    print(f"\n[adversarial] {name}: {len(outcomes)} inputs, {wall:.1f} s, peak memory {maxrss_mb:,.0f} MB")
    for case, outcome, detail, cpu in outcomes:
        print(f"[adversarial]   {outcome:7s} {cpu:6.2f} s  {case}: {detail.splitlines()[0][:150] if detail else ''}")  # noqa: E501
    bad = [(c, o, d) for c, o, d, _ in outcomes if o in ("crash", "wrong")]
    assert not bad, "\n".join(f"{c}: {o}: {d}" for c, o, d in bad)


def test_worker_reads_like_the_reader_in_process() -> None:
    data = (adversarial_files.Path(__file__).parent / "fixtures" / "uploads" / "points_mixed.csv").read_bytes()  # noqa: E501
    from geo_core20 import uploads

    here = uploads.load_upload(data, "p.csv", atlas.load_atlas("2025"))
    there = worker.run("load_upload", data, "p.csv", worker.Atlas("2025"))
    assert there.points.equals(here.points) and there.counts.equals(here.counts)
    assert there.errors == here.errors and there.notes == here.notes


def test_worker_limits_end_in_an_upload_error_and_the_next_file_is_read(monkeypatch) -> None:
    monkeypatch.setattr(limits, "UPLOAD_RAM_MB", 300)
    with pytest.raises(UploadError, match=r"needed more than 300 MB of memory"):
        worker.run("_selftest", "memory", 1500)
    monkeypatch.setattr(limits, "UPLOAD_CPU_SECONDS", 1)
    with pytest.raises(UploadError, match=r"needed more than 1 s of processor time"):
        worker.run("_selftest", "cpu", 30)
    monkeypatch.setattr(limits, "UPLOAD_CPU_SECONDS", 60)
    monkeypatch.setattr(limits, "UPLOAD_WALL_SECONDS", 2)
    with pytest.raises(UploadError, match=r"took more than 2 s"):
        worker.run("_selftest", "sleep", 60)
    monkeypatch.setattr(limits, "UPLOAD_WALL_SECONDS", 120)
    with pytest.raises(UploadError, match=r"stopped the file reader"):
        worker.run("_selftest", "crash")
    with pytest.raises(UploadError, match=r"the reader failed on it \(KeyError"):
        worker.run("_selftest", "bug")
    assert worker.run("_selftest", "still here") == "still here"  # a new worker took over


def test_refused_files_read_the_way_the_message_names(atlas2025) -> None:
    """Nothing is guessed: an ambiguous file is refused naming the option, and the option reads it."""
    from geo_core20 import uploads

    mixed = b'lsoa_code,rate\nE01000001,"1,234"\nE01000002,"12,5"\n'
    with pytest.raises(UploadError, match="decimal comma.*--decimal-comma"):
        uploads.load_upload(mixed, "mix.csv", atlas2025)
    res = \
        uploads.load_lsoa_table(uploads.read_upload(mixed, "mix.csv", decimal_comma=True),
                                england_codes21=atlas2025["lsoa_code"])
    assert sorted(res.frame["rate"].tolist()) == [1.234, 12.5]

    data, name = adversarial_files._swapped_bng()
    with pytest.raises(UploadError, match="look swapped.*--swap-axes"):
        uploads.load_upload(data, name, atlas2025)
    res = uploads.load_upload(data, name, atlas2025, swap_axes=True)
    assert res.rows_loaded == 40 and not [e for e in res.errors if e.severity == "error"]


def test_travel_times_command_exits_2_on_a_hostile_extract(tmp_path, capsys) -> None:
    """`python -m geo_core20 travel-times --pbf` on a damaged extract: the project's message, exit 2."""
    from geo_core20 import cli, routing

    cases = {"empty.osm.pbf": (b"", "is not an OpenStreetMap .osm.pbf extract")}
    if routing.engine_available():  # the damage below is found by Valhalla's own reader
        damaged = "is not a readable OpenStreetMap extract: it is damaged or cut short"
        cases["cut.osm.pbf"] = (adversarial_files._TINY_PBF[:-7], f"{damaged} (PBF error: unexpected EOF)")
        huge = adversarial_files._pbf_block("OSMHeader", adversarial_files._OSM_HEADER, datasize=2**31 - 1)
        cases["huge-blob.osm.pbf"] = (huge, f"{damaged} (PBF error: invalid blob size: 2147483647)")
        cases["no-roads.osm.pbf"] = (adversarial_files._TINY_PBF, "holds no roads to route on")
    for name, (data, message) in cases.items():
        pbf = tmp_path / name
        pbf.write_bytes(data)
        capsys.readouterr()
        code = cli.main(["travel-times", "--pbf", str(pbf), "--level", "lad", "--area", "E06000017",
                         "--sites", "gp", "--out", str(tmp_path / "od.csv"),
                         "--cache-dir", str(tmp_path / "cache")])
        err = capsys.readouterr().err
        assert code == 2 and f"{name} {message}" in err and "Traceback" not in err, (name, err)
        assert "terminate called" not in err and "GraphId" not in err  # the engine's words stay out
    assert not (tmp_path / "od.csv").exists()
    assert not list(tmp_path.rglob("*.part-*"))  # no half-built tile folder left behind
