"""The load script's protocol client speaks Streamlit's websocket protocol the way the browser does: signed in,
it gets each page whole with its closing text; without a session it gets no page at all (no timing assertions)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.apptest import account

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import load  # noqa: E402

pytestmark = pytest.mark.skipif(not Path(load.CHROMIUM).exists(), reason="需要 Debian chromium(.ci/run 会安装)")


@pytest.fixture
def served(demo_db, tmp_path):
    store = tmp_path / "load.db"
    shutil.copy(demo_db, store)
    url = f"sqlite:///{store}"
    proc, base = load.start(url, tmp_path / "server.log")
    try:
        yield url, base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_signed_in_protocol_session_gets_every_page_whole(served):
    from dashboard import sessions
    from dashboard.store import make_engine

    url, base = served
    engine = make_engine(url)
    cookie = sessions.open_session(engine, account("leader", username=load.USER, url=url))
    engine.dispose()
    times, errors = asyncio.run(load.protocol_session(base, cookie))
    assert errors == [] and len(times) == len(load.VISITS) and all(t > 0 for t in times)


def test_without_a_session_the_protocol_client_gets_no_page(served):
    """A forged cookie: the gate refuses the websocket, so nothing is timed as a page."""
    _, base = served
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(load.protocol_session(base, "forged.cookie"))
    assert refused.value.response.status_code == 403


def test_the_load_script_writes_its_figures(demo_db, tmp_path):
    store = tmp_path / "load.db"
    shutil.copy(demo_db, store)
    out = tmp_path / "load.json"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "load.py"), "--db", f"sqlite:///{store}",
                           "--stages", "2", "--json", str(out)], cwd=ROOT, capture_output=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr).decode(errors="replace")[-4000:]
    assert "2 个会话" in proc.stdout.decode("utf-8")
    stage = json.loads(out.read_text(encoding="utf-8"))["stages"][0]
    assert stage["sessions"] == 2 and stage["pages"] == 2 * len(load.VISITS) and stage["errors"] == []
    assert stage["probe"]["pages"] == len(load.VISITS) and stage["probe"]["errors"] == []
    assert stage["p95_s"] > 0 and stage["rss_mb"][0] > 0
