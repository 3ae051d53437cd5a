"""GIS uploads: GeoJSON, GeoPackage and zipped shapefiles, each file written here with geopandas."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_core20 import geocode, schema, uploads
from geo_core20.uploads import UploadError

LEEDS, LONDON = (-1.5467, 53.7950), (-0.1276, 51.5072)
SITES = gpd.GeoDataFrame(
    {"site_name": ["<img src=x onerror=alert(1)>", "=HYPERLINK(1)"], "n": [1, 2]},
    geometry=gpd.points_from_xy(*zip(LEEDS, LONDON, strict=True)),
    crs=schema.CRS_WGS84,
)
LEEDS_BOX = shapely.box(-1.60, 53.76, -1.50, 53.84)


def geojson(gdf: gpd.GeoDataFrame, tmp_path: Path) -> bytes:
    path = tmp_path / "layer.geojson"
    gdf.to_file(path, driver="GeoJSON")
    return path.read_bytes()


def shapefile_zip(
    gdf: gpd.GeoDataFrame, tmp_path: Path, parts=(".shp", ".shx", ".dbf", ".prj", ".cpg"), crs=True
) -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    gdf.to_file(folder / "sites.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for path in sorted(folder.iterdir()):
            if path.suffix in parts and (crs or path.suffix != ".prj"):
                archive.write(path, f"export/{path.name}")  # a folder inside the zip, as exports do
    return buf.getvalue()


def gpkg(layers: dict[str, gpd.GeoDataFrame], tmp_path: Path) -> bytes:
    path = tmp_path / "layers.gpkg"
    for name, gdf in layers.items():
        gdf.to_file(path, layer=name)
    return path.read_bytes()


# --- points ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("crs", [schema.CRS_WGS84, schema.CRS_BNG, "EPSG:3857"])
def test_points_in_any_declared_crs_land_where_they_are(atlas2025, tmp_path, crs):
    data = geojson(SITES.to_crs(crs), tmp_path)
    assert uploads.is_gis(data, "sites.geojson")
    res = uploads.load_upload(data, "sites.geojson", atlas2025)
    assert res.kind == uploads.POINTS_KIND and res.rows_loaded == 2
    assert res.points["lon"].tolist() == pytest.approx([LEEDS[0], LONDON[0]], abs=1e-6)
    assert res.points["lat"].tolist() == pytest.approx([LEEDS[1], LONDON[1]], abs=1e-6)
    expected = geocode.assign_lsoa([LEEDS[0], LONDON[0]], [LEEDS[1], LONDON[1]], atlas2025)["lsoa_code"]
    assert res.points[schema.LSOA_CODE].tolist() == expected.tolist()
    assert res.points["site_name"].tolist() == SITES["site_name"].tolist()  # hostile text kept as data
    assert res.columns.label == "site_name"
    assert (crs == schema.CRS_WGS84) != any("Reprojected" in n for n in res.notes)
    exported = uploads.safe_export(res.points)
    assert exported["site_name"].tolist()[1] == "'=HYPERLINK(1)"


def test_zipped_shapefile_with_every_part(atlas2025, tmp_path):
    res = uploads.load_upload(shapefile_zip(SITES.to_crs(schema.CRS_BNG), tmp_path), "sites.zip", atlas2025)
    assert res.rows_loaded == 2 and res.points["row"].tolist() == [1, 2]  # feature numbers
    assert not any("no coordinate system" in n for n in res.notes)


def test_shapefile_without_prj_in_metres_is_read_as_british_national_grid(atlas2025, tmp_path):
    res = uploads.load_upload(
        shapefile_zip(SITES.to_crs(schema.CRS_BNG), tmp_path, crs=False), "s.zip", atlas2025
    )
    assert any("read as British National Grid" in n for n in res.notes)
    assert res.points["lon"].tolist() == pytest.approx([LEEDS[0], LONDON[0]], abs=1e-6)


def test_shapefile_without_prj_in_degrees_is_read_as_lonlat(atlas2025, tmp_path):
    res = uploads.load_upload(shapefile_zip(SITES, tmp_path, crs=False), "s.zip", atlas2025)
    assert any("read as longitude/latitude" in n for n in res.notes) and res.rows_loaded == 2


def test_shapefile_without_prj_elsewhere_is_refused(atlas2025, tmp_path):
    far = SITES.to_crs("EPSG:3857")  # metres, but not British National Grid
    with pytest.raises(UploadError, match=r"declares no coordinate system.*\.prj"):
        uploads.load_upload(shapefile_zip(far, tmp_path, crs=False), "s.zip", atlas2025)


def test_zip_without_shp_names_what_it_holds(atlas2025, tmp_path):
    data = shapefile_zip(SITES, tmp_path, parts=(".dbf", ".prj", ".shx"))
    with pytest.raises(UploadError, match=r"no \.shp file \(found: sites\.dbf, sites\.prj, sites\.shx\)"):
        uploads.load_upload(data, "s.zip", atlas2025)


def test_zip_without_dbf_or_shx_still_loads_and_says_so(atlas2025, tmp_path):
    res = uploads.load_upload(shapefile_zip(SITES, tmp_path, parts=(".shp", ".prj")), "s.zip", atlas2025)
    assert res.rows_loaded == 2
    assert any("without its .dbf" in n for n in res.notes) and any("without its .shx" in n for n in res.notes)


def test_features_without_geometry_and_lines_are_reported(atlas2025, tmp_path):
    gdf = gpd.GeoDataFrame(
        {"site_name": ["a", "b", "c"]},
        geometry=[shapely.Point(LEEDS), None, shapely.LineString([LEEDS, LONDON])],
        crs=schema.CRS_WGS84,
    )
    res = uploads.load_upload(geojson(gdf, tmp_path), "mixed.geojson", atlas2025)
    assert res.rows_loaded == 1 and res.rows_read == 3
    problems = {e.row: e.reason for e in res.errors}
    assert "no geometry" in problems[2] and "LineString" in problems[3]


def test_lines_only_and_empty_layers_are_refused(atlas2025, tmp_path):
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([LEEDS, LONDON])], crs=schema.CRS_WGS84)
    with pytest.raises(UploadError, match="LineString features only"):
        uploads.load_upload(geojson(lines, tmp_path), "roads.geojson", atlas2025)
    empty = gpd.GeoDataFrame({"name": []}, geometry=[], crs=schema.CRS_WGS84)
    with pytest.raises(UploadError, match="no features"):
        uploads.load_upload(gpkg({"nothing": empty}, tmp_path), "empty.gpkg", atlas2025)


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b'{"type": "FeatureCollection", "features": [', "cut.geojson", "not valid GeoJSON"),
        (b'{"hello": "world"}', "x.geojson", "not GeoJSON"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "broken.gpkg", "cannot be read"),
        (b"not a geopackage", "x.gpkg", "not an SQLite file"),
    ],
)
def test_damaged_gis_files_get_a_message(atlas2025, data, name, message):
    with pytest.raises(UploadError, match=message):
        uploads.load_upload(data, name, atlas2025)


# --- polygons --------------------------------------------------------------------------------------


def _pwc_inside(atlas_gdf, polygon) -> set[str]:
    """Brute force: LSOAs whose population-weighted centroid is inside the polygon."""
    inside = shapely.contains_xy(polygon, atlas_gdf[schema.PWC_LON], atlas_gdf[schema.PWC_LAT])
    return set(atlas_gdf.loc[inside, schema.LSOA_CODE])


def test_polygons_count_the_lsoas_whose_centroid_is_inside(atlas2025, atlas2019, tmp_path):
    overlap = shapely.box(-1.55, 53.78, -1.45, 53.86)
    areas = gpd.GeoDataFrame(
        {"name": ["west", "east"]}, geometry=[LEEDS_BOX, overlap], crs=schema.CRS_WGS84
    ).to_crs(schema.CRS_BNG)
    res = uploads.load_upload(gpkg({"areas": areas}, tmp_path), "areas.gpkg", atlas2025)
    assert res.kind == uploads.LSOA_KIND and res.value_columns == {"areas": uploads.COUNT}
    got = res.frame.set_index(schema.LSOA_CODE)["areas"]
    west, east = _pwc_inside(atlas2025, LEEDS_BOX), _pwc_inside(atlas2025, overlap)
    assert set(got.index) == west | east
    assert {c for c, v in got.items() if v == 2} == west & east  # in both areas: counted twice
    assert any("population-weighted centroid" in n for n in res.notes)
    # the same areas on the 2019 atlas (LSOA 2011): re-placed by that atlas's centroids
    on2019 = uploads.layer_on_vintage(res, "2019", atlas2019)
    assert set(on2019[schema.LSOA_CODE]) == _pwc_inside(atlas2019, LEEDS_BOX) | _pwc_inside(
        atlas2019, overlap
    )
    assert uploads.layer_on_vintage(res, "2025", atlas2025) is res.frame


def test_invalid_polygons_are_repaired_and_reported(atlas2025, tmp_path):
    x0, y0, x1, y1 = LEEDS_BOX.bounds
    bowtie = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    assert not bowtie.is_valid
    areas = gpd.GeoDataFrame({"name": ["bowtie", "ok"]}, geometry=[bowtie, LEEDS_BOX], crs=schema.CRS_WGS84)
    res = uploads.load_upload(geojson(areas, tmp_path), "areas.geojson", atlas2025)
    warning = {e.row: e for e in res.errors}[1]
    assert (
        warning.severity == "warning"
        and "repaired" in warning.reason
        and "Self-intersection" in warning.reason
    )
    assert set(res.frame[schema.LSOA_CODE]) == _pwc_inside(atlas2025, LEEDS_BOX)


def test_several_layers_read_the_first_with_features_or_the_one_asked_for(atlas2025, tmp_path):
    empty = gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs=schema.CRS_WGS84))
    data = gpkg(
        {
            "draft": empty,
            "areas": gpd.GeoDataFrame(geometry=[LEEDS_BOX], crs=schema.CRS_WGS84),
            "sites": SITES,
        },
        tmp_path,
    )
    assert uploads.gis_layers(data, "layers.gpkg") == ["draft", "areas", "sites"]
    first = uploads.load_upload(data, "layers.gpkg", atlas2025)
    assert first.kind == uploads.LSOA_KIND
    assert any("3 layers ('draft', 'areas', 'sites')" in n for n in first.notes)
    picked = uploads.load_upload(data, "layers.gpkg", atlas2025, layer="sites")
    assert picked.kind == uploads.POINTS_KIND and picked.rows_loaded == 2
    with pytest.raises(UploadError, match=r"no layer 'roads'\. Layers: 'draft', 'areas', 'sites'"):
        uploads.load_upload(data, "layers.gpkg", atlas2025, layer="roads")
    with pytest.raises(UploadError, match="holds areas, but places"):
        uploads.load_upload(data, "layers.gpkg", atlas2025, kind=uploads.POINTS_KIND)


def test_a_table_reader_sends_gis_files_to_the_gis_reader(tmp_path):
    for data, name in ((shapefile_zip(SITES, tmp_path), "sites.zip"), (geojson(SITES, tmp_path), "s.json"),
                       (gpkg({"sites": SITES}, tmp_path), "s.gpkg")):
        assert uploads.is_gis(data, name)
        with pytest.raises(UploadError, match="GIS file"):
            uploads.read_upload(data, name)


# --- round trip over formats and coordinate systems ----------------------------------------------


@settings(
    max_examples=int(os.environ.get("GC20_EXAMPLES", "30")) // 5 + 24,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.integers(0, 33_000), min_size=1, max_size=12),
    st.sampled_from([schema.CRS_WGS84, schema.CRS_BNG, "EPSG:3857", "EPSG:32630"]),
    st.sampled_from(["geojson", "gpkg", "shapefile"]),
)
def test_points_round_trip_through_every_format(atlas2025, tmp_path_factory, picks, crs, fmt):
    tmp = tmp_path_factory.mktemp("rt")
    rows = atlas2025.iloc[[p % len(atlas2025) for p in picks]]
    lon, lat = rows[schema.PWC_LON].to_numpy(float), rows[schema.PWC_LAT].to_numpy(float)
    gdf = gpd.GeoDataFrame(
        {"site_name": [f"site {i}" for i in range(len(rows))]},
        geometry=gpd.points_from_xy(lon, lat),
        crs=schema.CRS_WGS84,
    ).to_crs(crs)
    data = {
        "geojson": lambda: geojson(gdf, tmp),
        "gpkg": lambda: gpkg({"sites": gdf}, tmp),
        "shapefile": lambda: shapefile_zip(gdf, tmp),
    }[fmt]()
    res = uploads.load_upload(data, f"sites.{'zip' if fmt == 'shapefile' else fmt}", atlas2025)
    expected = geocode.assign_lsoa(lon, lat, atlas2025)["lsoa_code"]
    ok = expected.notna().to_numpy()
    assert res.rows_loaded == ok.sum()
    assert np.allclose(res.points["lon"], lon[ok], atol=2e-6) and np.allclose(
        res.points["lat"], lat[ok], atol=2e-6
    )
    assert res.points[schema.LSOA_CODE].tolist() == expected[ok].tolist()
    assert res.points["site_name"].tolist() == [f"site {i}" for i in np.flatnonzero(ok)]
