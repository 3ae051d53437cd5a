"""Community venues for outreach (lung health check units park in supermarket car parks and at libraries).

* Supermarkets: Geolytix Retail Points v29 (supermarkets over 280 m2 in Great Britain): placed in the
  2025 atlas's LSOAs (and so ICBs) by location. The super-generalised (200 m) LSOA boundaries misplace a
  few points near edges and coasts: a point outside every LSOA is snapped to the nearest LSOA within
  ``geocode.SNAP_METRES``, or, when it lies inside England's ICB outline (April 2023, generalised 20 m),
  to the nearest LSOA; the rest (Scotland, Wales, the Isle of Man) are outside England.
* Libraries: the DCMS public libraries dataset (2023): open (``closed`` blank) static libraries, located
  by postcode offline with OS Code-Point Open; closed, mobile, prison, archive and local-history
  libraries are excluded with the reason; a postcode that is not in Code-Point is listed.

Every venue has a name with its town (supermarkets) or address and postcode (libraries), so tables,
tooltips and exports can say where it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_core20 import atlas, geocode, readers, schema
from geo_core20.errors import DataError, VenueError

SUPERMARKETS_ID, LIBRARIES_ID = "supermarkets", "libraries"
SUPERMARKET_NOTE = ("Supermarkets over 280 m2 (Geolytix Retail Points v29, August 2023) placed in LSOAs by "
                    "location on super-generalised boundaries: a few near edges and coasts are snapped to "
                    "the nearest LSOA.")
LIBRARY_NOTE = ("Open static public libraries (DCMS public libraries dataset 2023), located by postcode "
                "(OS Code-Point Open).")


def _key(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


def read_supermarkets(path) -> pd.DataFrame:
    """The Geolytix table as id, retailer, lon, lat, town (every row; GB)."""
    frame = readers.read_table(path)
    need = ["id_geolytix", "retailer", "long_wgs", "lat_wgs", "town"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"{getattr(path, 'name', path)}: expected columns {need}; missing {missing}.")
    return pd.DataFrame({
        "id": frame["id_geolytix"].astype(str).str.strip(),
        "retailer": frame["retailer"].astype(str).str.strip(),
        "lon": pd.to_numeric(frame["long_wgs"], errors="coerce"),
        "lat": pd.to_numeric(frame["lat_wgs"], errors="coerce"),
        "town": frame["town"].fillna("").astype(str).str.strip(),
    })


def retailers(frame: pd.DataFrame) -> list[str]:
    """Retailer names, most stores first."""
    return frame["retailer"].value_counts().index.tolist()


def choose_retailers(spec: str | list[str] | None, known: list[str]) -> list[str]:
    """Retailers named by a user ('lidl,aldi' or a list), matched ignoring case and punctuation.

    None or empty means all. An unknown name raises an input error listing the known ones.
    """
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        return list(known)
    names = [s for s in (spec.split(",") if isinstance(spec, str) else spec) if str(s).strip()]
    by_key = {_key(k): k for k in known}
    chosen, unknown = [], []
    for name in names:
        hit = by_key.get(_key(name))
        if hit is None:  # a unique prefix also names a retailer ('sainsbury', 'marks')
            hits = [k for key, k in by_key.items() if key.startswith(_key(name))]
            hit = hits[0] if len(hits) == 1 else None
        (chosen if hit else unknown).append(hit or str(name).strip())
    if unknown:
        raise VenueError(f"unknown retailer(s) {', '.join(repr(u) for u in unknown)}; the supermarkets "
                         f"file has: {', '.join(known)}.")
    return list(dict.fromkeys(chosen))


def _england_outline() -> gpd.GeoSeries:
    icbs = gpd.read_file(atlas.input_path("icb23_boundaries")).to_crs(schema.CRS_WGS84)
    return gpd.GeoSeries([icbs.geometry.union_all()], crs=schema.CRS_WGS84)


def place(lon: pd.Series, lat: pd.Series, atlas_frame: gpd.GeoDataFrame,
          outline: gpd.GeoSeries | None = None) -> pd.DataFrame:
    """LSOA, ICB and how each point was placed (within / nearest / edge), or None outside England."""
    placed = geocode.assign_lsoa(lon.to_numpy(), lat.to_numpy(), atlas_frame)
    finite = np.isfinite(lon.to_numpy()) & np.isfinite(lat.to_numpy())
    missing = placed["lsoa_code"].isna().to_numpy() & finite
    if missing.any():
        outline = _england_outline() if outline is None else outline
        pts = gpd.GeoSeries(gpd.points_from_xy(lon.to_numpy()[missing], lat.to_numpy()[missing]),
                            crs=schema.CRS_WGS84)
        inside = pts.within(outline.iloc[0]).to_numpy()
        if inside.any():
            rows = np.flatnonzero(missing)[inside]
            near = gpd.sjoin_nearest(
                gpd.GeoDataFrame({"_row": rows}, geometry=pts[inside].to_numpy(), crs=schema.CRS_WGS84)
                .to_crs(schema.CRS_BNG),
                atlas_frame[[schema.LSOA_CODE, "geometry"]].to_crs(schema.CRS_BNG),
                how="inner", distance_col="distance_m").drop_duplicates("_row")
            placed.loc[near["_row"].to_numpy(), "lsoa_code"] = near[schema.LSOA_CODE].to_numpy()
            placed.loc[near["_row"].to_numpy(), "method"] = "edge"
            placed.loc[near["_row"].to_numpy(), "distance_m"] = near["distance_m"].to_numpy()
    icb = atlas_frame.set_index(schema.LSOA_CODE)["icb_code"]
    placed["icb_code"] = placed["lsoa_code"].map(icb)
    return placed


@lru_cache(maxsize=1)
def supermarkets() -> pd.DataFrame:
    """Every supermarket row with where it was placed (lsoa_code, icb_code None outside England)."""
    frame = read_supermarkets(atlas.input_path(SUPERMARKETS_ID))
    placed = place(frame["lon"], frame["lat"], atlas.load_atlas("2025"))
    out = pd.concat([frame.reset_index(drop=True), placed.reset_index(drop=True)], axis=1)
    out["site_code"] = "SUP-" + out["id"]
    out["site_name"] = out["retailer"] + np.where(out["town"] != "", ", " + out["town"], "")
    return out


def supermarket_counts() -> tuple[pd.Series, int]:
    """(England supermarkets per ICB, the number outside England)."""
    frame = supermarkets()
    england = frame[frame["icb_code"].notna()]
    return england.groupby("icb_code").size(), int(frame["icb_code"].isna().sum())


_LIBRARY_EXCLUDED = {
    "mobile library": "mobile library", "prison library": "prison library", "archive": "archive",
    "static archive": "archive", "static local history library": "local history library (specialist)",
}


@dataclass(frozen=True)
class Libraries:
    located: pd.DataFrame  # open static libraries placed in England's LSOAs
    not_located: pd.DataFrame  # open static libraries whose postcode is not in Code-Point (or not England)
    excluded: pd.DataFrame  # closed, mobile, prison, archive, local-history: with the reason


def read_libraries(path) -> pd.DataFrame:
    frame = readers.read_table(path)
    need = ["name", "address1", "postcode", "type", "closed", "authority"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise DataError(f"{getattr(path, 'name', path)}: expected columns {need}; missing {missing}.")
    return frame


def sort_libraries(frame: pd.DataFrame, postcodes: pd.DataFrame | None = None,
                   atlas_frame: gpd.GeoDataFrame | None = None) -> Libraries:
    """Split the libraries table into located, not located and excluded (every row in one of them)."""
    frame = frame.reset_index(drop=True)
    kind = frame["type"].fillna("").astype(str).str.strip().str.lower()
    closed = frame["closed"].fillna("").astype(str).str.strip() != ""
    reason = pd.Series("", index=frame.index, dtype=object)
    reason[kind.map(_LIBRARY_EXCLUDED).notna()] = kind.map(_LIBRARY_EXCLUDED)
    reason[(reason == "") & (kind != "static library")] = "type " + frame["type"].astype(str)
    reason[closed] = "closed " + frame.loc[closed, "closed"].astype(str).str.strip()
    excluded = frame[reason != ""].assign(reason=reason[reason != ""])
    open_static = frame[reason == ""]
    address = open_static[[c for c in ("address1", "address2", "address3") if c in open_static]].fillna("")
    address = address.astype(str).agg(lambda r: ", ".join(p.strip() for p in r if p.strip()), axis=1)
    found = geocode.locate_postcodes(open_static["postcode"], postcodes)
    ok = (found["status"] == geocode.STATUS_OK) & (found["country"] == schema.ENGLAND_CODE)
    atlas_frame = atlas.load_atlas("2025") if atlas_frame is None else atlas_frame
    where = place(found.loc[ok, "lon"], found.loc[ok, "lat"], atlas_frame)
    where.index = found.index[ok]
    located = open_static[ok].assign(
        address=address[ok], postcode=found.loc[ok, "postcode"], lon=found.loc[ok, "lon"],
        lat=found.loc[ok, "lat"], lsoa_code=where["lsoa_code"], icb_code=where["icb_code"])
    located = located.assign(site_name=located["name"].astype(str).str.strip(),
                             site_code="LIB-" + located.index.astype(str))
    not_located = open_static[~ok].assign(address=address[~ok], why=np.where(
        found.loc[~ok, "status"] != geocode.STATUS_OK,
        "postcode " + found.loc[~ok, "status"].astype(str), "postcode outside England"))
    return Libraries(located, not_located[["name", "address", "postcode", "authority", "why"]], excluded)


@lru_cache(maxsize=1)
def libraries() -> Libraries:
    return sort_libraries(read_libraries(atlas.input_path(LIBRARIES_ID)))


# --- venues as sites and candidates (planner, `plan --sites supermarket:lidl,aldi`, map layer) -------

VENUE_KINDS = {"supermarket": "Supermarket (over 280 m2)", "library": "Public library (open, static)"}
VENUE_NOTES = {"supermarket": SUPERMARKET_NOTE, "library": LIBRARY_NOTE}


def venue_sites(kind: str, chosen_retailers: str | list[str] | None = None) -> pd.DataFrame:
    """England's venues of ``kind`` as sites: site_code, site_name (with town, or address and
    postcode), site_type, retailer, address, postcode, lon, lat, easting, northing, lsoa_code, icb_code.

    ``chosen_retailers`` (supermarkets): a list or 'lidl,aldi' (None: all); an unknown one raises
    `VenueError` naming the known retailers."""
    if kind == "supermarket":
        frame = supermarkets()
        keep = choose_retailers(chosen_retailers, retailers(frame))
        frame = frame[frame["icb_code"].notna() & frame["retailer"].isin(keep)]
        out = pd.DataFrame({"site_code": frame["site_code"], "site_name": frame["site_name"],
                            "retailer": frame["retailer"], "address": "", "town": frame["town"],
                            "postcode": "",
                            "lon": frame["lon"], "lat": frame["lat"], "lsoa_code": frame["lsoa_code"],
                            "icb_code": frame["icb_code"]})
    elif kind == "library":
        frame = libraries().located
        frame = frame[frame["icb_code"].notna()]
        label = frame["site_name"] + np.where(frame["address"] != "", ", " + frame["address"], "") \
            + ", " + frame["postcode"].astype(str)
        out = pd.DataFrame({"site_code": frame["site_code"], "site_name": label, "retailer": "",
                            "address": frame["address"], "town": "",
                            "postcode": frame["postcode"].astype(str),
                            "lon": frame["lon"].astype(float), "lat": frame["lat"].astype(float),
                            "lsoa_code": frame["lsoa_code"], "icb_code": frame["icb_code"]})
    else:
        raise VenueError(f"unknown venue type {kind!r}; expected {', '.join(VENUE_KINDS)}")
    e, n = geocode.wgs84_to_bng(out["lon"].to_numpy(float), out["lat"].to_numpy(float))
    return out.assign(site_type=kind, easting=e, northing=n).reset_index(drop=True)


def venues_in_area(kind: str, area: pd.DataFrame, chosen_retailers: str | list[str] | None = None
                   ) -> pd.DataFrame:
    """The venues of ``kind`` placed in the area's LSOAs (by location, as `venue_sites`)."""
    sites = venue_sites(kind, chosen_retailers)
    return sites[sites["lsoa_code"].isin(set(area[schema.LSOA_CODE]))].reset_index(drop=True)


