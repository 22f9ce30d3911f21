"""Routes from the kernel, run by the vault through ZippiRouteExecutor on the real Uniswap V2/V3
contracts (and our ZippiPairs): single pools, multi-hop, and splits across V2 and V3.

The graph is read from the chain; every plan is built by ``zippifi.chain.executor.plan_route``
from the kernel's answer and sent as the agent's ``swapExactIn`` with ``minOut`` = the kernel's
quoted output, exactly. What each pool paid (its Swap events, in execution order) must equal the
kernel's amounts leg by leg, the vault must receive exactly the quote, and afterwards the
executor holds nothing and has no allowance from the vault."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from web3.logs import DISCARD
from web3.types import TxReceipt

from tests.contracts.executor_market import ETH, ExecutorMarket, build_market
from tests.contracts.harness import VaultEnv, expect_revert
from tests.uniswap.artifacts import HarnessUnavailableError, helper_artifact, uniswap_artifact
from tests.uniswap.chain import Chain
from zippifi.chain import (
    ActionKind,
    ExecutorLeg,
    ExecutorPath,
    ExecutorPlan,
    LegKind,
    PoolRef,
    decode_route,
    plan_route,
)
from zippifi.errors import InvalidInputError
from zippifi.route import Route, SplitRoute

USDC = 10**6


@pytest.fixture(scope="module")
def _market() -> tuple[ExecutorMarket, list[Any]]:
    try:
        uniswap_artifact("UniswapV2Factory")
        helper_artifact("V3Callee")
    except HarnessUnavailableError as exc:
        pytest.skip(str(exc))
    m = build_market(VaultEnv(Chain.in_process()))
    return m, [m.env.chain.snapshot()]


@pytest.fixture
def market(_market: tuple[ExecutorMarket, list[Any]]) -> Iterator[ExecutorMarket]:
    m, snapshot = _market
    yield m
    m.env.chain.revert(snapshot[0])
    snapshot[0] = m.env.chain.snapshot()


def _send(m: ExecutorMarket, plan: ExecutorPlan, min_out: int | None = None) -> TxReceipt:
    env = m.env
    swap = plan.vault_swap(m.executor.address, plan.amount_out if min_out is None else min_out)
    return env.send(
        env.vault.functions.swapExactIn(
            swap.target,
            swap.token_in,
            swap.token_out,
            swap.amount_in,
            swap.min_out,
            env.next_time() + 600,
            swap.data,
        ),
        env.agent,
    )


def _check_executed(m: ExecutorMarket, route: Route | SplitRoute, plan: ExecutorPlan) -> None:
    env = m.env
    before = m.holdings(env.vault.address)
    receipt = _send(m, plan)
    after = m.holdings(env.vault.address)
    sym_in = _symbol(m, plan.token_in)
    sym_out = _symbol(m, plan.token_out)
    assert after[sym_out] - before[sym_out] == route.amount_out == plan.amount_out
    assert before[sym_in] - after[sym_in] == plan.amount_in
    (swapped,) = env.vault.events.Swapped().process_receipt(receipt, errors=DISCARD)
    assert swapped["args"]["amountIn"] == plan.amount_in
    assert swapped["args"]["amountOut"] == route.amount_out
    assert swapped["args"]["target"] == m.executor.address
    # leg by leg, in execution order, what each pool took and paid is the kernel's quote
    expected: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for path in plan.paths:
        for leg in path.legs:
            expected[leg.pool].append((leg.amount_in, leg.amount_out))
    assert m.legs_paid(receipt) == expected
    # the executor keeps nothing and was never approved
    assert all(v == 0 for v in m.holdings(m.executor.address).values())
    for token in (env.weth, env.usdc, env.dai):
        allowance = token.contract.functions.allowance(env.vault.address, m.executor.address)
        assert allowance.call() == 0


def _symbol(m: ExecutorMarket, address: str) -> str:
    env = m.env
    return {t.address: t.symbol for t in (env.weth, env.usdc, env.dai)}[address]


def test_kernel_routes_execute_exactly(market: ExecutorMarket) -> None:
    """Best routes and splits of several sizes and directions: each executed through the vault
    must deliver exactly the kernel's quote, leg by leg."""
    env = market.env
    graph = market.graph()
    kinds = market.kinds()
    base = env.chain.snapshot()
    seen: Counter[str] = Counter()
    weth, usdc, dai = env.weth.address, env.usdc.address, env.dai.address
    queries = [
        (weth, usdc, 2 * ETH),
        (usdc, weth, 9_000 * USDC),
        (weth, usdc, 150 * ETH),
        (usdc, weth, 450_000 * USDC),
        (weth, dai, 3 * ETH),
        (weth, dai, 60 * ETH),
        (dai, weth, 200_000 * ETH),
        (dai, usdc, 300_000 * ETH),
    ]
    for src, dst, amount in queries:
        for answer in (graph.best_route(src, dst, amount), graph.split_route(src, dst, amount)):
            plan = plan_route(answer, kinds)
            _check_executed(market, answer, plan)
            if any(len(p.legs) > 1 for p in plan.paths):
                seen["multi-hop"] += 1
            if len(plan.paths) > 1:
                seen["split"] += 1
                kinds_used = {leg.kind for p in plan.paths for leg in p.legs}
                if {LegKind.UNISWAP_V2, LegKind.UNISWAP_V3} <= kinds_used:
                    seen["split over V2 and V3"] += 1
            env.chain.revert(base)
            base = env.chain.snapshot()
    assert seen["multi-hop"] >= 1, seen
    assert seen["split"] >= 2, seen
    assert seen["split over V2 and V3"] >= 1, seen


