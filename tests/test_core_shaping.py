"""Data shaping the pages used to do themselves, now pure core functions (issue 17, item 6)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo_core20 import areas, atlas, clinical, schema, uploads
from geo_core20.exports import profile
from geo_core20.lsoa_filter import TableFilter
from geo_core20.maps import view

VIEWS = [("england", None), ("region", "E12000002"), ("nhs_region", "E40000012"), ("icb", "E54000008"),
         ("sub_icb", "E38000259"), ("lad", "E08000003")]


# --- the area, its parent and England ----------------------------------------------------------------

def _old_scopes(atlas, level, code):
    """What ui/panels.py, exports/profile.py and clinical/focus.py each built before (reference)."""
    scopes = [("area", level, code)]
    up = areas.parent(atlas, level, code)
    if up is not None and up[0] != "england":
        scopes.append(("parent", up[0], up[1]))
    if level != "england":
        scopes.append(("england", "england", None))
    return scopes


@pytest.mark.parametrize(("level", "code"), VIEWS)
def test_comparison_scopes_are_the_area_its_parent_and_england(atlas2025, level, code):
    got = areas.comparison_scopes(atlas2025, level, code)
    assert [(s.scope, s.level, s.area_code) for s in got] == _old_scopes(atlas2025, level, code)
    expected_levels = {"england": ["england"], "region": ["region", "england"],
                       "nhs_region": ["nhs_region", "england"], "icb": ["icb", "nhs_region", "england"],
                       "sub_icb": ["sub_icb", "icb", "england"], "lad": ["lad", "region", "england"]}
    assert [s.level for s in got] == expected_levels[level]


def test_comparison_rows_equal_the_summary_command(atlas2025):
    frame = areas.comparison(atlas2025, "lad", "E08000003")  # Manchester, in the North West
    assert list(frame["role"]) == ["This area", "Parent (ONS region)", "England"]
    for (_, row), (lvl, code) in zip(frame.iterrows(), [("lad", "E08000003"), ("region", "E12000002"),
                                                        ("england", None)], strict=True):
        table = areas.summary(atlas2025, lvl)
        want = table.loc[table["area_code"] == (code or schema.ENGLAND_CODE)].iloc[0]
        for col in areas.SUMMARY_COLUMNS:
            assert row[col] == want[col], (lvl, col)
    england = areas.comparison(atlas2025, "england", None)
    assert list(england["role"]) == ["England"] and england["lsoas"].iloc[0] == len(atlas2025)


def _old_panels_rows(atlas, level, code) -> pd.DataFrame:
    """ui.panels.comparison_rows as it was (from the summary tables), for the numbers."""
    def row(lvl, c):
        table = areas.summary(atlas, lvl)
        want = schema.ENGLAND_CODE if lvl == "england" else c
        return table.loc[table["area_code"] == want].iloc[0].to_dict()
    rows = [row(level, code)]
    rows[0]["role"] = "This area" if level != "england" else "England"
    up = areas.parent(atlas, level, code) if level != "england" else None
    if up is not None and up[0] != "england":
        rows.append({**row(*up), "role": f"Parent ({schema.LEVEL_LABEL[up[0]]})"})
    if level != "england":
        rows.append({**row("england", None), "role": "England"})
    return pd.DataFrame(rows)


@pytest.mark.parametrize(("level", "code"), VIEWS)
def test_the_three_callers_keep_their_numbers(atlas2025, level, code):
    """Explorer comparison, area profile and clinical focus: the same rows and numbers as before."""
    old = _old_panels_rows(atlas2025, level, code)
    new = areas.comparison(atlas2025, level, code)
    pd.testing.assert_frame_equal(new[old.columns], old)

    prof = profile.build_profile("2025", level, code, plan=None).comparison
    assert list(prof["scope"]) == [{"england": "England"}.get(s, s) for s, _, _ in
                                   _old_scopes(atlas2025, level, code)]
    for (_, p), (_, o) in zip(prof.iterrows(), old.iterrows(), strict=True):
        assert {c: p[c] for c in areas.SUMMARY_COLUMNS} == {c: o[c] for c in areas.SUMMARY_COLUMNS}

    focus = clinical.focus_compare(atlas2025, "hypertension", level, code)
    old_scopes = [s for s, _, _ in _old_scopes(atlas2025, level, code)]
    assert list(focus.drop_duplicates("scope")["scope"]) == old_scopes
    whole = focus[focus["part"] == "whole"].reset_index(drop=True)
    assert list(whole["area_code"]) == list(old["area_code"])
    assert whole["population"].round().astype(int).tolist() == old["population"].tolist()


# --- the explorer's table filter ----------------------------------------------------------------------

WIRRAL = "E08000015"


def test_every_lsoa_has_its_ward(atlas2025, atlas2019):
    for vintage, frame in (("2025", atlas2025), ("2019", atlas2019)):
        wards = atlas.load_ward_names(vintage)
        names = frame[schema.LSOA_CODE].map(wards)
        assert names.notna().all(), vintage
        assert (names.str.len() > 0).all()
    # an LSOA 2011 split between wards lists each of them
    assert atlas.load_ward_names("2019").str.contains("; ").any()
    assert not atlas.load_ward_names("2025").str.contains("; ").any()


def test_filter_by_ward_finds_wirral_lsoas():
    table = view.lsoa_table("2025", "icb", "E54000008")  # Cheshire and Merseyside
    assert not table[schema.LSOA_NAME].str.contains("Birkenhead", case=False).any()  # names alone miss it
    shown = TableFilter.of("  birkenhead ").apply(table)
    assert len(shown) > 0
    assert set(shown["lad_code"]) == {WIRRAL}
    assert shown[schema.WARD_NAME].str.contains("Birkenhead").all()
    assert shown[schema.IMD_RANK].is_monotonic_increasing  # still most deprived first
    core = TableFilter.of("Birkenhead", core20_only=True).apply(table)
    assert 0 < len(core) <= len(shown) and core[schema.CORE20].all()
    d1 = TableFilter.of("Birkenhead", deciles=[1]).apply(table)
    assert set(d1[schema.IMD_DECILE]) <= {1}


def test_filter_by_ward_on_the_2019_atlas():
    table = view.lsoa_table("2019", "lad", WIRRAL)
    shown = TableFilter.of("Birkenhead").apply(table)
    assert len(shown) > 0 and shown[schema.WARD_NAME].str.contains("Birkenhead").all()


def test_filter_keeps_the_old_searches():
    table = view.lsoa_table("2025", "lad", "E08000003")
    assert TableFilter.of("E01005").apply(table)[schema.LSOA_CODE].str.contains("E01005").all()
    assert len(TableFilter.of("manchester").apply(table)) == len(table)  # the LAD name is searched
    assert len(TableFilter.of("").apply(table)) == len(table) and not TableFilter.of(" ").active
    assert len(TableFilter.of("no such place").apply(table)) == 0
    assert len(TableFilter.of("(a").apply(table)) == 0  # plain text, not a pattern


def test_filter_describes_itself_for_the_csv_notes():
    assert TableFilter().describe() == ""
    note = TableFilter.of("Birkenhead", [2, 1, 2], True).describe()
    assert note.startswith("Filtered as the table:") and '"Birkenhead"' in note
    assert "IMD decile 1, 2" in note and "Core20 LSOAs only" in note and "ward" in note


# --- an uploaded layer on the area's LSOAs -------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "uploads"


def test_uploaded_points_per_lsoa_count_zero_where_there_is_none(atlas2025):
    res = uploads.load_upload((FIXTURES / "points_mixed.csv").read_bytes(), "v.csv", atlas2025)
    area = areas.select(atlas2025, "england", None)
    values, national = uploads.layer_values(res, "count", "2025", area[schema.LSOA_CODE], atlas2025)
    assert values.index.equals(area.index) and values.dtype == float
    assert not values.isna().any() and values.sum() == res.counts["count"].sum() == national.sum()
    assert set(values[values > 0].index) == set(area.index[area[schema.LSOA_CODE].isin(res.counts[
        schema.LSOA_CODE])])


def test_uploaded_table_values_stay_missing_where_not_given(atlas2025):
    raw = uploads.read_upload((FIXTURES / "lsoa11_counts.csv").read_bytes(), "t.csv")
    res = uploads.load_lsoa_table(raw, england_codes21=atlas2025[schema.LSOA_CODE], code_column="LSOA11CD",
                                  value_columns={"referrals": uploads.COUNT, "rate_per_1000": uploads.RATE})
    hartlepool = areas.select(atlas2025, "lad", "E06000001")
    values, national = uploads.layer_values(res, "referrals", "2025", hartlepool[schema.LSOA_CODE])
    given = hartlepool[schema.LSOA_CODE].isin(res.frame[schema.LSOA_CODE])
    by_code = res.frame.set_index(schema.LSOA_CODE)["referrals"]
    assert given.any() and values[~given].isna().all()
    expected = hartlepool.loc[given, schema.LSOA_CODE].map(by_code).astype(float)
    pd.testing.assert_series_equal(values[given], expected)
    assert values.sum() == pytest.approx(national[national.index.isin(hartlepool[schema.LSOA_CODE])].sum())


# --- access to existing sites (was composed in the planner page) ---------------------------------------


def test_existing_access_is_the_pages_old_composition(atlas2025):
    from geo_core20 import access, siting

    target = siting.Target(focus="cancer")
    got = siting.existing_access("2025", "lad", "E06000010", target, ("gp", "pharmacy"), 2.0)
    sub = atlas2025[areas.mask(atlas2025, "lad", "E06000010").to_numpy()]
    sites = atlas.load_sites()
    typed = sites[sites["site_type"].isin(["gp", "pharmacy"])]
    weights, _ = siting.resolve_target(sub, siting.target_from_key(target.key()))
    old = access.analyse(sub, typed, threshold=2000.0, weights=weights)
    assert got.coverage == old.coverage
    pd.testing.assert_frame_equal(got.uncovered, old.uncovered)
    pd.testing.assert_frame_equal(got.bands, old.bands)
    assert 0 < got.coverage.covered_share <= 1


def test_a_hot_spot_condition_is_computed_once_per_area_and_indicator(atlas2025):
    from geo_core20 import plus
    from geo_core20.plus import target as plus_target

    hull = areas.select(atlas2025, "lad", "E06000010")
    spec = plus.TargetSpec.from_query_params({"tb": "all", "tx": "hot:imd_score:95"})
    plus_target._hotspots.cache_clear()
    first = plus.evaluate(spec, hull)
    again = plus.evaluate(spec, hull.copy())  # another frame of the same LSOAs and values
    assert plus_target._hotspots.cache_info().misses == 1 and plus_target._hotspots.cache_info().hits == 1
    assert first.mask.equals(again.mask) and first.summary == again.summary
    assert 0 < first.summary["lsoas"] < len(hull)
