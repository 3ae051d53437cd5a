"""Headline messages: the rule for "most of them in" on hand-made numbers, and every figure of a
real profile's sentences parsed back and compared with the tables the same export shows."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from geo_core20.exports import headline, profile

CHESHIRE = "E54000008"  # NHS Cheshire and Merseyside ICB: nine local authorities, on the coast
NOTTS = "E54000060"  # NHS Nottingham and Nottinghamshire ICB: inland


def _where(**core20_by_lad: int) -> pd.DataFrame:
    rows = [{"lad_name": k, "population": v, "core20": True} for k, v in core20_by_lad.items()]
    rows.append({"lad_name": "Nowhere", "population": 999, "core20": False})  # not Core20: never counted
    return headline.core20_by_lad(pd.DataFrame(rows))


def test_most_of_them_names_the_fewest_local_authorities_holding_more_than_half():
    assert headline.most_of_them(_where(A=60, B=30, C=10)) == ["A"]
    assert headline.most_of_them(_where(A=40, B=30, C=20, D=10)) == ["A", "B"]
    # exactly half is not "most": the next one is needed
    assert headline.most_of_them(_where(A=50, B=30, C=20)) == ["A", "B"]
    assert headline.most_of_them(_where(A=20, B=20, C=15, D=15, E=15, F=15)) == ["A", "B", "C"]
    # four would be needed: no names, the sentence says how spread they are
    where = _where(A=15, B=15, C=15, D=15, E=15, F=15, G=10)
    assert headline.most_of_them(where) is None
    assert headline.where_clause(where) == "spread across 7 local authorities"
    assert headline.where_clause(_where(A=40, B=30, C=20, D=10)) == "most of them in A and B"
    assert headline.where_clause(_where(A=5)) == "all of them in A"
    assert headline.join_names(["A", "B", "C"]) == "A, B and C"


def test_headline_sentence_formats_the_figures_as_the_tables_do():
    summary = {"core20_population_pct": 0.3104, "core20_population": 123_456}
    s = headline.headline_sentence("X", summary, _where(Liverpool=60_000, Knowsley=33_456, Wirral=30_000))
    assert s == ("31.0% of residents (123,456 people) live in Core20 neighbourhoods, most of them in "
                 "Liverpool and Knowsley.")
    none = headline.headline_sentence("Rutland", {"core20_population_pct": 0.0, "core20_population": 0},
                                      _where())
    assert none == "No resident of Rutland lives in a Core20 neighbourhood."


def test_plus_groups_only_those_above_england():
    rows = (headline.PlusRow("coastal", 0.1, 0.2), headline.PlusRow("ethnic minority", 0.3, 0.2))
    assert [r.label for r in headline.plus_above(rows)] == ["ethnic minority"]


@pytest.fixture(scope="module")
def cheshire(atlas2025):
    return profile.build_profile("2025", "icb", CHESHIRE, focus="hypertension", plan=None)


@pytest.fixture(scope="module")
def notts(atlas2025):
    return profile.build_profile("2025", "icb", NOTTS, plan=None)


def _table_values(prof: profile.AreaProfile) -> set[str]:
    values = {v for _, v in prof.key_figures()} | {v for _, v in prof.focus_figures()}
    values |= set(profile.comparison_table(prof).to_numpy().ravel())
    values |= set(prof.where_table().to_numpy().ravel())
    return {str(v) for v in values}


def test_headline_figures_and_names_are_the_tables(cheshire):
    s = cheshire.headline()
    m = re.fullmatch(r"(?P<pct>[\d.]+%) of residents \((?P<people>[\d,]+) people\) live in Core20 "
                     r"neighbourhoods, most of them in (?P<names>.+)\.", s)
    assert m, s
    figures = dict(cheshire.key_figures())
    assert m["pct"] == figures["Core20 share of population"]
    assert m["people"] == figures["Core20 population"]
    names = re.split(r", | and ", m["names"])
    where = cheshire.where_table()
    # the named local authorities are the first rows of the table, together more than half, and
    # one fewer would not be
    assert names == where["Local authority"].head(len(names)).tolist()
    shares = [float(v.rstrip("%")) for v in where["Share of the area's Core20 residents"]]
    assert sum(shares[: len(names)]) > 50 >= sum(shares[: len(names) - 1])
    assert 1 <= len(names) <= 3


def test_paragraph_figures_are_all_in_the_tables(cheshire, notts):
    for prof in (cheshire, notts):
        text = prof.paragraph()
        values = _table_values(prof)
        for fig in re.findall(r"\d[\d,]*\.\d%|\b\d{1,3}(?:,\d{3})+\b", text):
            assert fig in values, (fig, text)
        england = profile.comparison_table(prof).iloc[-1]["Core20 share"]
        assert f"England's {england}" in text
    # the focus against its ambition: the diagnosed share is the table's, the ambition 80%
    focus = dict(cheshire.focus_figures())
    assert f"{focus['Expected hypertension diagnosed']} of expected hypertension is diagnosed" in \
        cheshire.paragraph()
    assert "ambition of 80%" in cheshire.paragraph()


def test_inland_area_has_no_coastal_rows_or_method(notts, cheshire):
    assert not notts.coastal_area
    assert "coastal" not in notts.paragraph().lower()
    assert not any("Coastal" in k for k, _ in notts.key_figures())
    assert not any("Coastal" in c for c in profile.comparison_table(notts).columns)
    assert profile.COASTAL_METHOD not in notts.methods()
    assert profile.COASTAL_METHOD in cheshire.methods()
    # the clinical method only with a focus; the survey rates only for hypertension
    assert profile.CLINICAL_METHOD not in notts.methods()
    assert profile.CLINICAL_METHOD in cheshire.methods() and profile.HYPERTENSION_METHOD in cheshire.methods()


def test_decile_1_lsoas_is_a_count(cheshire, atlas2025):
    rows = atlas2025.loc[atlas2025["icb_code"] == CHESHIRE]
    assert dict(cheshire.key_figures())["Decile 1 LSOAs"] == f"{int((rows['imd_decile'] == 1).sum()):,}"
    assert "%" not in "".join(profile.comparison_table(cheshire)["Decile 1 LSOAs"])


def test_one_notice_per_licence_holder(cheshire):
    notices = cheshire.notices()
    assert sum(n.startswith("Source: Office for National Statistics") for n in notices) == 1
    assert len(notices) == len(set(notices))
