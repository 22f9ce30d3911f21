"""Strategies, accounts, intents, orders, transactions and fills on both engines."""

from __future__ import annotations

import itertools
from dataclasses import replace
from fractions import Fraction

import pytest

from zippifi.domain import FillReport
from zippifi.errors import InvalidInputError
from zippifi.store import (
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    OrderLeg,
    Store,
    open_store,
)

from .factories import (
    ACCOUNT,
    BIG,
    DEADLINE,
    MAX,
    POOL,
    USDC,
    WETH,
    intent,
    proposal,
    seed,
    tx_hash,
)


async def test_strategies_and_accounts(store: Store) -> None:
    s = await seed(store)
    assert s.strategy.config == {"pair": "WETH/USDC", "cap": MAX}  # big ints survive JSON
    assert await store.strategies.get(s.strategy.id) == s.strategy
    assert await store.strategies.by_name("s1") == s.strategy
    paused = await store.strategies.update(s.strategy.id, status="paused", config={"x": 1})
    assert (paused.status, paused.config) == ("paused", {"x": 1})
    assert await store.strategies.search(status="active") == []
    with pytest.raises(ConflictError):
        await store.strategies.create("s1", "twap", {})
    with pytest.raises(NotFoundError):
        await store.strategies.get(10**9)

    # status changes follow STRATEGY_TRANSITIONS: the same status again is a no-op, retired is final
    again = await store.strategies.update(s.strategy.id, status="paused")
    assert (again.status, again.config) == ("paused", {"x": 1})
    retired = await store.strategies.update(s.strategy.id, status="retired")
    assert retired.status == "retired"
    with pytest.raises(InvalidTransitionError, match="cannot go from 'retired' to 'active'"):
        await store.strategies.update(s.strategy.id, status="active", config={"y": 2})
    assert (await store.strategies.get(s.strategy.id)).config == {"x": 1}  # nothing changed
    with pytest.raises(NotFoundError):
        await store.strategies.update(10**9, status="paused")

    assert s.account.address == ACCOUNT.lower()
    assert await store.accounts.find(1, ACCOUNT) == s.account
    assert await store.accounts.find(2, ACCOUNT) is None
    assert await store.accounts.search(strategy_id=s.strategy.id) == [s.account]
    with pytest.raises(ConflictError):
        await store.accounts.add(1, ACCOUNT.lower())
    with pytest.raises(ConflictError):  # foreign key, on SQLite too
        await store.accounts.add(5, ACCOUNT, strategy_id=12345)
    with pytest.raises(InvalidInputError, match="address"):
        await store.accounts.add(1, "0x1234")


async def test_intent_is_idempotent_by_key(store: Store) -> None:
    s = await seed(store)
    first = await intent(store, s)
    assert first.status == "proposed"
    assert (first.kind, first.amount, first.amount_in, first.min_amount_out) == (
        "exact_in", BIG, BIG, 0,
    )  # fmt: skip
    assert (first.proposer, first.slippage_bps, first.urgency) == (
        f"strategy:{s.strategy.id}", 30, "normal",
    )  # fmt: skip
    assert (first.deadline, first.reason, first.params) == (DEADLINE, "rebalance", {"note": "test"})
    again, created = await store.intents.create(proposal(s, "k1", BIG, token_in=WETH.lower()))
    assert (again, created) == (first, False)
    with pytest.raises(ConflictError, match="amount"):
        await intent(store, s, amount_in=5)
    with pytest.raises(ConflictError, match="slippage_bps"):
        await store.intents.create(proposal(s, "k1", BIG, slippage_bps=31))
    assert len(await store.intents.search()) == 1
    assert await store.intents.by_key("k1") == first
    assert await store.intents.by_key("nope") is None
    out, _ = await store.intents.create(proposal(s, "k2", 7, kind="exact_out", strategy_id=None,
                                                 proposer="agent:alpha"))  # fmt: skip
    assert (out.kind, out.amount, out.amount_in, out.strategy_id) == ("exact_out", 7, 0, None)
    assert [i.id for i in await store.intents.search(proposer="agent:alpha")] == [out.id]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"slippage_bps": 10_001}, "slippage_bps"),
        ({"slippage_bps": -1}, "slippage_bps"),
        ({"kind": "exact"}, "kind"),
        ({"urgency": "now"}, "urgency"),
        ({"proposer": ""}, "proposer"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"amount": 2**256}, "amount"),
        ({"token_in": "0x12"}, "token_in"),
    ],
)
async def test_bad_proposals_store_nothing(
    store: Store, fields: dict[str, object], message: str
) -> None:
    s = await seed(store)
    with pytest.raises(InvalidInputError, match=message):
        await store.intents.create(proposal(s, **fields))  # type: ignore[arg-type]
    assert await store.intents.search() == []


