"""The seven Core20PLUS5 accelerator sites as one-click presets.

Wiring only: geo_core20.clinical.ACCELERATORS (ICB, focus, PLUS layer, caption, data note) and
``key_numbers`` -> one card each, with a link that opens the PLUS layers page on that ICB with
its focus and layer (the same link anyone can share).
"""

from __future__ import annotations

import streamlit as st

from geo_core20 import clinical, errors, plus, schema, ui
from geo_core20.ui import link, page, pages, panels
from geo_core20.ui.text import escape_markdown

VINTAGE = schema.DEFAULT_VINTAGE  # the presets open the default vintage


def link_params(a: clinical.Accelerator) -> dict[str, str]:
    """The card's link: what the preset sets and nothing else (a target the user built stays), on the
    section that shows the layer's map."""
    return link.preset(pages.PLUS, vintage=VINTAGE, level="icb", area=a.icb_code, focus=a.focus,
                       layer=a.plus_layer, section="indicators")


def card(a: clinical.Accelerator) -> None:
    numbers = ui.key_numbers_cached(a.id)
    focus = clinical.FOCI[a.focus]
    with st.container(border=True, key=f"accelerator_{a.id}"):
        st.subheader(a.ics)
        st.caption(escape_markdown(f"{a.icb_name} ({a.icb_code}) · focus: {focus.label} · PLUS layer: "
                                   f"{plus.get(a.plus_layer).label}"))
        st.markdown(escape_markdown(a.caption))
        # Three metrics share half the page: their labels stay short (Streamlit cuts a long metric
        # label with "…"; "Of whom in Core20 L…" was cut) and the full wording is in each help
        register = (f" Register (est.): estimated {numbers['extra_register_label']}."
                    if numbers.get("extra_register") is not None else "")
        st.caption(escape_markdown(f"Focus population: {focus.target_label}.{register}"))
        c = st.columns(3)
        c[0].metric("Focus population", f"{numbers['target_population']:,.0f}",
                    help=escape_markdown(focus.target_label))
        share = f"{100 * numbers['core20_target_share']:.1f}%"
        c[1].metric("In Core20 LSOAs", f"{numbers['core20_target_population']:,.0f}", delta=share,
                    delta_color="off", delta_arrow="off",
                    help=f"Of whom living in {schema.CORE20_LSOAS}: {share} of the focus "
                         "population.")
        if numbers.get("extra_register") is not None:
            c[2].metric("Register (est.)", f"{numbers['extra_register']:,.0f}",
                        help=escape_markdown(f"Estimated {numbers['extra_register_label']}"))
        elif "recorded_prevalence" in numbers:
            c[2].metric("Recorded prevalence", f"{100 * numbers['recorded_prevalence']:.2f}%")
        else:
            c[2].metric("Residents", f"{numbers['population']:,.0f}")
        st.warning(escape_markdown(a.data_note), icon=":material/visibility_off:")
        link.page_link(pages.PLUS, f"Open {a.ics}", link_params(a), icon=":material/arrow_forward:")


@page.frame
def main() -> None:
    st.set_page_config(page_title="Accelerator sites", page_icon=ui.page_icon(), layout="wide")
    page.presentation(pages.ACCELERATORS)
    st.title("Core20PLUS5 accelerator sites")
    st.caption(f"{schema.IMD_LABEL[VINTAGE]} · Seven integrated care systems each piloted one focus. Each "
               "card opens its ICB on the PLUS layers page with its clinical focus and its most relevant "
               "PLUS layer.")
    if not ui.atlas_available(VINTAGE):
        raise errors.NotBuiltError("The IoD2025 atlas is not built yet: run "
                                   "`python -m geo_core20 data build`.")
    for left, right in zip(*[iter([*clinical.ACCELERATORS.values(), None])] * 2, strict=True):
        cols = st.columns(2)
        with cols[0]:
            card(left)
        if right is not None:
            with cols[1]:
                card(right)
    st.divider()
    panels.attribution(VINTAGE)


main()
