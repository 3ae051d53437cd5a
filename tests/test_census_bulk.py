"""Census 2021 bulk files (nomis layout) on hand-made fixtures: read, reshape, fetch, and the TS021 layers."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from geo_core20 import atlas, census, fetch, readers, sources
from geo_core20.errors import DataError
from geo_core20.plus import inputs, registry

TS021_LSOA = (
    "date,geography,geography code,Ethnic group: Total: All usual residents; measures: Value,"
    '"Ethnic group: Asian, Asian British or Asian Welsh; measures: Value",'
    '"Ethnic group: Asian, Asian British or Asian Welsh: Indian; measures: Value",'
    '"Ethnic group: Black, Black British, Black Welsh, Caribbean or African; measures: Value",'
    "Ethnic group: Mixed or Multiple ethnic groups; measures: Value,"
    "Ethnic group: White; measures: Value,"
    "Ethnic group:  White: Gypsy or Irish Traveller ; measures: Value,"  # stray spaces, as seen in the wild
    "Ethnic group: White: Roma; measures: Value,"
    '"Ethnic group: White: English, Welsh, Scottish, Northern Irish or British; measures: Value",'
    "Ethnic group: Other ethnic group; measures: Value\n"
    "2021,Cornwall 001A,E01018814,1500,10,10,5,15,1460,40,20,1400,10\n"
    "2021,Cornwall 001B,E01018815,1000,100,80,50,50,790,0,3,787,10\n"
)
TS021_LAD = (
    "date,geography,geography code,Ethnic group: Total: All usual residents,"
    "Ethnic group: White,Ethnic group: White: Gypsy or Irish Traveller,Ethnic group: White: Roma\n"
    "2021,Cornwall,E06000052,570300,555000,1200,300\n"
)


def _zip(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return buf.getvalue()


TS021_ZIP = _zip({"census2021-ts021-ctry.csv": "date,geography,geography code\n",
                  "census2021-ts021-lsoa.csv": TS021_LSOA, "census2021-ts021-ltla.csv": TS021_LAD})


def test_read_bulk_takes_the_geography_member_and_tolerates_naming_differences():
    bulk = census.read_bulk(TS021_ZIP, "ts021", "lsoa")
    assert list(bulk["code"]) == ["E01018814", "E01018815"]
    assert bulk["total"].tolist() == [1500, 1000]
    assert bulk["white: gypsy or irish traveller"].tolist() == [40, 0]
    assert "asian, asian british or asian welsh: indian" in bulk.columns
    lad = census.read_bulk(TS021_ZIP, "ts021", "lad")
    assert lad.loc[0, "white: roma"] == 300


def test_detailed_ethnicity_gives_grt_and_roma_counts_per_lsoa(tmp_path):
    frame = census.convert("census21_ethnicity_detailed", TS021_ZIP)
    assert list(frame.columns) == ["lsoa21_code", "total_residents", "ethnic_group", "n", "prop"]
    grt = frame[frame["ethnic_group"] == "White: Gypsy or Irish Traveller"].set_index("lsoa21_code")
    assert grt["n"].to_dict() == {"E01018814": 40, "E01018815": 0}
    assert grt.loc["E01018814", "prop"] == pytest.approx(40 / 1500)
    roma = frame[frame["ethnic_group"] == "White: Roma"].set_index("lsoa21_code")["n"]
    assert roma.to_dict() == {"E01018814": 20, "E01018815": 3}


def test_broad_ethnicity_reshaped_reads_as_the_mirror_file_does(tmp_path):
    (tmp_path / "bulk.zip").write_bytes(TS021_ZIP)
    dest = census.convert_to_file("census21_ethnicity", tmp_path / "bulk.zip", tmp_path / "e.csv.gz")
    shares = readers.read_ethnicity(dest).set_index("lsoa_code")
    assert shares.loc["E01018814", "ethnic_white"] == pytest.approx(1460 / 1500)
    assert shares.loc["E01018815", "ethnic_asian"] == pytest.approx(100 / 1000)
    assert shares.loc["E01018815", "ethnic_minority"] == pytest.approx(210 / 1000)


def test_lad_detailed_table_matches_the_mirror_layout():
    frame = census.convert("census21_ethnicity_lad", TS021_ZIP)
    assert list(frame.columns) == ["ltla21_code", "ltla21_name", "ethnic_group", "value"]
    assert set(frame["ethnic_group"]) == {"White: Gypsy or Irish Traveller (number)", "White: Roma (number)"}


OTHER_TABLES = {
    "census21_disability": ("ts038", "lsoa", (
        "date,geography,geography code,Disability: Total: All usual residents,"
        "Disability: Disabled under the Equality Act,"
        "Disability: Disabled under the Equality Act: Day-to-day activities limited a lot,"
        "Disability: Not disabled under the Equality Act\n"
        "2021,A,E01000001,100,20,12,80\n"), {"Disabled under the Equality Act": 20}),
    "census21_household_deprivation": ("ts011", "lsoa", (
        "date,geography,geography code,Household deprivation: Total: All households,"
        "Household deprivation: Household is not deprived in any dimension,"
        "Household deprivation: Household is deprived in one dimension,"
        "Household deprivation: Household is deprived in two dimensions,"
        "Household deprivation: Household is deprived in three dimensions,"
        "Household deprivation: Household is deprived in four dimensions\n"
        "2021,A,E01000001,50,20,15,10,4,1\n"), {"Household is deprived in two dimensions": 10}),
    "census21_overcrowding": ("ts052", "lsoa", (
        "date,geography,geography code,Occupancy rating for rooms: Total: All households,"
        "Occupancy rating for rooms: Occupancy rating of rooms: +2 or more,"
        "Occupancy rating for rooms: Occupancy rating of rooms: +1,"
        "Occupancy rating for rooms: Occupancy rating of rooms: 0,"
        "Occupancy rating for rooms: Occupancy rating of rooms: -1,"
        "Occupancy rating for rooms: Occupancy rating of rooms: -2 or less\n"
        "2021,A,E01000001,40,10,10,10,6,4\n"), {"-1 (overcrowded)": 6, "-2 or less (overcrowded)": 4}),
}


@pytest.mark.parametrize("dataset_id", list(OTHER_TABLES))
def test_other_lsoa_tables_reshape_to_the_mirror_layout(dataset_id, tmp_path):
    table, geography, text, want = OTHER_TABLES[dataset_id]
    frame = census.convert(dataset_id, _zip({f"census2021-{table}-{geography}.csv": text}))
    category = {"census21_disability": "disability",
                "census21_household_deprivation": "deprivation_dimensions",
                "census21_overcrowding": "occupancy_rating"}[dataset_id]
    assert {"lsoa21_code", category, "n", "prop"} <= set(frame.columns)
    got = frame.set_index(category)["n"]
    for label, n in want.items():
        assert got[label] == n
    mirror = fetch.locate(sources.get(dataset_id))
    if mirror is not None:  # the reshaped columns are the fetched mirror file's, in its order
        assert list(pd.read_csv(mirror, nrows=1).columns) == list(frame.columns)


def test_msoa_tables_reshape_to_the_mirror_layout():
    ts029 = ("date,geography,geography code,"
             "Proficiency in English language: Total: All usual residents aged 3 years and over,"
             "Proficiency in English language: Main language is English (English or Welsh in Wales),"
             "Proficiency in English language: Main language is not English (English or Welsh in Wales),"
             "Proficiency in English language: Main language is not English (English or Welsh in Wales): "
             "Can speak English very well,"
             "Proficiency in English language: Main language is not English (English or Welsh in Wales): "
             "Can speak English well,"
             "Proficiency in English language: Main language is not English (English or Welsh in Wales): "
             "Cannot speak English well,"
             "Proficiency in English language: Main language is not English (English or Welsh in Wales): "
             "Cannot speak English\n2021,Hartlepool 001,E02002483,1000,900,100,50,30,15,5\n")
    frame = census.convert("census21_proficiency_msoa", _zip({"census2021-ts029-msoa.csv": ts029}))
    assert frame.loc[0, "Proportion who cannot speak English (well)"] == pytest.approx(0.02)
    ts019 = ("date,geography,geography code,Migrant Indicator: Total: All usual residents,"
             "Migrant Indicator: Address one year ago is the same as the address of enumeration,"
             "Migrant Indicator: Address one year ago is student term-time or boarding school address "
             "in the UK,"
             "Migrant Indicator: Migrant from within the UK: Address one year ago was in the UK,"
             "Migrant Indicator: Migrant from outside the UK: Address one year ago was outside the UK\n"
             "2021,Hartlepool 001,E02002483,1000,900,10,80,10\n")
    frame = census.convert("census21_migration_msoa", _zip({"census2021-ts019-msoa.csv": ts019}))
    assert frame.loc[0, "prop_migrated_from_outside_uk"] == pytest.approx(0.01)
    assert frame.loc[0, "msoa21_name"] == "Hartlepool 001"


@pytest.mark.parametrize("source, message", [
    (_zip({"census2021-ts021-msoa.csv": TS021_LSOA}), "no census2021-ts021-lsoa.csv"),
    (_zip({"census2021-ts021-lsoa.csv": TS021_LSOA.replace(",40,20,", ",forty,20,")}), "not a number"),
    (_zip({"census2021-ts021-lsoa.csv": TS021_LSOA.replace("geography code", "gss")}), "geography code"),
    (b"PK\x03\x04 not really a zip", "cannot be read"),
    (_zip({"census2021-ts021-lsoa.csv": TS021_LSOA.replace("White: Gypsy or Irish Traveller", "White: X")}),
     "Gypsy or Irish Traveller"),
], ids=["no-lsoa-member", "text-in-a-count", "no-geography-code", "not-a-zip", "not-ts021"])
def test_bad_bulk_files_get_a_clear_message(source, message):
    with pytest.raises(DataError, match=message):
        census.convert("census21_ethnicity_detailed", source)


@pytest.fixture
def ts021_server():
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = TS021_ZIP
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/output/census/2021/census2021-ts021.zip"
    server.shutdown()
    server.server_close()


def test_fetch_downloads_the_bulk_zip_and_writes_the_mirror_layout(tmp_path, ts021_server, monkeypatch):
    from dataclasses import replace

    dataset = replace(sources.get("census21_ethnicity_detailed"), urls=(ts021_server,))
    raw, bnd = tmp_path / "raw", tmp_path / "bnd"
    result = fetch.fetch_one(dataset, [], raw, bnd, progress=False)
    assert result.status == "downloaded", result.message
    assert result.path == dataset.dest(raw, bnd) and "reshaped" in result.message
    assert fetch.locate(dataset, raw, bnd) == result.path
    frame = pd.read_csv(result.path)
    assert frame[frame["ethnic_group"] == "White: Roma"]["n"].sum() == 23
    # the converted file is read by the PLUS layer's reader
    monkeypatch.setattr(inputs, "input_path", lambda dataset_id: result.path)
    inputs.ethnicity_lsoa_detailed.cache_clear()
    try:
        table = inputs.ethnicity_lsoa_detailed()
        assert table.loc["E01018814", "grt_count"] == 40
        assert table.loc["E01018814", "grt_pct"] == pytest.approx(100 * 40 / 1500)
    finally:
        inputs.ethnicity_lsoa_detailed.cache_clear()


def test_optional_input_absent_offline_does_not_fail_the_fetch(tmp_path):
    dataset = sources.get("census21_ethnicity_detailed")
    assert dataset.optional
    result = fetch.fetch_one(dataset, [tmp_path / "no-mirror"], tmp_path / "raw", tmp_path / "bnd",
                             allow_download=False, progress=False)
    assert result.status == "optional" and result.ok
    with pytest.raises(DataError, match="it exists, published by Office for National Statistics"):
        atlas.input_path("census21_ethnicity_detailed", tmp_path / "raw", tmp_path / "bnd")


def test_lsoa_layer_without_the_download_says_how_to_get_it(atlas2025):
    if fetch.locate(sources.get("census21_ethnicity_detailed")) is not None:
        pytest.skip("the TS021 LSOA table has been downloaded here")
    inputs.ethnicity_lsoa_detailed.cache_clear()
    with pytest.raises(DataError, match="data fetch --only census21_ethnicity_detailed"):
        registry.values(atlas2025, "grt_lsoa_pct")
    # the local-authority layer still works and says the LSOA table exists
    lad = registry.values(atlas2025, "grt_pct")
    assert lad.notna().any()
    assert "published per LSOA" in registry.get("grt_pct").caveat