async def test_intent_transitions_are_checked_and_logged(store: Store) -> None:
    s = await seed(store)
    it = await intent(store, s)
    with pytest.raises(InvalidTransitionError, match="'proposed' to 'confirmed'"):
        await store.intents.transition(it.id, "confirmed")
    with pytest.raises(InvalidInputError, match="resize or a route"):
        await store.intents.transition(it.id, "rejected", amount_in=1)
    resized = await store.intents.transition(it.id, "resized", cause="per-trade cap",
                                             amount_in=10**18)  # fmt: skip
    assert (resized.status, resized.amount_in, resized.status_cause) == (
        "resized", 10**18, "per-trade cap",
    )  # fmt: skip
    assert resized.updated_at >= it.updated_at
    with pytest.raises(InvalidTransitionError, match="expected 'approved'"):
        await store.intents.transition(it.id, "routed", expect="approved")
    routed = await store.intents.transition(it.id, "routed", min_amount_out=5, expect="resized")
    assert routed.min_amount_out == 5
    assert [i.id for i in await store.intents.in_flight(chain_id=1)] == [it.id]
    for status in ("signed", "submitted", "confirmed", "submitted", "confirmed", "settled"):
        done = await store.intents.transition(it.id, status, cause=f"to {status}")  # type: ignore[arg-type]
    assert done.status == "settled"
    assert await store.intents.in_flight() == []
    with pytest.raises(InvalidTransitionError):
        await store.intents.transition(it.id, "cancelled")
    with pytest.raises(NotFoundError):
        await store.intents.transition(10**9, "approved")
    events = await store.intents.events(it.id)
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "proposed"), ("proposed", "resized"), ("resized", "routed"), ("routed", "signed"),
        ("signed", "submitted"), ("submitted", "confirmed"), ("confirmed", "submitted"),
        ("submitted", "confirmed"), ("confirmed", "settled"),
    ]  # fmt: skip
    assert events[1].cause == "per-trade cap"
    assert all(a.at <= b.at for a, b in itertools.pairwise(events))


async def test_orders(store: Store) -> None:
    s = await seed(store)
    it = await intent(store, s)
    legs = [
        OrderLeg("uniswap_v2", WETH, USDC, BIG, 1, pool=POOL),
        OrderLeg("uniswap_v3", WETH, USDC, 2, MAX),
    ]
    orders = await store.orders.add(it.id, legs)
    assert [(o.leg, o.venue, o.amount_in, o.min_amount_out) for o in orders] == [
        (0, "uniswap_v2", BIG, 1),
        (1, "uniswap_v3", 2, MAX),
    ]
    assert orders[0].pool == POOL.lower()
    assert orders[1].pool is None
    assert await store.orders.for_intent(it.id) == orders
    with pytest.raises(ConflictError):  # legs are unique per intent
        await store.orders.add(it.id, legs[:1])
    submitted = await store.orders.transition(orders[0].id, "submitted")
    assert submitted.status == "submitted"
    with pytest.raises(InvalidTransitionError):
        await store.orders.transition(orders[0].id, "pending")
    with pytest.raises(ConflictError):  # the intent must exist
        await store.orders.add(10**9, legs)


