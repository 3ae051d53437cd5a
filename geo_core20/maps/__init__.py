"""Map building (no Streamlit): pages call ``maps.view.build_view_map`` and never pick a renderer.

- ``view``: the view record (``ViewData``: frame, classes, legend, boundary, context, summary),
  built once per view and read by every map, interactive and print; one call per explorer view
  (vintage, level, area, shading), every extent drawn by the national canvas renderer
  (``national``); returns the map and its legend.
- ``lsoa_layer``: the one LSOA layer renderer of the PLUS, upload and outreach maps (classes on
  one canvas, Core20 outline, boundary, dots keeping flagged LSOAs visible at any zoom).
- ``classify``: the one classification and style object (``Classes``: fit on national or
  chosen values, ``find_bin`` any area; mapclassify quantiles and natural breaks), the
  ``Legend`` every map returns and ``legend_html`` / ``legend_frame`` to show it beside the map.
- ``styles``: the explorer's shadings (IMD and domain deciles, IMD score natural breaks).
- ``choropleth``: folium building blocks (base map, canvas LSOA layer, outlines, controls).
- ``shared_geometry``: a map's polygons as a static file the browser fetches once and keeps, so the
  app's display of a new PLUS layer, hot-spot or outreach map sends only classes and values.
- ``elements``: map CSS, scroll-wheel zoom on focus, attribution.
- ``assets``: Leaflet and plugin JS/CSS from npm into static/, served at /app/static.
- ``export``: CSV, GeoJSON and standalone HTML downloads with attribution, and their file names.
- ``outreach`` / ``plus_maps`` / ``upload_maps``: the outreach planner's, PLUS layers' and
  uploaded layers' maps (pages keep only the Streamlit caches around them).
"""
