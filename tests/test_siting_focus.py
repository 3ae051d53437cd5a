"""Focus-aware outreach and equity: demand = a clinical focus population in the target LSOAs; every
plan reports the Core20 share of the people it covers against that share in the target."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from geo_core20 import access, areas, cli, clinical, errors, plus, schema, siting

ICB = "E54000008"  # Cheshire and Merseyside: all ten deciles, Core20 and coast


def _area() -> pd.DataFrame:
    """Four hand-made LSOAs: two Core20, two not."""
    return pd.DataFrame({schema.LSOA_CODE: ["E01000001", "E01000002", "E01000003", "E01000004"],
                         schema.CORE20: [True, True, False, False],
                         schema.POPULATION: [1_000, 2_000, 3_000, 4_000]}, index=[10, 11, 12, 13])


def _ages(area: pd.DataFrame, focus: str) -> pd.Series:
    assert focus == "cancer"
    return pd.Series([100.0, 250.0, 300.0, 400.0], index=area.index)


# --- weights --------------------------------------------------------------------------------------

def test_focus_weights_are_the_focus_population_of_the_target_lsoas():
    area = _area()
    core20 = siting.Target("core20", focus="cancer").weights(area, focus_population=_ages)
    assert core20.tolist() == [100.0, 250.0, 0.0, 0.0] and core20.index.equals(area.index)
    everyone = siting.Target("all", focus="cancer").weights(area, focus_population=_ages)
    assert everyone.tolist() == [100.0, 250.0, 300.0, 400.0]
    no_focus = siting.Target("core20").weights(area)
    assert no_focus.tolist() == [1_000.0, 2_000.0, 0.0, 0.0]
    weights, label = siting.resolve_target(area, siting.Target("core20", focus="cancer"),
                                           focus_population=_ages)
    assert weights.sum() == 350 and label.startswith("Residents aged 55-74") and "Core20" in label


def test_a_misaligned_focus_population_is_refused():
    area = _area()
    with pytest.raises(siting.SitingError, match="not aligned"):
        siting.Target("core20", focus="cancer").weights(
            area, focus_population=lambda a, f: pd.Series(1.0, index=range(4)))


def test_the_real_focus_population_is_wired(atlas2025):
    area = areas.select(atlas2025, "icb", ICB)
    w = siting.Target("core20", focus="cancer").weights(area)
    direct = clinical.focus_population(area, "cancer").where(area[schema.CORE20], 0.0)
    pd.testing.assert_series_equal(w, direct, check_names=False)
    coastal = plus.TargetSpec("all", "and", (plus.parse_condition("coastal"),))
    w2 = siting.Target.from_spec(coastal, "hypertension").weights(area)
    mask = plus.evaluate(coastal, area).mask.reindex(area.index).fillna(False)
    expected = clinical.focus_population(area, "hypertension")[mask].clip(lower=0).sum()
    assert w2.sum() == pytest.approx(expected)
    assert (w2[~mask] == 0).all()


# --- equity ---------------------------------------------------------------------------------------

def test_equity_of_a_hand_made_assignment():
    area = _area()
    assignment = pd.DataFrame({"code": area[schema.LSOA_CODE], "weight": [100.0, 250.0, 300.0, 400.0],
                               "covered": [True, False, True, True]})
    eq = siting.equity.equity(assignment, area)
    assert eq.covered_population == 800 and eq.covered_core20_population == 100
    assert eq.covered_core20_share == pytest.approx(100 / 800)
    assert eq.target_core20_share == pytest.approx(350 / 1050)
    assert eq.gap_points < 0 and "less than their share" in eq.label
    fair = siting.Equity(100, 50, 200, 100)
    assert "in proportion" in fair.label and siting.Equity(0, 0, 0, 0).label.startswith("No target")


@pytest.fixture(scope="module")
def focus_plan(atlas2025):
    from geo_core20 import atlas as atlas_mod

    sites = atlas_mod.load_sites()
    target = siting.Target("all", focus="cancer")
    res = siting.plan("2025", "icb", ICB, target, ("gp", "pharmacy"), 1.5, 5, "mclp", atlas_frame=atlas2025,
                      sites_frame=sites)
    return res, sites


def test_a_focus_plan_covers_what_a_direct_recount_finds(atlas2025, focus_plan):
    res, sites = focus_plan
    area = areas.select(atlas2025, "icb", ICB)
    people = clinical.focus_population(area, "cancer")  # everyone aged 55-74: target base "all"
    chosen = sites.set_index("site_code").loc[res.siting.chosen["candidate_id"]].reset_index()
    near = access.nearest_site(area, chosen)
    covered = (near["cost"] <= 1_500).to_numpy()
    assert res.siting.total_target_population == pytest.approx(people.sum())
    assert res.siting.covered_population == pytest.approx(people[covered].sum())
    assert res.target_label.startswith("Residents aged 55-74")
    # equity recounted from the atlas's Core20 flag
    core20 = area[schema.CORE20].to_numpy(dtype=bool)
    eq = res.equity
    assert eq.covered_core20_share == pytest.approx(people[covered & core20].sum() / people[covered].sum())
    assert eq.target_core20_share == pytest.approx(people[core20].sum() / people.sum())
    data = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert data["equity"]["covered_core20_share"] == pytest.approx(eq.covered_core20_share)
    # plan schema 4: structured fields, not the share-link text "all&focus=cancer" (issue 19)
    assert data["request"]["focus"] == "cancer"
    assert data["request"]["target"] == {"base": "all", "focus": "cancer"}


def test_a_plan_serving_the_least_deprived_first_shows_lower_equity(atlas2025):
    area = areas.select(atlas2025, "icb", ICB)
    target = siting.Target("all", focus="cancer")

    def plan_from(deciles: list[int]) -> siting.PlanResult:
        lsoas = area[area[schema.IMD_DECILE].isin(deciles)]
        return siting.plan("2025", "icb", ICB, target, (), 1.5, 5, "mclp",
                           candidates=siting.candidates_from_lsoas(lsoas), atlas_frame=atlas2025,
                           sites_frame=pd.DataFrame(columns=["site_code", "site_type", "lon", "lat"]))

    affluent, deprived = plan_from([9, 10]), plan_from([1, 2])
    assert affluent.equity.target_core20_share == pytest.approx(deprived.equity.target_core20_share)
    assert affluent.equity.covered_core20_share < affluent.equity.target_core20_share
    assert deprived.equity.covered_core20_share > deprived.equity.target_core20_share
    assert affluent.equity.covered_core20_share < deprived.equity.covered_core20_share
    assert "less deprived" in affluent.equity.label and "most deprived" in deprived.equity.label


# --- command line -----------------------------------------------------------------------------------

def test_plan_command_refuses_an_unknown_focus_listing_the_valid_ones(capsys):
    code = cli.main(["plan", "--level", "icb", "--area", ICB, "--focus", "lungs"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown focus 'lungs'" in err
    for focus in clinical.FOCUS_IDS:
        assert focus in err


def test_plan_command_takes_a_focus(atlas2025, capsys):
    code = cli.main(["plan", "--level", "icb", "--area", ICB, "--target", "core20", "--focus", "cancer",
                     "--radius-km", "1.5", "--k", "3", "--curve", "2"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["focus"] == "cancer" and out["target_label"].startswith("Residents aged 55-74")
    assert out["equity"]["covered_core20_share"] == 1.0  # a Core20 target: everyone covered is Core20
    assert [r["k"] for r in out["curve"]] == [0, 1, 2]
    area = areas.select(atlas2025, "icb", ICB)
    expected = clinical.focus_population(area, "cancer")[area[schema.CORE20]].sum()
    assert out["total_target_population"] == pytest.approx(expected)
    assert np.isfinite(out["total_seconds"]) and out["solve_seconds"] <= out["total_seconds"]



def test_a_focus_population_that_cannot_be_had_is_a_clear_error():
    def missing(area: pd.DataFrame, focus: str) -> pd.Series:
        raise errors.NotBuiltError("clinical 2025 not built: run `make data`")

    with pytest.raises(siting.SitingError, match="cancer.*focus population is not available here.*make data"):
        siting.Target("core20", focus="cancer").weights(_area(), focus_population=missing)


def test_plan_csv_has_no_float_noise(atlas2025, capsys):
    code = cli.main(["plan", "--level", "icb", "--area", ICB, "--focus", "cancer", "--k", "2",
                     "--format", "csv"])
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert code == 0 and (frame["focus"] == "cancer").all() and len(frame) == 2
    for col in ("site_covered_population", "target_population_covered", "total_target_population",
                "mean_cost"):
        assert (frame[col].round(2) == frame[col]).all()