async def test_a_batch_transaction_serves_its_intents_in_swap_order(store: Store) -> None:
    """A swapBatch transaction links every intent it carries, in order; each finds it, and the
    row's intent_id is the first. A contradictory or repeated link is refused, nothing stored."""
    s = await seed(store)
    a, b, c = [await intent(store, s, key=f"batch-{n}") for n in range(3)]
    sender = s.account.address
    with pytest.raises(InvalidInputError, match="not the batch's first intent"):
        await store.transactions.record_signed(chain_id=1, sender=sender, nonce=1,
                                               tx_hash=tx_hash(7), intent_id=a.id,
                                               intent_ids=(b.id, a.id))  # fmt: skip
    with pytest.raises(InvalidInputError, match="repeats"):
        await store.transactions.record_signed(
            chain_id=1, sender=sender, nonce=1, tx_hash=tx_hash(7), intent_ids=(b.id, b.id)
        )
    assert await store.transactions.by_hash(1, tx_hash(7)) is None
    tx, _ = await store.transactions.record_signed(chain_id=1, sender=sender, nonce=1,
                                                   tx_hash=tx_hash(7),
                                                   intent_ids=(c.id, a.id, b.id))  # fmt: skip
    assert tx.intent_id == c.id
    assert await store.transactions.intents_of(tx.id) == (c.id, a.id, b.id)
    for it in (a, b, c):
        assert [t.id for t in await store.transactions.for_intent(it.id)] == [tx.id]
    # recording the same hash again links nothing twice
    await store.transactions.record_signed(chain_id=1, sender=sender, nonce=1, tx_hash=tx_hash(7),
                                           intent_ids=(c.id, a.id, b.id))  # fmt: skip
    assert await store.transactions.intents_of(tx.id) == (c.id, a.id, b.id)


async def test_transactions_keys_and_replacement(store: Store) -> None:
    s = await seed(store)
    it = await intent(store, s)
    sender = s.account.address
    tx, created = await store.transactions.record_signed(
        chain_id=1, sender=sender, nonce=7, tx_hash=tx_hash(1), raw_tx=b"\x02\xf8", intent_id=it.id
    )
    assert created
    assert tx.status == "signed"
    assert tx.raw_tx == "0x02f8"
    same, created = await store.transactions.record_signed(
        chain_id=1, sender=sender, nonce=7, tx_hash=tx_hash(1).upper().replace("0X", "0x")
    )
    assert (same.id, created) == (tx.id, False)
    # one live transaction per (chain, sender, nonce)
    with pytest.raises(ConflictError):
        await store.transactions.record_signed(
            chain_id=1, sender=sender, nonce=7, tx_hash=tx_hash(2)
        )
    # the same nonce on another chain is another key
    await store.transactions.record_signed(chain_id=10, sender=sender, nonce=7, tx_hash=tx_hash(2))
    await store.transactions.mark_submitted(1, tx.tx_hash)
    await store.transactions.mark_replaced(1, tx.tx_hash)
    bump, _ = await store.transactions.record_signed(
        chain_id=1, sender=sender, nonce=7, tx_hash=tx_hash(3), intent_id=it.id
    )
    assert [t.tx_hash for t in await store.transactions.by_nonce(1, sender, 7)] == [
        tx_hash(1),
        tx_hash(3),
    ]
    assert [t.id for t in await store.transactions.in_flight(1)] == [bump.id]
    mined = await store.transactions.mark_mined(
        1, bump.tx_hash, success=False, block_number=10, block_hash=tx_hash(10),
        gas_used=50_000, effective_gas_price=3 * 10**9,
    )  # fmt: skip
    assert (mined.status, mined.block_number, mined.gas_used) == ("reverted", 10, 50_000)
    with pytest.raises(InvalidTransitionError, match="'reverted' to 'replaced'"):
        await store.transactions.mark_replaced(1, bump.tx_hash)
    assert {t.id for t in await store.transactions.for_intent(it.id)} == {tx.id, bump.id}
    assert await store.transactions.by_hash(1, tx_hash(42)) is None
    with pytest.raises(NotFoundError):
        await store.transactions.mark_submitted(1, tx_hash(42))


async def test_fills_are_idempotent_per_log(store: Store) -> None:
    s = await seed(store)
    it = await intent(store, s)
    [order] = await store.orders.add(it.id, [OrderLeg("v2", WETH, USDC, 5, 4, pool=POOL)])
    tx, _ = await store.transactions.record_signed(
        chain_id=1, sender=s.account.address, nonce=0, tx_hash=tx_hash(1), order_id=order.id
    )
    kwargs = dict(
        transaction_id=tx.id, log_index=3, token_in=WETH, token_out=USDC, amount_in=5,
        amount_out=4, fee=1, pool=POOL, order_id=order.id,
    )  # fmt: skip
    fill, created = await store.fills.record(**kwargs)  # type: ignore[arg-type]
    again, created_again = await store.fills.record(**kwargs)  # type: ignore[arg-type]
    assert created
    assert not created_again
    assert again == fill
    with pytest.raises(ConflictError, match="other values"):
        await store.fills.record(**{**kwargs, "amount_out": 5})  # type: ignore[arg-type]
    assert await store.fills.for_order(order.id) == [fill]


