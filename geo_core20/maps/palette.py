"""Every colour of geo_core20 in one place: interactive maps, legends, charts and print outputs.

Other modules name a colour from here and never write one: a colour changed here changes in the
app, the standalone HTML map, the print maps, the charts and the deck alike (a test finds any
hex colour written elsewhere). Plain hex strings (``#rrggbb``) or CSS ``rgba()`` where a
translucent colour is meant, so every renderer (Leaflet, canvas, Vega-Lite, matplotlib,
python-pptx, PIL) can use them.

Choices:

* shading schemes are viridis (perceptually uniform, readable in greyscale and with the common
  colour-vision deficiencies), the *most deprived* class darkest;
* categories use the Okabe-Ito colour-blind-safe set;
* hot / cold spots diverge red / blue (readable with red-green colour blindness); the 90%
  confidence classes are clearly tinted, never near-white beside "not significant";
* site markers use NHS identity colours (NHS blue for chosen outreach sites, NHS dark grey for
  fixed ones) in the app and in print;
* text colours have at least 4.5:1 contrast on white (WCAG 2 AA).
"""

from __future__ import annotations

# --- NHS identity (https://www.england.nhs.uk/nhsidentity/identity-guidelines/colours/) -----------
NHS_BLUE = "#005eb8"
NHS_DARK_GREY = "#425563"
NHS_DARK_BLUE = "#003087"  # slide titles and key numbers of the deck
NHS_MID_GREY = "#768692"  # England beside the area in the deck's charts
NHS_PALE_GREY = "#e8edee"  # key-number tiles and table bands of the deck
NHS_TEXT = "#212b32"  # NHS body text (deck)
NHS_TEXT_SECONDARY = "#4c6272"  # NHS secondary text (deck): 6.1:1 on white
WHITE = "#ffffff"
BLACK = "#000000"

# --- LSOA shading --------------------------------------------------------------------------------
DECILE_COLOURS: tuple[str, ...] = (
    "#440154", "#482878", "#3e4989", "#31688e", "#26828e",
    "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725",
)
"""viridis sampled at 10 even steps, darkest first: index 0 = decile 1 (most deprived). Also the
seven IoD domain deciles."""
SCORE_COLOURS: tuple[str, ...] = ("#440154", "#443983", "#31688e", "#21918c", "#35b779", "#90d743", "#fde725")
"""viridis at 7 steps, darkest first: index 0 = highest IMD score class (most deprived)."""
SEQUENTIAL: tuple[str, ...] = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")
"""viridis at 5 steps, low -> high: quantile classes of PLUS indicators and uploads."""
NO_DATA_COLOUR = "#bdbdbd"
"""The one no-data grey of every map (renderers, legends, exports)."""
FLAG_COLOURS: tuple[str, str] = ("#21918c", "#f2f2f2")
"""Yes / No flags (e.g. coastal)."""
CATEGORY_COLOURS: tuple[str, ...] = (
    "#0072B2", "#56B4E9", "#009E73", "#E69F00", "#D55E00", "#CC79A7", "#F0E442", "#999999",
)
"""Okabe-Ito, for categories (e.g. rural-urban class); repeated when there are more."""
COUNT_COLOURS: tuple[str, ...] = ("#f2f2f2", "#a6dba0", "#5aae61", "#1b7837")
"""Counts of uploaded places per LSOA: 0, 1, 2-4, 5 or more."""
TARGET_COLOUR = "#d95f02"
"""LSOAs in a Core20PLUS target (and their outline)."""
NOT_TARGET_COLOUR = "#e6e6e6"
"""LSOAs outside the target, on the PLUS and the outreach maps."""

CHANGE_COLOURS: dict[str, str] = {
    "entered": CATEGORY_COLOURS[4], "left": CATEGORY_COLOURS[0], "stayed": DECILE_COLOURS[0],
    "not_comparable": CATEGORY_COLOURS[7], "never": FLAG_COLOURS[1],
}
"""Core20 then and now (``geo_core20.change`` statuses): entered in Okabe-Ito vermillion, left in its
blue, stayed in the darkest viridis (the most deprived colour of the explorer), not comparable in grey,
neither in near-white."""

