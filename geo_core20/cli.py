"""Command line: ``python -m geo_core20 {data fetch|data build|summary|plan|travel-times|focus|change|
export-map|report|assets}`` (see README.md).

A command lets the project's errors (`geo_core20.errors`) rise: `main` catches `GeoCore20Error`
once, prints its message and exits 2 (a bad choice, an area that does not exist, a cache not built).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from geo_core20 import atomic, plan_files, schema, siting, sources, tables
from geo_core20.errors import GeoCore20Error, InputError


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

    vintages = args.vintage or list(schema.VINTAGES)
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
    return 0


def _extra_build_steps():
    """Derived caches other modules need (postcode index, national map assets)."""
    from geo_core20 import build_steps

    return build_steps.STEPS


def _summary(args: argparse.Namespace) -> int:
    from geo_core20 import areas, atlas

    frame = areas.summary(atlas.load_atlas(args.vintage), args.level)
    return _write_table(frame, args)


def _write_table(frame, args: argparse.Namespace) -> int:
    """One row per area as JSON records or formula-safe CSV, to --output or stdout."""
    if args.format == "json":
        text = frame.to_json(orient="records", indent=1, double_precision=15) + "\n"
    else:
        text = tables.to_csv(frame, bom=False, tidy=False).decode("utf-8")
    if args.output:
        atomic.write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def _focus(args: argparse.Namespace) -> int:
    from geo_core20 import atlas, clinical

    clinical.check_focus(args.focus)
    frame = clinical.focus_summary(atlas.load_atlas(args.vintage), args.focus, args.level)
    return _write_table(frame, args)


def _change(args: argparse.Namespace) -> int:
    from geo_core20 import change

    frame = change.change_table(args.level)
    return _write_table(frame, args)


def _export_map(args: argparse.Namespace) -> int:
    from geo_core20.exports import print_maps

    path = print_maps.export_map(args.vintage, args.level, args.area, args.out, args.shade,
                                 core20_outline=not args.no_core20)
    print(f"wrote {path}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from geo_core20.exports import report

    plan = None if args.no_plan else (args.plan or "latest")
    path = report.write_report(args.vintage, args.level, args.area, args.format, args.out,
                               shade=args.shade, focus=args.focus, plan=plan)
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
                        help=f"site types, comma-separated, from {','.join(schema.SITE_TYPES)}; "
                             "supermarket (or supermarket:lidl,aldi) and library make venues the candidates")
    parser.add_argument("--radius-km", type=float, default=3.0, help="coverage radius in km (default 3)")
    parser.add_argument("--radius-min", type=float, metavar="MINUTES",
                        help="coverage threshold in minutes, with --travel-times (default 30)")
    parser.add_argument("--travel-times", metavar="FILE",
                        help="origin-destination travel times (CSV/Excel; long: origin, destination, "
                             "minutes; "
                             "or wide: one row per origin LSOA code or name, one column per site)")
    parser.add_argument("--time-unit", choices=plan_files.TIME_UNITS,
                        help="unit of --travel-times (default minutes, or seconds when the time column "
                             "says so)")
    parser.add_argument("--sites-file", metavar="FILE",
                        help="candidate sites: id (optional), name, lon/lat or postcode, optional Existing "
                             "Yes/No (existing sites are fixed unless --fixed is given)")
    parser.add_argument("--demand-file", metavar="FILE",
                        help="your own demand: an LSOA table (LSOA codes or names); see --demand-column")
    parser.add_argument("--demand-column", metavar="COL", help="the demand column of --demand-file")
    parser.add_argument("--k", type=int, default=5,
                        help="number of NEW sites to choose besides the fixed ones (default 5)")
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
    parser.add_argument("--decimal-comma", action="store_true",
                        help="the sites, travel-times and demand files write numbers as 1.234,5 (a file "
                             "whose numbers read differently either way is refused without this)")
    parser.add_argument("--swap-axes", action="store_true",
                        help="the sites file's coordinate columns are the wrong way round (easting/northing "
                             "or longitude/latitude)")
    parser.add_argument("--output", help="write to this file instead of standard output")


DEFAULT_RADIUS_MIN = 30.0


def _read_file(path: str, what: str) -> bytes:
    """An input file's bytes (bounded like an upload), or a clear error."""
    from geo_core20 import limits

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} not found: {path}")
    if p.stat().st_size > limits.MAX_BYTES:
        raise InputError(f"{what} {p.name} is {p.stat().st_size / 2**20:.1f} MB, over the "
                         f"{limits.MAX_UPLOAD_MB} MB limit")
    return p.read_bytes()


