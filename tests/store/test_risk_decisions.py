"""The risk gate's decisions kept in the store (both engines): each with its rule, numbers
and inputs' versions, read back per intent; and a restarted gate restores its rolling window
from them, so a restart does not reopen a spent budget."""

from __future__ import annotations

from fractions import Fraction

import pytest

from zippifi.risk import Limits, Price, RiskEngine, RiskPolicy, StoreDecisionLog
from zippifi.route import PoolGraph
from zippifi.store import RiskDecisionRecord, Store
from zippifi.store.types import utcnow

from .factories import USDC, WETH, intent, seed

E18, E6 = 10**18, 10**6


class Prices:
    async def price(self, token: str) -> Price:
        value = Fraction(3000 * E6, E18) if token.lower() == WETH.lower() else Fraction(1)
        return Price(value, "round-3")


def engine(log: StoreDecisionLog, now: float) -> RiskEngine:
    g = PoolGraph()
    g.add_v2_pool("0x" + "a1" * 20, WETH, USDC, 1_000 * E18, 3_000_000 * E6)
    policy = RiskPolicy(default=Limits(max_notional_per_window=10_000 * E6, window_s=3600))
    return RiskEngine(policy, graph=g, prices=Prices(), log=log, clock=lambda: now)


async def test_decisions_are_kept_and_restore_the_window(store: Store) -> None:
    s = await seed(store)
    now = utcnow().timestamp()
    log = StoreDecisionLog(store)
    first = engine(log, now)
    a = await intent(store, s, key="a", amount_in=2 * E18)  # $6,000
    b = await intent(store, s, key="b", amount_in=2 * E18)  # $4,000 left: resized
    assert (await first.review(a)).verdict == "approve"
    assert (await first.review(b)).verdict == "resize"
    (kept,) = await store.risk_decisions.for_intent(b.id)
    assert (kept.verdict, kept.rule, kept.stage) == ("resize", "notional window", "proposed")
    assert kept.inputs == {"price_in": "round-3"}
    assert kept.amount_in == 4_000 * E6 * E18 // (3000 * E6)
    assert kept.numbers["notional_window"] == f"{6_000 * E6} used of {10_000 * E6} per 3600 s"

    # a new gate (a restart) that restores from the store sees the window spent
    again = engine(log, now + 1)
    again.restore(await log.recent(3600, now=now + 1))
    c = await intent(store, s, key="c", amount_in=E18)
    decision = await again.review(c)
    assert decision.verdict == "reject"
    # one that does not restore would have let it through: the restore is what refuses it
    assert (await engine(log, now + 1).review(c)).verdict == "approve"


async def test_a_bad_verdict_is_refused(store: Store) -> None:
    s = await seed(store)
    it = await intent(store, s)
    record = RiskDecisionRecord(intent_id=it.id, account_id=s.account.id, proposer="p",
                                stage="proposed", verdict="maybe", rule="r", reasons=(),
                                numbers={}, inputs={}, amount_in=1, notional=1,
                                at=utcnow())  # fmt: skip
    with pytest.raises(ValueError, match="verdict"):
        await store.risk_decisions.add(record)
    assert await store.risk_decisions.for_intent(it.id) == []
