"""One palette (issue 17): every colour in ``geo_core20.maps.palette``, none written anywhere else.

The scan reads the Python source of the app (``geo_core20/``, ``app.py``, ``views/``) and finds
every hex colour (#rgb, #rgba, #rrggbb, #rrggbbaa) inside a string, f-strings and docstrings
included. Only the palette module may hold one. ``geo_core20/exports/`` is a separate case,
expected to fail (strict) until the print renderers are switched to the palette, so it flips to
a pass, and must then lose its mark, when they are.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from geo_core20 import hotspots, schema
from geo_core20.exports import print_maps
from geo_core20.maps import classify, outreach, palette, plus_maps, styles

ROOT = Path(__file__).resolve().parents[1]
PALETTE = ROOT / "geo_core20" / "maps" / "palette.py"
EXPORTS = ROOT / "geo_core20" / "exports"
HEX = re.compile(r"(?<![\w&#])#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3,4})(?![\w-])")


def python_files(*roots: Path) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        files.extend([root] if root.is_file() else sorted(root.rglob("*.py")))
    return files


def hex_literals(path: Path) -> list[str]:
    """'file:line: #colour' for each hex colour in a string of the file's source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.extend(f"{path}:{node.lineno}: {m}" for m in HEX.findall(node.value))
    return found


def scan(files: list[Path]) -> list[str]:
    return [hit for f in files if f != PALETTE for hit in hex_literals(f)]


def test_the_scan_finds_hex_colours_in_strings_and_f_strings(tmp_path):
    src = tmp_path / "x.py"
    src.write_text('A = "#abc"\nB = f"color:#A1B2C3;{A}"\nC = "rgba(0,0,0,.5) #11223344"\n'
                   'D = "see #12 and page#top and &#123;"  # "#ffffff" in a comment is not code\n')
    hits = [h.split(": ", 1)[1] for h in hex_literals(src)]
    assert sorted(hits) == ["#11223344", "#A1B2C3", "#abc"]


def test_no_hex_colour_outside_the_palette():
    files = [f for f in python_files(ROOT / "geo_core20", ROOT / "app.py", ROOT / "views")
             if EXPORTS not in f.parents]
    assert len(files) > 50 and PALETTE in files
    assert scan(files) == []


def test_no_hex_colour_in_the_print_renderers():
    assert scan(python_files(EXPORTS)) == []


def test_palette_holds_hex_colours():
    assert len(hex_literals(PALETTE)) >= 40


def test_hotspot_statistics_import_no_map_module():
    """Statistics return classes; the map layer colours them (no import back up the layers)."""
    code = ("import sys, geo_core20.hotspots; "
            "print(sorted(m for m in sys.modules if m.startswith('geo_core20.maps')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
    assert not hasattr(hotspots, "CLASS_COLOURS")


def test_hotspot_classes_each_have_a_colour_and_the_90_percent_classes_stand_out():
    assert len(palette.HOTSPOT_COLOURS) == len(hotspots.CLASS_ORDER)
    assert list(plus_maps.HOTSPOT_COLOURS) == list(hotspots.CLASS_ORDER)
    assert len(set(palette.HOTSPOT_COLOURS)) == len(palette.HOTSPOT_COLOURS)
    blank = plus_maps.HOTSPOT_COLOURS[hotspots.NOT_SIGNIFICANT]
    for label in (hotspots.HOT[90], hotspots.COLD[90]):
        # the old 90% fills (#fddbc7, #d1e5f0) were 1.2:1 against "not significant": near-white
        assert palette.contrast_ratio(plus_maps.HOTSPOT_COLOURS[label], blank) >= 1.6, label
    # darker with confidence on both sides
    for side in (hotspots.HOT, hotspots.COLD):
        lum = [palette.relative_luminance(plus_maps.HOTSPOT_COLOURS[side[c]]) for c in (90, 95, 99)]
        assert lum == sorted(lum, reverse=True)
    assert plus_maps.HOTSPOT_COLOURS[hotspots.NO_DATA] == palette.NO_DATA_COLOUR


def test_renderers_read_their_colours_from_the_palette():
    # the explorer's shadings are drawn in the palette's colours, and styles keeps no copy of any of them
    # (renderers import palette and classify names from their owners, not through styles)
    deciles = styles.decile_classes(schema.IMD_DECILE)
    assert tuple(deciles.colours) == tuple(palette.DECILE_COLOURS)
    assert tuple(styles.score_classes(np.arange(100.0)).colours) == tuple(palette.SCORE_COLOURS)
    no_data_and_first = [palette.NO_DATA_COLOUR, palette.DECILE_COLOURS[0]]
    assert list(deciles.colour(np.array([np.nan, 1.0]))) == no_data_and_first
    assert not [n for n in vars(styles) if n.isupper() and n in vars(palette)]
    assert not [n for n in ("Classes", "Legend", "LegendEntry", "legend_html") if hasattr(styles, n)]
    assert plus_maps.TARGET_COLOURS == {True: palette.TARGET_COLOUR, False: palette.NOT_TARGET_COLOUR}
    assert plus_maps.TARGET_COLOURS[False] == outreach.NOT_TARGET  # one "not in the target" grey
    assert classify.categories(["a", "b"], title="t").colours == palette.CATEGORY_COLOURS[:2]


def test_app_site_colours_are_the_palettes_nhs_colours():
    assert outreach.CHOSEN_COLOUR == palette.CHOSEN_SITE_COLOUR == palette.NHS_BLUE == "#005eb8"
    assert outreach.FIXED_COLOUR == palette.FIXED_SITE_COLOUR == palette.NHS_DARK_GREY == "#425563"
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["theme"]
    assert theme["primaryColor"].lower() == palette.NHS_BLUE


def test_printed_plan_map_uses_the_apps_site_colours():
    site = {"lon": -1.2, "lat": 54.7, "name": "A", "rank": 1}
    layers = print_maps.plan_points({"siting": {"fixed": [{**site, "fixed": True}], "chosen": [site]}})
    assert [layer.colour for layer in layers] == [palette.FIXED_SITE_COLOUR, palette.CHOSEN_SITE_COLOUR]


@pytest.mark.parametrize("name", ["TEXT", "TEXT_STRONG", "TEXT_SUBTITLE", "TEXT_SECONDARY", "TEXT_MUTED",
                                  "CAPTION_TEXT"])
def test_text_colours_meet_wcag_aa_on_white_and_on_the_panels(name):
    colour = getattr(palette, name)
    for background in (palette.BACKGROUND, palette.PANEL_BACKGROUND, palette.MAP_BACKGROUND):
        assert palette.contrast_ratio(colour, background) >= 4.5, (name, background)


def test_contrast_ratio_matches_wcag_reference_values():
    assert palette.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert palette.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # WebAIM
    assert palette.contrast_ratio("#828180", "#ffffff") < 4.5  # Streamlit's caption grey
    assert palette.rgb("#abc") == (0xAA, 0xBB, 0xCC)
