"""The outreach planner's own inputs under AppTest, changed as a person does (issues 19 and 20): the
HSMA Devon example as a one-click preset, uploaded demand, sites files, OD files (long or wide, minutes
or seconds), supermarkets and libraries as candidates, the default plan name, and bad input that is
named without losing what the user already had."""

from __future__ import annotations

import io
import itertools
import json
import textwrap

import numpy as np
import pandas as pd
import pytest
from apptests import PLANNER_PAGE, metric, ok, open_page, run_plan, save_plan
from streamlit.testing.v1 import AppTest

from geo_core20 import areas, atlas, cli, plan_files, plans, siting, venues
from geo_core20.maps import outreach

HULL = "E06000010"
ICB = "E54000008"  # Cheshire and Merseyside
DEVON = plan_files.DEVON_ICB
pytestmark = pytest.mark.usefixtures("atlas2025", "plan_store")  # a fresh plan store per test (conftest)


def result(at: AppTest) -> dict:
    return at.session_state["op_result"]["data"]


# --- the Devon example --------------------------------------------------------------------------

def _devon_exhaustive(atlas2025, example: plan_files.Example, k: int) -> float:
    area = areas.select(atlas2025, "icb", DEVON)
    codes = area["lsoa_code"].astype(str)
    w = codes.map(example.demand.values).fillna(0.0).to_numpy(float)
    ids = example.sites.candidates["candidate_id"].tolist()
    m = example.times.cost.matrix(pd.DataFrame({"code": codes}), pd.DataFrame({"code": ids}))
    fixed = [ids.index(i) for i in example.sites.existing_ids]
    best = np.inf
    for combo in itertools.combinations([j for j in range(len(ids)) if j not in fixed], k):
        best = min(best, float((w * m[:, fixed + list(combo)].min(axis=1)).sum() / w.sum()))
    return best


def test_the_devon_example_is_one_click_and_matches_an_exhaustive_search(atlas2025):
    try:
        car = plan_files.devon_example(atlas2025, "car")
    except Exception as exc:  # DataError: the HSMA files are not in the mirror
        pytest.skip(f"Devon example not found: {exc}")
    at = open_page(PLANNER_PAGE, level="icb", area=ICB)
    at = ok(at.button(key="op_devon").click().run())
    assert at.query_params["area"] == DEVON and at.title[0].value.startswith("NHS Devon")
    assert at.radio(key="op_objective").value == "pmedian" and at.number_input(key="op_k").value == 2
    captions = " ".join(c.value for c in at.caption)
    assert "r5py" in captions and "OpenTripPlanner" in captions  # public transport comes as an OD file
    at = run_plan(at, k=2, curve=3)
    s = result(at)["siting"]
    assert s["mean_cost"] == pytest.approx(_devon_exhaustive(atlas2025, car, 2), abs=1e-6)  # JSON: 6 d.p.
    assert len(s["fixed"]) == 4 and len(s["chosen"]) == 2 and s["unit"] == "min"
    assert result(at)["request"]["demand_source"] == "demand_MF_50_84.csv, column MF50-84"
    assert metric(at, "Target population") == "519,493"  # residents aged 50-84, the file's column
    assert metric(at, "Mean to nearest site") == f"{s['mean_cost']:.1f} min"
    assert metric(at, "90th percentile") == f"{s['p90_cost']:.1f} min"
    assert metric(at, "Maximum") == f"{s['max_cost']:.1f} min"
    assert metric(at, "Within 30 min") == f"{100 * s['covered_share']:.1f}%"
    assert metric(at, "Unreachable") == "0.0%"
    # public transport, MCLP within 45 minutes: the 9999 cells are counted in the notes
    at.radio(key="op_devon_mode").set_value("pt")
    at.radio(key="op_objective").set_value("mclp")
    at.number_input(key="op_minutes").set_value(45.0)
    at = run_plan(at, k=2)
    assert any("109 of 13,122" in c.value.replace("\\", "") for c in at.caption)
    data = result(at)
    assert data["siting"]["radius"] == 45.0 and metric(at, "Within 45 min").endswith("%")
    pt = plan_files.devon_example(atlas2025, "pt")
    ref = siting.plan("2025", "icb", DEVON, site_types=(), k=2, objective="mclp",
                      candidates=pt.sites.candidates, fixed_site_codes=pt.sites.existing_ids,
                      cost_model=pt.times.cost, threshold=45.0, atlas_frame=atlas2025,
                      demand=pt.demand.values, demand_source=pt.demand.source)
    assert data["siting"]["covered_population"] == pytest.approx(ref.siting.covered_population)
    # leaving the example gives the ordinary form back
    at = ok(at.button(key="op_preset_off").click().run())
    assert "op_preset" not in at.session_state and at.button(key="op_devon")


