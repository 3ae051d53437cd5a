"""The five clinical focus areas of Core20PLUS5 ("the 5"): populations, summaries and map layers.

Every figure here is computed from the cached clinical table (cache.py) joined to an atlas
by LSOA code, so the pages, the CLI and the outreach planner see the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo_core20 import areas, schema, sources
from geo_core20.clinical import cache, hypertension
from geo_core20.errors import UnknownFocus

LOCAL_UPLOAD = ("Upload your own LSOA-level counts (for example from practice or trust systems) on the PLUS "
                "page as a local layer to show it beside these figures.")


@dataclass(frozen=True)
class Focus:
    """One clinical focus area and what national data can and cannot say about it."""

    id: str
    label: str
    aim: str  # the national ambition, in the NHS England wording's substance
    target_label: str  # what focus_population counts, per LSOA
    measures: tuple[str, ...]  # the columns focus_summary adds for this focus
    not_in_data: str  # what national open data cannot show
    sources: tuple[str, ...]  # dataset ids (geo_core20.sources) behind the figures
    register: str | None = None  # clinical-table column of the recorded QOF register
    family: str = "adult"  # "adult" (Core20PLUS5) or "cyp" (Core20PLUS5 for children and young people)
    band: str | None = None  # clinical-table population column that is the target (CYP foci)

    @property
    def local_upload(self) -> str:
        return LOCAL_UPLOAD


_QOF = ("qof_practice_prevalence", "gp_registrations_lsoa11")
_POP = ("population20_lsoa11", "lookup_lsoa11_lsoa21", "census21_population")
_QOF_MEASURES = ("registered_patients", "recorded_register", "recorded_prevalence",
                 "core20_registered_patients", "core20_recorded_register", "core20_recorded_prevalence")

FOCI: dict[str, Focus] = {f.id: f for f in (
    Focus("maternity", "Maternity",
          "Continuity of carer for 75% of women from ethnic minority communities and from the most "
          "deprived groups.",
          "Residents aged 15-44",
          ("residents_15_44", "core20_residents_15_44", "ethnic_minority_residents_15_44"),
          "Births, pregnancies and continuity-of-carer uptake are not in national open data at LSOA level, "
          "and the offline population estimates are persons only, so this counts residents aged 15-44 "
          "(not women).",
          (*_POP, "census21_ethnicity")),
    Focus("smi", "Severe mental illness",
          "Annual physical health checks for 60% of people living with severe mental illness.",
          "Estimated people on the QOF mental health (SMI) register",
          _QOF_MEASURES,
          "Uptake of SMI physical health checks is not in national open data at LSOA level.",
          (*_QOF, *_POP), register="reg_mh"),
    Focus("respiratory", "Chronic respiratory disease",
          "Increase COVID, flu and pneumonia vaccine uptake to reduce infective exacerbations and "
          "emergency admissions from COPD.",
          "Estimated people on the QOF COPD register",
          (*_QOF_MEASURES, "recorded_smokers", "smoking_prevalence", "core20_recorded_smokers",
           "core20_smoking_prevalence"),
          "Vaccination uptake among people with COPD is not in national open data at LSOA level.",
          (*_QOF, *_POP), register="reg_copd"),
    Focus("cancer", "Early cancer diagnosis",
          "75% of cancer cases diagnosed at stage 1 or 2 by 2028.",
          "Residents aged 55-74 (the targeted lung health check age group)",
          (*_QOF_MEASURES, "recorded_smokers", "smoking_prevalence", "mean_km_to_cdc",
           "core20_recorded_smokers", "core20_smoking_prevalence", "core20_mean_km_to_cdc"),
          "Stage at diagnosis, screening uptake and lung health check invitations are not in national "
          "open data at LSOA level; lung health check sites have no national list (CDCs are shown instead).",
          (*_QOF, *_POP, "cdc_sites"), register="reg_can"),
    Focus("hypertension", "Hypertension case-finding",
          "Find and treat hypertension: 80% of expected hypertension diagnosed, and 80% of those "
          "diagnosed treated to target, by 2029 (NHS Long Term Plan CVD prevention ambitions); optimal "
          "lipid management.",
          "Estimated undiagnosed hypertension (expected minus recorded, floored at 0 in each LSOA)",
          (*_QOF_MEASURES, "expected_register", "expected_prevalence", "gap", "recorded_to_expected",
           "core20_expected_register", "core20_gap", "core20_recorded_to_expected"),
          "Blood-pressure check uptake and control are not in national open data at LSOA level. "
          + hypertension.CAVEAT,
          (*_QOF, *_POP, hypertension.DATASET_ID), register="reg_hyp"),
)}
ADULT_FOCUS_IDS = tuple(FOCI)

# Core20PLUS5 for children and young people (NHS England, 2022): five clinical areas. The target is the
# resident children of the ages each area names (ONS mid-2020 single-year estimates, carried onto
# LSOA 2021 with the same weights as every focus population, so they are estimates). No QOF register
# is a children's figure (asthma covers ages 6+, diabetes 17+, epilepsy 18+, all ages together), so
# none is shown for these foci.
_CYP_POP = (*_POP, "census21_ethnicity")
_CYP_NO_QOF = ("The QOF {register} register is not shown: it covers ages {ages} together with adults, "
               "so it is not a children's figure.")
CYP_FOCI: dict[str, Focus] = {f.id: f for f in (
    Focus("cyp_asthma", "Asthma (children and young people)",
          "Address over-reliance on reliever medications and decrease the number of asthma attacks.",
          "Children and young people aged 0-17",
          ("children_0_17", "core20_children_0_17"),
          "Reliever (SABA) prescribing, asthma attacks and admissions of children are not in national open "
          "data at LSOA level. " + _CYP_NO_QOF.format(register="asthma", ages="6 and over"),
          _CYP_POP, family="cyp", band="pop_0_17"),
    Focus("cyp_diabetes", "Diabetes (children and young people)",
          "Increase access to real-time continuous glucose monitors and insulin pumps in the most deprived "
          "quintiles and in ethnic minority groups; increase the proportion of children and young people "
          "with type 2 diabetes receiving annual health checks.",
          "Children and young people aged 0-17",
          ("children_0_17", "core20_children_0_17", "ethnic_minority_children_0_17"),
          "Children with diabetes, glucose monitor and insulin pump use and health-check uptake are in the "
          "National Paediatric Diabetes Audit, not in open data at LSOA level. "
          + _CYP_NO_QOF.format(register="diabetes", ages="17 and over"),
          _CYP_POP, family="cyp", band="pop_0_17"),
    Focus("cyp_epilepsy", "Epilepsy (children and young people)",
          "Increase access to epilepsy specialist nurses, and access within the first year of care for "
          "those with a learning disability or autism.",
          "Children and young people aged 0-17",
          ("children_0_17", "core20_children_0_17"),
          "Children with epilepsy and their access to specialist nurses are in the Epilepsy12 audit, not in "
          "open data at LSOA level. " + _CYP_NO_QOF.format(register="epilepsy", ages="18 and over"),
          _CYP_POP, family="cyp", band="pop_0_17"),
    Focus("cyp_oral", "Oral health (children)",
          "Address the backlog for tooth extractions in hospital for under-10s.",
          "Children aged 0-9",
          ("children_0_9", "core20_children_0_9"),
          "Hospital tooth extractions of children are published by local authority (OHID), not by LSOA; "
          "no QOF register covers oral health.",
          _CYP_POP, family="cyp", band="pop_0_9"),
    Focus("cyp_mental", "Mental health (children and young people)",
          "Improve access rates to children and young people's mental health services for 0-17 year olds, "
          "for certain ethnic groups, ages, genders and deprivation.",
          "Children and young people aged 0-17",
          ("children_0_17", "core20_children_0_17", "ethnic_minority_children_0_17"),
          "Access to children and young people's mental health services is published by sub-ICB location "
          "(Mental Health Services Data Set), not by LSOA; the QOF mental health register is for severe "
          "mental illness at all ages.",
          _CYP_POP, family="cyp", band="pop_0_17"),
)}
CYP_FOCUS_IDS = tuple(CYP_FOCI)
FOCI.update(CYP_FOCI)
FOCUS_IDS = tuple(FOCI)
FAMILIES = {"adult": "Adults (Core20PLUS5)", "cyp": "Children and young people (Core20PLUS5 CYP)"}

# The PLUS groups of the children and young people's framework, and what open data says of each.
CYP_PLUS_GROUPS: dict[str, str] = {
    "Young carers": "Census 2021 counts unpaid carers aged 5 and over by age (table TS039 and age "
                    "breakdowns); the children's counts are published for local authorities, and the "
                    "offline mirror has none: upload local counts as a layer.",
    "Looked-after children and care leavers": "Published by local authority (Department for Education, "
                    "Children looked after in England); no LSOA figures exist in open data.",
    "Children in contact with the justice system": "Published by youth justice service / local authority "
                    "(Youth Justice Board statistics); no LSOA figures exist in open data.",
}

SUMMARY_COLUMNS = ("area_code", "area_name", "focus", "target_population", "core20_target_population",
                   "core20_target_share", "population", "target_per_1000", "core20_population",
                   "core20_target_per_1000")
"""Stable leading columns of `focus_summary` (per-focus measures follow, see Focus.measures)."""


def attribution(focus: str) -> list[str]:
    """Attribution lines for a focus's figures (datasets, plus the HSE rates for hypertension)."""
    return sources.attribution_lines(check_focus(focus).sources)


