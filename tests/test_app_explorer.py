"""The explorer page logic with streamlit.testing (no browser): URL -> view, numbers, fallbacks."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo_core20 import areas, cli, schema

APP = str(Path(__file__).resolve().parents[1] / "app.py")
ICB = "E54000008"  # NHS Cheshire and Merseyside ICB (parent: North West NHS region)


def _run(atlas, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open_tab(at: AppTest, label: str) -> AppTest:
    """Switch the explorer's tabs (only the open tab is built)."""
    at.session_state["gc20_tab"] = label
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _cli_summary(vintage: str, level: str, capsys) -> pd.DataFrame:
    assert cli.main(["summary", "--vintage", vintage, "--level", level, "--format", "json"]) == 0
    return pd.DataFrame(json.loads(capsys.readouterr().out))


def _expected_metrics(row: pd.Series) -> dict[str, str]:
    return {
        "LSOAs": f"{row['lsoas']:,}",
        "Population": f"{row['population']:,}",
        "Core20 LSOAs": f"{row['core20_lsoas']:,}",
        "Core20 population": f"{row['core20_population']:,}",
        "Core20 pop. share": f"{100 * row['core20_population_pct']:.1f}%",
    }


def test_no_parameters_shows_england(atlas2025, capsys):
    at = _run(atlas2025)
    assert at.title[0].value == "England"
    assert not at.warning
    england = _cli_summary("2025", "england", capsys).iloc[0]
    assert _metrics(at) == _expected_metrics(england)
    assert england["lsoas"] == len(atlas2025)
    assert england["core20_lsoas"] == int(atlas2025[schema.CORE20].sum())
    # England's Core20 *population* share is computed, not taken to be 20%
    assert _metrics(at)["Core20 pop. share"] != "20.0%"
    assert at.query_params["level"] == "england"


def test_share_link_opens_the_icb_with_numbers_equal_to_the_cli_summary(atlas2025, capsys):
    at = _run(atlas2025, vintage="2025", level="icb", area=ICB)
    name = areas.area_name(atlas2025, "icb", ICB)
    assert at.title[0].value == name
    assert at.selectbox(key="gc20_level").value == "icb" and at.selectbox(key="gc20_area").value == ICB
    summary = _cli_summary("2025", "icb", capsys).set_index("area_code")
    assert _metrics(at) == _expected_metrics(summary.loc[ICB])
    # comparison: the ICB, its NHS region and England, each equal to the summary of its level
    assert not at.dataframe, "hidden tabs are not built"
    _open_tab(at, "Profile and comparison")
    compare = next(df.value for df in at.dataframe if "Area" in df.value.columns)
    assert list(compare["Area"]) == [name, *compare["Area"].iloc[1:]]
    assert len(compare) == 3
    region_code = atlas2025.loc[atlas2025["icb_code"] == ICB, "nhs_region_code"].iloc[0]
    nhs = areas.summary(atlas2025, "nhs_region").set_index("area_code").loc[region_code]
    england = areas.summary(atlas2025, "england").iloc[0]
    columns = {"LSOAs": "lsoas", "Population": "population", "Core20 LSOAs": "core20_lsoas",
               "Core20 population": "core20_population",
               "Core20 share of population": "core20_population_pct"}
    for i, expected in enumerate([summary.loc[ICB], nhs, england]):
        for shown, key in columns.items():
            assert compare.iloc[i][shown] == pytest.approx(expected[key]), (i, shown)
    assert not at.warning


@pytest.mark.parametrize("params, fragment", [
    ({"level": "icb", "area": "E54999999"}, "No ICB with code E54999999"),
    ({"level": "lad", "area": "<script>alert(1)</script>"}, "is not a GSS area code"),
    ({"level": "ward", "area": "E05000001"}, "Unknown geography level"),
    ({"level": "icb"}, "No area code given"),
    ({"vintage": "1999"}, "Unknown vintage"),
    ({"level": "icb", "area": "E08000003"}, "No ICB with code E08000003"),  # a LAD code at ICB level
])
def test_bad_links_fall_back_to_england_with_a_visible_warning(atlas2025, params, fragment):
    at = _run(atlas2025, **params)
    assert at.title[0].value == "England"
    warnings = " ".join(w.value for w in at.warning)
    assert fragment in warnings
    assert "<script>" not in "".join(m.value for m in at.markdown)
    # the URL is rewritten to the view actually shown
    assert at.query_params["level"] == "england" and "area" not in at.query_params


def test_warning_goes_once_the_user_picks_another_view(atlas2025):
    at = _run(atlas2025, level="icb", area="E54999999")
    assert at.warning
    at.selectbox(key="gc20_level").set_value("icb").run()
    assert not at.exception and not at.warning
    assert at.query_params["level"] == "icb"


def test_changing_level_keeps_the_place_and_updates_the_url(atlas2025):
    at = _run(atlas2025, vintage="2025", level="icb", area=ICB)
    at.selectbox(key="gc20_level").set_value("lad").run()
    lad = at.selectbox(key="gc20_area").value
    lads_in_icb = set(atlas2025.loc[atlas2025["icb_code"] == ICB, "lad_code"])
    assert lad in lads_in_icb
    assert at.query_params["level"] == "lad" and at.query_params["area"] == lad
    at.selectbox(key="gc20_shade").set_value("income_decile").run()
    assert at.query_params["shade"] == "income_decile"
    assert at.title[0].value == areas.area_name(atlas2025, "lad", lad)


