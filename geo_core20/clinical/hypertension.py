"""Expected hypertension register from each LSOA's adult age structure.

expected = sum over age bands of (residents in the band) x (published prevalence in the band).
The rates are survey-defined hypertension (measured 140/90 mmHg or above, or on medication), all
adults, from the Health Survey for England 2022 part 2 ("All with hypertension" by age band,
read from the fetched table ``hse2022_hypertension``: 16-34 4%, 35-44 15%, 45-54 26%, 55-64 40%,
65-74 57%, 75+ 69%). Only persons are available offline (no sex split), so the rates are for all
adults of each age. Recorded is the practice-to-LSOA QOF HYP estimate (qof.py); the gap (expected
minus recorded) estimates undiagnosed hypertension.

The rates vary with age only, not with deprivation or ethnicity; hypertension is more common in
more deprived areas and in some ethnic groups, so the expected register, and with it the gap, is
understated in Core20 neighbourhoods (``CAVEAT``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo_core20.errors import DataError

DATASET_ID = "hse2022_hypertension"

# The survey's age bands -> the clinical cache's population columns (populations.BANDS)
BAND_COLUMNS: dict[str, str] = {
    "16-34": "pop_16_34", "35-44": "pop_35_44", "45-54": "pop_45_54",
    "55-64": "pop_55_64", "65-74": "pop_65_74", "75+": "pop_75_plus",
}
AMBITION = 0.80  # 80% of expected hypertension diagnosed (NHS Long Term Plan CVD prevention ambition)
CAVEAT = ("Expected hypertension uses national Health Survey for England 2022 rates by age only; "
          "they do not vary with deprivation or ethnicity, so the expected register and the gap are "
          "understated in Core20 neighbourhoods, where hypertension is more common.")


def read_rates(path: Path | str) -> dict[str, float]:
    """Adults' "All with hypertension" by age band as fractions, keyed by population column."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path.name}: cannot read the Health Survey for England table ({exc}).") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in ("Sex", "Group", *BAND_COLUMNS) if c not in frame.columns]
    if missing:
        raise DataError(f"{path.name}: expected columns Sex, Group and the age bands "
                        f"{', '.join(BAND_COLUMNS)}; missing {', '.join(missing)}.")
    rows = frame[(frame["Sex"].str.strip() == "Adults")
                 & (frame["Group"].str.strip().str.lower() == "all with hypertension")]
    if len(rows) != 1:
        raise DataError(f"{path.name}: expected one row 'Adults, All with hypertension'; found {len(rows)}.")
    rates = {}
    for band, column in BAND_COLUMNS.items():
        raw = str(rows.iloc[0][band]).strip()
        try:
            value = float(raw)
        except ValueError:
            raise DataError(f"{path.name}: 'All with hypertension' aged {band} is {raw!r}, "
                            "not a percentage.") from None
        if not 0 <= value <= 100:
            raise DataError(f"{path.name}: 'All with hypertension' aged {band} is {value}, outside 0-100.")
        rates[column] = value / 100
    return rates


def expected_register(populations: pd.DataFrame, rates: dict[str, float]) -> pd.Series:
    """Expected number of adults with hypertension per row: bands x age-specific rates."""
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