def test_zippi_pair_legs(market: ExecutorMarket) -> None:
    """Our own pairs as legs (their swap has no data argument), beside the Uniswap pools."""
    env = market.env
    kinds = market.kinds(with_zippi_pairs=True)
    for src, dst, amount in (
        (env.weth.address, env.dai.address, 50 * ETH),
        (env.dai.address, env.weth.address, 200_000 * ETH),
    ):
        # quoted on the state the previous trade left
        split = market.graph(with_zippi_pairs=True).split_route(src, dst, amount)
        plan = plan_route(split, kinds)
        assert any(leg.kind == LegKind.ZIPPI_PAIR for p in plan.paths for leg in p.legs)
        _check_executed(market, split, plan)


def test_unused_input_goes_back_to_the_vault(market: ExecutorMarket) -> None:
    """The vault pushes amountIn; a plan that uses less gets the rest back in the same call:
    spent (by balances, and in the Swapped event and the window) is what the route used. (The
    oracle bound is on amountIn, so the rest can only be small.)"""
    env = market.env
    route = market.graph().best_route(env.weth.address, env.usdc.address, 3 * ETH)
    plan = plan_route(route, market.kinds())
    swap = plan.vault_swap(market.executor.address, route.amount_out)
    before = env.balance(env.weth)
    receipt = env.send(
        env.vault.functions.swapExactIn(
            swap.target,
            swap.token_in,
            swap.token_out,
            3 * ETH + 3 * ETH // 100,  # 1% more than the plan uses
            swap.min_out,
            env.next_time() + 600,
            swap.data,
        ),
        env.agent,
    )
    assert before - env.balance(env.weth) == 3 * ETH
    (swapped,) = env.vault.events.Swapped().process_receipt(receipt, errors=DISCARD)
    assert swapped["args"]["amountIn"] == 3 * ETH
    spent, _ = env.vault.functions.spentInWindow(env.weth.address, env.next_time()).call()
    assert spent == 3 * ETH
    assert market.holdings(market.executor.address) == {"WETH": 0, "USDC": 0, "DAI": 0}


def test_vault_rules_hold_through_the_executor(market: ExecutorMarket) -> None:
    env = market.env
    route = market.graph().best_route(env.weth.address, env.usdc.address, 3 * ETH)
    plan = plan_route(route, market.kinds())
    # the vault's minOut is checked on what arrived: one more than the route pays fails
    args = expect_revert("InsufficientOutput", _send, market, plan, route.amount_out + 1)
    assert args == {"received": route.amount_out, "minOut": route.amount_out + 1}
    # the oracle bound still applies
    expect_revert("MinOutBelowOracleBound", _send, market, plan, 1)
    # a plan asking for more input than the vault pushed: the executor cannot pay the pool
    greedy = ExecutorPlan((ExecutorPath(plan.amount_in * 2, plan.paths[0].legs),))
    swap = greedy.vault_swap(market.executor.address, route.amount_out)
    args = expect_revert(
        "SwapCallFailed",
        env.send,
        env.vault.functions.swapExactIn(
            swap.target,
            swap.token_in,
            swap.token_out,
            plan.amount_in,
            swap.min_out,
            env.next_time() + 600,
            swap.data,
        ),
        env.agent,
    )
    assert args["target"] == market.executor.address
    # an executor delisted by the owners is no longer callable
    env.admin(ActionKind.SET_EXECUTOR, market.executor.address, False)
    expect_revert("TargetNotAllowed", _send, market, plan)