def _read_in_worker(task: str, path: str, what: str, *args, **kwargs):
    """A reader of `plan_files` run on a user's file in the upload worker, under the uploads' limits
    (memory, processor and wall-clock time): a hostile file ends as the project's error, not the CLI's
    end. ``args`` and ``kwargs`` follow the file's bytes and name (`worker.Atlas` for an atlas)."""
    from geo_core20.uploads import worker

    return worker.run(task, _read_file(path, what), Path(path).name, *args, **kwargs)


def _atlas_ref(vintage: str):
    """The vintage's atlas as the worker knows it (it loads its own copy, not one sent per call)."""
    from geo_core20.uploads import worker

    return worker.Atlas(vintage)


def _read_options(args: argparse.Namespace, axes: bool = False) -> dict:
    """--decimal-comma / --swap-axes as the readers' options (only when given)."""
    out: dict = {}
    if getattr(args, "decimal_comma", False):
        out["decimal_comma"] = True
    if axes and getattr(args, "swap_axes", False):
        out["swap_axes"] = True
    return out


def _own_files(args: argparse.Namespace, fixed: tuple[str, ...], site_types: tuple[str, ...],
               kinds: dict | None = None) -> dict:
    """plan() options from --sites-file, --travel-times and --demand-file (and notes on what was read)."""
    from geo_core20 import atlas

    out: dict = {"notes": [], "candidates": args.candidates, "fixed": fixed, "site_types": site_types}
    if kinds and not args.sites_file:  # --sites supermarket[:retailers] / library: venues are the candidates
        from geo_core20 import areas, venues

        full = atlas.load_atlas(args.vintage)
        out["atlas_frame"] = full
        out["candidates"] = venues.venue_candidates(kinds, areas.select(full, args.level, args.area_code))
        out["candidate_source"] = venues.describe_kinds(kinds)
        out["notes"] += [venues.VENUE_NOTES[k] for k in kinds]
    if not (args.sites_file or args.travel_times or args.demand_file):
        if args.radius_min is not None:
            raise InputError("--radius-min needs --travel-times (straight-line distances use --radius-km)")
        return out
    full = atlas.load_atlas(args.vintage)
    out["atlas_frame"] = full
    sites = None
    if args.sites_file:
        read = _read_in_worker("read_sites_file", args.sites_file, "sites file", _atlas_ref(args.vintage),
                               **_read_options(args, axes=True))
        sites = read.candidates
        out["candidates"] = sites
        out["fixed"] = fixed or read.existing_ids
        out["site_types"] = ()  # the file's sites, not the sites table, are the plan's sites
        out["notes"] += list(read.notes)
    if args.travel_times:
        tt = _read_in_worker("read_travel_times", args.travel_times, "travel-times file",
                             _atlas_ref(args.vintage), sites=sites, time_unit=args.time_unit,
                             **_read_options(args))
        out["cost_model"] = tt.cost
        out["threshold"] = DEFAULT_RADIUS_MIN if args.radius_min is None else args.radius_min
        out["notes"] += list(tt.notes)
    elif args.radius_min is not None:
        raise InputError("--radius-min needs --travel-times (straight-line distances use --radius-km)")
    if args.demand_file or args.demand_column:
        if not (args.demand_file and args.demand_column):
            raise InputError("--demand-file and --demand-column go together")
        demand = _read_in_worker("read_demand", args.demand_file, "demand file", args.demand_column,
                                 _atlas_ref(args.vintage), **_read_options(args))
        out["demand"] = demand.values
        out["demand_source"] = demand.source
        out["notes"] += list(demand.notes)
    return out


