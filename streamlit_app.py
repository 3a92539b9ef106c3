"""Entry point: the app behind its sign-in gate. ``streamlit run streamlit_app.py`` (what ``qinglian serve``
does) serves ``router.py`` as an ``st.App`` whose middleware (:class:`dashboard.gate.Gate`) refuses every page,
websocket, upload and media request of a browser that is not signed in, and whose routes serve the sign-in
page. The cookie secret is made on first start (``.streamlit/secrets.toml``) if none is configured."""

import streamlit as st
from starlette.middleware import Middleware

from dashboard import gate
from dashboard.settings import ensure_cookie_secret

ensure_cookie_secret()
app = st.App("router.py", routes=gate.routes(), middleware=[Middleware(gate.Gate)])