def test_leaving_the_devon_example_gives_the_form_back_as_it_was():
    """The example sets its own form; leaving it (the button, or another area) restores what the person
    had chosen before, not a sites-file source with nothing uploaded."""
    at = open_page(PLANNER_PAGE, level="lad", area=HULL)
    at.selectbox(key="op_target").set_value("all")
    at.radio(key="op_objective").set_value("pmedian")
    at = ok(at.number_input(key="op_k").set_value(3).run())
    at = ok(at.button(key="op_devon").click().run())
    assert at.selectbox(key="op_source").value == "file" and at.number_input(key="op_k").value == 2
    at = ok(at.button(key="op_preset_off").click().run())
    assert "op_preset" not in at.session_state and at.query_params["area"] == DEVON
    assert at.selectbox(key="op_source").value == "sites" and at.selectbox(key="op_target").value == "all"
    assert at.radio(key="op_objective").value == "pmedian" and at.number_input(key="op_k").value == 3
    assert at.number_input(key="op_curve").value == 10 and not at.toggle(key="op_use_od").value
    # by moving to another area: the defaults the person never changed come back too
    at = ok(at.button(key="op_devon").click().run())
    at.selectbox(key="gc20_area").set_value(ICB).run()
    assert "op_preset" not in ok(at).session_state
    assert at.selectbox(key="op_source").value == "sites" and at.number_input(key="op_k").value == 3


# --- the plan's name ----------------------------------------------------------------------------

def test_the_default_name_follows_the_settings_until_the_user_types_one():
    at = run_plan(open_page(PLANNER_PAGE, level="lad", area=HULL), k=2)
    assert at.text_input(key="op_save_name").value.endswith("2 sites, MCLP within 3 km")
    at.radio(key="op_objective").set_value("pmedian")
    at = run_plan(at, k=3)
    name = at.text_input(key="op_save_name").value
    assert name.endswith("3 sites, p-median") and "MCLP" not in name  # not "...: 3 sites, mclp"
    at.text_input(key="op_save_name").input("Hull checks").run()
    at.radio(key="op_objective").set_value("mclp")
    at = run_plan(at, k=2)
    assert at.text_input(key="op_save_name").value == "Hull checks"  # typed: kept
    pid = save_plan(at)
    assert plans.PlanStore().get(pid).name == "Hull checks"


# --- your own demand ----------------------------------------------------------------------------

def _hull_demand(atlas2025) -> tuple[bytes, pd.Series]:
    area = areas.select(atlas2025, "lad", HULL)
    values = pd.Series(np.arange(len(area)) % 7 * 10.0, index=area["lsoa_code"].to_numpy())
    names = area["lsoa_name"].to_numpy()
    # keyed by LSOA name (as many GP extracts are), with a text column the picker must not offer
    frame = pd.DataFrame({"LSOA name": names, "note": "x", "smokers_55_74": values.to_numpy(),
                          "other": 1})
    return frame.to_csv(index=False).encode(), values


