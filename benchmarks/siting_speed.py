"""Outreach siting speed: the largest ICB at k = 5, 10, 20 for MCLP and p-median.

Real atlas (IoD2025), candidates = GP practices and pharmacies located in the ICB, radius 3 km,
target Core20 (``--target all`` for every resident; ``--focus cancer`` etc. for a clinical focus).
For each run, best of ``--repeat``: ``total`` = `PlanResult.total_seconds` (the whole `siting.plan`:
area selection, target weights, candidate placement, cost matrix, reductions, solve, recount,
comparison with existing sites) and ``solver`` = `SitingResult.solve_seconds` (the optimiser alone:
`siting.mclp` reductions + CBC, or `siting.pmedian` bound + interchange + CBC). For reference the
same MCLP is also built and solved with spopt's dense model (``spopt.locate.MCLP.from_cost_matrix``)
on the unreduced matrix.

    python benchmarks/siting_speed.py [--target core20|all] [--focus FOCUS] [--repeat 2] [--no-spopt]

Results are also written to benchmarks/results/siting_speed.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import pulp
from spopt.locate import MCLP

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo_core20 import access, areas, atlas, siting  # noqa: E402


def _spopt_mclp(area, sites, k: int, radius: float, target: siting.Target) -> tuple[float, float]:
    weights = target.weights(area).to_numpy()
    keep = weights > 0
    cands = siting.sites_in_area(sites, area)
    cost = access.StraightLineCost().matrix(access.lsoa_points(area[keep]), access.site_points(cands))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model = MCLP.from_cost_matrix(cost, weights[keep], service_radius=radius, p_facilities=k)
        model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=300))
    return time.perf_counter() - t0, float(pulp.value(model.problem.objective))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=siting.TARGET_BASES, default="core20")
    parser.add_argument("--focus", default=None, help="clinical focus (e.g. cancer); default none")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--ks", default="5,10,20")
    parser.add_argument("--no-spopt", action="store_true", help="skip the spopt MCLP reference")
    args = parser.parse_args(argv)
    ks = [int(k) for k in args.ks.split(",")]
    target = siting.Target(args.target, focus=args.focus)

    frame = atlas.load_atlas("2025")
    sites = atlas.load_sites()
    typed = sites[sites["site_type"].isin(["gp", "pharmacy"])]
    counts = frame["icb_code"].value_counts()
    icb = str(counts.index[0])
    area = areas.select(frame, "icb", icb)
    weights = target.weights(area)
    n_cands = len(siting.sites_in_area(typed, area))
    print(f"Largest ICB: {areas.area_name(frame, 'icb', icb)} ({icb}): {len(area):,} LSOAs, "
          f"{int((weights > 0).sum()):,} demand LSOAs ({target.describe()}), "
          f"{n_cands:,} GP/pharmacy candidates, "
          f"radius 3 km; {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    rows = []
    print(f"{'objective':9s} {'k':>3s} {'total s':>8s} {'solver s':>8s} {'status':>8s} {'covered':>10s} "
          f"{'share':>6s} {'mean km':>7s} {'warnings':>8s}  reduced problem")
    for objective in siting.OBJECTIVES:
        for k in ks:
            best, solver, res = float("inf"), float("inf"), None
            for _ in range(max(1, args.repeat)):
                res = siting.plan("2025", "icb", icb, target, ("gp", "pharmacy"), 3.0, k, objective,
                                  atlas_frame=frame, sites_frame=sites, time_limit=300)
                best = min(best, res.total_seconds)
                solver = min(solver, res.solve_seconds)
            s = res.siting
            size = s.problem_size
            reduced = (f"{size.get('demand_rows_reduced', size['target_lsoas'])} x "
                       f"{size.get('candidates_reduced') or size.get('candidates_distinct', '')}")
            if objective == "pmedian":
                reduced = (f"{size['candidates_distinct']} distinct sites, Lagrangian gap "
                           f"{size.get('lagrangian_gap', 0):.1e}, "
                           f"MIP over {size.get('candidates_reduced', 0)}")
            print(f"{objective:9s} {k:3d} {best:8.2f} {solver:8.2f} {s.status:>8s} "
                  f"{s.covered_population:10,.0f} {s.covered_share:6.1%} {s.mean_cost / 1000:7.2f} "
                  f"{len(s.warnings):8d}  {reduced}")
            rows.append({"objective": objective, "k": k, "total_seconds": round(best, 3),
                         "solve_seconds": round(solver, 3), "status": s.status,
                         "covered_population": s.covered_population,
                         "total_target_population": s.total_target_population,
                         "mean_km": s.mean_cost / 1000, "problem_size": size})
    if not args.no_spopt:
        print("\nReference: spopt MCLP.from_cost_matrix on the unreduced matrix (build + CBC solve)")
        for k in ks:
            secs, value = _spopt_mclp(area, typed, k, 3_000.0, target)
            ours = next(r for r in rows if r["objective"] == "mclp" and r["k"] == k)
            same = "same optimum" if abs(value - ours["covered_population"]) < 1e-6 else "DIFFERENT optimum"
            print(f"mclp      {k:3d} {secs:8.2f}  spopt covered {value:,.0f} ({same})")
            rows.append({"objective": "mclp_spopt_reference", "k": k, "seconds": round(secs, 3),
                         "covered_population": value})
    out = ROOT / "benchmarks" / "results" / "siting_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"icb": icb, "target": target.key(), "rows": rows}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
