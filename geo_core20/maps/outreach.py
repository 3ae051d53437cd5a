"""Outreach planner maps (no Streamlit): a plan's reach and the distance to existing sites.

The page passes what it has cached (sites, the access result, the plan's JSON); the atlas and
its display geometry come from ``geo_core20.atlas`` (cached per process). Every site and LSOA
name is escaped before it reaches a tooltip or popup.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import folium.plugins
import numpy as np
import pandas as pd

from geo_core20 import access, schema
from geo_core20.maps import choropleth, classify, lsoa_layer, palette, view
from geo_core20.safety import escape_html
from geo_core20.siting.solver import site_where

COVERED, UNCOVERED, NOT_TARGET = palette.COVERED_COLOUR, palette.UNCOVERED_COLOUR, palette.NOT_TARGET_COLOUR
BAND_COLOURS = palette.BAND_COLOURS
CHOSEN_COLOUR, FIXED_COLOUR, SITE_COLOUR = (palette.CHOSEN_SITE_COLOUR, palette.FIXED_SITE_COLOUR,
                                            palette.EXISTING_SITE_COLOUR)
FILL_OPACITY = 0.75
SITE_CLUSTER_MIN = 150  # cluster existing sites beyond this many
SITE_CLASS = "op-site"  # CSS class of the numbered chosen-site markers (browser tests count them)
# small grey cluster bubbles: existing sites are context, the chosen sites must stand out
CLUSTER_ICON = f"""function (cluster) {{
  var n = cluster.getChildCount(), s = n < 10 ? 20 : n < 100 ? 24 : 28;
  return L.divIcon({{html: '<div style="background:{palette.SITE_CLUSTER_FILL};color:{palette.MARKER_TEXT};'
    + 'border-radius:50%;width:' + s + 'px;height:' + s + 'px;line-height:' + s + 'px;text-align:center;'
    + 'font:11px system-ui,sans-serif;border:1px solid {palette.MARKER_TEXT}">' + n + '</div>',
    className: 'op-cluster', iconSize: L.point(s, s)}});
}}"""


def site_layer(m: folium.Map, sites: pd.DataFrame, name: str) -> None:
    """Existing sites as small dots, clustered when many; names escaped in tooltips and popups."""
    if sites.empty:
        return
    if len(sites) > SITE_CLUSTER_MIN:
        group = folium.plugins.MarkerCluster(name=escape_html(name), show=True,
                                             options={"disableClusteringAtZoom": 14, "maxClusterRadius": 45},
                                             icon_create_function=CLUSTER_ICON)
    else:
        group = folium.FeatureGroup(name=escape_html(name), show=True)
    for s in sites.itertuples(index=False):
        kind = schema.SITE_TYPES.get(s.site_type, s.site_type)
        where = site_where({"name": s.site_name, "address": getattr(s, "address", ""),
                            "town": getattr(s, "town", "")})
        label = (f"{escape_html(s.site_name)}<br>" + (f"{escape_html(where)}<br>" if where else "")
                 + escape_html(kind))
        folium.CircleMarker([s.lat, s.lon], radius=3.5, color=palette.MARKER_TEXT, weight=1, fill=True,
                            fill_color=SITE_COLOUR, fill_opacity=0.95, tooltip=label,
                            popup=folium.Popup(f"{label}<br>{escape_html(s.site_code)} · "
                                               f"{escape_html(s.postcode)}", max_width=260)).add_to(group)
    group.add_to(m)




def plan_map(data: dict, vintage: str, level: str, area: str | None, *, basemap: str, core20_on: bool,
             existing_sites: pd.DataFrame | None = None) -> folium.Map:
    """Target LSOAs coloured by whether a chosen site is within reach; chosen sites numbered.

    ``data`` is a plan's JSON (``PlanResult.to_dict()``); ``existing_sites`` (site_code,
    site_name, site_type, postcode, lon, lat), when given, are drawn as grey context dots.
    """
    vd = view.view_data(vintage, level, area)
    sub = vd.frame
    s = data["siting"]
    assign = pd.DataFrame(s["assignment"])
    unit = s.get("unit", "m")
    cost = (sub[schema.LSOA_CODE].map(assign.set_index("code")["cost"]) if len(assign)
            else pd.Series(np.nan, index=sub.index))
    covered = (sub[schema.LSOA_CODE].map(assign.set_index("code")["covered"]) if len(assign)
               else pd.Series(np.nan, index=sub.index))
    in_target = covered.notna().to_numpy()
    klass = np.where(~in_target, 2, np.where(covered.fillna(False).astype(bool).to_numpy(), 0, 1))
    reach = access.format_cost(s["radius"], s.get("unit", "m"))
    status = np.array([f"Target, within {reach} of a chosen site", f"Target, beyond {reach}",
                       "Not in the target"])[klass]
    dist = [access.format_cost(c, unit, decimals=1, missing="")
            for c in cost.to_numpy(dtype=float)]  # NaN (not a target LSOA) is not finite either
    props = pd.DataFrame({"code": [escape_html(c) for c in sub[schema.LSOA_CODE]],
                          "name": [escape_html(n) for n in sub[schema.LSOA_NAME]],
                          "status": [escape_html(t) for t in status],
                          "pop": [f"{int(p):,}" for p in sub[schema.POPULATION]],
                          "dist": dist})
    counts = [int((klass == i).sum()) for i in range(3)]
    show_existing = existing_sites is not None and len(existing_sites) > 0  # none for a sites-file plan
    area_name = data.get("area_name", "") if level != "england" else ""
    circles = ", with their reach circles" if unit == "m" else ""  # a reach in minutes is not a circle
    notes = (f"Numbered blue markers: chosen sites{circles}. F: sites already open.",
             lsoa_layer.FLAG_NOTE.format(what="target LSOA"),
             "Grey dots: existing sites of the chosen types." if show_existing else "")
    legend = classify.Legend(
        "Reach of the chosen sites",
        (classify.LegendEntry(COVERED, f"Target LSOA within {reach}", counts[0]),
         classify.LegendEntry(UNCOVERED, f"Target LSOA beyond {reach}", counts[1]),
         classify.LegendEntry(NOT_TARGET, "Not in the target", counts[2])),
        tuple(n for n in notes if n), core20_on, area_name)
    m = lsoa_layer.lsoa_map(vd, props, klass, [COVERED, UNCOVERED, NOT_TARGET],
                            [("code", "LSOA"), ("name", "Name"), ("status", "Status"), ("pop", "Population"),
                             ("dist", "Nearest chosen site")], name="Target LSOAs", legend=legend,
                            basemap=basemap, core20_on=core20_on, fill_opacity=FILL_OPACITY,
                            flagged=in_target, finish=False)
    if show_existing:
        site_layer(m, existing_sites, "Existing sites of the chosen types")
    group = folium.FeatureGroup(name="Chosen sites", show=True)
    for site in [*s.get("fixed", []), *s.get("chosen", [])]:
        fixed = bool(site.get("fixed"))
        label = "F" if fixed else str(int(site.get("rank") or 0))
        name = escape_html(site.get("name"))
        covered_pop = f"{int(site.get('covered_population') or 0):,}"
        where = escape_html(site_where(site))
        tip = (f"<b>{label}. {name}</b><br>" + (f"{where}<br>" if where else "")
               + f"{escape_html(site.get('candidate_id'))}"
               f"{' (already open)' if fixed else ''}<br>Target residents within {escape_html(reach)}: "
               f"{covered_pop}")
        colour = FIXED_COLOUR if fixed else CHOSEN_COLOUR
        if unit == "m":
            folium.Circle([site["lat"], site["lon"]], radius=float(s["radius"]), color=colour, weight=1.5,
                          fill=True, fill_opacity=0.06, interactive=False).add_to(group)
        icon = folium.DivIcon(html=(f'<div class="{SITE_CLASS}" style="background:{colour};'
                                    f"color:{palette.MARKER_TEXT};border:2px solid {palette.MARKER_TEXT};"
                                    "border-radius:50%;width:24px;height:24px;"
                                    "line-height:20px;text-align:center;font:bold 12px system-ui,sans-serif;"
                                    f'box-shadow:0 1px 4px {palette.MARKER_SHADOW}">'
                                    f"{escape_html(label)}</div>"),
                              icon_size=(24, 24), icon_anchor=(12, 12))
        folium.Marker([site["lat"], site["lon"]], icon=icon, tooltip=tip,
                      popup=folium.Popup(tip, max_width=280)).add_to(group)
    group.add_to(m)
    return choropleth.finish_map(m, legend)


def access_map(res: access.AccessResult, vintage: str, level: str, area: str | None,
               types: Sequence[str], sites: pd.DataFrame, *, basemap: str, core20_on: bool) -> folium.Map:
    """Target LSOAs banded by straight-line distance to the nearest site; ``sites`` drawn as dots."""
    vd = view.view_data(vintage, level, area)
    sub = vd.frame
    target = res.weights.to_numpy() > 0
    cost = res.nearest["cost"].to_numpy()
    band = np.searchsorted(np.asarray(access.DEFAULT_BAND_EDGES_M), cost, side="left")
    klass = np.where(target, band, len(BAND_COLOURS))
    labels = access.band_labels(access.DEFAULT_BAND_EDGES_M)
    props = pd.DataFrame({
        "code": [escape_html(c) for c in sub[schema.LSOA_CODE]],
        "name": [escape_html(n) for n in sub[schema.LSOA_NAME]],
        "target": np.where(target, "Yes", "No"),
        "site": [escape_html(n) if n else "" for n in res.nearest["site_name"].fillna("")],
        "dist": [access.format_cost(c, decimals=1, missing="none") for c in cost],
    })
    counts = [int((klass == i).sum()) for i in range(len(BAND_COLOURS) + 1)]
    entries = tuple(classify.LegendEntry(c, f"Target LSOA, nearest site {lab}", n)
                    for c, lab, n in zip(BAND_COLOURS, labels, counts[:-1], strict=True))
    area_name = vd.area_name if level != "england" else ""
    legend = classify.Legend("Straight-line distance to the nearest site",
                           (*entries, classify.LegendEntry(NOT_TARGET, "Not in the target", counts[-1])),
                           (f"Types: {', '.join(schema.SITE_TYPES[t] for t in types)}.",
                            "From each LSOA's population-weighted centre."), core20_on, area_name)
    m = lsoa_layer.lsoa_map(vd, props, klass, [*BAND_COLOURS, NOT_TARGET],
                            [("code", "LSOA"), ("name", "Name"), ("target", "In target"),
                             ("site", "Nearest site"), ("dist", "Distance")],
                            name="Distance to the nearest site", legend=legend, basemap=basemap,
                            core20_on=core20_on, fill_opacity=FILL_OPACITY, finish=False)
    site_layer(m, sites, "Sites")
    return choropleth.finish_map(m, legend)
