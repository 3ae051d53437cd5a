"""A bare Streamlit page: the floor the England view's own cost is measured on top of
(``benchmarks/interaction_speed.py`` serves it with ``streamlit run``)."""

import streamlit as st

st.title("Bare page")
st.write("Nothing but Streamlit.")
