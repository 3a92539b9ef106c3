"""The server's hardened and measured defaults, as Streamlit itself reads them from .streamlit/config.toml."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WANT = {
    "server.address": "127.0.0.1",  # loopback until opened on purpose (qinglian serve --address)
    "server.enableXsrfProtection": True,
    "server.maxUploadSize": 20,
    "server.fileWatcherType": "none",
    "browser.gatherUsageStats": False,  # nothing leaves the intranet
    "client.showErrorDetails": "none",  # no traceback reaches a user
    "client.toolbarMode": "viewer",
    "runner.postScriptGC": False,  # a full collection after every run held the GIL 90 % of the time under load
}


def test_streamlit_reads_the_project_defaults():
    code = ("import json; from streamlit import config; config.get_config_options(force_reparse=True); "
            f"print(json.dumps({{k: config.get_option(k) for k in {list(WANT)!r}}}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == WANT
