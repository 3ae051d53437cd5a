"""Core20PLUS5 for children and young people: the five CYP foci on the real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo_core20 import atlas, clinical, schema
from geo_core20.clinical import cache, focus, populations

ICB = "E54000008"  # Cheshire and Merseyside
QOF_COLUMNS = {"registered_patients", "recorded_register", "recorded_prevalence", "expected_register",
               "recorded_smokers", "smoking_prevalence"}


def test_five_cyp_foci_with_their_ages_and_no_qof_register():
    assert len(clinical.CYP_FOCUS_IDS) == 5
    assert set(clinical.CYP_FOCUS_IDS) <= set(clinical.FOCUS_IDS)
    assert clinical.ADULT_FOCUS_IDS == ("maternity", "smi", "respiratory", "cancer", "hypertension")
    for fid in clinical.CYP_FOCUS_IDS:
        f = clinical.FOCI[fid]
        assert f.family == "cyp" and f.register is None
        assert f.band == ("pop_0_9" if fid == "cyp_oral" else "pop_0_17")
        assert not QOF_COLUMNS & set(f.measures)
        assert "not" in f.not_in_data and f.local_upload
        assert not any(s.startswith(("qof", "gp_registrations")) for s in f.sources)
    assert set(clinical.CYP_PLUS_GROUPS) == {"Young carers", "Looked-after children and care leavers",
                                             "Children in contact with the justice system"}


@pytest.fixture(scope="module")
def clinical2025(atlas2025):
    if not cache.clinical_path("2025").exists():
        pytest.skip("clinical cache not built: run `make data`")
    return cache.load_clinical("2025")


@pytest.mark.parametrize("fid", ["cyp_asthma", "cyp_diabetes", "cyp_epilepsy", "cyp_oral", "cyp_mental"])
def test_each_cyp_focus_has_numbers_for_an_icb_its_parent_and_england(atlas2025, clinical2025, fid):
    table = clinical.focus_compare(atlas2025, fid, "icb", ICB)
    assert list(table["scope"].unique()) == ["area", "parent", "england"]
    assert (table["target_population"] > 0).all()
    assert not QOF_COLUMNS & set(table.columns)
    band = clinical.FOCI[fid].band.removeprefix("pop_")
    assert table[f"children_{band}"].notna().all()
    layer = clinical.focus_layer(atlas2025, fid)
    assert layer.values.notna().all() and layer.unit == "% of residents"
    assert "no QOF register" in layer.note


def test_children_recounted_from_the_single_year_file_through_the_same_weights(atlas2025, clinical2025):
    try:
        single = populations.read_single_year(atlas.input_path("population20_lsoa11"))
        weights = populations.lsoa11_to_lsoa21_weights(atlas.input_path("lookup_lsoa11_lsoa21"),
                                                       atlas.input_path("census21_population"))
    except Exception as exc:  # the mirror file is missing
        pytest.skip(f"input not found: {exc}")
    by11 = pd.DataFrame({"c17": single.loc[:, list(range(18))].sum(axis=1),
                         "c9": single.loc[:, list(range(10))].sum(axis=1)})
    joined = weights.merge(by11, left_on="lsoa11_code", right_index=True)
    recount = (joined[["c17", "c9"]].mul(joined["weight"], axis=0)
               .groupby(joined["lsoa21_code"]).sum())
    mask = atlas2025["icb_code"] == ICB
    codes = atlas2025.loc[mask, schema.LSOA_CODE]
    want17 = recount.loc[codes, "c17"].sum()
    want9 = recount.loc[codes, "c9"].sum()
    row17 = clinical.focus_summary(atlas2025, "cyp_asthma", "icb").set_index("area_code").loc[ICB]
    row9 = clinical.focus_summary(atlas2025, "cyp_oral", "icb").set_index("area_code").loc[ICB]
    assert row17["target_population"] == pytest.approx(want17)
    assert row9["target_population"] == pytest.approx(want9)
    core = codes[atlas2025.loc[mask, schema.CORE20].to_numpy()]
    assert row17["core20_target_population"] == pytest.approx(recount.loc[core, "c17"].sum())
    england = clinical.focus_summary(atlas2025, "cyp_mental", "england").iloc[0]
    everyone = recount.loc[atlas2025[schema.LSOA_CODE], "c17"].sum()
    assert england["target_population"] == pytest.approx(everyone)


def test_no_cyp_figure_moves_when_the_qof_registers_change(atlas2025, clinical2025, monkeypatch):
    before = {fid: clinical.focus_summary(atlas2025, fid, "icb") for fid in clinical.CYP_FOCUS_IDS}
    real = cache.for_atlas

    def scrambled(frame, *args, **kwargs):
        out = real(frame, *args, **kwargs).copy()
        for col in [c for c in out.columns if c.startswith("reg_") or c in ("registered_patients",
                                                                              "expected_hyp")]:
            out[col] = np.random.default_rng(0).uniform(0, 1e4, len(out))
        return out

    monkeypatch.setattr(focus.cache, "for_atlas", scrambled)
    for fid, want in before.items():
        pd.testing.assert_frame_equal(clinical.focus_summary(atlas2025, fid, "icb"), want)
