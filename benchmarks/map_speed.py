"""Map speed: the national renderer against a plain folium GeoJSON baseline, side by side.

For England, the largest NHS region and the largest ICB (by LSOA count), in one run:

* server: time to build the map and render its HTML in Python (baseline: folium.GeoJson of the
  full BSC boundaries with a fill per IMD decile and a tooltip; national: the asset built from
  scratch, then a cached rerun after a change of shading);
* browser (headless Debian Chromium, fresh profile per run): time from navigation start to
  all polygons drawn and on screen, and bytes transferred (CDP encodedDataLength, so gzip
  counts as sent). Standalone pages are served exactly as Streamlit serves the app's static
  folder (``/app/static/...``), and then the same maps inside a real Streamlit app through
  streamlit-folium (bytes split into Streamlit's own frontend bundle and the map's bytes);
* the ratios, the issue-6 goals with PASS/FAIL, and the machine.

    python benchmarks/map_speed.py [--reps 3] [--no-app] [--vintage 2025]

Results are also written to benchmarks/results/map_speed.json (gitignored).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import http.server
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import folium
from _common import ROOT, launch_chromium, machine, serve_app
from branca.element import MacroElement
from jinja2 import Template

from geo_core20 import atlas, schema
from geo_core20.maps import assets, national, styles

VIEWPORT = {"width": 1200, "height": 800}
MAP_SIZE = (1100, 700)
GOALS = {"england_s": 1.5, "england_speedup": 6.0, "england_mb": 3.0, "england_bytes_ratio": 5.0,
         "rerun_s": 0.3, "first_build_s": 3.0, "icb_s": 0.5}


class PaintedMarker(MacroElement):
    """Baseline only: records when the page has painted after the (synchronous) GeoJSON layer."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var n = document.querySelectorAll('path.leaflet-interactive').length;
            requestAnimationFrame(function () { setTimeout(function () {
                window.__gc20Paths = n; window.__gc20PaintedAt = Date.now(); }, 0); });
        })();
        {% endmacro %}
    """)


# --- maps --------------------------------------------------------------------------------------

def extents(gdf) -> dict[str, tuple[str, list[str] | None]]:
    """name -> (label, LSOA codes or None for all England)."""
    out: dict[str, tuple[str, list[str] | None]] = {"england": ("England", None)}
    for level, col, name_col in (("region", "nhs_region_code", "nhs_region_name"),
                                 ("icb", "icb_code", "icb_name")):
        code = gdf[col].value_counts().idxmax()
        rows = gdf[gdf[col] == code]
        out[level] = (f"{rows[name_col].iloc[0]} ({code})", rows[schema.LSOA_CODE].tolist())
    return out


def _bare_map(view) -> folium.Map:
    assets.use_local_assets()
    minx, miny, maxx, maxy = view.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=6, tiles=None,
                   width=MAP_SIZE[0], height=MAP_SIZE[1])
    # Fit without Leaflet's zoom animation (~0.25 s), which would otherwise sit between the
    # page loading and the final drawing of every view that is not at the starting zoom.
    fit = folium.map.FitBounds([[miny, minx], [maxy, maxx]])
    fit.options["animate"] = False
    m.add_child(fit)
    return m


def baseline_map(gdf, codes: list[str] | None, shade: str = "imd_decile") -> folium.Map:
    """The issue's baseline: a plain folium GeoJSON layer of the full BSC boundaries."""
    view = gdf if codes is None else gdf[gdf[schema.LSOA_CODE].isin(codes)]
    m = _bare_map(view)
    classes = styles.classes_for(shade, gdf)
    frame = view[[schema.LSOA_CODE, schema.LSOA_NAME, shade, "geometry"]].copy()
    frame["fill"] = classes.colour(frame[shade])
    folium.GeoJson(
        frame, name="LSOAs",
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.78,
                                  "color": "#ffffff", "weight": 0.5},
        tooltip=folium.GeoJsonTooltip(fields=[schema.LSOA_CODE, schema.LSOA_NAME, shade]),
    ).add_to(m)
    m.add_child(PaintedMarker())
    return m


def empty_map(gdf, codes: list[str] | None) -> folium.Map:
    """No LSOAs at all: what Streamlit and streamlit-folium cost by themselves (the floor)."""
    view = gdf if codes is None else gdf[gdf[schema.LSOA_CODE].isin(codes)]
    m = _bare_map(view)
    m.add_child(PaintedMarker())
    return m


