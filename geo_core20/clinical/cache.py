"""Build and load the per-LSOA clinical table, one parquet per atlas vintage.

``data/processed/clinical_<vintage>.parquet`` holds, per English LSOA of the vintage:
mid-2020 resident age bands (populations.BANDS), residents registered at a matched GP
practice (July 2022), the practice-to-LSOA QOF register estimates (qof.REGISTERS) and the
expected hypertension register. Vintage 2025 is on LSOA 2021 (converted from LSOA 2011),
vintage 2019 on LSOA 2011 (no conversion). Rebuilds are no-ops when inputs are unchanged.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import pandas as pd

from geo_core20 import atlas, schema, sources
from geo_core20.clinical import hypertension, populations, qof
from geo_core20.errors import DataError, NotBuiltError

BUILD_VERSION = "2"  # 2: HSE 2022 bands and rates, children's bands
INPUTS: dict[str, tuple[str, ...]] = {
    "2025": ("population20_lsoa11", "qof_practice_prevalence", "gp_registrations_lsoa11",
             "lookup_lsoa11_lsoa21", "census21_population", hypertension.DATASET_ID),
    "2019": ("population20_lsoa11", "qof_practice_prevalence", "gp_registrations_lsoa11",
             hypertension.DATASET_ID),
}
COUNT_COLUMNS = (*populations.BANDS, "registered_patients", *qof.REGISTERS, "expected_hyp")


def clinical_path(vintage: str, processed_dir: Path | None = None) -> Path:
    return (processed_dir or sources.PROCESSED_DIR) / f"clinical_{vintage}.parquet"


def _fingerprint(paths: list[Path]) -> str:
    h = hashlib.sha256((BUILD_VERSION + atlas._fingerprint(paths)).encode())
    for module in (populations, qof, hypertension):
        h.update(Path(module.__file__).read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def assemble(vintage: str, files) -> tuple[pd.DataFrame, dict]:
    """The clinical table of one vintage and a report (match counts, England totals)."""
    atlas._check_vintage(vintage)
    single = populations.read_single_year(files("population20_lsoa11"))
    pops11 = populations.bands(single[single.index.str.startswith("E01")])
    prevalence = qof.read_prevalence(files("qof_practice_prevalence"))
    registrations = qof.read_registrations(files("gp_registrations_lsoa11"))
    report = qof.match_report(prevalence, registrations).as_dict()
    regs11 = qof.lsoa11_registers(prevalence, registrations)
    unknown = regs11.index.difference(pops11.index)
    if len(unknown):  # registrations on LSOA 2011 codes the ONS estimates do not know
        raise DataError(f"registrations: {len(unknown)} English LSOA 2011 codes not in the population "
                        f"estimates, e.g. {unknown[0]}.")
    table11 = pops11.join(regs11, how="left").fillna(0.0)
    if vintage == "2025":
        weights = populations.lsoa11_to_lsoa21_weights(files("lookup_lsoa11_lsoa21"),
                                                       files("census21_population"))
        lost = table11.index.difference(weights["lsoa11_code"])
        if len(lost):
            raise DataError(f"LSOA 2011 -> 2021 lookup: no row for {len(lost)} English LSOA 2011, "
                            f"e.g. {lost[0]}.")
        table = populations.to_lsoa21(table11, weights)
    else:
        table = table11
    rates = hypertension.read_rates(files(hypertension.DATASET_ID))
    table["expected_hyp"] = hypertension.expected_register(table, rates)
    table.index.name = schema.LSOA_CODE
    table = table[list(COUNT_COLUMNS)].sort_index()
    if len(table) != schema.LSOA_COUNT[vintage]:
        raise DataError(f"clinical {vintage}: {len(table)} LSOAs, expected {schema.LSOA_COUNT[vintage]}.")
    report["england_totals"] = {c: round(float(table[c].sum()), 1) for c in COUNT_COLUMNS}
    report["source_population_england"] = float(pops11["pop_all"].sum())
    report["hse_rates"] = rates
    return table.reset_index(), report


def build_clinical(vintage: str, raw_dir: Path | None = None, boundaries_dir: Path | None = None,
                   processed_dir: Path | None = None, force: bool = False) -> tuple[Path, bool]:
    """Build ``clinical_<vintage>.parquet``; returns (path, rebuilt?). No-op when inputs are unchanged."""
    atlas._check_vintage(vintage)

    def files(dataset_id: str) -> Path:
        return atlas.input_path(dataset_id, raw_dir, boundaries_dir)

    target = clinical_path(vintage, processed_dir)
    fingerprint = _fingerprint([files(i) for i in INPUTS[vintage]])
    if not force and atlas._is_current(target, fingerprint):
        return target, False
    table, report = assemble(vintage, files)
    atlas.write_parquet({target: table}, fingerprint, {"vintage": vintage, "inputs": list(INPUTS[vintage]),
                                                      "report": report})
    _load_cached.cache_clear()
    return target, True


def build_report(vintage: str, processed_dir: Path | None = None) -> dict:
    """The match counts and England totals saved beside the cache at build time."""
    meta = atlas._meta_path(clinical_path(vintage, processed_dir))
    if not meta.exists():
        raise NotBuiltError(f"{meta} not built yet: run `python -m geo_core20 data build`.")
    return json.loads(meta.read_text())["report"]


@lru_cache(maxsize=4)
def _load_cached(vintage: str, processed: str) -> pd.DataFrame:
    path = clinical_path(vintage, Path(processed))
    if not path.exists():
        raise NotBuiltError(f"{path} not built yet: run `python -m geo_core20 data build`.")
    return pd.read_parquet(path).set_index(schema.LSOA_CODE)


def load_clinical(vintage: str, processed_dir: Path | None = None) -> pd.DataFrame:
    """The clinical table of one vintage, indexed by lsoa_code (cached; treat as read-only)."""
    atlas._check_vintage(vintage)
    return _load_cached(vintage, str(processed_dir or sources.PROCESSED_DIR))


def infer_vintage(codes: pd.Series, processed_dir: Path | None = None) -> str:
    """The vintage whose LSOAs include every code (2025 first; unchanged codes have equal values)."""
    for vintage in schema.VINTAGES:
        try:
            table = load_clinical(vintage, processed_dir)
        except NotBuiltError:
            continue
        if (table.index.get_indexer(codes) >= 0).all():  # (Series.isin on arrow strings is 100x slower)
            return vintage
    raise DataError("these LSOA codes match no built clinical table; run `python -m geo_core20 data build`.")


def for_atlas(atlas_frame: pd.DataFrame, vintage: str | None = None,
              processed_dir: Path | None = None) -> pd.DataFrame:
    """Clinical columns aligned row by row to ``atlas_frame`` (same index), joined on lsoa_code."""
    codes = atlas_frame[schema.LSOA_CODE]
    vintage = vintage or infer_vintage(codes, processed_dir)
    table = load_clinical(vintage, processed_dir)
    rows = table.index.get_indexer(codes)
    if (rows < 0).any():
        missing = codes[rows < 0]
        raise DataError(f"clinical {vintage}: no row for {len(missing)} LSOAs, e.g. {missing.iloc[0]}.")
    out = table.iloc[rows]
    out.index = atlas_frame.index
    return out
