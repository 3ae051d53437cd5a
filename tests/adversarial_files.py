"""Hostile and odd uploads, built at test time (nothing large is committed), one list per class.

Each case is (name, reader, build, check): ``build()`` returns (bytes, filename); ``reader`` names
the function to call (see `READERS`); ``check(result)`` returns None when a loaded result is
right, else what is wrong (a *silently wrong value*). A case may end in a loaded result or in one
of the project's errors; anything else fails the suite.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import numpy as np

E = "E01000001"  # an LSOA 2021 code in the atlas (City of London)


def _zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def _csv(text: str) -> bytes:
    return text.encode()


def _points_geojson(coords, props=None, kind="Point") -> bytes:
    feats = [{"type": "Feature", "properties": props or {"name": "a"},
              "geometry": {"type": kind, "coordinates": coords}}]
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode()


def _poly(x0, y0, x1, y1):
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


# --- zips ---------------------------------------------------------------------------------------------

def _bad_crc() -> tuple[bytes, str]:
    data = bytearray(_zip([("a.csv", b"lsoa_code,n\n" + f"{E},1\n".encode() * 50)], zipfile.ZIP_STORED))
    i = data.index(b"E01000001,1")
    data[i + 10] = ord("9")  # content changed, checksum not
    return bytes(data), "crc.zip"


def _encrypted() -> tuple[bytes, str]:
    data = bytearray(_zip([("a.csv", b"lsoa_code,n\nE01000001,1\n")]))
    data[6] |= 1  # local header: encrypted
    cd = data.index(b"PK\x01\x02")
    data[cd + 8] |= 1  # central directory too
    return bytes(data), "locked.zip"


def _bad_method() -> tuple[bytes, str]:
    data = bytearray(_zip([("a.csv", b"lsoa_code,n\nE01000001,1\n")], zipfile.ZIP_STORED))
    data[8] = 99
    cd = data.index(b"PK\x01\x02")
    data[cd + 10] = 99
    return bytes(data), "method.zip"


def _shapefile_parts(folder: str = "", x=(-0.09, 51.51)) -> list[tuple[str, bytes]]:
    import geopandas as gpd
    from shapely.geometry import Point

    with tempfile.TemporaryDirectory() as tmp:
        gpd.GeoDataFrame({"name": ["site"]}, geometry=[Point(*x)], crs=4326).to_file(Path(tmp) / "s.shp")
        return [(f"{folder}{p.name}", p.read_bytes()) for p in sorted(Path(tmp).iterdir())]


ZIPS = [
    ("bad checksum", "load_upload", _bad_crc, None),
    ("encrypted member", "load_upload", _encrypted, None),
    ("unknown compression method", "load_upload", _bad_method, None),
    ("member named ..", "load_upload", lambda: (_zip([("../evil.shp", b"x"), ("a.dbf", b"y")]), "dots.zip"), None),  # noqa: E501
    ("very long member name", "load_upload",
     lambda: (_zip([("d/" * 200 + "a.shp", b"x")]), "long.zip"), None),
    ("zips nested deep", "load_upload", lambda: _nested(30), None),
    ("thousands of members", "load_upload",
     lambda: (_zip([(f"p{i}.shp", b"") for i in range(5000)]), "many.zip"), None),
    ("same shapefile name in two folders", "load_upload",
     lambda: (_zip(_shapefile_parts("a/") + _shapefile_parts("b/", (-1.5, 53.8))), "two.zip"), None),
    ("0.5 MB zip of a 490 MB shapefile part", "load_upload",
     lambda: (_zip([("big.shp", b"\0" * (490 * 2**20)), ("big.dbf", b"")]), "bomb.zip"), None),
    ("zip holding one CSV past the size limit", "read_upload",
     lambda: (_zip([("a.csv", b"a,b\n" + b"1,2\n" * (6 * 2**20))]), "big.zip"), None),
]


def _nested(depth: int) -> tuple[bytes, str]:
    data = b"lsoa_code,n\nE01000001,1\n"
    name = "a.csv"
    for i in range(depth):
        data, name = _zip([(name, data)]), f"z{i}.zip"
    return data, "nested.zip"


# --- workbooks ------------------------------------------------------------------------------------------

def _book(sheet_xml: str, shared: str | None = None, styles: bytes | None = None) -> bytes:
    ct = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
          'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
          'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
          + ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.spreadsheetml.sharedStrings+xml"/>' if shared is not None else "")
          + ('<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.spreadsheetml.styles+xml"/>' if styles is not None else "")
          + "</Types>")
    rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = ('<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
          '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    wbrels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
              'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
              '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
              + ('<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/sharedStrings" Target="sharedStrings.xml"/>' if shared is not None else "")
              + ('<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/styles" Target="styles.xml"/>' if styles is not None else "")
              + "</Relationships>")
    members = [("[Content_Types].xml", ct.encode()), ("_rels/.rels", rels.encode()),
               ("xl/workbook.xml", wb.encode()), ("xl/_rels/workbook.xml.rels", wbrels.encode()),
               ("xl/worksheets/sheet1.xml", sheet_xml.encode())]
    if shared is not None:
        members.append(("xl/sharedStrings.xml", shared.encode()))
    if styles is not None:
        members.append(("xl/styles.xml", styles))
    return _zip(members)


_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _sheet(rows: str, dimension: str = "A1:B3") -> str:
    return f'<?xml version="1.0"?><worksheet {_NS}><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'  # noqa: E501


_GOOD_ROWS = ('<row r="1"><c r="A1" t="inlineStr"><is><t>lsoa_code</t></is></c><c r="B1" t="inlineStr"><is><t>n'  # noqa: E501
              '</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>E01000001</t></is></c><c r="B2"><v>5'  # noqa: E501
              '</v></c></row>')

WORKBOOKS = [
    ("malformed sheet XML", "load_upload",
     lambda: (_book(_sheet(_GOOD_ROWS + '<row r="3"><c r="A3"><v>1</v></row>')), "bad.xlsx"), None),
    ("shared string index past the end", "load_upload",
     lambda: (_book(_sheet('<row r="1"><c r="A1" t="s"><v>999</v></c></row>'),
                    f'<?xml version="1.0"?><sst {_NS} count="1"><si><t>a</t></si></sst>'), "sst.xlsx"), None),
    ("text in a numeric cell", "load_upload",
     lambda: (_book(_sheet(_GOOD_ROWS + '<row r="3"><c r="A3" t="inlineStr"><is><t>E01000002</t></is></c>'
                           '<c r="B3"><v>abc</v></c></row>')), "text.xlsx"), None),
    ("huge shared-strings table", "load_upload",
     lambda: (_book(_sheet(_GOOD_ROWS), f'<?xml version="1.0"?><sst {_NS}>' + "<si><t>a</t></si>" * 15_000_000
                    + "</sst>"), "sst_bomb.xlsx"), None),
    ("millions of style entries", "load_upload",
     lambda: (_book(_sheet(_GOOD_ROWS), styles=(f'<?xml version="1.0"?><styleSheet {_NS}><cellXfs>'
                                                 + '<xf numFmtId="0"/>' * 3_000_000
                                                 + "</cellXfs></styleSheet>").encode()), "styles.xlsx"), None),  # noqa: E501
    ("declared a million rows by a thousand columns", "load_upload",
     lambda: (_book(_sheet(_GOOD_ROWS, "A1:ALL1000000")), "padded.xlsx"),
     lambda r: None if r.rows_loaded == 1 and r.frame["n"].tolist() == [5.0] else f"read {r.frame}"),
    ("declared 16,384 columns, holds two", "load_upload",
     lambda: (_book(_sheet(_GOOD_ROWS, "A1:XFD3")), "wide.xlsx"),
     lambda r: None if r.frame["n"].tolist() == [5.0] else f"read {r.frame}"),
]


# --- geometry that multiplies -------------------------------------------------------------------------

def _multipoint(n: int) -> tuple[bytes, str]:
    rng = np.random.default_rng(1)
    pts = np.column_stack([rng.uniform(-2, -1, n), rng.uniform(52, 53, n)]).round(5).tolist()
    return _points_geojson(pts, kind="MultiPoint"), "multi.geojson"


def _overlapping(n: int) -> tuple[bytes, str]:
    feats = [{"type": "Feature", "properties": {"i": i}, "geometry": {"type": "Polygon",
                                                                    "coordinates": _poly(-6, 49.9, 1.8, 55.8)}}  # noqa: E501
             for i in range(n)]
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode(), "overlap.geojson"


def _nan_vertices() -> tuple[bytes, str]:
    text = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":'
            '"Polygon","coordinates":[[[-1.6,53.7],[NaN,53.7],[-1.4,Infinity],[-1.6,53.9],[-1.6,53.7]]]}},'
            '{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":'
            + json.dumps(_poly(-1.6, 53.7, -1.4, 53.9)) + "}}]}")
    return text.encode(), "nan.geojson"


def _wide_attributes(n: int) -> tuple[bytes, str]:
    return _points_geojson([-1.5, 53.8], {f"c{i}": i for i in range(n)}), "wide.geojson"


GEOMETRY = [
    ("one multipoint of 300,000 points", "load_upload", lambda: _multipoint(300_000), None),
    ("3,000 overlapping England-sized polygons", "load_upload", lambda: _overlapping(3000), None),
    ("NaN and infinite polygon vertices", "load_upload", _nan_vertices,
     lambda r: None if any("not a number" in e.reason for e in r.errors) and r.rows_loaded == 1 else
     f"errors {r.errors}"),
    ("GIS attributes past the column limit", "load_upload", lambda: _wide_attributes(1500), None),
]


# --- GeoPackages that are not what they say --------------------------------------------------------

def _gpkg(build) -> bytes:
    import geopandas as gpd
    from shapely.geometry import Point

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.gpkg"
        gpd.GeoDataFrame({"name": ["a", "b", "c"]},
                         geometry=[Point(-1.55, 53.8), Point(-1.5, 53.8), Point(-0.1, 51.5)],
                         crs=4326).to_file(path, layer="sites")
        build(path)
        return path.read_bytes()


def _no_geometry(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, v TEXT)")
        db.execute("INSERT INTO plain (v) VALUES ('x')")
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('plain', 'attributes', "  # noqa: E501
                   "'plain')")
        db.execute("DELETE FROM gpkg_contents WHERE table_name = 'sites'")


def _endless_view(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE VIEW endless AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                   "SELECT x AS fid, NULL AS geom FROM c")
        db.execute("DELETE FROM gpkg_contents")
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('endless', "
                   "'attributes', 'endless')")


def _empty_layers(path: Path) -> None:
    with sqlite3.connect(path) as db:
        for i in range(300):
            db.execute(f"CREATE TABLE e{i} (fid INTEGER PRIMARY KEY, v TEXT)")
            db.execute(f"INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('e{i}', "
                       f"'attributes', 'e{i}')")


def _lying_count(path: Path) -> None:
    with sqlite3.connect(path) as db, contextlib.suppress(sqlite3.OperationalError):
        db.execute("UPDATE gpkg_ogr_contents SET feature_count = 1")


def _metres_as_degrees() -> tuple[bytes, str]:
    feats = [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
                                                              "coordinates": _poly(420000, 430000, 440000, 440000)}}]  # noqa: E501
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode(), "metres.geojson"


GEOPACKAGES = [
    ("attribute table with no geometry", "load_upload", lambda: (_gpkg(_no_geometry), "plain.gpkg"), None),
    ("view whose query never ends", "load_upload", lambda: (_gpkg(_endless_view), "view.gpkg"), None),
    ("hundreds of empty layers", "load_upload", lambda: (_gpkg(_empty_layers), "empty.gpkg"), None),
    ("stored feature count smaller than the real one", "load_upload",
     lambda: (_gpkg(_lying_count), "count.gpkg"),
     lambda r: None if r.rows_read == 3 else f"read {r.rows_read} of 3 features"),
    ("metres declared as EPSG:4326", "load_upload", _metres_as_degrees, None),
]


# --- names that collide -----------------------------------------------------------------------------

COLLISIONS = [
    ("points file with a column called row", "load_upload",
     lambda: (_csv("row,name,lon,lat\n7,a,-1.55,53.8\n"), "row.csv"),
     lambda r: None if r.points["row (file)"].tolist() == ["7"] and r.points["row"].tolist() == [2] else
     f"columns {list(r.points.columns)}"),
    ("points file with its own lsoa_code column", "load_upload",
     lambda: (_csv("lsoa_code,lon,lat\nX,-1.55,53.8\n"), "own.csv"), None),
    ("LSOA table whose value column is called weight", "load_upload",
     lambda: (_csv(f"lsoa_code,weight\n{E},5\n"), "w.csv"),
     lambda r: None if r.frame["weight"].tolist() == [5.0] else f"read {r.frame}"),
    ("LSOA table whose value column is called share", "load_upload",
     lambda: (_csv(f"lsoa_code,share\n{E},0.5\n"), "s.csv"),
     lambda r: None if r.frame["share"].tolist() == [0.5] else f"read {r.frame}"),
]


# --- numbers written the European way; swapped axes -----------------------------------------------

def _swapped_bng(n: int = 40) -> tuple[bytes, str]:
    rng = np.random.default_rng(3)
    e = rng.uniform(380_000, 460_000, n).round()
    nn = rng.uniform(280_000, 440_000, n).round()
    lines = ["name,northing,easting"] + [f"p{i},{a:.0f},{b:.0f}" for i, (a, b) in enumerate(zip(e, nn, strict=False))]  # noqa: E501
    return _csv("\n".join(lines) + "\n"), "swapped.csv"


NUMBERS = [
    ("0,125 beside 12,5", "load_upload", lambda: (_csv(f"lsoa_code;rate\n{E};0,125\nE01000002;12,5\n"), "eu.csv"),  # noqa: E501
     lambda r: None if sorted(r.frame["rate"].tolist()) == [0.125, 12.5] else f"read {r.frame['rate'].tolist()}"),  # noqa: E501
    ("1,234 beside 12,5 (ambiguous)", "load_upload",
     lambda: (_csv(f'lsoa_code,rate\n{E},"1,234"\nE01000002,"12,5"\n'), "mix.csv"), "refused"),
    ("1.234 thousands in a semicolon file", "load_upload",
     lambda: (_csv(f"lsoa_code;n\n{E};1.234\nE01000002;5.678\n"), "dots.csv"), "refused"),
    ("easting and northing swapped in the header", "load_upload", _swapped_bng, "refused"),
]


# --- within every limit but slow or large -----------------------------------------------------------

def _thousand_columns() -> tuple[bytes, str]:
    rng = np.random.default_rng(5)
    header = "lsoa_code," + ",".join(f"v{i}" for i in range(999))
    body = "\n".join(f"E0100{i:04d}," + ",".join(f"{x:.3f}" for x in rng.random(999)) for i in range(1, 1001))
    return (header + "\n" + body + "\n").encode(), "wide.csv"


COSTLY = [
    ("CSV of a thousand numeric columns", "load_upload", _thousand_columns, None),
    ("20 MB of blank lines", "load_upload", lambda: (b"lsoa_code,n\n" + b"\n" * (19 * 2**20) + f"{E},1\n".encode(),  # noqa: E501
                                                      "blank.csv"),
     lambda r: None if r.frame["n"].tolist() == [1.0] else f"read {r.frame}"),
    ("GPX file", "load_upload", lambda: (b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg><trkpt lat="53.8" '  # noqa: E501
                                         b'lon="-1.5"/></trkseg></trk></gpx>', "walk.gpx"), None),
    ("GeoJSON with one enormous object", "load_upload",
     lambda: (b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"x":"'
              + b"a" * (19 * 2**20) + b'"},"geometry":{"type":"Point","coordinates":[-1.5,53.8]}}]}', "big.geojson"),  # noqa: E501
     None),
]


# --- the planner's own readers and the Census bulk reader ------------------------------------------

PLANNER = [
    ("OD file with European numbers", "read_od_csv",
     lambda: (_csv(f"origin,destination,minutes\n{E},S1,\"1,234\"\n{E},S2,\"12,5\"\n"), "od.csv"), "refused"),
    ("OD file (wide) with 2,000 site columns", "read_travel_times",
     lambda: (("origin," + ",".join(f"s{i}" for i in range(2000)) + "\n" + E + "," + ",".join("5" for _ in range(2000))  # noqa: E501
               + "\n").encode(), "wide.csv"), None),
    ("OD file (long) with text times", "read_travel_times",
     lambda: (_csv(f"origin,destination,minutes\n{E},S1,ten\n"), "text.csv"), None),
    ("sites file with swapped coordinates", "read_sites_file", _swapped_bng, None),
    ("sites file that is a zip bomb", "read_sites_file",
     lambda: (_zip([("a.csv", b"name,lon,lat\n" + b"x,-1.5,53.8\n" * (3 * 2**20))]), "sites.zip"), None),
    ("demand file with a value column called weight", "read_demand",
     lambda: (_csv(f"lsoa_code,weight\n{E},5\n"), "demand.csv"),
     lambda r: None if r.values.tolist() == [5.0] else f"read {r.values}"),
    ("demand file with 0,125 beside 1,234", "read_demand",
     lambda: (_csv(f'lsoa_code,weight\n{E},"0,125"\nE01000002,"1,234"\n'), "d.csv"), "refused"),
    ("Census bulk zip with a bad checksum", "read_census_bulk", _bad_crc, None),
    ("Census bulk zip of 5,000 members", "read_census_bulk",
     lambda: (_zip([(f"p{i}.csv", b"") for i in range(5000)]), "census.zip"), None),
    ("Census bulk CSV with text counts", "read_census_bulk",
     lambda: (_csv("date,geography,geography code,Total,White\n2021,A,E01000001,5,x\n"), "ts.csv"), None),
]

# --- OpenStreetMap extracts for `travel-times --pbf` (routing) ------------------------------------------
# An .osm.pbf file is a run of blocks: a 4-byte big-endian length, a BlobHeader (type, datasize), then
# a Blob (raw_size, zlib_data) holding a HeaderBlock or a PrimitiveBlock; all protobuf, written here.

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _pb(number: int, payload: bytes | int) -> bytes:
    """One protobuf field: length-delimited bytes, or a varint for an int."""
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _pbf_block(kind: str, raw: bytes, raw_size: int | None = None, datasize: int | None = None) -> bytes:
    import struct
    import zlib

    blob = _pb(2, len(raw) if raw_size is None else raw_size) + _pb(3, zlib.compress(raw))
    header = _pb(1, kind.encode()) + _pb(3, len(blob) if datasize is None else datasize)
    return struct.pack(">I", len(header)) + header + blob


_OSM_HEADER = _pb(4, b"OsmSchema-V0.6") + _pb(4, b"DenseNodes")
_ONE_NODE = _pb(1, _pb(1, b"")) + _pb(2, _pb(2, _pb(1, _varint(2)) + _pb(8, _varint(1_030_000_000))
                                                + _pb(9, _varint(14_400_000 * 2 - 1))))
_TINY_PBF = _pbf_block("OSMHeader", _OSM_HEADER) + _pbf_block("OSMData", _ONE_NODE)  # one node, no roads


def _pbf_random(n: int, after_header_name: bool = False) -> bytes:
    data = np.random.default_rng(22).bytes(n)
    return (b"\x00\x00\x00\x0e\n\tOSMHeader" + data) if after_header_name else data


PBF = [
    ("zero-byte file named .osm.pbf", "travel_times_pbf", lambda: (b"", "empty.osm.pbf"), "refused"),
    ("random bytes named .osm.pbf", "travel_times_pbf", lambda: (_pbf_random(200_000), "noise.osm.pbf"),
     "refused"),
    ("random bytes behind an OSMHeader block name", "travel_times_pbf",
     lambda: (_pbf_random(200_000, after_header_name=True), "header-noise.osm.pbf"), "refused"),
    ("extract cut short inside a data block", "travel_times_pbf", lambda: (_TINY_PBF[:-7], "cut.osm.pbf"),
     "refused"),
    ("extract cut short inside its first header", "travel_times_pbf",
     lambda: (_TINY_PBF[:12], "cut-header.osm.pbf"), "refused"),
    ("a block declaring a 2 GB blob", "travel_times_pbf",
     lambda: (_pbf_block("OSMHeader", _OSM_HEADER, datasize=2**31 - 1), "huge-blob.osm.pbf"), "refused"),
    ("a 2 GB BlobHeader length", "travel_times_pbf",
     lambda: (b"\x7f\xff\xff\xf0" + _TINY_PBF[4:], "huge-header.osm.pbf"), "refused"),
    ("a blob declaring 2 GB once uncompressed", "travel_times_pbf",
     lambda: (_pbf_block("OSMHeader", _OSM_HEADER, raw_size=2**31 - 1), "huge-raw.osm.pbf"), "refused"),
    ("30 MB of zeros compressed to 30 kB", "travel_times_pbf",
     lambda: (_pbf_block("OSMHeader", _OSM_HEADER) + _pbf_block("OSMData", bytes(30 * 2**20)),
              "zeros.osm.pbf"), "refused"),
    ("a well-formed extract with one node and no roads", "travel_times_pbf",
     lambda: (_TINY_PBF, "no-roads.osm.pbf"), "refused"),
]


def travel_times_pbf(data: bytes, filename: str, atlas) -> object:
    """`travel-times --pbf` as the command runs it (routing.travel_times: tiles, then a matrix) on an
    extract written to a temporary folder, from three LSOAs to the first of them."""
    import pandas as pd

    from geo_core20 import routing, schema

    rows = atlas.head(3)
    points = pd.DataFrame({"code": rows[schema.LSOA_CODE].astype(str).to_numpy(),
                           "lon": rows[schema.PWC_LON].to_numpy(), "lat": rows[schema.PWC_LAT].to_numpy()})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / filename
        path.write_bytes(data)
        return routing.travel_times(path, points, points.head(1), "car", Path(tmp) / "cache")


def _seeds() -> list[tuple[bytes, str]]:
    """Valid files of every format, for hypothesis to damage."""
    return [(_book(_sheet(_GOOD_ROWS)), "book.xlsx"),
            (_zip(_shapefile_parts()), "shape.zip"),
            (_points_geojson([-1.55, 53.8]), "p.geojson"),
            (_gpkg(lambda path: None), "p.gpkg"),
            (_csv(f"lsoa_code,n\n{E},5\nE01000002,7\n"), "t.csv")]


def _damage_one(reader, project, data: bytes, filename: str, examples: int) -> tuple[int, list[str]]:
    import traceback

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    found: list[str] = []
    count = [0]

    @settings(max_examples=examples, database=None, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(st.integers(0, len(data) - 1), st.binary(min_size=1, max_size=8)), max_size=6),
           st.integers(0, len(data)))
    def damage(edits, cut):
        buf = bytearray(data)
        for at, chunk in edits:
            buf[at:at + len(chunk)] = chunk
        count[0] += 1
        try:
            reader(bytes(buf[:max(cut, 1)]), filename)
        except project:
            pass
        except Exception as exc:  # noqa: BLE001 - what the suite exists to find
            if not found:
                found.append(f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}")

    damage()
    return count[0], found


def hypothesis_damage(reader, project, examples: int = 120) -> list[tuple[str, str, str, float]]:
    """Hypothesis overwrites bytes of valid files (and cuts them short); every result must be a
    loaded result or the project's error. One outcome per seed file."""
    import time

    out = []
    for data, filename in _seeds():
        start = time.process_time()
        count, found = _damage_one(reader, project, data, filename, examples)
        out.append((f"{count} damaged copies of {filename}", "crash" if found else "ok",
                    found[0] if found else "", time.process_time() - start))
    return out


