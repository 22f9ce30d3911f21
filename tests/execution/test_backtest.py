"""The backtest venue runs the live engine, gate and router on the kernels' graph with no EVM:
from the same state it fills exactly as the live chain does, swap after swap, and a
backtest-mode runtime runs a replay with no chain at all."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from fractions import Fraction

from zippifi.chain import call_view
from zippifi.chain.artifacts import load
from zippifi.domain import IntentProposal
from zippifi.execution import BacktestRules, BacktestToken, BacktestVenue, Hop, SwapPlan
from zippifi.market import V2PoolState
from zippifi.route import PoolGraph
from zippifi.runtime import Runtime
from zippifi.sandbox import MAX_SLIPPAGE_BPS
from zippifi.store.types import utcnow

from .test_live_embedded import DAI, USDC, WETH, market, proposal


async def test_backtest_fills_exactly_as_the_chain_does() -> None:
    async with market() as (rt, box, live, _):
        assert rt.pool_sync is not None
        graph = PoolGraph.from_bytes(rt.graph.to_bytes())
        v2 = {a: (s.token0, s.reserve0, s.reserve1) for a, s in rt.pool_sync.pools.items()
              if isinstance(s, V2PoolState)}  # fmt: skip
        erc20 = load("ZippiTestToken")
        adapter = await rt.adapter()
        balances = {t: await call_view(adapter, t, erc20, "balanceOf", box.vault)
                    for t in box.tokens.values()}  # fmt: skip
        tokens = {box.token(s).lower(): BacktestToken(spec.decimals, Fraction(spec.usd_price),
                                                      spec.units(spec.max_trade),
                                                      spec.units(spec.daily_cap))
                  for s, spec in box.specs.items()}  # fmt: skip
        rules = BacktestRules(box.vault, box.agent.address, tokens, clock=utcnow,
                              max_slippage_bps=MAX_SLIPPAGE_BPS)  # fmt: skip
        venue = BacktestVenue(graph, rules, v2_pools=v2, balances=balances)
        sim = await rt.backtest_execution(rules, venue)
        spec = box.specs
        cases = [
            (WETH, USDC, spec[WETH].units(3)), (USDC, WETH, spec[USDC].units(2_500)),
            (DAI, USDC, spec[DAI].units(900) + 7), (WETH, DAI, spec[WETH].units(1) // 3),
        ]  # fmt: skip
        for n, (a, b, size) in enumerate(cases):
            assert sim.vault.id != live.vault.id
            base = proposal(box, f"bt{n}", a, b, size)
            back = await sim.propose(replace(base, account_id=sim.vault.id, chain_id=0))
            await sim.run_until_idle()
            real = await live.propose(proposal(box, f"lv{n}", a, b, size))
            await live.run_until_idle()
            (b_fill,) = await rt.store.fills.for_intent(back.id)
            (l_fill,) = await rt.store.fills.for_intent(real.id)
            assert (b_fill.venue, b_fill.status) == ("backtest", "final")
            assert (b_fill.amount_in, b_fill.amount_out) == (l_fill.amount_in, l_fill.amount_out)
        # the backtest's book is the vault's balances on chain
        for token in box.tokens.values():
            on_chain = await call_view(adapter, token, erc20, "balanceOf", box.vault)
            assert venue.balances[token.lower()] == on_chain


async def test_a_backtest_runtime_replays_without_a_chain() -> None:
    """A replay on a graph alone: the rolling daily cap resizes the third trade and rejects the
    fourth, each fill moves the pool against the next, and the balance book follows."""
    weth, usdc = "0x" + "0a" * 20, "0x" + "0b" * 20
    pair = "0x" + "0c" * 20
    reserves = (10_000 * 10**18, 30_000_000 * 10**6)
    graph = PoolGraph()
    graph.add_v2_pool(pair, weth, usdc, *reserves, fee_bps=30)
    now = [utcnow()]
    tokens = {weth: BacktestToken(18, Fraction(3000), 5 * 10**18, 8 * 10**18),
              usdc: BacktestToken(6, Fraction(1), 10**12, 10**12)}  # fmt: skip
    rules = BacktestRules("0x" + "0d" * 20, "0x" + "0e" * 20, tokens, clock=lambda: now[0])
    venue = BacktestVenue(graph, rules, v2_pools={pair: (weth, *reserves)},
                          balances={weth: 100 * 10**18})  # fmt: skip
    async with Runtime.backtest() as rt:
        engine = await rt.backtest_execution(rules, venue)
        ids = []
        for step in range(4):
            p = IntentProposal(idempotency_key=f"s{step}", proposer="backtest",
                               account_id=engine.vault.id, chain_id=0, token_in=weth,
                               token_out=usdc, amount=3 * 10**18, slippage_bps=50,
                               deadline=now[0] + timedelta(hours=1))  # fmt: skip
            ids.append((await engine.propose(p)).id)
            await engine.run_until_idle()
            now[0] += timedelta(hours=6)
        got = [await rt.store.intents.get(i) for i in ids]
        assert [i.status for i in got] == ["settled", "settled", "settled", "rejected"]
        assert [i.amount_in for i in got[:3]] == [3 * 10**18, 3 * 10**18, 2 * 10**18]
        fills = [(await rt.store.fills.for_intent(i))[0] for i in ids[:3]]
        prices = [f.price for f in fills]
        assert prices == sorted(prices, reverse=True)  # each fill moves the price against the next
        r0, r1 = reserves
        for f in fills:  # the constant-product rule with the 0.3% fee, by hand
            out = f.amount_in * 997 * r1 // (r0 * 1000 + f.amount_in * 997)
            assert f.amount_out == out
            r0, r1 = r0 + f.amount_in, r1 - out
        assert venue.balances[weth] == 92 * 10**18
        assert venue.balances[usdc] == sum(f.amount_out for f in fills)


def _plan_on(graph: PoolGraph, intent_id: int, token_in: str, token_out: str,
             amount_in: int) -> SwapPlan:  # fmt: skip
    """A plan as the router makes it: the graph's best route now, its hops' exact amounts."""
    route = graph.best_route(token_in, token_out, amount_in)
    ins, outs = route.amounts[:-1], route.amounts[1:]
    legs = zip(route.pools, route.tokens[:-1], route.tokens[1:], ins, outs, strict=True)
    return SwapPlan(
        intent_id=intent_id, chain_id=0, vault="0x" + "0d" * 20, target="0x" + "0f" * 20,
        token_in=token_in, token_out=token_out, amount_in=amount_in,
        quoted_out=route.amount_out, min_out=0, oracle_bound=0, deadline=0,
        target_calldata=b"", vault_calldata=b"", pools=tuple(route.pools),
        gas_estimate=route.gas_estimate, hops=tuple(Hop(*leg) for leg in legs),
    )  # fmt: skip


async def test_a_plan_filled_after_its_pool_moved_moves_it_by_what_it_filled() -> None:
    """Two plans made on one state, filled one after the other: the second fills at the moved
    pool's quote, and the pool must move by that fill, not by the amounts planned on the state
    the first fill left (a stale result, which would leave reserves no trade leads to)."""
    weth, usdc, pair = "0x" + "0a" * 20, "0x" + "0b" * 20, "0x" + "0c" * 20
    r0, r1 = 10_000 * 10**18, 30_000_000 * 10**6
    graph = PoolGraph()
    graph.add_v2_pool(pair, weth, usdc, r0, r1, fee_bps=30)
    tokens = {weth: BacktestToken(18, Fraction(3000), 10**21, 10**21),
              usdc: BacktestToken(6, Fraction(1), 10**12, 10**12)}  # fmt: skip
    rules = BacktestRules("0x" + "0d" * 20, "0x" + "0e" * 20, tokens, clock=utcnow)
    venue = BacktestVenue(graph, rules, v2_pools={pair: (weth, r0, r1)},
                          balances={weth: 100 * 10**18})  # fmt: skip
    plans = [_plan_on(graph, n, weth, usdc, 10**18 * (n + 1)) for n in range(2)]
    outcomes = await venue.execute(plans, urgency="normal", on_signed=None)
    fills = [o.fill for o in outcomes]
    assert all(f is not None for f in fills), [o.error for o in outcomes]
    for f in fills:
        assert f is not None
        out = f.amount_in * 997 * r1 // (r0 * 1000 + f.amount_in * 997)
        assert f.amount_out == out
        r0, r1 = r0 + f.amount_in, r1 - out
    assert fills[1] is not None
    assert fills[1].amount_out < plans[1].quoted_out  # the pool moved
    assert venue.v2[pair] == (weth, r0, r1)
    assert graph.best_route(weth, usdc, 10**18).amount_out == 10**18 * 997 * r1 // (
        r0 * 1000 + 10**18 * 997
    )


async def test_a_plan_through_an_untracked_pool_changes_nothing() -> None:
    """A two-hop plan whose second pool the venue does not track fails whole: the first hop's
    pool is not moved (no half-applied fill)."""
    a, b, c = ("0x" + f"{k:02x}" * 20 for k in (0x1A, 0x1B, 0x1C))
    ab, bc = "0x" + "2a" * 20, "0x" + "2b" * 20
    graph = PoolGraph()
    graph.add_v2_pool(ab, a, b, 10**24, 10**24, fee_bps=30)
    graph.add_v2_pool(bc, b, c, 10**24, 10**24, fee_bps=30)
    tokens = {t: BacktestToken(18, Fraction(1), 10**24, 10**24) for t in (a, b, c)}
    rules = BacktestRules("0x" + "0d" * 20, "0x" + "0e" * 20, tokens, clock=utcnow)
    venue = BacktestVenue(graph, rules, v2_pools={ab: (a, 10**24, 10**24)},
                          balances={a: 10**21})  # fmt: skip
    plan = _plan_on(graph, 1, a, c, 10**18)
    assert len(plan.hops) == 2
    before = graph.to_bytes()
    (outcome,) = await venue.execute([plan], urgency="normal", on_signed=None)
    assert outcome.fill is None
    assert outcome.error is not None
    assert venue.v2[ab.lower()] == (a, 10**24, 10**24)
    assert graph.to_bytes() == before
    assert venue.balances == {a: 10**21}
