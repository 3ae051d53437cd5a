"""Routing and time-based siting speed: Valhalla on Rutland, p-median on the Devon matrices.

1. Rutland (the mirror's OpenStreetMap extract): building Valhalla's tiles from scratch, then an
   OD matrix of Rutland's 26 LSOA population-weighted centroids to its GP practices and pharmacies
   per mode, reported as seconds per 1,000 pairs; Oakham (Rutland 003B) to The Uppingham Surgery
   in minutes per mode.
2. Devon (HSMA car and public-transport matrices, 4 centres fixed, residents aged 50-84): the
   planner's p-median for k = 1..4 new sites against an exhaustive search over the 14 candidates
   (itertools.combinations), in the same run: mean minutes and the time ratio exhaustive / solver.

    python benchmarks/routing_speed.py [--repeat 3]

Results are also written to benchmarks/results/routing_speed.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo_core20 import areas, atlas, plan_files, routing, schema, siting  # noqa: E402

OAKHAM_LSOA, UPPINGHAM_SURGERY = "E01013799", "C82077"


def _rutland(full: pd.DataFrame, repeat: int) -> dict:
    pbf = atlas.input_path("osm_rutland")
    area = areas.select(full, "lad", "E06000017")
    sites = atlas.load_sites()
    sites = siting.sites_in_area(sites[sites["site_type"].isin(["gp", "pharmacy"])], area)
    src = area[[schema.PWC_LON, schema.PWC_LAT]].to_numpy()
    dst = sites[["lon", "lat"]].to_numpy()
    builds = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            routing.build_tiles(pbf, tmp)
            builds.append(time.perf_counter() - t0)
    with tempfile.TemporaryDirectory() as tmp:
        router = routing.Router(routing.build_tiles(pbf, tmp))
        pairs = len(src) * len(dst)
        out = {"tile_build_s": round(min(builds), 3), "pbf_mb": round(pbf.stat().st_size / 2**20, 2),
               "lsoas": len(src), "sites": len(dst), "pairs": pairs, "modes": {}}
        o = int(np.flatnonzero(area[schema.LSOA_CODE].to_numpy() == OAKHAM_LSOA)[0])
        d = int(np.flatnonzero(sites["site_code"].to_numpy() == UPPINGHAM_SURGERY)[0])
        for mode in routing.MODES:
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                m = router.matrix(src, dst, mode)
                times.append(time.perf_counter() - t0)
            out["modes"][mode] = {"matrix_s": round(min(times), 3),
                                  "s_per_1000_pairs": round(min(times) / pairs * 1000, 3),
                                  "routed_share": round(float(np.isfinite(m).mean()), 4),
                                  "oakham_to_uppingham_min": round(float(m[o, d]), 1)}
    return out


def _exhaustive(m: np.ndarray, w: np.ndarray, fixed: list[int], cands: list[int], k: int) -> float:
    base = m[:, fixed].min(axis=1)
    return min(float((w * np.minimum(base, m[:, list(c)].min(axis=1))).sum() / w.sum())
               for c in itertools.combinations(cands, k))


def _devon(full: pd.DataFrame, repeat: int) -> dict:
    def read(dataset_id: str) -> tuple[bytes, str]:
        path = atlas.input_path(dataset_id)
        return path.read_bytes(), path.name

    sites = plan_files.read_sites_file(*read("hsma_devon_sites"), full)
    demand = plan_files.read_demand(*read("hsma_devon_demand"), "MF50-84", full)
    area = areas.select(full, "icb", "E54000037")
    codes = area[schema.LSOA_CODE].astype(str)
    w = codes.map(demand.values).fillna(0.0).to_numpy(float)
    ids = sites.candidates["candidate_id"].tolist()
    fixed = [ids.index(i) for i in sites.existing_ids]
    cands = [j for j in range(len(ids)) if j not in fixed]
    out = {}
    for label, dataset_id in (("car", "hsma_devon_car"), ("public_transport", "hsma_devon_pt")):
        tt = plan_files.read_travel_times(*read(dataset_id), full, sites=sites.candidates)
        m = tt.cost.matrix(pd.DataFrame({"code": codes}), pd.DataFrame({"code": ids}))
        rows = []
        for k in range(1, 5):
            best_solver, best_plan, best_exh = np.inf, np.inf, np.inf
            for _ in range(repeat):
                res = siting.plan("2025", "icb", "E54000037", site_types=(), k=k, objective="pmedian",
                                  candidates=sites.candidates, fixed_site_codes=sites.existing_ids,
                                  cost_model=tt.cost, threshold=30.0, atlas_frame=full, demand=demand.values)
                best_solver = min(best_solver, res.siting.solve_seconds)
                best_plan = min(best_plan, res.total_seconds or np.inf)
                t0 = time.perf_counter()
                want = _exhaustive(m, w, fixed, cands, k)
                best_exh = min(best_exh, time.perf_counter() - t0)
            s = res.siting
            rows.append({"k": k, "combinations": len(list(itertools.combinations(cands, k))),
                         "mean_min": round(s.mean_cost, 3), "exhaustive_mean_min": round(want, 3),
                         "equal": bool(abs(s.mean_cost - want) <= 1e-9 * want),
                         "p90_min": round(s.p90_cost, 1), "max_min": round(s.max_cost, 1),
                         "chosen": list(s.chosen["candidate_id"]),
                         "solver_s": round(best_solver, 4), "plan_s": round(best_plan, 3),
                         "exhaustive_s": round(best_exh, 4),
                         "exhaustive_over_solver": round(best_exh / max(best_solver, 1e-6), 2)})
        out[label] = {"unreachable_cells": tt.unreachable_cells, "cells": tt.cells, "k": rows}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    args = parser.parse_args(argv)
    if not routing.engine_available():
        print("the Valhalla routing engine is not installed: pip install -r requirements.txt",
              file=sys.stderr)
        return 1
    full = atlas.load_atlas("2025")
    results = {"python": platform.python_version(), "rutland": _rutland(full, args.repeat),
               "devon": _devon(full, args.repeat)}
    r = results["rutland"]
    print(f"Rutland: tiles built in {r['tile_build_s']:.2f} s from a {r['pbf_mb']} MB extract; "
          f"{r['lsoas']} LSOAs x {r['sites']} sites = {r['pairs']} pairs")
    for mode, v in r["modes"].items():
        print(f"  {mode:8s} matrix {v['matrix_s']:.3f} s = {v['s_per_1000_pairs']:.3f} s per 1,000 pairs; "
              f"routed {v['routed_share']:.1%}; Oakham -> Uppingham {v['oakham_to_uppingham_min']} min")
    for label, v in results["devon"].items():
        print(f"Devon {label} ({v['unreachable_cells']} of {v['cells']} cells unreachable): "
              "p-median vs exhaustive")
        for row in v["k"]:
            print(f"  k={row['k']}: mean {row['mean_min']:.2f} min "
                  f"(exhaustive {row['exhaustive_mean_min']:.2f}, "
                  f"{'equal' if row['equal'] else 'DIFFERENT'}), p90 {row['p90_min']}, max {row['max_min']}; "
                  f"solver {row['solver_s'] * 1000:.1f} ms vs exhaustive {row['exhaustive_s'] * 1000:.1f} ms "
                  f"over {row['combinations']} sets = x{row['exhaustive_over_solver']}")
    out = ROOT / "benchmarks" / "results" / "routing_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    ok = all(row["equal"] for v in results["devon"].values() for row in v["k"])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
