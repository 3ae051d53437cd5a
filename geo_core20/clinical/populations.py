"""Age-specific resident populations per LSOA from the ONS mid-2020 single-year estimates.

The estimates are published on LSOA 2011. For the 2025 atlas (LSOA 2021) they are carried
over with the ONS LSOA 2011 -> 2021 lookup: an LSOA 2011 that was split shares its people
among its LSOA 2021 parts in proportion to their Census 2021 population; LSOAs that were
merged are summed. The same weights carry the practice-based QOF estimates (qof.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geo_core20 import readers, schema
from geo_core20.errors import DataError

MAX_AGE = 90  # the published file's last column is "90+"

# Exact age bands (inclusive; None = open-ended) kept in the clinical cache.
BANDS: dict[str, tuple[int, int | None]] = {
    "pop_all": (0, None),
    "pop_15_44": (15, 44),      # maternity: residents aged 15-44 (persons; no sex split offline)
    "pop_55_74": (55, 74),      # targeted lung health check ages
    "pop_16_plus": (16, None),  # adults, as in the Health Survey for England
    # Health Survey for England 2022 bands for the expected hypertension register
    "pop_16_34": (16, 34), "pop_35_44": (35, 44), "pop_45_54": (45, 54),
    "pop_55_64": (55, 64), "pop_65_74": (65, 74), "pop_75_plus": (75, None),
    # Core20PLUS5 for children and young people
    "pop_0_17": (0, 17),        # asthma, diabetes, epilepsy, mental health: children 0-17
    "pop_0_9": (0, 9),          # oral health: under-10s (tooth extractions in hospital)
}


def read_single_year(path: Path | str) -> pd.DataFrame:
    """Mid-2020 persons by single year of age: index LSOA 2011 code, columns 0..90 (90 = 90+)."""
    path = Path(path)
    frame = pd.read_csv(path, dtype={"lsoa11_code": str})
    ages = [str(a) for a in range(MAX_AGE)] + [f"{MAX_AGE}+"]
    missing = [c for c in ["lsoa11_code", "total_population", *ages] if c not in frame.columns]
    if missing:
        raise DataError(f"{path.name}: expected single-year-of-age columns; missing {missing[:5]}.")
    out = frame.set_index("lsoa11_code")[ages].astype("float64")
    out.columns = range(MAX_AGE + 1)
    readers.check_unique(out.index.to_series(), path.name)
    bad = (out.sum(axis=1) - frame.set_index("lsoa11_code")["total_population"]).abs() > 0.5
    if bad.any():
        raise DataError(f"{path.name}: ages do not sum to total_population for {int(bad.sum())} LSOAs.")
    return out


def bands(single_year: pd.DataFrame) -> pd.DataFrame:
    """Sum single years into the BANDS columns."""
    ages = np.asarray(single_year.columns, dtype=int)
    out = {}
    for name, (lo, hi) in BANDS.items():
        keep = (ages >= lo) & (ages <= (MAX_AGE if hi is None else hi))
        out[name] = single_year.loc[:, keep].sum(axis=1)
    return pd.DataFrame(out, index=single_year.index)


def lsoa11_to_lsoa21_weights(lookup_path: Path | str, census21_path: Path | str) -> pd.DataFrame:
    """Columns lsoa11_code, lsoa21_code, weight: the share of each LSOA 2011 given to each LSOA 2021.

    Weights of one LSOA 2011 sum to 1 (so totals are conserved); a split shares by the Census
    2021 population of its parts (equal shares if they are all empty); a merge gets weight 1
    from each of its LSOA 2011s. English LSOAs only.
    """
    lookup = readers.read_lookup(lookup_path, ["lsoa11_code", "lsoa21_code"])
    lookup = lookup[lookup["lsoa21_code"].str.startswith("E01")].drop_duplicates()
    pop21 = readers.read_population(census21_path, "2021").set_index(schema.LSOA_CODE)["population"]
    lookup["pop21"] = lookup["lsoa21_code"].map(pop21).fillna(0).astype(float)
    group = lookup.groupby("lsoa11_code")["pop21"]
    total = group.transform("sum")
    parts = group.transform("size")
    lookup["weight"] = np.where(total > 0, lookup["pop21"] / total.where(total > 0, 1), 1 / parts)
    return lookup[["lsoa11_code", "lsoa21_code", "weight"]].reset_index(drop=True)


def to_lsoa21(frame: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Carry numeric columns indexed by LSOA 2011 code onto LSOA 2021 codes (index lsoa21_code)."""
    joined = weights.merge(frame, left_on="lsoa11_code", right_index=True, how="inner")
    values = joined[frame.columns].mul(joined["weight"], axis=0)
    values["lsoa21_code"] = joined["lsoa21_code"].values
    return values.groupby("lsoa21_code").sum()
