"""Access analysis: BNG distances, nearest site, coverage, bands, and the cost-model seam."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod, Transformer

from geo_core20 import access, schema, siting, uploads


def _atlas(rows: list[tuple[str, float, float, int, bool]]) -> pd.DataFrame:
    """A tiny atlas: (code, easting, northing, population, core20)."""
    return pd.DataFrame({
        schema.LSOA_CODE: [r[0] for r in rows], schema.LSOA_NAME: [f"{r[0]} name" for r in rows],
        schema.PWC_EASTING: [r[1] for r in rows], schema.PWC_NORTHING: [r[2] for r in rows],
        schema.POPULATION: [r[3] for r in rows], schema.CORE20: [r[4] for r in rows],
        schema.IMD_DECILE: [1 if r[4] else 6 for r in rows],
    })


def _sites(rows: list[tuple[str, float, float]], site_type: str = "gp") -> pd.DataFrame:
    return pd.DataFrame({"site_code": [r[0] for r in rows], "site_name": [f"Site {r[0]}" for r in rows],
                         "site_type": site_type, "easting": [r[1] for r in rows],
                         "northing": [r[2] for r in rows]})


# --- distances -----------------------------------------------------------------------------------

def test_three_four_five_triangles_in_bng_metres():
    model = access.StraightLineCost()
    origins = access.points(["a", "b", "c"], [400_000, 530_000, 300_000], [300_000, 180_000, 500_000])
    dests = access.points(["x", "y"], [403_000, 530_600], [304_000, 180_800])
    m = model.matrix(origins, dests)
    assert m[0, 0] == pytest.approx(5_000.0, abs=1e-9)  # 3-4-5 scaled by 1000
    assert m[1, 1] == pytest.approx(1_000.0, abs=1e-9)  # 600-800-1000
    assert m[0, 1] == pytest.approx(np.hypot(130_600, 119_200))
    cost, idx = model.nearest(origins, dests)
    assert idx.tolist() == [0, 1, 0]
    assert cost[:2] == pytest.approx([5_000.0, 1_000.0])
    assert cost[2] == pytest.approx(np.hypot(103_000, 196_000))


def test_bng_distance_matches_the_ellipsoid_within_the_grid_scale_factor():
    # Two points 10 km apart on the grid near Leeds; the National Grid scale factor is within
    # 0.9996-1.0007 over England, so grid metres are ground metres to better than 0.1%.
    to_lonlat = Transformer.from_crs(schema.CRS_BNG, schema.CRS_WGS84, always_xy=True)
    (lon1, lon2), (lat1, lat2) = to_lonlat.transform([430_000, 436_000], [433_000, 441_000])
    _, _, ground = Geod(ellps="GRS80").inv(lon1, lat1, lon2, lat2)
    grid = access.StraightLineCost().matrix(access.points(["a"], [430_000], [433_000]),
                                            access.points(["b"], [436_000], [441_000]))[0, 0]
    assert grid == pytest.approx(10_000.0)
    assert abs(grid / ground - 1) < 1e-3


def test_nearest_with_no_destinations_is_unreachable():
    cost, idx = access.StraightLineCost().nearest(access.points(["a"], [0], [0]), access.points([], [], []))
    assert np.isinf(cost).all() and idx.tolist() == [-1]


def test_points_without_coordinates_are_refused():
    with pytest.raises(access.AccessError, match="without easting"):
        access.StraightLineCost().matrix(access.points(["a"], [np.nan], [0]), access.points(["b"], [0], [0]))


# --- target population ---------------------------------------------------------------------------

def test_target_weights_core20_all_mask_callable_and_share():
    atlas = _atlas([("L1", 0, 0, 100, True), ("L2", 0, 0, 200, False), ("L3", 0, 0, 300, True)])
    assert access.target_weights(atlas, "core20").tolist() == [100, 0, 300]
    assert access.target_weights(atlas, "all").tolist() == [100, 200, 300]
    assert access.target_weights(atlas, pd.Series([False, True, False])).tolist() == [0, 200, 0]
    assert access.target_weights(atlas, lambda a: a[schema.POPULATION] > 150).tolist() == [0, 200, 300]
    # a clinical-focus share (e.g. prevalence) weights the population
    assert access.target_weights(atlas, np.array([0.5, 0.1, 0.0])).tolist() == [50, 20, 0]


def test_target_weights_reject_bad_masks():
    atlas = _atlas([("L1", 0, 0, 100, True), ("L2", 0, 0, 200, False)])
    with pytest.raises(access.AccessError, match="shape"):
        access.target_weights(atlas, np.array([1.0, 0.0, 1.0]))
    with pytest.raises(access.AccessError, match="aligned"):
        access.target_weights(atlas, pd.Series([True, False], index=[5, 6]))
    with pytest.raises(access.AccessError, match="between 0 and 1"):
        access.target_weights(atlas, np.array([2.0, 0.0]))
    with pytest.raises(access.AccessError, match="unknown target"):
        access.target_weights(atlas, "core21")


# --- coverage and bands ---------------------------------------------------------------------------

@pytest.fixture()
def small():
    # LSOAs at 0.5, 1.0 (exactly on the 1 km edge), 3, 7 and 12 km east of the only site
    atlas = _atlas([("L1", 500, 0, 100, True), ("L2", 1_000, 0, 200, True), ("L3", 3_000, 0, 400, True),
                    ("L4", 7_000, 0, 800, False), ("L5", 12_000, 0, 1_600, True)])
    sites = _sites([("S1", 0, 0)])
    return atlas, sites


def test_coverage_counts_a_distance_equal_to_the_threshold_as_covered(small):
    atlas, sites = small
    res = access.analyse(atlas, sites, "core20", threshold=3_000)
    assert res.coverage.target_population == 100 + 200 + 400 + 1_600
    assert res.coverage.covered_population == 100 + 200 + 400  # 3,000 m is within 3 km
    assert res.coverage.target_lsoas == 4 and res.coverage.covered_lsoas == 3
    assert res.coverage.covered_share == pytest.approx(700 / 2_300)
    assert res.uncovered[schema.LSOA_CODE].tolist() == ["L5"]  # L4 is beyond 3 km but not a target
    assert res.uncovered["distance_km"].tolist() == [12.0]


def test_distance_bands_are_right_closed_and_sum_to_the_target(small):
    atlas, sites = small
    res = access.analyse(atlas, sites, "all", threshold=3_000)
    bands = res.bands.set_index("band")
    assert list(bands.index) == ["0-1 km", "1-2 km", "2-5 km", "5-10 km", "10+ km"]
    assert bands["target_population"].tolist() == [300, 0, 400, 800, 1_600]  # 1,000 m falls in 0-1
    assert bands["lsoas"].sum() == 5
    assert bands["target_population"].sum() == res.coverage.target_population
    assert bands["cumulative_share"].iloc[-1] == pytest.approx(1.0)


def test_nearest_site_names_the_site(small):
    atlas, _ = small
    sites = _sites([("S1", 0, 0), ("S2", 10_000, 0)])
    near = access.nearest_site(atlas, sites)
    assert near["site_code"].tolist() == ["S1", "S1", "S1", "S2", "S2"]
    assert near["cost"].tolist() == pytest.approx([500, 1_000, 3_000, 3_000, 2_000])


def test_no_sites_means_nobody_covered(small):
    atlas, sites = small
    res = access.analyse(atlas, sites.iloc[:0], "core20", threshold=3_000)
    assert res.coverage.covered_population == 0
    assert len(res.uncovered) == 4
    assert res.bands["band"].iloc[-1] == "10+ km" and res.bands["lsoas"].iloc[-1] == 4


def test_band_edges_must_increase():
    with pytest.raises(access.AccessError):
        access.distance_bands([1.0], [1.0], edges=(2_000, 1_000))


# --- the cost-model seam: an origin-destination matrix swaps in ----------------------------------

def _od_from(model: access.CostModel, origins: pd.DataFrame, dests: pd.DataFrame) -> pd.DataFrame:
    m = model.matrix(origins, dests)
    rows = [(o, d, m[i, j]) for i, o in enumerate(origins["code"]) for j, d in enumerate(dests["code"])]
    return pd.DataFrame(rows, columns=["origin_code", "destination_code", "cost"])


def test_od_matrix_reproduces_straight_line_analysis(small):
    atlas, _ = small
    sites = _sites([("S1", 0, 0), ("S2", 10_000, 0)])
    straight = access.StraightLineCost()
    table = _od_from(straight, access.lsoa_points(atlas), access.site_points(sites))
    od = access.ODMatrixCost(table, unit="m")
    a = access.analyse(atlas, sites, "core20", 3_000, straight)
    b = access.analyse(atlas, sites, "core20", 3_000, od)
    assert a.coverage == b.coverage
    pd.testing.assert_frame_equal(a.bands, b.bands)
    assert a.nearest["site_code"].tolist() == b.nearest["site_code"].tolist()


def test_od_matrix_missing_pairs_are_unreachable_and_duplicates_keep_the_least():
    table = pd.DataFrame({"origin_code": ["L1", "L1", "L1", "L2"],
                          "destination_code": ["S1", "S2", "S2", "S1"], "cost": [12.0, 30.0, 9.0, 45.0]})
    od = access.ODMatrixCost(table)
    origins = access.points(["L1", "L2", "L3"], [0, 0, 0], [0, 0, 0])
    dests = access.points(["S1", "S2"], [0, 0], [0, 0])
    m = od.matrix(origins, dests)
    assert m[0].tolist() == [12.0, 9.0]
    assert m[1, 0] == 45.0 and np.isinf(m[1, 1]) and np.isinf(m[2]).all()
    cost, idx = od.nearest(origins, dests)
    assert idx.tolist() == [1, 0, -1] and cost[:2].tolist() == [9.0, 45.0]
    cov = access.coverage(cost, [1, 1, 1], 15.0, od.unit)
    assert cov.covered_lsoas == 1 and cov.unit == "min"


def test_od_matrix_reports_bad_rows_by_file_row():
    table = pd.DataFrame({"origin_code": ["L1", "L2", "L3"], "destination_code": ["S1", "S1", "S1"],
                          "cost": ["5", "-1", "abc"]})
    with pytest.raises(access.AccessError, match=r"2 row\(s\).*rows 3, 4"):
        access.ODMatrixCost(table)


def test_km_threshold_needs_a_distance_model():
    assert access.km_to_cost(access.StraightLineCost(), 2.5) == 2_500
    od = access.ODMatrixCost(pd.DataFrame({"origin_code": [], "destination_code": [], "cost": []}))
    with pytest.raises(access.AccessError):
        access.km_to_cost(od, 3)


# --- origin-destination travel times from a user's file ---------------------------------------------

OD_CSV = ("LSOA code,Site,Minutes\nE01000001,S1,12\nE01000001,S2,7.5\nE01000002,S1,\"1,020\"\n"
          "E01000002,S2,30\n")


def test_od_csv_reads_into_a_cost_model():
    od = access.read_od_csv(OD_CSV.encode("utf-8-sig"), "times.csv", origins={"E01000001", "E01000002"},
                            destinations={"S1", "S2"})
    assert isinstance(od, access.ODMatrixCost) and od.unit == "min"
    m = od.matrix(access.points(["E01000001", "E01000002", "E01000003"], [0, 0, 0], [0, 0, 0]),
                  access.points(["S2", "S1"], [0, 0], [0, 0]))
    assert m[0].tolist() == [7.5, 12.0] and m[1].tolist() == [30.0, 1020.0] and np.isinf(m[2]).all()
    headless = access.read_od_csv(b"E01000001\tS1\t4\nE01000002\tS1\t6\n", "plain.tsv")
    assert headless.table["cost"].tolist() == [4.0, 6.0]


@pytest.mark.parametrize(("text", "message"), [
    ("from_lsoa,venue,minutes\nE01000001,S1,3\n", r"lacks a column for the origin LSOA code.*'from_lsoa'"),
    ("origin,destination\nE01000001,S1\n", "lacks a column for the travel time in minutes"),
    ("origin,destination,minutes\nE01000001,S1,3\nE01000002,S1,soon\nE01000003,S1,-2\n",
     r"2 row\(s\) have no non-negative number of minutes in column 'minutes' \(rows 3, 4; e.g. 'soon'\)"),
    ("origin,destination,minutes\nE01000001,,3\n", r"no destination site/candidate code .*rows 2"),
    ("origin,destination,minutes\nE01000001,S1,3\nE01999999,S1,4\n",
     r"origin LSOA code\(s\) in column 'origin' are not known here: 'E01999999' \(rows 3\)"),
    ("origin,destination,minutes\nE01000001,S9,3\n", r"destination .* not known here: 'S9' \(rows 2\)"),
])
def test_od_csv_problems_name_the_rows_columns_and_codes(text, message):
    with pytest.raises(uploads.UploadError, match=message):
        access.read_od_csv(text.encode(), "times.csv", origins={"E01000001", "E01000002"},
                           destinations={"S1", "S2"})


def test_od_csv_drives_a_plan_in_minutes():
    text = "origin,destination,minutes\n" + "".join(
        f"{o},{d},{m}\n" for o, d, m in [("a", "X", 5), ("b", "X", 5), ("c", "Y", 4), ("a", "Z", 30),
                                         ("b", "Z", 30), ("c", "Z", 30)])
    od = access.read_od_csv(text.encode(), "times.csv")
    demand = pd.DataFrame({"code": list("abc"), "easting": 0.0, "northing": 0.0, "weight": [10, 10, 10]})
    cands = siting.candidates_frame(list("XYZ"), list("XYZ"), [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0])
    res = siting.solve(demand, cands, 2, "pmedian", radius=10, cost_model=od)
    assert set(res.chosen["candidate_id"]) == {"X", "Y"} and res.unit == "min"
    assert res.mean_cost == pytest.approx(14 / 3)


# --- weighted mean distance ---------------------------------------------------------------------------

def test_weighted_mean_distance_is_the_population_weighted_mean(small):
    atlas, _ = small
    sites = _sites([("S1", 0, 0), ("S2", 10_000, 0)])
    res = access.analyse(atlas, sites, "all", 3_000)
    w, c = res.weights.to_numpy(), res.nearest["cost"].to_numpy()
    direct = sum(wi * ci for wi, ci in zip(w, c, strict=True) if wi > 0) / sum(wi for wi in w if wi > 0)
    assert access.weighted_mean_distance(res) == pytest.approx(direct) == res.mean_cost
    assert access.weighted_mean_distance(c, w) == pytest.approx(direct)
    assert access.weighted_mean_cost([1.0, np.inf], [1.0, 0.0]) == 1.0  # zero weight: not counted
    assert np.isinf(access.weighted_mean_cost([1.0, np.inf], [1.0, 2.0]))
    assert np.isnan(access.weighted_mean_cost([1.0], [0.0]))


# --- real data -------------------------------------------------------------------------------------

def test_nearest_site_matches_brute_force_for_one_icb(atlas2025):
    from geo_core20 import atlas as atlas_mod

    sites = atlas_mod.load_sites()
    area = atlas2025[atlas2025["icb_code"] == "E54000008"]  # Cheshire and Merseyside
    assert len(area) > 1_500
    for types in (["gp"], ["gp", "pharmacy"], ["cdc"]):
        chosen = sites[sites["site_type"].isin(types)].reset_index(drop=True)
        near = access.nearest_site(area, chosen)
        o = area[[schema.PWC_EASTING, schema.PWC_NORTHING]].to_numpy()
        s = chosen[["easting", "northing"]].to_numpy()
        d = np.sqrt(((o[:, None, :] - s[None, :, :]) ** 2).sum(axis=2))  # every LSOA x every site
        best = d.min(axis=1)
        np.testing.assert_allclose(near["cost"].to_numpy(), best, rtol=0, atol=1e-6)
        # the named site is at that distance (ties may name another site at the same distance)
        named = chosen.set_index("site_code").loc[near["site_code"], ["easting", "northing"]].to_numpy()
        np.testing.assert_allclose(np.hypot(*(named - o).T), best, atol=1e-6)
    # sanity on the real figures: every Cheshire and Merseyside LSOA has a GP within 10 km
    near = access.nearest_site(area, sites[sites["site_type"] == "gp"])
    assert near["distance_km"].max() < 10


def test_one_cost_formatter_for_distances_radii_and_times():
    assert access.format_cost(3000) == "3 km" and access.format_cost(1500, "m") == "1.5 km"
    assert access.format_cost(2345.0, decimals=1) == "2.3 km"
    assert access.format_cost(500, decimals=2) == "0.50 km"
    assert access.format_cost(15, "min") == "15 min"
    assert access.format_cost(12.25, "min", decimals=1) == "12.2 min"
    assert access.format_cost(float("inf")) == "unreachable" and access.format_cost(None, missing="–") == "–"
    assert access.format_cost(float("nan"), "min", missing="") == ""
