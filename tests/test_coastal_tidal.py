"""The coastal flag's tidal rivers: a documented rule says where 'coastal' means a tidal river."""

from __future__ import annotations

import pandas as pd

from geo_core20 import schema
from geo_core20.plus import coastal


def _rows(*pairs):
    return pd.DataFrame(pairs, columns=["lad_code", schema.COASTAL])


def test_tidal_note_names_the_river_and_counts_every_coastal_lsoa():
    assert coastal.tidal_note(_rows(("E06000052", True), ("E06000052", False))) is None  # Cornwall: sea
    assert coastal.tidal_note(_rows(("E09000030", False))) is None  # no coastal LSOA at all
    note = coastal.tidal_note(_rows(("E09000030", True), ("E09000025", True), ("E09000030", False)))
    assert note.startswith("All 2 coastal LSOAs here lie on the tidal Thames")
    mixed = coastal.tidal_note(_rows(("E08000021", True), ("E08000022", True), ("E07000123", True)))
    assert mixed.startswith("2 of the 3 coastal LSOAs here lie on the Ribble estuary and the tidal Tyne")
    assert "no open-sea coastline" in mixed


def test_north_central_london_coastal_lsoas_are_all_tidal_thames(atlas2025):
    ncl = atlas2025[atlas2025["icb_code"] == "E54000028"]
    assert int(ncl[schema.COASTAL].sum()) == 80
    assert coastal.tidal_note(ncl).startswith("All 80 coastal LSOAs here lie on the tidal Thames")
    cornwall = atlas2025[atlas2025["icb_code"] == "E54000036"]
    assert coastal.tidal_note(cornwall) is None
