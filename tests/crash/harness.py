"""The crash harness: run a real child process, let it SIGKILL itself at a named point, start
it again, and hand the test what each run printed.

The points are compiled into the code path (``zippifi.crashpoints.crash_point(name)``) and armed
only by the test environment variable ``ZIPPIFI_TEST_CRASH_AT`` (``name`` or ``name@N`` for the
N-th time the point is reached). A run that was told to crash must die by SIGKILL *at that
point*: the child writes the point's name to stderr just before, and the harness checks it, so a
child that crashed elsewhere, or never reached the point, fails the test instead of passing it
by luck. Execution, hardening and the service reuse this with their own children and points.
:meth:`CrashHarness.kill_after` kills from outside instead, after a delay, wherever the child is.

``forked=True`` starts each child from a fork server (tests/crash/forkserver.py) that imported
the child's module once: the same real process, SIGKILLed the same way, without seconds of
imports per run. Such a child module has an ``async def main(*args: str)``; close the harness
when done (it stops the server).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zippifi.crashpoints import CRASH_ENV, CRASH_MARK

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class ChildRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def crashed_at(self) -> str | None:
        """The crash point the child died at, if it died at one."""
        for line in self.stderr.splitlines():
            if line.startswith(CRASH_MARK + " "):
                return line.removeprefix(CRASH_MARK + " ").strip()
        return None

    def lines(self, tag: str) -> list[str]:
        """The child's stdout lines that start with ``tag`` (the tag removed)."""
        return [ln.removeprefix(tag).strip() for ln in self.stdout.splitlines()
                if ln.startswith(tag)]  # fmt: skip


class _ForkServer:
    """The fork server's process and the line protocol to it."""

    def __init__(self, module: str, env: Mapping[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.crash.forkserver", module], cwd=ROOT, env=dict(env),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0,
        )  # fmt: skip
        self._buffer = b""
        if self.answer(START_TIMEOUT_S) is None:
            self.process.kill()
            raise AssertionError(f"the fork server of {module} did not start")

    def send(self, request: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request).encode() + b"\n")

    def answer(self, timeout_s: float) -> dict[str, Any] | None:
        """The server's next answer, or None if none came within ``timeout_s``."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            data = os.read(fd, 4096)
            if not data:
                raise AssertionError(f"the fork server died ({self.process.wait()})")
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


class _Child:
    """One started child, its output going to files (a full pipe would stop it where it
    writes): by subprocess, or forked by the server."""

    def __init__(self, harness: CrashHarness, args: tuple[str, ...], crash_at: str | None):
        self._timeout_s = harness.timeout_s
        self._out = tempfile.NamedTemporaryFile("w+", suffix=".out")  # noqa: SIM115
        self._err = tempfile.NamedTemporaryFile("w+", suffix=".err")  # noqa: SIM115
        env = harness.child_env(crash_at)
        self._server = harness.server()
        self._process: subprocess.Popen[str] | None = None
        self._code: int | None = None
        if self._server is None:
            self._process = subprocess.Popen(
                [sys.executable, "-m", harness.module, *args], cwd=ROOT, env=env,
                stdout=self._out, stderr=self._err, text=True,
            )  # fmt: skip
            self.pid = self._process.pid
        else:
            self._server.send({"args": list(args), "env": env, "stdout": self._out.name,
                               "stderr": self._err.name})  # fmt: skip
            started = self._server.answer(self._timeout_s)
            assert started is not None, "the fork server did not fork"
            self.pid = int(started["pid"])

    def wait(self, timeout_s: float) -> bool:
        """Whether the child ended within ``timeout_s``."""
        if self._code is not None:
            return True
        if self._process is not None:
            try:
                self._code = self._process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                return False
            return True
        assert self._server is not None
        ended = self._server.answer(timeout_s)
        if ended is None:
            return False
        self._code = int(ended["exit"])
        return True

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # it ended (and was reaped) just now
            os.kill(self.pid, signal.SIGKILL)

    def finish(self) -> ChildRun:
        """Wait for the end (killing the child if it overran the harness's timeout)."""
        if not self.wait(self._timeout_s):
            self.kill()
            self.wait(self._timeout_s)
            raise AssertionError(f"the child overran {self._timeout_s}s: {self._output()}")
        assert self._code is not None
        stdout, stderr = self._output()
        return ChildRun(self._code, stdout, stderr)

    def _output(self) -> tuple[str, str]:
        texts = []
        for f in (self._out, self._err):
            with open(f.name) as again:
                texts.append(again.read())
            f.close()
        return texts[0], texts[1]


class CrashHarness:
    """Runs ``python -m <module> <args>`` from the repository root (or forks it, ``forked``)."""

    def __init__(
        self, module: str, *, env: Mapping[str, str] | None = None, timeout_s: float = 180.0,
        forked: bool = False,
    ) -> None:  # fmt: skip
        self.module = module
        self.env = dict(env or {})
        self.timeout_s = timeout_s
        self.forked = forked
        self._server: _ForkServer | None = None

    def child_env(self, crash_at: str | None) -> dict[str, str]:
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        env.pop(CRASH_ENV, None)
        if crash_at is not None:
            env[CRASH_ENV] = crash_at
        return env

    def server(self) -> _ForkServer | None:
        """The fork server (``forked``), started (its imports done) on first use."""
        if self.forked and self._server is None:
            self._server = _ForkServer(self.module, self.child_env(None))
        return self._server

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()

    def _run(self, args: tuple[str, ...], crash_at: str | None) -> ChildRun:
        return _Child(self, args, crash_at).finish()

    def kill_after(self, *args: str, seconds: float) -> ChildRun:
        """Start the child and SIGKILL it ``seconds`` later, wherever it is. A child that ends
        first is tolerated if it ended cleanly (its ChildRun says ``returncode == 0``); any
        other end fails the test."""
        child = _Child(self, args, None)
        if not child.wait(seconds):
            child.kill()
        run = child.finish()
        if run.returncode not in (0, -signal.SIGKILL) or run.crashed_at is not None:
            raise AssertionError(
                f"{self.module} was to be killed after {seconds:.2f}s; it exited {run.returncode}"
                f" (crash point {run.crashed_at!r})\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
            )
        return run

    def crash(self, *args: str, at: str, may_finish: bool = False) -> ChildRun:
        """Run until the child kills itself at ``at`` (``name`` or ``name@N``); anything else
        (a clean exit, another crash, an error) fails the test with the child's output.
        ``may_finish``: a clean exit (the point never reached) is tolerated too."""
        run = self._run(args, at)
        if may_finish and run.returncode == 0:
            return run
        name = at.partition("@")[0]
        if run.returncode != -signal.SIGKILL or run.crashed_at != name:
            raise AssertionError(
                f"{self.module} was to die at {at!r}; it exited {run.returncode} "
                f"(crash point {run.crashed_at!r})\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
            )
        return run

    def run(self, *args: str, counting: str | None = None) -> ChildRun:
        """Run to a clean exit (status 0), or fail the test with the child's output.
        ``counting``: a crash point armed to count only (``name@0``), never to fire."""
        run = self._run(args, None if counting is None else f"{counting}@0")
        if run.returncode != 0:
            raise AssertionError(
                f"{self.module} exited {run.returncode}\nstdout:\n{run.stdout}\n"
                f"stderr:\n{run.stderr}"
            )
        return run
