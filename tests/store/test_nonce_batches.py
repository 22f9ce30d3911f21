"""Nonces handed out and signed transactions recorded a batch at a time, on both engines:
``reserve_many`` against a model of the allocator, and the journal's batch record (the
transactions, the intents they serve and their nonces' marks) all or nothing, in a fixed
number of statements whatever the batch's size."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from zippifi.domain import SignedTx, UnsignedTx
from zippifi.sign import Signer
from zippifi.store import (
    ConflictError,
    NotFoundError,
    StaleFencingTokenError,
    Store,
)

from .conftest import run
from .factories import counting_statements, intent, seed

LONG = os.environ.get("ZIPPIFI_LONG_TESTS") == "1"
_accounts = itertools.count(1)
KEY = bytes.fromhex("4c" * 32)
VAULT = "0x" + "5a" * 20


@dataclass
class Allocator:
    """What reserve / release / mark / reconcile do to one account's nonces, in memory."""

    next_nonce: int = 0
    status: dict[int, str] = field(default_factory=dict)

    def reserve(self, count: int, floor: int) -> list[int]:
        free = sorted(n for n, s in self.status.items() if s == "released" and n >= floor)
        got = free[:count]
        start = max(self.next_nonce, floor)
        got += range(start, start + count - len(got))
        if len(got) > len(free[:count]):
            self.next_nonce = got[-1] + 1
        self.status.update(dict.fromkeys(got, "reserved"))
        return got

    def reconcile(self, chain_nonce: int) -> None:
        for n in self.status:
            if n < chain_nonce:
                self.status[n] = "confirmed"
        self.next_nonce = max(self.next_nonce, chain_nonce)

    def in_flight(self) -> list[tuple[int, str]]:
        return sorted((n, s) for n, s in self.status.items() if s in ("reserved", "submitted"))


RESERVE = st.tuples(st.just("reserve"), st.integers(0, 5),
                   st.one_of(st.none(), st.none(), st.integers(0, 12)))  # fmt: skip
