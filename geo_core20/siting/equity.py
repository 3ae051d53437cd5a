"""Equity of a plan: how much of the target population it covers lives in Core20 LSOAs, against
that share in the whole target. A plan that serves the least deprived first shows a lower share.

For a Core20 target that share is always 100%, so a plan also carries its **reach comparison**: on
the plan's demand definition without the Core20 restriction (the same age group or own demand, over
every LSOA of the area), the share of Core20 residents within reach of an open site against the share
of the other residents within reach (`reach`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
    core20_base: float | None = None  # Core20 residents on the demand definition without Core20
    core20_reached: float | None = None  # ... of them within reach of an open site
    other_base: float | None = None  # the other (non-Core20) residents on that definition
    other_reached: float | None = None
    base_label: str = ""  # the demand definition of the comparison

    @property
    def has_reach(self) -> bool:
        return None not in (self.core20_base, self.core20_reached, self.other_base, self.other_reached)

    @property
    def core20_reach_share(self) -> float | None:
        """Share of the area's Core20 residents (on the base definition) within reach of an open site."""
        if not self.has_reach:
            return None
        return self.core20_reached / self.core20_base if self.core20_base else 0.0

    @property
    def other_reach_share(self) -> float | None:
        """Share of the area's other (non-Core20) residents within reach of an open site."""
        return (self.other_reached / self.other_base if self.other_base else 0.0) if self.has_reach else None

    @property
    def reach_gap_points(self) -> float | None:
        """Core20 reach share minus the others', in percentage points (positive: favours Core20)."""
        if not self.has_reach:
            return None
        return 100 * (self.core20_reach_share - self.other_reach_share)

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
        """The equity figure in plain sentences: the reach comparison when there is one."""
        if self.has_reach and (self.core20_base or self.other_base):
            return f"{self.reach_label} {self.share_label}"
        return self.share_label

    @property
    def reach_label(self) -> str:
        if not self.has_reach:
            return ""
        base = f" ({self.base_label})" if self.base_label else ""
        if not self.core20_base:
            return f"No Core20 residents{base} live in this area: Core20 and other reach cannot be compared."
        if not self.other_base:
            return f"Every resident{base} of this area lives in a Core20 LSOA: no one else to compare with."
        gap = self.reach_gap_points
        verdict = ("about as well as the rest" if abs(gap) < EVEN_POINTS else
                   "better than the rest: it favours the most deprived" if gap > 0 else
                   "less well than the rest: it favours less deprived areas")
        return (f"The plan reaches {self.core20_reach_share:.1%} of the area's Core20 residents{base} and "
                f"{self.other_reach_share:.1%} of the other residents: it reaches Core20 residents "
                f"{verdict}.")

    @property
    def share_label(self) -> str:
        """The Core20 share of the people covered against the target's, in one sentence."""
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
                "gap_points": round(self.gap_points, 3), "label": self.label,
                **({"core20_base": self.core20_base, "core20_reached": self.core20_reached,
                    "other_base": self.other_base, "other_reached": self.other_reached,
                    "core20_reach_share": round(self.core20_reach_share, 6),
                    "other_reach_share": round(self.other_reach_share, 6),
                    "reach_gap_points": round(self.reach_gap_points, 3), "base_label": self.base_label}
                   if self.has_reach else {})}

    @classmethod
    def from_dict(cls, data: dict) -> Equity:
        def number(name: str) -> float | None:
            return None if data.get(name) is None else float(data[name])

        return cls(float(data["covered_population"]), float(data["covered_core20_population"]),
                   float(data["target_population"]), float(data["target_core20_population"]),
                   number("core20_base"), number("core20_reached"), number("other_base"),
                   number("other_reached"), str(data.get("base_label") or ""))


def equity(assignment: pd.DataFrame, area: pd.DataFrame) -> Equity:
    """Equity of a plan from its assignment (code, weight, covered) and the area's atlas rows."""
    core20 = area.set_index(schema.LSOA_CODE)[schema.CORE20].astype(bool)
    in_core20 = assignment["code"].map(core20).fillna(False).astype(bool).to_numpy()
    w = assignment["weight"].to_numpy(dtype=float)
    covered = assignment["covered"].fillna(False).astype(bool).to_numpy()
    return Equity(float(w[covered].sum()), float(w[covered & in_core20].sum()), float(w.sum()),
                  float(w[in_core20].sum()))


def with_reach(eq: Equity, base: pd.Series | np.ndarray, reached: np.ndarray, area: pd.DataFrame,
               label: str = "") -> Equity:
    """``eq`` with its reach comparison: ``base`` (the demand definition without the Core20
    restriction, aligned to ``area``) split by Core20, and which of the area's LSOAs are within reach."""
    from dataclasses import replace

    w = np.asarray(base, dtype=float)
    core = area[schema.CORE20].astype(bool).to_numpy()
    hit = np.asarray(reached, dtype=bool)
    return replace(eq, core20_base=float(w[core].sum()), core20_reached=float(w[core & hit].sum()),
                   other_base=float(w[~core].sum()), other_reached=float(w[~core & hit].sum()),
                   base_label=label)
