"""Command line: ``python -m geo_core20 {data fetch|data build|summary|plan|assets}``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from geo_core20 import schema, sources


def _fetch(args: argparse.Namespace) -> int:
    from geo_core20 import fetch

    mirrors = [Path(m) for m in args.mirror] or fetch.default_mirrors()
    datasets = [sources.get(i) for i in args.only] if args.only else list(sources.MANIFEST)
    results = fetch.fetch_all(datasets, mirrors, allow_download=not args.no_download,
                              progress=sys.stderr.isatty())
    missing = [r for r in results if not r.ok]
    for r in results:
        print(f"{r.status:10s} {r.dataset_id:22s} {r.message if not r.ok else r.path}")
    counts = {s: sum(r.status == s for r in results) for s in ("present", "copied", "downloaded", "missing")}
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
    if args.format == "json":
        text = json.dumps(frame.to_dict(orient="records"), indent=1) + "\n"
    else:
        from geo_core20.safety import csv_safe_frame

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
    if args.format == "json":
        text = frame.to_json(orient="records", indent=1) + "\n"
    else:
        from geo_core20.safety import csv_safe_frame

        text = csv_safe_frame(frame).to_csv(index=False, lineterminator="\n")
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _assets(args: argparse.Namespace) -> int:
    from geo_core20.maps import assets

    assets.install_static()
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
    summary.add_argument("--vintage", choices=schema.VINTAGES, default="2025")
    summary.add_argument("--level", choices=schema.LEVELS, default="icb")
    summary.add_argument("--format", choices=("csv", "json"), default="csv")
    summary.add_argument("--output", help="write to this file instead of standard output")
    summary.set_defaults(func=_summary)

    focus = sub.add_parser("focus", help="clinical focus (the '5') per area: target population and measures")
    focus.add_argument("--vintage", choices=schema.VINTAGES, default="2025")
    focus.add_argument("--level", choices=schema.LEVELS, default="icb")
    focus.add_argument("--focus", required=True, metavar="FOCUS",
                       help="maternity, smi, respiratory, cancer or hypertension")
    focus.add_argument("--format", choices=("csv", "json"), default="csv")
    focus.add_argument("--output", help="write to this file instead of standard output")
    focus.set_defaults(func=_focus)

    try:
        from geo_core20 import siting
    except ImportError:  # the planner is optional while it is being built
        siting = None
    if siting is not None and hasattr(siting, "add_plan_arguments"):
        plan = sub.add_parser("plan", help="choose outreach sites (MCLP / p-median)")
        siting.add_plan_arguments(plan)
        plan.set_defaults(func=siting.run_plan_command)

    assets = sub.add_parser("assets", help="install the map's JavaScript/CSS into static/ (npm)")
    assets.set_defaults(func=_assets)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
