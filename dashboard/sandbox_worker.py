"""The parse sandbox's child process: ``python -m dashboard.sandbox_worker --memory-mb N``.

Reads length-prefixed pickled jobs from the server on stdin (trusted: the server wrote them) and answers
each on stdout. Modules are imported before the address-space cap is set, so every job starts warm. A
job that runs out of memory inside Python is answered with ``{"fatal": "memory"}`` and the process exits;
one that aborts in native code simply dies, which the server sees as a closed pipe.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import resource
import sys
import traceback

from dashboard.sandbox import HEADER, write_message

FULL_COLLECT_EVERY = 10


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _jobs():
    from dashboard import boundaries, intake

    return {"prepare": intake.prepare_job, "boundaries": boundaries.prepare_job}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="校验子进程(由看板服务启动)")
    parser.add_argument("--memory-mb", type=int, default=1024)
    opts = parser.parse_args(argv)

    # The protocol owns the original stdin/stdout; anything a library prints goes to stderr instead.
    inbox, outbox = os.dup(0), os.dup(1)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    jobs = _jobs()
    limit = opts.memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    gc.freeze()  # the loaded modules are never garbage: keep the collector off them
    gc.disable()  # reference counting frees a job's rows; cycles are collected every few jobs, between jobs
    done = 0
    while True:
        if done and done % FULL_COLLECT_EVERY == 0:
            gc.collect()
        header = _read_exact(inbox, HEADER.size)
        if header is None:
            return 0
        payload = _read_exact(inbox, HEADER.unpack(header)[0])
        if payload is None:
            return 0
        job = reply = None
        try:
            job = pickle.loads(payload)
            reply = jobs[job.pop("op")](**job)
        except MemoryError:
            reply = None
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001 - a bug (or a native panic): logged by the server, the user gets a sentence
            reply = {"fatal": "crash", "detail": traceback.format_exc(limit=20)}
        if reply is None:
            try:
                write_message(outbox, {"fatal": "memory"})
            finally:
                os._exit(3)
        try:
            write_message(outbox, reply)
        except MemoryError:
            os._exit(3)
        del job, reply
        done += 1


if __name__ == "__main__":
    sys.exit(main())
