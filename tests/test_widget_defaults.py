"""Every control a page draws tells the browser the value the server holds, in every run.

Found in a real browser (tests/browser/test_change_browser.py, about one run in three on a busy
machine): a person who clicked a tab before the first run of an ICB link finished got the next click
answered with England, the first ICB in the list and the Core20 outline off. The first run had set
the controls from the link through session state; the browser never saw that run whole, built the
sidebar from each widget's *declared* default and sent those back. So: in a run that is not the
link's first, each control's own default (what a browser with no value of its own shows) must be
the value the page holds.
"""

from __future__ import annotations

import pytest
from apptests import APP, PLANNER_PAGE, PLUS_PAGE, ok, open_page, run_plan

NORTH_EAST_LONDON = "E54000029"


def _shown_by_default(widget) -> object:
    proto = widget.proto
    if widget.type in ("selectbox", "radio"):
        return widget.options[proto.default] if proto.HasField("default") or widget.type == "radio" else None
    if widget.type == "multiselect":
        return [widget.options[i] for i in proto.default]
    if widget.type in ("toggle", "checkbox", "number_input", "text_input"):
        return proto.default
    raise AssertionError(f"no rule for {widget.type}")


def _held(widget) -> object:
    if widget.type in ("selectbox", "radio"):
        return widget.format_func(widget.value) if widget.value is not None else None
    if widget.type == "multiselect":
        return [widget.format_func(v) for v in widget.value]
    return widget.value


def _keyed_controls(at):
    for kind in ("selectbox", "radio", "multiselect", "toggle", "checkbox", "number_input", "text_input"):
        for widget in getattr(at, kind):
            if widget.key and not widget.key.startswith("$$"):
                yield widget


@pytest.mark.parametrize("script,params", [
    (APP, {"vintage": "2025", "level": "icb", "area": NORTH_EAST_LONDON, "core20": "0", "tab": "change"}),
    (PLUS_PAGE, {"level": "icb", "area": NORTH_EAST_LONDON, "layer": "imd_score", "focus": "cancer"}),
    (PLANNER_PAGE, {"level": "icb", "area": NORTH_EAST_LONDON, "focus": "hypertension"}),
], ids=["explorer", "plus", "planner"])
def test_every_control_carries_the_held_value_as_its_own_default(atlas2025, script, params):
    at = open_page(script, **params)
    at.run()  # a run after the link's own: nothing is set through session state now
    checked = {}
    for widget in _keyed_controls(at):
        if widget.type in ("toggle", "checkbox", "number_input", "text_input"):
            checked[widget.key] = (widget.proto.default, widget.value)
        else:
            checked[widget.key] = (_shown_by_default(widget), _held(widget))
    wrong = {k: v for k, v in checked.items() if v[0] != v[1]}
    assert not wrong, f"the browser would show (default, held): {wrong}"
    # the link's own values are among them (so the check saw the controls that matter)
    assert checked["gc20_level"][1] == "ICB" or "ICB" in str(checked["gc20_level"][1])
    if script == APP:
        assert checked["gc20_core20"] == (False, False)
        # the tabs too (Streamlit sends the open tab as the tabs' default): a browser that missed the
        # link's run opens on the tab the link named
        container = next(_tab_containers(at._tree))
        assert container.default_tab_index == 4  # "Core20 then and now"
    if script == PLANNER_PAGE:
        # the plan's name is set by the page (it follows the plan's settings until typed over)
        at = run_plan(at, k=2)
        ok(at.run())
        box = at.text_input(key="op_save_name")
        assert box.value and box.proto.default == box.value


def _tab_containers(node):
    proto = getattr(node, "proto", None)
    if proto is not None and "tab_container" in proto.DESCRIPTOR.fields_by_name \
            and proto.HasField("tab_container"):
        yield proto.tab_container
    for child in getattr(node, "children", {}).values():
        yield from _tab_containers(child)
