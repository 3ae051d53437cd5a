"""Equity that means something for a Core20 target (issue 19): the share of Core20 residents a plan
reaches against the share of the other residents, on the plan's demand definition without the Core20
restriction, recounted here from the atlas and the chosen sites."""

from __future__ import annotations

import numpy as np
import pytest

from geo_core20 import areas, schema, siting
from geo_core20.siting.equity import Equity

ICB = "E54000008"


def _recount(area, weights, sites, radius):
    xy = area[[schema.PWC_EASTING, schema.PWC_NORTHING]].to_numpy(float)
    s = sites[["easting", "northing"]].to_numpy(float)
    d = np.hypot(xy[:, None, 0] - s[None, :, 0], xy[:, None, 1] - s[None, :, 1]).min(axis=1)
    hit = d <= radius
    core = area[schema.CORE20].astype(bool).to_numpy()
    w = np.asarray(weights, float)
    return w[core & hit].sum() / w[core].sum(), w[~core & hit].sum() / w[~core].sum()


def test_a_core20_target_compares_core20_and_other_residents_reached(atlas2025):
    res = siting.plan("2025", "icb", ICB, siting.Target(focus="cancer"), ("gp", "pharmacy"), 3.0, 3, "mclp",
                      atlas_frame=atlas2025)
    eq = res.equity
    assert eq.covered_core20_share == 1.0  # the old figure: always 100% for a Core20 target
    area = areas.select(atlas2025, "icb", ICB)
    base, _ = siting.resolve_target(area, siting.Target("all", focus="cancer"))
    core20, other = _recount(area, base, res.siting.chosen, 3000.0)
    assert eq.core20_reach_share == pytest.approx(core20) and eq.other_reach_share == pytest.approx(other)
    assert 0 < other < core20 < 1  # Core20-targeted sites reach Core20 residents better
    assert eq.reach_gap_points == pytest.approx(100 * (core20 - other))
    assert "aged 55-74" in eq.base_label and "favours the most deprived" in eq.label
    data = res.to_dict()["equity"]
    assert data["core20_reach_share"] == pytest.approx(core20, abs=1e-6)
    assert Equity.from_dict(data) == eq  # a saved plan reads back the same comparison


def test_an_old_equity_record_still_reads_without_the_comparison():
    old = {"covered_population": 10, "covered_core20_population": 10, "target_population": 20,
           "target_core20_population": 20}
    eq = Equity.from_dict(old)
    assert not eq.has_reach and eq.core20_reach_share is None
    assert eq.label == eq.share_label and "core20_reach_share" not in eq.to_dict()
