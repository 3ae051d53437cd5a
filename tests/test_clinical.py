"""Clinical focus: hand-made examples with known answers (no built data needed)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_core20 import cli
from geo_core20.clinical import focus, hypertension, populations, qof


def test_expected_register_known_answer():
    # 1,000 people aged 16-34 at 4%, 500 aged 55-64 at 40% and 200 aged 75+ at 69%:
    # 40 + 200 + 138 = 378 expected.
    bands = pd.DataFrame({"pop_16_34": [1000.0, 0.0], "pop_55_64": [500.0, 0.0],
                          "pop_75_plus": [200.0, 10.0]})
    rates = {"pop_16_34": 0.04, "pop_55_64": 0.40, "pop_75_plus": 0.69}
    assert hypertension.expected_register(bands, rates).tolist() == pytest.approx([378.0, 6.9])
    with pytest.raises(KeyError, match="pop_65_74"):
        hypertension.expected_register(bands, {"pop_65_74": 0.57})


HSE_TABLE = """\ufeffSex,Group,16-34,35-44,45-54,55-64,65-74,75+
Men,All with hypertension,5,23,31,50,61,66
Adults,Normotensive untreated,96,85,74,60,43,31
Adults,All with hypertension,4,15,26,40,57,69
"""


def test_read_rates_takes_the_adults_row_as_fractions(tmp_path):
    path = tmp_path / "hse.csv"
    path.write_text(HSE_TABLE, encoding="utf-8")
    rates = hypertension.read_rates(path)
    assert rates == pytest.approx({"pop_16_34": 0.04, "pop_35_44": 0.15, "pop_45_54": 0.26,
                                   "pop_55_64": 0.40, "pop_65_74": 0.57, "pop_75_plus": 0.69})
    assert list(rates.values()) == sorted(rates.values())
    assert set(rates) <= set(populations.BANDS)


@pytest.mark.parametrize("text, message", [
    ("Sex,Group,16-34\nAdults,All with hypertension,4\n", "missing 35-44"),
    (HSE_TABLE.replace("Adults,All", "Women,All"), "found 0"),
    (HSE_TABLE.replace(",4,15,26", ",-,15,26"), "aged 16-34 is '-'"),
    (HSE_TABLE.replace(",4,15,26", ",400,15,26"), "outside 0-100"),
])
def test_read_rates_refuses_an_unknown_layout(tmp_path, text, message):
    path = tmp_path / "hse.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match=message):
        hypertension.read_rates(path)


def test_gap_and_undiagnosed():
    expected = pd.Series([100.0, 50.0])
    recorded = pd.Series([60.0, 80.0])
    assert hypertension.gap(expected, recorded).tolist() == [40.0, -30.0]
    assert hypertension.undiagnosed(expected, recorded).tolist() == [40.0, 0.0]


def test_bands_from_single_years():
    single = pd.DataFrame([[1.0] * 91], index=["E01000001"], columns=range(91))
    b = populations.bands(single)
    assert b.loc["E01000001", "pop_all"] == 91
    assert b.loc["E01000001", "pop_15_44"] == 30
    assert b.loc["E01000001", "pop_55_74"] == 20
    assert b.loc["E01000001", "pop_16_plus"] == 75
    assert b.loc["E01000001", "pop_75_plus"] == 16  # 75..89 and 90+
    assert b.loc["E01000001", "pop_0_17"] == 18
    assert b.loc["E01000001", "pop_0_9"] == 10
    hse = list(hypertension.BAND_COLUMNS.values())
    assert b.loc["E01000001", hse].sum() == b.loc["E01000001", "pop_16_plus"]


def _lookup_files(tmp_path):
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("lsoa11_code,lsoa21_code,change_code\n"
                      "E01000001,E01000001,U\n"
                      "E01000002,E01000010,S\nE01000002,E01000011,S\n"  # split 3:1 by Census 2021
                      "E01000003,E01000020,M\nE01000004,E01000020,M\n"  # merged
                      "W01000001,W01000001,U\n")
    census = tmp_path / "census.csv"
    census.write_text("lsoa21_code,age_group,usual_residents\n"
                      "E01000001,all,100\nE01000010,all,300\nE01000011,all,100\nE01000020,all,50\n"
                      "W01000001,all,10\n")
    return lookup, census


def test_lsoa11_to_lsoa21_split_and_merge(tmp_path):
    weights = populations.lsoa11_to_lsoa21_weights(*_lookup_files(tmp_path))
    w = weights.set_index(["lsoa11_code", "lsoa21_code"])["weight"]
    assert w[("E01000002", "E01000010")] == pytest.approx(0.75)
    assert w[("E01000002", "E01000011")] == pytest.approx(0.25)
    assert "W01000001" not in set(weights["lsoa21_code"])
    values = pd.DataFrame({"people": [10.0, 40.0, 5.0, 7.0]},
                          index=["E01000001", "E01000002", "E01000003", "E01000004"])
    out = populations.to_lsoa21(values, weights)["people"]
    assert out["E01000010"] == pytest.approx(30.0) and out["E01000011"] == pytest.approx(10.0)
    assert out["E01000020"] == pytest.approx(12.0)  # merge: summed
    assert out.sum() == pytest.approx(values["people"].sum())  # conserved


def _practice_frames():
    prevalence = pd.DataFrame({c: [0.0, 0.0] for c in qof.REGISTERS}, index=["P1", "P2"])
    prevalence["reg_hyp"] = [0.10, 0.20]
    registrations = pd.DataFrame({
        "practice_code": ["P1", "P1", "P1", "P2", "P2", "P3"],
        "lsoa11_code": ["E01000001", "E01000002", qof.NO_LSOA, "E01000002", "W01000001", "E01000001"],
        "patients": [600, 300, 100, 500, 50, 70],
    })
    return prevalence, registrations


def test_apportionment_conserves_each_practice_register():
    prevalence, registrations = _practice_frames()
    rows = qof.practice_lsoa_estimates(prevalence, registrations)
    per_practice = rows.groupby("practice_code")["reg_hyp"].sum()
    own = qof.practice_registers(prevalence, registrations)["reg_hyp"]
    pd.testing.assert_series_equal(per_practice, own, check_names=False)
    assert own["P1"] == pytest.approx(100.0) and own["P2"] == pytest.approx(110.0)


def test_lsoa_registers_and_match_report():
    prevalence, registrations = _practice_frames()
    lsoa = qof.lsoa11_registers(prevalence, registrations)
    assert lsoa.loc["E01000001", "reg_hyp"] == pytest.approx(60.0)  # P3 is unmatched
    assert lsoa.loc["E01000002", "reg_hyp"] == pytest.approx(30.0 + 100.0)
    assert lsoa.loc["E01000002", "registered_patients"] == 800
    report = qof.match_report(prevalence, registrations)
    assert report.unmatched_registration_practices == 1 and report.unmatched_registration_patients == 70
    assert report.patients_no_lsoa == 100 and report.patients_outside_england == 50
    assert report.matched_practices == 2 and report.unmatched_qof_practices == 0


def test_unknown_focus_lists_valid_ones():
    with pytest.raises(focus.UnknownFocus, match="maternity, smi, respiratory, cancer, hypertension"):
        focus.check_focus("dentistry")
    assert set(focus.ADULT_FOCUS_IDS) == {"maternity", "smi", "respiratory", "cancer", "hypertension"}
    assert set(focus.FOCI) == set(focus.ADULT_FOCUS_IDS) | set(focus.CYP_FOCUS_IDS)
    for f in focus.FOCI.values():
        assert f.label and f.aim and f.not_in_data and "upload" in f.local_upload.lower()
        assert f.id in focus.DEFAULT_LAYER and focus.DEFAULT_LAYER[f.id] in focus.LAYERS[f.id]
    assert "women" not in focus.FOCI["maternity"].target_label.lower()


def test_cli_unknown_focus_exit_2(capsys):
    assert cli.main(["focus", "--level", "england", "--focus", "dentistry"]) == 2
    err = capsys.readouterr().err
    assert "unknown focus 'dentistry'" in err and "hypertension" in err


def test_parse_focus_for_share_links():
    assert all(focus.parse_focus(v) is None for v in (None, "", "none", "None"))
    assert focus.parse_focus(" SMI ") == "smi"
    with pytest.raises(focus.UnknownFocus, match="valid foci: maternity"):
        focus.parse_focus("<script>")


def test_every_focus_cites_its_sources():
    for focus_id in focus.FOCI:
        lines = focus.attribution(focus_id)
        assert lines and all(lines), focus_id
    assert any("Health Survey for England" in line for line in focus.attribution("hypertension"))
