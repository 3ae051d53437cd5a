"""What the page tests (Streamlit's AppTest) share: the pages' scripts, a page opened at a link, the
check after every run, a metric's value and a planner run. Tests import it as ``apptests`` (tests/
is on pytest's path, as for ``harness``); the fixtures they share (atlases, a plan store) are in
conftest.py.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from geo_core20.ui import pages

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PLUS_PAGE, PLANNER_PAGE = (str(ROOT / pages.get(p).script) for p in (pages.PLUS, pages.PLANNER))
TIMEOUT_S = 300.0
"""Longest one run of a page may take before AppTest gives up (a ceiling, not a measurement)."""


def ok(at: AppTest) -> AppTest:
    """``at`` after checking that its last run raised nothing."""
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page(script: str, *, explorer_tab: str | None = None, **params: str) -> AppTest:
    """A new session of ``script`` opened at a link with ``params`` (any link parameter, ``tab``
    included), run and checked; ``explorer_tab`` then opens one of the explorer's tabs by its label
    (as a click on it does)."""
    at = AppTest.from_file(script, default_timeout=TIMEOUT_S)
    for key, value in params.items():
        at.query_params[key] = value
    ok(at.run())
    if explorer_tab is not None:
        at.session_state["gc20_tab"] = explorer_tab
        ok(at.run())
    return at


def metric(at: AppTest, label: str) -> str:
    """The shown value of the metric labelled ``label``."""
    return next(m.value for m in at.metric if m.label == label)


def run_plan(at: AppTest, k: int | None = None, curve: int = 0) -> AppTest:
    """The planner's run button clicked after setting k new sites (when given) and the curve's length."""
    if k is not None:
        at.number_input(key="op_k").set_value(k)
    at.number_input(key="op_curve").set_value(curve)
    return ok(at.button(key="op_run").click().run())


def save_plan(at: AppTest, name: str | None = None) -> str:
    """The planner's result saved (under ``name`` when given, typed as a person types it); its plan id."""
    if name is not None:
        at.text_input(key="op_save_name").input(name)
    at = ok(at.button[[b.label for b in at.button].index("Save plan")].click().run())
    return at.session_state["op_result"]["plan_id"]


def shown_legends(at) -> list[str]:
    """The legends an AppTest run shows beside its maps (HTML, as sent: ``ui.map_display.show_beside``,
    a sanitised ``st.html`` element per map)."""
    return [h.proto.body for h in at.get("html") if "gc20-legend" in h.proto.body]
