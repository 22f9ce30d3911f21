"""The `zippifi` command."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from zippifi import __version__
from zippifi.errors import InvalidInputError, ZippiError
from zippifi.log import configure_logging, get_logger
from zippifi.settings import load_settings


def _password(env_var: str | None, confirm: bool) -> str:
    if env_var:
        value = os.environ.get(env_var)
        if not value:
            raise InvalidInputError(f"--password-env: environment variable {env_var} is not set")
        return value
    first = getpass.getpass("keystore password: ")
    if confirm and getpass.getpass("repeat password: ") != first:
        raise InvalidInputError("passwords do not match")
    return first


def _cmd_demo(args: argparse.Namespace) -> None:
    from zippifi.demo import run_demo

    run_demo(n_sign=args.txs, n_chain=args.chain_txs)


def _cmd_keystore_new(args: argparse.Namespace) -> None:
    from zippifi.sign import write_keystore

    key = bytearray(os.urandom(32))
    try:
        path = write_keystore(args.path, key, _password(args.password_env, confirm=True))
        from zippifi.sign import Signer

        address = Signer(key).address
    finally:
        key[:] = bytes(32)
    get_logger("cli").info("keystore written", path=str(path), address=address)
    print(address)


def _cmd_keystore_address(args: argparse.Namespace) -> None:
    from zippifi.sign import Signer

    print(
        Signer.from_keystore(Path(args.path), _password(args.password_env, confirm=False)).address
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zippifi", description="ZippiFi trading engine")
    parser.add_argument("--version", action="version", version=f"zippifi {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the main job on embedded defaults")
    demo.add_argument(
        "--txs", type=int, default=2000, help="transactions in the signing comparison"
    )
    demo.add_argument(
        "--chain-txs", type=int, default=50, help="transfers sent to the embedded chain"
    )
    demo.set_defaults(func=_cmd_demo)

    ks = sub.add_parser("keystore", help="encrypted key files (v3 keystores)")
    ks_sub = ks.add_subparsers(dest="keystore_command", required=True)
    new = ks_sub.add_parser("new", help="generate a key and write it as a keystore")
    new.add_argument("path")
    new.add_argument("--password-env", help="read the password from this environment variable")
    new.set_defaults(func=_cmd_keystore_new)
    addr = ks_sub.add_parser("address", help="print a keystore's address (decrypts it)")
    addr.add_argument("path")
    addr.add_argument("--password-env")
    addr.set_defaults(func=_cmd_keystore_address)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log)
        args.func(args)
    except ZippiError as exc:
        print(f"zippifi: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