def test_uploaded_demand_equals_a_recount_and_reopens_with_the_same_figures(atlas2025):
    data, values = _hull_demand(atlas2025)
    at = open_page(PLANNER_PAGE, level="lad", area=HULL)
    at.toggle(key="op_use_demand").set_value(True).run()
    assert any("Upload the demand table" in i.value for i in ok(at).info)
    at.file_uploader(key="op_demand_file").upload("smokers.csv", data, "text/csv").run()
    assert ok(at).selectbox(key="op_demand_col").options == ["smokers_55_74", "other"]
    at.selectbox(key="op_demand_col").set_value("smokers_55_74").run()
    at = run_plan(at, k=2)
    plan = result(at)
    assert plan["request"]["demand_source"] == "smokers.csv, column smokers_55_74"
    s = plan["siting"]
    assert s["total_target_population"] == pytest.approx(values.sum())
    assignment = pd.DataFrame(s["assignment"]).set_index("code")
    covered = values[values.index.map(lambda c: bool(assignment["cost"].get(c, np.inf) <= 3000))]
    assert s["covered_population"] == pytest.approx(covered.sum())  # recounted from the uploaded column
    assert any("smokers.csv, column smokers_55_74" in c.value.replace("\\", "") for c in at.caption)
    figures = {m.label: m.value for m in at.metric}
    pid = save_plan(at, "Smokers in Hull")
    again = open_page(PLANNER_PAGE, plan=pid)
    assert {m.label: m.value for m in again.metric} == figures
    assert again.session_state["op_result"]["data"]["request"]["demand"] == plan["request"]["demand"]


# --- sites and travel-time files, bad input ------------------------------------------------------

def _hull_sites(atlas2025) -> tuple[bytes, pd.DataFrame]:
    area = areas.select(atlas2025, "lad", HULL).iloc[::20].head(5)
    frame = pd.DataFrame({"Facility_Name": [f"Venue {i}" for i in range(len(area))],
                          "Latitude": area["pwc_lat"].round(6).to_numpy(),
                          "Longitude": area["pwc_lon"].round(6).to_numpy(),
                          "Existing": ["Yes"] + ["No"] * (len(area) - 1)})
    return frame.to_csv(index=False).encode(), area


def test_a_sites_file_a_wide_od_file_in_seconds_and_bad_files_named_without_loss(atlas2025):
    sites, area = _hull_sites(atlas2025)
    at = open_page(PLANNER_PAGE, level="lad", area=HULL)
    at.selectbox(key="op_source").set_value("file").run()
    at.file_uploader(key="op_sites_file").upload("venues.csv", sites, "text/csv").run()
    assert any("1 marked existing" in c.value for c in ok(at).caption)
    at = run_plan(at, k=2)
    first = result(at)
    assert [f["candidate_id"] for f in first["siting"]["fixed"]] == ["Venue 0"]  # the Existing flag
    assert len(first["siting"]["chosen"]) == 2

    # a wide OD file in seconds, keyed by LSOA name; one column per site
    hull = areas.select(atlas2025, "lad", HULL)
    names = [f"Venue {i}" for i in range(len(area))]
    wide = pd.DataFrame({"LSOA": hull["lsoa_name"].to_numpy(),
                         **{n: (np.arange(len(hull)) % 9 + j) * 60 for j, n in enumerate(names)}})
    wide.loc[0, "Venue 4"] = 9999  # unreachable
    at.toggle(key="op_use_od").set_value(True).run()
    at.radio(key="op_time_unit").set_value("seconds")
    at.file_uploader(key="op_od").upload("od.csv", wide.to_csv(index=False).encode(), "text/csv").run()
    notes = " ".join(c.value.replace("\\", "") for c in ok(at).caption)
    assert "wide form" in notes and "origins as LSOA names" in notes and "in seconds" in notes
    assert f"1 of {len(hull) * len(names):,} cell(s) are unreachable" in notes
    at = run_plan(at, k=2)
    assert result(at)["siting"]["unit"] == "min" and result(at)["siting"]["max_cost"] <= 12

    # bad input: an LSOA name that does not exist, then a site postcode that does not exist
    kept = result(at)
    bad = wide.copy()
    bad.loc[3, "LSOA"] = "Nowhere 999Z"
    at.file_uploader(key="op_od").upload("od_bad.csv", bad.to_csv(index=False).encode(), "text/csv").run()
    assert any("Nowhere 999Z" in e.value for e in ok(at).error)
    assert result(at) == kept  # the plan on screen is not lost
    assert metric(at, "Sites chosen") == "2 + 1 open"
    wrong = b"name,postcode\nLibrary A,HU1 3DT\nLibrary B,ZZ99 9ZZ\n"
    at.file_uploader(key="op_sites_file").upload("libraries.csv", wrong, "text/csv").run()
    errors = " ".join(e.value for e in ok(at).error)
    assert "libraries.csv" in errors and "row 3" in errors  # the row of the unknown postcode
    assert result(at) == kept


