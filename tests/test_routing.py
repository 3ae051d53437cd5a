"""Road travel times with Valhalla on Rutland (the mirror's OpenStreetMap extract): tiles, OD file, a plan.

Needs the pinned pyvalhalla-weekly wheel (requirements.txt) and the extract (`data fetch`); without
either the tests skip, and in CI (env CI) a skip for a missing engine or file fails (conftest.py).
"""

from __future__ import annotations

import json

import adversarial_files
import numpy as np
import pandas as pd
import pytest

from geo_core20 import atlas, cli, errors, routing

RUTLAND = ["--level", "lad", "--area", "E06000017"]
OAKHAM_LSOA = "E01013799"  # Rutland 003B, Oakham town centre
UPPINGHAM_SURGERY = "C82077"  # The Uppingham Surgery (GP practice)
OAKHAM_PRACTICE = "C82010"


def _extract():
    if not routing.engine_available():
        pytest.skip("the Valhalla routing engine is not installed (pip install -r requirements.txt)")
    try:
        return atlas.input_path("osm_rutland")
    except Exception as exc:  # DataError: the mirror file is missing
        pytest.skip(f"input not found: {exc}")


@pytest.fixture(scope="module")
def rutland_od(tmp_path_factory, atlas2025):
    """The travel-times command run for each mode (one tile build, cached in a temporary folder)."""
    pbf = _extract()
    root = tmp_path_factory.mktemp("routing")
    out = {}
    for mode in routing.MODES:
        path = root / f"od_{mode}.csv"
        code = cli.main(["travel-times", "--pbf", str(pbf), *RUTLAND, "--sites", "gp,pharmacy",
                         "--mode", mode, "--out", str(path), "--cache-dir", str(root / "cache")])
        assert code == 0
        out[mode] = pd.read_csv(path, dtype={"origin_code": str, "destination_code": str})
    return root, pbf, out


def test_tiles_build_from_the_extract_once(rutland_od):
    root, pbf, _ = rutland_od
    folder = routing.tiles_dir(pbf, root / "cache" / "tiles")
    assert (folder / "valhalla.json").is_file() and any(folder.rglob("*.gph"))
    stamp = (folder / "valhalla.json").stat().st_mtime_ns
    assert routing.build_tiles(pbf, root / "cache" / "tiles") == folder / "valhalla.json"
    assert (folder / "valhalla.json").stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert not list(folder.parent.glob(".*part*"))  # no half-built folder left behind


def test_od_file_is_long_form_for_every_lsoa(rutland_od, atlas2025):
    _, _, od = rutland_od
    car = od["car"]
    assert list(car.columns) == ["origin_code", "destination_code", "minutes"]
    rutland = atlas2025[atlas2025["lad_code"] == "E06000017"]
    assert len(rutland) == 26 and set(car["origin_code"]) == set(rutland["lsoa_code"])  # all reach a site
    assert (car["minutes"] >= 0).all() and car["minutes"].max() < 60  # Rutland is 20 km across


def test_oakham_to_uppingham_by_car_is_plausible(rutland_od):
    car = rutland_od[2]["car"].set_index(["origin_code", "destination_code"])["minutes"]
    minutes = car[(OAKHAM_LSOA, UPPINGHAM_SURGERY)]
    assert 5 <= minutes <= 20
    assert car[(OAKHAM_LSOA, OAKHAM_PRACTICE)] < minutes  # the town's own practice is nearer


def test_walking_slower_than_cycling_slower_than_driving(rutland_od):
    od = rutland_od[2]
    keys = ["origin_code", "destination_code"]
    both = od["car"].merge(od["bicycle"], on=keys, suffixes=("_car", "_bike")).merge(
        od["foot"].rename(columns={"minutes": "minutes_foot"}), on=keys)
    assert len(both) >= 0.95 * len(od["car"])  # nearly every pair is routed in each mode
    assert (both["minutes_foot"] > both["minutes_bike"]).all()
    assert (both["minutes_bike"] > both["minutes_car"]).all()


def test_results_are_cached_per_extract_mode_and_sites(rutland_od):
    root, pbf, od = rutland_od
    cached = sorted((root / "cache" / "od").glob("*.csv"))
    assert len(cached) == 3  # one per mode
    assert {p.name.split("-")[1] for p in cached} == set(routing.MODES)
    origins = od["car"][["origin_code"]].drop_duplicates().head(2)
    dest = pd.DataFrame({"code": ["x"], "lon": [-0.72], "lat": [52.59]})
    orig = pd.DataFrame({"code": origins["origin_code"].to_numpy(), "lon": [-0.7376, -0.7236],
                         "lat": [52.6708, 52.6779]})
    one = routing.travel_times(pbf, orig, dest, "car", root / "cache")
    assert len(list((root / "cache" / "od").glob("*.csv"))) == 4  # other sites: another entry
    again = routing.travel_times(pbf, orig, dest, "car", root / "cache", router=_FailingRouter())
    pd.testing.assert_frame_equal(one, again)  # answered from the cache: the router is never asked


