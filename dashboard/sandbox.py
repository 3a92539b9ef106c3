"""Run untrusted work (reading and validating an uploaded file) in a limited child process.

A pre-started worker (``python -m dashboard.sandbox_worker``) with the modules loaded takes one job at a
time over a pipe; its address space is capped (``RLIMIT_AS``) and each job has a wall-clock limit. A worker
that dies, runs out of memory or time is killed and replaced; the caller gets :class:`SandboxFailure` and
the server itself is untouched. At most ``max_parallel`` jobs run at once per server process; the rest wait
in arrival order and can tell the user how many files are ahead of theirs.

Replies are unpickled with an allow-list (plain containers, numbers, text and dates only), so even a
worker taken over by a hostile file cannot make the server run code.
"""

from __future__ import annotations

import atexit
import io
import logging
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from dashboard.settings import ROOT, child_env, sandbox_limits

log = logging.getLogger("qinglian.sandbox")
HEADER = struct.Struct("!Q")
MAX_REPLY = 512 << 20  # a reply larger than any real file's rows means the worker is not ours any more
ALLOWED_GLOBALS = {("datetime", "date"), ("datetime", "datetime")}
JOBS_PER_WORKER = 200  # a long-lived worker is replaced now and then, so its heap never grows for good


class SandboxFailure(Exception):
    """The job did not finish and the worker was replaced. ``reason``: "memory" (cap reached), "timeout",
    "died" (killed some other way) — the file exhausted the sandbox — or "crash" (our code failed there)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 1024
    timeout_seconds: float = 60.0
    max_parallel: int = 1


def configured_limits() -> Limits:
    """``[sandbox]`` of data/intake.toml."""
    raw = sandbox_limits()
    return Limits(int(raw["memory_mb"]), float(raw["timeout_seconds"]), max(1, int(raw["max_parallel"])))


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} 不允许出现在校验结果中")


def safe_loads(payload: bytes):
    return _SafeUnpickler(io.BytesIO(payload)).load()


def write_message(fd: int, obj, deadline: float | None = None) -> None:
    """Send ``obj`` length-prefixed; with ``deadline`` (monotonic) the fd must be non-blocking."""
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(HEADER.pack(len(payload)) + payload)
    while view:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [fd], [], remaining)[1]:
                raise SandboxFailure("timeout")
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            continue


class _Worker:
    """One child process; talks length-prefixed pickles over its stdin/stdout."""

    def __init__(self, memory_mb: int):
        env = child_env(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MALLOC_ARENA_MAX="2", RUST_BACKTRACE="0")
        # What the worker says on stderr (a native abort, a warning) is kept aside and logged if it dies,
        # never mixed into the output of the server or the CLI.
        self.stderr = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "dashboard.sandbox_worker", "--memory-mb", str(memory_mb)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, cwd=ROOT, env=env,
                start_new_session=True)
        except OSError as exc:  # no processes or memory left to start one: the upload cannot be checked now
            self.stderr.close()
            raise SandboxFailure("crash", f"无法启动校验子进程:{exc}") from None
        os.set_blocking(self.proc.stdin.fileno(), False)  # writes wait in select(), under the job's deadline
        self.jobs = 0

    def last_words(self, size: int = 2000) -> str:
        try:
            self.stderr.seek(max(0, self.stderr.seek(0, os.SEEK_END) - size))
            return self.stderr.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not wait on anything
            pass
        for pipe in (self.proc.stdin, self.proc.stdout, self.stderr):
            try:
                pipe.close()
            except OSError:
                pass

    def close(self) -> None:
        """Ask the worker to exit (EOF on its stdin), then make sure it did."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def call(self, job: dict, deadline: float):
        try:
            write_message(self.proc.stdin.fileno(), job, deadline)
        except BrokenPipeError:
            raise SandboxFailure(self._death()) from None
        (size,) = HEADER.unpack(self._read(HEADER.size, deadline))
        if size > MAX_REPLY:
            raise SandboxFailure("crash", f"校验子进程的回复过大({size} 字节)")
        return safe_loads(self._read(size, deadline))

    def _read(self, size: int, deadline: float) -> bytes:
        fd, chunks, left = self.proc.stdout.fileno(), [], size
        while left:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxFailure("timeout")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise SandboxFailure("timeout")
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise SandboxFailure(self._death())
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "crash"
        # An allocation refused by RLIMIT_AS aborts Rust code (SIGABRT) or raises MemoryError (exit 3).
        return "memory" if code in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGKILL, 3) else "died"


