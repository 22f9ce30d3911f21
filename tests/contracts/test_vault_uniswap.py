"""The vault trading through the real Uniswap contracts (the npm packages' own artifacts):
V2's Router02 over a V2 pair, and V3 through ZippiV3SwapRouter (our adapter) over a V3 pool.
The vault's measured output must equal what the Uniswap contracts say they paid (Router02's
getAmountsOut, the V3 pool's Swap event), the approval must be back at 0, and the vault's
rules (oracle bound, recipient) must hold there as on our own pair."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from web3.contract import Contract
from web3.logs import DISCARD

from tests.contracts.harness import VaultEnv, expect_revert, v2_out
from tests.uniswap.artifacts import HarnessUnavailableError, helper_artifact, uniswap_artifact
from tests.uniswap.chain import Chain
from zippifi.chain import ActionKind, v2_swap_calldata, v3_swap_calldata
from zippifi.chain.artifacts import load

ETH = 10**18
NO_WETH = "0x000000000000000000000000000000000000dEaD"  # Router02's token swaps never use it
V3_FEE = 3000
V3_SPACING = 60
MAX_TICK = 887272


@dataclass
class Uniswap:
    env: VaultEnv
    v2_router: Contract
    v2_pair: Contract
    v3_pool: Contract
    v3_router: Contract


def _deploy(env: VaultEnv, name: str, *args: Any) -> Contract:
    art = uniswap_artifact(name) if name.startswith("Uniswap") else helper_artifact(name)
    factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    tx = factory.constructor(*args).transact({"from": env.deployer, "gas": 15_000_000})
    receipt = env.w3.eth.wait_for_transaction_receipt(tx)
    return env.w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)


def _setup(env: VaultEnv) -> Uniswap:
    weth, usdc = env.weth, env.usdc
    # V2: the factory's pair, reserves 10,000 WETH / 30,000,000 USDC minted straight into it
    factory = _deploy(env, "UniswapV2Factory", env.deployer)
    router = _deploy(env, "UniswapV2Router02", factory.address, NO_WETH)
    env.send(factory.functions.createPair(weth.address, usdc.address))
    pair = env.w3.eth.contract(
        address=factory.functions.getPair(weth.address, usdc.address).call(),
        abi=uniswap_artifact("UniswapV2Pair").abi,
    )
    env.mint(weth, pair.address, 10_000 * ETH)
    env.mint(usdc, pair.address, 30_000_000 * 10**6)
    env.send(pair.functions.mint(env.deployer))
    # V3: a 0.3% pool at $3,000 with full-range liquidity (~1,000 WETH), minted by the V3Callee
    # test helper; ZippiV3SwapRouter finds pools through this factory
    v3_factory = _deploy(env, "UniswapV3Factory")
    env.send(v3_factory.functions.createPool(weth.address, usdc.address, V3_FEE))
    pool = env.w3.eth.contract(
        address=v3_factory.functions.getPool(weth.address, usdc.address, V3_FEE).call(),
        abi=uniswap_artifact("UniswapV3Pool").abi,
    )
    weth_is_token0 = int(weth.address, 16) < int(usdc.address, 16)
    price_1_per_0 = (3000 * 10**6) / ETH if weth_is_token0 else ETH / (3000 * 10**6)
    env.send(pool.functions.initialize(int(math.sqrt(price_1_per_0) * 2**96)))
    callee = _deploy(env, "V3Callee")
    env.mint(weth, callee.address, 10_000 * ETH)
    env.mint(usdc, callee.address, 30_000_000 * 10**6)
    top = MAX_TICK // V3_SPACING * V3_SPACING
    env.send(callee.functions.mint(pool.address, -top, top, 5 * 10**16))
    v3_router = env.deploy("ZippiV3SwapRouter", v3_factory.address)
    for target in (router.address, v3_router.address):
        env.admin(ActionKind.SET_TARGET, target, True)
    return Uniswap(env, router, pair, pool, v3_router)


@pytest.fixture(scope="module")
def _uni_deployed() -> tuple[Uniswap, list[Any]]:
    try:
        uniswap_artifact("UniswapV2Factory")
        helper_artifact("V3Callee")
    except HarnessUnavailableError as exc:
        pytest.skip(str(exc))
    uni = _setup(VaultEnv(Chain.in_process()))
    return uni, [uni.env.chain.snapshot()]


@pytest.fixture
def uni(_uni_deployed: tuple[Uniswap, list[Any]]) -> Iterator[Uniswap]:
    deployed, snapshot = _uni_deployed
    yield deployed
    deployed.env.chain.revert(snapshot[0])
    snapshot[0] = deployed.env.chain.snapshot()


def _swap(uni: Uniswap, target: str, data: bytes, amount: int, min_out: int | None = None) -> Any:
    env = uni.env
    if min_out is None:
        min_out = env.bound(env.weth, env.usdc, amount)[1]
    return env.swap(env.weth, env.usdc, amount, min_out=min_out, target=target, data=data)


def test_v2_router02(uni: Uniswap) -> None:
    env = uni.env
    path = [env.weth.address, env.usdc.address]
    quoted = uni.v2_router.functions.getAmountsOut(5 * ETH, path).call()[-1]
    r_weth, r_usdc = (int(x) for x in uni.v2_pair.functions.getReserves().call()[:2])
    if int(env.weth.address, 16) > int(env.usdc.address, 16):
        r_weth, r_usdc = r_usdc, r_weth
    assert quoted == v2_out(5 * ETH, r_weth, r_usdc)
    weth0, usdc0 = env.balance(env.weth), env.balance(env.usdc)
    data = v2_swap_calldata(5 * ETH, 0, path, env.vault.address, 2**64)
    receipt = _swap(uni, uni.v2_router.address, data, 5 * ETH)
    assert env.balance(env.weth) == weth0 - 5 * ETH
    assert env.balance(env.usdc) == usdc0 + quoted
    (event,) = env.vault.events.Swapped().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["amountOut"] == quoted
    allowance = env.weth.contract.functions.allowance(env.vault.address, uni.v2_router.address)
    assert allowance.call() == 0


def test_v2_rules_hold(uni: Uniswap) -> None:
    env = uni.env
    path = [env.weth.address, env.usdc.address]
    _, bound = env.bound(env.weth, env.usdc, 5 * ETH)
    elsewhere = v2_swap_calldata(5 * ETH, 0, path, env.stranger, 2**64)
    args = expect_revert(
        "InsufficientOutput", _swap, uni, uni.v2_router.address, elsewhere, 5 * ETH
    )
    assert args == {"received": 0, "minOut": bound}
    data = v2_swap_calldata(5 * ETH, 0, path, env.vault.address, 2**64)
    expect_revert("MinOutBelowOracleBound", _swap, uni, uni.v2_router.address, data, 5 * ETH, 1)
    # Router02's own revert comes back inside SwapCallFailed
    expired = v2_swap_calldata(5 * ETH, 0, path, env.vault.address, 1)
    args = expect_revert("SwapCallFailed", _swap, uni, uni.v2_router.address, expired, 5 * ETH)
    assert args["target"] == uni.v2_router.address
    assert b"UniswapV2Router: EXPIRED" in args["reason"]


def test_v3_through_our_adapter(uni: Uniswap) -> None:
    env = uni.env
    weth0, usdc0 = env.balance(env.weth), env.balance(env.usdc)
    data = v3_swap_calldata(
        env.weth.address, env.usdc.address, V3_FEE, 2 * ETH, 0, env.vault.address, 2**64
    )
    receipt = _swap(uni, uni.v3_router.address, data, 2 * ETH)
    (swap,) = uni.v3_pool.events.Swap().process_receipt(receipt, errors=DISCARD)
    weth_is_token0 = int(env.weth.address, 16) < int(env.usdc.address, 16)
    paid_in = swap["args"]["amount0"] if weth_is_token0 else swap["args"]["amount1"]
    paid_out = -(swap["args"]["amount1"] if weth_is_token0 else swap["args"]["amount0"])
    assert paid_in == 2 * ETH
    assert swap["args"]["recipient"] == env.vault.address
    assert env.balance(env.weth) == weth0 - 2 * ETH
    assert env.balance(env.usdc) == usdc0 + paid_out
    # ~$3,000 less the 0.3% fee and a little impact, and above the vault's 1% oracle bound
    assert env.bound(env.weth, env.usdc, 2 * ETH)[1] <= paid_out < 6000 * 10**6
    (event,) = env.vault.events.Swapped().process_receipt(receipt, errors=DISCARD)
    assert (event["args"]["amountIn"], event["args"]["amountOut"]) == (2 * ETH, paid_out)
    allowance = env.weth.contract.functions.allowance(env.vault.address, uni.v3_router.address)
    assert allowance.call() == 0
    # and back: USDC -> WETH through the same pool
    weth1 = env.balance(env.weth)
    back = v3_swap_calldata(
        env.usdc.address, env.weth.address, V3_FEE, 3000 * 10**6, 0, env.vault.address, 2**64
    )
    min_out = env.bound(env.usdc, env.weth, 3000 * 10**6)[1]
    env.swap(
        env.usdc, env.weth, 3000 * 10**6, min_out=min_out, target=uni.v3_router.address, data=back
    )
    assert env.balance(env.weth) > weth1 + min_out - 1


def test_v3_adapter_refuses_strangers_and_unknown_pools(uni: Uniswap) -> None:
    env = uni.env
    callback = uni.v3_router.functions.uniswapV3SwapCallback(1, 0, b"")
    args = expect_revert("UnexpectedCallback", env.send, callback, env.stranger)
    assert args == {"caller": env.stranger}
    # no pool in the 0.05% tier: the adapter's NoPool, carried by the vault's SwapCallFailed
    data = v3_swap_calldata(
        env.weth.address, env.usdc.address, 500, ETH, 0, env.vault.address, 2**64
    )
    args = expect_revert("SwapCallFailed", _swap, uni, uni.v3_router.address, data, ETH)
    inner = load("ZippiV3SwapRouter").decode_error(args["reason"])
    assert inner is not None
    assert inner.name == "NoPool"
    assert inner.args == {"tokenIn": env.weth.address, "tokenOut": env.usdc.address, "fee": 500}
    # output elsewhere is not output
    elsewhere = v3_swap_calldata(
        env.weth.address, env.usdc.address, V3_FEE, ETH, 0, env.stranger, 2**64
    )
    expect_revert("InsufficientOutput", _swap, uni, uni.v3_router.address, elsewhere, ETH)