CLASSES = {
    "zip members": ZIPS,
    "workbooks": WORKBOOKS,
    "geometry that multiplies": GEOMETRY,
    "GeoPackages that are not what they say": GEOPACKAGES,
    "names that collide": COLLISIONS,
    "European numbers and swapped axes": NUMBERS,
    "costly within the limits": COSTLY,
    "planner and Census readers": PLANNER,
    "OpenStreetMap extracts (travel-times --pbf)": PBF,
    "damaged copies (hypothesis)": [],
}


# --- the child process that reads one class ------------------------------------------------------------

def run_class(name: str, conn) -> None:
    """Read every case of class ``name`` here (a spawned child); send back one outcome per case."""
    import resource
    import time
    import traceback

    from geo_core20 import access, atlas, census, plan_files, uploads
    from geo_core20.errors import GeoCore20Error

    a = atlas.load_atlas("2025")
    codes = a["lsoa_code"].astype(str).tolist()
    readers = {
        "load_upload": lambda d, f: uploads.load_upload(d, f, a),
        "read_upload": lambda d, f: uploads.read_upload(d, f),
        "read_od_csv": lambda d, f: access.read_od_csv(d, f, origins=codes),
        "read_travel_times": lambda d, f: plan_files.read_travel_times(d, f, a),
        "read_sites_file": lambda d, f: plan_files.read_sites_file(d, f, a),
        "read_demand": lambda d, f: plan_files.read_demand(d, f, "weight", a),
        "read_census_bulk": lambda d, f: census.read_bulk(d, "ts021", "lsoa"),
        "travel_times_pbf": lambda d, f: travel_times_pbf(d, f, a),
    }
    project = (GeoCore20Error,)

    def cpu() -> float:  # this process's and its finished children's (the tile builder's) processor time
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    out = []
    if name == "damaged copies (hypothesis)":
        out = hypothesis_damage(readers["load_upload"], project)
    for case, reader, build, check in CLASSES[name]:
        data, filename = build()
        start = cpu()
        try:
            result = readers[reader](data, filename)
        except project as exc:
            outcome, detail = "error", str(exc)
            if check is not None and check != "refused":
                outcome, detail = "wrong", f"a good file was refused: {exc}"
        except Exception as exc:  # noqa: BLE001 - what the suite exists to find
            outcome, detail = "crash", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=6)}"
        else:
            outcome, detail = "loaded", ""
            if check == "refused":
                outcome, detail = "wrong", "loaded a file that can only be read by guessing"
            elif check is not None:
                problem = check(result)
                if problem:
                    outcome, detail = "wrong", problem
        out.append((case, outcome, detail[:600], cpu() - start))
        del data
    # this process or its largest child (the routing tile builder), whichever peaked higher
    peak_kb = max(resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    conn.send((out, peak_kb / 1024))