def national_map(gdf, vintage: str, codes: list[str] | None, shade: str = "imd_decile",
                 static_dir: Path | None = None) -> folium.Map:
    view = gdf if codes is None else gdf[gdf[schema.LSOA_CODE].isin(codes)]
    m = _bare_map(view)
    national.add_national_layer(m, gdf, vintage, shade, True, codes, static_dir=static_dir)
    return m


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


# --- serving and measuring ----------------------------------------------------------------------

class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves like Streamlit: /app/static/* gzip-compressed when text (as its GZip middleware
    does; ``.gz`` files go as they are), the map pages uncompressed (as streamlit-folium sends a
    map's HTML over the websocket, which is not compressed)."""

    pages_dir: Path

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0]
        if path.startswith("/app/static/"):
            return str(assets.STATIC_DIR / path[len("/app/static/"):])
        return str(self.pages_dir / path.lstrip("/"))

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        text = path.suffix in (".js", ".css", ".html", ".json", ".svg")
        if not (self.path.startswith("/app/static/") and text and path.is_file()
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            super().do_GET()
            return
        stat = path.stat()
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        body = _gzipped(str(path), stat.st_mtime_ns)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", self.date_time_string(int(stat.st_mtime)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@functools.lru_cache(maxsize=64)
def _gzipped(path: str, _mtime_ns: int) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=9)


def serve(pages_dir: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = type("H", (_Handler,), {"pages_dir": pages_dir})
    factory = functools.partial(handler, directory=str(pages_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), factory)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


_DRAWN_JS = """() => {
    const n = window.geoCore20National;
    if (n && n.paintedAt) return {at: n.paintedAt, polygons: n.lastDrawnPolygons, errors: n.errors};
    if (window.__gc20PaintedAt) return {at: window.__gc20PaintedAt, polygons: window.__gc20Paths, errors: []};
    return null;
}"""


class Meter:
    """Bytes received by one page (all frames), via the DevTools protocol."""

    def __init__(self, context, page):
        self.http: dict[str, int] = {}
        self.urls: dict[str, str] = {}
        self.ws = 0
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent",
               lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished",
               lambda e: self.http.__setitem__(e["requestId"], int(e.get("encodedDataLength", 0))))
        cdp.on("Network.webSocketFrameReceived",
               lambda e: setattr(self, "ws", self.ws + len(e["response"].get("payloadData", ""))))

    def split(self) -> dict[str, int]:
        """Streamlit's own frontend bundle vs everything else (the map and the app's data)."""
        bundle = sum(n for rid, n in self.http.items() if "/static/" in self.urls.get(rid, "")
                     and "/app/static/" not in self.urls.get(rid, ""))
        total = sum(self.http.values()) + self.ws
        return {"total": total, "streamlit_bundle": bundle, "map": total - bundle}


def measure(browser, url: str, timeout_s: float = 180.0, then: str | None = None,
            rerun_label: str | None = None) -> dict:
    """Navigate in a fresh profile; seconds from navigation start to painted, and bytes.

    ``then``: a second page (e.g. another shading) opened afterwards in the same profile
    (the warm case). ``rerun_label``: in the app, click that shading and time the rerun
    until the map is drawn again, with the bytes it cost.
    """
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    meter = Meter(context, page)
    page.goto(url, wait_until="commit", timeout=int(timeout_s * 1000))
    origin = page.evaluate("performance.timeOrigin")
    result = _wait_drawn(page, timeout_s)
    out = {"s": (result["at"] - origin) / 1000, "polygons": result["polygons"], "errors": result["errors"],
           **{f"bytes_{k}": v for k, v in meter.split().items()}}
    if rerun_label:
        page.wait_for_timeout(300)  # let the first render settle (streamlit-folium reports back)
        before = meter.split()["total"]
        clicked = page.evaluate("Date.now()")
        page.get_by_text(rerun_label, exact=True).click()
        r = _wait_drawn(page, timeout_s, after=clicked)
        out["rerun_s"] = (r["at"] - clicked) / 1000
        out["rerun_bytes"] = meter.split()["total"] - before
    if then:
        page2 = context.new_page()
        meter2 = Meter(context, page2)
        page2.goto(then, wait_until="commit")
        origin2 = page2.evaluate("performance.timeOrigin")
        r2 = _wait_drawn(page2, timeout_s)
        out["warm_s"] = (r2["at"] - origin2) / 1000
        out["warm_bytes"] = meter2.split()["total"]
    context.close()
    return out


def _wait_drawn(page, timeout_s: float, after: float = 0.0) -> dict:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        for frame in page.frames:
            try:
                got = frame.evaluate(_DRAWN_JS)
            except Exception:  # noqa: BLE001 - frames come and go while Streamlit mounts
                got = None
            if got and got["at"] > after:
                return got
        time.sleep(0.05)
    raise TimeoutError(f"map not drawn within {timeout_s:.0f} s: {page.url}")


def median_of(runs: list[dict]) -> dict:
    out = dict(runs[0])
    for key in ("s", "bytes_total", "bytes_streamlit_bundle", "bytes_map", "warm_s", "warm_bytes", "rerun_s",
                "rerun_bytes"):
        vals = [r[key] for r in runs if key in r]
        if vals:
            out[key] = statistics.median(vals)
    out["runs_s"] = [round(r["s"], 3) for r in runs]
    return out


# --- the Streamlit app -----------------------------------------------------------------------------

APP = r'''
import sys, time
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
import streamlit as st
from streamlit_folium import st_folium
from geo_core20 import atlas
import map_speed as ms

st.set_page_config(layout="wide")
vintage = {vintage!r}

@st.cache_resource
def load():
    gdf = atlas.load_atlas(vintage)
    return gdf, ms.extents(gdf)

gdf, ext = load()
q = st.query_params
mode, extent = q.get("mode", "national"), q.get("extent", "england")
shades = ["imd_decile", "income_decile", "health_decile"]
shade = st.radio("Shading", shades, index=shades.index(q.get("shade", "imd_decile")), horizontal=True)
codes = ext[extent][1]
t0 = time.perf_counter()
if mode == "baseline":
    m = ms.baseline_map(gdf, codes, shade)
elif mode == "empty":
    m = ms.empty_map(gdf, codes)
else:
    m = ms.national_map(gdf, vintage, codes, shade)
st_folium(m, width={w}, height={h}, returned_objects=[], key="map")
st.caption(f"server {{time.perf_counter() - t0:.3f}} s")
'''


def app_server(tmp: Path, vintage: str) -> contextlib.AbstractContextManager[str]:
    """The benchmark's Streamlit app (``APP``) served from ``tmp``; enter it for its base URL."""
    app_dir = tmp / "app"
    app_dir.mkdir()
    (app_dir / "static").symlink_to(assets.STATIC_DIR)  # Streamlit serves static/ next to the script
    script = app_dir / "bench_app.py"
    script.write_text(APP.format(root=str(ROOT), bench=str(Path(__file__).parent), vintage=vintage,
                                 w=MAP_SIZE[0], h=MAP_SIZE[1]))
    return serve_app(str(script), extra_args=["--server.enableStaticServing", "true",
                                              "--server.maxMessageSize", "1000"])


# --- report -----------------------------------------------------------------------------------------

def _mb(n: float) -> str:
    return f"{n / 1e6:6.2f} MB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=3, help="browser runs per page (median reported)")
    ap.add_argument("--no-app", action="store_true", help="skip the measurements inside Streamlit")
    ap.add_argument("--vintage", default="2025", choices=schema.VINTAGES)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    if not assets.is_installed():
        print("map assets not installed: run `python -m geo_core20 assets`", file=sys.stderr)
        return 2
    vintage = args.vintage
    gdf = atlas.load_atlas(vintage)
    ext = extents(gdf)
    results: dict = {"machine": machine(), "vintage": vintage, "extents": {k: v[0] for k, v in ext.items()},
                     "server": {}, "standalone": {}, "app": {}}

    # server side ------------------------------------------------------------------------------
    with tempfile.TemporaryDirectory() as cold:
        national.clear_caches()  # cold: nothing memoised in this process either
        first, _ = timed(lambda: national_map(gdf, vintage, None, static_dir=Path(cold)).get_root().render())
    national.build_national_assets(vintage)  # the app's own static folder (as `data build` does)
    timed(lambda: national_map(gdf, vintage, None).get_root().render())  # warm the in-process caches
    rerun, _ = timed(lambda: national_map(gdf, vintage, None, "income_decile").get_root().render())
    rerun_score, _ = timed(lambda: national_map(gdf, vintage, None, "imd_score").get_root().render())
    rerun_score, _ = timed(lambda: national_map(gdf, vintage, None, "imd_score").get_root().render())
    manifest = national.current_asset(None, vintage, gdf) or {}
    results["server"]["national_first_build_s"] = first
    results["server"]["national_rerun_shading_s"] = rerun
    results["server"]["national_rerun_score_s"] = rerun_score
    results["server"]["asset_bytes"] = manifest.get("bytes")
    results["server"]["asset_files"] = {c["key"]: c["bytes"] for c in manifest.get("chunks", [])}

    tmp = Path(tempfile.mkdtemp(prefix="gc20_map_speed_"))
    pages = tmp / "pages"
    pages.mkdir()
    for key, (_label, codes) in ext.items():
        t_base, html = timed(lambda codes=codes: baseline_map(gdf, codes).get_root().render())
        (pages / f"baseline_{key}.html").write_text(html, encoding="utf-8")
        t_nat, html = timed(lambda codes=codes: national_map(gdf, vintage, codes).get_root().render())
        (pages / f"national_{key}.html").write_text(html, encoding="utf-8")
        html2 = national_map(gdf, vintage, codes, "income_decile").get_root().render()
        (pages / f"national_{key}_income.html").write_text(html2, encoding="utf-8")
        results["server"][f"baseline_{key}_s"] = t_base
        results["server"][f"national_{key}_s"] = t_nat
        results["server"][f"baseline_{key}_page_bytes"] = (pages / f"baseline_{key}.html").stat().st_size
        results["server"][f"national_{key}_page_bytes"] = (pages / f"national_{key}.html").stat().st_size

    server, base = serve(pages)
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        stack.callback(server.shutdown)
        p = stack.enter_context(sync_playwright())
        browser = launch_chromium(p)
        stack.callback(browser.close)
        results["machine"]["chromium"] = browser.version
        for key in ext:
            for mode in ("baseline", "national"):
                then = f"{base}/national_{key}_income.html" if mode == "national" else None
                slow = mode == "baseline" and key == "england"  # ~10 s a run
                reps = max(1, min(args.reps, 2) if slow else args.reps)
                runs = [measure(browser, f"{base}/{mode}_{key}.html", then=then) for _ in range(reps)]
                results["standalone"][f"{mode}_{key}"] = median_of(runs)
                got = results["standalone"][f"{mode}_{key}"]["s"]
                print(f"standalone {mode:8s} {key:7s} {got:.3f} s", file=sys.stderr)
        if not args.no_app:
            app_url = stack.enter_context(app_server(tmp, vintage))
            floor = f"{app_url}/?mode=empty&extent=england"
            measure(browser, floor)
            runs = [measure(browser, floor) for _ in range(max(1, args.reps))]
            results["app"]["empty"] = median_of(runs)
            for key in ext:
                for mode in ("baseline", "national"):
                    url = f"{app_url}/?mode={mode}&extent={key}"
                    measure(browser, url)  # warm the server (imports, atlas, caches)
                    reps = 1 if mode == "baseline" else max(1, args.reps)
                    runs = [measure(browser, url, rerun_label="income_decile") for _ in range(reps)]
                    results["app"][f"{mode}_{key}"] = median_of(runs)
                    print(f"app        {mode:8s} {key:7s} {results['app'][f'{mode}_{key}']['s']:.3f} s",
                          file=sys.stderr)

    report(results, ext)
    out = ROOT / "benchmarks" / "results" / "map_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}")
    return 0


def report(results: dict, ext: dict) -> None:
    m, srv = results["machine"], results["server"]
    print(f"Machine: {m['nproc']} cores, {m['cpu']}, {m['mem_gb']} GB; Chromium {m.get('chromium')}; "
          f"Python {m['python']}; streamlit {m['streamlit']}; folium {m['folium']}; load average at start "
          f"{m['load_avg_at_start']}, at end {[round(x, 2) for x in os.getloadavg()]}")
    print(f"Vintage {results['vintage']}; extents: " + "; ".join(f"{k}={v[0]}" for k, v in ext.items()))
    files = srv.get("asset_files", {})
    print(f"National asset: {_mb(srv['asset_bytes'] or 0)} in {len(files)} files, one per NHS region "
          f"({min(files.values(), default=0) / 1e6:.2f}-{max(files.values(), default=0) / 1e6:.2f} MB; gzip, "
          "served as-is, HTTP-cached by content hash)")
    print("\nServer (build the map + render its HTML):")
    print(f"  national first build (asset from scratch): {srv['national_first_build_s']:.2f} s")
    print(f"  national cached rerun after a shading change: {srv['national_rerun_shading_s']:.3f} s "
          f"(IMD score shading: {srv['national_rerun_score_s']:.3f} s)")
    for key in ext:
        b, n = srv[f"baseline_{key}_s"], srv[f"national_{key}_s"]
        print(f"  {key:8s} baseline {b:6.2f} s  {_mb(srv[f'baseline_{key}_page_bytes'])} page | "
              f"national {n:6.3f} s  {_mb(srv[f'national_{key}_page_bytes'])} page | x{b / n:,.0f}")
    for where in ("standalone", "app"):
        rows = results[where]
        if not rows:
            continue
        title = ("Browser, standalone pages (served like Streamlit's /app/static)" if where == "standalone"
                 else "Browser, inside the Streamlit app via streamlit-folium (server warm, browser cold)")
        print(f"\n{title}: navigation -> all polygons drawn; bytes transferred")
        if "empty" in rows:
            e = rows["empty"]
            print(f"  floor: an empty map (Streamlit + streamlit-folium + Leaflet, no LSOAs) {e['s']:.2f} s, "
                  f"{_mb(e['bytes_total'])} (Streamlit bundle {_mb(e['bytes_streamlit_bundle'])})")
        for key in ext:
            b, n = rows.get(f"baseline_{key}"), rows.get(f"national_{key}")
            if not b or not n:
                continue
            extra = ""
            if where == "app":
                extra = (f" (map {_mb(n['bytes_map'])} + Streamlit bundle {_mb(n['bytes_streamlit_bundle'])};"
                         f" baseline map {_mb(b['bytes_map'])})")
            print(f"  {key:8s} baseline {b['s']:6.2f} s {_mb(b['bytes_total'])} [{b['polygons']} paths] | "
                  f"national {n['s']:5.2f} s {_mb(n['bytes_total'])} [{n['polygons']} LSOAs] | "
                  f"x{b['s'] / n['s']:.1f} faster, "
                  f"x{b['bytes_total'] / max(n['bytes_total'], 1):.1f} fewer bytes{extra}")
            if "warm_s" in n:
                print(f"  {'':8s} national, shading changed (new page, same browser): {n['warm_s']:.2f} s, "
                      f"{_mb(n['warm_bytes'])}; runs {n['runs_s']}")
            if "rerun_s" in n:
                print(f"  {'':8s} shading changed in the app (rerun until drawn): "
                      f"baseline {b['rerun_s']:.2f} s {_mb(b['rerun_bytes'])} | "
                      f"national {n['rerun_s']:.2f} s {_mb(n['rerun_bytes'])}; runs {n['runs_s']}")
    sa = results["standalone"]
    eb, en = sa["baseline_england"], sa["national_england"]
    checks = [
        ("England drawn <= 1.5 s", en["s"] <= GOALS["england_s"], f"{en['s']:.2f} s"),
        ("England >= 6x faster than baseline", eb["s"] / en["s"] >= GOALS["england_speedup"],
         f"x{eb['s'] / en['s']:.1f}"),
        ("England bytes <= 3 MB", en["bytes_total"] <= GOALS["england_mb"] * 1e6, _mb(en["bytes_total"])),
        ("England >= 5x fewer bytes", eb["bytes_total"] / en["bytes_total"] >= GOALS["england_bytes_ratio"],
         f"x{eb['bytes_total'] / en['bytes_total']:.1f}"),
        ("cached rerun after shading change < 0.3 s", srv["national_rerun_shading_s"] < GOALS["rerun_s"],
         f"{srv['national_rerun_shading_s']:.3f} s"),
        ("first build < 3 s", srv["national_first_build_s"] < GOALS["first_build_s"],
         f"{srv['national_first_build_s']:.2f} s"),
        ("ICB drawn <= 0.5 s", sa["national_icb"]["s"] <= GOALS["icb_s"], f"{sa['national_icb']['s']:.2f} s"),
    ]
    if results["app"].get("national_england"):
        ae = results["app"]["national_england"]
        checks.append(("in app: England drawn <= 1.5 s", ae["s"] <= GOALS["england_s"], f"{ae['s']:.2f} s"))
        checks.append(("in app: England map bytes <= 3 MB", ae["bytes_map"] <= GOALS["england_mb"] * 1e6,
                       _mb(ae["bytes_map"])))
    print("\nIssue 6 goals (standalone pages unless stated):")
    for label, ok, value in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}: {value}")
    results["goals"] = {label: {"pass": ok, "value": value} for label, ok, value in checks}


if __name__ == "__main__":
    sys.exit(main())