async def test_recovery_after_a_crash_finds_in_flight_work(store: Store, db_url: str) -> None:
    """An intent stored, its tx signed and recorded, then the process dies before the
    broadcast is confirmed: a new process finds both, by nonce and by hash."""
    s = await seed(store)
    it = await intent(store, s, key="trade-42")
    async with store.transaction() as tx:
        await tx.intents.transition(it.id, "approved")
        nonce = await tx.nonces.reserve(1, s.account.address, fence=1)
        signed, _ = await tx.transactions.record_signed(
            chain_id=1, sender=s.account.address, nonce=nonce, tx_hash=tx_hash(5), intent_id=it.id
        )
        await tx.nonces.mark_submitted(1, s.account.address, nonce, signed.tx_hash, fence=1)

    restarted = await open_store(db_url, run_migrations=False)  # "after the crash"
    try:
        [pending] = await restarted.intents.in_flight()
        assert pending.idempotency_key == "trade-42"
        [flying] = await restarted.transactions.in_flight(1, s.account.address)
        assert (flying.intent_id, flying.nonce, flying.tx_hash) == (it.id, 0, tx_hash(5))
        [held] = await restarted.nonces.in_flight(1, s.account.address)
        assert (held.nonce, held.status, held.tx_hash) == (0, "submitted", tx_hash(5))
        # retrying the whole step is harmless: same intent, same tx
        assert (await intent(restarted, s, key="trade-42")).id == it.id
        assert (await restarted.transactions.by_hash(1, tx_hash(5))) == flying
    finally:
        await restarted.close()


async def test_fills_of_every_venue_are_idempotent_final_or_reversed(store: Store) -> None:
    s = await seed(store)
    it = await intent(store, s)
    live = FillReport(venue="live", intent_id=it.id, token_in=WETH, token_out=USDC,
                      amount_in=BIG, amount_out=MAX, log_index=3, chain_id=1, tx_hash=tx_hash(7),
                      block_number=11, block_hash=tx_hash(8), gas_used=90_000,
                      gas_cost_native=90_000 * 10**9)  # fmt: skip
    fill, created = await store.fills.add(live)
    assert created
    assert (fill.status, fill.venue, fill.amount_out, fill.reverses_id) == ("mined", "live", MAX,
                                                                            None)  # fmt: skip
    assert fill.price == Fraction(MAX, BIG)  # exact
    again, created_again = await store.fills.add(live)
    assert (again, created_again) == (fill, False)
    with pytest.raises(ConflictError, match="amount_out"):
        await store.fills.add(replace(live, amount_out=1))
    with pytest.raises(InvalidInputError, match="chain_id and tx_hash"):
        await store.fills.add(replace(live, tx_hash=None))
    with pytest.raises(InvalidTransitionError):
        await store.fills.reverse(fill.id)  # only a final fill is reversed
    final = await store.fills.set_status(fill.id, "final")
    assert final.status == "final"
    with pytest.raises(InvalidTransitionError, match="'final' to 'reorged'"):
        await store.fills.set_status(fill.id, "reorged")
    reversal, created = await store.fills.reverse(fill.id)
    assert created
    assert (reversal.reverses_id, reversal.amount_in) == (fill.id, BIG)
    assert reversal.tx_hash == fill.tx_hash
    assert (await store.fills.reverse(fill.id)) == (reversal, False)
    paper = FillReport(venue="paper", intent_id=it.id, token_in=WETH, token_out=USDC,
                       amount_in=5, amount_out=6)  # fmt: skip
    simulated, _ = await store.fills.add(paper, status="final")
    assert simulated.transaction_id is None
    assert [f.id for f in await store.fills.for_intent(it.id)] == [fill.id, reversal.id,
                                                                    simulated.id]  # fmt: skip
    assert [f.id for f in await store.fills.by_status("final")] == [fill.id, simulated.id]
