"""Writes that belong together are one transaction: a failure anywhere leaves nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from zippifi.store import (
    ConflictError,
    LedgerImbalanceError,
    OrderLeg,
    Posting,
    Store,
    Tick,
    UnitOfWork,
)

from .factories import USDC, WETH, intent, seed


class BoomError(Exception):
    pass


async def _in_transaction(store: Store, work: Callable[[UnitOfWork], Awaitable[None]]) -> None:
    async with store.transaction() as tx:
        await work(tx)


async def test_exception_mid_unit_of_work_rolls_everything_back(store: Store) -> None:
    s = await seed(store)

    async def work(tx: UnitOfWork) -> None:
        it = await intent(tx, s, key="atomic")
        await tx.orders.add(it.id, [OrderLeg("v2", WETH, USDC, 1, 1)])
        await tx.audit.append("trading", actor="agent", action="intent", subject=str(it.id))
        await tx.ledger.post("j", [Posting("a", "X", 1), Posting("b", "X", -1)])
        assert await tx.intents.by_key("atomic") is not None  # visible inside
        raise BoomError

    with pytest.raises(BoomError):
        await _in_transaction(store, work)
    assert await store.intents.by_key("atomic") is None
    assert await store.audit.count("trading") == 0
    assert await store.ledger.journal("j") == []


async def test_database_error_mid_unit_of_work_rolls_back_earlier_writes(store: Store) -> None:
    s = await seed(store)

    async def work(tx: UnitOfWork) -> None:
        await intent(tx, s, key="first")
        await tx.strategies.create("s1", "dup", {})  # unique name violated

    with pytest.raises(ConflictError):
        await _in_transaction(store, work)
    assert await store.intents.by_key("first") is None
    assert len(await store.strategies.search()) == 1


async def test_a_journal_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(LedgerImbalanceError, match=r"X: \+1"):
        await store.ledger.post("j", [Posting("a", "X", 2), Posting("b", "X", -1)])
    # the database refuses the last line (unknown fill): the first lines vanish with it
    with pytest.raises(ConflictError):
        await store.ledger.post("j", [Posting("a", "X", 2), Posting("b", "X", -2)], fill_id=424242)
    assert await store.ledger.journal("j") == []
    assert await store.ledger.balances("a") == {}


async def test_bulk_ticks_roll_back_with_their_transaction(store: Store) -> None:
    """COPY on PostgreSQL runs inside the transaction (not autocommitted beside it), also when
    it is the transaction's first statement (partition already known)."""
    t0 = datetime(2024, 3, 1, tzinfo=UTC)
    batch = [Tick(t0, "s", "P", Decimal(i)) for i in range(1000)]
    for _ in range(2):  # the second batch finds the partition and remembers it
        await store.market.insert_ticks(batch[:10])

    async def work(tx: UnitOfWork) -> None:
        assert await tx.market.insert_ticks(batch) == 1000
        raise BoomError

    with pytest.raises(BoomError):
        await _in_transaction(store, work)
    assert len(await store.market.ticks("P", t0, datetime(2024, 4, 1, tzinfo=UTC))) == 20


async def test_a_partition_made_in_a_rolled_back_transaction_is_made_again(store: Store) -> None:
    t0 = datetime(2031, 6, 1, tzinfo=UTC)
    batch = [Tick(t0, "s", "Q", Decimal(i)) for i in range(10)]

    async def work(tx: UnitOfWork) -> None:
        await tx.market.insert_ticks(batch)  # creates the June 2031 partition
        await tx.market.insert_ticks(batch)  # finds it (and would remember it)
        raise BoomError

    with pytest.raises(BoomError):
        await _in_transaction(store, work)
    assert await store.market.latest_tick("Q") is None
    assert await store.market.insert_ticks(batch) == 10
    assert len(await store.market.ticks("Q", t0, datetime(2031, 7, 1, tzinfo=UTC))) == 10
