"""Start the Streamlit server for the router: ``python -m dashboard.server [streamlit run options]``.

Streamlit treats a ``pages/`` folder next to the entry script as an old-style (v1) multipage app
until some session has run ``st.navigation``: a first visit straight to ``/plan`` would then bypass
the router (English page names, no page config). Our router always uses ``st.navigation``, so we
switch that legacy detection off before the server starts.
"""

from __future__ import annotations

import sys

from dashboard.settings import ROOT

PRELOAD = ("pandas", "altair", "pydeck", "sqlalchemy", "dashboard.facts", "dashboard.targets", "dashboard.charts",
           "dashboard.charts_map", "dashboard.accountability", "dashboard.intake", "dashboard.completeness")


def main(argv: list[str] | None = None) -> None:
    import importlib

    from streamlit.runtime.pages_manager import PagesManager

    # Import the heavy libraries once at start-up, so the first visitor does not wait for them,
    # and start the parse sandbox's worker so the first upload does not wait for it either.
    for name in PRELOAD:
        importlib.import_module(name)
    from streamlit.web import cli

    from dashboard.sandbox import sandbox

    sandbox().prestart()
    # What start-up made (modules, their tables) lives as long as the server: out of the garbage collector's
    # sight, so a full collection scans only what the sessions allocate (Streamlit's per-run collection is
    # off in .streamlit/config.toml: with it, 20 people opening pages at once spent 90 % of the time there).
    import gc

    gc.freeze()

    PagesManager.uses_pages_directory = False
    from dashboard.settings import proxy_mode_for_uvicorn

    proxy_mode_for_uvicorn()
    args = ["run", str(ROOT / "streamlit_app.py"), *(sys.argv[1:] if argv is None else argv)]
    cli.main(args=args, prog_name="streamlit")


if __name__ == "__main__":
    main()
