"""The `zippifi` Typer app and :func:`main`, the boundary that turns every failure into one line.

To add a command group, write a module in this package with a ``register(app)`` function that
adds its commands (``app.command(...)``, or ``app.add_typer(...)`` for a group), and call it
below the app. Commands import heavy modules inside their function, so ``zippifi --help``
stays fast. A command never prints its own errors: it raises a ZippiError
(:class:`~zippifi.errors.InvalidInputError` for bad input) and :func:`main` reports it as
``zippifi: error: <one line>`` on stderr, exit code 2 for bad input, 1 for a runtime failure.
The settings are loaded (and validated) before any command runs; a command that needs them
takes ``ctx: typer.Context`` and reads ``ctx.obj``, a :class:`~zippifi.settings.Settings`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer
from pydantic import ValidationError
from typer.main import get_command

from zippifi.cli import demo, keystore
from zippifi.errors import InvalidInputError, ZippiError
from zippifi.log import configure_logging
from zippifi.settings import load_settings

PROG = "zippifi"
EXIT_RUNTIME = 1  # valid work that failed
EXIT_BAD_INPUT = 2  # arguments, settings, files or passwords that are wrong (Click's usage code)

app = typer.Typer(
    name=PROG,
    help="ZippiFi: an agent-driven on-chain trading and yield engine for EVM chains.",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,  # main() reports errors; never Typer's traceback hook
)


def _print_version(value: bool) -> None:
    if value:
        from zippifi import __version__

        typer.echo(f"{PROG} {__version__}")
        raise typer.Exit()


@app.callback()
def _startup(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    # Bad settings (an unknown chains.default, a malformed zippifi.toml) fail here, before any
    # command runs, rather than at first use.
    settings = load_settings()
    configure_logging(settings.log)
    ctx.obj = settings


demo.register(app)
keystore.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (``sys.argv[1:]`` when ``argv`` is None); return the exit code."""
    command = get_command(app)
    args = None if argv is None else list(argv)
    try:
        result = command.main(args=args, prog_name=PROG, standalone_mode=False)
    except typer.Abort:  # end of input at a prompt (Ctrl-C comes back as exit code 130)
        return _error("aborted", EXIT_RUNTIME)
    except typer.TyperException as exc:  # Click's usage errors: bad option, value, argument
        message = exc.format_message()
        context = getattr(exc, "ctx", None)
        if context is not None:
            message += f" (see '{context.command_path} --help')"
        return _error(message, exc.exit_code)
    except InvalidInputError as exc:
        return _error(str(exc), EXIT_BAD_INPUT)
    except ZippiError as exc:
        return _error(str(exc), EXIT_RUNTIME)
    except ValidationError as exc:
        return _error(_validation_message(exc), EXIT_BAD_INPUT)
    except OSError as exc:
        detail = exc.strerror or str(exc)
        return _error(f"{exc.filename}: {detail}" if exc.filename else detail, EXIT_RUNTIME)
    # Exit (--help, --version) comes back as its code; a finished command returns None
    return result if isinstance(result, int) else 0


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or exc.title}: {err['msg']}" for err in exc.errors()
    )


def _error(message: str, code: int) -> int:
    one_line = " ".join(message.split()) or "failed"
    print(f"{PROG}: error: {one_line}", file=sys.stderr)
    return code