class Sandbox:
    """A queue in front of up to ``max_parallel`` workers (one process-wide instance: :func:`sandbox`)."""

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or configured_limits()
        self._idle: list[_Worker] = []
        self._running = 0
        self._queue: deque[object] = deque()
        self._cond = threading.Condition()

    def prestart(self) -> None:
        """Start the workers now, so the first upload does not wait for Python to load."""
        with self._cond:
            while len(self._idle) < self.limits.max_parallel:
                self._idle.append(_Worker(self.limits.memory_mb))

    def waiting_ahead(self, ticket: object) -> int:
        """Files being checked or queued before ``ticket``."""
        with self._cond:
            return self._running + (self._queue.index(ticket) if ticket in self._queue else 0)

    def run(self, job: dict, on_wait: Callable[[int], None] | None = None):
        """The worker's reply to ``job``; raises :class:`SandboxFailure` when the worker fails."""
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            try:
                self._wait_turn(ticket, on_wait)
            except BaseException:  # the page was left or rerun while waiting: give the place up
                self._queue.remove(ticket)
                self._cond.notify_all()
                raise
            self._queue.popleft()
            self._running += 1
            self._cond.notify_all()  # the next in line may start now if another slot is free
            worker = self._idle.pop() if self._idle else None
        try:
            if worker is not None and not worker.alive():
                worker.kill()  # died while idle: reap it and free its pipes
                worker = None
            if worker is None:
                worker = _Worker(self.limits.memory_mb)
            reply = self._call(worker, job)
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()
        return reply

    def _wait_turn(self, ticket: object, on_wait: Callable[[int], None] | None) -> None:
        """Block (holding ``self._cond``) until ``ticket`` is first in line and a worker slot is free."""
        told = None
        while self._queue[0] is not ticket or self._running >= self.limits.max_parallel:
            ahead = self._running + self._queue.index(ticket)
            if on_wait and ahead != told:
                told = ahead
                self._cond.release()
                try:
                    on_wait(ahead)
                finally:
                    self._cond.acquire()
                continue
            self._cond.wait(timeout=1.0)

    def _call(self, worker: _Worker, job: dict):
        deadline = time.monotonic() + self.limits.timeout_seconds
        try:
            reply = worker.call(job, deadline)
        except SandboxFailure as failure:
            log.warning("校验子进程失败(%s),已终止并替换。子进程输出:%s", failure.reason, worker.last_words())
            worker.kill()
            raise
        except (OSError, EOFError, pickle.UnpicklingError, struct.error) as exc:
            log.warning("校验子进程通信失败:%s", exc)
            worker.kill()
            raise SandboxFailure("crash", str(exc)) from None
        except BaseException:  # interrupted (KeyboardInterrupt, MemoryError here): never leave it half-talked-to
            worker.kill()
            raise
        worker.jobs += 1
        if isinstance(reply, dict) and reply.get("fatal"):
            worker.kill()  # it ran out of memory inside Python: its state is not to be trusted again
            raise SandboxFailure(reply["fatal"], reply.get("detail", ""))
        if worker.jobs >= JOBS_PER_WORKER:
            worker.close()
        else:
            with self._cond:
                self._idle.append(worker)
        return reply

    def shutdown(self) -> None:
        with self._cond:
            workers, self._idle = self._idle, []
        for worker in workers:
            worker.close()


_SANDBOX: Sandbox | None = None
_LOCK = threading.Lock()


def sandbox() -> Sandbox:
    """The process-wide sandbox (created on first use with the configured limits)."""
    global _SANDBOX
    with _LOCK:
        if _SANDBOX is None:
            _SANDBOX = Sandbox()
            atexit.register(_SANDBOX.shutdown)
        return _SANDBOX


def replace_sandbox(limits: Limits | None = None) -> Sandbox:
    """Start over with new limits (tests, and a server whose config changed)."""
    global _SANDBOX
    with _LOCK:
        if _SANDBOX is not None:
            _SANDBOX.shutdown()
        _SANDBOX = Sandbox(limits)
        atexit.register(_SANDBOX.shutdown)
        return _SANDBOX
