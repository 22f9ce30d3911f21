"""One structured logger (structlog): JSON lines by default, with secrets redacted.

Any event key that looks like a secret (private key, password, mnemonic, API key, token...) is
replaced by ``"<redacted>"`` before rendering, however it got there.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO, cast

import structlog

from zippifi.settings import LogSettings

REDACTED = "<redacted>"
_SECRET_MARKERS = (
    "private_key",
    "privatekey",
    "password",
    "passphrase",
    "secret",
    "mnemonic",
    "api_key",
    "apikey",
    "token",
    "seed",
)


def _is_secret(key: str) -> bool:
    k = key.lower().replace("-", "_")
    return any(marker in k for marker in _SECRET_MARKERS)


def redact_secrets(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        if _is_secret(key):
            event_dict[key] = REDACTED
    return event_dict


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written, not when logging was configured: a
    stream swapped and closed since (a test's capture, a CLI run's redirect) never swallows a
    later process's logs."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(settings: LogSettings | None = None, stream: TextIO | None = None) -> None:
    """Set up structlog for the whole process. Safe to call again (tests, CLI)."""
    settings = settings or LogSettings()
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[settings.level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(stream or cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None, **context: Any) -> Any:
    """A bound structured logger; ``name`` becomes the ``logger`` key."""
    log = structlog.get_logger()
    if name:
        context["logger"] = name
    return log.bind(**context) if context else log