# --- lines ---------------------------------------------------------------------------------------
CORE20_LINE = BLACK
"""The Core20 outline: a thin dark line on a thin white halo reads on every fill."""
CORE20_HALO = WHITE
CORE20_NATIONAL_LINE = "#f0027f"
"""The Core20 outline of national print maps (too many LSOAs to hatch): a bold magenta on a thin white
halo. No viridis decile, nor the grey land or pale sea, is near it in hue (RGB distance over 170), and
it keeps 4:1 contrast with its white halo."""
AREA_LINE = "#d7191c"
"""The chosen area's boundary (and the England marker on the decile chart)."""
CONTEXT_LINE = "#7f7f7f"
"""Neighbouring areas (context when there is no basemap)."""
LSOA_EDGE = WHITE
HIGHLIGHT_LINE = "#ff7f00"
"""The LSOA under the pointer on the national map."""

# --- Gi* hot and cold spots ----------------------------------------------------------------------
HOT_COLOURS: dict[int, str] = {99: "#b2182b", 95: "#d6604d", 90: "#f4a582"}
"""Hot spots by confidence (%): ColorBrewer RdBu, the 90% class a clear salmon."""
COLD_COLOURS: dict[int, str] = {99: "#2166ac", 95: "#4393c3", 90: "#92c5de"}
"""Cold spots by confidence (%): ColorBrewer RdBu, the 90% class a clear light blue."""
NOT_SIGNIFICANT_COLOUR = "#f7f7f7"
NO_NEIGHBOURS_COLOUR = "#525252"
HOTSPOT_COLOURS: tuple[str, ...] = (
    HOT_COLOURS[99], HOT_COLOURS[95], HOT_COLOURS[90], NOT_SIGNIFICANT_COLOUR,
    COLD_COLOURS[90], COLD_COLOURS[95], COLD_COLOURS[99], NO_NEIGHBOURS_COLOUR, NO_DATA_COLOUR,
)
"""One colour per class of ``hotspots.CLASS_ORDER``, hottest first (statistics name the classes;
the map layer pairs them with these)."""

# --- outreach ------------------------------------------------------------------------------------
COVERED_COLOUR = "#2c7bb6"
"""Target LSOAs within reach of a chosen site."""
UNCOVERED_COLOUR = "#f46d43"
"""Target LSOAs beyond reach."""
BAND_COLOURS: tuple[str, ...] = ("#ffffcc", "#c2e699", "#78c679", "#31a354", "#006837")
"""Distance to the nearest site, nearest band first (YlGn)."""
CHOSEN_SITE_COLOUR = NHS_BLUE
"""Chosen outreach sites (markers, reach circles, the chosen k on the curve), app and print."""
FIXED_SITE_COLOUR = NHS_DARK_GREY
"""Sites already open (fixed in the plan), app and print."""
EXISTING_SITE_COLOUR = "#7a7a7a"
"""Existing sites of the chosen types: grey context dots."""
SITE_CLUSTER_FILL = "rgba(80,80,80,.72)"
"""Cluster bubbles of existing sites."""
MARKER_TEXT = WHITE
MARKER_SHADOW = "rgba(0,0,0,.5)"
CURVE_OTHER_K = "#9ecae1"
"""Bars of the other k on the objective curve (the chosen k is ``CHOSEN_SITE_COLOUR``)."""
UPLOAD_POINT_FILL = "#ffd92f"
UPLOAD_POINT_EDGE = BLACK

