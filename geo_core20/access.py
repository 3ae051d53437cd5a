"""Access to services: how far each LSOA's residents are from the nearest site.

Distances run from each LSOA's population-weighted centroid to site locations, in British
National Grid metres (straight line). Everything downstream (coverage, bands, siting) asks a
`CostModel` for costs, so a travel-time matrix (`ODMatrixCost`, e.g. a routing engine's output
uploaded as an origin-destination CSV) replaces straight-line distance without other changes.

Points are plain frames with columns ``code``, ``easting``, ``northing`` (`POINT_COLUMNS`);
`lsoa_points` and `site_points` make them from the atlas and the sites table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo_core20 import schema, uploads
from geo_core20.errors import AccessError

POINT_COLUMNS = ("code", "easting", "northing")
DEFAULT_BAND_EDGES_M = (1_000.0, 2_000.0, 5_000.0, 10_000.0)
"""Upper edges (metres) of the default distance bands: 0-1, 1-2, 2-5, 5-10, 10+ km."""

TargetMask = str | Callable[[pd.DataFrame], object] | pd.Series | np.ndarray | Sequence[float]
"""What `target_weights` takes: ``"core20"``, ``"all"``, a per-LSOA mask or weight (Series aligned
to the atlas, or array in atlas order), or a callable atlas -> mask/weight. (Plans use the richer
`geo_core20.siting.Target`: base, PLUS rule and clinical focus.)"""


# --- points --------------------------------------------------------------------------------------

def points(codes: Sequence[object] | pd.Series, easting: Sequence[float] | pd.Series,
           northing: Sequence[float] | pd.Series) -> pd.DataFrame:
    """A points frame (code, easting, northing) with a fresh RangeIndex."""
    out = pd.DataFrame({"code": np.asarray(codes, dtype=object),
                        "easting": np.asarray(easting, dtype=float),
                        "northing": np.asarray(northing, dtype=float)})
    return out


def lsoa_points(atlas: pd.DataFrame) -> pd.DataFrame:
    """LSOA population-weighted centroids as points (same row order as ``atlas``)."""
    _require(atlas, (schema.LSOA_CODE, schema.PWC_EASTING, schema.PWC_NORTHING), "atlas")
    return points(atlas[schema.LSOA_CODE], atlas[schema.PWC_EASTING], atlas[schema.PWC_NORTHING])


def site_points(sites: pd.DataFrame, code_column: str = "site_code") -> pd.DataFrame:
    """Sites (or candidates, with ``code_column="candidate_id"``) as points, same row order."""
    _require(sites, (code_column, "easting", "northing"), "sites")
    return points(sites[code_column], sites["easting"], sites["northing"])


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AccessError(f"{what} lacks column(s) {', '.join(missing)}")


def _xy(frame: pd.DataFrame, what: str) -> np.ndarray:
    _require(frame, ("easting", "northing"), what)
    xy = frame[["easting", "northing"]].to_numpy(dtype=float)
    if len(xy) and not np.isfinite(xy).all():
        raise AccessError(f"{what} has {int((~np.isfinite(xy)).any(axis=1).sum())} point(s) "
                          "without easting/northing")
    return xy


# --- cost models ---------------------------------------------------------------------------------

@runtime_checkable
class CostModel(Protocol):
    """Cost of travel from origins to destinations (both points frames).

    ``unit`` names the cost unit ("m" for metres, "min" for minutes); thresholds and band
    edges passed alongside a cost model are in that unit. Unreachable pairs cost ``inf``.
    """

    unit: str

    def matrix(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> np.ndarray:
        """Dense (n_origins, n_destinations) float matrix of costs."""
        ...

    def nearest(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Per origin: the least cost and the positional index of that destination (-1 if none)."""
        ...


