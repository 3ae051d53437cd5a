"""Who a plan is for: `Target` = a base (Core20 or everyone), optional PLUS conditions, optional
clinical focus.

Without a focus, an LSOA's demand weight is its population if it is in the target (Core20, all,
or the PLUS rule). With a focus, it is the focus population of the LSOAs in the target: e.g.
residents aged 55-74 in Core20 LSOAs for lung health checks (``clinical.focus_population``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import pandas as pd

from geo_core20 import access, clinical, plus, schema
from geo_core20.errors import SitingError

TARGET_BASES = ("core20", "all")
CUSTOM = "custom"  # a mask or weights given directly (API only): not reproducible from a saved plan
BASE_LABEL = {**schema.TARGET_LABELS, CUSTOM: "Custom target"}

FocusPopulation = Callable[[pd.DataFrame, str], pd.Series]
"""(area atlas, focus id) -> people in the focus population per LSOA, aligned to the atlas index."""


def focus_choices() -> str:
    """The valid foci as text for messages: 'maternity (Maternity), smi (...)...'."""
    return ", ".join(f"{f} ({clinical.FOCI[f].label})" for f in clinical.FOCUS_IDS)


def check_focus(focus: str | None) -> str | None:
    """A focus id, None for no focus; SitingError naming the valid ids otherwise."""
    if focus is None or str(focus).strip().lower() in ("", "none"):
        return None
    text = str(focus).strip().lower()
    if text not in clinical.FOCI:
        raise SitingError(f"unknown focus {focus!r}; valid foci: {focus_choices()}, or none")
    return text


@dataclass(frozen=True)
class Target:
    """A plan's target population: base "core20" | "all", optional PLUS spec, optional clinical focus."""

    base: str = "core20"
    spec: plus.TargetSpec | None = None
    focus: str | None = None

    def __post_init__(self) -> None:
        if self.base not in (*TARGET_BASES, CUSTOM):
            raise SitingError(f"unknown target {self.base!r}: use core20, all or a PLUS target")
        if self.spec is not None:
            self.spec.validate()
            if self.spec.base != self.base:
                raise SitingError(f"target base {self.base!r} differs from its PLUS rule's base "
                                  f"{self.spec.base!r}")
            if not self.spec.conditions:  # a rule without conditions is just its base
                object.__setattr__(self, "spec", None)
        object.__setattr__(self, "focus", check_focus(self.focus))

    @classmethod
    def from_spec(cls, spec: plus.TargetSpec, focus: str | None = None) -> Target:
        """The target of a PLUS rule (``plus.TargetSpec``), optionally narrowed to a focus population."""
        return cls(base=spec.base, spec=spec, focus=focus)

    @classmethod
    def from_key(cls, key: str) -> Target:
        """Inverse of `key`: "core20", "all", "core20&focus=cancer", "tb=core20&tc=and&tx=coastal"..."""
        text = str(key or "").strip()
        bases = [t for t in text.split("&") if t and "=" not in t]
        params = dict(t.split("=", 1) for t in text.split("&") if "=" in t)
        if len(bases) > 1 or (bases and "tb" in params):
            raise SitingError(f"unreadable target {key!r}")
        focus = params.pop("focus", None)
        if {"tb", "tc", "tx"} & set(params):
            spec = plus.TargetSpec.from_query_params(params)
            return cls.from_spec(spec, focus)  # type: ignore[arg-type]
        if params:
            raise SitingError(f"unreadable target {key!r}: unknown part(s) {', '.join(params)}")
        return cls(base=bases[0] if bases else "core20", focus=focus)

    @classmethod
    def parse(cls, value: Target | str | plus.TargetSpec) -> Target:
        """A Target from a Target, a key ("core20", "all", ...) or a PLUS rule."""
        if isinstance(value, Target):
            return value
        if isinstance(value, plus.TargetSpec):
            return cls.from_spec(value)
        if isinstance(value, str):
            return cls.from_key(value)
        raise SitingError(f"not a target: {type(value).__name__}")

    def to_dict(self) -> dict:
        """Structured fields for a saved record (plan schema 4): base, focus, and the PLUS rule's
        combine and conditions (each condition's fields), instead of the share-link text of `key`."""
        out: dict = {"base": self.base, "focus": self.focus}
        if self.spec is not None:
            out["combine"] = self.spec.combine
            out["conditions"] = [asdict(c) for c in self.spec.conditions]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Target:
        """Inverse of `to_dict`."""
        base, focus = str(data.get("base") or "core20"), data.get("focus") or None
        conditions = data.get("conditions") or ()
        if conditions:
            spec = plus.TargetSpec(base=base, combine=str(data.get("combine") or "and"),
                                   conditions=tuple(plus.Condition(**dict(c)) for c in conditions))
            return cls.from_spec(spec, focus)
        return cls(base=base, focus=focus)

    def key(self) -> str:
        """A short reproducible text for the saved request and caches (see `from_key`)."""
        if self.spec is not None:
            text = "&".join(f"{k}={v}" for k, v in self.spec.to_query_params().items())
        else:
            text = self.base
        return f"{text}&focus={self.focus}" if self.focus else text

    def describe(self) -> str:
        """A plain label: 'Residents aged 55-74 in Core20 LSOAs (national IMD deciles 1-2)'."""
        base = self.spec.describe() if self.spec is not None else BASE_LABEL[self.base]
        if not self.focus:
            return base
        people = clinical.FOCI[self.focus].target_label
        return f"{people}, all LSOAs" if self.spec is None and self.base == "all" else f"{people} in {base}"

    def members(self, area: pd.DataFrame) -> pd.Series:
        """Whether each LSOA of ``area`` is in the target (bool, aligned to ``area.index``)."""
        if self.base == CUSTOM:
            raise SitingError("a custom target has no rule to evaluate; pass its weights instead")
        if self.spec is not None:
            mask = plus.evaluate(self.spec, area).mask
            return mask.reindex(area.index).fillna(False).astype(bool)
        if self.base == "core20":
            return area[schema.CORE20].astype(bool)
        return pd.Series(True, index=area.index)

    def weights(self, area: pd.DataFrame, *, focus_population: FocusPopulation | None = None) -> pd.Series:
        """Demand weight per LSOA: its population (no focus) or its focus population, where in the target.

        ``focus_population`` replaces ``clinical.focus_population`` (tests, other estimates).
        """
        members = self.members(area)
        if not self.focus:
            return access.target_weights(area, members)
        try:
            people = (focus_population or clinical.focus_population)(area, self.focus)
        except ValueError as exc:  # a DataError (NotBuiltError: no clinical table for this atlas) and others
            raise SitingError(f"the {clinical.FOCI[self.focus].label.lower()} focus population is not "
                              f"available here: {exc}") from exc
        people = pd.Series(people, index=area.index) if not isinstance(people, pd.Series) else people
        if not people.index.equals(area.index):
            raise SitingError("the focus population is not aligned with the area's LSOAs")
        people = pd.to_numeric(people, errors="coerce").astype(float).fillna(0.0).clip(lower=0.0)
        return people.where(members, 0.0).rename("target_population")