def check_focus(focus: str) -> Focus:
    """The focus record, or UnknownFocus naming the valid ids."""
    try:
        return FOCI[focus]
    except (KeyError, TypeError):
        raise UnknownFocus(f"unknown focus {focus!r}; valid foci: {', '.join(FOCUS_IDS)}") from None


NO_FOCUS = ("", "none")


def parse_focus(value: str | None) -> str | None:
    """A focus from a share link or widget: None for empty or 'none', else a valid id.

    Raises UnknownFocus (naming the valid ids) for anything else.
    """
    if value is None or str(value).strip().lower() in NO_FOCUS:
        return None
    return check_focus(str(value).strip().lower()).id


# --- per-LSOA values ----------------------------------------------------------------------------

def _clinical(atlas: pd.DataFrame) -> pd.DataFrame:
    return cache.for_atlas(atlas)


def _target(clin: pd.DataFrame, focus: str) -> pd.Series:
    if FOCI[focus].band:
        return clin[FOCI[focus].band]
    if focus == "maternity":
        return clin["pop_15_44"]
    if focus == "cancer":
        return clin["pop_55_74"]
    if focus == "hypertension":
        return hypertension.undiagnosed(clin["expected_hyp"], clin["reg_hyp"])
    return clin[FOCI[focus].register]


