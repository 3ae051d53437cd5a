"""Map building (no Streamlit): pages call ``maps.view.build_view_map`` and never pick a renderer.

- ``view``: one call per view (vintage, level, area, shading); picks SVG GeoJSON for small
  extents, the national renderer (``national``, issue 6) for England and regions.
- ``choropleth``: folium building blocks (base map, LSOA layer, outlines, legend, controls).
- ``styles``: colour-blind-safe classes and legends shared by every renderer.
- ``elements``: legend and attribution Leaflet controls.
- ``assets``: Leaflet and plugin JS/CSS from npm into static/, served at /app/static.
- ``export``: CSV, GeoJSON and standalone HTML downloads with attribution.
- ``outreach`` / ``plus_maps``: the outreach planner's and PLUS layers' maps (pages keep only
  the Streamlit caches around them).
"""
