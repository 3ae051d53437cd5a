"""Practice-to-LSOA estimates of QOF disease registers.

QOF is published per GP practice. Each LSOA's register is estimated as the sum over
practices of (patients of that practice living in the LSOA) x (the practice's recorded
prevalence), using QOF 2021-22 prevalence and the July 2022 registrations by LSOA 2011.
A practice's LSOA estimates therefore sum to its own estimated register (patients x
prevalence): apportionment conserves patients.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from geo_core20 import readers
from geo_core20.errors import DataError

# cache column -> (QOF register code, label)
REGISTERS: dict[str, tuple[str, str]] = {
    "reg_hyp": ("HYP", "Hypertension (QOF HYP register)"),
    "reg_copd": ("COPD", "COPD (QOF COPD register)"),
    "reg_mh": ("MH", "Severe mental illness (QOF MH register)"),
    "reg_can": ("CAN", "Cancer (QOF CAN register)"),
    "reg_smok": ("SMOK", "Recorded current smokers (QOF SMOK)"),
    "reg_ld": ("LD", "Learning disability (QOF LD register)"),
}
NO_LSOA = "NO2011"  # registrations file: patients with no LSOA of residence recorded


@dataclass(frozen=True)
class MatchReport:
    """How the practice files joined: every count a planner should see beside the estimates."""

    qof_practices: int
    registration_practices: int
    matched_practices: int
    unmatched_registration_practices: int  # registered patients but no QOF row
    unmatched_registration_patients: int
    unmatched_qof_practices: int  # QOF row but no registrations
    matched_patients: int
    patients_no_lsoa: int  # matched practices, LSOA not recorded (NO2011)
    patients_outside_england: int  # matched practices, resident in Wales

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def read_prevalence(path: Path | str) -> pd.DataFrame:
    """Practice prevalence (fractions of the list): index practice_code, columns REGISTERS keys."""
    path = Path(path)
    frame = pd.read_parquet(path)
    if frame.index.name != "OrganisationCode":
        frame = frame.set_index("OrganisationCode") if "OrganisationCode" in frame else frame
    cols = {f"{code}-prevalance": col for col, (code, _label) in REGISTERS.items()}
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise DataError(f"{path.name}: missing QOF prevalence columns {missing}.")
    out = frame[list(cols)].rename(columns=cols).astype("float64")
    out.index = out.index.astype(str).rename("practice_code")
    readers.check_unique(out.index.to_series(), path.name)
    if (out < 0).any().any():
        raise DataError(f"{path.name}: negative prevalence (expected register / list fractions).")
    # A register can exceed the list it was divided by (one specialist learning-disability
    # practice has LD 1.04, the list and register being counted on different dates): cap at 1.
    return out.fillna(0.0).clip(upper=1.0)


def read_registrations(path: Path | str) -> pd.DataFrame:
    """Columns practice_code, lsoa11_code, patients (one row per practice and LSOA of residence)."""
    path = Path(path)
    frame = pd.read_parquet(path)
    need = {"OrganisationCode", "LSOA11CD", "Patient"}
    if not need <= set(frame.columns):
        raise DataError(f"{path.name}: expected columns {sorted(need)}; found {list(frame.columns)}.")
    out = pd.DataFrame({"practice_code": frame["OrganisationCode"].astype(str),
                        "lsoa11_code": frame["LSOA11CD"].astype(str),
                        "patients": readers.to_number(frame["Patient"], "Patient", path.name, integer=True)})
    return out.groupby(["practice_code", "lsoa11_code"], as_index=False)["patients"].sum()


def practice_lsoa_estimates(prevalence: pd.DataFrame, registrations: pd.DataFrame) -> pd.DataFrame:
    """One row per matched practice and LSOA 2011: patients and estimated register contributions."""
    joined = registrations.merge(prevalence, left_on="practice_code", right_index=True, how="inner")
    for col in REGISTERS:
        joined[col] = joined["patients"] * joined[col]
    return joined


def practice_registers(prevalence: pd.DataFrame, registrations: pd.DataFrame) -> pd.DataFrame:
    """Each matched practice's own estimated register: total registered patients x prevalence."""
    patients = registrations.groupby("practice_code")["patients"].sum()
    joined = prevalence.join(patients, how="inner")
    out = joined[list(REGISTERS)].mul(joined["patients"], axis=0)
    out.insert(0, "patients", joined["patients"])
    return out


def match_report(prevalence: pd.DataFrame, registrations: pd.DataFrame) -> MatchReport:
    reg_practices = set(registrations["practice_code"])
    qof_practices = set(prevalence.index)
    matched = registrations[registrations["practice_code"].isin(qof_practices)]
    unmatched = registrations[~registrations["practice_code"].isin(qof_practices)]
    return MatchReport(
        qof_practices=len(qof_practices),
        registration_practices=len(reg_practices),
        matched_practices=len(reg_practices & qof_practices),
        unmatched_registration_practices=len(reg_practices - qof_practices),
        unmatched_registration_patients=int(unmatched["patients"].sum()),
        unmatched_qof_practices=len(qof_practices - reg_practices),
        matched_patients=int(matched["patients"].sum()),
        patients_no_lsoa=int(matched.loc[matched["lsoa11_code"] == NO_LSOA, "patients"].sum()),
        patients_outside_england=int(matched.loc[~matched["lsoa11_code"].str.startswith("E01")
                                                 & (matched["lsoa11_code"] != NO_LSOA), "patients"].sum()),
    )


def lsoa11_registers(prevalence: pd.DataFrame, registrations: pd.DataFrame) -> pd.DataFrame:
    """Estimated registers per English LSOA 2011: index lsoa11_code, columns registered_patients + REGISTERS.

    ``registered_patients`` counts residents registered at a matched practice (July 2022).
    """
    rows = practice_lsoa_estimates(prevalence, registrations)
    rows = rows[rows["lsoa11_code"].str.startswith("E01")]
    out = rows.groupby("lsoa11_code")[["patients", *REGISTERS]].sum()
    return out.rename(columns={"patients": "registered_patients"}).astype("float64")
