"""Road travel times from an OpenStreetMap extract with Valhalla (an established routing engine).

- `engine`: find Valhalla (the ``pyvalhalla-weekly`` wheel), build its routing tiles from an
  ``.osm.pbf`` extract (cached under ``data/routing/`` per extract), answer sources-to-targets
  matrices per mode (car, foot, bicycle) in chunks;
- `od`: LSOA population-weighted centroids x sites -> a long-form origin-destination file
  (origin_code, destination_code, minutes), cached per (extract, mode, origins, sites), and
  `RoutedCost`, an `access.CostModel` the siting solvers take directly.

Public-transport times need a timetable-aware tool (r5py, OpenTripPlanner): bring them in as an
origin-destination file (`geo_core20.plan_files.read_travel_times`).
"""

from geo_core20.routing.engine import (
    COSTING,
    MODES,
    EngineNotInstalled,
    Router,
    RoutingError,
    build_tiles,
    engine_available,
    tiles_dir,
    valhalla_binary,
)
from geo_core20.routing.od import RoutedCost, od_cache_path, travel_times

__all__ = [
    "COSTING", "MODES", "EngineNotInstalled", "RoutedCost", "Router", "RoutingError", "build_tiles",
    "engine_available", "od_cache_path", "tiles_dir", "travel_times", "valhalla_binary",
]
