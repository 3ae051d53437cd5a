"""Outreach siting: MCLP and p-median against brute force, spopt, direct recounts and real data."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pulp
import pytest

from geo_core20 import access, schema, siting


def _demand(xy: list[tuple[float, float]], weights: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"code": [f"D{i}" for i in range(len(xy))], "easting": [p[0] for p in xy],
                         "northing": [p[1] for p in xy], "weight": weights})


def _cands(xy: list[tuple[float, float]], prefix: str = "C") -> pd.DataFrame:
    ids = [f"{prefix}{j}" for j in range(len(xy))]
    return siting.candidates_frame(ids, [f"Venue {j}" for j in range(len(xy))], [p[0] for p in xy],
                                   [p[1] for p in xy], [0.0] * len(xy), [0.0] * len(xy))


def _dist(demand: pd.DataFrame, cands: pd.DataFrame) -> np.ndarray:
    """Distances computed independently of the code under test (plain Python)."""
    return np.array([[((de - ce) ** 2 + (dn - cn) ** 2) ** 0.5
                      for ce, cn in zip(cands["easting"], cands["northing"], strict=True)]
                     for de, dn in zip(demand["easting"], demand["northing"], strict=True)])


def _brute_mclp(d: np.ndarray, w: np.ndarray, k: int, r: float, fixed: np.ndarray | None = None) -> float:
    base = (fixed <= r).any(axis=1) if fixed is not None and fixed.shape[1] else np.zeros(len(w), bool)
    return max(float(w[base | (d[:, list(s)] <= r).any(axis=1)].sum())
               for s in itertools.combinations(range(d.shape[1]), k))


def _brute_pmedian(d: np.ndarray, w: np.ndarray, k: int, fixed: np.ndarray | None = None) -> float:
    base = fixed.min(axis=1) if fixed is not None and fixed.shape[1] else np.full(len(w), np.inf)
    return min(float((w * np.minimum(base, d[:, list(s)].min(axis=1, initial=np.inf))).sum())
               for s in itertools.combinations(range(d.shape[1]), k))


def _random_instance(rng: np.random.Generator, n: int, m: int):
    demand = _demand([tuple(p) for p in rng.integers(0, 10_000, (n, 2)).astype(float)],
                     rng.integers(0, 60, n).astype(float).tolist())
    cands = _cands([tuple(p) for p in rng.integers(0, 10_000, (m, 2)).astype(float)])
    return demand, cands


# --- hand-made instances with known answers --------------------------------------------------------

@pytest.fixture()
def line():
    """Demand on a line (km): 0, 1, 2 (10 each), 10 (50), 11 (5), 20 (30); venues at 1, 10.5, 20, 5."""
    demand = _demand([(0, 0), (1_000, 0), (2_000, 0), (10_000, 0), (11_000, 0), (20_000, 0)],
                     [10, 10, 10, 50, 5, 30])
    cands = _cands([(1_000, 0), (10_500, 0), (20_000, 0), (5_000, 0)])
    return demand, cands


def test_mclp_line_known_optimum_and_tie(line):
    demand, cands = line
    one = siting.solve(demand, cands, 1, "mclp", 1_500)
    assert one.chosen["candidate_id"].tolist() == ["C1"] and one.covered_population == 55
    two = siting.solve(demand, cands, 2, "mclp", 1_500)
    # a tie: {C1, C0} and {C1, C2} both cover 85; compare the objective, not the identities
    assert two.covered_population == 85
    assert set(two.chosen["candidate_id"]) in ({"C1", "C0"}, {"C1", "C2"})
    three = siting.solve(demand, cands, 3, "mclp", 1_500)
    assert set(three.chosen["candidate_id"]) == {"C0", "C1", "C2"} and three.covered_population == 115
    assert three.total_target_population == 115 and three.covered_share == 1.0
    assert three.status == "optimal"


def test_pmedian_line_known_optimum(line):
    demand, cands = line
    one = siting.solve(demand, cands, 1, "pmedian", 1_500)
    # one venue: 10.5 km gives 10x10.5+10x9.5+10x8.5+50x0.5+5x0.5+30x9.5 km = 597.5 km-people
    assert one.chosen["candidate_id"].tolist() == ["C1"]
    assert one.objective_value == pytest.approx(597_500)
    two = siting.solve(demand, cands, 2, "pmedian", 1_500)
    # {10.5, 20}: 10x(10.5+9.5+8.5) + 50x0.5 + 5x0.5 = 312.5 km-people beats {1, 10.5} (332.5)
    assert set(two.chosen["candidate_id"]) == {"C1", "C2"}
    assert two.objective_value == pytest.approx(10 * (10_500 + 9_500 + 8_500) + 50 * 500 + 5 * 500)
    assert two.mean_cost == pytest.approx(two.objective_value / 115)


def test_mclp_beats_greedy_where_greedy_is_wrong():
    # X covers {a, b} (10), Y covers {a, c} (9), Z covers {b, d} (9): greedy takes X then 4 more = 14,
    # the optimum is Y + Z = 18. Coverage comes from a travel-time table (the cost-model seam).
    table = pd.DataFrame([("a", "X", 1), ("b", "X", 1), ("a", "Y", 1), ("c", "Y", 1), ("b", "Z", 1),
                          ("d", "Z", 1)], columns=["origin_code", "destination_code", "cost"])
    od = access.ODMatrixCost(table)
    demand = pd.DataFrame({"code": list("abcd"), "easting": 0.0, "northing": 0.0, "weight": [5, 5, 4, 4]})
    cands = siting.candidates_frame(list("XYZ"), list("XYZ"), [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0])
    covers = od.matrix(demand, access.site_points(cands, "candidate_id")) <= 1
    assert siting.mclp.greedy_cover(covers, demand["weight"].to_numpy(), 2) == [0, 1]
    res = siting.solve(demand, cands, 2, "mclp", radius=1, cost_model=od)
    assert set(res.chosen["candidate_id"]) == {"Y", "Z"} and res.covered_population == 18
    assert res.unit == "min"


def test_pmedian_with_a_travel_time_matrix_avoids_unreachable_assignments():
    # X reaches a and b, Y only c, Z reaches everyone slowly: {X, Y} is the only pair with no long trip
    rows = [("a", "X", 5), ("b", "X", 5), ("c", "Y", 4), ("a", "Z", 30), ("b", "Z", 30), ("c", "Z", 30)]
    od = access.ODMatrixCost(pd.DataFrame(rows, columns=["origin_code", "destination_code", "cost"]))
    demand = pd.DataFrame({"code": list("abc"), "easting": 0.0, "northing": 0.0, "weight": [10, 10, 10]})
    cands = siting.candidates_frame(list("XYZ"), list("XYZ"), [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0])
    res = siting.solve(demand, cands, 2, "pmedian", radius=10, cost_model=od)
    assert set(res.chosen["candidate_id"]) == {"X", "Y"}
    assert res.objective_value == 10 * (5 + 5 + 4) and res.mean_cost == pytest.approx(14 / 3)
    one = siting.solve(demand, cands, 1, "pmedian", radius=10, cost_model=od)
    assert one.chosen["candidate_id"].tolist() == ["Z"]  # the only site everyone can reach
    assert one.covered_population == 0 and one.mean_cost == 30


# --- brute force on random small instances ---------------------------------------------------------

@pytest.mark.parametrize("seed", range(12))
def test_mclp_and_pmedian_equal_brute_force(seed):
    rng = np.random.default_rng(seed)
    demand, cands = _random_instance(rng, int(rng.integers(6, 15)), int(rng.integers(4, 10)))
    d, w = _dist(demand, cands), demand["weight"].to_numpy()
    radius = float(rng.choice([1_500, 2_500, 4_000]))
    for k in range(1, min(4, len(cands)) + 1):
        mclp = siting.solve(demand, cands, k, "mclp", radius)
        assert mclp.covered_population == pytest.approx(_brute_mclp(d, w, k, radius))
        pmed = siting.solve(demand, cands, k, "pmedian", radius)
        assert pmed.objective_value == pytest.approx(_brute_pmedian(d, w, k), rel=1e-9)
        assert len(mclp.chosen) == len(pmed.chosen) == k
        assert mclp.status == pmed.status == "optimal"


@pytest.mark.parametrize("seed", range(8))
def test_pmedian_exact_mip_path_equals_brute_force(seed):
    # skip the Lagrangian proof so the pruning + sparse MIP runs on every instance
    rng = np.random.default_rng(100 + seed)
    demand, cands = _random_instance(rng, 14, 9)
    d, w = _dist(demand, cands), demand["weight"].to_numpy()
    keep = w > 0
    for k in (1, 2, 3, 5):
        chosen, status, _, _ = siting.pmedian.solve_pmedian(d[keep], np.full(keep.sum(), np.inf), w[keep], k,
                                                            30,
                                                      siting.common.noop, prove=False)
        assert status == "optimal"
        got = float((w * d[:, chosen].min(axis=1)).sum())
        assert got == pytest.approx(_brute_pmedian(d, w, k), rel=1e-9)


def test_pmedian_mip_grows_assignment_lists_until_exact():
    # 30 demand points, 12 candidates, 2 to open: the first 8-candidate lists cannot all be enough
    rng = np.random.default_rng(3)
    d = rng.uniform(0, 100, (30, 12))
    w = rng.uniform(1, 5, 30)
    messages: list[str] = []
    chosen, proven = siting.pmedian.mip(w[:, None] * d, np.full(30, np.inf), 2, [0, 1], time.monotonic() + 30,
                                    lambda f, m: messages.append(m))
    assert proven
    assert any(m.startswith("Refining") for m in messages)  # the 8-candidate lists were too short
    best = min((w * d[:, list(s)].min(axis=1)).sum() for s in itertools.combinations(range(12), 2))
    assert (w * d[:, chosen].min(axis=1)).sum() == pytest.approx(best)


@pytest.mark.parametrize("seed", range(6))
def test_fixed_sites_are_honoured(seed):
    rng = np.random.default_rng(200 + seed)
    demand, cands = _random_instance(rng, 12, 8)
    fixed = _cands([tuple(p) for p in rng.integers(0, 10_000, (2, 2)).astype(float)], prefix="F")
    d, w, f = _dist(demand, cands), demand["weight"].to_numpy(), _dist(demand, fixed)
    for k in (0, 1, 2, 3):
        mclp = siting.solve(demand, cands, k, "mclp", 2_500, fixed=fixed)
        assert mclp.fixed["candidate_id"].tolist() == ["F0", "F1"]
        assert not set(mclp.chosen["candidate_id"]) & {"F0", "F1"}
        assert mclp.covered_population == pytest.approx(_brute_mclp(d, w, k, 2_500, f))
        pmed = siting.solve(demand, cands, k, "pmedian", 2_500, fixed=fixed)
        assert pmed.objective_value == pytest.approx(_brute_pmedian(d, w, k, f), rel=1e-9)
        assert len(pmed.sites) == k + 2


def test_a_fixed_site_that_is_also_a_candidate_is_not_chosen_twice(line):
    demand, cands = line
    res = siting.solve(demand, cands, 1, "mclp", 1_500, fixed=cands.iloc[[1]])
    assert res.fixed["candidate_id"].tolist() == ["C1"]
    assert res.chosen["candidate_id"].tolist() in (["C0"], ["C2"])  # tie: 30 each
    assert res.covered_population == 85


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # spopt builds PuLP models the pre-4.0 way
def test_matches_spopt_on_a_small_instance():
    from spopt.locate import MCLP, PMedian

    rng = np.random.default_rng(42)
    demand, cands = _random_instance(rng, 25, 12)
    demand["weight"] = rng.integers(1, 60, 25).astype(float)
    d, w = _dist(demand, cands), demand["weight"].to_numpy()
    solver = pulp.PULP_CBC_CMD(msg=False)
    for k in (2, 4):
        ref = MCLP.from_cost_matrix(d, w, service_radius=2_500, p_facilities=k).solve(solver)
        ours = siting.solve(demand, cands, k, "mclp", 2_500)
        assert ours.covered_population == pytest.approx(pulp.value(ref.problem.objective))
        ref = PMedian.from_cost_matrix(d, w, p_facilities=k).solve(solver)
        ours = siting.solve(demand, cands, k, "pmedian", 2_500)
        assert ours.objective_value == pytest.approx(pulp.value(ref.problem.objective), rel=1e-7)


# --- figures are recounts ---------------------------------------------------------------------------

def test_coverage_figures_equal_a_direct_recount():
    rng = np.random.default_rng(3)
    demand, cands = _random_instance(rng, 30, 15)
    fixed = _cands([(5_000.0, 5_000.0)], prefix="F")
    res = siting.solve(demand, cands, 3, "mclp", 2_000, fixed=fixed)
    open_sites = pd.concat([fixed, cands[cands["candidate_id"].isin(res.chosen["candidate_id"])]])
    d = _dist(demand, open_sites)
    w = demand["weight"].to_numpy()
    covered = (d <= 2_000).any(axis=1)
    assert res.covered_population == pytest.approx(w[covered].sum())
    assert res.total_target_population == pytest.approx(w.sum())
    a = res.assignment.set_index("code")
    target = demand[w > 0]
    assert list(a.index) == target["code"].tolist()  # zero-weight LSOAs are not demand
    np.testing.assert_allclose(a["cost"], d[w > 0].min(axis=1))
    per_site = res.sites.set_index("candidate_id")["covered_population"]
    for j, code in enumerate(open_sites["candidate_id"]):
        assert per_site[code] == pytest.approx(w[d[:, j] <= 2_000].sum())
    assert res.sites["assigned_population"].sum() == pytest.approx(w.sum())
    assert res.mean_cost == pytest.approx((w * d.min(axis=1)).sum() / w.sum())


def test_coverage_curve_equals_brute_force_for_each_k(line):
    demand, cands = line
    curve = siting.coverage_curve(demand, cands, 4, "mclp", 1_500)
    d, w = _dist(demand, cands), demand["weight"].to_numpy()
    assert curve["k"].tolist() == [0, 1, 2, 3, 4]
    expected = [0.0] + [_brute_mclp(d, w, k, 1_500) for k in range(1, 5)]
    assert curve["covered_population"].tolist() == pytest.approx(expected)
    assert curve["added_population"].tolist() == pytest.approx([0, 55, 30, 30, 0])
    assert (curve["covered_population"].diff().dropna() >= 0).all()
    pm = siting.coverage_curve(demand, cands, 3, "pmedian", 1_500)
    assert pm["objective_value"].iloc[1:].tolist() == pytest.approx(
        [_brute_pmedian(d, w, k) for k in range(1, 4)])


def test_k_beyond_useful_sites_is_padded_to_k(line):
    demand, cands = line
    res = siting.solve(demand, cands, 4, "mclp", 1_500)
    assert len(res.chosen) == 4 and res.chosen["candidate_id"].is_unique
    assert res.covered_population == 115
    res = siting.solve(demand, cands, 0, "mclp", 1_500)
    assert res.chosen.empty and res.covered_population == 0


def test_bad_inputs_are_refused(line):
    demand, cands = line
    with pytest.raises(siting.SitingError, match="only 4 candidate"):
        siting.solve(demand, cands, 5)
    with pytest.raises(siting.SitingError, match="objective"):
        siting.solve(demand, cands, 1, "pcenter")
    with pytest.raises(siting.SitingError, match="duplicate"):
        siting.solve(demand, pd.concat([cands, cands]), 1)


def test_problem_too_large_is_a_clear_error():
    n, m = 300, 50
    demand = _demand([(float(i), 0.0) for i in range(n)], [1.0] * n)
    cands = _cands([(float(j), 1.0) for j in range(m)])
    with pytest.raises(siting.ProblemTooLarge) as info:
        siting.solve(demand, cands, 3, max_cells=10_000)
    msg = str(info.value)
    assert "300 target LSOAs x 50 candidate sites = 15,000" in msg and "10,000" in msg
    assert "smaller area" in msg
    # zero-weight demand is dropped before the check
    demand.loc[100:, "weight"] = 0.0
    assert len(siting.solve(demand, cands, 3, max_cells=10_000).chosen) == 3


def test_progress_is_reported():
    rng = np.random.default_rng(5)
    demand, cands = _random_instance(rng, 40, 20)
    for objective in siting.OBJECTIVES:
        seen: list[tuple[float, str]] = []
        siting.solve(demand, cands, 3, objective, 2_000, progress=lambda f, m, seen=seen: seen.append((f, m)))
        assert seen and seen[-1][0] == 1.0
        assert all(0 <= f <= 1 and isinstance(m, str) for f, m in seen)
        assert [f for f, _ in seen] == sorted(f for f, _ in seen)


def test_result_serialises_to_json(line):
    demand, cands = line
    res = siting.solve(demand, cands, 2, "pmedian", 1_500)
    data = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert data["covered_population"] == res.covered_population
    assert [c["candidate_id"] for c in data["chosen"]] == res.chosen["candidate_id"].tolist()


def test_candidates_from_uploaded_points():
    pts = pd.DataFrame({"row": [2, 5], "Venue": ["Asda car park", ""], "lon": [-2.9, -2.8],
                        "lat": [53.4, 53.5], "easting": [336_000.0, 343_000.0],
                        "northing": [390_000.0, 401_000.0]})
    c = siting.candidates_from_points(pts, "Venue")
    assert c["candidate_id"].tolist() == ["U2", "U5"]
    assert c["name"].tolist() == ["Asda car park", "U5"]


# --- real data --------------------------------------------------------------------------------------

def test_plan_on_a_real_icb(atlas2025):
    from geo_core20 import areas
    from geo_core20 import atlas as atlas_mod

    sites = atlas_mod.load_sites()
    res = siting.plan("2025", "icb", "E54000008", "core20", ("gp", "pharmacy"), 3.0, 5, "mclp",
                      atlas_frame=atlas2025, sites_frame=sites, curve_max_k=6)
    area = areas.select(atlas2025, "icb", "E54000008")
    s = res.siting
    assert len(s.chosen) == 5 and s.status == "optimal"
    assert s.total_target_population == area.loc[area[schema.CORE20], schema.POPULATION].sum()
    chosen = sites.set_index("site_code").loc[s.chosen["candidate_id"]]
    assert set(chosen["site_type"]) <= {"gp", "pharmacy"}
    assert (chosen["icb_code"] == "E54000008").mean() > 0.5  # located in the ICB (ODS codes mostly agree)
    # recount with the access module from the chosen sites alone
    near = access.nearest_site(area, chosen.reset_index())
    recount = access.coverage(near["cost"], access.target_weights(area, "core20"), 3_000)
    assert s.covered_population == recount.covered_population
    assert res.curve["covered_population"].iloc[5] == s.covered_population
    assert res.existing.covered_population >= s.covered_population
    assert res.combined.covered_population == res.existing.covered_population  # candidates already exist
    out = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert out["summary"]["target_population_covered"] == s.covered_population


def test_largest_icb_solves_in_seconds(atlas2025):
    from geo_core20 import atlas as atlas_mod

    counts = atlas2025["icb_code"].value_counts()
    largest = counts.index[0]
    assert counts.iloc[0] > 1_800
    for objective in siting.OBJECTIVES:
        t0 = time.perf_counter()
        res = siting.plan("2025", "icb", largest, "core20", ("gp", "pharmacy"), 3.0, 10, objective,
                          atlas_frame=atlas2025, sites_frame=atlas_mod.load_sites())
        assert time.perf_counter() - t0 < 30
        assert res.siting.status == "optimal" and len(res.siting.chosen) == 10
        assert res.siting.problem_size["candidates"] > 900


def test_plan_command_prints_json_and_csv(atlas2025):
    base = [sys.executable, "-m", "geo_core20", "plan", "--vintage", "2025", "--level", "icb", "--area",
            "E54000008", "--target", "core20", "--sites", "gp,pharmacy", "--radius-km", "3", "--k", "5",
            "--objective", "mclp"]
    out = subprocess.run([*base, "--format", "json"], capture_output=True, text=True, timeout=300, check=True)
    data = json.loads(out.stdout)
    assert len(data["chosen_sites"]) == 5
    assert set(data["chosen_sites"][0]) >= {"code", "name", "lon", "lat"}
    assert 0 < data["target_population_covered"] <= data["total_target_population"]
    out = subprocess.run([*base, "--format", "csv"], capture_output=True, text=True, timeout=300, check=True)
    from io import StringIO

    frame = pd.read_csv(StringIO(out.stdout))
    assert len(frame) == 5
    assert frame["code"].tolist() == [s["code"] for s in data["chosen_sites"]]  # same plan both ways
    assert (frame["target_population_covered"] == data["target_population_covered"]).all()
    bad = subprocess.run([*base[:9], "E00000000", "--k", "5"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "no ICB" in bad.stderr


# --- what each objective optimises, timings, sites that add nothing ----------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_pmedian_curve_reports_weighted_distance_that_never_gets_worse(seed):
    rng = np.random.default_rng(300 + seed)
    demand, cands = _random_instance(rng, 20, 9)
    d, w = _dist(demand, cands), demand["weight"].to_numpy()
    curve = siting.coverage_curve(demand, cands, 6, "pmedian", 2_000)
    assert {"weighted_cost", "mean_cost", "mean_cost_reduction", "covered_population"} <= set(curve.columns)
    later = curve[curve["k"] >= 1]
    assert (later["weighted_cost"].diff().dropna() <= 1e-9).all()  # never worse as k grows
    assert (later["mean_cost"].diff().dropna() <= 1e-9).all()
    assert later["weighted_cost"].tolist() == pytest.approx([_brute_pmedian(d, w, k) for k in range(1, 7)])
    assert later["mean_cost"].tolist() == pytest.approx(later["weighted_cost"] / w.sum())


def test_curve_never_gets_worse_even_when_a_time_limited_solve_would(line, monkeypatch):
    demand, cands = line
    real = siting.solver._optimise

    def bad_at_three(prep, k, objective, *args, **kwargs):
        if k == 3:  # pretend the solver returned a set worse than k = 2's (as a time-limited one may)
            return ([3, 0, 2] if objective == "mclp" else [0, 1, 3]), "feasible", 0.5, {}
        return real(prep, k, objective, *args, **kwargs)

    monkeypatch.setattr(siting.solver, "_optimise", bad_at_three)
    for objective, column, sign in (("mclp", "covered_population", 1), ("pmedian", "weighted_cost", -1)):
        curve = siting.coverage_curve(demand, cands, 4, objective, 1_500)
        values = curve.loc[curve["k"] >= 1, column].to_numpy() * sign
        assert (np.diff(values) >= -1e-9).all(), curve
        assert curve.loc[3, "status"] == "feasible"
        assert set(curve.loc[2, "sites"].split(",")) <= set(curve.loc[3, "sites"].split(","))  # k=2 plus one


def test_solve_reports_solver_and_total_seconds(line):
    demand, cands = line
    res = siting.solve(demand, cands, 2, "pmedian", 1_500)
    assert 0 <= res.solve_seconds <= res.total_seconds
    data = res.to_dict()
    assert data["solve_seconds"] <= data["total_seconds"]
    assert data["weighted_cost"] == pytest.approx(res.objective_value)


def test_sites_that_add_nothing_are_warned_about(line):
    demand, cands = line
    # the line has three useful venues at 1.5 km; the fourth adds no one for MCLP
    res = siting.solve(demand, cands, 4, "mclp", 1_500)
    assert len(res.warnings) == 1 and "1 of the 4 chosen sites add(s) nothing" in res.warnings[0]
    idle = res.chosen[res.chosen["added_population"] == 0]
    assert len(idle) == 1 and idle["candidate_id"].iloc[0] in res.warnings[0]
    assert res.chosen["added_population"].sum() == res.covered_population
    assert siting.solve(demand, cands, 3, "mclp", 1_500).warnings == ()
    # p-median: a site nobody is nearest to adds nothing; a duplicate venue is such a site
    twin = pd.concat([cands, cands.iloc[[1]].assign(candidate_id="C1b")], ignore_index=True)
    res = siting.solve(demand, twin, 5, "pmedian", 1_500)
    assert res.chosen["assigned_population"].eq(0).sum() >= 1
    assert res.warnings and "nearest site for no target resident" in res.warnings[0]
    assert siting.solve(demand, cands, 2, "pmedian", 1_500).warnings == ()


def test_the_adds_nothing_warning_says_why_no_one_in_reach_or_all_already_covered(line):
    """A venue with no target resident within reach is not 'already covered': the warning says which."""
    demand, cands = line
    res = siting.solve(demand, cands, 4, "mclp", 1_500)  # C3 (5 km) has nobody within 1.5 km
    assert "C3" in res.warnings[0] and "no target resident lives within 1.5 km of it" in res.warnings[0]
    assert "already within reach" not in res.warnings[0]
    twin = pd.concat([cands, cands.iloc[[1]].assign(candidate_id="C1b")], ignore_index=True)
    both = siting.solve(demand, twin, 5, "mclp", 1_500)  # C3: nobody in reach; the twin: all already covered
    text = both.warnings[0]
    assert text.startswith("2 of the 5 chosen sites add(s) nothing")
    nobody, covered = text.split("no target resident lives within")[0], text.split("of it; ")[-1]
    assert "C3" in nobody and ("C1b" in covered or "C1," in covered)
    assert "is already within reach of an open or higher-ranked chosen site" in covered


def test_plan_reports_its_warnings_timings_and_equity(atlas2025):
    from geo_core20 import atlas as atlas_mod

    res = siting.plan("2025", "icb", "E54000008", "core20", ("gp", "pharmacy"), 3.0, 3, "pmedian",
                      atlas_frame=atlas2025, sites_frame=atlas_mod.load_sites(), curve_max_k=3)
    s = res.siting
    assert 0 < s.solve_seconds <= s.total_seconds == res.total_seconds
    data = res.to_dict()
    assert data["siting"]["total_seconds"] >= data["siting"]["solve_seconds"]
    assert data["equity"]["covered_core20_share"] == 1.0 == data["equity"]["target_core20_share"]
    assert data["warnings"] == list(s.warnings)
    assert (res.curve.loc[res.curve["k"] >= 1, "mean_cost"].diff().dropna() <= 1e-9).all()
    assert res.curve.loc[3, "weighted_cost"] == pytest.approx(s.weighted_cost)
