"""The demo pieces the vault and the embedded demo trade on: ZippiPriceFeed behaves as a
Chainlink AggregatorV3 feed (rounds, history, no data), and ZippiRouter/ZippiPair price exactly
as Uniswap V2 does — checked against the real Router02 (npm artifact) for random reserves and
amounts, and the pair pays that output and not one unit more."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.contracts.harness import ETH_USD, VaultEnv, expect_revert
from tests.uniswap.artifacts import HarnessUnavailableError, uniswap_artifact

NO_WETH = "0x000000000000000000000000000000000000dEaD"


def test_price_feed_rounds(env: VaultEnv) -> None:
    feed = env.weth.feed
    assert feed is not None
    assert feed.functions.decimals().call() == 8
    assert feed.functions.description().call() == "WETH / USD"
    assert feed.functions.version().call() == 4
    first = feed.functions.latestRoundData().call()
    assert first[0] == 1
    assert first[1] == ETH_USD
    t1 = env.next_time()
    env.set_price(env.weth, 3100 * 10**8)
    env.set_price(env.weth, 2900 * 10**8, updated_at=t1 - 100)
    assert feed.functions.latestRoundData().call() == [3, 2900 * 10**8, t1 - 100, t1 - 100, 3]
    # history stays readable by round id
    assert feed.functions.getRoundData(2).call() == [2, 3100 * 10**8, t1, t1, 2]
    assert feed.functions.getRoundData(1).call() == first
    args = expect_revert("NoDataPresent", env.call, feed.functions.getRoundData(4))
    assert args == {"roundId": 4}
    expect_revert("NoDataPresent", env.call, feed.functions.getRoundData(0))
    # only the owner posts, and never in the future
    args = expect_revert(
        "OwnableUnauthorizedAccount", env.send, feed.functions.updateAnswer(1), env.agent
    )
    assert args == {"account": env.agent}
    now = env.next_time()
    args = expect_revert("FutureTimestamp", env.send, feed.functions.updateAnswerAt(1, now + 1))
    assert args == {"updatedAt": now + 1, "blockTimestamp": now}


@pytest.fixture(scope="module")
def router02(deployed: tuple[VaultEnv, list[Any]]) -> Any:
    env, snapshot = deployed
    try:
        art = uniswap_artifact("UniswapV2Router02")
        factory_art = uniswap_artifact("UniswapV2Factory")
    except HarnessUnavailableError as exc:
        pytest.skip(str(exc))
    w3 = env.w3
    deployer = {"from": env.deployer, "gas": 10_000_000}
    tx = (
        w3.eth.contract(abi=factory_art.abi, bytecode=factory_art.bytecode)
        .constructor(env.deployer)
        .transact(deployer)
    )
    factory = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    tx = (
        w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        .constructor(factory, NO_WETH)
        .transact(deployer)
    )
    address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    snapshot[0] = env.chain.snapshot()  # later tests start with Router02 deployed
    return w3.eth.contract(address=address, abi=art.abi)


RESERVE = st.integers(1_000, 2**112 - 1)


@settings(max_examples=60)
@given(amount_in=st.integers(1, 2**100), reserve_in=RESERVE, reserve_out=RESERVE)
def test_router_quotes_as_uniswap_v2(
    router02: Any,
    deployed: tuple[VaultEnv, list[Any]],
    amount_in: int,
    reserve_in: int,
    reserve_out: int,
) -> None:
    env, _ = deployed
    ours = env.router.functions.getAmountOut(amount_in, reserve_in, reserve_out).call()
    theirs = router02.functions.getAmountOut(amount_in, reserve_in, reserve_out).call()
    assert ours == theirs


@settings(max_examples=15)
@given(weth_in=st.integers(10**9, 10**22), forward=st.booleans())
def test_pair_pays_the_quote_and_not_one_more(
    deployed: tuple[VaultEnv, list[Any]], weth_in: int, forward: bool
) -> None:
    env, snapshot = deployed
    try:
        a, b = (env.weth, env.usdc) if forward else (env.usdc, env.weth)
        amount = weth_in if forward else weth_in // 10**9  # USDC has 6 decimals
        pair = env.pairs[(a.symbol, b.symbol)]
        r_in, r_out = env.reserves(a, b)
        out = env.router.functions.getAmountOut(amount, r_in, r_out).call()
        a_is_token0 = int(a.address, 16) < int(b.address, 16)
        env.mint(a, pair.address, amount)
        for extra in (1, 0):
            outs = (0, out + extra) if a_is_token0 else (out + extra, 0)
            swap = pair.functions.swap(*outs, env.stranger)
            if extra:
                expect_revert("ConstantProductViolated", env.send, swap)
            else:
                env.send(swap)
        assert env.balance(b, env.stranger) == out
        assert env.reserves(a, b) == (r_in + amount, r_out - out)
    finally:
        env.chain.revert(snapshot[0])
        snapshot[0] = env.chain.snapshot()


def test_liquidity_round_trip(env: VaultEnv) -> None:
    pair = env.pairs[("DAI", "USDC")]
    supply = pair.functions.totalSupply().call()
    shares = pair.functions.balanceOf(env.deployer).call()
    assert shares + 1000 == supply  # the first MINIMUM_LIQUIDITY shares are locked
    r_dai, r_usdc = env.reserves(env.dai, env.usdc)
    env.send(pair.functions.transfer(pair.address, shares // 2))
    env.send(pair.functions.burn(env.stranger))
    assert env.balance(env.dai, env.stranger) == shares // 2 * r_dai // supply
    assert env.balance(env.usdc, env.stranger) == shares // 2 * r_usdc // supply
    args = expect_revert(
        "PairExists", env.send, env.router.functions.createPair(env.usdc.address, env.dai.address)
    )
    assert args == {"pair": pair.address}
