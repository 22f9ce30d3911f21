"""Nonces under fencing tokens, and log-follower cursors, on both engines."""

from __future__ import annotations

import asyncio

import pytest

from zippifi.errors import InvalidInputError
from zippifi.store import (
    InvalidTransitionError,
    NotFoundError,
    ReorgDetectedError,
    StaleFencingTokenError,
    Store,
)

from .factories import ACCOUNT, tx_hash


async def test_reserve_release_submit(store: Store) -> None:
    n = store.nonces
    assert [await n.reserve(1, ACCOUNT, fence=1) for _ in range(3)] == [0, 1, 2]
    released = await n.release(1, ACCOUNT, 1, fence=1)
    assert released.status == "released"
    assert await n.reserve(1, ACCOUNT, fence=1) == 1  # a released nonce is used first
    assert await n.reserve(1, ACCOUNT, fence=1) == 3
    sub = await n.mark_submitted(1, ACCOUNT, 0, tx_hash(1), fence=1)
    assert (sub.status, sub.tx_hash) == ("submitted", tx_hash(1))
    # a replacement transaction for the same nonce
    assert (await n.mark_submitted(1, ACCOUNT, 0, tx_hash(2), fence=1)).tx_hash == tx_hash(2)
    with pytest.raises(InvalidTransitionError, match="'submitted' to 'released'"):
        await n.release(1, ACCOUNT, 0, fence=1)
    with pytest.raises(NotFoundError):
        await n.mark_submitted(1, ACCOUNT, 99, tx_hash(3), fence=1)
    assert [(r.nonce, r.status) for r in await n.in_flight(1, ACCOUNT)] == [
        (0, "submitted"), (1, "reserved"), (2, "reserved"), (3, "reserved"),
    ]  # fmt: skip
    assert await n.in_flight(5, ACCOUNT) == []  # chains are separate
    assert await n.reserve(5, ACCOUNT, fence=1) == 0


async def test_reserve_never_goes_below_the_chain(store: Store) -> None:
    assert await store.nonces.reserve(1, ACCOUNT, fence=1, chain_nonce=40) == 40
    assert await store.nonces.reserve(1, ACCOUNT, fence=1) == 41


async def test_reconcile_with_the_chain(store: Store) -> None:
    n = store.nonces
    for _ in range(5):
        await n.reserve(1, ACCOUNT, fence=3)
    await n.mark_submitted(1, ACCOUNT, 0, tx_hash(10), fence=3)
    await n.mark_submitted(1, ACCOUNT, 1, tx_hash(11), fence=3)
    await n.mark_submitted(1, ACCOUNT, 3, tx_hash(13), fence=3)
    await n.release(1, ACCOUNT, 4, fence=3)
    report = await n.reconcile(1, ACCOUNT, 2, fence=3)  # the chain has mined nonces 0 and 1
    assert report.confirmed == [0, 1]
    assert [(r.nonce, r.status) for r in report.in_flight] == [(2, "reserved"), (3, "submitted")]
    assert report.gaps == [4]  # released: nothing holds it
    assert report.next_nonce == 5
    assert (await n.get(1, ACCOUNT, 0)).status == "confirmed"  # type: ignore[union-attr]
    jump = await n.reconcile(1, ACCOUNT, 9, fence=3)  # another wallet sent from this key
    assert jump.confirmed == [2, 3, 4]
    assert jump.next_nonce == 9
    assert jump.gaps == []
    assert await n.reserve(1, ACCOUNT, fence=3) == 9


async def test_stale_fencing_tokens_are_rejected(store: Store) -> None:
    n = store.nonces
    assert await n.fence_token(1, ACCOUNT) == 0
    assert await n.reserve(1, ACCOUNT, fence=5) == 0
    assert await n.reserve(1, ACCOUNT, fence=6) == 1  # a newer holder
    assert await n.fence_token(1, ACCOUNT) == 6
    writes = [
        n.reserve(1, ACCOUNT, fence=5),
        n.mark_submitted(1, ACCOUNT, 0, tx_hash(1), fence=5),
        n.release(1, ACCOUNT, 0, fence=5),
        n.reconcile(1, ACCOUNT, 1, fence=5),
    ]
    for write in writes:
        with pytest.raises(StaleFencingTokenError, match="token 5 is older than 6"):
            await write
    # nothing the stale holder tried is visible
    assert [(r.nonce, r.status) for r in await n.in_flight(1, ACCOUNT)] == [
        (0, "reserved"), (1, "reserved"),
    ]  # fmt: skip
    with pytest.raises(InvalidInputError, match="fencing token"):
        await n.reserve(1, ACCOUNT, fence=0)


async def test_concurrent_reservations_get_distinct_nonces(store: Store) -> None:
    got = await asyncio.gather(*(store.nonces.reserve(1, ACCOUNT, fence=1) for _ in range(12)))
    assert sorted(got) == list(range(12))


async def test_cursor_advance_and_rewind(store: Store) -> None:
    c = store.cursors
    assert await c.get(1, "pools") is None
    for b in range(100, 110):
        await c.advance(1, "pools", b, tx_hash(b), parent_hash=tx_hash(b - 1))
    cur = await c.get(1, "pools")
    assert cur is not None
    assert (cur.block_number, cur.block_hash) == (109, tx_hash(109))
    assert await c.get(1, "other") is None
    assert await c.get(2, "pools") is None
    with pytest.raises(InvalidInputError, match="cannot advance"):
        await c.advance(1, "pools", 109, tx_hash(109))
    # block 110 claims a parent we did not see: a reorg
    with pytest.raises(ReorgDetectedError, match="block 110"):
        await c.advance(1, "pools", 110, tx_hash(110), parent_hash=tx_hash(5000))
    recent = await c.recent(1, "pools", limit=3)
    assert [r.block_number for r in recent] == [109, 108, 107]
    assert recent[0].parent_hash == tx_hash(108)
    back = await c.rewind(1, "pools", 105)
    assert back is not None
    assert (back.block_number, back.block_hash) == (105, tx_hash(105))
    assert (await c.get(1, "pools")) is not None
    await c.advance(1, "pools", 106, tx_hash(7106), parent_hash=tx_hash(105))  # the new branch
    assert [r.block_hash for r in await c.recent(1, "pools", limit=2)] == [
        tx_hash(7106), tx_hash(105),
    ]  # fmt: skip
    assert await c.rewind(1, "pools", 50) is None  # deeper than remembered: start over
    assert await c.get(1, "pools") is None


async def test_cursor_history_is_pruned(store: Store) -> None:
    for b in range(1, 21):
        await store.cursors.advance(1, "f", b, tx_hash(b), keep=5)
    assert [r.block_number for r in await store.cursors.recent(1, "f")] == [20, 19, 18, 17, 16]