def test_each_bad_travel_time_file_is_named_and_the_plan_on_screen_kept(atlas2025):
    """Issue 19's item 2, in the app: a site column matching no candidate, a row with no reachable site
    and text in a time cell each give a message naming what is at fault; the plan on screen stays."""
    sites, area = _hull_sites(atlas2025)
    hull = areas.select(atlas2025, "lad", HULL)
    names = [f"Venue {i}" for i in range(len(area))]
    wide = pd.DataFrame({"LSOA": hull["lsoa_name"].to_numpy(),
                         **{n: (np.arange(len(hull)) % 9 + j + 1.0) for j, n in enumerate(names)}})
    at = open_page(PLANNER_PAGE, level="lad", area=HULL)
    at.selectbox(key="op_source").set_value("file").run()
    at.file_uploader(key="op_sites_file").upload("venues.csv", sites, "text/csv").run()
    at.toggle(key="op_use_od").set_value(True).run()
    at.file_uploader(key="op_od").upload("od.csv", wide.to_csv(index=False).encode(), "text/csv").run()
    at = run_plan(at, k=2)
    kept, figures = result(at), {m.label: m.value for m in at.metric}
    assert kept["siting"]["unit"] == "min" and figures["Sites chosen"] == "2 + 1 open"

    no_match = wide.rename(columns={"Venue 3": "Venue Three"})
    unreachable = wide.copy()
    unreachable.loc[4, names] = 9999  # Hull's 5th LSOA reaches none of the sites
    text = wide.astype(object)
    text.loc[6, "Venue 2"] = "ten"
    fifth = repr(hull["lsoa_name"].iloc[4])
    cases = {"no_match.csv": (no_match, ["1 destination(s)", "'Venue Three'", "match no candidate"]),
             "unreachable.csv": (unreachable, ["can reach no site", fifth, "rows 6"]),
             "text.csv": (text, ["1 time cell(s) hold text", "row 8, column 'Venue 2': 'ten'"])}
    for name, (frame, words) in cases.items():
        at.file_uploader(key="op_od").upload(name, frame.to_csv(index=False).encode(), "text/csv").run()
        shown = " ".join(e.value for e in ok(at).error)
        for word in words:
            assert word in shown, (name, word, shown)
        assert result(at) == kept and {m.label: m.value for m in at.metric} == figures, name
        assert any("1 marked existing" in c.value for c in at.caption), name  # the sites file stays read


# --- venues as candidates (issue 20) ------------------------------------------------------------

@pytest.fixture(scope="module")
def supermarkets_available():
    try:
        venues.supermarkets()
    except Exception as exc:  # DataError: the venues files are not in the mirror
        pytest.skip(f"venues not found: {exc}")


