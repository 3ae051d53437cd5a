"""The planner's own files (plan_files): OD files long or wide, sites files, demand; and the plan figures.

Tiny hand-made tables only; the real Devon files are in test_devon_real.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo_core20 import access, limits, plan_files, siting, uploads

ATLAS = pd.DataFrame({"lsoa_code": ["E01000001", "E01000002", "E01000003"],
                      "lsoa_name": ["Plymouth 001A", "Plymouth 001B", "Exeter 002C"]})
SITES = siting.candidates_frame(["S1", "S2", "S3"], ["Barnstaple - Archwood", "Tiverton", "Honiton, Devon"],
                                [250_000.0, 290_000, 315_000], [130_000.0, 110_000, 100_000])
V1 = Path(__file__).parent / "fixtures" / "plan_v1.json"


def _read(text: str, filename: str = "times.csv", **kw) -> plan_files.TravelTimes:
    return plan_files.read_travel_times(text.encode(), filename, ATLAS, sites=kw.pop("sites", SITES), **kw)


def _costs(tt: plan_files.TravelTimes, codes=("E01000001", "E01000002", "E01000003"), ids=("S1", "S2", "S3")):
    return tt.cost.matrix(pd.DataFrame({"code": list(codes)}), pd.DataFrame({"code": list(ids)}))


# --- OD files ------------------------------------------------------------------------------------

def test_long_form_by_code_in_minutes():
    tt = _read("origin_code,destination_code,minutes\nE01000001,S1,12.5\nE01000002,S2,7\n"
               "E01000003,S3,30\nE01000003,S1,3\n")
    assert tt.form == "long" and tt.time_unit == "minutes" and tt.origin_kind == "codes"
    m = _costs(tt)
    assert m[0, 0] == 12.5 and m[1, 1] == 7 and m[2, 0] == 3 and np.isinf(m[0, 1])  # unlisted: unreachable
    assert "in minutes" in tt.describe()


def test_wide_form_by_name_with_site_names_and_unreachable_cells():
    text = ('from_id,Barnstaple - Archwood,TIVERTON,"Honiton,  Devon"\n'
            "Plymouth 001A,10,,9999\nplymouth 001b,20,-1,5\nExeter 002C,30,40,10000\n")
    tt = _read(text)
    assert tt.form == "wide" and tt.origin_kind == "names" and tt.destinations == ("S1", "S2", "S3")
    m = _costs(tt)
    assert m[0, 0] == 10 and m[1, 2] == 5 and m[2, 1] == 40
    assert np.isinf([m[0, 1], m[0, 2], m[1, 1], m[2, 2]]).all()  # blank, 9999, negative, >= 9999
    assert tt.unreachable_cells == 4 and tt.cells == 9
    assert "4 of 9 cell(s) are unreachable" in tt.describe()


def test_destinations_match_by_id_too():
    tt = _read("lsoa,S1,s2,Honiton, Devon\nE01000001,1,2,3\n".replace("Honiton, Devon", '"Honiton, Devon"'))
    assert tt.destinations == ("S1", "S2", "S3")


def test_seconds_by_option_or_by_the_time_columns_name():
    wide = _read("from_id,S1,S2,S3\nPlymouth 001A,600,120,60\n", time_unit="seconds")
    assert wide.time_unit == "seconds" and _costs(wide)[0].tolist() == [10, 2, 1]
    assert "in seconds (converted to minutes)" in wide.describe()
    named = _read("origin,destination,seconds\nE01000001,S1,90\n")
    assert named.time_unit == "seconds" and _costs(named)[0, 0] == 1.5
    assert "column 'seconds'" in named.describe()
    as_minutes = _read("origin,destination,seconds\nE01000001,S1,90\n", time_unit="minutes")
    assert as_minutes.cost.table["cost"][0] == 90


@pytest.mark.parametrize("text, words", [
    ("from_id,S1\nPlymouth 001A,5\nPlymuth 009Z,6\n", ["'Plymuth 009Z'", "rows 3", "do not exist"]),
    ("origin,destination,minutes\nE01999999,S1,5\n", ["'E01999999'", "rows 2", "LSOA codes"]),
    ("from_id,S1,Bideford Hospital,Nowhere\nPlymouth 001A,5,6,7\n",
     ["2 destination(s)", "'Bideford Hospital'", "'Nowhere'", "match no candidate"]),
    ("from_id,S1,S2\nPlymouth 001A,5,6\nPlymouth 001B,,9999\n",
     ["can reach no site", "'Plymouth 001B'", "rows 3"]),
    ("from_id,S1,S2\nPlymouth 001A,5,ten\nPlymouth 001B,1 hour,6\n",
     ["2 time cell(s) hold text", "row 2, column 'S2': 'ten'", "row 3, column 'S1': '1 hour'"]),
    ("origin,destination,minutes\nE01000001,,5\n", ["no destination", "rows 2"]),
])
def test_bad_od_files_name_what_is_at_fault(text, words):
    with pytest.raises(access.AccessError) as err:
        _read(text)
    for word in words:
        assert word in str(err.value)


def test_od_files_are_bounded_by_the_upload_limits(monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", 2)
    with pytest.raises(uploads.UploadError, match="rows"):
        _read("from_id,S1\nPlymouth 001A,1\nPlymouth 001B,2\nExeter 002C,3\n")
    with pytest.raises(access.AccessError, match="time unit"):
        _read("from_id,S1\nPlymouth 001A,1\n", time_unit="hours")


# --- demand --------------------------------------------------------------------------------------

def test_demand_by_code_or_by_name():
    by_code = plan_files.read_demand(b"LSOA 2021 Code,MF50-84\nE01000001,630\nE01000003,\n", "d.csv",
                                     "MF50-84", ATLAS)
    assert by_code.values.to_dict() == {"E01000001": 630.0, "E01000003": 0.0} and by_code.lsoa_kind == "codes"
    by_name = plan_files.read_demand(b"area,smokers\nPlymouth 001B,12\nExeter 002C,3.5\n", "d.csv", "Smokers",
                                     ATLAS)
    assert by_name.values.to_dict() == {"E01000002": 12.0, "E01000003": 3.5} and by_name.lsoa_kind == "names"
    assert by_name.source == "d.csv, column smokers" and by_name.total == 15.5


@pytest.mark.parametrize("text, column, words", [
    (b"lsoa_code,n\nE01000001,5\n", "m", ["no column 'm'", "'n'"]),
    (b"lsoa_code,n\nE01000001,five\nE01000002,-2\n", "n", ["text in rows 2", "'five'"]),
    (b"lsoa_code,n\nE01000001,5\nE01000002,-2\n", "n", ["negative demand in rows 3"]),
    (b"lsoa_code,n\nE01000001,5\nE01000001,6\n", "n", ["more than once", "rows 2, 3"]),
    (b"name,n\nPlymouth 001A,5\nAtlantis 001A,6\nPlymouth 001B,7\n", "n", ["'Atlantis 001A'", "rows 3"]),
])
def test_bad_demand_names_the_rows(text, column, words):
    with pytest.raises(access.AccessError) as err:
        plan_files.read_demand(text, "d.csv", column, ATLAS)
    for word in words:
        assert word in str(err.value)


# --- sites files (located on the real atlas) ------------------------------------------------------

def test_sites_file_with_quoted_longitudes_and_an_existing_flag(atlas2025):
    text = ('Facility_Name,Latitude,Longitude,Existing\n'
            'Bideford Community Hospital,51.01809928081885," -4.212522957859537",Yes\n'
            '"Colin Campbell Court, Plymouth",50.370672920789495,-4.148156858545842,yes\n'
            'Tiverton - Lowman Way,50.91182163035265," -3.465859009132704",No\n')
    read = plan_files.read_sites_file(text.encode(), "cdcs.csv", atlas2025)
    c = read.candidates
    assert c["candidate_id"].tolist() == c["name"].tolist()  # no id column: the name is the id
    assert read.existing_ids == ("Bideford Community Hospital", "Colin Campbell Court, Plymouth")
    assert c.loc[0, "lon"] == pytest.approx(-4.212523) and c.loc[2, "easting"] > 290_000
    assert list(c.columns[:6]) == list(siting.CANDIDATE_COLUMNS)


def test_sites_file_with_ids_and_bad_rows(atlas2025):
    ok = plan_files.read_sites_file(b"id,name,lon,lat\nA1,Library,-4.14,50.37\nA2,,-3.53,50.72\n",
                                    "s.csv", atlas2025)
    assert ok.candidates["candidate_id"].tolist() == ["A1", "A2"]
    assert ok.candidates["name"].tolist()[1] == "A2"  # a blank name falls back to the id
    assert ok.existing_ids == ()
    for text, words in (
        (b"name,lon,lat\nA,-4.14,50.37\nA,-3.53,50.72\n", ["unique", "'A'", "rows 2, 3"]),
        (b"name,lon,lat,existing\nA,-4.14,50.37,maybe\n", ["Yes or No", "rows 2", "'maybe'"]),
        (b"name,lon,lat\nA,-4.14,50.37\nParis,2.35,48.85\n", ["1 site(s) could not be located", "row 3"]),
        (b"name,town\nA,Exeter\n", ["does not say where"]),
    ):
        with pytest.raises(access.AccessError) as err:
            plan_files.read_sites_file(text, "s.csv", atlas2025)
        for word in words:
            assert word in str(err.value)


def test_sites_file_located_by_postcode_offline(atlas2025):
    from geo_core20 import atlas, geocode

    try:
        index = geocode.load_postcode_index(build_if_missing=False)
    except FileNotFoundError as exc:
        pytest.skip(f"postcode index not built: {exc}")
    gp = atlas.load_sites().query("site_type == 'gp'").dropna(subset=["postcode"]).iloc[0]
    text = f"site_id,site_name,postcode\nP1,Practice,{gp['postcode']}\nP2,Nowhere,ZZ99 9ZZ\n"
    with pytest.raises(access.AccessError, match="row 3"):
        plan_files.read_sites_file(text.encode(), "s.csv", atlas2025, postcode_index=index)
    first = text[: text.index("P2")].encode()
    read = plan_files.read_sites_file(first, "s.csv", atlas2025, postcode_index=index)
    c = read.candidates
    assert c["candidate_id"].tolist() == ["P1"] and c.loc[0, "located_by"] == "postcode"
    assert abs(c.loc[0, "easting"] - gp["easting"]) < 1_000
    assert abs(c.loc[0, "northing"] - gp["northing"]) < 1_000


# --- the plan's figures ----------------------------------------------------------------------------

def _od_solve(k: int = 1) -> siting.SitingResult:
    """Four LSOAs, two candidates; LSOA D reaches neither (an unreachable cell)."""
    demand = pd.DataFrame({"code": list("ABCD"), "easting": 0.0, "northing": 0.0,
                           "weight": [10.0, 20.0, 30.0, 40.0]})
    cands = siting.candidates_frame(["S1", "S2"], ["one", "two"], [0.0, 1.0], [0.0, 1.0], [0.0, 0.0],
                                    [0.0, 0.0])
    rows = [("A", "S1", 5), ("B", "S1", 10), ("C", "S1", 50), ("A", "S2", 50), ("B", "S2", 50),
            ("C", "S2", 40)]
    od = access.ODMatrixCost(pd.DataFrame(rows, columns=["origin_code", "destination_code", "cost"]))
    return siting.solve(demand, cands, k, "pmedian", 15, cost_model=od)


def test_p90_max_and_unreachable_share_over_the_demand():
    s = _od_solve(1)
    assert s.chosen["candidate_id"].tolist() == ["S1"]
    # reachable demand: A 10 @ 5, B 20 @ 10, C 30 @ 50 (60 in all); 90% of it = 54 -> within 50 min
    assert s.max_cost == 50 and s.p90_cost == 50 and s.unreachable_share == pytest.approx(0.4)
    two = _od_solve(2)
    assert two.max_cost == 40 and two.p90_cost == 40  # C now at 40 min
    assert np.isinf(two.mean_cost)  # mean over all demand, as before, with D unreachable
    d = two.to_dict()
    assert d["p90_cost"] == 40 and d["unreachable_share"] == 0.4 and json.dumps(d, allow_nan=False)


def test_p90_is_demand_weighted():
    demand = pd.DataFrame({"code": list("AB"), "easting": 0.0, "northing": 0.0, "weight": [95.0, 5.0]})
    cands = siting.candidates_frame(["S1"], ["one"], [0.0], [0.0], [0.0], [0.0])
    od = access.ODMatrixCost(pd.DataFrame([("A", "S1", 3), ("B", "S1", 60)],
                                          columns=["origin_code", "destination_code", "cost"]))
    s = siting.solve(demand, cands, 1, "pmedian", 15, cost_model=od)
    assert s.p90_cost == 3 and s.max_cost == 60 and s.unreachable_share == 0


def test_version_2_and_version_1_records_still_open():
    from tests.test_siting_records import _result

    plan = _result("pmedian")
    v2 = json.loads(plan.to_json())
    v2["schema_version"] = v2["request"]["schema_version"] = 2
    for key in ("demand_source", "demand"):
        v2["request"].pop(key)
    for key in ("p90_cost", "max_cost", "unreachable_share"):
        v2["siting"].pop(key)
    back = siting.PlanResult.from_dict(v2)
    assert back.request.demand == () and back.request.demand_source is None
    assert back.schema_version == siting.PLAN_SCHEMA_VERSION == 4
    assert back.siting.max_cost == plan.siting.max_cost  # figures recounted from the stored assignment
    old = siting.PlanResult.from_dict(json.loads(V1.read_text()))
    assert old.request.demand == () and np.isfinite(old.siting.p90_cost) and old.siting.unreachable_share == 0
    assert old.summary()["p90_cost"] == old.siting.p90_cost


def test_own_demand_replaces_the_target_and_is_kept_with_the_request(atlas2025):
    area = atlas2025[atlas2025["lad_code"] == "E06000017"]
    codes = area["lsoa_code"].tolist()
    demand = pd.Series([100.0] * 5 + [0.0] * (len(codes) - 5), index=codes)
    res = siting.plan("2025", "lad", "E06000017", site_types=("gp",), k=1, objective="mclp", radius_km=3,
                      atlas_frame=atlas2025, demand=demand, demand_source="mine.csv, column n")
    assert res.siting.total_target_population == 500 and len(res.request.demand) == 5
    assert res.target_label == "Demand: mine.csv, column n" and not res.request.reproducible
    back = siting.PlanResult.from_dict(json.loads(res.to_json()))
    assert back.request.demand_series().to_dict() == {c: 100.0 for c in codes[:5]}
    plain = siting.plan("2025", "lad", "E06000017", site_types=("gp",), k=1, objective="mclp", radius_km=3,
                        atlas_frame=atlas2025, target="all")
    assert plain.request.demand == () and plain.request.demand_source is None and plain.request.reproducible
    assert plain.request.target.key() == "all"
    with pytest.raises(siting.SitingError, match="no LSOA of this area"):
        siting.plan("2025", "lad", "E06000017", site_types=("gp",), k=1, atlas_frame=atlas2025,
                    demand=pd.Series({"E01000001": 5.0}))


def test_cli_bad_files_exit_2_naming_the_fault(atlas2025, tmp_path, capsys):
    from geo_core20 import cli

    bad = tmp_path / "times.csv"
    bad.write_text("from_id,C82010\nRutland 003B,5\nRutland 099Z,7\n")
    args = ["plan", "--level", "lad", "--area", "E06000017", "--sites", "gp", "--target", "all", "--k", "1"]
    capsys.readouterr()
    assert cli.main([*args, "--travel-times", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "'Rutland 099Z'" in err and "rows 3" in err and "Traceback" not in err
    assert cli.main([*args, "--radius-min", "20"]) == 2
    assert "--radius-min needs --travel-times" in capsys.readouterr().err
    assert cli.main([*args, "--demand-file", str(bad)]) == 2
    assert "go together" in capsys.readouterr().err
    assert cli.main([*args, "--sites-file", str(tmp_path / "absent.csv")]) == 2
    assert "sites file not found" in capsys.readouterr().err
    assert bad.read_text().startswith("from_id")  # the user's file is left as it was


def test_cli_files_are_read_in_the_upload_worker_under_its_limits(atlas2025, tmp_path, capsys, monkeypatch):
    """A file past the worker's memory limit ends as the project's error naming it (exit 2), for each of
    --travel-times, --sites-file and --demand-file; the command line itself carries on."""
    from geo_core20 import cli

    wide = tmp_path / "wide.csv"  # 6 MB, within MAX_UPLOAD_MB, but 3 million cells to hold as text
    row = ",".join(["5"] * 900) + "\n"
    wide.write_text("origin," + ",".join(f"s{i}" for i in range(899)) + "\n" + row * 3500)
    monkeypatch.setattr(limits, "UPLOAD_RAM_MB", 16)
    args = ["plan", "--level", "lad", "--area", "E06000017", "--sites", "gp", "--target", "all", "--k", "1"]
    capsys.readouterr()
    for extra in (["--travel-times", str(wide)], ["--sites-file", str(wide)],
                  ["--demand-file", str(wide), "--demand-column", "s1"]):
        assert cli.main([*args, *extra]) == 2, extra
        err = capsys.readouterr().err
        assert "'wide.csv' needed more than 16 MB of memory to read (limits.UPLOAD_RAM_MB)" in err, extra
        assert "Traceback" not in err


def test_cli_started_as_a_program_reads_its_files_in_the_worker(atlas2025, tmp_path):
    """`python -m geo_core20 plan` (the CLI's own main module) starts the worker and reports a bad file."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    bad = tmp_path / "times.csv"
    bad.write_text("from_id,C82010\nRutland 003B,5\nRutland 099Z,7\n")
    run = subprocess.run([sys.executable, "-m", "geo_core20", "plan", "--level", "lad", "--area", "E06000017",
                          "--sites", "gp", "--target", "all", "--k", "1", "--travel-times", str(bad)],
                         capture_output=True, text=True, timeout=600, cwd=root,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert run.returncode == 2, run.stderr[-800:]
    assert "'Rutland 099Z'" in run.stderr and "Traceback" not in run.stderr
