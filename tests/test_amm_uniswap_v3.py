"""zippifi.amm's Uniswap V3 kernel against the real UniswapV3Pool, wei for wei.

The pools are the ``@uniswap/v3-core`` npm package's own bytecode, deployed by its own factory on
a local EVM (``tests/uniswap``): random pools in all four fee tiers, random positions, and chains
of random swaps sent straight to ``pool.swap`` (V3Callee). Each swap is quoted off-chain first by
``amm.V3Pool`` (kept in step with ``pool.apply``) and every field must equal the Swap event and the
pool's slot0/liquidity after it. Reverting inputs must revert on-chain and raise AmmRevertError.

The run counts what it covered (tick-bitmap words crossed, extreme ticks, exact output, limits
hit, gaps, zero-net ticks, drains, reverts...) and fails if any count is too thin. CI runs ~400
swaps (~2 minutes on py-evm); ``ZIPPIFI_LONG_TESTS=1`` ~2900, with longer walks. The random
seed is printed (and named in every failure); ``ZIPPIFI_TEST_SEED=<n>`` replays a run.

The ``test_harness_*`` tests check the harness itself and need no kernel.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from tests.uniswap.artifacts import HarnessUnavailableError
from tests.uniswap.chain import Reverted, open_chain
from tests.uniswap.scenarios import (
    HUGE,
    Coverage,
    PoolPlan,
    SwapPlan,
    classify,
    default_limit,
    pool_minimums,
    pool_plans,
    predict_end_tick,
    random_swap,
    reverting_swaps,
)
from tests.uniswap.tickmath import (
    FEE_TIERS,
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
    usable_tick_range,
)
from tests.uniswap.v3 import PoolState, Position, SwapOutcome, V3Deployment, V3PoolDriver

LONG = os.environ.get("ZIPPIFI_LONG_TESTS") == "1"
SEED = int(os.environ.get("ZIPPIFI_TEST_SEED") or random.SystemRandom().randrange(2**32))
N_POOLS = 240 if LONG else 40
SWAPS_PER_POOL = 12 if LONG else 10
# how many tick-bitmap words one swap may walk (py-evm: ~2.6 ms per word); LONG allows walks
# over the whole tick range of fee tiers 3000 and 10000, and 655,360 ticks with spacing 10
BUDGET_WORDS = 256 if LONG else 32
MAX_MISMATCHES = 5


def _rng(salt: str) -> random.Random:
    return random.Random(f"{SEED}:{salt}")


@pytest.fixture(scope="module")
def v3() -> V3Deployment:
    try:
        return V3Deployment(open_chain())
    except HarnessUnavailableError as exc:
        pytest.skip(f"Uniswap V3 harness unavailable: {exc}")


@pytest.fixture(scope="module")
def amm() -> ModuleType:
    try:
        from zippifi import amm as kernel
    except ImportError as exc:
        pytest.skip(f"zippifi.amm cannot be imported: {exc}")
    return kernel


@pytest.fixture(scope="module")
def errors() -> ModuleType:
    from zippifi import errors as errs

    return errs


def _setup(v3: V3Deployment, plan: PoolPlan) -> tuple[V3PoolDriver, PoolState]:
    drv = v3.fresh_pool(plan.fee)
    drv.initialize(plan.sqrt_price_x96)
    drv.mint(plan.positions)
    return drv, drv.read_state()


# ----------------------------------------------------------------------------------------------
# the harness on its own (no kernel)


def test_harness_swap_event_matches_balances(v3: V3Deployment) -> None:
    """Swap events, slot0 after, and the tokens that actually moved agree; the pool holds
    exactly the ticks and liquidity our mints imply (including a tick netting to 0)."""
    drv = v3.fresh_pool(3000)
    drv.initialize(get_sqrt_ratio_at_tick(-1234) + 12345)
    positions = [
        Position(-6000, -600, 10**21),
        Position(-600, 1200, 10**21),  # -600 nets to 0
        Position(-120, 60, 7 * 10**20),
        Position(3000, 9000, 3 * 10**20),  # a gap from 1200 to 3000
        Position(usable_tick_range(60)[0], -6000, 10**15),  # down to the lowest usable tick
    ]
    drv.mint(positions)
    state = drv.read_state()
    assert state.ticks[-600] == 0
    assert state.tick == -1234
    assert state.liquidity == sum(p.liquidity for p in positions if p.lower <= state.tick < p.upper)
    swaps = [
        (True, 10**18, None),
        (False, -(10**18), None),
        (False, 10**30, get_sqrt_ratio_at_tick(5000)),  # through the gap, on to the limit
        (True, -(10**17), None),
        (True, HUGE, get_sqrt_ratio_at_tick(-600)),  # lands exactly on the zero-net tick
        (False, 1, None),  # crosses it again, for free, and moves up a hair
    ]
    ticks_after = []
    for zero_for_one, amount, limit in swaps:
        plan = SwapPlan(zero_for_one, amount, limit, "fixed")
        out = drv.swap(zero_for_one, amount, plan.chain_limit, track_balances=True)
        ev = out.event
        assert out.balance_deltas == (ev.amount0, ev.amount1, -ev.amount0, -ev.amount1)
        assert (out.slot0_sqrt_price_x96, out.slot0_tick, out.liquidity) == (
            ev.sqrt_price_x96,
            ev.tick,
            ev.liquidity,
        )
        paid, received = (ev.amount0, ev.amount1) if zero_for_one else (ev.amount1, ev.amount0)
        assert paid >= 0 >= received
        if zero_for_one:
            assert ev.sqrt_price_x96 <= state.sqrt_price_x96
        else:
            assert ev.sqrt_price_x96 >= state.sqrt_price_x96
        tags, _ = classify(plan, state, ev, 3000, 60)  # checks the liquidity bookkeeping
        if "ended_at_limit" in tags:
            assert abs(paid if amount > 0 else received) <= abs(amount)
        else:
            assert (paid if amount > 0 else received) == amount
        state = state.with_after(ev)
        ticks_after.append((ev.tick, tags))
    assert "zero_liquidity_gap_crossed" in ticks_after[2][1]
    assert "ended_at_limit" in ticks_after[2][1]
    # a swap down that stops exactly on an initialized tick's price sits one tick below it...
    assert ticks_after[4][0] == -601
    assert "zero_net_tick_crossed" in ticks_after[4][1]
    # ...and the next swap up crosses that tick again before it moves
    assert ticks_after[5][0] == -600
    assert "zero_net_tick_crossed" in ticks_after[5][1]


class _TickOracle:
    """TickMath.getTickAtSqrtRatio as the chain computes it: a swap of 1 wei moves a
    zero-liquidity pool's price to the price asked, from below, and the Swap event gives the
    tick. (From below, because a swap down that ends exactly on the first tick T of a bitmap
    word reports T - 1: the pool's own quirk, which the differential swaps cover.) Cheapest with
    prices asked in ascending order: one short swap up each."""

    def __init__(self, drv: V3PoolDriver) -> None:
        self.drv = drv
        self.price = drv.slot0()[0]

    def tick_at(self, sqrt_price: int) -> int:
        assert MIN_SQRT_RATIO + 1 < sqrt_price < MAX_SQRT_RATIO
        if sqrt_price <= self.price:
            self.drv.swap(True, 1, sqrt_price - 1)
        out = self.drv.swap(False, 1, sqrt_price)
        self.price = sqrt_price
        assert out.event.sqrt_price_x96 == sqrt_price
        assert out.event.amount0 == out.event.amount1 == 0
        return out.event.tick


def _tick_edges(t: int, s: int) -> list[tuple[int, int]]:
    """(S(t), t) and (S(t) - 1, t - 1): the prices where TickMath's tick turns from t - 1 to t,
    with the ticks it must give them (those a swap can reach)."""
    return [
        (p, tt) for p, tt in ((s, t), (s - 1, t - 1)) if MIN_SQRT_RATIO + 1 < p < MAX_SQRT_RATIO
    ]


def _random_prices(rng: random.Random, n: int) -> list[int]:
    return [
        rng.choice(
            [
                rng.randint(MIN_SQRT_RATIO + 2, MAX_SQRT_RATIO - 1),
                int(2 ** rng.uniform(32.01, 159.99)),
                rng.randint(2**96 - 2**80, 2**96 + 2**80),
                get_sqrt_ratio_at_tick(rng.randint(MIN_TICK + 2, MAX_TICK - 1))
                + rng.randint(-1, 1),
            ]
        )
        for _ in range(n)
    ]


def _tickmath_probes(rng: random.Random, n: int) -> list[int]:
    ticks = [MIN_TICK + 1, MAX_TICK - 1, 0, 1, -1, 51200, -51200, 887200, -887200]
    ticks += [rng.randint(MIN_TICK + 1, MAX_TICK - 1) for _ in range(n)]
    ticks += [rng.randint(-1000, 1000) for _ in range(n // 4)]
    return ticks


def test_harness_tickmath_matches_chain(v3: V3Deployment) -> None:
    """tests/uniswap/tickmath.py is the chain's TickMath: a pool with no liquidity moved to
    S(t) reports tick t and moved to S(t) - 1 reports t - 1, so S(t) is exactly the contract's."""
    drv = v3.fresh_pool(10000)
    drv.initialize(2**96)
    rng = _rng("harness-tickmath")
    ticks = _tickmath_probes(rng, 20)
    probes = [e for t in ticks for e in _tick_edges(t, get_sqrt_ratio_at_tick(t))]
    probes += [(x, get_tick_at_sqrt_ratio(x)) for x in _random_prices(rng, 16)]
    oracle = _TickOracle(drv)
    for price, tick in sorted(probes):
        assert oracle.tick_at(price) == tick, (price, tick)
    # the range ends: initialize accepts [MIN_SQRT_RATIO, MAX_SQRT_RATIO) only ("R")
    for price, ok in [
        (MIN_SQRT_RATIO - 1, False),
        (MIN_SQRT_RATIO, True),
        (MAX_SQRT_RATIO - 1, True),
        (MAX_SQRT_RATIO, False),
    ]:
        fresh = v3.fresh_pool(500)
        if ok:
            fresh.initialize(price)
            assert fresh.slot0()[:2] == (price, get_tick_at_sqrt_ratio(price))
        else:
            with pytest.raises(Reverted, match=r"^R$"):
                fresh.initialize(price)


def test_harness_scenarios_bookkeeping(v3: V3Deployment) -> None:
    """The random pools and swaps run on-chain, the classifier's liquidity bookkeeping holds,
    and every planned reverting swap reverts with the reason planned."""
    rng = _rng("harness-scenarios")
    coverage = Coverage()
    for plan in pool_plans(rng, 4):
        drv, state = _setup(v3, plan)
        for step in range(6):
            for rp in reverting_swaps(rng, state) if step % 3 == 0 else []:
                assert (
                    drv.swap_reverts(rp.zero_for_one, rp.amount_specified, rp.chain_limit)
                    == rp.reason
                )
                coverage.add_revert(rp.kind)
            sp = random_swap(rng, state, plan.fee, plan.spacing, 16)
            out = drv.swap(sp.zero_for_one, sp.amount_specified, sp.chain_limit)
            assert (out.slot0_sqrt_price_x96, out.slot0_tick, out.liquidity) == (
                out.event.sqrt_price_x96,
                out.event.tick,
                out.event.liquidity,
            )
            tags, _ = classify(sp, state, out.event, plan.fee, plan.spacing)
            coverage.add(tags)
            state = state.with_after(out.event)
    print(f"seed={SEED} harness coverage: {coverage.report()}")
    assert coverage.counts["swaps"] == 24
    assert coverage.counts["tick_crossed"] > 0


# ----------------------------------------------------------------------------------------------
# the kernel against the chain


@dataclass
class Mismatch:
    where: str
    state: PoolState
    fee: int
    spacing: int
    call: str
    chain: Any
    kernel: Any

    def __str__(self) -> str:
        ticks = dict(sorted(self.state.ticks.items()))
        return (
            f"{self.where}\n  pool = amm.V3Pool({self.state.sqrt_price_x96}, {self.state.tick}, "
            f"{self.state.liquidity}, {self.fee}, {self.spacing}, {ticks})\n"
            f"  pool.{self.call}\n  chain:  {self.chain}\n  kernel: {self.kernel}"
        )


def _kernel_pool(amm: ModuleType, state: PoolState, fee: int, spacing: int) -> Any:
    return amm.V3Pool(
        state.sqrt_price_x96, state.tick, state.liquidity, fee, spacing, dict(state.ticks)
    )


def _result_fields(r: Any) -> dict[str, Any]:
    return {
        "amount0": r.amount0,
        "amount1": r.amount1,
        "sqrt_price_x96": r.sqrt_price_x96,
        "tick": r.tick,
        "liquidity": r.liquidity,
    }


def _crossed_matches(value: Any, crossed: list[int]) -> bool:
    """ticks_crossed as a count, or as the crossed ticks in crossing order."""
    if isinstance(value, int):
        return value == len(crossed)
    return list(value) == crossed


def _outcome_fields(out: SwapOutcome) -> dict[str, Any]:
    ev = out.event
    return {
        "amount0": ev.amount0,
        "amount1": ev.amount1,
        "sqrt_price_x96": ev.sqrt_price_x96,
        "tick": ev.tick,
        "liquidity": ev.liquidity,
    }


def _quote_amounts(
    rng: random.Random, state: PoolState, zero_for_one: bool, fee: int, spacing: int
) -> list[int]:
    """Exact-input amounts whose default-limit swap stays within the walking budget."""
    reach = BUDGET_WORDS * 256 * spacing - 2 * 256 * spacing
    amounts = []
    for _ in range(12):
        a = rng.choice([rng.randint(1, 1000), int(2 ** rng.uniform(0, 130))])
        end = predict_end_tick(state, zero_for_one, a + a // 10**6 + 2, fee)
        if end is not None and abs(end - state.tick) <= reach:
            amounts.append(a)
        if len(amounts) == 4:
            break
    return amounts


def _run_pool(
    amm: ModuleType,
    errors: ModuleType,
    v3: V3Deployment,
    plan: PoolPlan,
    index: int,
    coverage: Coverage,
    mismatches: list[Mismatch],
) -> None:
    rng = _rng(f"pool-{index}-swaps")
    drv, state = _setup(v3, plan)
    pool = _kernel_pool(amm, state, plan.fee, plan.spacing)
    where = f"seed={SEED} pool #{index} ({plan.profile}, fee {plan.fee})"

    def mismatch(step: str, call: str, chain: Any, kernel: Any, at: PoolState) -> None:
        mismatches.append(
            Mismatch(f"{where} {step}", at, plan.fee, plan.spacing, call, chain, kernel)
        )

    for step in range(SWAPS_PER_POOL):
        # inputs the pool refuses in this state
        if rng.random() < 0.2:
            for rp in reverting_swaps(rng, state):
                reason = drv.swap_reverts(rp.zero_for_one, rp.amount_specified, rp.chain_limit)
                assert reason == rp.reason, f"{where}: harness expected {rp} to revert"
                call = f"swap({rp.zero_for_one}, {rp.amount_specified}, {rp.limit})"
                try:
                    got = pool.swap(rp.zero_for_one, rp.amount_specified, rp.limit)
                except errors.AmmRevertError:
                    coverage.add_revert(rp.kind)
                except Exception as exc:
                    mismatch(
                        f"step {step}",
                        call,
                        f"revert {reason!r}",
                        f"{type(exc).__name__}: {exc}",
                        state,
                    )
                else:
                    mismatch(f"step {step}", call, f"revert {reason!r}", _result_fields(got), state)

        # exact-input quotes, compared with eth_call swaps (nothing changes)
        if rng.random() < 0.15:
            z = rng.random() < 0.5
            if state.sqrt_price_x96 <= MIN_SQRT_RATIO + 1:
                z = False  # no price left below: a swap down can only revert
            elif state.sqrt_price_x96 >= MAX_SQRT_RATIO - 1:
                z = True
            amounts = _quote_amounts(rng, state, z, plan.fee, plan.spacing)
            if amounts:
                on_chain = []
                for a in amounts:
                    amount0, amount1 = drv.swap_call(z, a, default_limit(z))
                    on_chain.append(-(amount1 if z else amount0))
                try:
                    quoted = list(pool.quote_many(z, amounts))
                except Exception as exc:
                    quoted = [f"{type(exc).__name__}: {exc}"]
                if quoted != on_chain:
                    mismatch(f"step {step}", f"quote_many({z}, {amounts})", on_chain, quoted, state)
                coverage.counts["quote_many_amounts"] += len(amounts)

        # one swap, off-chain then on-chain
        sp = random_swap(rng, state, plan.fee, plan.spacing, BUDGET_WORDS)
        call = sp.args()
        try:
            result: Any = pool.swap(sp.zero_for_one, sp.amount_specified, sp.limit)
            kernel_error: BaseException | None = None
        except Exception as exc:
            result, kernel_error = None, exc
        try:
            out = drv.swap(sp.zero_for_one, sp.amount_specified, sp.chain_limit)
        except Reverted as exc:
            if isinstance(kernel_error, errors.AmmRevertError):
                coverage.add_revert("other")
            else:
                shown = _result_fields(result) if result is not None else repr(kernel_error)
                mismatch(f"step {step}", call, f"revert {exc.reason!r}", shown, state)
            continue
        tags, crossed = classify(sp, state, out.event, plan.fee, plan.spacing)
        coverage.add(tags)
        expected = _outcome_fields(out)
        if result is None:
            mismatch(
                f"step {step}",
                call,
                expected,
                f"{type(kernel_error).__name__}: {kernel_error}",
                state,
            )
        else:
            got = _result_fields(result)
            if got != expected or not _crossed_matches(result.ticks_crossed, crossed):
                mismatch(
                    f"step {step}",
                    call,
                    {**expected, "ticks_crossed": crossed},
                    {**got, "ticks_crossed": result.ticks_crossed},
                    state,
                )
        after = state.with_after(out.event)
        if result is not None and _result_fields(result) == expected:
            pool.apply(result)
            for name, value in (
                ("sqrt_price_x96", after.sqrt_price_x96),
                ("tick", after.tick),
                ("liquidity", after.liquidity),
            ):
                if getattr(pool, name) != value:
                    mismatch(
                        f"step {step} (after apply)",
                        f"apply(...).{name}",
                        value,
                        getattr(pool, name),
                        state,
                    )
        else:
            pool = _kernel_pool(amm, after, plan.fee, plan.spacing)  # go on from the chain's state
        state = after
        if len(mismatches) >= MAX_MISMATCHES:
            return


def test_swaps_match_chain(amm: ModuleType, errors: ModuleType, v3: V3Deployment) -> None:
    print(f"seed={SEED} (replay with ZIPPIFI_TEST_SEED={SEED}); long={LONG}")
    started = time.monotonic()
    coverage = Coverage()
    mismatches: list[Mismatch] = []
    for index, plan in enumerate(pool_plans(_rng("pools"), N_POOLS)):
        _run_pool(amm, errors, v3, plan, index, coverage, mismatches)
        if LONG and index % 20 == 19:
            took = time.monotonic() - started
            print(f"{index + 1} pools, {took:.0f}s, {len(mismatches)} mismatches", flush=True)
        if len(mismatches) >= MAX_MISMATCHES:
            break
    elapsed = time.monotonic() - started
    print(f"{elapsed:.0f}s coverage: {coverage.report()}")
    assert not mismatches, f"{len(mismatches)} mismatch(es), seed={SEED}:\n" + "\n".join(
        str(m) for m in mismatches
    )
    thin = coverage.missing(pool_minimums(N_POOLS * SWAPS_PER_POOL))
    assert not thin, f"coverage too thin (have, need), seed={SEED}: {thin}\n{coverage.report()}"


def test_tickmath_matches_chain(amm: ModuleType, errors: ModuleType, v3: V3Deployment) -> None:
    """get_sqrt_ratio_at_tick / get_tick_at_sqrt_ratio against a zero-liquidity pool, which
    reports TickMath's tick for any price a swap moves it to; the constants against initialize."""
    assert (amm.MIN_TICK, amm.MAX_TICK) == (MIN_TICK, MAX_TICK)
    assert (amm.MIN_SQRT_RATIO, amm.MAX_SQRT_RATIO) == (MIN_SQRT_RATIO, MAX_SQRT_RATIO)
    assert amm.get_sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO
    assert amm.get_sqrt_ratio_at_tick(MAX_TICK) == MAX_SQRT_RATIO
    drv = v3.fresh_pool(10000)
    drv.initialize(2**96)
    rng = _rng("tickmath")
    # S(t) is exactly where the chain's tick turns from t - 1 to t; and any price's tick
    probes: list[tuple[int, int, str]] = []
    for t in _tickmath_probes(rng, 50):
        s = amm.get_sqrt_ratio_at_tick(t)
        probes += [(p, tt, f"get_sqrt_ratio_at_tick({t}) = {s}") for p, tt in _tick_edges(t, s)]
    for x in _random_prices(rng, 60):
        probes.append((x, amm.get_tick_at_sqrt_ratio(x), f"get_tick_at_sqrt_ratio({x})"))
    oracle = _TickOracle(drv)
    for price, tick, what in sorted(probes):
        chain_tick = oracle.tick_at(price)
        assert chain_tick == tick, f"seed={SEED} {what}: kernel tick {tick}, chain {chain_tick}"
    for bad_tick in (MIN_TICK - 1, MAX_TICK + 1):
        with pytest.raises((errors.AmmRevertError, errors.InvalidAmmInputError)):
            amm.get_sqrt_ratio_at_tick(bad_tick)
    for bad_price in (MIN_SQRT_RATIO - 1, MAX_SQRT_RATIO, 0):
        with pytest.raises((errors.AmmRevertError, errors.InvalidAmmInputError)):
            amm.get_tick_at_sqrt_ratio(bad_price)


def test_malformed_swap_inputs(amm: ModuleType, errors: ModuleType) -> None:
    """Values no transaction can carry (outside int256 / uint160) are bad input, not reverts."""
    pool = amm.V3Pool(2**96, 0, 10**18, 3000, 60, {-60: 10**18, 60: -(10**18)})
    for zero_for_one, amount, limit in [
        (True, 2**255, None),
        (True, -(2**255) - 1, None),
        (False, 10, 2**160),
        (True, 10, -1),
    ]:
        with pytest.raises(errors.InvalidAmmInputError):
            pool.swap(zero_for_one, amount, limit)


def test_fee_tiers_are_the_factory_defaults(v3: V3Deployment) -> None:
    """The harness's fee -> tick spacing table is the factory's (100 enabled like mainnet)."""
    for fee, spacing in FEE_TIERS.items():
        assert v3.chain.call(v3.factory.functions.feeAmountTickSpacing(fee)) == spacing
