"""Conference-ready outputs: static maps (PNG/SVG/PDF), charts, the area profile (HTML/PDF) and a deck.

Pure core (no Streamlit): the app's download buttons and the `export-map` / `report` commands
call the same functions:

    static_map.explorer_map(vintage, level, area_code, shade)  -> MapFigure (.figure, .legend, ...)
    static_map.plan_map(plan_dict); layer_maps.coastal_map / focus_map / target_map -> MapFigure
    static_map.figure_bytes(fig, "png"|"svg"|"pdf")            -> bytes (PNG at 300 dpi)
    static_map.export_map(vintage, level, area_code, out, shade)
    charts.decile_profile_chart / coverage_curve_chart / distance_bands_chart / focus_compare_chart -> bytes
    profile.build_profile(vintage, level, area_code, focus=None, plan="latest") -> AreaProfile
    report.report_bytes(profile, "html"|"pdf"|"pptx") / report.write_report(...)
"""

from geo_core20.exports.static_map import FORMATS, ExportError

__all__ = ["FORMATS", "ExportError"]
