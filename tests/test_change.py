"""Core20 then and now (IMD2019 -> IoD2025): hand-made cases, the real England figures, the CLI."""

from __future__ import annotations

import io
import json
from collections import defaultdict

import pandas as pd
import pytest

from geo_core20 import atlas, change, cli, schema


def _atlas(rows):
    return pd.DataFrame(rows, columns=[schema.LSOA_CODE, schema.CORE20, schema.IMD_DECILE, schema.POPULATION])


def test_build_change_classifies_each_kind_of_boundary_change():
    old = _atlas([("A11", True, 1, 0), ("B11", False, 5, 0), ("C11", True, 2, 0), ("D11", True, 1, 0),
                  ("E11", True, 1, 0), ("F11", False, 9, 0), ("G11", True, 2, 0)]).drop(
        columns=schema.POPULATION)
    new = _atlas([("A21", True, 1, 100),   # unchanged, stayed
                  ("B21", True, 2, 200),   # unchanged, entered
                  ("C21a", False, 3, 50),  # split of C11: left
                  ("C21b", True, 2, 60),   # split of C11: stayed
                  ("DE21", True, 1, 70),   # merge of two Core20 parts: stayed
                  ("FG21", True, 2, 80),   # merge of mixed status: not comparable
                  ("X21", False, 4, 90)])  # irregular
    lookup = pd.DataFrame([("A11", "A21", "U"), ("B11", "B21", "U"), ("C11", "C21a", "S"),
                           ("C11", "C21b", "S"), ("D11", "DE21", "M"), ("E11", "DE21", "M"),
                           ("F11", "FG21", "M"), ("G11", "FG21", "M"), ("G11", "X21", "X")],
                          columns=["lsoa11_code", "lsoa21_code", "change_code"])
    frame = change.build_change(new, old, lookup).set_index(schema.LSOA_CODE)
    assert frame["status"].to_dict() == {
        "A21": "stayed", "B21": "entered", "C21a": "left", "C21b": "stayed", "DE21": "stayed",
        "FG21": "not_comparable", "X21": "not_comparable"}
    assert frame.loc["FG21", "parents"] == "F11;G11"
    assert frame.loc["A21", "decile1_status"] == "stayed"
    assert frame.loc["C21b", "decile1_status"] == "never"
    # MHCLG's persistence counts a decile-1 LSOA whose 2011 part was decile 1
    assert bool(frame.loc["DE21", "decile1_parent_2019"])


def test_build_change_refuses_a_2021_lsoa_missing_from_the_lookup():
    old = _atlas([("A11", True, 1, 0)]).drop(columns=schema.POPULATION)
    new = _atlas([("A21", True, 1, 1), ("Z21", False, 5, 1)])
    lookup = pd.DataFrame([("A11", "A21", "U")], columns=["lsoa11_code", "lsoa21_code", "change_code"])
    with pytest.raises(Exception, match="Z21"):
        change.build_change(new, old, lookup)


@pytest.fixture(scope="module")
def real(atlas2025, atlas2019):
    try:
        lookup = pd.read_csv(atlas.input_path("lookup_lsoa11_lsoa21"), dtype=str)
    except Exception as exc:  # the mirror file is missing
        pytest.skip(f"input not found: {exc}")
    return atlas2025, atlas2019, lookup


def _recount(atlas2025, atlas2019, lookup):
    """England's figures recounted with plain dictionaries (independent of change.build_change)."""
    c20_old = dict(zip(atlas2019[schema.LSOA_CODE], atlas2019[schema.CORE20], strict=True))
    d1_old = dict(zip(atlas2019[schema.LSOA_CODE], atlas2019[schema.IMD_DECILE] == 1, strict=True))
    parts, kinds = defaultdict(list), defaultdict(set)
    for old, new, kind in zip(lookup["lsoa11_code"], lookup["lsoa21_code"], lookup["change_code"],
                              strict=True):
        if old in c20_old:
            parts[new].append(old)
            kinds[new].add(kind)
    counts = defaultdict(int)
    for code, now, dec, pop in zip(atlas2025[schema.LSOA_CODE], atlas2025[schema.CORE20],
                                   atlas2025[schema.IMD_DECILE], atlas2025[schema.POPULATION], strict=True):
        then = {bool(c20_old[p]) for p in parts[code]}
        if "X" in kinds[code] or len(then) != 1:
            counts["not_comparable"] += 1
            counts["people_not_comparable"] += int(pop)
            counts["core20_2025_not_comparable"] += bool(now)
        else:
            was = then.pop()
            key = {(True, True): "stayed", (True, False): "entered", (False, True): "left"}.get(
                (bool(now), was))
            if key:
                counts[key] += 1
                counts["people_" + key] += int(pop)
        if dec == 1:
            counts["d1"] += 1
            counts["d1_persist"] += any(d1_old[p] for p in parts[code])
    return counts


def test_england_figures_recounted_independently(real):
    atlas2025, atlas2019, lookup = real
    row = change.change_table("england").iloc[0]
    want = _recount(atlas2025, atlas2019, lookup)
    for key in ("stayed", "entered", "left", "not_comparable", "core20_2025_not_comparable",
                "people_stayed", "people_entered", "people_left", "people_not_comparable"):
        assert row[key] == want[key], key
    assert row["core20_lsoas_2025"] == 6_751 and row["core20_lsoas_2019"] == 6_568
    assert row["stayed"] + row["entered"] + row["core20_2025_not_comparable"] == row["core20_lsoas_2025"]
    # 97 merges in England, 14 of them of mixed Core20 status, and 6 irregular changes
    assert row["not_comparable"] == 20
    assert row["decile1_persistence"] == pytest.approx(want["d1_persist"] / want["d1"])
    # MHCLG, IoD2025 statistical release (30 Oct 2025): 82% of the IMD25 most deprived decile
    # were also in it in IMD19
    assert abs(row["decile1_persistence"] - 0.82) <= 0.005


@pytest.mark.parametrize("level", ["icb", "lad", "region"])
def test_identities_hold_for_every_area(real, level):
    table = change.change_table(level)
    assert (table["stayed"] + table["entered"] + table["core20_2025_not_comparable"]
            == table["core20_lsoas_2025"]).all()
    assert (table["stayed"] + table["left"] == table["core20_lsoas_2019_same_basis"]).all()
    england = change.change_table("england").iloc[0]
    for col in ("core20_lsoas_2019", "core20_lsoas_2025", "stayed", "entered", "left", "not_comparable",
                "people_entered", "people_left", "decile1_lsoas_2019"):
        assert table[col].sum() == england[col], (level, col)


def test_irregular_changes_are_listed_not_dropped(real):
    listed = change.irregular("england", None)
    assert len(listed) == 20
    assert set(listed["change_code"]) == {"X", "M"}
    assert (listed["change_code"] == "X").sum() == 6
    assert listed["why"].notna().all()


def test_cli_change_columns_are_pinned(real, capsys):
    assert cli.main(["change", "--level", "icb", "--format", "csv"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert tuple(frame.columns) == change.COLUMNS
    assert tuple(frame.columns[:11]) == (
        "area_code", "area_name", "core20_lsoas_2019", "core20_lsoas_2025", "stayed", "entered", "left",
        "not_comparable", "core20_2025_not_comparable", "core20_lsoas_2019_same_basis", "people_core20_2025")
    assert {"people_entered", "people_left", "decile1_persistence"} <= set(frame.columns)
    assert len(frame) == 42
    assert cli.main(["change", "--level", "england", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["area_code"] == schema.ENGLAND_CODE
