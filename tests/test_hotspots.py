"""Getis-Ord Gi* on hand-made grids (known answers) and one real area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from geo_core20 import hotspots

N = 15
CLUSTER = [j * N + i for j in range(5, 10) for i in range(5, 10)]  # a 5x5 block in the middle


def grid(n: int = N, extra: list | None = None) -> gpd.GeoDataFrame:
    cells = [box(i, j, i + 1, j + 1) for j in range(n) for i in range(n)]
    return gpd.GeoDataFrame(geometry=cells + (extra or []), crs="EPSG:27700")


def planted(seed: int = 1) -> np.ndarray:
    y = np.random.default_rng(seed).normal(10, 1, N * N)
    y[CLUSTER] += 5
    return y


def test_planted_hot_cluster_is_found():
    result = hotspots.gi_star(grid(), planted(), seed=7)
    hot = set(np.flatnonzero(result.frame["gi_bin"].to_numpy() > 0))
    assert len(hot) >= 9  # at least the cluster's core
    assert hot <= set(CLUSTER)  # and nothing outside it
    assert result.n_cold == 0
    assert result.counts().sum() == N * N
    assert (result.frame.loc[list(hot), "p_fdr"] <= 0.10).all()
    assert (result.frame.loc[list(hot), "z"] > 0).all()


def test_planted_cold_cluster_is_cold():
    y = -planted() + 30
    result = hotspots.gi_star(grid(), y, seed=7)
    cold = set(np.flatnonzero(result.frame["gi_bin"].to_numpy() < 0))
    assert cold and cold <= set(CLUSTER) and result.n_hot == 0


def test_random_values_give_few_or_no_hotspots_after_fdr():
    flagged = []
    for seed in range(8):
        y = np.random.default_rng(100 + seed).random(N * N)
        result = hotspots.gi_star(grid(), y, seed=seed)
        flagged.append(int((result.frame["gi_bin"] != 0).sum()))
    # 8 x 225 tests of pure noise: FDR keeps false discoveries rare
    assert sum(flagged) <= 8
    assert max(flagged) <= 5


def test_without_fdr_noise_would_flag_cells():
    # guards the previous test: the raw permutation p-values do flag noise
    y = np.random.default_rng(100).random(N * N)
    result = hotspots.gi_star(grid(), y, seed=0)
    assert (result.frame["p_sim"] <= 0.10).sum() > 5


def test_fixed_seed_is_reproducible():
    a = hotspots.gi_star(grid(), planted(), seed=42)
    b = hotspots.gi_star(grid(), planted(), seed=42)
    np.testing.assert_array_equal(a.frame["p_sim"].to_numpy(), b.frame["p_sim"].to_numpy())
    assert a.frame["hotspot"].tolist() == b.frame["hotspot"].tolist()


def test_island_and_missing_values_do_not_crash():
    island = box(40, 40, 41, 41)  # far from the grid, like the Isles of Scilly
    y = np.append(planted(), 100.0)
    y[3] = np.nan
    result = hotspots.gi_star(grid(extra=[island]), y, seed=1)
    labels = result.frame["hotspot"]
    assert labels.iloc[-1] == hotspots.NO_NEIGHBOURS
    assert labels.iloc[3] == hotspots.NO_DATA
    assert result.n_no_neighbours == 1 and result.n_missing == 1 and result.n_tested == N * N - 1
    assert np.isnan(result.frame["z"].iloc[-1])
    assert "No neighbours" in result.method_note and "Benjamini-Hochberg" in result.method_note
    assert result.n_hot > 0  # the cluster is still found around them


def test_negative_values_are_handled_by_a_shift():
    y = planted()
    a = hotspots.gi_star(grid(), y, seed=3)
    b = hotspots.gi_star(grid(), y - 50, seed=3)  # all negative: G would divide by a negative sum
    np.testing.assert_allclose(a.frame["z"], b.frame["z"], rtol=1e-9)
    assert a.frame["hotspot"].tolist() == b.frame["hotspot"].tolist()
    assert "shifted" in b.method_note


def test_degenerate_inputs():
    same = hotspots.gi_star(grid(), np.full(N * N, 4.0))
    assert (same.frame["hotspot"] == hotspots.NOT_SIGNIFICANT).all()
    few = hotspots.gi_star(grid(2), [1.0, 2.0, np.nan, np.nan])
    assert few.n_tested == 0 and few.warnings


def test_benjamini_hochberg_matches_hand_computation():
    p = np.array([0.01, 0.04, 0.03, 0.20, np.nan])
    # sorted 0.01, 0.03, 0.04, 0.20 -> x4/1, x4/2, x4/3, x4/4 = 0.04, 0.06, 0.0533, 0.20 -> step-up min
    expected = [0.04, 0.05333333, 0.05333333, 0.20, np.nan]
    np.testing.assert_allclose(hotspots.benjamini_hochberg(p), expected, rtol=1e-6)


@pytest.mark.parametrize("z, q, label", [
    (3.0, 0.005, hotspots.HOT[99]), (2.0, 0.04, hotspots.HOT[95]), (1.7, 0.09, hotspots.HOT[90]),
    (-2.5, 0.009, hotspots.COLD[99]), (2.0, 0.2, hotspots.NOT_SIGNIFICANT),
])
def test_classes(z, q, label):
    b = hotspots.classify(np.array([z]), np.array([q]))[0]
    assert hotspots._label(b) == label


def test_real_area_deprivation_hotspots(atlas2025):
    # Hull and East Riding: deprivation clusters in Hull are textbook hot spots
    area = atlas2025[atlas2025["lad_code"].isin(["E06000010", "E06000011"])]
    result = hotspots.gi_star(area, "imd_score", seed=1, indicator_label="IMD score")
    assert result.n_tested == len(area) == 381
    hot = area[result.frame["gi_bin"].to_numpy() > 0]
    cold = area[result.frame["gi_bin"].to_numpy() < 0]
    assert len(hot) > 20 and len(cold) > 20
    assert hot["imd_score"].mean() > cold["imd_score"].mean() + 20
    assert (hot["lad_code"] == "E06000010").mean() > 0.8  # the hot spots are in Hull