def test_vintage_2019_share_link(atlas2019, capsys):
    at = _run(atlas2019, vintage="2019", level="england")
    england = _cli_summary("2019", "england", capsys).iloc[0]
    assert _metrics(at) == _expected_metrics(england)
    assert england["lsoas"] == 32_844


def test_table_filters(atlas2025):
    at = _open_tab(_run(atlas2025, level="lad", area="E08000003"), "Table")
    table = next(df.value for df in at.dataframe if schema.LSOA_CODE in df.value.columns)
    assert len(table) == 295
    at.toggle(key="gc20_table_core20").set_value(True).run()
    core = next(df.value for df in at.dataframe if schema.LSOA_CODE in df.value.columns)
    assert len(core) == int(areas.select(atlas2025, "lad", "E08000003")[schema.CORE20].sum())
    assert core[schema.CORE20].all()


def test_table_filter_finds_a_ward_and_the_csv_holds_the_rows_shown(atlas2025, monkeypatch):
    """Typing a place (a ward) into the table filter shows its LSOAs, and "LSOAs in view (CSV)"
    exports exactly the rows the filtered table shows, naming the filter in its notes."""
    import io

    from streamlit.testing.v1 import app_test

    managers: list = []

    class Kept(app_test.MediaFileManager):  # AppTest drops its media file manager after each run
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            managers.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", Kept)

    def csv_rows(at: AppTest) -> tuple[pd.DataFrame, str]:
        """What pressing the button gives: the CSV is built on click (a deferred download), so a new
        session is not sent the whole table (England: 8 MB) before its map."""
        button = next(b for b in at.get("download_button") if b.proto.label == "LSOAs in view (CSV)")
        assert button.proto.deferred_file_id and not button.proto.url
        data = next(m._deferred_callables[button.proto.deferred_file_id] for m in reversed(managers)
                    if button.proto.deferred_file_id in m._deferred_callables)["callable"]()
        return pd.read_csv(io.BytesIO(data), comment="#", dtype={schema.LSOA_CODE: str}), data.decode("utf-8")

    at = _open_tab(_run(atlas2025, level="icb", area=ICB), "Table")
    full = next(df.value for df in at.dataframe if schema.LSOA_CODE in df.value.columns)
    box = at.text_input(key="gc20_table_filter")
    assert "ward" in box.placeholder and "local authority" in box.placeholder  # says what it searches
    box.set_value("Birkenhead").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = next(df.value for df in at.dataframe if schema.LSOA_CODE in df.value.columns)
    assert 0 < len(shown) < len(full)
    assert set(shown["lad_name"]) == {"Wirral"} and shown["ward_name"].str.contains("Birkenhead").all()
    exported, text = csv_rows(at)
    assert exported[schema.LSOA_CODE].tolist() == shown[schema.LSOA_CODE].tolist()
    assert 'Filtered as the table: text "Birkenhead"' in text

    box = at.text_input(key="gc20_table_filter")
    box.set_value("").run()
    at.toggle(key="gc20_table_core20").set_value(True).run()
    shown = next(df.value for df in at.dataframe if schema.LSOA_CODE in df.value.columns)
    exported, text = csv_rows(at)
    assert len(exported) == len(shown) == int(areas.select(atlas2025, "icb", ICB)[schema.CORE20].sum())
    assert "Core20 LSOAs only" in text
    at.toggle(key="gc20_table_core20").set_value(False).run()
    exported, text = csv_rows(at)
    assert len(exported) == len(full) and "Filtered as the table" not in text


def _placed(node, popover: str | None = None, found: list | None = None) -> list[tuple[str, str, str | None]]:
    """(type, label or value, the popover holding it or None) of every code box and download button."""
    found = [] if found is None else found
    for child in getattr(node, "children", {}).values():
        kind = getattr(child, "type", "")
        if kind == "code":
            found.append((kind, child.value, popover))
        elif kind == "download_button":
            found.append((kind, child.proto.label, popover))
        _placed(child, child.proto.popover.label if kind == "popover" else popover, found)
    return found


def test_first_paint_has_no_code_box_or_download_button_outside_a_popover(atlas2025):
    """The browser draws a popover's content only when it is opened: the share link's code box (which
    loads Streamlit's 1.56 MB syntax highlighter) and the 12 download buttons are all still there, each
    behind the button a person opens to reach it."""
    at = _run(atlas2025, vintage="2025", level="england")
    placed = _placed(at.sidebar) + _placed(at.main)
    assert [p for p in placed if p[2] is None] == []
    link = [(v, p) for k, v, p in placed if k == "code"]
    assert len(link) == 1 and link[0][1] == "Link to this view" and "level=england" in link[0][0]
    menus = {}
    for kind, label, popover in placed:
        if kind == "download_button":
            menus.setdefault(popover, []).append(label)
    assert menus == {
        "Download the LSOAs in view": ["LSOAs in view (CSV)", "LSOAs in view (Excel)",
                                       "LSOAs in view (GeoJSON)", "Interactive map (HTML)"],
        "Print and present files": ["Map (PNG)", "Map (SVG)", "Map (PDF)", "Slide deck (PPTX)",
                                    "Area profile (HTML)", "Area profile (PDF)", "Decile chart (PNG)",
                                    "Decile chart (SVG)"],
    }
