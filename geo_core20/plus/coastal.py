"""Coastal communities: the G_25_5 coastal flag, coastal Core20, distance to the coast, summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo_core20 import schema
from geo_core20.plus import inputs

COASTAL_DEFINITION = (
    "Coastal LSOA: at least 25% of its postcodes lie within 5 km of the GB coastline, estuaries "
    "included (flag G_25_5; Welsh et al., BMJ Public Health 2024, doi:10.1136/bmjph-2024-001067)."
)
COAST_DISTANCE_NOTE = (
    "Straight-line distance from the LSOA's population-weighted centroid to the England coastline "
    "(ONS Countries 2011 generalised outline minus land borders; estuary shores included), in km."
)

# Local authorities with no open-sea coastline whose LSOAs the published flag marks coastal because of
# a tidal river or estuary within 5 km (the documented rule behind ``tidal_note``): every London
# borough and the City (the tidal Thames), Newcastle upon Tyne and Gateshead (the tidal Tyne; the sea
# coast is in North and South Tyneside), Preston and South Ribble (the Ribble estuary; the sea coast is
# in Fylde and West Lancashire) and Exeter (the Exe estuary; the sea coast is in East Devon and
# Teignbridge).
TIDAL_ONLY_LADS = {
    "E08000021": "the tidal Tyne", "E08000037": "the tidal Tyne",
    "E07000123": "the Ribble estuary", "E07000126": "the Ribble estuary",
    "E07000041": "the Exe estuary",
}


def tidal_river(lad_code: str) -> str | None:
    """The tidal river or estuary that makes an inland authority's LSOAs 'coastal', if it is one."""
    if str(lad_code).startswith("E09"):
        return "the tidal Thames"
    return TIDAL_ONLY_LADS.get(str(lad_code))


def tidal_note(frame: pd.DataFrame) -> str | None:
    """A legend note when some of the rows' coastal LSOAs lie in authorities with no open-sea coast.

    ``frame`` has ``lad_code`` and the coastal flag. E.g. North Central London: "All 80 coastal
    LSOAs here lie on the tidal Thames, in local authorities with no open-sea coastline ...".
    """
    coastal = frame[frame[schema.COASTAL].fillna(False).astype(bool)]
    if coastal.empty:
        return None
    rivers = coastal["lad_code"].map(tidal_river)
    tidal = rivers.dropna()
    if tidal.empty:
        return None
    names = sorted(set(tidal))
    where = " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]
    share = "All" if len(tidal) == len(coastal) else f"{len(tidal):,} of the"
    return (f"{share} {len(coastal):,} coastal LSOAs here lie on {where}, in local authorities with no "
            "open-sea coastline: the published flag counts tidal rivers and estuaries within 5 km as "
            "coast.")


def coast_distance_km(atlas: pd.DataFrame) -> pd.Series:
    """Distance (km) from each LSOA's population-weighted centroid to the England coastline."""
    tree, _ = inputs.coast_tree()
    east = atlas[schema.PWC_EASTING].to_numpy(float)
    north = atlas[schema.PWC_NORTHING].to_numpy(float)
    pts = shapely.points(east, north)
    ok = np.isfinite(east) & np.isfinite(north)
    dist = np.full(len(atlas), np.nan)
    if ok.any():
        (src, _), d = tree.query_nearest(pts[ok], return_distance=True, all_matches=False)
        vals = np.full(int(ok.sum()), np.nan)
        vals[src] = d
        dist[ok] = vals
    return pd.Series(dist / 1000.0, index=atlas.index, name="coast_distance_km")


def coastal_core20(atlas: pd.DataFrame) -> pd.Series:
    """Coastal Core20 class: coastal (G_25_5) and in the national most deprived 20%."""
    return (atlas[schema.COASTAL].astype(bool) & atlas[schema.CORE20].astype(bool)).rename("coastal_core20")



def coastal_summary(atlas: pd.DataFrame, level: str) -> pd.DataFrame:
    """Per area: LSOAs, coastal LSOAs, coastal Core20 LSOAs and their population."""
    frame = pd.DataFrame({
        "lsoas": 1,
        "coastal_lsoas": atlas[schema.COASTAL].astype(int),
        "coastal_core20_lsoas": coastal_core20(atlas).astype(int),
        "coastal_population": atlas[schema.POPULATION].where(atlas[schema.COASTAL], 0),
        "coastal_core20_population": atlas[schema.POPULATION].where(coastal_core20(atlas), 0),
    }, index=atlas.index)
    if level == "england":
        out = frame.sum().to_frame().T
        out.insert(0, "area_code", schema.ENGLAND_CODE)
        out.insert(1, "area_name", "England")
        return out
    code, name = schema.LEVEL_COLUMNS[level]
    frame["area_code"], frame["area_name"] = atlas[code], atlas[name]
    return frame.groupby(["area_code", "area_name"], as_index=False).sum().sort_values("area_name",
                                                                                      ignore_index=True)

