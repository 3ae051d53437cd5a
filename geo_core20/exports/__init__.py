"""Conference-ready outputs: static maps (PNG/SVG/PDF), charts, the area profile (HTML/PDF) and a deck.

Pure core (no Streamlit): the app's download buttons and the `export-map` / `report` commands
call the same functions:

    vd = print_maps.print_view(vintage, level, area_code, shade)  -> maps.view.ViewData (validated)
    print_maps.explorer_map(vd) / coastal_map(vd) / target_map(vd, spec) / focus_map(vd, focus)
    print_maps.plan_map(print_maps.plan_view(plan), plan)         -> MapFigure (.figure, .legend, ...)
    formats.figure_bytes(fig, "png"|"svg"|"pdf")                  -> bytes (PNG at 300 dpi)
    print_maps.export_map(vintage, level, area_code, out, shade)
    charts.decile_profile_chart / coverage_curve_chart / distance_bands_chart / focus_compare_chart -> bytes
    profile.build_profile(vintage, level, area_code, focus=None, plan="latest") -> AreaProfile
    report.report_bytes(profile, "html"|"pdf"|"pptx") / report.write_report(...)

Modules: ``cartography`` (page layout, legend, scale bar, north arrow, locator, attribution),
``formats`` (the format check, MIME types, figure bytes), ``print_maps`` (the catalogue of print
maps, each drawn from one ``maps.view.ViewData`` record), ``charts``, ``profile``, ``deck``, ``report``.
"""

from geo_core20.errors import ExportError
from geo_core20.exports.formats import FORMATS

__all__ = ["FORMATS", "ExportError"]
