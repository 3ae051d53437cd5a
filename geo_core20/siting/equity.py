"""Equity of a plan: how much of the target population it covers lives in Core20 LSOAs, against
that share in the whole target. A plan that serves the least deprived first shows a lower share."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo_core20 import schema

EVEN_POINTS = 1.0  # within this many percentage points, coverage counts as in proportion


@dataclass(frozen=True)
class Equity:
    """Covered and whole-target population, and their Core20 parts."""

    covered_population: float
    covered_core20_population: float
    target_population: float
    target_core20_population: float

    @property
    def covered_core20_share(self) -> float:
        """Share of the covered target population living in Core20 LSOAs."""
        return self.covered_core20_population / self.covered_population if self.covered_population else 0.0

    @property
    def target_core20_share(self) -> float:
        """Share of the area's target population living in Core20 LSOAs."""
        return self.target_core20_population / self.target_population if self.target_population else 0.0

    @property
    def gap_points(self) -> float:
        """Covered share minus target share, in percentage points (positive: favours Core20)."""
        return 100 * (self.covered_core20_share - self.target_core20_share)

    @property
    def label(self) -> str:
        """The equity figure in one plain sentence."""
        if not self.target_population:
            return "No target population in this area."
        if not self.covered_population:
            return "The plan covers none of the target population, so its equity cannot be judged."
        if self.target_core20_share >= 1.0 - 1e-12:
            return "Everyone in the target lives in a Core20 LSOA, so everyone covered does too."
        covered, target = self.covered_core20_share, self.target_core20_share
        if abs(self.gap_points) < EVEN_POINTS:
            verdict = "in proportion to their share of the target"
        elif self.gap_points > 0:
            verdict = "more than their share of the target: it favours the most deprived"
        else:
            verdict = "less than their share of the target: it favours less deprived areas"
        return (f"{covered:.0%} of the target residents it covers live in Core20 LSOAs, against {target:.0%} "
                f"of the area's target population: the plan reaches Core20 residents {verdict}.")

    def to_dict(self) -> dict:
        return {"covered_population": self.covered_population,
                "covered_core20_population": self.covered_core20_population,
                "covered_core20_share": round(self.covered_core20_share, 6),
                "target_population": self.target_population,
                "target_core20_population": self.target_core20_population,
                "target_core20_share": round(self.target_core20_share, 6),
                "gap_points": round(self.gap_points, 3), "label": self.label}

    @classmethod
    def from_dict(cls, data: dict) -> Equity:
        return cls(float(data["covered_population"]), float(data["covered_core20_population"]),
                   float(data["target_population"]), float(data["target_core20_population"]))


def equity(assignment: pd.DataFrame, area: pd.DataFrame) -> Equity:
    """Equity of a plan from its assignment (code, weight, covered) and the area's atlas rows."""
    core20 = area.set_index(schema.LSOA_CODE)[schema.CORE20].astype(bool)
    in_core20 = assignment["code"].map(core20).fillna(False).astype(bool).to_numpy()
    w = assignment["weight"].to_numpy(dtype=float)
    covered = assignment["covered"].fillna(False).astype(bool).to_numpy()
    return Equity(float(w[covered].sum()), float(w[covered & in_core20].sum()), float(w.sum()),
                  float(w[in_core20].sum()))
