"""Command line: ``python -m geo_core20 {data fetch|data build|summary|plan|focus|change|export-map|
report|assets}`` (see README.md)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from geo_core20 import schema, siting, sources
from geo_core20.safety import csv_safe_frame


def _fetch(args: argparse.Namespace) -> int:
    from geo_core20 import fetch

    mirrors = [Path(m) for m in args.mirror] or fetch.default_mirrors()
    datasets = [sources.get(i) for i in args.only] if args.only else list(sources.MANIFEST)
    results = fetch.fetch_all(datasets, mirrors, allow_download=not args.no_download,
                              progress=sys.stderr.isatty())
    missing = [r for r in results if not r.ok]
    for r in results:
        shown = r.path if r.status in ("present", "copied", "downloaded") else r.message
        print(f"{r.status:10s} {r.dataset_id:22s} {shown}")
    counts = {s: sum(r.status == s for r in results)
              for s in ("present", "copied", "downloaded", "missing", "optional")}
    print(", ".join(f"{n} {s}" for s, n in counts.items()))
    return 1 if missing else 0


def _build(args: argparse.Namespace) -> int:
    from geo_core20 import atlas
    from geo_core20.readers import DataError

    vintages = args.vintage or list(schema.VINTAGES)
    try:
        for vintage in vintages:
            t0 = time.perf_counter()
            path, rebuilt = atlas.build_atlas(vintage, force=args.force)
            state = "built" if rebuilt else "up to date"
            print(f"atlas {vintage}: {state} {path} ({time.perf_counter() - t0:.1f} s)")
        t0 = time.perf_counter()
        path, rebuilt = atlas.build_sites(force=args.force)
        print(f"sites: {'built' if rebuilt else 'up to date'} {path} ({time.perf_counter() - t0:.1f} s)")
        for step in _extra_build_steps():
            t0 = time.perf_counter()
            message = step(force=args.force, vintages=vintages)
            print(f"{message} ({time.perf_counter() - t0:.1f} s)")
    except (DataError, FileNotFoundError) as exc:
        print(f"error: {exc}\nThe previous atlas (if any) was left in place.", file=sys.stderr)
        return 2
    return 0


def _extra_build_steps():
    """Derived caches other modules need (postcode index, national map assets)."""
    from geo_core20 import build_steps

    return build_steps.STEPS


def _summary(args: argparse.Namespace) -> int:
    from geo_core20 import areas, atlas

    try:
        frame = areas.summary(atlas.load_atlas(args.vintage), args.level)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _write_table(frame, args)


def _write_table(frame, args: argparse.Namespace) -> int:
    """One row per area as JSON records or formula-safe CSV, to --output or stdout."""
    if args.format == "json":
        text = frame.to_json(orient="records", indent=1, double_precision=15) + "\n"
    else:
        text = csv_safe_frame(frame).to_csv(index=False, lineterminator="\n")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _focus(args: argparse.Namespace) -> int:
    from geo_core20 import atlas, clinical

    try:
        clinical.check_focus(args.focus)
        frame = clinical.focus_summary(atlas.load_atlas(args.vintage), args.focus, args.level)
    except clinical.UnknownFocus as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _write_table(frame, args)


def _change(args: argparse.Namespace) -> int:
    from geo_core20 import change

    try:
        frame = change.change_table(args.level)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _write_table(frame, args)


def _export_map(args: argparse.Namespace) -> int:
    from geo_core20.exports import ExportError, static_map

    try:
        path = static_map.export_map(args.vintage, args.level, args.area, args.out, args.shade,
                                     core20_outline=not args.no_core20)
    except (ExportError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from geo_core20.exports import ExportError, report

    try:
        plan = None if args.no_plan else (args.plan or "latest")
        path = report.write_report(args.vintage, args.level, args.area, args.format, args.out,
                                   shade=args.shade, focus=args.focus, plan=plan)
    except (ExportError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


def _assets(args: argparse.Namespace) -> int:
    from geo_core20.maps import assets

    assets.install_static()
    return 0


# --- plan --------------------------------------------------------------------------------------------

def _plan_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``python -m geo_core20 plan`` (`plans.cli_command` writes them back)."""
    parser.add_argument("--vintage", choices=schema.VINTAGES, default=schema.DEFAULT_VINTAGE)
    parser.add_argument("--level", choices=schema.LEVELS, default="icb")
    parser.add_argument("--area", dest="area_code", help="area code, e.g. E54000008 (not needed for england)")
    parser.add_argument("--target", choices=siting.TARGET_BASES, default="core20",
                        help="target population base (default core20)")
    parser.add_argument("--target-conditions", metavar="TOKENS",
                        help="PLUS conditions as in the app's share link, comma-separated (e.g. coastal)")
    parser.add_argument("--combine", choices=("and", "or"), default="and",
                        help="how --target-conditions combine with the base")
    parser.add_argument("--focus", metavar="FOCUS",
                        help="clinical focus: demand = its population in the target LSOAs "
                             "(maternity, smi, respiratory, cancer, hypertension; default none)")
    parser.add_argument("--sites", default="gp,pharmacy",
                        help=f"site types, comma-separated, from {','.join(schema.SITE_TYPES)}")
    parser.add_argument("--radius-km", type=float, default=3.0, help="coverage radius in km (default 3)")
    parser.add_argument("--k", type=int, default=5, help="number of sites to choose (default 5)")
    parser.add_argument("--objective", choices=siting.OBJECTIVES, default="mclp")
    parser.add_argument("--candidates", choices=("sites", "lsoa"), default="sites",
                        help="candidate locations: existing sites of --sites types in the area, "
                             "or LSOA centroids")
    parser.add_argument("--fixed", default="", help="site codes already open, comma-separated")
    parser.add_argument("--curve", type=int, default=0, metavar="K",
                        help="also solve k = 0..K (coverage for MCLP, mean distance for p-median)")
    parser.add_argument("--time-limit", type=float, default=siting.DEFAULT_TIME_LIMIT,
                        help="solver seconds per solve")
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--details", action="store_true",
                        help="json: include per-LSOA assignment and per-site figures")
    parser.add_argument("--output", help="write to this file instead of standard output")


