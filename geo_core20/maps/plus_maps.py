"""PLUS layers maps (no Streamlit): indicators, Gi* hot spots, uploaded layers and the target.

Every map is drawn by the one LSOA layer renderer (``maps.lsoa_layer.lsoa_map``) from the
view record: polygons filled by class with escaped tooltips, the thin Core20 outline, the area
boundary and dots marking the LSOAs the map is about; its legend (``choropleth.legend_of(m)``)
is shown beside the map by the page. Classes come from ``maps.classify``: indicators are
fitted on their national values, uploads on their own. The atlas and its display geometry
come from ``geo_core20.atlas`` (cached per process); the page caches the finished maps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import folium
import numpy as np
import pandas as pd

from geo_core20 import hotspots, plus, schema
from geo_core20.maps import classify, lsoa_layer, palette, view
from geo_core20.maps.classify import Classes, legend
from geo_core20.safety import escape_html

TooltipRows = Sequence[tuple[str, str]]
FLAG_COLOURS = {True: palette.FLAG_COLOURS[0], False: palette.FLAG_COLOURS[1]}
TARGET_COLOURS = {True: palette.TARGET_COLOUR, False: palette.NOT_TARGET_COLOUR}
HOTSPOT_COLOURS = dict(zip(hotspots.CLASS_ORDER, palette.HOTSPOT_COLOURS, strict=True))
"""Gi* class label -> fill: the statistics name the classes, the map layer colours them."""
TARGET_FILL_OPACITY = 0.9  # target LSOAs must read at ICB zoom, however small
HIGHLIGHT_NOTE = "{what} are also outlined in their colour, so small ones show at every zoom."
COUNT_COLOURS = palette.COUNT_COLOURS
TIDAL_LAYERS = ("coastal", "coastal_core20")  # layers of the coastal flag: their legend names tidal rivers


def escaped(values: Iterable) -> list[str]:
    return [escape_html(v) for v in values]


def layer_style(ind: plus.Indicator, national: pd.Series, classes: int = 5) -> Classes:
    """Classes of an indicator fitted on its *national* values, so a colour means the same in every
    area: quintiles (mapclassify) for numbers, Yes/No for flags, one colour per class for categories."""
    if ind.kind == plus.FLAG:
        return classify.flag(ind.label, colours=(FLAG_COLOURS[True], FLAG_COLOURS[False]))
    if ind.kind == plus.CATEGORY:
        return classify.categories(national, title=ind.label)
    n = int(pd.to_numeric(pd.Series(np.asarray(national, dtype=object)), errors="coerce").notna().sum())
    where = {plus.LSOA: "LSOAs", plus.MSOA: "MSOAs", plus.LAD: "local authorities"}[ind.level]
    note = (f"Classes are national quintiles over all {n:,} {where} in England, so a colour means the "
            "same everywhere. Darker = higher" + (f" ({ind.higher_means})." if ind.higher_means else "."))
    title = f"{ind.label} ({ind.unit})" if ind.unit and n else ind.label
    return classify.quantiles(national, classes, title=title, note=note if n else "",
                              fmt=lambda x: plus.format_value(ind, x))


def count_style(title: str) -> Classes:
    """Classes for points counted per LSOA: 0, 1, 2-4, 5 or more."""
    return classify.fixed((0.5, 1.5, 4.5, np.inf), COUNT_COLOURS, ("0", "1", "2-4", "5 or more"), title=title)


def quantile_style(values: pd.Series | np.ndarray, title: str, classes: int = 5) -> Classes:
    """Quintile classes of an uploaded column (its own values: there is no national reference)."""
    return classify.quantiles(values, classes, title=title,
                              note="Classes are quintiles of the uploaded values. Darker = higher.")


FOCUS_NOTE = "Classes are quintiles of all LSOAs in England, so a colour means the same everywhere."


def focus_style(national: pd.Series | np.ndarray, title: str, focus: str, note: str = FOCUS_NOTE) -> Classes:
    """Classes of a clinical focus layer, the same on the app's map and the print: national quintiles,
    breaks rounded for reading ("17 to 20", no shared values), the focus's own single-hue palette
    (``styles.focus_colours``: never the IMD purples)."""
    return classify.quantiles(national, 5, title=title, note=note, rounded=True,
                              colours=palette.focus_colours(focus))


def lsoa_props(sub: pd.DataFrame, **columns: Iterable) -> pd.DataFrame:
    """Tooltip fields: LSOA code and name plus ``columns``, all escaped for HTML."""
    return pd.DataFrame({"code": escaped(sub[schema.LSOA_CODE]), "name": escaped(sub[schema.LSOA_NAME]),
                         **{k: escaped(v) for k, v in columns.items()}})


TOOLTIP_DETAIL = {"tlhc_area": ("tlhc_project", "TLHC project")}
"""A flag layer's tooltip also shows a companion indicator (indicator id -> (companion id, label))."""


