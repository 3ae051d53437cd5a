"""Hot and cold spots of an LSOA indicator: Getis-Ord Gi* with permutation inference and FDR.

Method (stated to users by `method_note`):
- weights: queen contiguity (LSOAs sharing an edge or a corner), binary, each LSOA included in
  its own neighbourhood (the "star" in Gi*);
- inference: conditional permutations (esda), two-sided pseudo p-values;
- multiple testing: Benjamini-Hochberg false-discovery-rate adjustment over every LSOA tested;
- classes: hot / cold spot at 99, 95 or 90% confidence = FDR-adjusted p <= 0.01, 0.05, 0.10,
  the sign taken from the Gi* z-score.

Islands: an LSOA with no contiguous neighbour (the Isles of Scilly; or one cut off by the
chosen area's edge or by missing values around it) cannot be tested. We leave it out of the
test and label it "No neighbours" rather than invent a neighbour with a k-nearest fallback,
which would tie Scilly to Cornwall across 40 km of sea.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

DEFAULT_PERMUTATIONS = 999
DEFAULT_SEED = 2025
LEVELS = ((0.01, 99), (0.05, 95), (0.10, 90))  # (FDR-adjusted p threshold, confidence %)

HOT = {99: "Hot spot (99% confidence)", 95: "Hot spot (95% confidence)", 90: "Hot spot (90% confidence)"}
COLD = {99: "Cold spot (99% confidence)", 95: "Cold spot (95% confidence)", 90: "Cold spot (90% confidence)"}
NOT_SIGNIFICANT = "Not significant"
NO_NEIGHBOURS = "No neighbours"
NO_DATA = "No data"
CLASS_ORDER = (HOT[99], HOT[95], HOT[90], NOT_SIGNIFICANT, COLD[90], COLD[95], COLD[99],
               NO_NEIGHBOURS, NO_DATA)
"""Every label, hottest first; `gi_bin` is +3..-3 for the first seven, NaN for the last two.
The map layer colours them (``maps.palette.HOTSPOT_COLOURS``, in this order)."""

MIN_TESTED = 5  # fewer LSOAs than this cannot give a meaningful local statistic


@dataclass
class HotspotResult:
    """Gi* per LSOA (same index as the input) plus what the UI needs to explain it."""

    frame: pd.DataFrame  # value, z, p_sim, p_fdr, gi_bin, hotspot (label)
    method_note: str
    n_tested: int
    n_no_neighbours: int
    n_missing: int
    permutations: int
    seed: int
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> pd.Series:
        """Number of LSOAs per class label, in `CLASS_ORDER` (zeros kept)."""
        return self.frame["hotspot"].value_counts().reindex(list(CLASS_ORDER), fill_value=0)

    @property
    def n_hot(self) -> int:
        return int((self.frame["gi_bin"] > 0).sum())

    @property
    def n_cold(self) -> int:
        return int((self.frame["gi_bin"] < 0).sum())

    def no_spots_note(self) -> str | None:
        """Why the map shows no hot or cold colour, when LSOAs were tested and none is significant."""
        if self.n_tested == 0 or self.n_hot or self.n_cold:
            return None
        return (f"No significant hot or cold spots at this confidence: none of the {self.n_tested:,} LSOAs "
                f"tested reaches {min(c for _, c in LEVELS)}% confidence after the false-discovery-rate "
                f"correction, so every one is 'Not significant'. {smallest_p_text(self.permutations)} "
                "More permutations allow smaller p-values; a larger area gives more LSOAs to compare.")


def smallest_p(permutations: int, two_sided: bool = True) -> float:
    """The smallest pseudo p-value ``permutations`` permutations can give: 1/(permutations + 1),
    doubled for the two-sided test ``gi_star`` reports."""
    one_sided = 1.0 / (int(permutations) + 1)
    return 2.0 * one_sided if two_sided else one_sided


def smallest_p_text(permutations: int) -> str:
    """The smallest possible p-value for ``permutations``, in words (never rounded to 0.000)."""
    n = int(permutations)
    return (f"With {n:,} permutations the smallest possible pseudo p-value is 1/({n:,} + 1) = "
            f"{smallest_p(n, two_sided=False):.2g}, or {smallest_p(n):.2g} for the two-sided test used here.")


def benjamini_hochberg(pvalues: np.ndarray | pd.Series) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN stays NaN."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return out
    order = np.argsort(p[ok])
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    # step-up: the adjusted value is the running minimum from the largest p downwards
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    sub = np.empty(m)
    sub[order] = adjusted
    out[ok] = sub
    return out


def queen_weights(gdf: gpd.GeoDataFrame):
    """Queen contiguity weights over ``gdf`` rows (positional ids), warnings silenced:
    islands and disconnected parts are expected and handled by the caller."""
    from libpysal.weights import Queen  # local: libpysal/esda take seconds to import; only Gi* needs them

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Queen.from_dataframe(gdf, use_index=False, silence_warnings=True)


def classify(z: np.ndarray, p_fdr: np.ndarray) -> np.ndarray:
    """Gi bin +3..-3 (99/95/90% hot, not significant, 90/95/99% cold); NaN where untested."""
    z = np.asarray(z, dtype=float)
    p_fdr = np.asarray(p_fdr, dtype=float)
    bins = np.where(np.isfinite(p_fdr), 0.0, np.nan)
    for threshold, level in reversed(LEVELS):  # 90 first, then overwrite with 95, 99
        strength = {99: 3, 95: 2, 90: 1}[level]
        sig = np.isfinite(p_fdr) & (p_fdr <= threshold)
        bins = np.where(sig & (z > 0), strength, bins)
        bins = np.where(sig & (z < 0), -strength, bins)
    return bins


def _label(gi_bin: float) -> str:
    if np.isnan(gi_bin):
        return NO_DATA
    b = int(gi_bin)
    if b == 0:
        return NOT_SIGNIFICANT
    level = {3: 99, 2: 95, 1: 90}[abs(b)]
    return HOT[level] if b > 0 else COLD[level]


def gi_star(gdf: gpd.GeoDataFrame, values: pd.Series | np.ndarray | str, *,
            permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED,
            indicator_label: str = "the indicator", area_label: str = "the chosen area") -> HotspotResult:
    """Getis-Ord Gi* of ``values`` over the polygons of ``gdf`` (one row per LSOA).

    ``values`` is a column name of ``gdf`` or an array aligned with its rows. LSOAs with a
    missing value are left out (label "No data"); LSOAs with no contiguous neighbour among
    the rest are left out too (label "No neighbours"). Never raises on bad data: a result
    with nothing tested carries a warning instead.
    """
    from esda.getisord import G_Local  # local, as in queen_weights: ~10 s to import on a busy machine
    from libpysal.weights import w_subset

    y_all = (gdf[values] if isinstance(values, str) else pd.Series(np.asarray(values, dtype=float),
                                                                   index=gdf.index))
    y_all = pd.to_numeric(y_all, errors="coerce").astype(float)
    n = len(gdf)
    frame = pd.DataFrame({"value": y_all.to_numpy(), "z": np.nan, "p_sim": np.nan, "p_fdr": np.nan,
                          "gi_bin": np.nan}, index=gdf.index)
    notes: list[str] = []

    has_value = np.isfinite(frame["value"].to_numpy()) & ~gdf.geometry.is_empty.to_numpy() \
        & gdf.geometry.notna().to_numpy()
    valid_pos = np.flatnonzero(has_value)
    islands_pos = np.array([], dtype=int)
    tested_pos = valid_pos
    if len(valid_pos) >= MIN_TESTED:
        sub = gdf.iloc[valid_pos]
        w = queen_weights(sub)
        islands = sorted(w.islands)
        islands_pos = valid_pos[islands] if islands else np.array([], dtype=int)
        if islands:
            island_set = set(islands)
            keep = [i for i in range(len(valid_pos)) if i not in island_set]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w = w_subset(w, keep, silence_warnings=True)
            tested_pos = valid_pos[keep]
        y = frame["value"].to_numpy()[tested_pos]
        if len(tested_pos) < MIN_TESTED:
            notes.append(f"Only {len(tested_pos)} LSOAs have a value and a neighbour; at least "
                         f"{MIN_TESTED} are needed, so no hot spots were tested.")
            tested_pos = np.array([], dtype=int)
        elif np.nanstd(y) == 0:
            notes.append("Every LSOA has the same value, so there can be no hot or cold spots.")
            frame.iloc[tested_pos, frame.columns.get_loc("gi_bin")] = 0.0
        else:
            shift = -y.min() if y.min() < 0 else 0.0
            if shift:
                # Gi* divides by the sum of values, which must be positive; the z-score and
                # the permutation test are unchanged by adding a constant.
                notes.append("Values include negatives (e.g. a standardised score); they were shifted "
                             "to start at zero, which does not change Gi* z-scores.")
            w.transform = "B"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                g = G_Local(y + shift, w, transform="B", star=True, permutations=permutations,
                            seed=seed, n_jobs=1, keep_simulations=False)
            z = np.asarray(g.Zs, dtype=float)
            # esda folds its pseudo p to the observed tail; double it for a two-sided test
            p_sim = np.minimum(1.0, 2.0 * np.asarray(g.p_sim, dtype=float)) if permutations else \
                2.0 * np.asarray(g.p_norm, dtype=float)
            p_fdr = benjamini_hochberg(p_sim)
            cols = [frame.columns.get_loc(c) for c in ("z", "p_sim", "p_fdr", "gi_bin")]
            frame.iloc[tested_pos, cols] = np.column_stack([z, p_sim, p_fdr, classify(z, p_fdr)])
    else:
        notes.append(f"Only {len(valid_pos)} LSOAs have a value; at least {MIN_TESTED} are needed.")
        tested_pos = np.array([], dtype=int)

    labels = np.array([_label(b) for b in frame["gi_bin"].to_numpy()], dtype=object)
    if len(islands_pos):
        labels[islands_pos] = NO_NEIGHBOURS
    untested_valid = np.setdiff1d(valid_pos, np.concatenate([tested_pos, islands_pos]))
    labels[untested_valid] = NOT_SIGNIFICANT if len(tested_pos) else NO_DATA
    frame["hotspot"] = pd.Categorical(labels, categories=list(CLASS_ORDER))

    n_missing = int(n - len(valid_pos))
    result = HotspotResult(frame=frame, method_note="", n_tested=int(len(tested_pos)),
                           n_no_neighbours=int(len(islands_pos)), n_missing=n_missing,
                           permutations=permutations, seed=seed, warnings=notes)
    result.method_note = method_note(result, indicator_label=indicator_label, area_label=area_label)
    return result


def method_note(result: HotspotResult, indicator_label: str = "the indicator",
                area_label: str = "the chosen area") -> str:
    """Plain-English method statement to show beside a hot-spot map."""
    parts = [
        f"Getis-Ord Gi* hot-spot analysis of {indicator_label} across {result.n_tested:,} LSOAs in "
        f"{area_label}. Each LSOA's neighbourhood is itself plus the LSOAs that touch it (queen "
        "contiguity, binary weights).",
        f"Significance comes from {result.permutations:,} random permutations of the values (seed "
        f"{result.seed}, two-sided pseudo p-values), then a Benjamini-Hochberg false-discovery-rate "
        f"correction across all {result.n_tested:,} tests. Hot or cold spot at 99/95/90% confidence "
        "means an FDR-adjusted p-value of at most 0.01/0.05/0.10; hot = high values cluster, "
        f"cold = low values cluster. {smallest_p_text(result.permutations)} So 99% confidence after "
        "the correction needs many significant LSOAs (or more permutations).",
        "Results depend on the area analysed: LSOAs on its edge have fewer neighbours, and a "
        "cluster is relative to the area's own average.",
    ]
    if result.n_no_neighbours:
        parts.append(f"{result.n_no_neighbours:,} LSOA(s) with no neighbouring LSOA (e.g. the Isles "
                     "of Scilly, or cut off by the area edge) were not tested: shown as 'No neighbours'.")
    if result.n_missing:
        parts.append(f"{result.n_missing:,} LSOA(s) without a value were left out ('No data').")
    parts.extend(result.warnings)
    return " ".join(parts)
