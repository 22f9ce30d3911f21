"""ZippiFi: an agent-driven on-chain trading and yield engine for EVM chains.

The hot kernels are Rust (``zippifi._core``); the Pythonic faces are ``zippifi.sign``,
``zippifi.amm`` and ``zippifi.route``. ``zippifi.errors`` and ``zippifi.domain`` load without
the extension, so importing the package does not load it either.
"""

from __future__ import annotations

from zippifi import errors

__all__ = ["__version__", "errors"]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from zippifi._core import __version__

        return __version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
