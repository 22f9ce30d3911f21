"""Gas of ZippiVault's main actions on the in-process EVM (py-evm, Cancun): deployment, an
agent's swap through our pair, through Uniswap V2's Router02 and through a Uniswap V3 pool (via
ZippiV3SwapRouter), the same V2/V3 swaps sent straight from an EOA (the peer: what the vault's
checks add), owners' actions with 2 and 3 signatures, a guardian pause and an emergency
withdrawal. Every round starts from the same snapshot, so each action's gas must be the same in
every round (checked); ``extra_info`` carries suite "vault_gas", the action, its gas and the
peer it compares with. The timings are py-evm's, for reference only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from web3.types import TxReceipt

from bench.conftest import ROUNDS
from tests.contracts.harness import VaultEnv
from tests.contracts.test_vault_uniswap import V3_FEE, Uniswap, _setup
from tests.uniswap.artifacts import HarnessUnavailableError, helper_artifact, uniswap_artifact
from tests.uniswap.chain import Chain
from zippifi.chain import ActionKind, v2_swap_calldata, v3_swap_calldata
from zippifi.chain.artifacts import load

ETH = 10**18
AMOUNT = 2 * ETH
# a fixed deadline: the same message every round, so the same signatures (RFC 6979) and the
# same calldata gas (zero bytes are cheaper than others)
DEADLINE = 2**40


@pytest.fixture(scope="module")
def uni() -> tuple[Uniswap, list[Any]]:
    try:
        uniswap_artifact("UniswapV2Factory")
        helper_artifact("V3Callee")
    except HarnessUnavailableError as exc:
        pytest.skip(str(exc))
    uni = _setup(VaultEnv(Chain.in_process()))
    env = uni.env
    # the EOA peer holds WETH and has approved both routers once, as a trader would have
    env.mint(env.weth, env.deployer, 100 * ETH)
    env.mint(env.usdc, env.deployer, 10**6)  # holds USDC already, as the vault does
    for router in (uni.v2_router, uni.v3_router):
        env.send(env.weth.contract.functions.approve(router.address, 2**256 - 1))
    return uni, [env.chain.snapshot()]


def _measure(
    benchmark: Any,
    deployed: tuple[Uniswap, list[Any]],
    action: str,
    send: Callable[[VaultEnv], TxReceipt],
    peer: str | None = None,
) -> None:
    uni, snapshot = deployed
    env = uni.env
    gases: list[int] = []

    def fresh() -> tuple[tuple[()], dict[str, Any]]:
        env.chain.revert(snapshot[0])
        snapshot[0] = env.chain.snapshot()
        return (), {}

    def run() -> None:
        gases.append(int(send(env)["gasUsed"]))

    benchmark.pedantic(run, setup=fresh, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    fresh()
    assert len(set(gases)) == 1, f"{action}: gas differs between identical rounds: {gases}"
    benchmark.extra_info.update(
        {"suite": "vault_gas", "action": action, "gas": gases[0], "peer": peer}
    )


def _v2_data(env: VaultEnv, to: str) -> bytes:
    return v2_swap_calldata(AMOUNT, 0, [env.weth.address, env.usdc.address], to, 2**64)


def _v3_data(env: VaultEnv, to: str) -> bytes:
    return v3_swap_calldata(env.weth.address, env.usdc.address, V3_FEE, AMOUNT, 0, to, 2**64)


def test_gas_deploy_vault(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    def deploy(env: VaultEnv) -> TxReceipt:
        art = load("ZippiVault")
        factory = env.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        owners = [s.address for s in env.owners]
        tx = factory.constructor(owners, 2, env.guardian, 100).transact(
            {"from": env.deployer, "gas": 15_000_000}
        )
        return env.w3.eth.wait_for_transaction_receipt(tx)

    _measure(benchmark, uni, "deploy ZippiVault (3 owners, threshold 2)", deploy)


def test_gas_swap_our_pair(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    _measure(
        benchmark,
        uni,
        "agent swap via ZippiRouter (our pair)",
        lambda env: env.swap(env.weth, env.usdc, AMOUNT, deadline=DEADLINE),
    )


def test_gas_swap_v2(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    def swap(env: VaultEnv) -> TxReceipt:
        u = uni[0]
        data = _v2_data(env, env.vault.address)
        return env.swap(
            env.weth, env.usdc, AMOUNT, target=u.v2_router.address, data=data, deadline=DEADLINE
        )

    _measure(benchmark, uni, "agent swap via Uniswap V2 Router02", swap, "eoa_v2")


def test_gas_eoa_v2(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    def swap(env: VaultEnv) -> TxReceipt:
        tx = {"from": env.deployer, "to": uni[0].v2_router.address, "gas": 1_000_000}
        tx_hash = env.w3.eth.send_transaction({**tx, "data": _v2_data(env, env.deployer)})
        return env.w3.eth.wait_for_transaction_receipt(tx_hash)

    _measure(benchmark, uni, "EOA swap via Uniswap V2 Router02 (peer)", swap)


def test_gas_swap_v3(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    def swap(env: VaultEnv) -> TxReceipt:
        u = uni[0]
        data = _v3_data(env, env.vault.address)
        return env.swap(
            env.weth, env.usdc, AMOUNT, target=u.v3_router.address, data=data, deadline=DEADLINE
        )

    _measure(benchmark, uni, "agent swap via Uniswap V3 (ZippiV3SwapRouter)", swap, "eoa_v3")


def test_gas_eoa_v3(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    def swap(env: VaultEnv) -> TxReceipt:
        tx = {"from": env.deployer, "to": uni[0].v3_router.address, "gas": 1_000_000}
        tx_hash = env.w3.eth.send_transaction({**tx, "data": _v3_data(env, env.deployer)})
        return env.w3.eth.wait_for_transaction_receipt(tx_hash)

    _measure(benchmark, uni, "EOA swap via Uniswap V3 (ZippiV3SwapRouter, peer)", swap)


@pytest.mark.parametrize("n_signatures", [2, 3])
def test_gas_admin_action(
    benchmark: Any, uni: tuple[Uniswap, list[Any]], n_signatures: int
) -> None:
    def admin(env: VaultEnv) -> TxReceipt:
        act = env.make_action(ActionKind.SET_AGENT, env.stranger, True, deadline=DEADLINE)
        return env.execute(act, env.signatures(act, env.owners[:n_signatures]))

    _measure(benchmark, uni, f"owners' action (SetAgent), {n_signatures} signatures", admin)


def test_gas_pause(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    _measure(
        benchmark,
        uni,
        "guardian pause",
        lambda env: env.send(env.vault.functions.pause(), env.guardian),
    )


def test_gas_emergency_withdraw(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    def withdraw(env: VaultEnv) -> TxReceipt:
        amount = env.balance(env.weth)
        act = env.make_action(
            ActionKind.WITHDRAW, env.weth.address, env.stranger, amount, deadline=DEADLINE
        )
        return env.execute(act, env.signatures(act))

    _measure(benchmark, uni, "emergency withdraw (ERC20, 2 signatures)", withdraw)
