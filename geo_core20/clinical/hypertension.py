"""Expected hypertension register from each LSOA's adult age structure.

expected = sum over age bands of (residents in the band) x (published prevalence in the band).
The rates are survey-defined hypertension (measured 140/90 mmHg or above, or on medication),
all adults, from the Health Survey for England 2021 (citation ``hse_hypertension_by_age`` in
geo_core20.sources). Only persons are available offline (no sex split), so the rates are for
all adults of each age. Recorded is the practice-to-LSOA QOF HYP estimate (qof.py); the gap
(expected minus recorded) estimates undiagnosed hypertension.
"""

from __future__ import annotations

import pandas as pd

CITATION_ID = "hse_hypertension_by_age"

# HSE 2021 "Adults' health" key findings: hypertension in 30% of adults, rising "from 9% of adults
# aged 16 to 44 to 60% of adults aged 65 and over". The 45-64 rate is not in the summary, so it is
# the value that reproduces the published 30% over England's mid-2020 adults (45.70 M: 20.76 M
# aged 16-44, 14.47 M aged 45-64, 10.46 M aged 65+): (0.30 x 45.70 - 0.09 x 20.76 - 0.60 x 10.46)
# / 14.47 = 0.384 (tests/test_clinical_real.py recomputes it). ONS (2023, HSE 2015-2019) agrees at
# the ends: 7% of men and 4% of women aged 16-24, 66% and 71% aged 75+.
PUBLISHED_ALL_ADULTS = 0.30
HSE_RATES: dict[str, float] = {
    "pop_16_44": 0.09,
    "pop_45_64": 0.384,  # derived, see above
    "pop_65_plus": 0.60,
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
