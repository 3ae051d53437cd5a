"""Print maps of PLUS layers (coastal, a Core20PLUS target) and clinical focus layers, drawn by
``static_map.draw_map`` with the same classes and colours as the app."""

from __future__ import annotations

from geo_core20 import atlas, clinical, plus, schema, sources
from geo_core20.exports.static_map import (
    CORE20_DEFINITION,
    ExportError,
    MapFigure,
    draw_map,
    key_numbers,
    locator_vintage,
    map_view,
)
from geo_core20.maps import classify, plus_maps, view


def target_map(vintage: str, level: str, area_code: str | None, spec: plus.TargetSpec, *,
               with_legend: bool = True) -> MapFigure:
    """The LSOAs of a view in and out of a Core20PLUS target (no uploaded layers), Core20 outlined."""
    v = map_view(vintage, level, area_code, schema.IMD_DECILE)
    result = plus.evaluate(spec.validate(vintage), v.frame)
    inside = result.mask.to_numpy(dtype=bool)
    classes = classify.flag("Core20PLUS target", spec.describe(),
                            labels=("In the target", "Not in the target"),
                            colours=(plus_maps.TARGET_COLOURS[True], plus_maps.TARGET_COLOURS[False]))
    legend = classes.legend(inside, core20_outline=True, area_name=v.name if v.boundary is not None else "")
    s = result.summary
    title = f"{v.name}: Core20PLUS target"
    subtitle = (f"{schema.LEVEL_LABEL[level]} · {view.vintage_label(vintage)} · {s['lsoas']:,} LSOAs, "
                f"{s['population']:,} residents · {spec.describe()}\n{CORE20_DEFINITION}")
    fig = draw_map(v.frame, classes.find_bin(inside), legend, title=title, subtitle=subtitle,
                   notes=legend.notes,
                   attribution=[*view.attribution_lines(vintage), *plus_attribution()],
                   outline_mask=v.frame[schema.CORE20].to_numpy(dtype=bool), area_boundary=v.boundary,
                   area_name=v.name, context=v.context, locator_vintage=locator_vintage(v),
                   with_legend=with_legend)
    numbers = {"LSOAs in the target": f"{s['lsoas']:,}", "Residents": f"{s['population']:,}",
               "Core20 LSOAs in it": f"{s['core20_lsoas']:,}"}
    return MapFigure(fig, title, subtitle, legend, legend.notes, numbers)


def plus_attribution() -> list[str]:
    return sources.attribution_lines(plus.DATASETS)


def coastal_map(
    vintage: str, level: str, area_code: str | None = None, *, with_legend: bool = True
) -> MapFigure:
    """The coastal PLUS layer of a view (published G_25_5 flag), Core20 outlined."""
    v = map_view(vintage, level, area_code, schema.IMD_DECILE)
    frame = v.frame
    classes = classify.flag(
        "Coastal LSOA (published flag G_25_5)",
        "Coastal: at least 25% of the LSOA's postcodes within 5 km of the coast "
        "(Welsh et al., BMJ Public Health 2024).",
        labels=("Coastal", "Not coastal"),
    )
    coastal = frame[schema.COASTAL].astype(bool)
    legend = classes.legend(coastal, core20_outline=True, area_name=v.name if v.boundary is not None else "")
    core = frame[schema.CORE20].to_numpy(dtype=bool)
    both = int((coastal.to_numpy() & core).sum())
    pop = frame[schema.POPULATION]
    title = f"{v.name}: coastal communities"
    subtitle = (
        f"{schema.LEVEL_LABEL[level]} · {view.vintage_label(vintage)} · {int(coastal.sum()):,} coastal "
        f"LSOAs, {both:,} of them Core20\n{CORE20_DEFINITION}"
    )
    fig = draw_map(
        frame,
        classes.find_bin(coastal),
        legend,
        title=title,
        subtitle=subtitle,
        notes=legend.notes,
        attribution=view.attribution_lines(vintage),
        outline_mask=core,
        area_boundary=v.boundary,
        area_name=v.name,
        context=v.context,
        locator_vintage=locator_vintage(v),
        with_legend=with_legend,
    )
    numbers = {
        "Coastal LSOAs": f"{int(coastal.sum()):,}",
        "Coastal and Core20 LSOAs": f"{both:,}",
        "Coastal population": f"{int(pop[coastal].sum()):,}",
        "Coastal Core20 population": f"{int(pop[coastal & frame[schema.CORE20]].sum()):,}",
    }
    return MapFigure(fig, title, subtitle, legend, legend.notes, numbers)


def focus_map(
    vintage: str,
    level: str,
    area_code: str | None,
    focus: str,
    layer: str | None = None,
    *,
    with_legend: bool = True,
) -> MapFigure:
    """A clinical focus layer of a view, classed as the app's focus map: quintiles of the layer's
    national values (``plus_maps.quantile_style``), counts for this area, Core20 outlined."""
    v = map_view(vintage, level, area_code, schema.IMD_DECILE)
    try:
        national = clinical.focus_layer(atlas.load_atlas(vintage), focus, layer)
    except (clinical.UnknownFocus, KeyError) as exc:
        raise ExportError(str(exc).strip("'\"")) from exc
    title_layer = f"{national.label} ({national.unit})"
    # the app's classes (plus_maps.quantile_style: national quintiles), with a note that says so
    app = plus_maps.quantile_style(national.values, title_layer)
    note = "Classes are quintiles of the layer's values over all England LSOAs. Darker = higher."
    classes = classify.Classes(app.colours, app.labels, app.title, note, app.kind, upper=app.upper)
    values = national.values.loc[v.frame.index]
    legend = classes.legend(
        values, core20_outline=True, area_name=v.name if v.boundary is not None else "", no_data=True
    )
    f = clinical.FOCI[focus]
    title = f"{v.name}: {f.label}"
    subtitle = f"{title_layer} · {view.vintage_label(vintage)}\n{CORE20_DEFINITION}"
    notes = tuple(n for n in (*legend.notes, national.note) if n)
    fig = draw_map(
        v.frame,
        classes.find_bin(values),
        legend,
        title=title,
        subtitle=subtitle,
        notes=notes,
        attribution=[*view.attribution_lines(vintage), *clinical.attribution(focus)],
        outline_mask=v.frame[schema.CORE20].to_numpy(dtype=bool),
        area_boundary=v.boundary,
        area_name=v.name,
        context=v.context,
        locator_vintage=locator_vintage(v),
        with_legend=with_legend,
    )
    return MapFigure(fig, title, subtitle, legend, notes, key_numbers(v.summary))
