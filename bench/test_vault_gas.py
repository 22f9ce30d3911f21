"""Gas of ZippiVault's main actions on the in-process EVM (py-evm, Cancun): deployment
(implementation, and a vault: proxy + initialize), an agent's swap through our pair, through
Uniswap V2's Router02 and through a Uniswap V3 pool (via ZippiV3SwapRouter), the same swaps
through ZippiRouteExecutor calling the pair and the pool directly, a batch of four such swaps
in one transaction, the same V2/V3 swaps sent straight from an EOA (the peer: what the vault's
checks add; for the batch, four EOA transactions), owners' actions with 2 and 3 signatures, a
guardian pause and an emergency withdrawal. The vault's rolling windows are primed
(``primeWindow``) except in the row that says otherwise. Every round starts from the same
snapshot, so each action's gas must be the same in every round (checked); ``extra_info``
carries suite "vault_gas", the action, its gas, how many swaps it makes and the peer it
compares with. The timings are py-evm's, for reference only."""

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
from zippifi.chain import (
    ActionKind,
    ExecutorLeg,
    ExecutorPath,
    ExecutorPlan,
    LegKind,
    VaultSwap,
    deploy_vault,
    swap_batch_calldata,
    swap_exact_in_calldata,
    v2_swap_calldata,
    v3_swap_calldata,
)
from zippifi.chain.artifacts import load

ETH = 10**18
AMOUNT = 2 * ETH
# a fixed deadline: the same message every round, so the same signatures (RFC 6979) and the
# same calldata gas (zero bytes are cheaper than others)
DEADLINE = 2**40


_STATE: dict[str, Any] = {}


def _deployed() -> tuple[Uniswap, list[Any], list[Any]]:
    """One deployment for the module: the snapshot with the windows primed, and one before."""
    if "uni" not in _STATE:
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
        executor = env.deploy("ZippiRouteExecutor")
        env.admin(ActionKind.SET_EXECUTOR, executor.address, True)
        _STATE["executor"] = executor.address
        unprimed = [env.chain.snapshot()]
        for token in (env.weth, env.usdc):
            env.send(env.vault.functions.primeWindow(token.address))
        _STATE["uni"] = (uni, [env.chain.snapshot()], unprimed)
    uni, primed, unprimed = _STATE["uni"]
    return uni, primed, unprimed


@pytest.fixture(scope="module")
def uni() -> tuple[Uniswap, list[Any]]:
    deployed, primed, _ = _deployed()
    return deployed, primed


@pytest.fixture(scope="module")
def uni_unprimed() -> tuple[Uniswap, list[Any]]:
    deployed, _, unprimed = _deployed()
    return deployed, unprimed


def _measure(
    benchmark: Any,
    deployed: tuple[Uniswap, list[Any]],
    action: str,
    send: Callable[[VaultEnv], TxReceipt],
    peer: str | None = None,
    swaps: int = 1,
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
        {"suite": "vault_gas", "action": action, "gas": gases[0], "peer": peer, "swaps": swaps}
    )


def _v2_data(env: VaultEnv, to: str) -> bytes:
    return v2_swap_calldata(AMOUNT, 0, [env.weth.address, env.usdc.address], to, 2**64)


def _v3_data(env: VaultEnv, to: str) -> bytes:
    return v3_swap_calldata(env.weth.address, env.usdc.address, V3_FEE, AMOUNT, 0, to, 2**64)


