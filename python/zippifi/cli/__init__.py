"""The `zippifi` command (Typer). :mod:`zippifi.cli.app` holds the app and the error boundary;
each command group is a module here (``demo``, ``keystore``) with a ``register(app)``."""

from __future__ import annotations

from zippifi.cli.app import app, main

__all__ = ["app", "main"]
