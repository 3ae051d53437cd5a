"""Readers accept the publishers' layouts and refuse bad input with a clear message."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo_core20 import atlas, readers, sources
from geo_core20.errors import DataError

DOMAINS = ["Income", "Employment", "Education, Skills and Training", "Health Deprivation and Disability",
           "Crime", "Barriers to Housing and Services", "Living Environment"]


IMD = "Index of Multiple Deprivation (IMD)"


def _official_file7(path, lsoa_year="2021", n=3):
    """A hand-made 3-row table in the official IoD File 7 column layout."""
    cols = {f"LSOA code ({lsoa_year})": [f"E0100000{i}" for i in range(1, n + 1)],
            f"LSOA name ({lsoa_year})": [f"Somewhere 00{i}A" for i in range(1, n + 1)],
            "Index of Multiple Deprivation (IMD) Score": ["40.1", "12.5", "5.0"][:n],
            f"{IMD} Rank (where 1 is most deprived)": ["1,203", "20,001", "33,000"][:n],
            f"{IMD} Decile (where 1 is most deprived 10% of LSOAs)": ["1", "6", "10"][:n]}
    for d in DOMAINS:
        cols[f"{d} Score (rate)" if d in ("Income", "Employment") else f"{d} Score"] = ["0.1"] * n
        cols[f"{d} Rank (where 1 is most deprived)"] = ["5"] * n
        cols[f"{d} Decile (where 1 is most deprived 10% of LSOAs)"] = ["2"] * n
    cols["Total population: mid 2022"] = ["1,500", "1,600", "1,700"][:n]
    frame = pd.DataFrame(cols)
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return frame


def test_reads_official_file7_layout_with_thousands_separators(tmp_path):
    _official_file7(tmp_path / "File_7.csv")
    imd = readers.read_imd(tmp_path / "File_7.csv", "2021")
    assert list(imd["imd_rank"]) == [1203, 20001, 33000]
    assert list(imd["imd_decile"]) == [1, 6, 10]
    assert imd["imd_score"].tolist() == [40.1, 12.5, 5.0]
    assert (imd["barriers_decile"] == 2).all()
    pop = readers.read_population(tmp_path / "File_7.csv", "2021")
    assert pop["population"].tolist() == [1500, 1600, 1700]


def test_reads_official_xlsx(tmp_path):
    frame = _official_file7(tmp_path / "f.csv", lsoa_year="2011")
    frame.to_excel(tmp_path / "File_7.xlsx", index=False)
    imd = readers.read_imd(tmp_path / "File_7.xlsx", "2011")
    assert imd["lsoa_code"].tolist() == ["E01000001", "E01000002", "E01000003"]


def test_reads_real_iod2019_official_files():
    path = sources.get("imd2019").dest()
    pop_path = sources.get("imd2019_population").dest()
    if not path.exists():
        pytest.skip("run `make data` first")
    raw = pd.read_csv(pop_path, dtype=str, nrows=5, encoding="utf-8-sig")
    assert raw.iloc[:, 4].str.contains(",").any()  # the thousands-separator caveat is real
    pop = readers.read_population(pop_path, "2011").set_index("lsoa_code")["population"]
    assert pop["E01000001"] == int(raw.iloc[0, 4].replace(",", ""))
    imd = readers.read_imd(path, "2011", scores_path=sources.get("imd2019_scores").dest())
    assert imd.set_index("lsoa_code").loc["E01000001", "imd_rank"] == 29199


def test_reads_ons_lookup_downloaded_as_arcgis_geojson(tmp_path):
    """The ONS feature service answers lookups as GeoJSON features with official field names."""
    features = [{"type": "Feature", "geometry": None,
                 "properties": {"LSOA21CD": f"E0100000{i}", "SICBL24CD": "E38000068", "SICBL24NM": "Halton",
                                "ICB24CD": "E54000008", "ICB24NM": "Cheshire and Merseyside", "ObjectId": i}}
                for i in (1, 2)]
    (tmp_path / "lookup.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    frame = readers.read_lookup(tmp_path / "lookup.geojson",
                                ["lsoa21_code", "sub_icb_code", "sub_icb_name", "icb_code", "icb_name"])
    assert frame["lsoa21_code"].tolist() == ["E01000001", "E01000002"]
    assert set(frame["icb_code"]) == {"E54000008"}


def test_unknown_layout_lists_expected_and_found(tmp_path):
    pd.DataFrame({"code": ["E01000001"], "deprivation": [3]}).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(DataError) as err:
        readers.read_imd(tmp_path / "x.csv", "2021")
    msg = str(err.value)
    assert "unknown column layout" in msg and "x.csv" in msg
    assert "lsoa21_code" in msg and "LSOA code (2021)".lower() in msg.lower()
    assert "Found columns: code, deprivation" in msg


def test_duplicate_codes_refused(tmp_path):
    frame = _official_file7(tmp_path / "f.csv")
    frame.iloc[1, 0] = frame.iloc[0, 0]
    frame.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(DataError, match="duplicate LSOA codes, e.g. E01000001"):
        readers.read_imd(tmp_path / "dup.csv", "2021")


@pytest.mark.parametrize("bad", ["0", "11", "-1"])
def test_decile_out_of_range_refused(tmp_path, bad):
    frame = _official_file7(tmp_path / "f.csv")
    frame.iloc[2, 4] = bad
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match=r"imd_decile outside 1-10 .* E01000003"):
        readers.read_imd(tmp_path / "bad.csv", "2021")


def test_non_numeric_refused(tmp_path):
    frame = _official_file7(tmp_path / "f.csv")
    frame.iloc[0, 2] = "n/a"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match="non-numeric values, e.g. 'n/a'"):
        readers.read_imd(tmp_path / "bad.csv", "2021")


def test_wrong_lsoa_vintage_refused():
    lsoa21 = {"E01000001", "E01035000", "E01035001"}
    lsoa11 = {"E01000001", "E01000050", "E01000051"}
    codes = pd.Series(["E01000001", "E01000050", "E01000051"])
    with pytest.raises(DataError, match="wrong LSOA vintage; expected LSOA 2021"):
        readers.check_vintage(codes, lsoa21, lsoa11, "2021", "iod.csv")
    readers.check_vintage(pd.Series(["E01000001", "E01035000"]), lsoa21, lsoa11, "2021", "iod.csv")
    with pytest.raises(DataError, match="not English LSOA 2021 codes"):
        readers.check_vintage(pd.Series(["E01999999"]), lsoa21, lsoa11, "2021", "iod.csv")


def _boundaries(path, crs="EPSG:4326", geoms=None):
    geoms = geoms or [box(-1.0, 52.0, -0.99, 52.01), box(-0.99, 52.0, -0.98, 52.01)]
    gdf = gpd.GeoDataFrame({"LSOA21CD": ["E01000001", "E01000002"][: len(geoms)],
                            "LSOA21NM": ["A 001A", "A 001B"][: len(geoms)]}, geometry=geoms, crs=crs)
    gdf.to_file(path, driver="GeoJSON")


def test_reads_ons_boundary_layout(tmp_path):
    _boundaries(tmp_path / "b.geojson")
    gdf = readers.read_lsoa_boundaries(tmp_path / "b.geojson", "2021")
    assert gdf["lsoa_code"].tolist() == ["E01000001", "E01000002"]
    assert gdf.crs.to_epsg() == 4326


def test_british_national_grid_boundaries_are_reprojected(tmp_path):
    _boundaries(tmp_path / "bng.gpkg", crs="EPSG:27700",
                geoms=[box(530000, 180000, 530500, 180500), box(530500, 180000, 531000, 180500)])
    gdf = readers.read_lsoa_boundaries(tmp_path / "bng.gpkg", "2021")
    assert gdf.crs.to_epsg() == 4326
    assert -0.2 < gdf.total_bounds[0] < -0.1


def test_unknown_crs_refused(tmp_path):
    gdf = gpd.GeoDataFrame({"LSOA21CD": ["E01000001"]}, geometry=[box(0, 0, 1, 1)])
    with pytest.warns(UserWarning, match="crs"):
        gdf.to_file(tmp_path / "nocrs.shp")
    (tmp_path / "nocrs.prj").unlink(missing_ok=True)
    with pytest.raises(DataError, match="unknown CRS"):
        readers.read_lsoa_boundaries(tmp_path / "nocrs.shp", "2021")


def test_wrong_declared_crs_refused(tmp_path):
    # BNG metres mislabelled as WGS84 degrees
    _boundaries(tmp_path / "liar.geojson", geoms=[box(530000, 180000, 530500, 180500)])
    with pytest.raises(DataError, match="not in England: wrong CRS"):
        readers.read_lsoa_boundaries(tmp_path / "liar.geojson", "2021")


def test_unparseable_geometry_refused(tmp_path):
    (tmp_path / "broken.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": "Fea')
    with pytest.raises(DataError, match="unparseable geometry file"):
        readers.read_lsoa_boundaries(tmp_path / "broken.geojson", "2021")


def test_missing_geometry_refused(tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"LSOA21CD": "E01000001"}, "geometry": None}]}
    (tmp_path / "empty.geojson").write_text(json.dumps(doc))
    with pytest.raises(DataError, match="have no geometry, e.g. E01000001"):
        readers.read_lsoa_boundaries(tmp_path / "empty.geojson", "2021")


def test_invalid_ring_is_repaired(tmp_path):
    from shapely.geometry import Polygon

    bowtie = Polygon([(-1, 52), (-0.99, 52.01), (-0.99, 52), (-1, 52.01), (-1, 52)])
    _boundaries(tmp_path / "bowtie.geojson", geoms=[bowtie])
    gdf = readers.read_lsoa_boundaries(tmp_path / "bowtie.geojson", "2021")
    assert gdf.geometry.is_valid.all() and gdf.geometry.iloc[0].area > 0


def test_missing_file_names_file_and_how_to_get_it(tmp_path):
    with pytest.raises(DataError) as err:
        atlas.input_path("iod2025", raw_dir=tmp_path, boundaries_dir=tmp_path)
    msg = str(err.value)
    assert "imd2025_england_lsoa21.csv" in msg and str(tmp_path) in msg
    assert "data fetch" in msg and "GEO_CORE20_MIRROR" in msg
    assert "assets.publishing.service.gov.uk" in msg


@pytest.fixture()
def cache_copy(tmp_path):
    """A private copy of the fetched raw cache (needs `make data`)."""
    if not sources.get("iod2025").dest().exists():
        pytest.skip("run `make data` first")
    raw, bnd, out = tmp_path / "raw", tmp_path / "bnd", tmp_path / "processed"
    shutil.copytree(sources.RAW_DIR, raw)
    shutil.copytree(sources.RAW_BOUNDARIES_DIR, bnd)
    return raw, bnd, out


def test_failed_build_keeps_previous_atlas(cache_copy):
    raw, bnd, out = cache_copy
    path, rebuilt = atlas.build_atlas("2025", raw, bnd, out)
    assert rebuilt
    assert atlas.build_atlas("2025", raw, bnd, out) == (path, False)  # unchanged inputs: a no-op
    before = path.read_bytes()
    # corrupt the IoD file: a decile of 11
    iod = sources.get("iod2025").dest(raw)
    frame = pd.read_csv(iod)
    frame.loc[5, "IMD_decile"] = 11
    frame.to_csv(iod, index=False)
    with pytest.raises(DataError, match="imd_decile outside 1-10"):
        atlas.build_atlas("2025", raw, bnd, out)
    assert path.read_bytes() == before
    assert not list(out.glob(".*tmp"))
    # 2011 codes where 2021 are expected
    lookup = pd.read_csv(sources.get("lookup_lsoa11_lsoa21").dest(raw))
    only11 = sorted(set(lookup["lsoa11_code"]) - set(lookup["lsoa21_code"]))
    frame.loc[5, "IMD_decile"] = 3
    frame.loc[: len(only11) - 1, "lsoa21_code"] = only11[: len(frame)]
    frame.to_csv(iod, index=False)
    with pytest.raises(DataError, match="wrong LSOA vintage"):
        atlas.build_atlas("2025", raw, bnd, out)
    assert path.read_bytes() == before