def test_gas_deploy_implementation(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    def deploy(env: VaultEnv) -> TxReceipt:
        art = load("ZippiVault")
        tx = env.w3.eth.send_transaction(
            {"from": env.deployer, "data": art.bytecode, "gas": 15_000_000}
        )
        return env.w3.eth.wait_for_transaction_receipt(tx)

    _measure(benchmark, uni, "deploy the ZippiVault implementation (once per version)", deploy)


def test_gas_deploy_vault(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    def deploy(env: VaultEnv) -> TxReceipt:
        deployment = deploy_vault(
            env.w3,
            sender=env.deployer,
            owners=[s.address for s in env.owners],
            threshold=2,
            guardian=env.guardian,
            max_slippage_bps=100,
            implementation=env.implementation,
        )
        block = env.w3.eth.get_block("latest", full_transactions=True)
        (tx,) = block["transactions"]
        receipt = env.w3.eth.get_transaction_receipt(tx["hash"])  # type: ignore[index]
        assert receipt["contractAddress"] == deployment.address
        return receipt

    _measure(benchmark, uni, "deploy a vault (ERC-1967 proxy + initialize: 3 owners)", deploy)


def test_gas_prime_window(benchmark: Any, uni_unprimed: tuple[Uniswap, list[Any]]) -> None:
    _measure(
        benchmark,
        uni_unprimed,
        "primeWindow(token): prepay the 64 window slots (once per token, anyone)",
        lambda env: env.send(env.vault.functions.primeWindow(env.weth.address)),
    )


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


def _executor_swap(uni: Uniswap, kind: LegKind) -> VaultSwap:
    """2 WETH -> USDC through the executor, straight into the V2 pair or the V3 pool."""
    env = uni.env
    pool = uni.v2_pair.address if kind == LegKind.UNISWAP_V2 else uni.v3_pool.address
    weth, usdc = env.weth.address, env.usdc.address
    fee = 30 if kind == LegKind.UNISWAP_V2 else 0
    leg = ExecutorLeg(kind, pool, weth, usdc, int(weth, 16) < int(usdc, 16), fee, AMOUNT, 0)
    plan = ExecutorPlan((ExecutorPath(AMOUNT, (leg,)),))
    min_out = env.bound(env.weth, env.usdc, AMOUNT)[1]
    return plan.vault_swap(_STATE["executor"], min_out)


def _send_raw(env: VaultEnv, data: bytes, sender: str) -> TxReceipt:
    tx = {"from": sender, "to": env.vault.address, "gas": 2_000_000, "data": data}
    receipt = env.w3.eth.wait_for_transaction_receipt(env.w3.eth.send_transaction(tx))  # type: ignore[arg-type]
    assert receipt["status"] == 1
    return receipt


def test_gas_executor_v2(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    def swap(env: VaultEnv) -> TxReceipt:
        data = swap_exact_in_calldata(_executor_swap(uni[0], LegKind.UNISWAP_V2), DEADLINE)
        return _send_raw(env, data, env.agent)

    _measure(benchmark, uni, "agent swap via ZippiRouteExecutor (the V2 pair)", swap, "eoa_v2")


def test_gas_executor_v2_unprimed(benchmark: Any, uni_unprimed: tuple[Uniswap, list[Any]]) -> None:
    def swap(env: VaultEnv) -> TxReceipt:
        data = swap_exact_in_calldata(_executor_swap(uni_unprimed[0], LegKind.UNISWAP_V2), DEADLINE)
        return _send_raw(env, data, env.agent)

    _measure(
        benchmark,
        uni_unprimed,
        "agent swap via ZippiRouteExecutor (the V2 pair), window slot never written",
        swap,
        "eoa_v2",
    )


def test_gas_executor_v3(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    def swap(env: VaultEnv) -> TxReceipt:
        data = swap_exact_in_calldata(_executor_swap(uni[0], LegKind.UNISWAP_V3), DEADLINE)
        return _send_raw(env, data, env.agent)

    _measure(benchmark, uni, "agent swap via ZippiRouteExecutor (the V3 pool)", swap, "eoa_v3")


BATCH = (LegKind.UNISWAP_V2, LegKind.UNISWAP_V3, LegKind.UNISWAP_V2, LegKind.UNISWAP_V3)


def test_gas_executor_batch(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    def batch(env: VaultEnv) -> TxReceipt:
        swaps = [_executor_swap(uni[0], kind) for kind in BATCH]
        return _send_raw(env, swap_batch_calldata(swaps, DEADLINE), env.agent)

    _measure(
        benchmark,
        uni,
        "agent swapBatch of 4 via ZippiRouteExecutor (V2, V3, V2, V3), one transaction",
        batch,
        "eoa_batch",
        swaps=len(BATCH),
    )


def test_gas_eoa_batch(benchmark: Any, uni: tuple[Uniswap, list[Any]]) -> None:
    """The batch's peer: the same four swaps from an EOA, four transactions; gas is their sum
    (reported as the receipt of the last, with the sum as its gasUsed)."""

    def swaps(env: VaultEnv) -> TxReceipt:
        u = uni[0]
        total = 0
        receipt: Any = None
        for kind in BATCH:
            router, data = (
                (u.v2_router, _v2_data(env, env.deployer))
                if kind == LegKind.UNISWAP_V2
                else (u.v3_router, _v3_data(env, env.deployer))
            )
            tx = {"from": env.deployer, "to": router.address, "gas": 1_000_000, "data": data}
            tx_hash = env.w3.eth.send_transaction(tx)  # type: ignore[arg-type]
            receipt = env.w3.eth.wait_for_transaction_receipt(tx_hash)
            total += int(receipt["gasUsed"])
        return {**receipt, "gasUsed": total}  # type: ignore[no-any-return]

    _measure(
        benchmark,
        uni,
        "4 EOA swaps (V2 Router02, V3, V2, V3), four transactions (peer)",
        swaps,
        swaps=len(BATCH),
    )