def parse_site_spec(spec: str) -> tuple[tuple[str, ...], dict[str, str | None]]:
    """``--sites`` text: NHS site types and venue kinds ('gp,supermarket:lidl,aldi,library').

    Names after 'supermarket:' up to the next known type are retailers. Returns (site types,
    {venue kind: retailers text or None for all})."""
    types: list[str] = []
    kinds: dict[str, str | None] = {}
    current: str | None = None
    for token in (t.strip() for t in (spec or "").split(",")):
        if not token:
            continue
        head, _, rest = token.partition(":")
        if head.lower() in VENUE_KINDS:
            current = head.lower()
            kinds[current] = rest.strip() or None
        elif head.lower() in schema.SITE_TYPES and not rest:
            types.append(head.lower())
            current = None
        elif current == "supermarket":
            kinds[current] = f"{kinds[current]},{token}" if kinds[current] else token
        else:
            known = ", ".join([*schema.SITE_TYPES, *VENUE_KINDS])
            raise VenueError(f"unknown site type {token!r}; expected {known} (e.g. supermarket:lidl,aldi)")
    return tuple(types), kinds


def venue_candidates(kinds: dict[str, str | None], area: pd.DataFrame) -> pd.DataFrame:
    """Candidates (siting.CANDIDATE_COLUMNS + site_type, address, town, postcode) for venue kinds in an
    area: named by retailer or library name, with where they are in the other columns."""
    from geo_core20.siting.solver import candidates_frame

    frames = []
    for kind, chosen in kinds.items():
        s = venues_in_area(kind, area, chosen)
        short = s["retailer"] if kind == "supermarket" else s["site_name"].str.split(", ").str[0]
        c = candidates_frame(s["site_code"], short, s["easting"], s["northing"], s["lon"], s["lat"])
        frames.append(c.assign(site_type=kind, address=s["address"].to_numpy(object),
                               town=s["town"].to_numpy(object), postcode=s["postcode"].to_numpy(object)))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def describe_kinds(kinds: dict[str, str | None]) -> str:
    """Venue kinds as ``--sites`` writes them ('supermarket:lidl,aldi,library')."""
    return ",".join(f"{k}:{v}" if v else k for k, v in kinds.items())