def test_a_core20_lung_health_check_plan_on_supermarkets(atlas2025, supermarkets_available):
    at = open_page(PLANNER_PAGE, level="icb", area=ICB, focus="cancer")
    at.selectbox(key="op_source").set_value("supermarket").run()
    at.multiselect(key="op_retailers").select("Lidl").select("Aldi").run()
    assert any("Lidl" in c.value or "supermarket" in c.value.lower() for c in ok(at).caption)
    at = run_plan(at, k=3)
    data = result(at)
    assert data["request"]["candidates"] == "supermarket:Lidl,Aldi"
    area = areas.select(atlas2025, "icb", ICB)
    cands = venues.venue_candidates({"supermarket": "Lidl,Aldi"}, area)
    ref = siting.plan("2025", "icb", ICB, siting.Target(focus="cancer"), ("gp", "pharmacy"), 3.0, 3, "mclp",
                      cands, atlas_frame=atlas2025)
    assert data["siting"]["covered_population"] == pytest.approx(ref.siting.covered_population)
    table = next(df.value for df in at.dataframe if "Site" in df.value.columns)
    assert len(table) == 3 and set(table["Site"]) <= {"Lidl", "Aldi"}
    assert all(w.strip() for w in table["Where"])  # the town, where the retailer's name would say nothing
    assert set(table["Code"].str[:4]) == {"SUP-"}
    assert "Core20 residents reached" in [m.label for m in at.metric]
    # libraries: name, address and postcode
    at.selectbox(key="op_source").set_value("library").run()
    at = run_plan(at, k=2)
    chosen = result(at)["siting"]["chosen"]
    table = next(df.value for df in at.dataframe if "Site" in df.value.columns)
    for c, where in zip(chosen, table["Where"], strict=True):  # address and postcode
        assert c["postcode"] and where.endswith(c["postcode"]) and where.count(",") >= 1, where
    # the libraries that could not be located are listed with their postcodes, not silently dropped
    missing = next(df.value for df in at.dataframe if "why" in df.value.columns)
    want = venues.libraries().not_located
    assert len(missing) == len(want) > 0 and missing["postcode"].tolist() == want["postcode"].tolist()
    assert missing["postcode"].str.strip().str.len().gt(0).all() and "name" in missing
    assert any(e.label.startswith(f"{len(want):,} open libraries in England could not be located")
               for e in at.expander)


def test_long_venue_names_and_addresses_show_in_full_wrapped(supermarkets_available):
    """Cornwall's libraries ("Penzance Library & Information Service", "St. John's Hall, Alverton Street,
    Penzance, Cornwall, TR18 2QW") are longer than the site table's columns: its rows are tall enough
    to show them wrapped (the grid wraps text only in rows over 64 px; one-line rows cut it with "…")."""
    from geo_core20.ui import plan_view

    at = open_page(PLANNER_PAGE, level="icb", area="E54000036")
    at.selectbox(key="op_source").set_value("library").run()
    at = run_plan(at, k=6)
    shown = next(df for df in at.dataframe if "Site" in df.value.columns)
    table = shown.value
    longest = max(max(map(len, table[c])) for c in ("Site", "Where"))
    assert longest > 31  # longer than one line of the 230 px name column
    assert shown.proto.row_height > 64  # so the grid wraps rather than cuts
    config = json.loads(shown.proto.columns)
    assert {c: config[c]["width"] for c in ("Site", "Where")} == plan_view.SITE_TEXT_PX
    for col, px in plan_view.SITE_TEXT_PX.items():  # every wrapped line fits the height given
        per_line = int(px / 7.2)
        lines = max(len(textwrap.wrap(t, per_line, break_on_hyphens=False)) for t in table[col])
        assert shown.proto.row_height >= 10 + 20 * lines, (col, lines)
    short = pd.DataFrame({"Site": ["Lidl"], "Where": ["Hull"]})
    assert plan_view.site_row_height(short) is None  # short names keep the grid's one-line rows


