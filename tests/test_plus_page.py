"""The PLUS layers page under Streamlit's AppTest: sections, uploads, target and its share link."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "views" / "2_PLUS_layers.py")
FIXTURES = Path(__file__).parent / "fixtures" / "uploads"
HULL = "E06000010"  # Kingston upon Hull: coastal (Humber estuary), much of it Core20


@pytest.fixture(scope="module", autouse=True)
def _needs_atlas(atlas2025):
    """Skip (via the conftest fixture) when the atlas is not built."""


def page(**params: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    for k, v in {"level": "lad", "area": HULL, **params}.items():
        at.query_params[k] = v
    return at.run()


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def go(at: AppTest, section: str) -> AppTest:
    return at.segmented_control(key="plus_section").set_value(section).run()


def test_every_section_renders(atlas2025):
    at = page()
    no_exceptions(at)
    assert at.title[0].value.startswith("Kingston upon Hull")
    hull = atlas2025[atlas2025["lad_code"] == HULL]
    assert metric(at, "Coastal Core20 LSOAs") == f"{int((hull['coastal'] & hull['core20']).sum()):,}"
    for section in ("Hot spots", "Local data", "Target", "About the data"):
        go(at, section)
        no_exceptions(at)
    assert any("Benjamini-Hochberg" in i.value for i in go(at, "Hot spots").info)


def test_lad_level_layer_is_labelled_as_such():
    at = page(layer="homeless_per_1000")
    no_exceptions(at)
    assert at.selectbox(key="plus_indicator").value == "homeless_per_1000"
    assert any("only per local authority" in w.value for w in at.warning)


def test_upload_points_file_reports_rows_and_keeps_earlier_layers():
    at = go(page(), "Local data")
    at.file_uploader(key="plus_upload").upload("venues.csv", (FIXTURES / "points_mixed.csv").read_bytes(),
                                                "text/csv").run()
    no_exceptions(at)
    at.button(key="plus_add_layer").click().run()
    no_exceptions(at)
    layers = at.session_state["plus_layers"]
    assert list(layers) == ["venues"] and layers["venues"].rows_loaded == 4
    assert any("Added layer 'venues'" in s.value for s in at.success)
    problems = next(df.value for df in at.dataframe if "problem" in df.value.columns)
    assert problems["row"].tolist() == [5, 6, 7, 8, 9, 10]

    at.file_uploader(key="plus_upload").upload("grid.csv", (FIXTURES / "points_bng.csv").read_bytes(),
                                                "text/csv").run()
    at.button(key="plus_add_layer").click().run()
    no_exceptions(at)
    assert list(at.session_state["plus_layers"]) == ["venues", "grid"]  # the earlier layer stays


def test_upload_2011_table_reports_conversion():
    at = go(page(), "Local data")
    at.file_uploader(key="plus_upload").upload("referrals.csv", (FIXTURES / "lsoa11_counts.csv").read_bytes(),
                                                "text/csv").run()
    assert next(r.value for r in at.radio if r.label == "This file is a") == "lsoa"
    at.button(key="plus_add_layer").click().run()
    no_exceptions(at)
    res = at.session_state["plus_layers"]["referrals"]
    assert (res.split, res.merged, res.irregular, res.unmatched) == (1, 2, 1, 3)
    report = next(df.value for df in at.dataframe if "item" in df.value.columns).set_index("item")["value"]
    assert report["LSOA codes detected as"] == "LSOA 2011"


def test_unusable_upload_gets_a_clear_message():
    at = go(page(), "Local data")
    at.file_uploader(key="plus_upload").upload("notes.csv", (FIXTURES / "no_usable_column.csv").read_bytes(),
                                                "text/csv").run()
    no_exceptions(at)
    assert any("Columns found" in e.value and "postcode" in e.value for e in at.error)


def test_target_builder_and_share_link_reproduce_the_target(atlas2025):
    at = go(page(), "Target")
    no_exceptions(at)
    hull = atlas2025[atlas2025["lad_code"] == HULL]
    assert metric(at, "LSOAs in target") == f"{int(hull['core20'].sum()):,}"  # Core20 alone
    at.selectbox(key="target_new_kind").set_value("coastal").run()
    at.button(key="target_add").click().run()
    no_exceptions(at)
    expected = f"{int((hull['core20'] & hull['coastal']).sum()):,}"
    assert metric(at, "LSOAs in target") == expected
    link = next(c.value for c in at.code if "tx=" in c.value)
    params = dict(parse_qsl(urlsplit(link).query))
    assert params["tb"] == "core20" and params["tx"] == "coastal" and params["area"] == HULL

    again = AppTest.from_file(PAGE, default_timeout=180)
    for k, v in params.items():
        again.query_params[k] = v
    again = go(again.run(), "Target")
    no_exceptions(again)
    assert metric(again, "LSOAs in target") == expected
    assert any("coastal" in s.value for s in again.subheader)


def test_percentile_target_from_a_link(atlas2025):
    at = go(page(tb="all", tc="and", tx="ind:ethnic_minority:ge:p80"), "Target")
    no_exceptions(at)
    n = int(metric(at, "LSOAs in target").replace(",", ""))
    assert 0.15 * 168 <= n <= 0.25 * 168


def test_bad_target_link_is_reported_not_crashed():
    at = page(tx="ind:nope:ge:3")
    no_exceptions(at)
    assert any("target in this link was not used" in w.value for w in at.warning)
