"""The built atlases against the published facts (real data from the mirror)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from geo_core20 import areas, atlas, schema

CENSUS_2021_ENGLAND = 56_490_048  # usual residents, Census 2021 (ONS)
MID_2015_ENGLAND = 54_786_327  # ONS mid-2015 England estimate; IoD2019 denominators exclude prisoners


@pytest.mark.parametrize("vintage, core20", [("2025", 6_751), ("2019", 6_568)])
def test_core20_counts(vintage, core20, request):
    gdf = request.getfixturevalue(f"atlas{vintage}")
    assert len(gdf) == schema.LSOA_COUNT[vintage]
    assert int(gdf["core20"].sum()) == core20
    assert gdf["core20"].equals(gdf["imd_decile"] <= 2)


@pytest.mark.parametrize("vintage", ["2025", "2019"])
def test_every_lsoa_has_one_of_each_area(vintage, request):
    gdf = request.getfixturevalue(f"atlas{vintage}")
    assert gdf["lsoa_code"].is_unique
    assert gdf["lsoa_code"].str.match(r"^E01\d{6}$").all()
    for level in ("lad", "sub_icb", "icb", "region", "nhs_region"):
        code, name = schema.LEVEL_COLUMNS[level]
        assert gdf[code].notna().all() and gdf[name].notna().all(), level
    assert gdf["icb_code"].nunique() == 42
    assert gdf["sub_icb_code"].nunique() == 106
    assert gdf["region_code"].nunique() == 9
    assert gdf["nhs_region_code"].nunique() == 7
    # each ICB nests in one NHS region; each sub-ICB in one ICB
    assert (gdf.groupby("icb_code")["nhs_region_code"].nunique() == 1).all()
    assert (gdf.groupby("sub_icb_code")["icb_code"].nunique() == 1).all()


@pytest.mark.parametrize("vintage", ["2025", "2019"])
def test_area_sums_equal_england(vintage, request):
    gdf = request.getfixturevalue(f"atlas{vintage}")
    england = areas.summary(gdf, "england").iloc[0]
    for level in ("region", "nhs_region", "icb", "sub_icb", "lad"):
        table = areas.summary(gdf, level)
        assert table["core20_lsoas"].sum() == england["core20_lsoas"], level
        assert table["lsoas"].sum() == england["lsoas"], level
        assert table["population"].sum() == england["population"], level


@pytest.mark.parametrize("vintage", ["2025", "2019"])
def test_each_decile_holds_a_tenth(vintage, request):
    gdf = request.getfixturevalue(f"atlas{vintage}")
    counts = gdf["imd_decile"].value_counts()
    assert sorted(counts.index) == list(range(1, 11))
    tenth = len(gdf) / 10
    assert (counts - tenth).abs().max() <= 1
    # rank 1 is the most deprived and the score orders the same way
    assert gdf.loc[gdf["imd_rank"].idxmin(), "imd_decile"] == 1
    assert gdf["imd_score"].corr(-gdf["imd_rank"], method="spearman") > 0.999


def test_population_matches_published_totals(atlas2025, atlas2019):
    assert abs(atlas2025["population"].sum() / CENSUS_2021_ENGLAND - 1) < 0.005
    assert abs(atlas2019["population"].sum() / MID_2015_ENGLAND - 1) < 0.005


@pytest.mark.parametrize("vintage", ["2025", "2019"])
def test_geometry_and_centroids(vintage, request):
    gdf = request.getfixturevalue(f"atlas{vintage}")
    assert gdf.crs.to_epsg() == 4326
    assert gdf.geometry.is_valid.all()
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
    assert gdf["pwc_lon"].between(-6.5, 2).all() and gdf["pwc_lat"].between(49.8, 55.9).all()
    assert gdf["pwc_easting"].between(80_000, 660_000).all()
    # BSC is generalised: ~2% of centroids fall in a neighbour polygon; most must be inside
    display = atlas.load_display_geometry(vintage)
    assert len(display) == len(gdf)
    import geopandas as gpd

    pts = gpd.GeoSeries(gpd.points_from_xy(gdf["pwc_lon"], gdf["pwc_lat"]), crs=4326)
    assert pts.within(gdf.geometry).mean() > 0.95


def test_coastal_flags_and_ethnicity(atlas2025, atlas2019):
    assert int(atlas2025["coastal"].sum()) == 7_545
    assert int(atlas2019["coastal"].sum()) == 7_377
    shares = atlas2025[list(schema.ETHNIC_GROUPS)].sum(axis=1)
    assert ((shares - 1).abs() < 1e-9).all()


def test_sites_table():
    sites = atlas.load_sites()
    counts = sites["site_type"].value_counts()
    assert 6_000 < counts["gp"] <= 6_202
    assert 9_000 < counts["pharmacy"] <= 11_276
    assert counts["cdc"] == 170
    assert counts["hospital"] > 1_000
    assert sites["icb_code"].str.match(r"^E54\d{6}$").all()
    assert sites["lon"].between(-6.5, 2).all() and sites["lat"].between(49.8, 55.9).all()
    assert sites["easting"].notna().all()


def test_summary_cli_matches_core(atlas2025, tmp_path):
    out = tmp_path / "icb.json"
    subprocess.run([sys.executable, "-m", "geo_core20", "summary", "--vintage", "2025", "--level",
                    "icb", "--format", "json", "--output", str(out)], check=True)
    rows = json.loads(out.read_text())
    assert len(rows) == 42
    assert list(rows[0]) == list(areas.SUMMARY_COLUMNS)
    expected = areas.summary(atlas2025, "icb").set_index("area_code")
    for row in rows:
        assert row["core20_lsoas"] == expected.loc[row["area_code"], "core20_lsoas"]
        assert 0 <= row["pct_lsoas_most_deprived_10"] <= 1
        assert 0 <= row["core20_population_pct"] <= 1
    csv = subprocess.run([sys.executable, "-m", "geo_core20", "summary", "--vintage", "2019", "--level",
                          "england"], check=True, capture_output=True, text=True).stdout.splitlines()
    assert csv[0] == ",".join(areas.SUMMARY_COLUMNS)
    assert csv[1].startswith("E92000001,England,32844,")