def test_a_saved_plan_naming_an_unknown_retailer_says_so_and_keeps_the_rest(supermarkets_available):
    """A plan saved when the supermarkets file named other retailers (here 'Tescoo') reopens as saved,
    with the known retailer still chosen and the unknown one named, not silently widened to all."""
    at = open_page(PLANNER_PAGE, level="lad", area=HULL)
    at.selectbox(key="op_source").set_value("supermarket").run()
    at.multiselect(key="op_retailers").select("Lidl").run()
    at = run_plan(at, k=1)
    data = result(at)
    assert data["request"]["candidates"] == "supermarket:Lidl"
    data["request"]["candidates"] = "supermarket:lidl,Tescoo"  # lower case: matched as the CLI matches it
    pid = plans.PlanStore().save(data, "Old Hull plan")
    again = open_page(PLANNER_PAGE, plan=pid)
    assert again.session_state["op_result"]["data"]["siting"]["chosen"] == data["siting"]["chosen"]
    assert again.multiselect(key="op_retailers").value == ["Lidl"]
    warned = " ".join(w.value.replace("\\", "") for w in again.warning)
    assert "'Tescoo'" in warned and "Lidl" in warned, warned


def test_the_plan_command_takes_supermarkets_and_names_an_unknown_retailer(supermarkets_available, capsys):
    code = cli.main(["plan", "--level", "icb", "--area", ICB, "--focus", "cancer", "--sites",
                     "supermarket:lidl,aldi", "--k", "2", "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    data = json.loads(out.out)
    assert data["candidates"] == "supermarket:lidl,aldi" and len(data["chosen_sites"]) == 2
    assert all(s["code"].startswith("SUP-") and s["name"] in ("Lidl", "Aldi") and s["where"]
               for s in data["chosen_sites"])
    assert "super-generalised" in out.err  # the placement caveat is said
    code = cli.main(["plan", "--level", "icb", "--area", ICB, "--sites", "supermarket:wibble", "--k", "2"])
    out = capsys.readouterr()
    assert code == 2 and "unknown retailer(s) 'wibble'" in out.err and "Lidl" in out.err
    assert atlas.load_atlas("2025") is not None


# --- where each site is -------------------------------------------------------------------------

def test_every_site_says_where_it_is_in_the_table_tooltips_and_exports(atlas2025):
    sites = atlas.load_sites()
    gp = sites[sites["site_type"] == "gp"]
    assert (gp["address"] != "").mean() > 0.99 and (gp["postcode"].fillna("") != "").all()
    at = run_plan(open_page(PLANNER_PAGE, level="lad", area=HULL), k=2)
    table = next(df.value for df in at.dataframe if "Site" in df.value.columns)
    chosen = result(at)["siting"]["chosen"]
    by_code = sites.set_index("site_code")
    for code, where in zip(table["Code"], table["Where"], strict=True):
        assert by_code.loc[code, "postcode"] in where and by_code.loc[code, "address"].split(",")[0] in where
    pid = save_plan(at, "Where")
    text = plans.to_csv(plans.PlanStore().get(pid))
    frame = pd.read_csv(io.BytesIO(text if isinstance(text, bytes) else text.encode()), comment="#")
    assert frame["where"].tolist()[-2:] == table["Where"].tolist()
    m = outreach.plan_map(result(at), "2025", "lad", HULL, basemap="none", core20_on=True)
    html = m.get_root().render()
    assert all(siting.site_where(c).split(",")[0] in html for c in chosen)


def test_supermarkets_and_libraries_open_as_a_map_layer(supermarkets_available):
    at = run_plan(open_page(PLANNER_PAGE, level="lad", area=HULL), k=1)
    at.toggle(key="op_show_venues").set_value(True).run()
    note = next(c.value for c in ok(at).caption if "supermarkets and libraries in the area" in c.value)
    hull = areas.select(atlas.load_atlas("2025"), "lad", HULL)
    n = sum(len(venues.venues_in_area(k, hull)) for k in venues.VENUE_KINDS)
    assert note.startswith(f"{n:,} supermarkets") and "super" in note and "generalised" in note
    assert n > 10
