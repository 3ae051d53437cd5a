"""The app's deck includes the area's saved plan a person picks (issue 18): save a plan on the planner
page, pick it in the explorer's "Print and present" section, download the deck's bytes and open them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pptx import Presentation
from streamlit.testing.v1 import AppTest, app_test

from geo_core20 import plans, siting

ROOT = Path(__file__).resolve().parents[1]
ICB = "E54000036"  # Cornwall and the Isles of Scilly: small


@pytest.fixture
def managers(atlas2025, tmp_path, monkeypatch):
    """A fresh plan store, and every media file manager AppTest makes (its deferred downloads)."""
    monkeypatch.setenv(plans.PATH_ENV, str(tmp_path / "plans.sqlite"))
    made: list = []

    class Kept(app_test.MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", Kept)
    return made


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def download(at: AppTest, managers: list, label: str) -> bytes:
    """What pressing a download button gives (the button builds its file on click)."""
    button = next(b for b in at.get("download_button") if b.proto.label == label)
    file_id = button.proto.deferred_file_id
    entry = next(m._deferred_callables[file_id] for m in reversed(managers)
                 if file_id in m._deferred_callables)
    return entry["callable"]()


def titles(data: bytes) -> list[str]:
    deck = Presentation(io.BytesIO(data))
    return [sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.name == "Title"]


def test_the_app_deck_has_the_saved_plan_the_user_picks(managers, atlas2025):
    older = siting.plan("2025", "icb", ICB, "core20", ("pharmacy",), 3.0, 2, "mclp", atlas_frame=atlas2025)
    older_id = plans.PlanStore().save(older, "Older plan")

    planner = AppTest.from_file(str(ROOT / "views" / "3_Outreach_planner.py"), default_timeout=300)
    planner.query_params["level"], planner.query_params["area"] = "icb", ICB
    planner = ok(planner.run())
    planner.number_input(key="op_k").set_value(3)
    planner.number_input(key="op_curve").set_value(0)
    planner = ok(planner.button(key="op_run").click().run())
    planner.text_input(key="op_save_name").input("Newer plan")
    planner = ok(planner.button[[b.label for b in planner.button].index("Save plan")].click().run())
    newer_id = planner.session_state["op_result"]["plan_id"]

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["level"], at.query_params["area"] = "icb", ICB
    at = ok(at.run())
    picker = at.selectbox(key="gc20_export_plan")
    assert [o.split(" (saved")[0] for o in picker.options] == ["Newer plan", "Older plan", "No plan"]
    assert picker.value == newer_id  # latest first, as the report command's default
    assert any(t.startswith("The saved plan \u201cNewer plan\u201d reaches") for t in
               titles(download(at, managers, "Slide deck (PPTX)")))

    at = ok(picker.set_value(older_id).run())
    picked = titles(download(at, managers, "Slide deck (PPTX)"))
    assert any(t.startswith("The saved plan \u201cOlder plan\u201d reaches") for t in picked)
    assert any(t.startswith("The plan's 2 sites") for t in picked)

    at = ok(at.selectbox(key="gc20_export_plan").set_value("").run())
    assert not any("saved plan" in t for t in titles(download(at, managers, "Slide deck (PPTX)")))
