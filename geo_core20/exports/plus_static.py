"""Print maps of the PLUS page's Core20PLUS target (the same classes and colours as the app)."""

from __future__ import annotations

from geo_core20 import plus, schema, sources
from geo_core20.exports.static_map import (
    CORE20_DEFINITION,
    MapFigure,
    draw_map,
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
