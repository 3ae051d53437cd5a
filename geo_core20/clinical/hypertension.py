"""Expected hypertension register from each LSOA's adult age structure.

expected = sum over age bands of (residents in the band) x (published prevalence in the band).
The rates are survey-defined hypertension (measured 140/90 mmHg or above, or on treatment),
persons, from the Health Survey for England 2019 (citation ``hse_hypertension_by_age`` in
geo_core20.sources). Only persons are available offline (no sex split), so the rates are for
all adults of each age. Recorded is the practice-to-LSOA QOF HYP estimate (qof.py); the gap
(expected minus recorded) estimates undiagnosed hypertension.
"""

from __future__ import annotations

import pandas as pd

CITATION_ID = "hse_hypertension_by_age"

# population column (populations.BANDS) -> published prevalence of hypertension, persons.
# Ends checked against ONS (2023), HSE 2015-2019: 7% of men / 4% of women aged 16-24 and
# 66% / 71% aged 75+ (citation ``ons_undiagnosed_hypertension``).
HSE_RATES: dict[str, float] = {
    "pop_16_24": 0.05,
    "pop_25_34": 0.08,
    "pop_35_44": 0.14,
    "pop_45_54": 0.26,
    "pop_55_64": 0.40,
    "pop_65_74": 0.55,
    "pop_75_plus": 0.68,
}


def expected_register(populations: pd.DataFrame, rates: dict[str, float] | None = None) -> pd.Series:
    """Expected number of adults with hypertension per row: bands x age-specific rates."""
    rates = HSE_RATES if rates is None else rates
    missing = [c for c in rates if c not in populations.columns]
    if missing:
        raise KeyError(f"population bands missing for the expected register: {missing}")
    return sum(populations[col].astype(float) * rate for col, rate in rates.items())


def gap(expected: pd.Series, recorded: pd.Series) -> pd.Series:
    """Expected minus recorded: the estimated undiagnosed (negative where more are recorded)."""
    return expected - recorded


def undiagnosed(expected: pd.Series, recorded: pd.Series) -> pd.Series:
    """The estimated undiagnosed people: the gap floored at zero."""
    return gap(expected, recorded).clip(lower=0)
