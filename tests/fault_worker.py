"""A separate process for tests/test_intake_faults.py: prepare one 村级指标月报 file and commit it.

    python tests/fault_worker.py FILE SCOPE PERIOD STAGE [GO_FILE]

The store is ``QINGLIAN_DB_URL``. SCOPE ``-`` chooses no county (a file of several counties is committed
as one version per county, in one transaction). STAGE is a commit stage (locked / superseded / upload /
rows / part) at which the process SIGKILLs itself — with a number, at that stage's n-th time (``rows3``:
while writing the third county) — ``none`` to commit normally, or ``hold`` to sleep inside the transaction
(after superseding) so that parallel commits overlap. With GO_FILE the worker writes ``GO_FILE.ready.<pid>``
once its preview is ready and waits for GO_FILE to appear before committing. Prints the upload id(s) as JSON.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.intake import commit_batch, prepare  # noqa: E402
from dashboard.store import make_engine  # noqa: E402
from tests.apptest import ADMIN

HOLD_SECONDS = 0.3


def _wait_for(go_file: Path, timeout: float = 60.0) -> None:
    Path(f"{go_file}.ready.{os.getpid()}").touch()
    deadline = time.monotonic() + timeout
    while not go_file.exists():
        if time.monotonic() > deadline:
            raise SystemExit("fault_worker: no go signal")
        time.sleep(0.002)


def main(argv: list[str]) -> int:
    path, scope, period, stage = Path(argv[0]), argv[1], argv[2], argv[3]
    scope = None if scope == "-" else scope
    engine = make_engine()
    preview = prepare(engine, path.read_bytes(), path.name, "village_monthly", period, scope, who=ADMIN)
    if not preview.ok:
        print("\n".join(i.text() for i in preview.errors), file=sys.stderr)
        return 2

    seen: dict[str, int] = {}

    def hook(at: str) -> None:
        seen[at] = seen.get(at, 0) + 1
        if stage in (at, f"{at}{seen[at]}"):
            os.kill(os.getpid(), signal.SIGKILL)
        if stage == "hold" and at == "superseded":
            time.sleep(HOLD_SECONDS)

    if len(argv) > 4:
        _wait_for(Path(argv[4]))
    ids = commit_batch(engine, [preview], hook=hook, who=ADMIN)
    print(json.dumps({"upload_id": ids[0], "upload_ids": ids, "rows": len(preview.result.records)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
