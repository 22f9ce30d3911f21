"""`zippifi demo`: the main job on embedded defaults."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    txs: Annotated[
        int, typer.Option("--txs", min=1, help="Transactions in the signing comparison.")
    ] = 2000,
    chain_txs: Annotated[
        int, typer.Option("--chain-txs", min=1, help="Transfers sent to the embedded chain.")
    ] = 50,
) -> None:
    """Run the main job on embedded defaults (signing, then transfers on the in-process EVM)."""
    from zippifi.demo import run_demo

    run_demo(n_sign=txs, n_chain=chain_txs)
