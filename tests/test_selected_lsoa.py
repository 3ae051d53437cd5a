"""The explorer's "Selected LSOA" panel: a click on the map, then other controls (issue 17).

A click is simulated the way the browser reports it: the map component's value becomes
``{"last_active_drawing": <the clicked feature>}`` (AppTest cannot click inside the iframe).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo_core20 import schema
from geo_core20.maps.choropleth import BASEMAPS

APP = str(Path(__file__).resolve().parents[1] / "app.py")
HULL = "E06000010"  # Kingston upon Hull, City of


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def map_keys(at: AppTest) -> list[str]:
    """The widget keys of the map components on the page (streamlit-folium's iframes)."""
    found: list[str] = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "component_instance":
            found.append(node.proto.id.split("-", 2)[2])  # "$$ID-<hash>-<user key>"
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return found


def click_lsoa(at: AppTest, code: str) -> AppTest:
    """What a click on an LSOA sends back: the component's value (the only map on the page)."""
    (key,) = map_keys(at)
    at.session_state[key] = {"last_active_drawing": {"type": "Feature", "properties": {"lsoa_code": code}}}
    return _ok(at.run())


def panel_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


@pytest.fixture
def hull_lsoa(atlas2025) -> tuple[str, str]:
    row = atlas2025[atlas2025["lad_code"] == HULL].iloc[0]
    return row[schema.LSOA_CODE], row[schema.LSOA_NAME]


def test_changing_the_shading_keeps_the_selected_lsoa(hull_lsoa):
    code, name = hull_lsoa
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params.update(level="lad", area=HULL)
    _ok(at.run())
    assert "Click an LSOA on the map" in " ".join(i.value for i in at.info)
    click_lsoa(at, code)
    assert f"**{name}**" in panel_text(at) and code in panel_text(at)
    old_key = map_keys(at)[0]

    at.selectbox(key="gc20_shade").set_value("health_decile").run()
    _ok(at)
    assert "Shaded by Health deprivation and disability" in " ".join(c.value for c in at.caption)
    # issue 22: a new shading is drawn in the kept map (same component), only its layers change
    assert map_keys(at)[0] == old_key, "a new shading rebuilt the map component"
    assert f"**{name}**" in panel_text(at) and code in panel_text(at), "the selected LSOA was cleared"
    at.toggle(key="gc20_core20").set_value(False).run()
    assert f"**{name}**" in panel_text(_ok(at))
    # a new basemap is a new map (a new component whose value starts empty): the selection is kept
    at.selectbox(key="gc20_basemap").set_value(next(b for b in BASEMAPS if b != "none")).run()
    assert map_keys(_ok(at))[0] != old_key, "a new basemap draws a new map component"
    assert f"**{name}**" in panel_text(at) and code in panel_text(at), "the selected LSOA was cleared"


def test_a_new_click_after_a_shading_change_replaces_the_selection(atlas2025, hull_lsoa):
    code, name = hull_lsoa
    other = atlas2025[(atlas2025["lad_code"] == HULL) & (atlas2025[schema.LSOA_CODE] != code)].iloc[0]
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params.update(level="lad", area=HULL)
    click_lsoa(_ok(at.run()), code)
    at.selectbox(key="gc20_shade").set_value("income_decile").run()
    click_lsoa(_ok(at), other[schema.LSOA_CODE])
    assert f"**{other[schema.LSOA_NAME]}**" in panel_text(at) and f"**{name}**" not in panel_text(at)
    # an LSOA outside the new area is not shown as selected
    at.selectbox(key="gc20_level").set_value("icb").run()
    at.selectbox(key="gc20_area").set_value("E54000008").run()
    assert f"**{other[schema.LSOA_NAME]}**" not in panel_text(_ok(at))
