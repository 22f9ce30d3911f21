"""A fork server for crash-test children: one process imports a child module (and ZippiFi with
it) once, then forks a fresh process per run, so a test that kills and restarts a child dozens
of times does not pay the imports (seconds each) dozens of times. Each forked child is a real
process of its own: it gets its environment, its output files and the crash point the run arms
(``zippifi.crashpoints`` reads its environment again), runs ``main(*args)`` of the module under
asyncio, and dies by SIGKILL like any other.

    python -m tests.crash.forkserver MODULE

says ``{"ready": MODULE}`` once imported, then reads one JSON request a line on stdin,
``{"args": [...], "env": {...}, "stdout": path, "stderr": path}``, and answers ``{"pid": n}``
once the child is forked and ``{"exit": code}`` when it ended (negative: the signal that ended
it, as subprocess reports it).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import random
import sys
import traceback
from types import ModuleType
from typing import Any

import zippifi.crashpoints


def _child(module: ModuleType, request: dict[str, Any]) -> None:
    code = 1
    try:
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out, fd)
            os.close(out)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        os.environ.clear()
        os.environ.update(request["env"])
        random.seed()
        # the armed point is read at import: read it again, in place (every module's
        # crash_point sees the same globals)
        importlib.reload(zippifi.crashpoints)
        asyncio.run(module.main(*request["args"]))
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve(module_name: str) -> None:
    module = importlib.import_module(module_name)
    print(json.dumps({"ready": module_name}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(module, request)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"exit": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    serve(sys.argv[1])