class _FailingRouter:
    def matrix(self, *args, **kwargs):
        raise AssertionError("the cache should have answered")


def test_a_point_far_from_any_road_is_unreachable_not_an_error(rutland_od):
    root, pbf, _ = rutland_od
    router = routing.Router(routing.build_tiles(pbf, root / "cache" / "tiles"))
    m = router.matrix([[-0.7376, 52.6708], [-3.5, 50.7]], [[-0.7236, 52.5950]], "car")  # Exeter: off the map
    assert np.isfinite(m[0, 0]) and np.isinf(m[1, 0])
    with pytest.raises(routing.RoutingError, match="unknown travel mode"):
        router.matrix([[-0.7, 52.6]], [[-0.7, 52.6]], "plane")


def test_a_plan_runs_on_the_routed_times(rutland_od, capsys):
    root, _, _ = rutland_od
    capsys.readouterr()
    code = cli.main(["plan", *RUTLAND, "--travel-times", str(root / "od_car.csv"), "--sites", "gp,pharmacy",
                     "--target", "all", "--objective", "pmedian", "--k", "2", "--radius-min", "10",
                     "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    data = json.loads(out.out)
    assert data["unit"] == "min" and data["radius"] == 10 and len(data["chosen_sites"]) == 2
    assert 0 < data["mean_cost"] <= data["p90_cost"] <= data["max_cost"] < 60
    assert data["unreachable_share"] == 0 and 0 < data["covered_share"] <= 1
    assert "in minutes" in out.err  # the note says which unit was read


def test_bad_extract_and_missing_engine_say_so(tmp_path, monkeypatch):
    fake = tmp_path / "x.osm.pbf"
    fake.write_bytes(b"<html>not an extract</html>")
    if routing.engine_available():
        with pytest.raises(routing.RoutingError, match="not an OpenStreetMap"):
            routing.build_tiles(fake, tmp_path)
    with pytest.raises(routing.RoutingError, match="not found"):
        routing.build_tiles(tmp_path / "absent.osm.pbf", tmp_path)
    monkeypatch.setattr(routing.engine, "_package_dir", lambda: tmp_path)  # a pyvalhalla without bin/
    assert not routing.engine_available()
    with pytest.raises(routing.EngineNotInstalled, match="not installed"):
        routing.valhalla_binary()


def test_the_fetcher_knows_the_extracts_and_the_devon_files():
    from geo_core20 import sources

    assert sources.geofabrik_url("Rutland") == \
        "https://download.geofabrik.de/europe/united-kingdom/england/rutland-latest.osm.pbf"
    assert sources.geofabrik_url("isle of wight").endswith("/england/isle-of-wight-latest.osm.pbf")
    with pytest.raises(ValueError, match="not a county"):
        sources.geofabrik_url("../../etc")
    osm = sources.get("osm_rutland")
    assert osm.urls == (sources.geofabrik_url("rutland"),) and osm.mirror_path.startswith("osm/")
    for dataset_id in ("hsma_devon_car", "hsma_devon_pt", "hsma_devon_sites", "hsma_devon_demand"):
        d = sources.get(dataset_id)
        assert d.mirror_path.startswith("hsma_devon/") and d.urls[0].startswith("https://raw.githubusercontent")
        assert d.urls[0].endswith(d.filename) and d.attribution


def test_sites_file_routed_then_planned_and_the_routed_cost_model(rutland_od, tmp_path, capsys):
    root, pbf, _ = rutland_od
    sites = tmp_path / "venues.csv"  # two hand-placed venues: Oakham and Uppingham market places
    sites.write_text("name,lon,lat,existing\nOakham Market Place,-0.7276,52.6696,yes\n"
                     "Uppingham Market Place,-0.7226,52.5890,no\n")
    od = tmp_path / "od.csv"
    assert cli.main(["travel-times", "--pbf", str(pbf), *RUTLAND, "--sites-file", str(sites), "--mode", "car",
                     "--out", str(od), "--cache-dir", str(root / "cache")]) == 0
    table = pd.read_csv(od)
    assert set(table["destination_code"]) == {"Oakham Market Place", "Uppingham Market Place"}
    capsys.readouterr()
    assert cli.main(["plan", *RUTLAND, "--travel-times", str(od), "--sites-file", str(sites),
                     "--target", "all", "--objective", "mclp", "--k", "1", "--radius-min", "10",
                     "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["code"] for s in data["fixed_sites"]] == ["Oakham Market Place"]  # the file's existing flag
    assert [s["code"] for s in data["chosen_sites"]] == ["Uppingham Market Place"]
    # the same times through the cost model the solvers take (points in British National Grid)
    from geo_core20 import access, siting

    router = routing.Router(routing.build_tiles(pbf, root / "cache" / "tiles"))
    cost = routing.RoutedCost(router, "car")
    assert isinstance(cost, access.CostModel) and cost.unit == "min"
    cands = siting.candidates_frame(["u"], ["Uppingham"], *_bng([-0.7226], [52.5890]))
    origin = access.points(["o"], *_bng([-0.7276], [52.6696]))
    minutes = cost.matrix(origin, access.site_points(cands, "candidate_id"))[0, 0]
    direct = router.matrix([[-0.7276, 52.6696]], [[-0.7226, 52.5890]], "car")[0, 0]
    assert minutes == pytest.approx(direct, rel=0.02) and 5 <= minutes <= 20
    to_uppingham = table[table["destination_code"] == "Uppingham Market Place"]
    from_lsoa = to_uppingham[to_uppingham["origin_code"] == OAKHAM_LSOA]
    assert 5 <= from_lsoa["minutes"].item() <= 20


def _bng(lon, lat):
    from geo_core20 import geocode

    return geocode.wgs84_to_bng(np.asarray(lon), np.asarray(lat))


# --- the tile builder runs under limits (geo_core20.limits), like the upload worker --------------------

def _fake_builder(tmp_path, monkeypatch, body: str):
    """A stand-in for valhalla_build_tiles (a shell script), so a limit can be reached on purpose."""
    script = tmp_path / "fake_build_tiles"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setattr(routing.engine, "valhalla_binary", lambda name="valhalla_build_tiles": script)
    pbf = tmp_path / "area.osm.pbf"
    pbf.write_bytes(adversarial_files._TINY_PBF)
    return pbf


def test_tile_build_past_its_processor_time_is_stopped_and_named(tmp_path, monkeypatch):
    from geo_core20 import limits

    pbf = _fake_builder(tmp_path, monkeypatch, "while :; do :; done")  # spins until the kernel stops it
    monkeypatch.setattr(limits, "ROUTING_BUILD_CPU_SECONDS", 1)
    with pytest.raises(errors.InputError, match=r"more than 1 s of processor time.*"
                                                r"limits\.ROUTING_BUILD_CPU_SECONDS"):
        routing.build_tiles(pbf, tmp_path / "cache")
    assert not list((tmp_path / "cache").glob(".*part*"))  # no half-built folder left behind


def test_tile_build_past_its_wall_time_is_stopped_and_named(tmp_path, monkeypatch):
    from geo_core20 import limits

    pbf = _fake_builder(tmp_path, monkeypatch, "exec sleep 60")
    monkeypatch.setattr(limits, "ROUTING_BUILD_WALL_SECONDS", 1)
    with pytest.raises(errors.InputError, match=r"took more than 1 s.*limits\.ROUTING_BUILD_WALL_SECONDS"):
        routing.build_tiles(pbf, tmp_path / "cache")


def test_tile_build_past_its_memory_is_stopped_and_named(tmp_path, monkeypatch):
    """The real Rutland build needs ~100 MB resident: under a 30 MB cap it is stopped, the limit named."""
    from geo_core20 import limits

    pbf = _extract()
    monkeypatch.setattr(limits, "ROUTING_BUILD_RAM_MB", 30)
    with pytest.raises(errors.InputError, match=r"more than 30 MB of memory.*limits\.ROUTING_BUILD_RAM_MB"):
        routing.build_tiles(pbf, tmp_path / "cache")
    assert not list((tmp_path / "cache").glob("rutland*"))  # nothing cached from the stopped build


def test_real_extract_builds_within_the_default_limits(tmp_path):
    """The shipped limits leave room for a real extract (Rutland measured at ~0.1 GB and ~1 CPU-s)."""
    from geo_core20 import limits

    assert limits.ROUTING_BUILD_RAM_MB >= 1024 and limits.ROUTING_BUILD_CPU_SECONDS >= 600
    config = routing.build_tiles(_extract(), tmp_path / "cache")
    assert any(config.parent.rglob("*.gph"))


def test_extract_with_no_roads_is_told_in_the_projects_words(tmp_path, caplog):
    """A well-formed extract holding one node and no ways: our words (what is wrong, what to do), while
    Valhalla's own text (its abort on an empty graph) goes only to the log."""
    if not routing.engine_available():
        pytest.skip("the Valhalla routing engine is not installed (pip install -r requirements.txt)")
    pbf = tmp_path / "no-roads.osm.pbf"
    pbf.write_bytes(adversarial_files._TINY_PBF)
    with caplog.at_level("WARNING", logger="geo_core20.routing"), \
            pytest.raises(routing.RoutingError) as caught:
        routing.build_tiles(pbf, tmp_path / "cache")
    message = str(caught.value)
    assert message.startswith("no-roads.osm.pbf holds no roads to route on")
    assert "download.geofabrik.de" in message  # what to do
    for valhalla_words in ("GraphId", "FileSuffix", "Valhalla could not", "exit", "what()"):
        assert valhalla_words not in message
    assert "GraphId" in caplog.text  # Valhalla's own text is kept, in the log
    assert not any((tmp_path / "cache").rglob("*.gph"))  # nothing half-built kept
