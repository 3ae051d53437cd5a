"""The Core20PLUS target shared by the pages: built on the PLUS page, used by the planner.

The target is one ``plus.TargetSpec`` per session: its base and combination are widgets kept
by ``ui.keep``; its conditions are a list held here. ``current()`` is what every page reads.
"""

from __future__ import annotations

import streamlit as st

from geo_core20 import plus, schema
from geo_core20.ui import keep
from geo_core20.ui.text import escape_markdown

K_BASE, K_COMBINE = "target_base", "target_combine"
_K_CONDITIONS = "_gc20_target_conditions"
BASE_LABEL = schema.TARGET_LABELS
COMBINE_LABEL = {"and": "AND (every condition)", "or": "OR (any condition)"}
CONDITION_KINDS = {
    "coastal": "Coastal community (G_25_5)",
    "indicator": "Indicator at or above / below a value",
    "percentile": "Indicator at or above a percentile within the area",
    "hotspot": "Hot spot of an indicator (Gi*)",
    "coldspot": "Cold spot of an indicator (Gi*)",
    "upload": "Uploaded layer",
}


def conditions() -> list[plus.Condition]:
    return st.session_state.setdefault(_K_CONDITIONS, [])


def current() -> plus.TargetSpec:
    """This session's target (Core20 with no conditions until one is built)."""
    return plus.TargetSpec(keep.get(K_BASE, "core20"), keep.get(K_COMBINE, "and"), tuple(conditions()))


def is_set() -> bool:
    """True when the session's target differs from plain Core20."""
    return current() != plus.TargetSpec()


def put(spec: plus.TargetSpec) -> None:
    """Replace the session's target (from a share link); before the target widgets are drawn."""
    keep.put(K_BASE, spec.base)
    keep.put(K_COMBINE, spec.combine)
    st.session_state[_K_CONDITIONS] = list(spec.conditions)


def base_and_combine() -> None:
    t1, t2 = st.columns(2)
    keep.widget(t1.radio, "Start from", list(BASE_LABEL), key=K_BASE, default="core20",
                format_func=BASE_LABEL.get, horizontal=True)
    keep.widget(t2.radio, "Combine conditions with", list(COMBINE_LABEL), key=K_COMBINE, default="and",
                format_func=COMBINE_LABEL.get, horizontal=True)


def condition_list() -> None:
    """The conditions, each with a Remove button."""
    conds = conditions()
    for i, cond in enumerate(list(conds)):
        a, b = st.columns([6, 1])
        a.markdown(f"{i + 1}. {escape_markdown(cond.describe())}")
        if b.button("Remove", key=f"target_rm_{i}_{cond.token()}", icon=":material/close:"):
            conds.pop(i)
            st.rerun()


def _indicator_condition(kind: str, vintage: str, national_median) -> plus.Condition:
    testable = kind in ("indicator", "percentile")
    pool = [i for i in plus.indicators(vintage) if i.kind != plus.CATEGORY
            and (testable or (i.kind == plus.NUMERIC and i.level == plus.LSOA))]
    if kind == "percentile":
        pool = [i for i in pool if i.kind == plus.NUMERIC]
    ind_id = st.selectbox("Indicator", [i.id for i in pool], key="target_new_indicator",
                          format_func=lambda i: plus.get(i).full_label)
    ind = plus.get(ind_id)
    if kind == "percentile":
        pct = st.slider("Percentile within the area", 50, 99, 80, key="target_new_percentile")
        return plus.Condition("indicator", ind_id, "ge", float(pct), percentile=True)
    if kind in ("hotspot", "coldspot"):
        conf = st.select_slider("Confidence", [90, 95, 99], value=95, key="target_new_confidence")
        return plus.Condition(kind, ind_id, confidence=int(conf))
    if ind.kind == plus.FLAG:
        return plus.Condition("indicator", ind_id, "ge", 1)
    x1, x2 = st.columns([1, 2])
    op = x1.selectbox("Comparison", ["ge", "le"], format_func=plus.OPS.get, key="target_new_op")
    med = float(national_median(ind_id))
    thr = x2.number_input(f"Value ({ind.unit or 'value'}; England median {plus.format_value(ind, med)})",
                          value=round(med, 3), key=f"target_new_threshold_{ind_id}")
    return plus.Condition("indicator", ind_id, op, float(thr))


def _upload_condition(layers: dict) -> plus.Condition | None:
    if not layers:
        st.caption("Upload a layer under 'Local data' first.")
        return None
    lname = st.selectbox("Layer", list(layers), key="target_new_layer")
    res = layers[lname]
    value_columns = getattr(res, "value_columns", None)
    if not value_columns:
        st.caption("LSOAs with at least one of the layer's points.")
        return plus.upload_condition(lname)
    y1, y2, y3 = st.columns(3)
    col = y1.selectbox("Column", list(value_columns), key="target_new_column")
    op = y2.selectbox("Comparison", ["gt", "ge", "le"], format_func=plus.OPS.get, key="target_new_upload_op")
    thr = y3.number_input("Value", value=0.0, key="target_new_upload_threshold")
    return plus.upload_condition(lname, col, op, float(thr))


def add_condition(vintage: str, layers: dict, national_median) -> None:
    """The "Add a condition" form; ``national_median(indicator_id)`` gives the England median."""
    conds = conditions()
    with st.expander("Add a condition", expanded=not conds):
        kind = st.selectbox("Condition", list(CONDITION_KINDS), format_func=CONDITION_KINDS.get,
                            key="target_new_kind")
        if kind == "coastal":
            new = plus.Condition("coastal")
        elif kind == "upload":
            new = _upload_condition(layers)
        else:
            new = _indicator_condition(kind, vintage, national_median)
        if new is not None and st.button("Add condition", type="primary", key="target_add",
                                         icon=":material/add:"):
            spec = current()
            try:
                plus.TargetSpec(spec.base, spec.combine, (*conds, new)).validate(vintage)
            except plus.TargetError as exc:
                st.error(str(exc))
            else:
                conds.append(new)
                st.rerun()

