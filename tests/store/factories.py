"""Small builders shared by the repository tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from zippifi.domain import IntentProposal
from zippifi.store import Account, Store, Strategy, TradeIntent
from zippifi.store.repositories import Repositories

ACCOUNT = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55 checksummed
WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
POOL = "0xB4e16d0168e52d35CaCD2c6185b44281Ec28C9Dc"
BIG = 2**255 + 1
MAX = 2**256 - 1
DEADLINE = datetime(2030, 1, 1, tzinfo=UTC)


def tx_hash(n: int) -> str:
    return "0x" + n.to_bytes(32, "big").hex()


@dataclass
class Seed:
    strategy: Strategy
    account: Account


async def seed(repos: Repositories, name: str = "s1") -> Seed:
    strategy = await repos.strategies.create(name, "twap", {"pair": "WETH/USDC", "cap": MAX})
    account = await repos.accounts.add(1, ACCOUNT, label="hot", strategy_id=strategy.id)
    return Seed(strategy, account)


def proposal(s: Seed, key: str = "k1", amount: int = BIG, **fields: object) -> IntentProposal:
    values: dict[str, object] = {
        "idempotency_key": key, "proposer": f"strategy:{s.strategy.id}",
        "strategy_id": s.strategy.id, "account_id": s.account.id, "chain_id": 1,
        "token_in": WETH, "token_out": USDC, "amount": amount, "slippage_bps": 30,
        "deadline": DEADLINE, "reason": "rebalance", "params": {"note": "test"},
    }  # fmt: skip
    values.update(fields)
    return IntentProposal(**values)  # type: ignore[arg-type]


async def intent(
    repos: Repositories, s: Seed, key: str = "k1", amount_in: int = BIG,
    min_out: int | None = None,
) -> TradeIntent:  # fmt: skip
    """A stored exact-input intent; with ``min_out``, approved and routed to that minimum."""
    created, _ = await repos.intents.create(proposal(s, key, amount_in))
    if min_out is None:
        return created
    await repos.intents.transition(created.id, "approved", cause="test")
    return await repos.intents.transition(created.id, "routed", min_amount_out=min_out)


@contextmanager
def counting_statements(store: Store) -> Iterator[list[str]]:
    """The first word of each statement sent meanwhile (an executemany is one), SQLite's
    ``BEGIN`` left out (PostgreSQL's driver begins without a statement)."""
    sent: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        word = statement.split(None, 1)[0].upper()
        if word != "BEGIN":
            sent.append(word)

    event.listen(store.engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        yield sent
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", on_execute)
