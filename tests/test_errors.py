"""One error family (`geo_core20.errors`): every class under the project's base, the command line's
one handler, the page frame's one handler for data errors, and `NotBuiltError` for a cache not built."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import shutil
from pathlib import Path

import folium
import pytest
from streamlit.testing.v1 import AppTest

import geo_core20
from geo_core20 import atlas, cli, clinical, errors, geocode, plans, sources
from geo_core20.exports import formats
from geo_core20.maps import assets

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PLUS_PAGE = str(ROOT / "views" / "2_PLUS_layers.py")
OUTREACH = str(ROOT / "views" / "3_Outreach_planner.py")
ACCELERATORS = str(ROOT / "views" / "4_Accelerator_sites.py")


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in a module of the geo_core20 package (imported ones are skipped)."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(geo_core20.__path__, "geo_core20."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue  # runs the command line on import
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


def test_every_exception_class_in_the_package_derives_from_the_project_base():
    found = _exception_classes()
    # the walk reached the family and the packages whose errors callers catch by their old names
    assert {"geo_core20.errors.InputError", "geo_core20.errors.NotBuiltError",
            "geo_core20.errors.CacheError", "geo_core20.errors.PlanStoreError"} <= set(found)
    outside = sorted(name for name, cls in found.items() if not issubclass(cls, errors.GeoCore20Error))
    assert outside == []


def test_the_old_names_are_the_family_and_keep_the_builtin_bases_callers_catch():
    from geo_core20 import access, areas, exports, fetch, plus, siting, uploads

    inputs = (areas.AreaError, access.AccessError, exports.ExportError, clinical.UnknownFocus,
              siting.SitingError, siting.ProblemTooLarge, uploads.UploadError, plus.TargetError)
    for cls in inputs:  # each was a ValueError: third-party `except ValueError` still catches it
        assert issubclass(cls, errors.InputError) and issubclass(cls, ValueError), cls
    assert issubclass(atlas.CacheError, errors.DataError) and issubclass(errors.DataError, ValueError)
    assert issubclass(plans.PlanStoreError, RuntimeError)
    assert issubclass(fetch.RetryableError, errors.DownloadError)
    assert not issubclass(errors.DataError, errors.InputError)  # pages catch input errors, not data errors


# --- not built yet ---------------------------------------------------------------------------------


def test_a_cache_not_built_raises_not_built_error_saying_how_to_build_it(tmp_path):
    atlas._clear_caches()
    empty = tmp_path / "processed"
    empty.mkdir()
    for load in (lambda: atlas.load_atlas("2025", processed_dir=empty),
                 lambda: atlas.load_display_geometry("2019", processed_dir=empty),
                 lambda: atlas.load_sites(empty),
                 lambda: clinical.cache.load_clinical("2025", processed_dir=empty),
                 lambda: clinical.cache.build_report("2019", processed_dir=empty),
                 lambda: geocode.load_postcode_index(empty / "postcodes.parquet", build_if_missing=False)):
        with pytest.raises(errors.NotBuiltError) as err:
            load()
        assert not isinstance(err.value, OSError)  # no longer a bare FileNotFoundError
        assert str(empty) in str(err.value) and "python -m geo_core20 data build" in str(err.value)
    # the clinical lookup tries each vintage, skipping the ones not built
    with pytest.raises(errors.DataError, match="match no built clinical table"):
        clinical.cache.infer_vintage(["E01000001"], processed_dir=empty)


def test_map_assets_not_installed_raise_not_built_error(tmp_path):
    with pytest.raises(errors.NotBuiltError, match="python -m geo_core20 assets"):
        assets.standalone_html(folium.Map(), static_dir=tmp_path)


# --- the command line: one handler -----------------------------------------------------------------


def test_cli_input_error_exits_2_with_its_message(capsys):
    assert cli.main(["focus", "--focus", "gout"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown focus 'gout'")
    assert "valid foci: maternity, smi, respiratory, cancer, hypertension" in err
    assert "Traceback" not in err


def test_cli_atlas_not_built_exits_2_saying_how_to_build_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sources, "PROCESSED_DIR", tmp_path)
    assert cli.main(["summary", "--vintage", "2019", "--level", "icb"]) == 2
    err = capsys.readouterr().err
    assert "atlas_2019.parquet not built yet" in err and "python -m geo_core20 data build" in err


def test_cli_failed_build_says_what_it_left_in_place(monkeypatch, capsys):
    def broken(vintage, force=False):
        raise errors.DataError(f"iod_{vintage}.csv: unknown column layout.")

    monkeypatch.setattr(atlas, "build_atlas", broken)
    assert cli.main(["data", "build", "--vintage", "2019"]) == 2
    assert capsys.readouterr().err == ("error: iod_2019.csv: unknown column layout.\n"
                                       "The previous atlas (if any) was left in place.\n")


def test_cli_handler_catches_only_the_project_errors(monkeypatch):
    def bug(focus):
        raise KeyError("a bug, not a message for the user")

    monkeypatch.setattr(clinical, "check_focus", bug)
    with pytest.raises(KeyError):  # a bug keeps its traceback instead of passing for a bad choice
        cli.main(["focus", "--focus", "smi"])


def test_an_export_to_a_folder_that_does_not_exist_is_an_export_error(tmp_path):
    out = tmp_path / "no such folder" / "map.png"
    with pytest.raises(errors.ExportError, match="cannot write .*no such folder"):
        formats.write_output(out, b"png")
    assert formats.write_output(tmp_path / "map.png", b"png").read_bytes() == b"png"


def test_a_plan_store_that_cannot_be_opened_is_a_plan_store_error(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the store's folder should be")
    store = plans.PlanStore(blocker / "plans.sqlite")
    with pytest.raises(plans.PlanStoreError, match="cannot be used"):
        store.list()
    with pytest.raises(errors.InputError, match="a plan needs a name"):
        plans.clean_name("   ")


# --- pages: the frame shows data errors ------------------------------------------------------------


@pytest.fixture()
def fresh_streamlit_caches():
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    atlas._clear_caches()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()
    atlas._clear_caches()


@pytest.mark.parametrize("path", [APP, PLUS_PAGE, OUTREACH, ACCELERATORS])
def test_a_page_without_an_atlas_says_how_to_build_it(path, tmp_path, monkeypatch, fresh_streamlit_caches):
    monkeypatch.setenv(plans.PATH_ENV, str(tmp_path / "plans.sqlite"))
    monkeypatch.setattr(sources, "PROCESSED_DIR", tmp_path)
    at = AppTest.from_file(path, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(e.value for e in at.error)
    assert "not built yet" in shown and "python -m geo_core20 data build" in shown


def test_a_damaged_cache_met_deep_in_a_page_is_shown_by_the_page_frame(tmp_path, monkeypatch,
                                                                      fresh_streamlit_caches):
    names = ("atlas_2025.parquet", "atlas_2025.meta.json", "atlas_2025_display.parquet",
             "atlas_2025_display.meta.json", "sites.parquet", "sites.meta.json")
    for name in names:
        if not (sources.PROCESSED_DIR / name).exists():
            pytest.skip(f"{name} not built: run `make data`")
        shutil.copy(sources.PROCESSED_DIR / name, tmp_path / name)
    sites = tmp_path / "sites.parquet"
    sites.write_bytes(sites.read_bytes()[: sites.stat().st_size // 3])  # cut short, as by a full disk
    monkeypatch.setenv(plans.PATH_ENV, str(tmp_path / "plans.sqlite"))
    monkeypatch.setattr(sources, "PROCESSED_DIR", tmp_path)
    at = AppTest.from_file(OUTREACH, default_timeout=240)
    at.query_params["level"], at.query_params["area"] = "lad", "E06000010"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # the sidebar and header were drawn (the atlas is intact); the planning form met the damaged sites
    assert at.title[0].value.endswith(": outreach planner")
    error = " ".join(e.value for e in at.error)
    assert str(sites) in error and "damaged" in error and "python -m geo_core20 data build --force" in error
    assert not [b for b in at.button if b.key == "op_run"]  # the page ended at the error