def indicator_map(vintage: str, level: str, area: str | None, indicator_id: str, basemap: str,
                  core20_on: bool, national: pd.Series | None = None) -> tuple[folium.Map, pd.DataFrame]:
    """The map of one indicator at its own level, and the table behind it.

    ``national``: the indicator over all England (class breaks); computed when not given.
    """
    vd = view.view_data(vintage, level, area)
    ind = plus.get(indicator_id)
    if national is None:
        national = plus.values(vd.national, indicator_id)
    style = layer_style(ind, national)
    if ind.level == plus.LSOA:
        layer = plus.area_layer(vd.frame, indicator_id, vd.frame.geometry.values)
    else:
        layer = plus.area_layer(vd.national.loc[vd.frame.index], indicator_id)
    fmt = [plus.format_value(ind, v) for v in layer["value"]]
    props = pd.DataFrame({"code": escaped(layer["area_code"]), "name": escaped(layer["area_name"]),
                          "value": escaped(fmt)})
    level_word = {plus.LSOA: "LSOA", plus.MSOA: "MSOA", plus.LAD: "Local authority"}[ind.level]
    rows_spec = [("code", level_word), ("name", "Name"), ("value", ind.label)]
    detail = TOOLTIP_DETAIL.get(indicator_id)
    if detail is not None and ind.level == plus.LSOA:  # e.g. the TLHC flag names the project(s) too
        names = plus.values(vd.frame, detail[0]).fillna("").astype(str).to_numpy()
        props["detail"] = escaped(names)
        rows_spec.append(("detail", detail[1]))
    # legend counts are "LSOAs in view"; MSOA and LAD layers say what they show in a note instead
    # flagged LSOAs (coastal Core20, ...) are outlined and marked too, so small ones show at ICB zoom
    flagged = ind.kind == plus.FLAG and ind.level == plus.LSOA
    klass = style.find_bin(layer["value"])
    tidal = plus.coastal.tidal_note(vd.frame) if indicator_id in TIDAL_LAYERS else None
    lgd = style.legend(layer["value"] if ind.level == plus.LSOA else None,
                       notes=(f"Shown per {plus.LEVEL_TEXT[ind.level]}: {len(layer):,} in view.",
                              tidal or "",
                              HIGHLIGHT_NOTE.format(what="'Yes' LSOAs") if flagged else "",
                              lsoa_layer.FLAG_NOTE.format(what="'Yes' LSOA") if flagged else ""),
                       core20_outline=core20_on, area_name=vd.area_name if level != "england" else "")
    m = lsoa_layer.lsoa_map(vd, props, klass, style.colours, rows_spec,
                            name=f"{ind.label} ({plus.LEVEL_TEXT[ind.level]})", legend=lgd, basemap=basemap,
                            core20_on=core20_on, geoms=layer.geometry.values,
                            flagged=np.asarray(klass) == 0 if flagged else None,
                            highlight_class=0 if flagged else None)
    table = pd.DataFrame(layer.drop(columns="geometry"))
    return m, table


def hotspot_map(vintage: str, level: str, area: str | None, result: hotspots.HotspotResult, label: str,
                basemap: str, core20_on: bool) -> folium.Map:
    """LSOAs classed by Gi* hot/cold spot (``result`` rows in the area's atlas order); every hot and
    cold spot is marked by a dot too."""
    vd = view.view_data(vintage, level, area)
    colours = [HOTSPOT_COLOURS[c] for c in hotspots.CLASS_ORDER]
    lgd = legend(f"Gi* hot and cold spots: {label}", colours, list(hotspots.CLASS_ORDER),
                 result.counts().tolist(),
                 notes=("FDR-adjusted (Benjamini-Hochberg).",
                        lsoa_layer.FLAG_NOTE.format(what="hot or cold spot")),
                 core20=core20_on, area_name=vd.area_name if level != "england" else "")
    klass = pd.Categorical(result.frame["hotspot"], categories=list(hotspots.CLASS_ORDER)).codes
    spots = result.frame["hotspot"].isin([*hotspots.HOT.values(), *hotspots.COLD.values()]).to_numpy()
    props = lsoa_props(vd.frame, cls=result.frame["hotspot"].astype(str),
                       z=[f"{z:.2f}" if np.isfinite(z) else "" for z in result.frame["z"]],
                       q=[f"{q:.3f}" if np.isfinite(q) else "" for q in result.frame["p_fdr"]])
    return lsoa_layer.lsoa_map(vd, props, klass, colours,
                               [("code", "LSOA"), ("name", "Name"), ("cls", "Class"), ("z", "Gi* z"),
                                ("q", "FDR p")],
                               name="Gi* hot and cold spots", legend=lgd, basemap=basemap,
                               core20_on=core20_on, flagged=spots)


def target_map(vintage: str, level: str, area: str | None, result: plus.TargetResult, basemap: str,
               core20_on: bool) -> folium.Map:
    """LSOAs in and out of a Core20PLUS target (``result`` evaluated on the area's atlas rows)."""
    vd = view.view_data(vintage, level, area)
    s = result.summary
    colours = [TARGET_COLOURS[True], TARGET_COLOURS[False]]
    inside = result.mask.to_numpy(dtype=bool)
    lgd = legend("Core20PLUS target", colours, ["In the target", "Not in the target"],
                 [int(s["lsoas"]), int(s["area_lsoas"] - s["lsoas"])],
                 notes=(result.spec.describe(), HIGHLIGHT_NOTE.format(what="Target LSOAs"),
                        lsoa_layer.FLAG_NOTE.format(what="target LSOA")),
                 core20=core20_on, area_name=vd.area_name if level != "england" else "")
    props = lsoa_props(vd.frame, inside=np.where(inside, "Yes", "No"),
                       core20=np.where(vd.core20_mask, "Yes", "No"))
    return lsoa_layer.lsoa_map(vd, props, np.where(inside, 0, 1), colours,
                               [("code", "LSOA"), ("name", "Name"), ("inside", "In target"),
                                ("core20", "Core20")],
                               name="Core20PLUS target", legend=lgd, basemap=basemap, core20_on=core20_on,
                               fill_opacity=TARGET_FILL_OPACITY, flagged=inside, highlight_class=0)