def focus_population(atlas: pd.DataFrame, focus: str) -> pd.Series:
    """People in the focus population per LSOA (float), aligned to ``atlas.index``.

    maternity: residents aged 15-44; smi: estimated MH register; respiratory: estimated COPD
    register; cancer: residents aged 55-74; hypertension: estimated undiagnosed = max(gap, 0).
    """
    check_focus(focus)
    out = _target(_clinical(atlas), focus).astype("float64")
    out.name = f"{focus}_population"
    return out


def cdc_distance_km(atlas: pd.DataFrame, sites: pd.DataFrame | None = None) -> pd.Series:
    """Straight-line km from each LSOA's population-weighted centroid to the nearest CDC."""
    if sites is None:
        from geo_core20 import atlas as atlas_module

        sites = atlas_module.load_sites()
    cdc = sites[sites["site_type"] == "cdc"]
    tree = cKDTree(cdc[["easting", "northing"]].to_numpy(float))
    dist, _ = tree.query(atlas[[schema.PWC_EASTING, schema.PWC_NORTHING]].to_numpy(float))
    return pd.Series(dist / 1000.0, index=atlas.index, name="km_to_cdc")


# --- area summaries -----------------------------------------------------------------------------

_SUMS = ("target", "population", "pop_all", "pop_15_44", "pop_55_74", "pop_16_plus", "registered_patients",
         "reg_hyp", "reg_copd", "reg_mh", "reg_can", "reg_smok", "reg_ld", "expected_hyp", "ethnic_15_44",
         "cdc_km_x_55_74", "pop_0_17", "pop_0_9", "ethnic_0_17")


