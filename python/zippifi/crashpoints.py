"""Named crash points for restart tests: the process kills itself (SIGKILL) where a test asks.

Code on a path where a crash must lose nothing calls ``crash_point("submit.recorded")`` at each
point where a crash would be interesting. They do nothing unless the test environment variable
``ZIPPIFI_TEST_CRASH_AT`` names the point (``name``, or ``name@N`` for its N-th time, counting
from 1), read once when this module loads: a production process pays one comparison with None.
Before dying the process writes ``ZIPPIFI-CRASH-POINT <name>`` to stderr, so the test harness
knows it died where it was told to (tests/crash/harness.py). ``name@0`` never fires: it only
counts (:func:`reached`), so a test can measure how often a clean run passes the point.

A point reached too often for a call in the code (every SQL statement: ``store.statement``) is
hooked in only when :func:`armed` says the environment names it, so it costs nothing otherwise.

``ZIPPIFI_TEST_PAUSE_AT`` (same form) stops the process there instead (SIGSTOP, after writing
``ZIPPIFI-PAUSE-POINT <name>``), for a test that lets its leases expire and resumes it with
SIGCONT: a process that slept through losing its lock.
"""

from __future__ import annotations

import os
import signal
import sys

CRASH_ENV = "ZIPPIFI_TEST_CRASH_AT"
CRASH_MARK = "ZIPPIFI-CRASH-POINT"


def _target(spec: str | None) -> tuple[str, int] | None:
    if not spec:
        return None
    name, _, nth = spec.partition("@")
    return name, int(nth) if nth else 1


PAUSE_ENV = "ZIPPIFI_TEST_PAUSE_AT"
PAUSE_MARK = "ZIPPIFI-PAUSE-POINT"
_TARGET = _target(os.environ.get(CRASH_ENV))
_PAUSE = _target(os.environ.get(PAUSE_ENV))
_hits = 0
_pause_hits = 0


def armed(prefix: str) -> bool:
    """Whether the test environment names a crash point starting with ``prefix``."""
    return _TARGET is not None and _TARGET[0].startswith(prefix)


def reached() -> int:
    """How many times the armed point was reached so far (0 when none is armed)."""
    return _hits


def crash_point(name: str) -> None:
    """SIGKILL (or SIGSTOP) this process here if the test environment asks for ``name``; else
    nothing."""
    global _hits, _pause_hits
    if _PAUSE is not None and _PAUSE[0] == name:
        _pause_hits += 1
        if _pause_hits == _PAUSE[1]:
            _signal_self(PAUSE_MARK, name, signal.SIGSTOP)
    if _TARGET is None or _TARGET[0] != name:
        return
    _hits += 1
    if _hits == _TARGET[1]:
        _signal_self(CRASH_MARK, name, signal.SIGKILL)


def _signal_self(mark: str, name: str, sig: signal.Signals) -> None:
    sys.stderr.write(f"{mark} {name}\n")
    sys.stderr.flush()
    os.kill(os.getpid(), sig)