def _plan(args: argparse.Namespace) -> int:
    """Run ``plan``; print JSON or CSV. Exit code 0, or 2 on bad input."""
    site_types = tuple(t.strip() for t in (args.sites or "").split(",") if t.strip())
    fixed = tuple(c.strip() for c in (args.fixed or "").split(",") if c.strip())
    tty = sys.stderr.isatty()

    def report(fraction: float, message: str) -> None:
        if tty:
            sys.stderr.write(f"\r{fraction:4.0%} {message[:70]:70s}")

    try:
        target = siting.target_from_text(args.target, args.target_conditions, args.combine, args.focus)
        result = siting.plan(args.vintage, args.level, args.area_code, target, site_types, args.radius_km,
                             args.k, args.objective, args.candidates, fixed, args.curve or None,
                             args.time_limit, report)
    except (ValueError, FileNotFoundError) as exc:  # SitingError, TargetError, AreaError, DataError...
        print(f"{chr(10) if tty else ''}error: {exc}", file=sys.stderr)
        return 2
    if tty:
        sys.stderr.write("\n")
    if args.format == "json":
        data = result.to_dict() if args.details else result.summary()
        if not args.details and result.curve is not None:
            data["curve"] = siting.common.json_records(result.curve)
        text = json.dumps(data, indent=1) + "\n"
    else:
        text = siting.plan_csv(result)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo_core20",
                                     description="Core20PLUS5 atlas: data, summaries and plans.")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="fetch and build the data caches")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    fetch = data_sub.add_parser("fetch", help="copy inputs from a mirror or download them")
    fetch.add_argument("--mirror", action="append", default=[], metavar="DIR",
                       help="mirror folder (repeatable); default: $GEO_CORE20_MIRROR")
    fetch.add_argument("--only", nargs="+", metavar="ID", help="dataset ids to fetch")
    fetch.add_argument("--no-download", action="store_true", help="never download from the internet")
    fetch.set_defaults(func=_fetch)
    build = data_sub.add_parser("build", help="build the LSOA atlases, sites and derived caches")
    build.add_argument("--vintage", action="append", choices=schema.VINTAGES)
    build.add_argument("--force", action="store_true", help="rebuild even if inputs are unchanged")
    build.set_defaults(func=_build)

    summary = sub.add_parser("summary", help="Core20 summary per area")
    summary.add_argument("--vintage", choices=schema.VINTAGES, default=schema.DEFAULT_VINTAGE)
    summary.add_argument("--level", choices=schema.LEVELS, default="icb")
    summary.add_argument("--format", choices=("csv", "json"), default="csv")
    summary.add_argument("--output", help="write to this file instead of standard output")
    summary.set_defaults(func=_summary)

    focus = sub.add_parser("focus", help="clinical focus (the '5') per area: target population and measures")
    focus.add_argument("--vintage", choices=schema.VINTAGES, default=schema.DEFAULT_VINTAGE)
    focus.add_argument("--level", choices=schema.LEVELS, default="icb")
    focus.add_argument("--focus", required=True, metavar="FOCUS",
                       help="adults: maternity, smi, respiratory, cancer, hypertension; children and young "
                            "people: cyp_asthma, cyp_diabetes, cyp_epilepsy, cyp_oral, cyp_mental")
    focus.add_argument("--format", choices=("csv", "json"), default="csv")
    focus.add_argument("--output", help="write to this file instead of standard output")
    focus.set_defaults(func=_focus)

    change = sub.add_parser("change", help="Core20 then and now: IMD2019 (LSOA 2011) to IoD2025 (LSOA 2021) "
                                           "per area (entered, left, stayed, not comparable)")
    change.add_argument("--level", choices=schema.LEVELS, default="icb")
    change.add_argument("--format", choices=("csv", "json"), default="csv")
    change.add_argument("--output", help="write to this file instead of standard output")
    change.set_defaults(func=_change)

    plan = sub.add_parser("plan", help="choose outreach sites (MCLP / p-median) for a target population")
    _plan_arguments(plan)
    plan.set_defaults(func=_plan)

    export_map = sub.add_parser("export-map", help="print-quality map of a view (.png 300 dpi, .svg, .pdf)")
    report = sub.add_parser("report", help="area profile as HTML, PDF or a PowerPoint deck")
    for p in (export_map, report):
        p.add_argument("--vintage", choices=schema.VINTAGES, default=schema.DEFAULT_VINTAGE)
        p.add_argument("--level", choices=schema.LEVELS, default="icb")
        p.add_argument("--area", help="area code (not needed for --level england)")
        p.add_argument("--shade", default=schema.IMD_DECILE,
                       help="imd_decile (default), imd_score or a domain decile, e.g. income_decile")
        p.add_argument("--out", required=True, help="output file")
    export_map.add_argument("--no-core20", action="store_true", help="do not outline Core20 LSOAs")
    export_map.set_defaults(func=_export_map)
    report.add_argument("--format", choices=("html", "pdf", "pptx"), required=True)
    report.add_argument("--focus",
                        help="add a clinical focus (maternity, smi, respiratory, cancer, hypertension)")
    report.add_argument("--plan", metavar="ID",
                        help="saved plan id (default: the latest saved plan of this area)")
    report.add_argument("--no-plan", action="store_true", help="leave saved plans out")
    report.set_defaults(func=_report)

    assets = sub.add_parser("assets", help="install the map's JavaScript/CSS into static/ (npm)")
    assets.set_defaults(func=_assets)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