def _lsoa_frame(atlas: pd.DataFrame, focus: str) -> pd.DataFrame:
    clin = _clinical(atlas)
    frame = clin.copy()
    frame["target"] = _target(clin, focus)
    frame["population"] = atlas[schema.POPULATION].astype(float)
    if schema.ETHNIC_MINORITY in atlas:  # Census 2021 shares: 2025 atlas only
        share = atlas[schema.ETHNIC_MINORITY].fillna(0).astype(float)
        frame["ethnic_15_44"] = clin["pop_15_44"] * share
        frame["ethnic_0_17"] = clin["pop_0_17"] * share
    else:
        frame["ethnic_15_44"] = np.nan
        frame["ethnic_0_17"] = np.nan
    frame["cdc_km_x_55_74"] = (cdc_distance_km(atlas) * clin["pop_55_74"]) if focus == "cancer" else np.nan
    frame[schema.CORE20] = atlas[schema.CORE20].astype(bool)
    return frame


def _div(a: pd.Series, b: pd.Series) -> pd.Series:
    return a / b.where(b != 0)


def _measures(whole: pd.DataFrame, core: pd.DataFrame, focus: str) -> pd.DataFrame:
    """Derived per-area measures from summed columns (same index for whole and core20 parts)."""
    f = FOCI[focus]
    out = pd.DataFrame(index=whole.index)
    out["focus"] = focus
    out["target_population"] = whole["target"]
    out["core20_target_population"] = core["target"]
    out["core20_target_share"] = _div(core["target"], whole["target"])
    out["population"] = whole["population"].round().astype("int64")
    out["target_per_1000"] = _div(whole["target"] * 1000, whole["pop_all"])
    out["core20_population"] = core["population"].round().astype("int64")
    out["core20_target_per_1000"] = _div(core["target"] * 1000, core["pop_all"])
    if focus == "maternity":
        out["residents_15_44"] = whole["pop_15_44"]
        out["core20_residents_15_44"] = core["pop_15_44"]
        out["ethnic_minority_residents_15_44"] = whole["ethnic_15_44"]
    if f.family == "cyp":
        band = f.band.removeprefix("pop_")
        out[f"children_{band}"] = whole[f.band]
        out[f"core20_children_{band}"] = core[f.band]
        if "ethnic_minority_children_0_17" in f.measures:
            out["ethnic_minority_children_0_17"] = whole["ethnic_0_17"]
    if f.register:
        out["registered_patients"] = whole["registered_patients"]
        out["recorded_register"] = whole[f.register]
        out["recorded_prevalence"] = _div(whole[f.register], whole["registered_patients"])
        out["core20_registered_patients"] = core["registered_patients"]
        out["core20_recorded_register"] = core[f.register]
        out["core20_recorded_prevalence"] = _div(core[f.register], core["registered_patients"])
    if focus in ("respiratory", "cancer"):
        out["recorded_smokers"] = whole["reg_smok"]
        out["smoking_prevalence"] = _div(whole["reg_smok"], whole["registered_patients"])
        # the Core20 part too (the comparison table's Core20 rows), from the same apportioned sums
        out["core20_recorded_smokers"] = core["reg_smok"]
        out["core20_smoking_prevalence"] = _div(core["reg_smok"], core["registered_patients"])
    if focus == "cancer":
        out["mean_km_to_cdc"] = _div(whole["cdc_km_x_55_74"], whole["pop_55_74"])
        out["core20_mean_km_to_cdc"] = _div(core["cdc_km_x_55_74"], core["pop_55_74"])
    if focus == "hypertension":
        out["expected_register"] = whole["expected_hyp"]
        out["expected_prevalence"] = _div(whole["expected_hyp"], whole["pop_all"])
        out["core20_expected_prevalence"] = _div(core["expected_hyp"], core["pop_all"])
        out["gap"] = whole["expected_hyp"] - whole["reg_hyp"]
        out["recorded_to_expected"] = _div(whole["reg_hyp"], whole["expected_hyp"])
        out["core20_expected_register"] = core["expected_hyp"]
        out["core20_gap"] = core["expected_hyp"] - core["reg_hyp"]
        out["core20_recorded_to_expected"] = _div(core["reg_hyp"], core["expected_hyp"])
    return out