def _plan(args: argparse.Namespace) -> int:
    """Run ``plan``; print JSON or CSV. Exit code 0, or 2 on bad input."""
    from geo_core20 import venues

    fixed = tuple(c.strip() for c in (args.fixed or "").split(",") if c.strip())
    tty = sys.stderr.isatty()

    def report(fraction: float, message: str) -> None:
        if tty:
            sys.stderr.write(f"\r{fraction:4.0%} {message[:70]:70s}")

    try:
        target = siting.target_from_text(args.target, args.target_conditions, args.combine, args.focus)
        site_types, kinds = venues.parse_site_spec(args.sites or "")
        own = _own_files(args, fixed, site_types, kinds)
        notes = own.pop("notes")
        result = siting.plan(args.vintage, args.level, args.area_code, target, own.pop("site_types"),
                             args.radius_km, args.k, args.objective, own.pop("candidates"), own.pop("fixed"),
                             args.curve or None, args.time_limit, report, **own)
    finally:
        if tty:
            sys.stderr.write("\n")  # end the progress line, before the result or `main`'s error
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if args.format == "json":
        data = result.to_dict() if args.details else result.summary()
        if not args.details and result.curve is not None:
            data["curve"] = siting.common.json_records(result.curve)
        if notes:
            data["notes"] = notes
        text = json.dumps(data, indent=1) + "\n"
    else:
        text = siting.plan_csv(result)
    if args.output:
        atomic.write_text(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


# --- travel-times ------------------------------------------------------------------------------------

def _travel_times(args: argparse.Namespace) -> int:
    """Route an area's LSOA population-weighted centroids to sites with Valhalla; write a long OD file."""
    import numpy as np
    import pandas as pd

    from geo_core20 import areas, atlas, routing
    from geo_core20.siting import sites_in_area

    t0 = time.perf_counter()
    try:
        full = atlas.load_atlas(args.vintage)
        area = areas.select(full, args.level, args.area_code)
        if area.empty:
            raise InputError(f"no LSOAs in {args.level} {args.area_code}")
        origins = pd.DataFrame({"code": area[schema.LSOA_CODE].to_numpy(),
                                "lon": area[schema.PWC_LON].to_numpy(),
                                "lat": area[schema.PWC_LAT].to_numpy()})
        if args.sites_file:
            read = _read_in_worker("read_sites_file", args.sites_file, "sites file", _atlas_ref(args.vintage))
            dest = read.candidates.rename(columns={"candidate_id": "code"})
        else:
            types = [t.strip() for t in args.sites.split(",") if t.strip()]
            unknown = [t for t in types if t not in schema.SITE_TYPES]
            if unknown or not types:
                raise InputError(f"unknown site type(s) {', '.join(unknown) or '(none)'}; expected "
                                 f"{', '.join(schema.SITE_TYPES)}")
            all_sites = atlas.load_sites()
            typed = all_sites[all_sites["site_type"].isin(types)]
            dest = (typed if args.level == "england" else sites_in_area(typed, area)).rename(
                columns={"site_code": "code"})
        if dest.empty:
            raise InputError("no sites to route to in this area")
        od = routing.travel_times(args.pbf, origins, dest[["code", "lon", "lat"]], args.mode, args.cache_dir)
    except (ValueError, FileNotFoundError) as exc:  # RoutingError, AccessError, AreaError, DataError...
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = atomic.write_bytes(args.out, tables.to_csv(od, bom=False, tidy=False))
    pairs = len(origins) * len(dest)
    reached = od["origin_code"].nunique()
    print(f"wrote {out}: {len(od):,} of {pairs:,} pairs routed by {args.mode} (minutes), {pairs - len(od):,} "
          f"unreachable; {len(origins) - reached:,} of {len(origins):,} LSOAs reach no site; "
          f"median {np.median(od['minutes']) if len(od) else float('nan'):.1f} min "
          f"({time.perf_counter() - t0:.1f} s)")
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
    build.set_defaults(func=_build, failed="The previous atlas (if any) was left in place.")

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

    tt = sub.add_parser("travel-times",
                        help="routed travel times (Valhalla over an OpenStreetMap extract) from an area's "
                             "LSOAs to sites, as an OD file for `plan --travel-times`")
    tt.add_argument("--pbf", required=True, metavar="FILE",
                    help="OpenStreetMap extract (.osm.pbf), e.g. a county from download.geofabrik.de")
    tt.add_argument("--vintage", choices=schema.VINTAGES, default="2025")
    tt.add_argument("--level", choices=schema.LEVELS, default="icb")
    tt.add_argument("--area", dest="area_code", help="area code, e.g. E06000017")
    where = tt.add_mutually_exclusive_group(required=True)
    where.add_argument("--sites", metavar="TYPES",
                       help=f"site types in the area, from {','.join(schema.SITE_TYPES)}")
    where.add_argument("--sites-file", metavar="FILE", help="candidate sites file (as for plan --sites-file)")
    tt.add_argument("--mode", choices=("car", "foot", "bicycle"), default="car")
    tt.add_argument("--out", required=True, help="output CSV: origin_code, destination_code, minutes")
    tt.add_argument("--cache-dir", help="tiles and matrices cache (default data/routing)")
    tt.set_defaults(func=_travel_times)

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
    """Run a command; exit code 0, 1 (``data fetch`` left inputs missing) or 2 (the project's error)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except GeoCore20Error as exc:
        failed = getattr(args, "failed", None)  # what a command's failure leaves as it was
        print(f"error: {exc}" + (f"\n{failed}" if failed else ""), file=sys.stderr)
        return 2
