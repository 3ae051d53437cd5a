"""Explorer speed: how fast the home page shows England, the largest ICB and a local authority.

For each view:

* server: time to build the map (``maps.view.build_view_map``) and to render it for
  streamlit-folium (``ui.map_display.render_map``), first build (area outlines and score
  classes cold; atlas already loaded) and again (outlines cached), plus the map's size;
* browser (the app served by ``streamlit run app.py``, headless Debian Chromium): time from
  navigation to every LSOA drawn, and bytes received: HTTP (CDP encodedDataLength, so what
  went over the wire) split into Streamlit's own frontend, the map assets (/app/static) and
  the streamlit-folium component, plus websocket frames (the page itself, map included).
  "cold" is a fresh browser profile; "warm" a second visit in the same profile (HTTP cache).

    python benchmarks/explorer_speed.py [--reps 3] [--vintage 2025]

Results are also written to benchmarks/results/explorer_speed.json (gitignored).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from _common import ROOT, launch_chromium, machine, serve_app

from geo_core20 import areas, atlas, schema
from geo_core20.maps import styles, view

VIEWPORT = {"width": 1400, "height": 1000}
LAD = ("lad", "E08000003")  # Manchester


def views(vintage: str) -> list[tuple[str, str, str | None]]:
    gdf = atlas.load_atlas(vintage)
    icbs = areas.summary(gdf, "icb").sort_values("lsoas")
    largest = icbs.iloc[-1]["area_code"]
    first_lad = str(areas.list_areas(gdf, "lad")["area_code"][0])
    lad = LAD if LAD[1] in set(gdf["lad_code"]) else ("lad", first_lad)
    return [("England", "england", None), (f"largest ICB ({largest})", "icb", largest),
            (f"local authority ({lad[1]})", lad[0], lad[1])]


def server_side(vintage: str, level: str, code: str | None) -> dict:
    from geo_core20.ui import map_display  # imports streamlit-folium (and so Streamlit)

    out = {}
    for label in ("first", "again"):
        t0 = time.perf_counter()
        vm = view.build_view_map(vintage, level, code)
        t1 = time.perf_counter()
        rendered = map_display.render_map(vm.map)
        t2 = time.perf_counter()
        out[label] = {"build_s": t1 - t0, "render_s": t2 - t1}
    out.update(renderer=vm.renderer, n_lsoas=vm.n_lsoas, map_bytes=rendered.nbytes if rendered else None)
    return out


RERUN_BUDGET_S = 0.3  # issue 6: a cached rerun after a shading change


def rerun_by_shading(vintage: str, level: str, code: str | None) -> dict:
    """Server time of the rerun after a change of shading, for every shading: the map is new
    to the page's map cache, so it is built and rendered (as ``ui.view_map_cached`` does on a
    miss) while the data caches (atlas, outlines, national score breaks) are warm."""
    from geo_core20.ui import map_display

    view.build_view_map(vintage, level, code)  # the view as first shown (warms the outlines)
    out = {}
    for shade in styles.SHADINGS:
        t0 = time.perf_counter()
        map_display.render_map(view.build_view_map(vintage, level, code, shade).map)
        out[shade] = time.perf_counter() - t0
    return out


DRAWN_JS = """(n) => {
  const f = document.querySelector("iframe[title='streamlit_folium.st_folium']");
  const w = f && f.contentWindow;
  if (!w || !w.document) return false;
  if (w.geoCore20National) return w.geoCore20National.drawnCount() === n;  // every LSOA in view filled
  return w.document.querySelectorAll('path.gc20-lsoa').length === n;
}"""


def _kind(url: str, base: str) -> str:
    path = url[len(base):] if url.startswith(base) else url
    if path.startswith("/app/static/"):
        return "map_assets"
    if path.startswith("/component/"):
        return "component"
    if url.startswith(base):
        return "streamlit_frontend"
    return "other_host"


def browser_run(context, base: str, url: str, n: int) -> dict:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls: dict[str, str] = {}
    sizes = {"streamlit_frontend": 0, "map_assets": 0, "component": 0, "other_host": 0, "websocket": 0}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))

    def finished(e) -> None:
        u = urls.get(e["requestId"], "")
        if u.startswith(("data:", "blob:")):
            return
        sizes[_kind(u, base)] += int(e.get("encodedDataLength", 0))

    cdp.on("Network.loadingFinished", finished)

    def on_ws(ws) -> None:
        def received(payload) -> None:
            sizes["websocket"] += len(payload)

        ws.on("framereceived", received)

    page.on("websocket", on_ws)
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function(DRAWN_JS, arg=n, timeout=120_000, polling=50)
    drawn_s = time.perf_counter() - t0
    page.wait_for_timeout(500)  # let trailing frames (e.g. late widgets) arrive before counting
    page.close()
    return {"drawn_s": drawn_s, "bytes": dict(sizes), "total_bytes": sum(sizes.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="browser runs per view (median reported)")
    parser.add_argument("--vintage", default="2025", choices=schema.VINTAGES)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    atlas.load_atlas(args.vintage)
    atlas.load_display_geometry(args.vintage)
    load_s = time.perf_counter() - t0
    chosen = views(args.vintage)
    results: dict = {"machine": machine(), "vintage": args.vintage, "atlas_load_s": load_s, "views": {}}
    # the IMD score's national breaks: computed once per vintage and process (then cached)
    t0 = time.perf_counter()
    styles.classes_for(schema.IMD_SCORE, atlas.load_atlas(args.vintage))
    results["score_breaks_first_s"] = time.perf_counter() - t0
    for label, level, code in chosen:
        results["views"][label] = {"server": server_side(args.vintage, level, code),
                                   "rerun": rerun_by_shading(args.vintage, level, code)}

    with serve_app() as base, sync_playwright() as pw:
        chromium = launch_chromium(pw)
        for label, level, code in chosen:
            n = results["views"][label]["server"]["n_lsoas"]
            url = f"{base}/?vintage={args.vintage}&level={level}" + (f"&area={code}" if code else "")
            # warm the server's caches (first build) so the browser times show the app's steady state
            ctx = chromium.new_context(viewport=VIEWPORT)
            browser_run(ctx, base, url, n)
            ctx.close()
            cold, warm = [], []
            for _ in range(args.reps):
                ctx = chromium.new_context(viewport=VIEWPORT)
                cold.append(browser_run(ctx, base, url, n))
                warm.append(browser_run(ctx, base, url, n))
                ctx.close()
            results["views"][label]["browser"] = {"cold": cold, "warm": warm}
        chromium.close()

    out = ROOT / "benchmarks" / "results" / "explorer_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"Explorer speed, vintage {args.vintage}, {results['machine']['nproc']} CPUs, "
          f"load {results['machine']['load_avg_at_start'][0]:.1f}; atlas load {load_s:.2f} s; "
          f"median of {args.reps} browser runs\n")
    head = (f"{'view':34s} {'LSOAs':>6s} {'renderer':>9s} {'build 1st':>9s} {'build':>7s} {'render':>7s} "
            f"{'map MB':>7s} {'drawn cold':>10s} {'drawn warm':>10s} {'MB cold':>8s} {'MB warm':>8s} "
            f"{'ws MB':>6s}")
    print(head)
    print("-" * len(head))
    for label, r in results["views"].items():
        s, b = r["server"], r["browser"]

        def med(runs, key):
            return statistics.median(x[key] for x in runs)

        ws = statistics.median(x["bytes"]["websocket"] for x in b["cold"])
        map_mb = (s["map_bytes"] or 0) / 1e6
        print(f"{label:34s} {s['n_lsoas']:6d} {s['renderer']:>9s} {s['first']['build_s']:8.2f}s "
              f"{s['again']['build_s']:6.2f}s {s['again']['render_s']:6.2f}s {map_mb:7.2f} "
              f"{med(b['cold'], 'drawn_s'):9.2f}s {med(b['warm'], 'drawn_s'):9.2f}s "
              f"{med(b['cold'], 'total_bytes') / 1e6:8.2f} {med(b['warm'], 'total_bytes') / 1e6:8.2f} "
              f"{ws / 1e6:6.2f}")
    print("\nbytes by kind (cold, median):")
    for label, r in results["views"].items():
        kinds = r["browser"]["cold"][0]["bytes"].keys()
        parts = ", ".join(f"{k} {statistics.median(x['bytes'][k] for x in r['browser']['cold']) / 1e6:.2f} MB"
                          for k in kinds)
        print(f"  {label}: {parts}")
    print(f"\nserver time of the rerun after a shading change (build + render; data caches warm; "
          f"budget {RERUN_BUDGET_S} s):")
    for label, r in results["views"].items():
        times = r["rerun"]
        worst = max(times, key=times.get)
        verdict = "PASS" if times[worst] < RERUN_BUDGET_S else "FAIL"
        each = ", ".join(f"{k.removesuffix('_decile')} {v:.2f}" for k, v in times.items())
        print(f"  {verdict} {label}: {each} s (slowest: {worst})")
    print(f"  (the IMD score's national breaks, once per vintage and process: "
          f"{results['score_breaks_first_s']:.2f} s)")
    print(f"\nwritten {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
