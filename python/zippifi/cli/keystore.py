"""`zippifi keystore`: encrypted key files (v3 keystores)."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from zippifi.errors import InvalidInputError, KeystoreError
from zippifi.log import get_logger

PathArg = Annotated[Path, typer.Argument(metavar="PATH", help="The keystore file.")]
PasswordEnv = Annotated[
    str | None,
    typer.Option(
        "--password-env",
        metavar="VAR",
        help="Read the password from this environment variable instead of the terminal.",
    ),
]


def register(app: typer.Typer) -> None:
    keystore = typer.Typer(help="Encrypted key files (v3 keystores).")
    keystore.command("new")(new)
    keystore.command("address")(address)
    app.add_typer(keystore, name="keystore")


def new(path: PathArg, password_env: PasswordEnv = None) -> None:
    """Generate a key and write it as a keystore; print its address."""
    from zippifi.sign import Signer, write_keystore

    target = _directory_exists(path)
    if target.exists():  # before asking for a password; write_keystore checks again
        raise KeystoreError(f"keystore: {target} exists; not overwriting it")
    password = read_password(password_env, confirm=True)
    key = bytearray(os.urandom(32))
    try:
        written = write_keystore(target, key, password)
        address = Signer(key).address
    finally:
        key[:] = bytes(32)
    get_logger("cli").info("keystore written", path=str(written), address=address)
    typer.echo(address)


def address(path: PathArg, password_env: PasswordEnv = None) -> None:
    """Print a keystore's address (decrypts it)."""
    from zippifi.sign import Signer

    source = _directory_exists(path)
    if not source.is_file():
        raise KeystoreError(f"keystore: no file at {source}")
    typer.echo(Signer.from_keystore(source, read_password(password_env, confirm=False)).address)


def _directory_exists(path: Path) -> Path:
    path = path.expanduser()
    parent = path.parent
    if not parent.exists():
        raise KeystoreError(f"keystore: directory {parent} does not exist")
    if not parent.is_dir():
        raise KeystoreError(f"keystore: {parent} is not a directory")
    return path


def read_password(env_var: str | None, *, confirm: bool) -> str:
    """The password from ``env_var``, else from a prompt on the terminal (twice if ``confirm``)."""
    if env_var is not None:
        if not env_var:
            raise InvalidInputError("--password-env: give the name of an environment variable")
        value = os.environ.get(env_var)
        if value is None:
            raise InvalidInputError(f"--password-env: environment variable {env_var} is not set")
        if not value:
            raise InvalidInputError(f"--password-env: environment variable {env_var} is empty")
        return value
    if not sys.stdin.isatty():
        raise InvalidInputError(
            "no terminal to ask for the keystore password; "
            "pass --password-env VAR with the password in environment variable VAR"
        )
    first = getpass.getpass("keystore password: ")
    if not first:
        raise InvalidInputError("the password is empty")
    if confirm and getpass.getpass("repeat password: ") != first:
        raise InvalidInputError("passwords do not match")
    return first
