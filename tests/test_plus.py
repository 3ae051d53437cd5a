"""PLUS indicators on real data, coastal communities, and the Core20PLUS target builder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_core20 import plus, schema, sources
from geo_core20.maps import export, palette, plus_maps
from geo_core20.plus import Condition, TargetError, TargetSpec, registry

# --- registry --------------------------------------------------------------------------------------


def test_registry_is_complete_and_honest():
    for ind in plus.INDICATORS.values():
        assert ind.level in (plus.LSOA, plus.MSOA, plus.LAD)
        assert ind.caveat and ind.label
        for dataset_id in ind.sources:
            sources.get(dataset_id)  # every source is in the manifest
        if ind.level != plus.LSOA:
            # says it is not LSOA data (and, for a table also published per LSOA, that it is)
            assert plus.LEVEL_NOTE[ind.level] in ind.caveat or registry.LAD_OF_LSOA_NOTE in ind.caveat
            assert "level" in ind.full_label and plus.LEVEL_TEXT[ind.level] in ind.full_label
    minority = plus.get("ethnic_minority")
    for phrase in ("Gypsy or Irish Traveller", "Roma", "excludes"):
        assert phrase in minority.caveat
    with pytest.raises(KeyError, match="unknown indicator"):
        plus.get("nope")
    ids_2019 = {i.id for i in plus.indicators("2019")}
    assert ids_2019 >= {"coastal", "coastal_core20", "coast_distance_km", "rural"}
    assert not [i for i in plus.indicators("2019") if i.level != plus.LSOA]


def test_plus_datasets_are_in_the_manifest():
    for dataset_id in ("census21_disability", "census21_household_deprivation", "census21_overcrowding",
                       "census21_proficiency_msoa", "census21_migration_msoa", "census21_ethnicity_lad",
                       "homelessness_lad", "gp_patients_lad", "msoa21_boundaries", "lad24_boundaries"):
        d = sources.get(dataset_id)
        assert d.attribution and d.licence and (d.urls or d.landing_page)


# --- coastal ---------------------------------------------------------------------------------------

def test_coastal_lsoa_counts(atlas2025, atlas2019):
    assert int(plus.values(atlas2025, "coastal").sum()) == 7_545
    assert int(plus.values(atlas2019, "coastal").sum()) == 7_377


@pytest.mark.parametrize("fixture_name, expected", [("atlas2025", 1_901), ("atlas2019", 1_939)])
def test_coastal_core20_per_icb_sums_to_england(request, fixture_name, expected):
    atlas = request.getfixturevalue(fixture_name)
    england = plus.coastal_summary(atlas, "england").iloc[0]
    assert england["coastal_core20_lsoas"] == expected
    assert england["coastal_lsoas"] == int(atlas["coastal"].sum())
    for level in ("icb", "region", "lad"):
        per_area = plus.coastal_summary(atlas, level)
        assert per_area["area_code"].is_unique
        for col in ("lsoas", "coastal_lsoas", "coastal_core20_lsoas", "coastal_core20_population"):
            assert per_area[col].sum() == england[col], (level, col)
    both = atlas["coastal"] & atlas["core20"]
    assert plus.coastal_core20(atlas).equals(both.rename("coastal_core20"))


def test_coast_distance_agrees_with_the_coastal_flag(atlas2025):
    dist = plus.values(atlas2025, "coast_distance_km")
    assert dist.notna().all() and (dist >= 0).all() and dist.max() < 120  # nowhere in England is >120 km
    coastal = atlas2025["coastal"].to_numpy()
    # G_25_5 is about postcodes within 5 km; the centroid is within 5 km for ~99% of them
    assert (dist[coastal] <= 5).mean() > 0.98
    assert dist[~coastal].median() > 15


# --- Census and IoD indicators ---------------------------------------------------------------------

def test_ethnic_group_shares_sum_to_one(atlas2025):
    shares = atlas2025[list(schema.ETHNIC_GROUPS)]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(atlas2025[schema.ETHNIC_MINORITY], 1 - atlas2025["ethnic_white"], atol=1e-12)
    pct = sum(plus.values(atlas2025, g) for g in ("ethnic_asian", "ethnic_black", "ethnic_mixed",
                                                   "ethnic_white", "ethnic_other"))
    np.testing.assert_allclose(pct, 100.0, atol=1e-7)


@pytest.mark.parametrize("indicator_id", ["disability", "household_deprived_2plus", "overcrowding"])
def test_census_lsoa_indicators_are_percentages(atlas2025, indicator_id):
    v = plus.values(atlas2025, indicator_id)
    assert len(v) == len(atlas2025) and v.notna().all()
    assert v.min() >= 0 and v.max() <= 100 and 1 < v.median() < 60


def test_census_deprivation_tracks_imd(atlas2025):
    v = plus.values(atlas2025, "household_deprived_2plus")
    by_decile = v.groupby(atlas2025["imd_decile"]).mean()
    assert by_decile.is_monotonic_decreasing  # more deprived deciles, more deprived households


def test_iod_indicators_split_into_lsoa_and_la_level(atlas2025):
    table = plus.inputs.iod_indicators()
    lad = atlas2025.set_index("lsoa_code")["lad_code"].reindex(table.index)
    distinct = table.groupby(lad.to_numpy()).nunique()
    for col in plus.IOD_LSOA_INDICATORS:
        assert (distinct[col] > 1).mean() > 0.9, col  # varies inside local authorities
    for col in plus.IOD_LA_LEVEL_COLUMNS:
        # one value per (2023) authority: at most 2 inside a 2024 unitary formed by a merger
        assert distinct[col].median() == 1 and distinct[col].max() <= 2, col
        assert f"iod_{col}" not in plus.INDICATORS
    classified = {*plus.IOD_LSOA_INDICATORS, *plus.IOD_LA_LEVEL_COLUMNS, *plus.IOD_EXCLUDED_COUNTS}
    assert classified == set(table.columns)


def test_lad_level_layers_stay_on_lad_boundaries(atlas2025):
    icb = atlas2025[atlas2025["icb_code"] == atlas2025["icb_code"].iloc[0]]
    for ind_id in ("grt_pct", "homeless_per_1000", "patients_per_gp"):
        layer = plus.area_layer(icb, ind_id)
        assert set(layer["area_code"]) == set(icb["lad_code"])  # one polygon per authority, not per LSOA
        assert len(layer) == icb["lad_code"].nunique() < len(icb)
    grt = plus.values(atlas2025, "grt_count")
    assert grt.index.is_unique and set(grt.index) == set(atlas2025["lad_code"])


def test_grt_and_roma_totals_are_conserved_by_the_lad_remap(atlas2025):
    raw = pd.read_csv(plus.inputs.input_path("census21_ethnicity_lad"))
    eng = raw[raw["ltla21_code"].str.startswith("E")]
    for ind_id, group in (("grt_count", "White: Gypsy or Irish Traveller (number)"),
                          ("roma_count", "White: Roma (number)")):
        expected = eng.loc[eng["ethnic_group"] == group, "value"].sum()
        assert plus.values(atlas2025, ind_id).sum() == pytest.approx(expected)
    pct = plus.values(atlas2025, "grt_pct")
    assert pct.max() < 5 and pct.gt(0).sum() > 250  # recomputed, not the rounded 0.0 published percents


def test_msoa_layers(atlas2025):
    codes = plus.msoa_codes(atlas2025)
    assert codes.notna().all() and codes.str.startswith("E02").all() and codes.nunique() == 6_856
    lad = atlas2025[atlas2025["lad_code"] == "E08000025"]  # Birmingham
    layer = plus.area_layer(lad, "english_not_well")
    assert len(layer) == plus.msoa_codes(lad).nunique() < len(lad)
    assert layer["value"].between(0, 100).all() and layer["value"].max() > 5


# --- target builder --------------------------------------------------------------------------------

def test_query_params_round_trip():
    spec = TargetSpec("core20", "or", (
        Condition("coastal"),
        Condition("indicator", "ethnic_minority", "ge", 80, percentile=True),
        Condition("indicator", "disability", "ge", 25.5),
        Condition("hotspot", "imd_score", confidence=99),
        Condition("coldspot", "iod_connectivity_score", confidence=90),
        plus.upload_condition("Traveller sites, 2024 (v2)"),
        Condition("upload", layer="referrals", column="rate per 1,000", op="ge", threshold=3),
    ))
    params = spec.to_query_params()
    assert set(params) == {"tb", "tc", "tx"} and len(params["tx"]) < 400
    assert TargetSpec.from_query_params(params) == spec
    assert TargetSpec.from_query_params({"tb": ["all"], "tc": ["and"]}) == TargetSpec("all", "and", ())
    assert TargetSpec.from_query_params({"area": "x"}) is None


@pytest.mark.parametrize("params, message", [
    ({"tb": "core30"}, "unknown target base"),
    ({"tc": "xor"}, "unknown combination"),
    ({"tx": "ind:nope:ge:3"}, "unknown indicator"),
    ({"tx": "ind:disability:gte:3"}, "unknown comparison"),
    ({"tx": "ind:disability:ge:p120"}, "between 0 and 100"),
    ({"tx": "ind:disability:ge:inf"}, "finite"),
    ({"tx": "ind:disability:ge:abc"}, "bad target condition"),
    ({"tx": "hot:imd_score:80"}, "confidence"),
    ({"tx": "hot:grt_pct:95"}, "numeric LSOA indicator"),
    ({"tx": "ind:ruc_class:ge:1"}, "classification"),
    ({"tx": "<script>"}, "unknown target condition"),
    ({"tx": ",".join(["coastal"] * 9)}, "at most"),
    ({"tx": "up:%3Cscript%3E"}, "layer name"),
])
def test_bad_share_links_are_rejected_with_a_message(params, message):
    with pytest.raises(TargetError, match=message):
        TargetSpec.from_query_params(params)


def test_vintage_check():
    with pytest.raises(TargetError, match="not available for the 2019"):
        TargetSpec.from_query_params({"tx": "ind:disability:ge:20"}, vintage="2019")


def test_core20_and_coastal_is_coastal_core20(atlas2025):
    res = plus.evaluate(TargetSpec("core20", "and", (Condition("coastal"),)), atlas2025)
    assert res.summary["lsoas"] == int(plus.coastal_core20(atlas2025).sum()) == 1_901
    assert res.summary["population"] == int(atlas2025.loc[res.mask, "population"].sum())
    either = plus.evaluate(TargetSpec("core20", "or", (Condition("coastal"),)), atlas2025)
    assert either.summary["lsoas"] == int(atlas2025["core20"].sum()) + 7_545 - 1_901
    coastal_only = plus.evaluate(TargetSpec("all", "and", (Condition("coastal"),)), atlas2025)
    assert coastal_only.summary["lsoas"] == 7_545
    assert plus.evaluate(TargetSpec("core20"), atlas2025).summary["lsoas"] == int(atlas2025["core20"].sum())
    assert "Core20" in res.spec.describe() and "coastal" in res.spec.describe()


def test_percentile_is_within_the_area(atlas2025):
    area = atlas2025[atlas2025["icb_code"] == atlas2025["icb_code"].iloc[0]]
    spec = TargetSpec("all", "and", (Condition("indicator", "ethnic_minority", "ge", 80, percentile=True),))
    res = plus.evaluate(spec, area)
    assert 0.18 <= res.mask.mean() <= 0.22
    cut = np.percentile(area["ethnic_minority"] * 100, 80)
    assert (area.loc[res.mask, "ethnic_minority"] * 100 >= cut - 1e-9).all()


def test_lad_level_condition_is_worded_as_such(atlas2025):
    c = Condition("indicator", "homeless_per_1000", "ge", 3)
    assert "lies in a local authority where" in c.describe()
    res = plus.evaluate(TargetSpec("all", "and", (c,)), atlas2025)
    lad_values = plus.values(atlas2025, "homeless_per_1000")
    expected = atlas2025["lad_code"].isin(lad_values[lad_values >= 3].index)
    assert res.mask.equals(expected.rename("in_target"))


def test_upload_and_hotspot_conditions(atlas2025):
    area = atlas2025[atlas2025["lad_code"].isin(["E06000010", "E06000011"])]
    some = area["lsoa_code"].iloc[:5]
    layer = pd.DataFrame({"lsoa_code": some, "count": [1, 2, 0, 1, 3]})
    cond = plus.upload_condition("sites")
    assert cond.op == "gt" and cond.token() == "up:sites"
    up = plus.evaluate(TargetSpec("all", "and", (cond,)), area, {"sites": layer})
    assert up.summary["lsoas"] == 4  # count > 0
    missing = plus.evaluate(TargetSpec("core20", "and", (plus.upload_condition("gone"),)), area, {})
    assert missing.warnings and missing.summary["lsoas"] == int(area["core20"].sum())
    hot = plus.evaluate(TargetSpec("all", "and", (Condition("hotspot", "imd_score", confidence=95),)), area)
    assert 20 < hot.summary["lsoas"] < len(area)
    assert area.loc[hot.mask, "imd_score"].mean() > area["imd_score"].mean()
    frame = plus.target_frame(area, hot)
    assert len(frame) == hot.summary["lsoas"] and "condition_1" in frame.columns
    assert frame.geometry.notna().all()


# --- styling and exports ---------------------------------------------------------------------------

def test_layer_styles_use_national_classes(atlas2025):
    nat = plus.values(atlas2025, "disability")
    style = plus_maps.layer_style(plus.get("disability"), nat)
    counts = style.counts(nat)
    assert len(style.colours) == 5 and sum(counts) == len(nat)
    assert max(counts) - min(counts) <= 2  # quintiles
    assert style.find_bin([np.nan])[0] == -1 and style.colour([np.nan])[0] == palette.NO_DATA_COLOUR
    assert style.find_bin([nat.max()])[0] == 4 and style.find_bin([nat.min()])[0] == 0
    flag = plus_maps.layer_style(plus.get("coastal"), plus.values(atlas2025, "coastal"))
    assert flag.counts(plus.values(atlas2025, "coastal")) == [7_545, len(atlas2025) - 7_545]
    cats = plus_maps.layer_style(plus.get("ruc_class"), atlas2025["ruc_class"])
    assert sum(cats.counts(atlas2025["ruc_class"])) == len(atlas2025)


def test_count_and_upload_styles():
    counts = plus_maps.count_style("points")
    assert counts.find_bin([0, 1, 2, 4, 5, 50, np.nan]).tolist() == [0, 1, 2, 2, 3, 3, -1]
    q = plus_maps.quantile_style(pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), "upload")
    assert len(q.colours) == 5 and q.find_bin([1, 10]).tolist() == [0, 4]
    assert plus_maps.quantile_style(pd.Series([np.nan]), "empty").labels == ("no data",)


@pytest.mark.parametrize("ind_id, value, text", [
    ("disability", 12.345, "12.3%"), ("grt_pct", 0.0512, "0.05%"), ("coast_distance_km", 3.21, "3.2 km"),
    ("coastal", True, "Yes"), ("grt_count", 1234.0, "1,234"), ("disability", np.nan, "no data"),
])
def test_format_value(ind_id, value, text):
    assert plus.format_value(plus.get(ind_id), value) == text


def test_target_geojson_export_keeps_attribution_and_text(atlas2025):
    import json

    area = atlas2025[atlas2025["lad_code"] == "E06000010"].copy()
    first_target = area.index[(area["core20"] & area["coastal"]).to_numpy()][0]
    area.loc[first_target, "lsoa_name"] = "<script>alert(1)</script>"
    res = plus.evaluate(TargetSpec("core20", "and", (Condition("coastal"),)), area)
    frame = plus.target_frame(area, res)
    data = json.loads(export.to_geojson(frame, ["Attribution line"], "target"))
    assert data["attribution"] == ["Attribution line"] and data["name"] == "target"
    assert len(data["features"]) == res.summary["lsoas"]
    names = [f["properties"]["lsoa_name"] for f in data["features"]]
    assert "<script>alert(1)</script>" in names  # data stays data; JSON, not HTML
    props = data["features"][0]["properties"]
    assert props["condition_1"] is True and props["core20"] is True and isinstance(props["population"], int)
