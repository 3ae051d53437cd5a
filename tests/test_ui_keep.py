"""ui.keep: widget values survive section switches and never snap back after a user's change."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import streamlit as st

    from geo_core20.ui import keep

    if st.session_state.get("from_link"):
        keep.put("layer", st.session_state.pop("from_link"))
    section = st.radio("Section", ["A", "B"], key="section")
    if section == "A":
        options = st.session_state.get("options", ["x", "y", "z"])
        value = keep.widget(st.selectbox, "Layer", options, key="layer", default="x", valid=options)
        st.markdown(f"showing {value}")
        many = keep.widget(st.multiselect, "Many", ["p", "q", "r"], key="many", default=["p"])
        st.markdown(f"many {','.join(many)}")
    else:
        st.markdown(f"kept {keep.get('layer')}")


def app() -> AppTest:
    return AppTest.from_function(_script, default_timeout=30).run()


def shown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_a_users_change_stays_on_the_next_runs():
    at = app()
    assert at.selectbox(key="layer").value == "x" and "showing x" in shown(at)
    at.selectbox(key="layer").set_value("y").run()
    assert at.selectbox(key="layer").value == "y" and "showing y" in shown(at)
    at.run()  # an unrelated rerun does not snap it back
    assert at.selectbox(key="layer").value == "y" and "showing y" in shown(at)
    at.multiselect(key="many").select("r").run()
    assert at.multiselect(key="many").value == ["p", "r"] and at.selectbox(key="layer").value == "y"


def test_values_survive_a_section_switch():
    at = app()
    at.selectbox(key="layer").set_value("z").run()
    at.multiselect(key="many").unselect("p").select("q").run()
    at.radio(key="section").set_value("B").run()
    assert "kept z" in shown(at)
    at.radio(key="section").set_value("A").run()
    assert at.selectbox(key="layer").value == "z" and "showing z" in shown(at)
    assert at.multiselect(key="many").value == ["q"]


def test_put_sets_the_widget_before_it_is_drawn():
    at = app()
    at.session_state["from_link"] = "z"
    at.run()
    assert at.selectbox(key="layer").value == "z" and "showing z" in shown(at)
    at.selectbox(key="layer").set_value("x").run()  # and the user can still change it afterwards
    assert at.selectbox(key="layer").value == "x"


def test_a_value_no_longer_valid_falls_back_to_the_default():
    at = app()
    at.selectbox(key="layer").set_value("z").run()
    at.radio(key="section").set_value("B").run()
    at.session_state["options"] = ["x", "y"]  # e.g. another vintage offers fewer layers
    at.radio(key="section").set_value("A").run()
    assert at.selectbox(key="layer").value == "x" and "showing x" in shown(at)


def _browser_would_show(widget) -> object:
    """What the browser shows for a widget it builds from the run's message alone (no value of its
    own yet, e.g. the person clicked before the page finished loading): the proto's ``default``."""
    proto = widget.proto
    if widget.type == "multiselect":
        return [widget.options[i] for i in proto.default]
    return widget.options[proto.default]


def test_the_browser_is_told_the_kept_value_not_the_declared_default():
    """A value set through session state reaches the browser in one run only; a later run's widget
    must carry it as its own default, or a browser that missed that run shows (and sends back) "x"."""
    at = app()
    at.session_state["from_link"] = "z"
    at.run()
    assert at.selectbox(key="layer").value == "z"
    at.multiselect(key="many").set_value(["q", "r"]).run()
    at.run()  # the runs after the one that set the values
    assert _browser_would_show(at.selectbox(key="layer")) == "z"
    assert _browser_would_show(at.multiselect(key="many")) == ["q", "r"]
    at.radio(key="section").set_value("B").run()
    at.radio(key="section").set_value("A").run()  # drawn again from the kept copy
    assert _browser_would_show(at.selectbox(key="layer")) == "z"
    assert at.selectbox(key="layer").value == "z"
