"""Typed plan records: PlanRequest/PlanResult/Target round trips, old (version 1) records, cli_command."""

from __future__ import annotations

import dataclasses
import io
import json
import shlex
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_core20 import access, cli, plans, plus, siting, sources

V1 = Path(__file__).parent / "fixtures" / "plan_v1.json"
"""A plan record as saved before typed records (no schema_version; written by the old siting.py)."""


def _line():
    demand = pd.DataFrame({"code": [f"E0100000{i}" for i in range(6)],
                           "easting": [0.0, 1_000, 2_000, 10_000, 11_000, 20_000], "northing": 530_000.0,
                           "weight": [10.0, 10, 10, 50, 5, 30]})
    cands = siting.candidates_frame(["C0", "C1", "C2", "C3"], ["A", "B", "C", "D"],
                                    [1_000.0, 10_500, 20_000, 5_000], [530_000.0] * 4, [-1.0] * 4, [53.0] * 4)
    return demand, cands


def _result(objective: str = "mclp", k: int = 2) -> siting.PlanResult:
    demand, cands = _line()
    res = siting.solve(demand, cands, k, objective, 1_500)
    curve = siting.coverage_curve(demand, cands, 3, objective, 1_500)
    cov = access.Coverage(1_500, "m", 115, 100, 6, 5)
    target = siting.Target.from_spec(plus.TargetSpec("core20", "and", (plus.parse_condition("coastal"),)),
                                     focus="cancer")
    req = siting.PlanRequest(area_code="E54000008", target=target, radius_km=1.5, radius=1_500.0, k=k,
                             objective=objective, fixed_site_codes=("X1",), curve_max_k=3)
    eq = siting.Equity(85.0, 60.0, 115.0, 70.0)
    return siting.PlanResult(req, "Test ICB", target.describe(), res, cov, 4, cov, curve,
                             "2026-01-01T00:00:00+00:00", sources.attribution_lines(["gp_practices"]), eq)


def test_records_are_frozen_and_round_trip_through_json():
    for objective in siting.OBJECTIVES:
        plan = _result(objective)
        with pytest.raises(dataclasses.FrozenInstanceError):
            plan.area_name = "x"  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            plan.request.k = 9  # type: ignore[misc]
        data = json.loads(json.dumps(plan.to_dict(), allow_nan=False))
        assert data["schema_version"] == siting.PLAN_SCHEMA_VERSION == data["request"]["schema_version"]
        back = siting.PlanResult.from_dict(data)
        assert back.request == plan.request
        assert back.request.target.focus == "cancer" and back.request.target.spec is not None
        assert back.equity == plan.equity
        assert back.siting.chosen["candidate_id"].tolist() == plan.siting.chosen["candidate_id"].tolist()
        assert back.siting.covered_population == plan.siting.covered_population
        assert back.siting.mean_cost == pytest.approx(plan.siting.mean_cost)
        assert back.to_dict() == data  # reading then writing changes nothing


def test_target_keys_round_trip_and_keep_the_old_formats():
    spec = plus.TargetSpec("all", "or", (plus.parse_condition("coastal"),))
    for target in (siting.Target(), siting.Target("all"), siting.Target("core20", focus="cancer"),
                   siting.Target.from_spec(spec), siting.Target.from_spec(spec, "smi")):
        assert siting.target_from_key(target.key()) == target
    assert siting.Target().key() == "core20"  # as saved before: plain bases stay plain
    assert siting.Target.from_spec(spec).key() == "tb=all&tc=or&tx=coastal"
    assert siting.Target.from_key("core20&focus=cancer").focus == "cancer"
    # a rule without conditions is its base
    assert siting.Target.from_spec(plus.TargetSpec("core20", "and", ())) == siting.Target("core20")


def test_bad_targets_and_foci_are_refused_with_the_valid_ones_named():
    with pytest.raises(siting.SitingError, match="valid foci: maternity .*hypertension"):
        siting.Target(focus="lungs")
    with pytest.raises(siting.SitingError, match="unknown target"):
        siting.Target("rich")
    with pytest.raises(siting.SitingError, match="unknown part"):
        siting.Target.from_key("core20&colour=red")
    assert siting.Target(focus="none").focus is None and siting.Target(focus=" Cancer ").focus == "cancer"