@dataclass(frozen=True)
class StraightLineCost:
    """Euclidean distance in British National Grid metres (exact nearest via a k-d tree)."""

    unit: str = "m"

    def matrix(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> np.ndarray:
        a, b = _xy(origins, "origins"), _xy(destinations, "destinations")
        if not len(a) or not len(b):
            return np.zeros((len(a), len(b)))
        # explicit differences (not the dot-product trick) so that tiny distances stay exact
        dx = a[:, 0, None] - b[None, :, 0]
        dy = a[:, 1, None] - b[None, :, 1]
        return np.hypot(dx, dy)

    def nearest(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        a, b = _xy(origins, "origins"), _xy(destinations, "destinations")
        if not len(b):
            return np.full(len(a), np.inf), np.full(len(a), -1, dtype=np.int64)
        if not len(a):
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        dist, idx = cKDTree(b).query(a, k=1)
        return np.asarray(dist, dtype=float), np.asarray(idx, dtype=np.int64)


class ODMatrixCost:
    """Costs from an origin-destination table (e.g. drive or public-transport minutes).

    The table has one row per (origin_code, destination_code, cost); pairs not listed are
    unreachable (cost ``inf``). Origins and destinations are matched by their ``code``.
    """

    def __init__(self, table: pd.DataFrame, unit: str = "min", origin_column: str = "origin_code",
                 destination_column: str = "destination_code", cost_column: str = "cost") -> None:
        _require(table, (origin_column, destination_column, cost_column), "origin-destination table")
        od = pd.DataFrame({"origin": table[origin_column].astype(str).str.strip(),
                           "destination": table[destination_column].astype(str).str.strip(),
                           "cost": pd.to_numeric(table[cost_column], errors="coerce")})
        bad = od["cost"].isna() | ~np.isfinite(od["cost"]) | (od["cost"] < 0)
        if bad.any():
            rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:10])
            raise AccessError(f"origin-destination table: {int(bad.sum())} row(s) without a non-negative "
                              f"finite cost (file rows {rows}{'...' if bad.sum() > 10 else ''})")
        # a pair listed twice keeps its least cost (e.g. two routes); documented, not an error
        od = od.groupby(["origin", "destination"], as_index=False, sort=False)["cost"].min()
        self.table = od
        self.unit = unit

    @classmethod
    def from_csv(cls, path: str | Path, **kwargs: str) -> ODMatrixCost:
        return cls(pd.read_csv(path, dtype={"origin_code": str, "destination_code": str}), **kwargs)

    def matrix(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> np.ndarray:
        _require(origins, ("code",), "origins")
        _require(destinations, ("code",), "destinations")
        o = pd.Index(origins["code"].astype(str))
        d = pd.Index(destinations["code"].astype(str))
        if not o.is_unique or not d.is_unique:
            raise AccessError("origin and destination codes must be unique to look up travel costs")
        out = np.full((len(o), len(d)), np.inf)
        oi = o.get_indexer(self.table["origin"])
        di = d.get_indexer(self.table["destination"])
        keep = (oi >= 0) & (di >= 0)
        out[oi[keep], di[keep]] = self.table["cost"].to_numpy()[keep]
        return out

    def nearest(self, origins: pd.DataFrame, destinations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        m = self.matrix(origins, destinations)
        if m.shape[1] == 0:
            return np.full(m.shape[0], np.inf), np.full(m.shape[0], -1, dtype=np.int64)
        idx = np.argmin(m, axis=1)
        cost = m[np.arange(m.shape[0]), idx]
        idx = np.where(np.isfinite(cost), idx, -1)
        return cost, idx.astype(np.int64)


# --- origin-destination travel times from a user's file ------------------------------------------

OD_COLUMNS = {
    "origin": ("origin", "origincode", "originlsoa", "from", "lsoa", "lsoacode", "lsoa21cd", "lsoa11cd"),
    "destination": ("destination", "destinationcode", "destinationid", "to", "site", "sitecode",
                    "candidate", "candidateid", "venue", "venuecode"),
    "cost": ("minutes", "mins", "min", "cost", "time", "traveltime", "travelminutes", "duration"),
}
"""Accepted header names (compared loosely: case, spaces and punctuation ignored) of an OD file."""
_OD_WHAT = {"origin": "origin LSOA code", "destination": "destination site/candidate code",
            "cost": "travel time in minutes"}


def _rows_text(rows: Sequence[int], limit: int = 10) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return f"{shown} and {len(rows) - limit:,} more" if len(rows) > limit else shown


def read_od_csv(data: bytes, filename: str = "travel_times.csv", *, origins: Collection[str] | None = None,
                destinations: Collection[str] | None = None, unit: str = "min") -> ODMatrixCost:
    """An origin-destination travel-time file (CSV or Excel) as an `ODMatrixCost`.

    Three columns: origin LSOA code, destination site or candidate code, minutes (header names
    in `OD_COLUMNS`; a file without a header is read in that order). ``origins``/``destinations``,
    when given, are the codes the file may name (e.g. the vintage's LSOA codes and the candidate
    ids): any other code is an error naming it. Pairs not listed are unreachable; a pair listed
    twice keeps its least time. Raises ``uploads.UploadError`` with the rows and columns at fault.
    """
    table = uploads.read_upload(data, filename)
    frame = table.frame
    found: dict[str, str] = {}
    if table.has_header:
        by_key = {uploads.cells.key(c): c for c in frame.columns}
        for role, names in OD_COLUMNS.items():
            hit = next((by_key[n] for n in names if n in by_key), None)
            if hit is not None:
                found[role] = hit
    elif frame.shape[1] == 3:
        found = dict(zip(OD_COLUMNS, frame.columns, strict=True))
    missing = [r for r in OD_COLUMNS if r not in found]
    if missing:
        accepted = "; ".join(f"{_OD_WHAT[r]}: {', '.join(OD_COLUMNS[r][:4])}" for r in missing)
        raise uploads.UploadError(
            f"'{filename}' lacks a column for the {' and the '.join(_OD_WHAT[r] for r in missing)}. "
            f"Its columns are {', '.join(repr(str(c)) for c in frame.columns[:12])}. Name them, for example, "
            f"{accepted} (one row per origin LSOA and destination).")
    rejected = [e for e in table.errors if e.severity == "error"]
    if rejected:
        raise uploads.UploadError(f"'{filename}': {len(rejected):,} row(s) could not be read (rows "
                                  f"{_rows_text(sorted(e.row for e in rejected))}): {rejected[0].reason}.")
    uploads.columns.check_number_columns(table, [found["cost"]])
    rows = np.asarray(table.row_numbers)
    origin = frame[found["origin"]].astype(str).str.strip()
    destination = frame[found["destination"]].astype(str).str.strip()
    cost = uploads.parse_numbers(frame[found["cost"]])
    for role, values in (("origin", origin), ("destination", destination)):
        blank = (values == "").to_numpy()
        if blank.any():
            raise uploads.UploadError(f"'{filename}': {int(blank.sum()):,} row(s) have no {_OD_WHAT[role]} "
                                      "in "
                                      f"column '{found[role]}' (rows {_rows_text(rows[blank])}).")
    bad = (cost.isna() | (cost < 0)).to_numpy()
    if bad.any():
        first = frame[found["cost"]].to_numpy()[bad][0]
        raise uploads.UploadError(
            f"'{filename}': {int(bad.sum()):,} row(s) have no non-negative number of minutes in column "
            f"'{found['cost']}' (rows {_rows_text(rows[bad])}; e.g. {str(first)[:40]!r}).")
    for role, values, known in (("origin", origin, origins), ("destination", destination, destinations)):
        if known is None:
            continue
        unknown = ~values.isin(set(map(str, known))).to_numpy()
        if unknown.any():
            codes = list(dict.fromkeys(values[unknown]))
            raise uploads.UploadError(
                f"'{filename}': {len(codes):,} {_OD_WHAT[role]}(s) in column '{found[role]}' are not known "
                "here: "
                f"{', '.join(repr(c[:40]) for c in codes[:8])}{' ...' if len(codes) > 8 else ''} "
                f"(rows {_rows_text(rows[unknown])}). "
                + ("Origins must be LSOA codes of the chosen vintage." if role == "origin" else
                   "Destinations must be the codes of the candidate or open sites."))
    return ODMatrixCost(pd.DataFrame({"origin_code": origin.to_numpy(),
                                      "destination_code": destination.to_numpy(),
                                      "cost": cost.to_numpy()}), unit=unit)


def format_cost(value: float | None, unit: str = "m", *, decimals: int | None = None,
                missing: str = "unreachable") -> str:
    """A cost, radius or distance for people, in the cost unit: metres as km ('3 km', '2.5 km'),
    any other unit as it is ('15 min'). ``decimals`` fixes the places (default: as short as exact);
    a missing or infinite value gives ``missing``. The one formatter of costs in the app and exports."""
    if value is None or not np.isfinite(value):
        return missing
    number, suffix = (value / 1000, "km") if unit == "m" else (value, unit)
    return f"{number:g} {suffix}" if decimals is None else f"{number:.{decimals}f} {suffix}"


def km_to_cost(cost_model: CostModel, km: float) -> float:
    """A threshold given in km in the cost model's unit (only defined for metres)."""
    if cost_model.unit != "m":
        raise AccessError(f"a threshold in km needs a distance cost model; this one is in {cost_model.unit}")
    return float(km) * 1000.0


# --- target population ---------------------------------------------------------------------------

def target_weights(atlas: pd.DataFrame, target: TargetMask = "core20") -> pd.Series:
    """Target population per LSOA: the target mask (or 0-1 weight) times the LSOA population.

    ``target`` is "core20" (national IMD deciles 1-2), "all", a boolean/float Series aligned to
    ``atlas`` (by index), an array in atlas row order, or a callable atlas -> either.
    """
    pop = atlas[schema.POPULATION].astype(float)
    if isinstance(target, str):
        if target == "core20":
            factor = atlas[schema.CORE20].astype(float)
        elif target == "all":
            factor = pd.Series(1.0, index=atlas.index)
        else:
            raise AccessError(f"unknown target {target!r}; use 'core20', 'all', a mask or a callable")
    else:
        value = target(atlas) if callable(target) else target
        if isinstance(value, pd.Series):
            if not value.index.equals(atlas.index):
                if len(value.index.difference(atlas.index)) or len(atlas.index.difference(value.index)):
                    raise AccessError("target mask is not aligned with the atlas rows")
                value = value.reindex(atlas.index)
            factor = value.astype(float)
        else:
            arr = np.asarray(value, dtype=float)
            if arr.shape != (len(atlas),):
                raise AccessError(f"target mask has shape {arr.shape}; expected ({len(atlas)},)")
            factor = pd.Series(arr, index=atlas.index)
    factor = factor.fillna(0.0)
    if ((factor < 0) | (factor > 1)).any():
        raise AccessError("target weights must lie between 0 and 1 (a mask or a share of population)")
    return (pop * factor).rename("target_population")


# --- access analysis -----------------------------------------------------------------------------

def nearest_site(atlas: pd.DataFrame, sites: pd.DataFrame,
                 cost_model: CostModel | None = None) -> pd.DataFrame:
    """Per LSOA (atlas row order): the nearest site and its cost.

    Columns lsoa_code, site_code, site_name, site_type, cost (in ``cost_model.unit``) and,
    for distances, distance_km. LSOAs with no reachable site get cost ``inf`` and no site.
    """
    model = cost_model or StraightLineCost()
    cost, idx = model.nearest(lsoa_points(atlas), site_points(sites))
    has = idx >= 0
    out = pd.DataFrame({"lsoa_code": atlas[schema.LSOA_CODE].to_numpy()}, index=atlas.index)
    for col in ("site_code", "site_name", "site_type"):
        values = sites[col].to_numpy(dtype=object) if col in sites.columns else np.full(len(sites), None)
        col_out = np.full(len(atlas), None, dtype=object)
        col_out[has] = values[idx[has]]
        out[col] = col_out
    out["cost"] = cost
    if model.unit == "m":
        out["distance_km"] = cost / 1000.0
    return out


@dataclass(frozen=True)
class Coverage:
    """How much of the target population lives within the threshold of a site."""

    threshold: float
    unit: str
    target_population: float
    covered_population: float
    target_lsoas: int
    covered_lsoas: int

    @property
    def uncovered_population(self) -> float:
        return self.target_population - self.covered_population

    @property
    def covered_share(self) -> float:
        return self.covered_population / self.target_population if self.target_population else 0.0

    def to_dict(self) -> dict:
        return {"threshold": self.threshold, "unit": self.unit,
                "target_population": self.target_population,
                "covered_population": self.covered_population,
                "uncovered_population": self.uncovered_population,
                "covered_share": self.covered_share,
                "target_lsoas": self.target_lsoas, "covered_lsoas": self.covered_lsoas}

    @classmethod
    def from_dict(cls, data: dict) -> Coverage:
        """Inverse of `to_dict` (derived figures are recomputed, not read)."""
        threshold = data.get("threshold")
        return cls(math.inf if threshold is None else float(threshold), str(data.get("unit", "m")),
                   float(data.get("target_population") or 0.0), float(data.get("covered_population") or 0.0),
                   int(data.get("target_lsoas") or 0), int(data.get("covered_lsoas") or 0))


def coverage(costs: np.ndarray | pd.Series, weights: np.ndarray | pd.Series, threshold: float,
             unit: str = "m") -> Coverage:
    """Target population with nearest cost <= ``threshold`` (a cost exactly at it counts as covered)."""
    c = np.asarray(costs, dtype=float)
    w = np.asarray(weights, dtype=float)
    if c.shape != w.shape:
        raise AccessError(f"costs {c.shape} and weights {w.shape} differ in length")
    target = w > 0
    covered = target & (c <= threshold)
    return Coverage(float(threshold), unit, float(w[target].sum()), float(w[covered].sum()),
                    int(target.sum()), int(covered.sum()))


def uncovered_lsoas(atlas: pd.DataFrame, nearest: pd.DataFrame, weights: pd.Series,
                    threshold: float) -> pd.DataFrame:
    """Target LSOAs whose nearest site is beyond ``threshold``, farthest first."""
    w = pd.Series(np.asarray(weights, dtype=float), index=atlas.index)
    keep = (w > 0) & (nearest["cost"] > threshold)
    cols = [c for c in (schema.LSOA_CODE, schema.LSOA_NAME, "lad_name", schema.IMD_DECILE)
            if c in atlas.columns]
    out = atlas.loc[keep, cols].copy()
    out["target_population"] = w[keep]
    out["nearest_site_code"] = nearest.loc[keep, "site_code"]
    out["nearest_site_name"] = nearest.loc[keep, "site_name"]
    out["cost"] = nearest.loc[keep, "cost"]
    if "distance_km" in nearest.columns:
        out["distance_km"] = nearest.loc[keep, "distance_km"]
    return out.sort_values(["cost", "target_population"], ascending=[False, False]).reset_index(drop=True)


def band_labels(edges: Sequence[float], unit: str = "m") -> list[str]:
    """Human labels of bands with these upper edges: '0-1 km', '1-2 km', ..., '10+ km'."""
    if unit == "m":
        vals = [e / 1000 for e in edges]
        suffix = " km"
    else:
        vals = list(edges)
        suffix = f" {unit}"
    lows = [0.0, *vals]
    labels = [f"{_num(lo)}-{_num(hi)}{suffix}" for lo, hi in zip(lows[:-1], vals, strict=True)]
    labels.append(f"{_num(vals[-1])}+{suffix}" if vals else f"any{suffix}")
    return labels


def _num(x: float) -> str:
    return f"{x:g}"


def distance_bands(costs: np.ndarray | pd.Series, weights: np.ndarray | pd.Series,
                   edges: Sequence[float] = DEFAULT_BAND_EDGES_M, unit: str = "m") -> pd.DataFrame:
    """Target population per cost band (bands closed on the right: 1 km exactly is '0-1 km').

    Columns band, upper (edge in cost units, inf for the last), lsoas, target_population,
    share, cumulative_share. Unreachable LSOAs (cost inf) fall in the last band.
    """
    e = [float(x) for x in edges]
    if any(b <= a for a, b in zip(e, e[1:], strict=False)) or any(x <= 0 for x in e):
        raise AccessError("band edges must be positive and increasing")
    c = np.asarray(costs, dtype=float)
    w = np.asarray(weights, dtype=float)
    target = w > 0
    # band index: number of edges strictly below the cost -> (lo, hi] bands
    band = np.searchsorted(np.asarray(e), c, side="left")
    labels = band_labels(e, unit)
    total = float(w[target].sum())
    rows = []
    for b, label in enumerate(labels):
        sel = target & (band == b)
        pop = float(w[sel].sum())
        rows.append({"band": label, "upper": e[b] if b < len(e) else np.inf, "lsoas": int(sel.sum()),
                     "target_population": pop, "share": pop / total if total else 0.0})
    out = pd.DataFrame(rows)
    out["cumulative_share"] = out["share"].cumsum()
    return out


def weighted_mean_cost(costs: np.ndarray | pd.Series, weights: np.ndarray | pd.Series) -> float:
    """Population-weighted mean cost: sum(weight x cost) / sum(weight), over LSOAs with weight > 0.

    ``inf`` when a weighted LSOA cannot reach any site; NaN when there is no weight at all.
    """
    c = np.asarray(costs, dtype=float)
    w = np.asarray(weights, dtype=float)
    if c.shape != w.shape:
        raise AccessError(f"costs {c.shape} and weights {w.shape} differ in length")
    target = w > 0
    total = float(w[target].sum())
    if not total:
        return math.nan
    if not np.isfinite(c[target]).all():
        return math.inf
    return float((w[target] * c[target]).sum() / total)


@dataclass
class AccessResult:
    """Everything the access view shows, from one call."""

    nearest: pd.DataFrame
    weights: pd.Series
    coverage: Coverage
    uncovered: pd.DataFrame
    bands: pd.DataFrame

    @property
    def mean_cost(self) -> float:
        """Target-population-weighted mean cost to the nearest site (see `weighted_mean_cost`)."""
        return weighted_mean_cost(self.nearest["cost"], self.weights)


def weighted_mean_distance(result: AccessResult | np.ndarray | pd.Series,
                           weights: np.ndarray | pd.Series | None = None) -> float:
    """Target-population-weighted mean cost to the nearest site, in the cost unit (metres by default).

    Either an `AccessResult`, or nearest costs and their weights (``weighted_mean_cost``).
    """
    if isinstance(result, AccessResult):
        return result.mean_cost
    if weights is None:
        raise AccessError("weighted_mean_distance needs weights alongside costs")
    return weighted_mean_cost(result, weights)


def analyse(atlas: pd.DataFrame, sites: pd.DataFrame, target: TargetMask = "core20",
            threshold: float = 3_000.0,
            cost_model: CostModel | None = None,
            band_edges: Sequence[float] = DEFAULT_BAND_EDGES_M,
            weights: pd.Series | None = None) -> AccessResult:
    """Nearest site, coverage within ``threshold``, uncovered target LSOAs and distance bands.

    ``atlas`` is the area's LSOAs; ``sites`` should not be clipped to the area (people cross
    boundaries to reach services). Threshold and band edges are in the cost model's unit.
    ``weights`` (target population per LSOA, aligned to ``atlas``) overrides ``target``.
    """
    model = cost_model or StraightLineCost()
    if weights is None:
        weights = target_weights(atlas, target)
    else:
        weights = pd.Series(np.asarray(weights, dtype=float), index=atlas.index, name="target_population")
    near = nearest_site(atlas, sites, model)
    cov = coverage(near["cost"], weights, threshold, model.unit)
    return AccessResult(near, weights, cov, uncovered_lsoas(atlas, near, weights, threshold),
                        distance_bands(near["cost"], weights, band_edges, model.unit))
