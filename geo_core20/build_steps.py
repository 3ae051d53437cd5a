"""Derived caches built after the atlas by `python -m geo_core20 data build`.

Each step takes (force, vintages) and returns a one-line message. They live here, not in
the atlas module, because they belong to the features that use them.
"""

from __future__ import annotations

from collections.abc import Callable


def postcode_index(force: bool = False, vintages: tuple[str, ...] = ()) -> str:
    """Code-Point Open -> data/processed/postcodes.parquet, for offline postcode lookup."""
    from geo_core20 import geocode

    path = geocode.POSTCODE_INDEX_PATH
    zip_path = geocode._codepoint_zip()
    if path.exists() and not force and path.stat().st_mtime >= zip_path.stat().st_mtime:
        return f"postcodes: up to date {path}"
    geocode.build_postcode_index(zip_path, path)
    return f"postcodes: built {path}"


def national_map_assets(force: bool = False, vintages: tuple[str, ...] = ()) -> str:
    """Pre-encoded national map geometry under static/national/ (served by the app)."""
    from geo_core20.maps import national

    return national.build_step(force=force, vintages=vintages or national.schema.VINTAGES)


def clinical_tables(force: bool = False, vintages: tuple[str, ...] = ()) -> str:
    """Per-LSOA clinical table (age bands, QOF register estimates, expected hypertension) per vintage."""
    from geo_core20 import schema
    from geo_core20.clinical import cache

    done = []
    for vintage in vintages or schema.VINTAGES:
        path, rebuilt = cache.build_clinical(vintage, force=force)
        done.append(f"{vintage} {'built' if rebuilt else 'up to date'}")
    return f"clinical: {', '.join(done)} ({cache.clinical_path('<vintage>').name})"


STEPS: list[Callable[..., str]] = [postcode_index, national_map_assets, clinical_tables]
