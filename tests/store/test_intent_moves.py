"""``transition_many`` against the one-at-a-time ``transition``, on both engines.

The reference is ``transition`` called once per move inside one ``store.transaction()``: random
sequences of legal and illegal moves (unknown intents, wrong ``expect``, amounts where none may
be set or out of range) must end in the same intents, the same events and the same error.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from zippifi.domain import INTENT_STATUSES, INTENT_TRANSITIONS
from zippifi.errors import ZippiError
from zippifi.store import IntentMove, InvalidTransitionError, NotFoundError, Store, TradeIntent

from .conftest import run
from .factories import Seed, counting_statements, proposal, seed

LONG = os.environ.get("ZIPPIFI_LONG_TESTS") == "1"
N_INTENTS = 3  # per side; index N_INTENTS stands for an intent that does not exist
UNKNOWN_ID = 10**9
_keys = itertools.count()

STATUSES = st.sampled_from(INTENT_STATUSES)
AMOUNTS = st.one_of(st.none(), st.integers(0, 2**256 - 1), st.sampled_from([-1, 2**256]))
CAUSES = st.sampled_from([None, "risk", "via 0xpool", ""])


@dataclass(frozen=True)
class Move:
    index: int  # which intent of a side
    status: Any  # any of INTENT_STATUSES
    cause: str | None
    amount_in: int | None
    min_amount_out: int | None
    expect: Any

    def on(self, ids: list[int]) -> IntentMove:
        intent_id = ids[self.index] if self.index < N_INTENTS else UNKNOWN_ID
        return IntentMove(intent_id, self.status, self.cause, self.amount_in,
                          self.min_amount_out, self.expect)  # fmt: skip


def draw_moves(data: st.DataObject, statuses: list[str]) -> list[Move]:
    """Mostly legal moves from where the intents are (so they travel far), some not."""
    model = list(statuses)
    moves = []
    for _ in range(data.draw(st.integers(1, 6), label="moves")):
        k = data.draw(st.integers(0, N_INTENTS))
        current = model[k] if k < N_INTENTS else None
        legal = sorted(INTENT_TRANSITIONS.get(current or "", ()))
        if legal and data.draw(st.integers(0, 4)):
            status = data.draw(st.sampled_from(legal))
        else:
            status = data.draw(STATUSES)
        sets_amounts = status in ("resized", "routed") or data.draw(st.integers(0, 9)) == 0
        amount_in, min_out = (
            (data.draw(AMOUNTS), data.draw(AMOUNTS)) if sets_amounts else (None, None)
        )
        expect = data.draw(st.one_of(st.none(), st.just(current), STATUSES))
        moves.append(Move(k, status, data.draw(CAUSES), amount_in, min_out, expect))
        if current is not None and status in legal:
            model[k] = status
    return moves


async def _one_at_a_time(
    store: Store, moves: list[IntentMove]
) -> tuple[type[ZippiError] | None, dict[int, TradeIntent]]:
    last: dict[int, TradeIntent] = {}
    try:
        async with store.transaction() as tx:
            for m in moves:
                last[m.intent_id] = await tx.intents.transition(
                    m.intent_id, m.status, cause=m.cause, amount_in=m.amount_in,
                    min_amount_out=m.min_amount_out, expect=m.expect,
                )  # fmt: skip
    except ZippiError as exc:
        return type(exc), {}
    return None, last


async def _many(
    store: Store, moves: list[IntentMove]
) -> tuple[type[ZippiError] | None, list[TradeIntent]]:
    try:
        return None, await store.intents.transition_many(moves)
    except ZippiError as exc:
        return type(exc), []


def _state(i: TradeIntent) -> tuple[Any, ...]:
    return (i.status, i.status_cause, i.amount_in, i.min_amount_out)


async def _snapshot(store: Store, ids: list[int]) -> list[tuple[Any, ...]]:
    out = []
    for intent_id in ids:
        intent = await store.intents.get(intent_id)
        events = await store.intents.events(intent_id)
        if len(events) > 1:  # the last change and its event carry one time
            assert events[-1].at == intent.updated_at
        out.append((_state(intent), [(e.from_status, e.to_status, e.cause) for e in events]))
    return out


async def _sides(store: Store, s: Seed) -> tuple[list[int], list[int]]:
    ids = []
    for _ in range(2 * N_INTENTS):
        created, _ = await store.intents.create(proposal(s, f"moves-{next(_keys)}"))
        ids.append(created.id)
    return ids[:N_INTENTS], ids[N_INTENTS:]


@pytest.fixture
def seeded(store: Store) -> Seed:
    return run(seed(store))


# Each example writes to the database, so shrinking a failure takes minutes: a normal run
# reports the failing example as drawn, ZIPPIFI_LONG_TESTS=1 shrinks it.
@settings(max_examples=500 if LONG else 40,
          phases=tuple(Phase) if LONG else tuple(p for p in Phase if p != Phase.shrink),
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.data())
def test_transition_many_matches_one_at_a_time(store: Store, seeded: Seed, data: Any) -> None:
    async def example() -> None:
        reference, bulk = await _sides(store, seeded)
        statuses = ["proposed"] * N_INTENTS
        for _ in range(data.draw(st.integers(1, 4), label="batches")):
            moves = draw_moves(data, statuses)
            ref_error, ref_last = await _one_at_a_time(store, [m.on(reference) for m in moves])
            error, result = await _many(store, [m.on(bulk) for m in moves])
            assert error == ref_error
            before = await _snapshot(store, reference)
            assert await _snapshot(store, bulk) == before
            if error is None:  # the intents as they ended, in order of first appearance
                order = list(dict.fromkeys(m.index for m in moves))
                assert [_state(i) for i in result] == [
                    _state(ref_last[reference[k]]) for k in order
                ]
                assert result == [await store.intents.get(bulk[k]) for k in order]
            statuses = [state[0] for state, _ in before]

    run(example())


async def test_a_refused_move_writes_nothing(store: Store) -> None:
    s = await seed(store)
    a, _ = await store.intents.create(proposal(s, "a"))
    b, _ = await store.intents.create(proposal(s, "b"))
    legal = [IntentMove(a.id, "approved", "ok"), IntentMove(b.id, "resized", "cap", amount_in=7)]
    for bad, error in [
        (IntentMove(a.id, "signed"), "'approved' to 'signed'"),
        (IntentMove(b.id, "routed", expect="approved"), "expected 'approved', found 'resized'"),
        (IntentMove(UNKNOWN_ID, "approved"), f"no trade intent with id {UNKNOWN_ID}"),
    ]:
        kind = NotFoundError if bad.intent_id == UNKNOWN_ID else InvalidTransitionError
        with pytest.raises(kind, match=error):
            await store.intents.transition_many([*legal, bad])
    for it in (a, b):
        assert await store.intents.get(it.id) == it
        assert [e.to_status for e in await store.intents.events(it.id)] == ["proposed"]
    assert await store.intents.transition_many([]) == []


@pytest.mark.parametrize("size", [1, 20])
async def test_transition_many_is_three_statements(store: Store, size: int) -> None:
    s = await seed(store)
    ids = [(await store.intents.create(proposal(s, f"n{k}")))[0].id for k in range(size)]
    with counting_statements(store) as sent:
        await store.intents.transition_many([IntentMove(i, "approved") for i in ids])
        await store.intents.transition_many([IntentMove(i, "routed", "via", 5, 6) for i in ids])
    assert sent == ["SELECT", "UPDATE", "INSERT"] * 2


async def _waiting_for_a_lock(store: Store) -> None:
    """Until another session of this database waits for a row lock (PostgreSQL)."""
    query = text("SELECT count(*) FROM pg_stat_activity "
                 "WHERE datname = current_database() AND wait_event_type = 'Lock'")  # fmt: skip
    for _ in range(500):
        async with store.engine.connect() as conn:
            if (await conn.execute(query)).scalar():
                return
        await asyncio.sleep(0.01)
    raise AssertionError("transition_many never waited for the other writer's row lock")


async def test_a_concurrent_move_is_never_overwritten(store: Store) -> None:
    """Another writer moves B while transition_many moves A and B: it raises, A stays put.
    PostgreSQL: it read B before the other commit, so its compare-and-set finds B moved.
    SQLite: writers queue (BEGIN IMMEDIATE), so it reads B already moved."""
    s = await seed(store)
    a, _ = await store.intents.create(proposal(s, "a"))
    b, _ = await store.intents.create(proposal(s, "b"))
    async with store.transaction() as other:
        await other.intents.transition(b.id, "rejected", cause="the other writer")
        moves = [IntentMove(a.id, "approved"), IntentMove(b.id, "approved")]
        racing = asyncio.ensure_future(store.intents.transition_many(moves))
        if store.dialect == "postgresql":
            await _waiting_for_a_lock(store)
        else:
            await asyncio.sleep(0.2)
        assert not racing.done()
    concurrently = "changed status concurrently" if store.dialect == "postgresql" else "'rejected'"
    with pytest.raises(InvalidTransitionError, match=concurrently):
        await racing
    assert await store.intents.get(a.id) == a
    assert [(e.to_status, e.cause) for e in await store.intents.events(b.id)] == [
        ("proposed", "proposed"), ("rejected", "the other writer"),
    ]  # fmt: skip
