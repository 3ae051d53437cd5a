"""A plan's target in its record (issue 19, plan schema 4): structured fields instead of the share-link
text ("core20&focus=cancer"); records of versions 1-3 still read, and reopen with the same target."""

from __future__ import annotations

import json

from geo_core20 import plus, siting
from geo_core20.siting import PlanRequest, Target


def test_the_target_is_stored_as_fields_and_reads_back():
    coastal = plus.TargetSpec(base="core20", combine="and", conditions=(plus.Condition("coastal"),))
    for target in (Target(), Target(focus="cancer"), Target("all", focus="hypertension"),
                   Target.from_spec(coastal, "cancer")):
        data = json.loads(json.dumps(PlanRequest(target=target).to_dict()))
        assert isinstance(data["target"], dict) and "&" not in json.dumps(data["target"])
        assert data["target"]["base"] == target.base and data["target"]["focus"] == target.focus
        assert PlanRequest.from_dict(data).target == target
    fields = PlanRequest(target=Target.from_spec(coastal, "cancer")).to_dict()["target"]
    assert fields["combine"] == "and" and fields["conditions"][0]["kind"] == "coastal"
    assert siting.PLAN_SCHEMA_VERSION == 4


def test_a_version_3_record_with_a_url_fragment_still_reads():
    old = {"schema_version": 3, "vintage": "2025", "level": "icb", "area_code": "E54000008",
           "target": "core20&focus=cancer", "focus": "cancer", "k": 2, "objective": "mclp"}
    req = PlanRequest.from_dict(old)
    assert req.target == Target(focus="cancer")
    assert req.to_dict()["target"] == {"base": "core20", "focus": "cancer"}  # migrated when saved again
    plus_rule = PlanRequest.from_dict({**old, "target": "tb=core20&tc=and&tx=coastal", "focus": None})
    assert plus_rule.target.spec is not None
    assert plus_rule.to_dict()["target"]["conditions"][0]["kind"] == "coastal"
    broken = PlanRequest.from_dict({**old, "target": {"base": "core20", "conditions": [{"nonsense": 1}]}})
    assert broken.target.base == "custom"  # an unreadable target does not stop the plan opening
