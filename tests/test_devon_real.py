"""The HSMA Devon example on the real files (mirror -> `data fetch`): p-median against exhaustive search.

Devon ICB (729 LSOAs), the 4 community diagnostic centres fixed, 14 candidate sites, residents aged
50-84 as demand: for k = 1..4 new sites the planner's p-median equals an exhaustive search over the
candidates (computed here with itertools.combinations), by car and by public transport (whose
9999 cells are unreachable), and the command line prints the same figures.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from geo_core20 import areas, atlas, cli, plan_files, plans, siting

DEVON = "E54000037"
MATRICES = {"car": "hsma_devon_car", "pt": "hsma_devon_pt"}


def _input(dataset_id: str):
    try:
        return atlas.input_path(dataset_id)
    except Exception as exc:  # DataError: the mirror file is missing
        pytest.skip(f"input not found: {exc}")


@pytest.fixture(scope="module")
def devon(atlas2025):
    paths = {k: _input(i) for k, i in {**MATRICES, "sites": "hsma_devon_sites",
                                         "demand": "hsma_devon_demand"}.items()}
    sites = plan_files.read_sites_file(paths["sites"].read_bytes(), paths["sites"].name, atlas2025)
    demand = plan_files.read_demand(paths["demand"].read_bytes(), paths["demand"].name, "MF50-84", atlas2025)
    times = {k: plan_files.read_travel_times(paths[k].read_bytes(), paths[k].name, atlas2025,
                                             sites=sites.candidates) for k in MATRICES}
    return paths, sites, demand, times


def _exhaustive(area: pd.DataFrame, sites: plan_files.SitesFile, demand: pd.Series,
                times: plan_files.TravelTimes, k: int) -> tuple[float, tuple[str, ...]]:
    """Least demand-weighted mean minutes to the nearest open site over every choice of k candidates."""
    codes = area["lsoa_code"].astype(str)
    w = codes.map(demand).fillna(0.0).to_numpy(float)
    ids = sites.candidates["candidate_id"].tolist()
    m = times.cost.matrix(pd.DataFrame({"code": codes}), pd.DataFrame({"code": ids}))
    fixed = [ids.index(i) for i in sites.existing_ids]
    fixed_best = m[:, fixed].min(axis=1)
    candidates = [j for j in range(len(ids)) if j not in fixed]
    best = (np.inf, ())
    for combo in itertools.combinations(candidates, k):
        nearest = np.minimum(fixed_best, m[:, list(combo)].min(axis=1))
        assert np.isfinite(nearest[w > 0]).all()  # every LSOA reaches a fixed centre, even by bus
        mean = float((w * nearest).sum() / w.sum())
        if mean < best[0] - 1e-12:
            best = (mean, tuple(ids[j] for j in combo))
    return best


def test_the_files_read_as_published(devon):
    _, sites, demand, times = devon
    assert len(sites.candidates) == 18 and len(sites.existing_ids) == 4
    assert "Bideford Community Hospital" in sites.existing_ids
    assert sites.candidates["lon"].between(-4.7, -3.0).all()  # " -4.21" (quoted, leading space) read
    assert demand.total == 519_493 and len(demand.values) == 729
    car, pt = times["car"], times["pt"]
    assert car.form == pt.form == "wide" and car.origin_kind == "names" and car.origins == 729
    assert car.unreachable_cells == 0 and car.cells == 729 * 18
    assert pt.unreachable_cells == 109  # the 9999 cells (about 0.8%)
    assert any("minutes" in n for n in car.notes) and any("109 of 13,122" in n for n in pt.notes)


@pytest.mark.parametrize("matrix", list(MATRICES))
def test_pmedian_equals_exhaustive_search(devon, atlas2025, matrix):
    _, sites, demand, times = devon
    area = areas.select(atlas2025, "icb", DEVON)
    assert len(area) == 729
    for k in range(1, 5):
        want, combo = _exhaustive(area, sites, demand.values, times[matrix], k)
        res = siting.plan("2025", "icb", DEVON, site_types=(), k=k, objective="pmedian",
                          candidates=sites.candidates, fixed_site_codes=sites.existing_ids,
                          cost_model=times[matrix].cost, threshold=30.0, atlas_frame=atlas2025,
                          demand=demand.values, demand_source=demand.source)
        s = res.siting
        assert s.mean_cost == pytest.approx(want, rel=1e-9), (matrix, k, combo, list(s.chosen.candidate_id))
        assert s.total_target_population == demand.total  # the demand is the file's column, recounted
        assert len(s.chosen) == k and len(s.fixed) == 4 and s.unit == "min"
        assert s.mean_cost <= s.p90_cost <= s.max_cost and s.unreachable_share == 0


@pytest.mark.parametrize("matrix", list(MATRICES))
def test_cli_prints_the_exhaustive_optimum(devon, atlas2025, matrix, capsys):
    paths, sites, demand, times = devon
    area = areas.select(atlas2025, "icb", DEVON)
    for k in range(1, 5):
        want, _ = _exhaustive(area, sites, demand.values, times[matrix], k)
        capsys.readouterr()
        code = cli.main(["plan", "--level", "icb", "--area", DEVON, "--travel-times", str(paths[matrix]),
                         "--sites-file", str(paths["sites"]), "--demand-file", str(paths["demand"]),
                         "--demand-column", "MF50-84", "--objective", "pmedian", "--k", str(k),
                         "--format", "json"])
        out = capsys.readouterr()
        assert code == 0, out.err
        data = json.loads(out.out)
        assert data["mean_cost"] == pytest.approx(want, abs=1e-6)
        assert data["total_target_population"] == 519_493 and data["cost_unit"] == "min"
        assert {"p90_cost", "max_cost", "unreachable_share", "covered_share"} <= set(data)
        assert len(data["fixed_sites"]) == 4 and len(data["chosen_sites"]) == k
        assert data["demand_source"] == "demand_MF_50_84.csv, column MF50-84"


def test_mclp_within_minutes_and_a_saved_plan_reopens_with_its_demand(devon, atlas2025, tmp_path):
    _, sites, demand, times = devon
    res = siting.plan("2025", "icb", DEVON, site_types=(), k=2, objective="mclp", candidates=sites.candidates,
                      fixed_site_codes=sites.existing_ids, cost_model=times["pt"].cost, threshold=45.0,
                      atlas_frame=atlas2025, demand=demand.values, demand_source=demand.source)
    s = res.siting
    area = areas.select(atlas2025, "icb", DEVON)
    w = area["lsoa_code"].map(demand.values).fillna(0).to_numpy()
    cost = area["lsoa_code"].map(s.assignment.set_index("code")["cost"]).to_numpy()
    assert s.covered_population == pytest.approx(w[cost <= 45].sum())  # recount from the uploaded column
    store = plans.PlanStore(tmp_path / "plans.sqlite")
    plan_id = store.save(res, "Devon PT")
    back = store.get(plan_id).plan
    assert back.request.schema_version == siting.PLAN_SCHEMA_VERSION == 4  # 4: structured target
    assert back.request.demand_source == demand.source
    assert dict(back.request.demand) == pytest.approx({c: v for c, v in demand.values.items() if v > 0})
    for name in ("mean_cost", "p90_cost", "max_cost", "unreachable_share", "covered_share"):
        assert getattr(back.siting, name) == pytest.approx(getattr(s, name))
    again = siting.plan_request(back.request, candidates=sites.candidates, atlas_frame=atlas2025,
                                cost_model=times["pt"].cost)  # the stored demand, not the target population
    assert again.siting.covered_population == pytest.approx(s.covered_population)
    assert list(again.siting.chosen["candidate_id"]) == list(s.chosen["candidate_id"])
