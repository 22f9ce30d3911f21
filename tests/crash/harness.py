"""The crash harness: run a real child process, let it SIGKILL itself at a named point, start
it again, and hand the test what each run printed.

The points are compiled into the code path (``zippifi.crashpoints.crash_point(name)``) and armed
only by the test environment variable ``ZIPPIFI_TEST_CRASH_AT`` (``name`` or ``name@N`` for the
N-th time the point is reached). A run that was told to crash must die by SIGKILL *at that
point*: the child writes the point's name to stderr just before, and the harness checks it, so a
child that crashed elsewhere, or never reached the point, fails the test instead of passing it
by luck. Execution, hardening and the service reuse this with their own children and points.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from zippifi.crashpoints import CRASH_ENV, CRASH_MARK

ROOT = Path(__file__).resolve().parents[2]


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


class CrashHarness:
    """Runs ``python -m <module> <args>`` from the repository root."""

    def __init__(
        self, module: str, *, env: Mapping[str, str] | None = None, timeout_s: float = 180.0
    ) -> None:
        self.module = module
        self.env = dict(env or {})
        self.timeout_s = timeout_s

    def _run(self, args: tuple[str, ...], crash_at: str | None) -> ChildRun:
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        env.pop(CRASH_ENV, None)
        if crash_at is not None:
            env[CRASH_ENV] = crash_at
        done = subprocess.run(
            [sys.executable, "-m", self.module, *args], cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=self.timeout_s, check=False,
        )  # fmt: skip
        return ChildRun(done.returncode, done.stdout, done.stderr)

    def crash(self, *args: str, at: str) -> ChildRun:
        """Run until the child kills itself at ``at`` (``name`` or ``name@N``); anything else
        (a clean exit, another crash, an error) fails the test with the child's output."""
        run = self._run(args, at)
        name = at.partition("@")[0]
        if run.returncode != -signal.SIGKILL or run.crashed_at != name:
            raise AssertionError(
                f"{self.module} was to die at {at!r}; it exited {run.returncode} "
                f"(crash point {run.crashed_at!r})\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
            )
        return run

    def run(self, *args: str) -> ChildRun:
        """Run to a clean exit (status 0), or fail the test with the child's output."""
        run = self._run(args, None)
        if run.returncode != 0:
            raise AssertionError(
                f"{self.module} exited {run.returncode}\nstdout:\n{run.stdout}\n"
                f"stderr:\n{run.stderr}"
            )
        return run
