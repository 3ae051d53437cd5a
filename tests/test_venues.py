"""Outreach venues: supermarkets placed by location, libraries by postcode; every row accounted for."""

from __future__ import annotations

import pandas as pd
import pytest

from geo_core20 import atlas, venues
from geo_core20.errors import VenueError


@pytest.fixture(scope="module")
def have_venues(atlas2025):
    try:
        atlas.input_path(venues.SUPERMARKETS_ID), atlas.input_path(venues.LIBRARIES_ID)
    except Exception as exc:  # the mirror file is missing
        pytest.skip(f"input not found: {exc}")


def test_supermarkets_per_icb_plus_outside_england_equal_every_row(have_venues):
    per_icb, outside = venues.supermarket_counts()
    rows = len(venues.read_supermarkets(atlas.input_path(venues.SUPERMARKETS_ID)))
    assert rows == 7_420
    assert int(per_icb.sum()) + outside == rows
    assert len(per_icb) == 42 and (per_icb > 0).all()
    frame = venues.supermarkets()
    # Scotland, Wales and the Isle of Man are outside; Cornwall's stores are in its ICB
    assert frame.loc[frame["town"] == "Buckie", "icb_code"].isna().all()
    assert (frame.loc[frame["town"] == "Truro", "icb_code"] == "E54000036").all()
    assert frame["site_name"].str.contains(", ").mean() > 0.95  # retailer with its town


def test_libraries_located_plus_not_located_plus_excluded_equal_every_row(have_venues):
    libs = venues.libraries()
    rows = len(venues.read_libraries(atlas.input_path(venues.LIBRARIES_ID)))
    assert rows == 3_487
    assert len(libs.located) + len(libs.not_located) + len(libs.excluded) == rows
    assert libs.located["icb_code"].notna().all()
    per_icb = libs.located.groupby("icb_code").size()
    assert int(per_icb.sum()) == len(libs.located)
    # not located ones are listed with their postcodes and why
    assert libs.not_located["postcode"].notna().all()
    assert libs.not_located["why"].str.startswith("postcode").all()
    reasons = libs.excluded["reason"]
    # 'closed' blank means open: 350 cells are filled, one of them with a lone space
    assert reasons.str.startswith("closed").sum() == 349
    assert {"mobile library", "prison library", "archive"} <= set(reasons)
    assert libs.located["address"].str.len().gt(0).mean() > 0.99


def test_sort_libraries_on_a_hand_made_table(atlas2025):
    table = pd.DataFrame({
        "name": ["Open", "Closed", "Van", "Nowhere", "History"],
        "address1": ["1 High St", "2 High St", "", "3 Low St", "4 Old St"],
        "postcode": ["TR1 2LP", "TR1 2LP", "TR1 2LP", "ZZ9 9ZZ", "TR1 2LP"],
        "type": ["Static Library", "Static library", "Mobile Library", "static library",
                 "Static Local History Library"],
        "closed": [None, "2019", None, None, None],
        "authority": ["Cornwall"] * 5,
    })
    index = pd.DataFrame({"easting": [182_000.0], "northing": [44_800.0], "lon": [-5.051], "lat": [50.263],
                          "country": ["E92000001"], "pqi": [10]}, index=pd.Index(["TR1 2LP"]))
    libs = venues.sort_libraries(table, index, atlas2025)
    assert list(libs.located["name"]) == ["Open"]
    assert libs.located["icb_code"].tolist() == ["E54000036"]
    assert list(libs.not_located["postcode"]) == ["ZZ9 9ZZ"]
    assert dict(zip(libs.excluded["name"], libs.excluded["reason"], strict=True)) == {
        "Closed": "closed 2019", "Van": "mobile library", "History": "local history library (specialist)"}


def test_retailers_are_chosen_by_name_and_unknown_ones_named():
    known = ["Lidl", "Aldi", "Sainsburys", "Marks and Spencer", "The Co-operative Group"]
    assert venues.choose_retailers("lidl, ALDI", known) == ["Lidl", "Aldi"]
    assert venues.choose_retailers(None, known) == known
    assert venues.choose_retailers("sainsbury's", known) == ["Sainsburys"]
    assert venues.choose_retailers(["marks"], known) == ["Marks and Spencer"]
    with pytest.raises(VenueError, match=r"unknown retailer\(s\) 'Tescoo'.*Lidl, Aldi"):
        venues.choose_retailers("lidl,Tescoo", known)
