"""The PLUS page and the accelerator cards say what the data really is (AppTest): the coastal layer
names the tidal river behind 'coastal' in London; the Gypsy, Roma and Traveller layers say, offline,
that LSOA counts exist (Census 2021 TS021) and how to get them, and nothing breaks."""

from __future__ import annotations

import pytest
from apptests import APP, PLUS_PAGE, ok, open_page, shown_legends

from geo_core20 import plus
from geo_core20.clinical.accelerators import GRT_NOTE
from geo_core20.maps import choropleth, plus_maps

NCL, CORNWALL = "E54000028", "E54000036"  # North Central London; Cornwall and the Isles of Scilly
TIDAL = "All 80 coastal LSOAs here lie on the tidal Thames"


pytestmark = pytest.mark.usefixtures("atlas2025")  # skips (conftest) when the atlas is not built


def plain(text: str) -> str:
    """Text as shown (Markdown escapes removed)."""
    return text.replace("\\", "")


def test_north_central_london_coastal_layer_says_the_tidal_thames():
    at = open_page(PLUS_PAGE, vintage="2025", level="icb", area=NCL)
    ok(at.selectbox(key="plus_indicator").set_value("coastal").run())  # as a person picks the layer
    assert any(i.value.startswith(TIDAL) for i in at.info)
    assert any(TIDAL in legend for legend in shown_legends(at))  # the legend beside the map
    ok(at.selectbox(key="plus_indicator").set_value("coastal_core20").run())
    assert any(i.value.startswith(TIDAL) for i in at.info)


def test_coastal_legend_names_no_tidal_river_on_an_open_sea_coast():
    m, _ = plus_maps.indicator_map("2025", "icb", CORNWALL, "coastal", "none", True)
    assert not any("tidal" in n for n in choropleth.legend_of(m).notes)
    m, _ = plus_maps.indicator_map("2025", "icb", NCL, "coastal", "none", True)
    assert any(n.startswith(TIDAL) for n in choropleth.legend_of(m).notes)


def test_grt_lsoa_layer_offline_says_how_to_get_it_and_the_page_carries_on():
    if plus.missing_input("grt_lsoa_pct") is None:
        pytest.skip("TS021 per LSOA is here: the offline message does not apply")
    at = open_page(PLUS_PAGE, vintage="2025", level="icb", area=CORNWALL)
    ok(at.selectbox(key="plus_indicator").set_value("grt_lsoa_pct").run())
    assert not at.error
    warning = " ".join(plain(w.value) for w in at.warning)
    assert "census21_ethnicity_detailed" in warning and "data fetch --only" in warning
    assert any(plain(i.value) == GRT_NOTE for i in at.info)
    assert any(c.value.startswith("Sources:") for c in at.caption)  # the rest of the page is drawn
    assert at.query_params["layer"] == "grt_lsoa_pct"
    # back to the local-authority layer: its map draws, and the page still says LSOA counts exist
    ok(at.selectbox(key="plus_indicator").set_value("grt_pct").run())
    assert not at.warning or all("census21_ethnicity_detailed" not in w.value for w in at.warning)
    assert any(plain(i.value) == GRT_NOTE for i in at.info)
    assert any("Gypsy or Irish Traveller" in legend for legend in shown_legends(at))  # its map and legend


def test_cornwall_accelerator_card_says_lsoa_counts_exist_and_need_the_download():
    at = open_page(APP)
    ok(at.switch_page("views/4_Accelerator_sites.py").run())
    assert any(plain(w.value) == GRT_NOTE for w in at.warning)
    assert "TS021" in GRT_NOTE and "data fetch --only census21_ethnicity_detailed" in GRT_NOTE


def test_coastal_print_map_notes_the_tidal_thames_only_where_it_applies():
    from geo_core20.exports import print_maps

    london = print_maps.coastal_map(print_maps.print_view("2025", "icb", NCL))
    assert any(n.startswith(TIDAL) for n in london.notes)
    cornwall = print_maps.coastal_map(print_maps.print_view("2025", "icb", CORNWALL))
    assert not any("tidal" in n for n in cornwall.notes)