def test_executor_refuses_strangers_and_bad_routes(market: ExecutorMarket) -> None:
    env = market.env
    executor = market.executor
    # only the V3 pool being called may call back
    callback = executor.functions.uniswapV3SwapCallback(1, 0, b"")
    args = expect_revert("UnexpectedCallback", env.send, callback, env.stranger)
    assert args == {"caller": env.stranger}
    for bad, offset in ((b"", 0), (b"\x00", 0), (b"\x01", 1), (b"\x01\x01" + b"\x00" * 16, 18)):
        call = executor.functions.execute(bad)
        args = expect_revert("MalformedRoute", env.send, call, env.stranger)
        assert args == {"offset": offset}
    route = market.graph().best_route(env.weth.address, env.usdc.address, ETH)
    plan = plan_route(route, market.kinds())
    encoded = plan.encode()
    expect_revert(
        "MalformedRoute", env.send, executor.functions.execute(encoded + b"\x00"), env.stranger
    )
    # two paths from different tokens
    other = market.graph().best_route(env.dai.address, env.usdc.address, ETH)
    mixed = ExecutorPlan((plan.paths[0], plan_route(other, market.kinds()).paths[0]))
    args = expect_revert(
        "MixedInputTokens", env.send, executor.functions.execute(mixed.encode()), env.stranger
    )
    assert args == {"expected": env.weth.address, "given": env.dai.address}


def test_v3_leg_must_take_its_whole_input(market: ExecutorMarket) -> None:
    """A V3 pool that runs out of liquidity before the input is used up (its price limit is
    the end of the tick range): the executor refuses to keep the rest."""
    env = market.env
    band = next(
        a for a, info in market.v3_pools.items() if len(info.positions) == 1 and info.fee == 500
    )
    pool = market.v3_pools[band].contract
    t0, t1 = pool.functions.token0().call(), pool.functions.token1().call()
    huge = 10**30 if t0 == env.dai.address else 10**18
    leg = ExecutorLeg(LegKind.UNISWAP_V3, band, t0, t1, True, 0, huge, 0)
    plan = ExecutorPlan((ExecutorPath(huge, (leg,)),))
    token = {t.address: t for t in (env.weth, env.usdc, env.dai)}[t0]
    env.mint(token, market.executor.address, huge)
    args = expect_revert(
        "PartialFill", env.send, market.executor.functions.execute(plan.encode()), env.stranger
    )
    assert args["pool"] == band
    assert args["amountIn"] == huge
    assert 0 < args["taken"] < huge


def test_plans_encode_and_decode() -> None:
    a, b, c = ("0x" + f"{i:02x}" * 20 for i in (0x11, 0x22, 0x33))
    p1, p2 = "0x" + "aa" * 20, "0x" + "bb" * 20
    from zippifi.sign import to_checksum_address as cs

    legs = (
        ExecutorLeg(LegKind.UNISWAP_V2, cs(p1), cs(a), cs(b), True, 30, 5, 4),
        ExecutorLeg(LegKind.UNISWAP_V3, cs(p2), cs(b), cs(c), True, 0, 4, 3),
    )
    plan = ExecutorPlan((ExecutorPath(5, legs),))
    back = decode_route(plan.calldata())
    assert back.paths[0].amount_in == 5

    def fields(xs: tuple[ExecutorLeg, ...]) -> list[tuple[object, ...]]:
        return [(x.kind, x.pool, x.token_in, x.zero_for_one, x.fee_bps) for x in xs]

    assert fields(back.paths[0].legs) == fields(legs)
    assert len(plan.encode()) == 1 + 17 + 2 * 43
    with pytest.raises(InvalidInputError, match="fee_bps"):
        PoolRef(LegKind.UNISWAP_V2, 10_000)
    assert PoolRef(LegKind.UNISWAP_V3, 30).fee_bps == 0


def test_plan_needs_every_pool_kind(market: ExecutorMarket) -> None:
    env = market.env
    route = market.graph().best_route(env.weth.address, env.dai.address, 60 * ETH)
    with pytest.raises(InvalidInputError, match="has no kind"):
        plan_route(route, {})
    lower = {k.lower(): PoolRef(v) for k, v in market.kinds().items()}
    assert plan_route(route, lower) == plan_route(route, market.kinds())
