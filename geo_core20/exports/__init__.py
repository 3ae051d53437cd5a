"""Conference-ready outputs: static maps (PNG/SVG/PDF), charts, the area profile (HTML/PDF) and a deck.

Pure core (no Streamlit): the app's download buttons and the `export-map` / `report` commands
call the same functions.
"""