def resolve_target(area: pd.DataFrame, target: Target | str | plus.TargetSpec | access.TargetMask, *,
                   focus_population: FocusPopulation | None = None) -> tuple[pd.Series, str]:
    """Target weights over the area's LSOAs and a label.

    ``target``: a `Target`, its key ("core20", "all", ...), a ``plus.TargetSpec``, or (API only) a
    mask / 0-1 weights / callable as `access.target_weights` takes, labelled "Custom target".
    """
    parsed = as_target(target)
    if parsed is None:
        return access.target_weights(area, target), BASE_LABEL[CUSTOM]
    return parsed.weights(area, focus_population=focus_population), parsed.describe()


def as_target(value: object) -> Target | None:
    """A Target for anything `resolve_target` takes; None for a mask, weights or callable."""
    if isinstance(value, (Target, str, plus.TargetSpec)):
        return Target.parse(value)  # type: ignore[arg-type]
    return None


def target_from_key(key: str) -> Target:
    """The Target saved in a plan request or cache key (`Target.key`)."""
    return Target.from_key(key)


def target_from_text(target: str, conditions: str | None = None, combine: str = "and",
                     focus: str | None = None) -> Target:
    """The CLI's --target/--target-conditions/--combine/--focus as a Target."""
    if target not in TARGET_BASES:
        raise SitingError(f"unknown target {target!r}: use core20 or all (with --target-conditions for PLUS)")
    if not conditions:
        return Target(base=target, focus=focus)
    tokens = tuple(plus.parse_condition(t) for t in conditions.split(",") if t.strip())
    return Target.from_spec(plus.TargetSpec(target, combine, tokens).validate(), focus)
