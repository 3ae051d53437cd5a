"""The Core20PLUS target builder: conditions, a target spec (with its share-link form) and its evaluation.

A target is Core20 (or all LSOAs) joined by AND / OR with up to eight PLUS conditions:
coastal, an indicator threshold (or percentile within the area), a Gi* hot or cold spot, or
an uploaded layer. Conditions on MSOA or local-authority indicators are worded "LSOA lies in
a local authority where ...".
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from urllib.parse import quote, unquote

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_core20 import hotspots, schema
from geo_core20.errors import TargetError
from geo_core20.plus.registry import CATEGORY, INDICATORS, LEVEL_TEXT, LSOA, NUMERIC, get, lsoa_view, values

BASES = ("core20", "all")
COMBINES = ("and", "or")
CONDITION_KINDS = ("coastal", "indicator", "hotspot", "coldspot", "upload")
OPS = {"ge": ">=", "le": "<=", "gt": ">"}
CONFIDENCES = (90, 95, 99)
MAX_CONDITIONS = 8
QUERY_KEYS = ("tb", "tc", "tx")
_NAME_RE = re.compile(r"^[\w .,()&'+\-]{1,80}$")


@dataclass(frozen=True)
class Condition:
    """One PLUS condition. ``kind``:

    - ``coastal``: LSOA is coastal (G_25_5);
    - ``indicator``: indicator ``op`` threshold, where ``percentile`` makes the threshold a
      percentile (0-100) of the values within the chosen area;
    - ``hotspot`` / ``coldspot``: Gi* hot (cold) spot of the indicator at >= ``confidence`` %;
    - ``upload``: uploaded layer ``layer`` has ``column`` (default: its first value) ``op`` threshold
      (default: > 0, e.g. at least one point).
    """

    kind: str
    indicator: str = ""
    op: str = "ge"
    threshold: float = 0.0
    percentile: bool = False
    confidence: int = 95
    layer: str = ""
    column: str = ""

    def token(self) -> str:
        """Compact text for share links (see `parse_condition`)."""
        if self.kind == "coastal":
            return "coastal"
        if self.kind == "indicator":
            value = ("p" if self.percentile else "") + _num(self.threshold)
            return f"ind:{self.indicator}:{self.op}:{value}"
        if self.kind in ("hotspot", "coldspot"):
            return f"{self.kind[:-4]}:{self.indicator}:{self.confidence}"
        if self.kind == "upload":
            base = f"up:{quote(self.layer, safe='')}"
            if self.column or self.op != "gt" or self.threshold != 0:
                base += f":{quote(self.column, safe='')}:{self.op}:{_num(self.threshold)}"
            return base
        raise TargetError(f"unknown condition kind {self.kind!r}")

    def describe(self) -> str:
        if self.kind == "coastal":
            return "coastal (G_25_5)"
        if self.kind == "indicator":
            ind = get(self.indicator)
            where = "" if ind.level == LSOA else f"lies in a {LEVEL_TEXT[ind.level]} where "
            if self.percentile:
                amount = f"the {_ordinal(self.threshold)} percentile within the area"
            else:
                amount = f"{_num(self.threshold)}{' ' + ind.unit if ind.unit else ''}"
            return f"{where}{ind.label} {OPS[self.op]} {amount}"
        if self.kind in ("hotspot", "coldspot"):
            label = get(self.indicator).label
            return f"{self.kind[:-4]} spot of {label} (Gi*, >= {self.confidence}% confidence)"
        if self.kind == "upload":
            col = f" {self.column}" if self.column else ""
            return f"uploaded layer '{self.layer}'{col} {OPS[self.op]} {_num(self.threshold)}"
        return self.kind


def upload_condition(layer: str, column: str = "", op: str = "gt", threshold: float = 0.0) -> Condition:
    """An uploaded-layer condition; by default "at least one point / a positive value"."""
    return Condition("upload", layer=layer, column=column, op=op, threshold=threshold)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _ordinal(x: float) -> str:
    n = _num(x)
    if not float(x).is_integer():
        return f"{n}th"
    k = int(x)
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class TargetSpec:
    """Core20 (or all LSOAs) combined with PLUS conditions, all joined by ``combine``."""

    base: str = "core20"
    combine: str = "and"
    conditions: tuple[Condition, ...] = ()

    def validate(self, vintage: str | None = None) -> TargetSpec:
        if self.base not in BASES:
            raise TargetError(f"unknown target base {self.base!r}; expected one of {', '.join(BASES)}")
        if self.combine not in COMBINES:
            raise TargetError(f"unknown combination {self.combine!r}; expected 'and' or 'or'")
        if len(self.conditions) > MAX_CONDITIONS:
            raise TargetError(f"at most {MAX_CONDITIONS} conditions, got {len(self.conditions)}")
        for c in self.conditions:
            _validate_condition(c, vintage)
        return self

    def describe(self) -> str:
        if not self.conditions:
            return schema.TARGET_LABELS.get(self.base, schema.TARGET_LABELS["all"])
        base = schema.TARGET_LABELS["core20"] if self.base == "core20" else "LSOAs"
        joined = f" {self.combine.upper()} ".join(c.describe() for c in self.conditions)
        if self.base == "all":
            return f"LSOAs where {joined}"
        return f"{base} {self.combine.upper()} {joined}"

    def to_query_params(self) -> dict[str, str]:
        """Compact share-link parameters: tb (base), tc (and/or), tx (conditions, comma-separated)."""
        self.validate()
        params = {"tb": self.base, "tc": self.combine}
        if self.conditions:
            params["tx"] = ",".join(c.token() for c in self.conditions)
        return params

    @classmethod
    def from_query_params(cls, params: Mapping[str, object], vintage: str | None = None) -> TargetSpec | None:
        """The spec in share-link parameters; None when there is none; TargetError if invalid."""
        def one(key: str) -> str | None:
            v = params.get(key)
            if isinstance(v, (list, tuple)):
                v = v[-1] if v else None
            return None if v is None else str(v)

        base, combine, text = one("tb"), one("tc"), one("tx")
        if base is None and combine is None and text is None:
            return None
        if text and len(text) > 2000:
            raise TargetError("the target in this link is too long")
        conditions = tuple(parse_condition(t) for t in (text or "").split(",") if t.strip())
        return cls(base or "core20", combine or "and", conditions).validate(vintage)


def parse_condition(token: str) -> Condition:
    """Inverse of `Condition.token`; TargetError naming what is wrong."""
    parts = token.strip().split(":")
    head = parts[0]
    try:
        if head == "coastal" and len(parts) == 1:
            return Condition("coastal")
        if head == "ind" and len(parts) == 4:
            value = parts[3]
            pct = value.startswith("p")
            return Condition("indicator", indicator=parts[1], op=parts[2],
                             threshold=_finite(value[1:] if pct else value), percentile=pct)
        if head in ("hot", "cold") and len(parts) == 3:
            return Condition(f"{head}spot", indicator=parts[1], confidence=int(parts[2]))
        if head == "up" and len(parts) == 2:
            return Condition("upload", layer=unquote(parts[1]), op="gt", threshold=0.0)
        if head == "up" and len(parts) == 5:
            return Condition("upload", layer=unquote(parts[1]), column=unquote(parts[2]), op=parts[3],
                             threshold=_finite(parts[4]))
    except ValueError as exc:
        raise TargetError(f"bad target condition {token!r}: {exc}") from None
    raise TargetError(f"unknown target condition {token!r}")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("threshold must be a finite number")
    return value


def _validate_condition(c: Condition, vintage: str | None) -> None:
    if c.kind not in CONDITION_KINDS:
        raise TargetError(f"unknown condition kind {c.kind!r}; expected one of {', '.join(CONDITION_KINDS)}")
    if c.op not in OPS:
        raise TargetError(f"unknown comparison {c.op!r}; expected one of {', '.join(OPS)}")
    if not math.isfinite(c.threshold):
        raise TargetError("thresholds must be finite numbers")
    if c.kind in ("indicator", "hotspot", "coldspot"):
        if c.indicator not in INDICATORS:
            raise TargetError(f"unknown indicator {c.indicator!r}")
        ind = INDICATORS[c.indicator]
        if vintage is not None and vintage not in ind.vintages:
            raise TargetError(f"indicator {ind.label!r} is not available for the {vintage} atlas")
        if c.kind == "indicator" and ind.kind == CATEGORY:
            raise TargetError(f"{ind.label!r} is a classification; use the 'rural' flag instead")
        if c.kind != "indicator" and (ind.kind != NUMERIC or ind.level != LSOA):
            raise TargetError(f"hot spots need a numeric LSOA indicator; {ind.label!r} is not one")
        if c.kind != "indicator" and c.confidence not in CONFIDENCES:
            raise TargetError(f"confidence must be one of {CONFIDENCES}, not {c.confidence}")
        if c.percentile and not 0 <= c.threshold <= 100:
            raise TargetError(f"a percentile must be between 0 and 100, not {_num(c.threshold)}")
    if c.kind == "upload" and not _NAME_RE.match(c.layer or ""):
        raise TargetError("an upload condition needs a layer name (letters, digits, spaces, .,()&'+- only)")


@dataclass
class TargetResult:
    """The target mask over the area's LSOAs, each condition's own mask, and a summary."""

    spec: TargetSpec
    mask: pd.Series
    condition_masks: dict[str, pd.Series]
    summary: dict
    warnings: list[str] = field(default_factory=list)


class _AreaValues:
    """An area's LSOAs and an indicator's values there, hashed by their content so that
    ``lru_cache`` can key the Gi* of a hot-spot condition on them (any frame of the same LSOAs
    and values hits, whichever page or session evaluates the target)."""

    __slots__ = ("atlas", "digest", "values")

    def __init__(self, atlas: gpd.GeoDataFrame, values: pd.Series):
        self.atlas, self.values = atlas, values
        h = hashlib.blake2b(digest_size=16)
        h.update(pd.util.hash_pandas_object(atlas[schema.LSOA_CODE], index=False).to_numpy().tobytes())
        h.update(np.ascontiguousarray(values.to_numpy(dtype=float)).tobytes())
        self.digest = h.digest()

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _AreaValues) and other.digest == self.digest


@lru_cache(maxsize=16)
def _hotspots(indicator: str, area: _AreaValues) -> hotspots.HotspotResult:
    return hotspots.gi_star(area.atlas, area.values, indicator_label=get(indicator).label)


def evaluate(spec: TargetSpec, atlas: gpd.GeoDataFrame,
             uploads: Mapping[str, pd.DataFrame] | None = None) -> TargetResult:
    """Evaluate ``spec`` over ``atlas`` (the chosen area's LSOAs; percentiles and hot spots are
    computed within it, the hot spots once per area and indicator in the process).
    ``uploads`` maps layer name -> frame with lsoa_code and value columns.
    A condition on an upload that is not loaded is skipped with a warning."""
    spec.validate()
    uploads = uploads or {}
    warnings: list[str] = []
    masks: dict[str, pd.Series] = {}
    for c in spec.conditions:
        label = c.describe()
        if c.kind == "coastal":
            m = atlas[schema.COASTAL].astype(bool)
        elif c.kind == "indicator":
            v = lsoa_view(atlas, c.indicator).astype(float)
            if c.percentile:
                ind = get(c.indicator)
                pool = v if ind.level == LSOA else values(atlas, c.indicator).astype(float)
                if pool.notna().sum() == 0:
                    warnings.append(f"No values for {ind.label} in this area: condition matches nothing.")
                    cut = np.inf
                else:
                    cut = float(np.nanpercentile(pool.to_numpy(float), c.threshold))
                label += f" (= {cut:.3g})"
            else:
                cut = c.threshold
            m = _compare(v, c.op, cut)
        elif c.kind in ("hotspot", "coldspot"):
            res = _hotspots(c.indicator, _AreaValues(atlas, values(atlas, c.indicator).astype(float)))
            strength = {90: 1, 95: 2, 99: 3}[c.confidence]
            gi = res.frame["gi_bin"]
            m = (gi >= strength) if c.kind == "hotspot" else (gi <= -strength)
            m = m.fillna(False).astype(bool)
        else:  # upload
            layer = uploads.get(c.layer)
            if layer is None:
                warnings.append(f"Uploaded layer '{c.layer}' is not loaded: its condition was skipped. "
                                "Upload the file again to apply it.")
                continue
            cols = [col for col in layer.columns if col != schema.LSOA_CODE]
            col = c.column or (cols[0] if cols else "")
            if col not in layer.columns:
                warnings.append(f"Uploaded layer '{c.layer}' has no column '{col}': condition skipped.")
                continue
            v = atlas[schema.LSOA_CODE].map(layer.set_index(schema.LSOA_CODE)[col]).astype(float)
            m = _compare(v.fillna(0.0) if c.op == "gt" and c.threshold == 0 else v, c.op, c.threshold)
        masks[label] = pd.Series(m, index=atlas.index).fillna(False).astype(bool)

    terms = list(masks.values())
    if spec.base == "core20":
        terms.insert(0, atlas[schema.CORE20].astype(bool))
    if not terms:
        mask = pd.Series(True, index=atlas.index)
    else:
        op = (lambda a, b: a & b) if spec.combine == "and" else (lambda a, b: a | b)
        mask = reduce(op, terms)
    mask = mask.rename("in_target")
    return TargetResult(spec, mask, masks, summarise(atlas, mask), warnings)


def _compare(v: pd.Series, op: str, cut: float) -> pd.Series:
    if op == "ge":
        return v >= cut
    if op == "le":
        return v <= cut
    return v > cut


def summarise(atlas: pd.DataFrame, mask: pd.Series) -> dict:
    """LSOA count and population of the target, and how much of it is Core20 or coastal."""
    sel = atlas[mask.to_numpy()]
    pop_all = float(atlas[schema.POPULATION].sum())
    pop = float(sel[schema.POPULATION].sum())
    return {
        "lsoas": int(len(sel)),
        "population": int(pop),
        "population_share": pop / pop_all if pop_all else 0.0,
        "core20_lsoas": int(sel[schema.CORE20].sum()),
        "core20_population": int(sel.loc[sel[schema.CORE20], schema.POPULATION].sum()),
        "coastal_lsoas": int(sel[schema.COASTAL].sum()),
        "area_lsoas": int(len(atlas)),
        "area_population": int(pop_all),
    }


def target_frame(atlas: gpd.GeoDataFrame, result: TargetResult) -> gpd.GeoDataFrame:
    """The target's LSOAs with the columns an analyst needs, plus one column per condition."""
    cols = [schema.LSOA_CODE, schema.LSOA_NAME, "lad_code", "lad_name", "icb_code", "icb_name",
            schema.IMD_DECILE, schema.CORE20, schema.COASTAL, schema.POPULATION, "geometry"]
    out = atlas.loc[result.mask.to_numpy(), [c for c in cols if c in atlas.columns]].copy()
    for i, (label, m) in enumerate(result.condition_masks.items(), start=1):
        out.insert(len(out.columns) - 1, f"condition_{i}", m[result.mask].to_numpy())
        out.attrs[f"condition_{i}"] = label
    return out.reset_index(drop=True)

