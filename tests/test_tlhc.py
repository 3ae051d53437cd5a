"""Targeted lung health check projects: codes mapped or listed, Core20 residents aged 55-74 recounted."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_core20 import atlas, schema, tlhc
from geo_core20.clinical import cache
from geo_core20.plus import registry

NOT_CCG19 = {"36J", "92G", "16C", "52R",  # CCGs formed by later mergers
             "RBQ00", "A3A8R", "N48", "N92", "N99", "N47", "D2P2L", "02Q03L", "03H03K"}  # other/combined


@pytest.fixture(scope="module")
def files():
    try:
        return (tlhc.read_projects(atlas.input_path(tlhc.PROJECTS_ID)),
                tlhc.read_lookup(atlas.input_path(tlhc.LOOKUP_ID)))
    except Exception as exc:  # the mirror file is missing
        pytest.skip(f"input not found: {exc}")


def test_every_code_is_mapped_with_a_reason_or_listed_as_unmapped(files):
    projects, lookup = files
    assert len(projects) == 45
    ccgs = set(lookup["ccg"])
    assert {c for c in projects["project_code"] if c not in ccgs} == NOT_CCG19
    _, described = tlhc.project_lsoas(projects, lookup)
    mapped = set(described.loc[described["mapped"], "project_code"])
    unmapped = set(described.loc[~described["mapped"], "project_code"])
    assert unmapped == {"N48"}
    assert mapped == set(projects["project_code"]) - {"N48"}
    assert described.loc[described["mapped"], "lsoas"].gt(0).all()
    assert described["reason"].str.len().gt(10).all()
    for code in NOT_CCG19 - {"N48"}:  # every non-CCG code has a documented mapping
        assert code in tlhc.MAPPINGS and tlhc.MAPPINGS[code].reason


def test_names_are_followed_where_codes_disagree(files):
    projects, lookup = files
    names = lookup.drop_duplicates("ccg").set_index("ccg")["ccg_name"]
    assert "Blackpool" in names["00R"] and "Blackburn" in names["00Q"]
    assert "Blackpool" in tlhc.MAPPINGS["00Q"].reason and "00R" in tlhc.MAPPINGS["00Q"].ccgs
    expected = {"36J": ["Bradford"], "92G": ["Swindon"], "52R": ["Nottingham City"],
                "16C": ["Hartlepool", "South Tees", "Darlington"], "N99": ["Barnet", "Islington"]}
    for code, words in expected.items():
        got = " ".join(names[c] for c in tlhc.MAPPINGS[code].ccgs)
        for word in words:
            assert word in got, (code, word)
    lsoas, _ = tlhc.project_lsoas(projects, lookup)
    bradford = lookup[lookup["lsoa11_code"].isin(lsoas.loc[lsoas["project_code"] == "36J", "lsoa11_code"])]
    assert set(bradford["lad19_code"]) == {"E08000032"}  # narrowed to Bradford
    slough = lookup[lookup["lsoa11_code"].isin(lsoas.loc[lsoas["project_code"] == "09H", "lsoa11_code"])]
    assert set(slough.loc[slough["ccg"] == "15D", "lad19_code"]) == {"E06000039"}


def test_england_core20_55_74_inside_project_areas_recounted(files, atlas2019):
    projects, lookup = files
    # independent recount: expand every mapping by hand over the raw lookup
    inside: set[str] = set()
    for code in projects["project_code"]:
        m = tlhc.MAPPINGS.get(code, tlhc.Mapping((code,), "") if code in set(lookup["ccg"]) else None)
        if m is None:
            continue
        rows = lookup[lookup["ccg"].isin(m.ccgs)]
        for lsoa, ccg, lad in zip(rows["lsoa11_code"], rows["ccg"], rows["lad19_code"], strict=True):
            if not m.lads or ccg not in (m.narrow or m.ccgs) or lad in m.lads:
                inside.add(lsoa)
    pop = cache.for_atlas(atlas2019, "2019")["pop_55_74"].astype(float)
    core = atlas2019[schema.CORE20].astype(bool)
    is_in = atlas2019[schema.LSOA_CODE].isin(inside)
    row = tlhc.coverage("england").iloc[0]
    assert row["lsoas_inside_imd2019"] == is_in.sum() == len(inside)
    assert row["core20_55_74_inside_imd2019"] == pytest.approx(pop[core & is_in].sum())
    assert row["core20_55_74_outside_imd2019"] == pytest.approx(pop[core & ~is_in].sum())
    assert 0.4 < row["core20_55_74_share_inside_imd2019"] < 0.8
    assert row["core20_55_74_inside_iod2025"] > 0


def test_icb_figures_add_up_to_england(files):
    icb = tlhc.coverage("icb")
    england = tlhc.coverage("england").iloc[0]
    for col in ("core20_55_74_inside_imd2019", "core20_55_74_outside_imd2019",
                "core20_55_74_inside_iod2025", "lsoas_inside_iod2025"):
        assert icb[col].sum() == pytest.approx(england[col]), col
    # 2022 ICB codes (IMD2019 atlas) and 2024 codes (IoD2025 atlas) side by side: 42 each, 2 changed
    assert icb["core20_55_74_inside_iod2025"].notna().sum() == 42
    assert icb["core20_55_74_inside_imd2019"].notna().sum() == 42


def test_layer_flags_lsoas_in_both_vintages(files, atlas2025):
    flag = registry.values(atlas2025, "tlhc_area")
    assert flag.dtype == bool and 10_000 < flag.sum() < 20_000
    names = registry.values(atlas2025, "tlhc_project")
    assert set(names.dropna()) >= {"Kernow", "Hull", "North East London"}
    assert "not every LSOA in it was invited" in registry.get("tlhc_area").caveat
    assert isinstance(tlhc.in_project(atlas2025.head(3), "2025"), pd.Series)
