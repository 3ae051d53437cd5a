"""User text shown by Streamlit: never read as Markdown or HTML."""

from __future__ import annotations

import re

# Markdown's punctuation that changes formatting (CommonMark's escapable set), and "$" (LaTeX)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&])")


def escape_markdown(text: object) -> str:
    """``text`` as literal characters inside ``st.markdown``/``st.caption``/labels.

    A layer called ``_x_`` stays ``_x_`` (not italics); ``<b>`` stays visible text.
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text))
