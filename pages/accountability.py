"""责任落实 (being built)."""

import streamlit as st

st.title("责任落实")
st.info("本页正在建设中。")