def _grouped_sums(frame: pd.DataFrame, keys: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    cols = list(_SUMS)
    whole = frame[cols].groupby(keys.to_numpy()).sum(min_count=1)
    core = frame.loc[frame[schema.CORE20], cols].groupby(keys[frame[schema.CORE20]].to_numpy()).sum()
    return whole, core.reindex(whole.index, fill_value=0.0)


def focus_summary(atlas: pd.DataFrame, focus: str, level: str) -> pd.DataFrame:
    """One row per area of ``level``: SUMMARY_COLUMNS then the focus's measures (Focus.measures).

    Ratios (``*_prevalence``, ``*_share``, ``recorded_to_expected``) are fractions 0-1; counts are
    people (floats: estimates). For hypertension ``target_population`` sums max(gap, 0) over LSOAs,
    so it can exceed the area's ``gap`` (areas where more are recorded than expected offset nothing).
    """
    check_focus(focus)
    areas.check_level(level)
    frame = _lsoa_frame(atlas, focus)
    if level == "england":
        keys = pd.Series(schema.ENGLAND_CODE, index=atlas.index)
        names = pd.Series({schema.ENGLAND_CODE: "England"})
    else:
        code, name = schema.LEVEL_COLUMNS[level]
        keys = atlas[code]
        names = atlas[[code, name]].drop_duplicates(code).set_index(code)[name]
    whole, core = _grouped_sums(frame, keys)
    out = _measures(whole, core, focus)
    out.insert(0, "area_name", out.index.map(names))
    out.insert(0, "area_code", out.index)
    return out.sort_values("area_name").reset_index(drop=True)


def focus_compare(atlas: pd.DataFrame, focus: str, level: str, area_code: str | None) -> pd.DataFrame:
    """The area beside its parent and England, each whole and its Core20 part (rows), for the page.

    Columns: scope (area/parent/england), level, area_code, area_name, part (whole/core20), then
    target_population and the focus's measures for that part.
    """
    check_focus(focus)
    frame = _lsoa_frame(atlas, focus)
    rows = []
    for s in areas.comparison_scopes(atlas, level, area_code):
        scope, lvl, code = s.scope, s.level, s.area_code
        mask = areas.mask(atlas, lvl, code).to_numpy()
        sub = frame[mask]
        whole = sub[list(_SUMS)].sum(min_count=1).to_frame().T
        core = sub.loc[sub[schema.CORE20], list(_SUMS)].sum().to_frame().T
        measures = _measures(whole, core, focus).iloc[0]
        name = "England" if lvl == "england" else areas.area_name(atlas, lvl, code)
        code = schema.ENGLAND_CODE if lvl == "england" else code
        base = {"scope": scope, "level": lvl, "area_code": code, "area_name": name}
        rows.append({**base, "part": "whole", **_part(measures, core=False)})
        rows.append({**base, "part": "core20", **_part(measures, core=True)})
    return pd.DataFrame(rows)


def _part(measures: pd.Series, core: bool) -> dict:
    """Measures of one part: the core20_* values renamed for the Core20 row, plain ones for whole."""
    out: dict = {"focus": measures["focus"]}
    names = [k for k in measures.index if k not in ("focus", "core20_target_share")
             and not k.startswith("core20_")]
    for k in names:
        src = f"core20_{k}" if core else k
        if k == "target_population":
            src = "core20_target_population" if core else k
        out[k] = measures[src] if src in measures.index else (np.nan if core else measures[k])
    return out


# --- map layers ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class MapLayer:
    """Per-LSOA values to map for a focus, with their label and unit."""

    id: str
    label: str
    unit: str
    values: pd.Series  # aligned to the atlas index
    higher_means: str = ""
    note: str = ""


_LayerFn = Callable[[pd.DataFrame], pd.Series]


def _undiagnosed(clin: pd.DataFrame) -> pd.Series:
    return hypertension.undiagnosed(clin["expected_hyp"], clin["reg_hyp"])


LAYERS: dict[str, dict[str, tuple[str, str, str, _LayerFn]]] = {
    # focus -> layer id -> (label, unit, higher means, fn(clinical table))
    "maternity": {
        "share_15_44": ("Residents aged 15-44", "% of residents",
                        "more residents of child-bearing age",
                        lambda c: _div(c["pop_15_44"] * 100, c["pop_all"])),
        "residents_15_44": ("Residents aged 15-44", "people", "more people", lambda c: c["pop_15_44"]),
    },
    "smi": {
        "register_per_1000": ("Estimated SMI register (QOF MH)", "per 1,000 registered patients",
                              "more recorded SMI",
                              lambda c: _div(c["reg_mh"] * 1000, c["registered_patients"])),
        "register": ("Estimated SMI register (QOF MH)", "people", "more people", lambda c: c["reg_mh"]),
    },
    "respiratory": {
        "register_per_1000": ("Estimated COPD register (QOF COPD)", "per 1,000 registered patients",
                              "more recorded COPD",
                              lambda c: _div(c["reg_copd"] * 1000, c["registered_patients"])),
        "smoking": ("Recorded smokers (QOF SMOK)", "% of registered patients", "more smokers",
                    lambda c: _div(c["reg_smok"] * 100, c["registered_patients"])),
    },
    "cancer": {
        "share_55_74": ("Residents aged 55-74", "% of residents", "more people of lung-check age",
                        lambda c: _div(c["pop_55_74"] * 100, c["pop_all"])),
        "register_per_1000": ("Estimated cancer register (QOF CAN)", "per 1,000 registered patients",
                              "more recorded cancer",
                              lambda c: _div(c["reg_can"] * 1000, c["registered_patients"])),
        "smoking": ("Recorded smokers (QOF SMOK)", "% of registered patients", "more smokers",
                    lambda c: _div(c["reg_smok"] * 100, c["registered_patients"])),
    },
    "hypertension": {
        # per 1,000 residents, as the tables' target_per_1000 (one denominator on map, table and text)
        "undiagnosed_per_1000": ("Estimated undiagnosed hypertension", "per 1,000 residents",
                                 "more undiagnosed",
                                 lambda c: _div(_undiagnosed(c) * 1000, c["pop_all"])),
        "recorded_to_expected": ("Recorded / expected hypertension", "%", "more of the expected recorded",
                                 lambda c: _div(c["reg_hyp"] * 100, c["expected_hyp"])),
        "gap": ("Expected minus recorded hypertension", "people", "more undiagnosed",
                lambda c: hypertension.gap(c["expected_hyp"], c["reg_hyp"])),
    },
}
_CHILD_LAYERS = {
    band: {
        f"share_{band}": (f"Children aged {band.replace('_', '-')}", "% of residents",
                          "more children", lambda c, b=band: _div(c[f"pop_{b}"] * 100, c["pop_all"])),
        f"children_{band}": (f"Children aged {band.replace('_', '-')}", "people", "more children",
                             lambda c, b=band: c[f"pop_{b}"]),
    } for band in ("0_17", "0_9")
}
for _f in CYP_FOCI.values():
    LAYERS[_f.id] = _CHILD_LAYERS[_f.band.removeprefix("pop_")]
DEFAULT_LAYER = {**{f.id: f"share_{f.band.removeprefix('pop_')}" for f in CYP_FOCI.values()},
                 "maternity": "share_15_44", "smi": "register_per_1000", "respiratory": "register_per_1000",
                 "cancer": "share_55_74", "hypertension": "undiagnosed_per_1000"}
LAYER_NOTE = ("Practice-based QOF registers apportioned to LSOAs by where patients live (QOF 2021-22, "
              "registrations July 2022); populations are ONS mid-2020 estimates.")
CYP_LAYER_NOTE = ("Children by age are ONS mid-2020 single-year estimates carried onto LSOA 2021 "
                  "(estimates); no QOF register is a children's figure.")


def focus_layers(focus: str) -> dict[str, str]:
    """Layer id -> label for a focus (the first is the default)."""
    check_focus(focus)
    ids = [DEFAULT_LAYER[focus], *[k for k in LAYERS[focus] if k != DEFAULT_LAYER[focus]]]
    return {k: f"{LAYERS[focus][k][0]} ({LAYERS[focus][k][1]})" for k in ids}


def focus_layer(atlas: pd.DataFrame, focus: str, layer: str | None = None) -> MapLayer:
    """The per-LSOA values to map for a focus (default: its main rate), aligned to ``atlas.index``."""
    check_focus(focus)
    layer = layer or DEFAULT_LAYER[focus]
    if layer not in LAYERS[focus]:
        raise KeyError(f"unknown layer {layer!r} for {focus}; valid: {', '.join(LAYERS[focus])}")
    label, unit, higher, fn = LAYERS[focus][layer]
    values = fn(_clinical(atlas)).astype("float64")
    values.name = f"{focus}_{layer}"
    note = CYP_LAYER_NOTE if FOCI[focus].family == "cyp" else LAYER_NOTE
    return MapLayer(layer, label, unit, values, higher, note)
