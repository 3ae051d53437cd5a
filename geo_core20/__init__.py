"""geo_core20: NHS England's Core20PLUS5 on a map.

The pure core (no Streamlit): data fetch and build (`sources`, `fetch`, `readers`,
`atlas`), geography (`areas`), PLUS indicators and hotspots, access and siting, plans,
and map building (`maps`).
"""

__version__ = "0.1.0"
