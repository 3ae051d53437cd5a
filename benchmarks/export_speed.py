"""Export speed: print-quality ICB maps and the ICB deck against a bare geopandas baseline.

In one run, with the atlas loaded once and reused:

* baseline: ``GeoDataFrame.plot(column="imd_decile")`` of the same ICB saved as a 300 dpi PNG
  (no classes, legend, outline, scale bar, locator or attribution);
* one ICB map (``print_maps.explorer_map`` + ``figure_bytes`` PNG at 300 dpi), cold and warm;
* all 42 ICB maps in one loop (what an analyst's batch does);
* one ICB map as PDF (``figure_bytes`` PDF);
* one ICB profile PDF (``build_profile`` + ``profile_pdf``, no saved plan);
* one ICB deck (``build_profile`` + ``profile_deck``, no saved plan);
* the ratios against the baseline and the machine (times vary with the machine's load; the ratios
  much less, since the baseline is timed in the same run).

Ratios on ``main`` before issue 18 (its deck and profile work): PNG 0.87x, map PDF 1.71x, profile
PDF 2.82x, deck 1.3x; each may grow to at most 1.5 times that (PNG <= 1.30x, map PDF <= 2.56x,
profile PDF <= 4.23x, deck <= 1.95x). After issue 18's cartography, deck and profile (quiet machine,
load 0.55): PNG 1.66x, map PDF 1.58x, profile PDF 4.41x, deck 2.12x.

After the export speed work (print geometry prepared once per area and drawn as collections, PNGs
written unfiltered from the rendered pixels, the profile PDF embedding pixels; outputs pixel-identical),
on a shared 2-core machine, 2026-12-06, ``--skip-all``:

    wall, load 3.59:  PNG 1.10x, map PDF 1.55x, profile PDF 4.17x, deck 1.34x
    wall, load 3.15:  PNG 1.15x, map PDF 1.68x, profile PDF 3.97x, deck 1.42x
    --cpu, load 3.37: PNG 1.06x, map PDF 1.30x, profile PDF 2.97x, deck 1.20x
    --cpu, load 3.89 (with the 42-ICB loop: 0.49 s a map, 1.30x its baselines):
                      PNG 1.22x, map PDF 1.39x, profile PDF 3.10x, deck 1.50x

Wall times on a loaded machine include waiting for a core (the profile PDF most: 1.5 s wall for 1.2 s
of CPU); ``--cpu`` ratios are the steadier comparison there.

    python benchmarks/export_speed.py [--icb E54000008] [--skip-all] [--cpu]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matplotlib.figure import Figure  # noqa: E402

from geo_core20 import areas, atlas, schema  # noqa: E402
from geo_core20.exports import cartography, deck, formats, print_maps, profile  # noqa: E402
from geo_core20.maps import view  # noqa: E402


def baseline(vintage: str, code: str) -> float:
    """A bare geopandas plot of the ICB's LSOAs by IMD decile, saved as a 300 dpi PNG."""
    t0 = time.perf_counter()
    frame = view.view_frame(vintage, "icb", code).to_crs(schema.CRS_BNG)
    fig = Figure(figsize=cartography.PAGE_SIZE)
    ax = fig.add_subplot()
    frame.plot(column=schema.IMD_DECILE, ax=ax, cmap="viridis_r")
    ax.set_axis_off()
    fig.savefig(io.BytesIO(), format="png", dpi=300)
    return time.perf_counter() - t0


def one_map(vintage: str, code: str, fmt: str = "png") -> tuple[float, int]:
    t0 = time.perf_counter()
    m = print_maps.explorer_map(print_maps.print_view(vintage, "icb", code))
    data = formats.figure_bytes(m.figure, fmt)
    return time.perf_counter() - t0, len(data)


def one_report(vintage: str, code: str, make) -> tuple[float, float, int, int]:
    """(total seconds, of which building the profile, maps, bytes) of one profile PDF or deck."""
    t0 = time.perf_counter()
    prof = profile.build_profile(vintage, "icb", code, plan=None)
    built = time.perf_counter() - t0
    data = make(prof)
    return time.perf_counter() - t0, built, len(prof.map_makers()), len(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vintage", default="2025", choices=schema.VINTAGES)
    parser.add_argument("--icb", default="E54000008", help="the ICB of the single-map and deck timings")
    parser.add_argument("--skip-all", action="store_true", help="skip the 42-ICB loop")
    parser.add_argument("--cpu", action="store_true",
                        help="time CPU seconds (time.process_time) instead of wall time: steadier ratios "
                             "on a loaded shared machine")
    args = parser.parse_args()
    if args.cpu:
        time.perf_counter = time.process_time  # every timing below, the baseline included

    t0 = time.perf_counter()
    gdf = atlas.load_atlas(args.vintage)
    atlas.load_display_geometry(args.vintage)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"atlas load: {time.perf_counter() - t0:.2f} s")

    base_cold = baseline(args.vintage, args.icb)
    base = min(baseline(args.vintage, args.icb) for _ in range(2))
    cold, _ = one_map(args.vintage, args.icb)
    warm, size = min(one_map(args.vintage, args.icb) for _ in range(2))
    name = areas.area_name(gdf, "icb", args.icb)
    print(f"\nICB {args.icb} ({name})")
    print(f"  baseline geopandas .plot() -> PNG 300 dpi: {base:.2f} s (first {base_cold:.2f} s)")
    print(f"  export-map PNG 300 dpi: first {cold:.2f} s, warm {warm:.2f} s ({size / 1e6:.1f} MB); "
          f"ratio warm/baseline {warm / base:.2f}x")

    if not args.skip_all:
        codes = areas.list_areas(gdf, "icb")["area_code"].tolist()
        t0 = time.perf_counter()
        slowest = (0.0, "")
        for code in codes:
            seconds, _ = one_map(args.vintage, code)
            slowest = max(slowest, (seconds, code))
        total = time.perf_counter() - t0
        print(f"\nall {len(codes)} ICB PNGs: {total:.1f} s ({total / len(codes):.2f} s per map, slowest "
              f"{slowest[0]:.2f} s {slowest[1]}); ratio to {len(codes)} baselines "
              f"{total / (base * len(codes)):.2f}x")

    pdf_map, pdf_size = min(one_map(args.vintage, args.icb, "pdf") for _ in range(2))
    print(f"  export-map PDF: warm {pdf_map:.2f} s ({pdf_size / 1e6:.1f} MB); ratio to baseline "
          f"{pdf_map / base:.2f}x")
    for label, make in (("profile PDF", profile.profile_pdf), ("deck", deck.profile_deck)):
        total, built, maps, size = min(one_report(args.vintage, args.icb, make) for _ in range(2))
        print(f"  one ICB {label}: {total:.1f} s (profile {built:.1f} s, {maps} maps, {size / 1e6:.1f} MB); "
              f"ratio to baseline {total / base:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