RELEASE = st.tuples(st.just("release"), st.integers(0, 9))
OPS = st.lists(
    st.one_of(  # weighted by repeats: releases and reserves meet often, reconciles are rarer
        RESERVE,
        RESERVE,
        RELEASE,
        RELEASE,
        st.tuples(st.just("submit"), st.integers(0, 9)),
        st.tuples(st.just("reconcile"), st.integers(0, 12)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=500 if LONG else 60,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(ops=OPS)
@example(ops=[("reserve", 3, None), ("release", 0), ("release", 0), ("reserve", 1, None)])
def test_reserve_many_hands_out_what_the_model_does(store: Store, ops: list[Any]) -> None:
    account = "0x" + next(_accounts).to_bytes(20, "big").hex()
    model = Allocator()
    n = store.nonces

    async def example() -> None:
        for op in ops:
            if op[0] == "reserve":
                got = await n.reserve_many(1, account, op[1], fence=1, chain_nonce=op[2])
                assert got == model.reserve(op[1], op[2] or 0)
            elif op[0] == "reconcile":
                await n.reconcile(1, account, op[1], fence=1)
                model.reconcile(op[1])
            else:  # release or submit one of the reserved nonces, if any
                reserved = sorted(k for k, v in model.status.items() if v == "reserved")
                if not reserved:
                    continue
                nonce = reserved[op[1] % len(reserved)]
                if op[0] == "release":
                    await n.release(1, account, nonce, fence=1)
                    model.status[nonce] = "released"
                else:
                    marks = [(nonce, "0x" + nonce.to_bytes(32, "big").hex())]
                    await n.mark_submitted_many(1, account, marks, fence=1)
                    model.status[nonce] = "submitted"
            assert [(r.nonce, r.status) for r in await n.in_flight(1, account)] == model.in_flight()

    run(example())


@pytest.mark.parametrize("count", [1, 10])
async def test_reserve_many_is_four_statements(store: Store, count: int) -> None:
    await store.nonces.reserve_many(1, VAULT, 2, fence=1)
    await store.nonces.release(1, VAULT, 0, fence=1)
    with counting_statements(store) as sent:
        got = await store.nonces.reserve_many(1, VAULT, count, fence=1)
    assert got == [0, *range(2, count + 1)]  # the released one first
    # the fence (an upsert), the released ones, reusing them, the new ones, the next nonce
    assert sent == ["INSERT", "SELECT", "UPDATE", "INSERT", "UPDATE"][: 5 if count > 1 else 3]


def _signed(nonces: list[int], serves: list[tuple[int, ...]]) -> list[SignedTx]:
    signer = Signer(KEY)
    txs = [UnsignedTx(chain_id=1, nonce=n, to=VAULT, value=0, data=b"\x01" * 4, gas=100_000,
                      max_fee_per_gas=2 * 10**9, max_priority_fee_per_gas=10**9)
           for n in nonces]  # fmt: skip
    signed = signer.sign_transactions([t.signable() for t in txs])
    return [SignedTx(t, signer.address, s.hash, s.raw_transaction, intent_ids=ids)
            for t, s, ids in zip(txs, signed, serves, strict=True)]  # fmt: skip


async def test_a_batch_is_recorded_with_its_links_and_marks_once(store: Store) -> None:
    s = await seed(store)
    a, b, c = [await intent(store, s, key) for key in ("a", "b", "c")]
    sender = Signer(KEY).address
    nonces = await store.nonces.reserve_many(1, sender, 3, fence=2)
    batch = _signed(nonces, [(a.id, b.id), (c.id,), ()])
    with counting_statements(store) as sent:
        stored = await store.journal.record(batch, fence=2)
    # the fence, the nonces read and marked, the transactions, the links
    assert sent == ["INSERT", "SELECT", "UPDATE", "INSERT", "INSERT"]
    assert [(t.nonce, t.tx_hash, t.status, t.intent_id) for t in stored] == [
        (n, x.hash_hex, "signed", x.intent_id) for n, x in zip(nonces, batch, strict=True)
    ]
    assert [await store.transactions.intents_of(t.id) for t in stored] == [
        (a.id, b.id),
        (c.id,),
        (),
    ]
    assert [t.id for t in await store.transactions.for_intent(b.id)] == [stored[0].id]
    assert [(r.nonce, r.status, r.tx_hash) for r in await store.nonces.in_flight(1, sender)] == [
        (x.nonce, "submitted", x.hash_hex) for x in batch
    ]
    again = await store.journal.record(batch, fence=2)  # a retry: the stored rows, no new links
    assert again == stored
    assert await store.transactions.intents_of(stored[0].id) == (a.id, b.id)


async def test_a_batch_that_fails_records_nothing(store: Store) -> None:
    s = await seed(store)
    it = await intent(store, s)
    sender = Signer(KEY).address
    nonces = await store.nonces.reserve_many(1, sender, 2, fence=3)
    assert await store.nonces.reserve(1, sender, fence=4) == 2  # a newer holder of the lock
    bad: list[tuple[list[SignedTx], type[Exception], str, int]] = [
        (_signed([*nonces, 99], [(it.id,), (), ()]), NotFoundError, "never reserved", 4),
        (_signed(nonces, [(it.id,), ()]), StaleFencingTokenError, "token 3 is older", 3),
    ]
    for batch, error, message, fence in bad:
        with pytest.raises(error, match=message):
            await store.journal.record(batch, fence=fence)
        assert [await store.journal.get(1, x.hash_hex) for x in batch] == [None] * len(batch)
    # a hash already stored with another nonce: the batch's other transaction is not kept
    (taken,) = _signed([nonces[0]], [()])
    await store.transactions.record(taken)
    (other,) = _signed([nonces[1]], [(it.id,)])
    clash = SignedTx(UnsignedTx(chain_id=1, nonce=2, to=VAULT, value=0, data=b"", gas=21_000,
                                gas_price=1), sender, taken.tx_hash, taken.raw)  # fmt: skip
    with pytest.raises(ConflictError, match="another sender/nonce"):
        await store.transactions.record_many([other, clash])
    assert await store.journal.get(1, other.hash_hex) is None
    assert await store.transactions.for_intent(it.id) == []
    assert [(r.nonce, r.status) for r in await store.nonces.in_flight(1, sender)] == [
        (0, "reserved"), (1, "reserved"), (2, "reserved"),
    ]  # fmt: skip