# --- page, legend and panel ----------------------------------------------------------------------
TEXT = "#222222"
"""Body text of legends, panels, the profile and print maps (15.9:1 on white)."""
TEXT_STRONG = "#111111"
TEXT_SUBTITLE = "#333333"
TEXT_SECONDARY = "#444444"
TEXT_MUTED = "#555555"
"""Notes, counts, captions and attribution (7.5:1 on white: WCAG AA for small text)."""
CAPTION_TEXT = TEXT_MUTED
"""The app's captions (Streamlit draws them #828180, 3.9:1 on white: below WCAG AA)."""
BACKGROUND = WHITE
RULE = "#dddddd"
"""Borders and rules of legends, panels and tables; chart grid lines."""
SWATCH_EDGE = "#888888"
PANEL_BACKGROUND = "#fafafa"
MAP_BACKGROUND = "#f4f4f2"
"""Behind the map when there is no basemap."""
ATTRIBUTION_BACKGROUND = "rgba(255,255,255,.85)"

# --- print (matplotlib maps, charts, deck) -------------------------------------------------------
PRINT_CONTEXT_FILL = "#f3f3f3"
"""Neighbouring areas on print maps."""
PRINT_LOCATOR_FILL = "#e6e6e6"
PRINT_LOCATOR_EDGE = "#8c8c8c"
PRINT_AREA_LINE = "#111111"
"""The area boundary on print maps: black on a white halo (``PRINT_AREA_HALO``), not the red that
turns olive under deuteranopia and merges with the middle deciles."""
PRINT_AREA_HALO = WHITE
CORE20_HATCH_LIGHT = WHITE
"""Core20 hatching on print maps over dark fills ..."""
CORE20_HATCH_DARK = "#111111"
"""... and over light fills (the higher contrast of the two is drawn, at least 4.5:1)."""
PRINT_LAND = "#e3e3e3"
"""Land outside the area on print maps (neighbours, Wales, Scotland)."""
PRINT_WATER = "#dcebf5"
"""Sea and estuaries on print maps, pale blue."""
NEATLINE = "#333333"
PLAN_REACHED = NHS_BLUE
"""Target LSOAs a plan reaches (print plan map)."""
PLAN_NOT_REACHED = "#ed8b00"
"""Target LSOAs it does not reach (NHS orange: apart from NHS blue for colour-blind readers)."""
PLAN_OTHER = "#f2f2f2"
"""LSOAs outside the plan's target."""
REACH_LINE = "#003087"
"""The reach of outreach sites on print maps (NHS dark blue, dashed)."""
LOCATOR_AREA = "#111111"
"""The area on the England locator of print maps."""
FOCUS_COLOURS: dict[str, tuple[str, ...]] = {
    "hypertension": ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"),  # ColorBrewer Reds
    "cancer": ("#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603"),  # Oranges
    "respiratory": ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"),  # Blues
    "smi": ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"),  # Greens
    "maternity": ("#feebe2", "#fbb4b9", "#f768a1", "#c51b8a", "#7a0177"),  # RdPu
}
"""One single-hue sequential palette per adult clinical focus (light = low, dark = high), none of
them the IMD viridis purples, so "dark" never flips meaning between an IMD and a focus map."""
CYP_FOCUS_COLOURS: tuple[str, ...] = ("#f7f7f7", "#cccccc", "#969696", "#636363", "#252525")
"""The children's foci (ColorBrewer Greys)."""
CHART_SHADE = BLACK
"""The Core20 band behind the decile chart (drawn at 5% opacity)."""


def rgb(colour: str) -> tuple[int, int, int]:
    """(r, g, b) 0-255 of a ``#rgb`` or ``#rrggbb`` colour."""
    from PIL import ImageColor

    return ImageColor.getrgb(colour)[:3]


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance (0 black .. 1 white)."""

    def lin(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours (1 .. 21); AA asks 4.5:1 for normal text."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# Notices drawn on the map (the offline-basemap tile-error note) and the flag markers' rim
NOTICE_BACKGROUND = "#fff3cd"  # pale amber
NOTICE_BORDER = "#c9a227"
FLAG_RIM = "#252525"  # a dark rim: the palest classes (90% hot and cold spots) still stand out


def focus_colours(focus: str) -> tuple[str, ...]:
    """The single-hue palette of a clinical focus's map layer (light = low)."""
    return FOCUS_COLOURS.get(focus, CYP_FOCUS_COLOURS)
