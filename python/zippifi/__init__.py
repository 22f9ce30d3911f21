"""ZippiFi: an agent-driven on-chain trading and yield engine for EVM chains.

The hot kernels are Rust (``zippifi._core``); the Pythonic faces are ``zippifi.sign`` (and,
as they land, ``zippifi.amm`` and ``zippifi.route``).
"""

from __future__ import annotations

# errors first: the Rust module's exception classes subclass the ones it defines.
from zippifi import errors
from zippifi._core import __version__

__all__ = ["__version__", "errors"]
