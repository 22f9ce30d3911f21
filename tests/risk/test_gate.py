"""The risk gate on a real pool graph (V2 pools through the route kernel): approve, an exact
resize (the resized size passes every rule and one raw unit more fails one), reject with the
rule that decided; states (HALTED, REDUCING); and each decision kept with its numbers."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zippifi.domain import TradeIntent
from zippifi.risk import (
    Limits,
    MemoryDecisionLog,
    Price,
    RiskEngine,
    RiskPolicy,
)
from zippifi.route import PoolGraph

WETH = "0x" + "11" * 20
USDC = "0x" + "22" * 20
DAI = "0x" + "33" * 20
PEPE = "0x" + "44" * 20
E18, E6 = 10**18, 10**6
# quote token: USDC raw units; WETH at $3,000, DAI at $1
PRICES = {WETH: Fraction(3000 * E6, E18), USDC: Fraction(1), DAI: Fraction(E6, E18),
          PEPE: Fraction(1, E18)}  # fmt: skip


class Prices:
    async def price(self, token: str) -> Price:
        return Price(PRICES[token.lower()], "round-7")


class Positions:
    def __init__(self, held: dict[str, int]) -> None:
        self.held = held

    async def balance(self, account_id: int, token: str) -> int:
        return self.held.get(token.lower(), 0)


class Flags:
    def __init__(self, flagged: dict[str, str]) -> None:
        self.flagged_tokens = flagged

    def flagged(self, token: str) -> str | None:
        return self.flagged_tokens.get(token.lower())


def graph() -> PoolGraph:
    g = PoolGraph()
    g.add_v2_pool("0x" + "a1" * 20, WETH, USDC, 1_000 * E18, 3_000_000 * E6)
    g.add_v2_pool("0x" + "a2" * 20, USDC, DAI, 5_000_000 * E6, 5_000_000 * E18)
    g.add_v2_pool("0x" + "a3" * 20, WETH, DAI, 200 * E18, 600_000 * E18)
    return g


def intent(amount: int, *, token_in: str = WETH, token_out: str = USDC, n: int = 1,
           **fields: object) -> TradeIntent:  # fmt: skip
    now = datetime(2026, 1, 1, tzinfo=UTC)
    values: dict[str, object] = dict(
        id=n, idempotency_key=f"k{n}", proposer="strategy:1", strategy_id=1, account_id=1,
        chain_id=1, token_in=token_in, token_out=token_out, kind="exact_in", amount=amount,
        amount_in=amount, min_amount_out=0, slippage_bps=50, deadline=None, urgency="normal",
        status="proposed", reason="test", status_cause=None, params={}, created_at=now,
        updated_at=now,
    )  # fmt: skip
    values.update(fields)
    return TradeIntent(**values)  # type: ignore[arg-type]


def engine(limits: Limits, **kw: object) -> RiskEngine:
    policy = RiskPolicy(default=limits, stable=frozenset({USDC, DAI}),
                        **kw.pop("policy", {}))  # type: ignore[arg-type]  # fmt: skip
    return RiskEngine(policy, graph=graph(), prices=Prices(), clock=lambda: 1_000.0,
                      **kw)  # type: ignore[arg-type]  # fmt: skip


def review(e: RiskEngine, i: TradeIntent):  # type: ignore[no-untyped-def]
    return asyncio.run(e.review(i))


def test_within_every_limit_is_approved_and_kept() -> None:
    log = MemoryDecisionLog()
    e = engine(Limits(max_notional_per_trade=10_000 * E6, max_price_impact_bps=100), log=log)
    d = review(e, intent(E18))
    assert d.verdict == "approve"
    (kept,) = log.decisions
    assert (kept.verdict, kept.rule) == ("approve", "all rules")
    assert (kept.amount_in, kept.notional) == (E18, 3000 * E6)
    assert kept.inputs == {"price_in": "round-7"}
    assert kept.numbers["notional_per_trade"] == f"{3000 * E6} of {10_000 * E6}"


def test_notional_cap_resizes_exactly() -> None:
    e = engine(Limits(max_notional_per_trade=7_777 * E6 + 1))
    d = review(e, intent(5 * E18))
    assert d.verdict == "resize"
    # the most WETH worth at most $7,777.000001 at $3,000
    assert d.amount_in == (7_777 * E6 + 1) * E18 // (3000 * E6)
    assert d.reasons[0].startswith(f"{5 * E18} resized to {d.amount_in}")


@settings(max_examples=60, deadline=None)
@given(
    amount=st.integers(1, 200 * E18),
    cap=st.one_of(st.none(), st.integers(1, 500_000 * E6)),
    impact=st.one_of(st.none(), st.integers(1, 2_000)),
    position=st.one_of(st.none(), st.integers(0, 600_000 * E6)),
    held=st.integers(0, 100_000 * E6),
)
def test_a_resize_passes_every_rule_and_one_unit_more_fails_one(
    amount: int, cap: int | None, impact: int | None, position: int | None, held: int
) -> None:
    limits = Limits(max_notional_per_trade=cap, max_price_impact_bps=impact)
    tokens = {} if position is None else {"tokens": {USDC: Limits(max_position=position)}}
    positions = Positions({USDC: held})

    def fresh() -> RiskEngine:
        return engine(limits, positions=positions, policy=tokens)

    d = review(fresh(), intent(amount))
    if d.verdict == "approve":
        return
    if d.verdict == "reject":  # nothing fits: even one raw unit fails
        assert review(fresh(), intent(1)).verdict != "approve"
        return
    assert d.amount_in is not None
    assert 0 < d.amount_in < amount
    assert review(fresh(), intent(d.amount_in)).verdict == "approve"
    assert review(fresh(), intent(d.amount_in + 1)).verdict != "approve"


def test_price_impact_bound_is_exact_on_the_kernel() -> None:
    e = engine(Limits(max_price_impact_bps=150))
    d = review(e, intent(100 * E18))
    assert d.verdict == "resize"
    assert d.amount_in is not None
    assert (
        review(engine(Limits(max_price_impact_bps=150)), intent(d.amount_in)).verdict == "approve"
    )
    assert review(engine(Limits(max_price_impact_bps=150)),
                  intent(d.amount_in + 1)).verdict == "resize"  # fmt: skip


def test_the_rolling_window_counts_what_it_approved() -> None:
    now = [1_000.0]
    policy = RiskPolicy(default=Limits(max_notional_per_window=10_000 * E6, window_s=3600))
    e = RiskEngine(policy, graph=graph(), prices=Prices(), clock=lambda: now[0])
    assert review(e, intent(2 * E18, n=1)).verdict == "approve"  # $6,000
    d = review(e, intent(2 * E18, n=2))  # $4,000 left
    assert d.verdict == "resize"
    assert d.amount_in == 4_000 * E6 * E18 // (3000 * E6)
    assert review(e, intent(E18, n=3)).verdict == "reject"  # used up
    # the pre-sign look at an already approved intent does not count again
    assert review(e, intent(E18 // 10, n=1, status="routed")).verdict == "approve"
    now[0] += 3600  # the first two leave the window
    assert review(e, intent(2 * E18, n=4)).verdict == "approve"


def test_rules_a_smaller_trade_cannot_meet_reject_with_their_rule() -> None:
    log = MemoryDecisionLog()
    e = engine(Limits(max_slippage_bps=30, max_proposals_per_minute=3),
               log=log, anomalies=Flags({DAI: "oracle/pool deviation 400 bps"}),
               policy={"allowlist": frozenset({WETH, USDC, DAI})})  # fmt: skip
    cases = [
        (intent(E18, slippage_bps=50), "slippage"),
        (intent(E18, slippage_bps=10, token_out=PEPE), "allowlist"),
        (intent(E18, slippage_bps=10, token_out=DAI), "anomaly"),
    ]
    for i, rule in cases:
        d = review(e, i)
        assert d.verdict == "reject"
        assert log.decisions[-1].rule == rule
    # the proposer has asked 3 times this minute (every first look counts): the limit
    d = review(e, intent(E18, slippage_bps=10))
    assert d.verdict == "reject"
    assert log.decisions[-1].rule == "rate"


def test_states_halt_everything_and_reducing_lets_only_sales_into_stables() -> None:
    e = engine(Limits())
    e.set_state("reducing", vault=1)
    assert review(e, intent(E18)).verdict == "approve"  # WETH -> USDC shrinks exposure
    assert review(e, intent(E6, token_in=USDC, token_out=WETH)).verdict == "reject"
    assert review(e, intent(E18, token_in=USDC, token_out=DAI)).verdict == "reject"
    assert review(e, intent(E18, account_id=2)).verdict == "approve"  # another vault
    e.set_state("halted")
    assert review(e, intent(E18, account_id=2)).verdict == "reject"
    e.set_state("active")
    assert e.state(1) == "reducing"  # the vault's own state still holds
    with pytest.raises(ValueError, match="state must be"):
        e.set_state("paused")  # type: ignore[arg-type]


def test_inner_gate_rejection_and_resize_are_respected() -> None:
    from zippifi.domain import RiskDecision

    class Inner:
        def __init__(self, decision: RiskDecision) -> None:
            self.decision = decision

        async def review(self, intent: TradeIntent) -> RiskDecision:
            return self.decision

    e = engine(Limits(), inner=Inner(RiskDecision("reject", ("the vault is paused",))))
    d = review(e, intent(E18))
    assert (d.verdict, d.reasons) == ("reject", ("the vault is paused",))
    e = engine(Limits(), inner=Inner(RiskDecision("resize", ("cap",), amount_in=E18 // 2)))
    assert review(e, intent(E18)).amount_in == E18 // 2
    # the pre-sign look may shrink an exact input (the market moved); an exact output is
    # rejected instead, for its input cannot be cut
    e = engine(Limits(max_notional_per_trade=E6))
    assert review(e, replace(intent(E18), status="routed")).amount_in == E18 // 3000
    assert review(e, replace(intent(E18), status="routed", kind="exact_out")).verdict == "reject"