def test_a_version_1_record_reads_as_typed_records():
    data = json.loads(V1.read_text())
    assert "schema_version" not in data  # the old format, as saved
    plan = siting.PlanResult.from_dict(data)
    assert plan.request.target == siting.Target.from_key("tb=core20&tc=and&tx=coastal")
    assert plan.request.radius_km == 1.5 and plan.request.k == 2 and plan.request.curve_max_k is None
    assert plan.siting.chosen["candidate_id"].tolist() == [c["candidate_id"]
                                                           for c in data["siting"]["chosen"]]
    assert plan.siting.covered_population == data["siting"]["covered_population"]
    assert plan.siting.total_seconds is None and plan.siting.warnings == () and plan.equity is None
    assert plan.existing.covered_population == data["existing"]["covered_population"]
    assert plan.curve["covered_population"].tolist() == [r["covered_population"] for r in data["curve"]]
    assert plan.to_dict()["schema_version"] == siting.PLAN_SCHEMA_VERSION  # rewritten in this version


def test_the_store_and_exports_read_a_version_1_record(tmp_path):
    data = json.loads(V1.read_text())
    store = plans.PlanStore(tmp_path / "plans.sqlite")
    pid = store.save(data, "Saved before typed records")
    saved = store.get(pid)
    assert saved.data == data  # stored exactly as given
    assert saved.plan.request.objective == "mclp"
    assert saved.sites()["candidate_id"].tolist() == [c["candidate_id"] for c in data["siting"]["chosen"]]
    listing = store.list()
    assert listing.loc[0, "target"] == "tb=core20&tc=and&tx=coastal" and listing.loc[0, "k"] == 2
    text = plans.to_csv(saved).decode("utf-8-sig")
    meta = dict(plans.metadata(saved))
    assert meta["radius"] == "1.5 km" and meta["target"] == "Core20 LSOAs AND coastal"
    assert meta["focus"] == "none"
    frame = pd.read_csv(io.BytesIO(text.encode("utf-8-sig")), comment="#")  # the documented recipe
    assert frame["code"].tolist() == [c["candidate_id"] for c in data["siting"]["chosen"]]
    gpkg = tmp_path / "v1.gpkg"
    plans.to_geopackage(saved, gpkg)
    assert len(pyogrio.read_dataframe(gpkg, layer="target_lsoas")) == len(data["siting"]["assignment"])
    cmd = plans.cli_command(saved.request)
    assert "--target-conditions coastal" in cmd and "--radius-km 1.5" in cmd


def test_cli_command_parses_back_to_the_same_request():
    req = _result().request
    cmd = plans.cli_command(req)
    argv = shlex.split(cmd)
    assert argv[:4] == ["python", "-m", "geo_core20", "plan"]
    args = cli.build_parser().parse_args(argv[3:])
    again = siting.target_from_text(args.target, args.target_conditions, args.combine, args.focus)
    assert again == req.target
    assert (args.vintage, args.level, args.area_code, args.k, args.objective, args.candidates) == \
        (req.vintage, req.level, req.area_code, req.k, req.objective, req.candidates)
    assert args.radius_km == req.radius_km and args.curve == req.curve_max_k
    assert tuple(args.sites.split(",")) == req.site_types and tuple(args.fixed.split(",")) == ("X1",)
    assert plans.cli_command(req.to_dict()) == cmd  # a saved (dict) request gives the same command
    # shell-quoted: a hostile area code stays one argument
    odd = dataclasses.replace(req, area_code="E1; rm -rf /")
    assert shlex.split(plans.cli_command(odd))[shlex.split(plans.cli_command(odd)).index("--area") + 1] == \
        "E1; rm -rf /"


def test_cli_command_is_empty_when_the_command_line_cannot_reproduce_the_plan():
    req = _result().request
    assert plans.cli_command(dataclasses.replace(req, candidates="upload")) == ""
    assert plans.cli_command(dataclasses.replace(req, unit="min", radius_km=None, radius=15.0)) == ""
    assert plans.cli_command(dataclasses.replace(req, target=siting.Target("custom"))) == ""
    upload_rule = plus.TargetSpec("core20", "and", (plus.parse_condition("up:my%20layer"),))
    assert plans.cli_command(dataclasses.replace(req, target=siting.Target.from_spec(upload_rule))) == ""


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="coretalndfuspx=&:,2019gmi ", max_size=60))
def test_any_target_text_reads_as_a_target_or_a_clear_error(text):
    try:
        target = siting.Target.from_key(text)
    except ValueError as exc:  # SitingError or plus.TargetError, both with a message
        assert str(exc)
        return
    assert siting.Target.from_key(target.key()) == target


@settings(max_examples=100, deadline=None)
@given(st.sets(st.sampled_from(sorted(json.loads(V1.read_text())["request"])), max_size=5))
def test_a_plan_record_missing_request_fields_still_reads(dropped):
    data = json.loads(V1.read_text())
    for key in dropped:
        del data["request"][key]
    plan = siting.PlanResult.from_dict(data)
    assert plan.request.target.base in (*siting.TARGET_BASES, "custom")
    assert siting.PlanResult.from_dict(json.loads(json.dumps(plan.to_dict()))).request == plan.request
