"""Every Python example in README.md runs as written.

Each ```python block runs on its own, in a fresh namespace: a reader may copy any one of them
alone, so each shows its own setup lines (no block continues another). It runs in an empty
working directory, without ZIPPIFI_* variables (the embedded defaults) and without the network:
a block that raises, or connects anywhere but this machine, fails its test.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def python_blocks() -> list[tuple[int, str]]:
    """(line of the block's first code line, code) for every ```python block."""
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _BLOCK.finditer(text)]


def test_the_readme_has_its_examples() -> None:
    # an extraction that silently found nothing would pass every test below
    assert len(python_blocks()) >= 4
    assert README.read_text(encoding="utf-8").count("```python") == len(python_blocks())


_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


def _is_local(host: Any) -> bool:
    if host is None or host in ("localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(host if isinstance(host, str) else host.decode()).is_loopback
    except ValueError:
        return False


def _connect_locally(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        raise OSError(f"README examples must not need the network (connect to {address})")
    _real_connect(sock, address)


def _resolve_locally(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_local(host):
        raise OSError(f"README examples must not need the network (resolve {host!r})")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.mark.parametrize(
    ("line", "code"), python_blocks(), ids=[f"README.md:{line}" for line, _ in python_blocks()]
)
def test_readme_example_runs(
    line: int, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("ZIPPIFI_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(socket.socket, "connect", _connect_locally)
    monkeypatch.setattr(socket, "getaddrinfo", _resolve_locally)
    exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__main__"})
