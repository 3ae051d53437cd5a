"""The seven Core20PLUS5 accelerator sites as one-click presets.

Each preset opens its ICB (2023/24 code, as in the 2025 atlas) with a clinical focus and the
most relevant PLUS layer (an id in geo_core20.plus.INDICATORS), a short factual caption and a
plain note of what national data cannot show about the group.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo_core20 import schema
from geo_core20.clinical import cache
from geo_core20.clinical.focus import FOCI, LOCAL_UPLOAD, focus_summary

GRT_NOTE = ("Census 2021 counts Gypsy or Irish Traveller and Roma residents per LSOA (table TS021), but that "
            "table is not in the offline mirror: the layer shown is the local-authority count; online, "
            "`python -m geo_core20 data fetch --only census21_ethnicity_detailed` adds the LSOA layers "
            "('Gypsy or Irish Traveller residents - LSOA level'). Census counts are thought to undercount "
            "these communities. " + LOCAL_UPLOAD)
LD_NOTE = ("Learning disability appears in national data only as the QOF learning disability (LD) register, "
           "estimated here per LSOA from practices; screening uptake among people with a learning disability "
           "is not in the data. " + LOCAL_UPLOAD)


@dataclass(frozen=True)
class Accelerator:
    """One accelerator site preset."""

    id: str
    ics: str
    icb_code: str  # ICB 2023/24 GSS code (2025 atlas)
    icb_name: str  # as in the 2025 atlas
    focus: str  # an id in clinical.FOCI
    plus_layer: str  # an id in geo_core20.plus.INDICATORS
    caption: str
    data_note: str  # what national data cannot show (with the local-upload pointer)
    extra_register: str | None = None  # an extra clinical column to show (e.g. reg_ld)


ACCELERATORS: dict[str, Accelerator] = {a.id: a for a in (
    Accelerator("lancashire_south_cumbria", "Lancashire and South Cumbria", "E54000048",
                "NHS Lancashire and South Cumbria Integrated Care Board", "cancer", "coastal_core20",
                "Accelerator site: access to cancer screening. Coastal Core20 neighbourhoods are "
                "shown as the PLUS layer.",
                "Screening uptake is not in national open data at LSOA level. " + LOCAL_UPLOAD),
    Accelerator("cornwall_isles_of_scilly", "Cornwall and the Isles of Scilly", "E54000036",
                "NHS Cornwall and the Isles of Scilly Integrated Care Board", "cancer", "grt_pct",
                "Accelerator site: earlier cancer diagnosis among Gypsy, Roma and Traveller communities.",
                GRT_NOTE),
    Accelerator("humber_north_yorkshire", "Humber and North Yorkshire", "E54000051",
                "NHS Humber and North Yorkshire Integrated Care Board", "respiratory", "coastal_core20",
                "Accelerator site: joined-up assessment and care. Shown with chronic respiratory disease and "
                "coastal Core20 neighbourhoods.",
                "Assessments and care pathways are not in national open data. " + LOCAL_UPLOAD),
    Accelerator("nottingham_nottinghamshire", "Nottingham and Nottinghamshire", "E54000060",
                "NHS Nottingham and Nottinghamshire Integrated Care Board", "hypertension", "ethnic_minority",
                "Accelerator site: reducing early deaths from cardiovascular disease; hypertension "
                "case-finding is the focus shown.",
                "Blood-pressure check uptake and control are not in national open data at LSOA level. "
                + LOCAL_UPLOAD),
    Accelerator("surrey_heartlands", "Surrey Heartlands", "E54000063",
                "NHS Surrey Heartlands Integrated Care Board", "cancer", "disability",
                "Accelerator site: cancer screening for people with a learning disability. The PLUS layer is "
                "Census disability (all disabilities), the nearest national LSOA measure.",
                LD_NOTE, extra_register="reg_ld"),
    Accelerator("mid_south_essex", "Mid and South Essex", "E54000026",
                "NHS Mid and South Essex Integrated Care Board", "smi", "household_deprived_2plus",
                "Accelerator site: life expectancy for people with severe mental illness.",
                "Physical health checks and deaths among people with SMI are not in national open "
                "data at LSOA level. " + LOCAL_UPLOAD),
    Accelerator("north_central_london", "North Central London", "E54000028",
                "NHS North Central London Integrated Care Board", "cancer", "ethnic_minority",
                "Accelerator site: lung cancer, through targeted lung health checks for residents aged "
                "55-74.",
                "Lung health check invitations, attendance and smoking history are not in national open "
                "data; there is no national list of lung health check sites (community diagnostic centres "
                "are shown instead). " + LOCAL_UPLOAD),
)}


def get_accelerator(accelerator_id: str) -> Accelerator:
    try:
        return ACCELERATORS[accelerator_id]
    except KeyError:
        raise KeyError(f"unknown accelerator {accelerator_id!r}; valid: {', '.join(ACCELERATORS)}") from None


def key_numbers(atlas: pd.DataFrame, accelerator_id: str) -> dict:
    """The preset's headline figures for its ICB: the focus summary row, plus its extra register.

    Keys: the focus_summary columns of the ICB row, ``focus_label``, and for presets with an extra
    register (Surrey Heartlands: learning disability) ``extra_register`` and ``extra_register_label``.
    """
    preset = get_accelerator(accelerator_id)
    in_icb = atlas[atlas["icb_code"] == preset.icb_code]
    if in_icb.empty:
        raise KeyError(f"{preset.ics}: ICB {preset.icb_code} is not in this atlas (the presets use the "
                       "2023/24 ICB codes of the 2025 atlas).")
    row = focus_summary(in_icb, preset.focus, "icb").iloc[0].to_dict()
    row["focus_label"] = FOCI[preset.focus].label
    if preset.extra_register:
        from geo_core20.clinical.qof import REGISTERS

        clin = cache.for_atlas(in_icb)
        row["extra_register"] = float(clin[preset.extra_register].sum())
        row["extra_register_label"] = REGISTERS[preset.extra_register][1]
        row["core20_extra_register"] = float(clin.loc[in_icb[schema.CORE20].to_numpy(),
                                                      preset.extra_register].sum())
    return row
