"""Upgrades in place: a vault with funds, caps and a live rolling window is upgraded by its
owners, through the EIP-712 actions, after the timelock, to a later implementation (the test
helper ZippiVaultV2Mock: ZippiVault plus one appended variable and a function); everything it
held survives. Everyone else, fewer owners than the threshold, the public UUPS entry point and
an early execution are refused."""

from __future__ import annotations

from typing import Any

import pytest
from web3.contract import Contract
from web3.logs import DISCARD

from tests.contracts.harness import DAY, UPGRADE_DELAY, WETH_CAP, VaultEnv, expect_revert
from tests.uniswap.artifacts import HarnessUnavailableError, helper_artifact
from zippifi.chain import ActionKind, sign_action
from zippifi.chain.artifacts import load
from zippifi.sign import Signer, keccak256

ETH = 10**18
HOUR = 3600


def _v2(env: VaultEnv) -> tuple[Contract, Any]:
    """A deployed ZippiVaultV2Mock implementation and its artifact."""
    try:
        art = helper_artifact("ZippiVaultV2Mock")
    except HarnessUnavailableError as exc:
        pytest.skip(str(exc))
    tx = env.w3.eth.send_transaction(
        {"from": env.deployer, "data": art.bytecode, "gas": 15_000_000}
    )
    address = env.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    return env.w3.eth.contract(address=address, abi=art.abi), art


def _init_v2(art: Any, value: int) -> bytes:
    fn = env_contract(art).functions.initializeV2(value)
    return bytes.fromhex(fn._encode_transaction_data()[2:])


def env_contract(art: Any) -> Contract:
    from web3 import Web3

    return Web3().eth.contract(abi=art.abi)


def test_owners_upgrade_after_the_timelock_and_state_survives(env: VaultEnv) -> None:
    impl, art = _v2(env)
    data = _init_v2(art, 42)
    receipt = env.admin(ActionKind.SCHEDULE_UPGRADE, impl.address, data)
    (scheduled,) = env.vault.events.UpgradeScheduled().process_receipt(receipt, errors=DISCARD)
    eta = env.block_time(receipt) + UPGRADE_DELAY
    assert dict(scheduled["args"]) == {
        "implementation": impl.address,
        "dataHash": keccak256(data),
        "eta": eta,
    }
    assert env.vault.functions.pendingUpgrade().call() == [impl.address, keccak256(data), eta]

    # state worth keeping, an hour before: funds, a rolling window with live spends, caps,
    # an agent, the owners, a nonce
    env.jump(eta - HOUR)
    t0 = env.block_time(env.swap(env.weth, env.usdc, 10 * ETH))
    env.swap(env.weth, env.usdc, 5 * ETH)
    spent_before = env.vault.functions.spentInWindow(env.weth.address, t0 + 2).call()
    assert spent_before == [15 * ETH, 2]
    balances = {t.symbol: env.balance(t) for t in (env.weth, env.usdc, env.dai)}
    owners = env.vault.functions.owners().call()

    # one second early: refused
    env.jump(eta - 1)
    args = expect_revert(
        "UpgradeTooEarly", env.admin, ActionKind.EXECUTE_UPGRADE, impl.address, data
    )
    assert args == {"eta": eta, "blockTimestamp": eta - 1}
    # other data than scheduled: refused
    other = _init_v2(art, 43)
    env.at(eta)
    args = expect_revert(
        "UpgradeMismatch", env.admin, ActionKind.EXECUTE_UPGRADE, impl.address, other
    )
    assert args == {"implementation": impl.address, "dataHash": keccak256(other)}
    # at eta exactly
    env.at(eta)
    receipt = env.admin(ActionKind.EXECUTE_UPGRADE, impl.address, data)
    upgraded = env.w3.eth.contract(address=env.vault.address, abi=art.abi)
    (event,) = upgraded.events.Upgraded().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["implementation"] == impl.address
    (done,) = upgraded.events.UpgradeExecuted().process_receipt(receipt, errors=DISCARD)
    assert done["args"]["implementation"] == impl.address
    (init,) = upgraded.events.V2Initialized().process_receipt(receipt, errors=DISCARD)
    assert init["args"]["value"] == 42

    # the new code runs at the same address, on the same storage
    assert upgraded.functions.version().call() == 2
    assert upgraded.functions.implementation().call() == impl.address
    assert upgraded.functions.v2Value().call() == 42
    assert upgraded.functions.ownersAndValue().call() == [3, 42]
    assert upgraded.functions.pendingUpgrade().call()[0] == "0x" + "00" * 20
    assert {t.symbol: env.balance(t) for t in (env.weth, env.usdc, env.dai)} == balances
    assert upgraded.functions.owners().call() == owners
    assert upgraded.functions.threshold().call() == 2
    assert upgraded.functions.isAgent(env.agent).call()
    config = upgraded.functions.tokenConfig(env.weth.address).call()
    assert tuple(config) == (True, 18, *WETH_CAP)
    # the window still holds the spends made before (they expire at t0 + DAY)
    assert upgraded.functions.spentInWindow(env.weth.address, t0 + 2).call() == spent_before
    env.jump(t0 + DAY - 2)
    env.swap(env.weth, env.usdc, 10 * ETH)  # 25: the cap, and t0's spend counts one more second
    args = expect_revert("DailyCapExceeded", env.swap, env.weth, env.usdc, 1)
    assert args["spentInWindow"] == 25 * ETH
    # the owners' EIP-712 domain is the same address, so actions keep working
    env.admin(ActionKind.SET_AGENT, env.stranger, True)
    assert upgraded.functions.isAgent(env.stranger).call()
    # the reinitializer ran once
    expect_revert("InvalidInitialization", env.send, upgraded.functions.initializeV2(7))


def test_only_owners_at_threshold_upgrade(env: VaultEnv) -> None:
    impl, art = _v2(env)
    # not owners
    act = env.make_action(ActionKind.SCHEDULE_UPGRADE, impl.address, b"")
    outsiders = [Signer(b"\x91" * 32), Signer(b"\x92" * 32)]
    sigs = sign_action(act, outsiders, chain_id=env.chain_id, vault=env.vault.address)
    assert expect_revert("NotOwner", env.execute, act, sigs)["signer"] in {
        s.address for s in outsiders
    }
    # one owner of the two needed
    args = expect_revert("BelowThreshold", env.execute, act, env.signatures(act, env.owners[:1]))
    assert args == {"signatures": 1, "threshold": 2}
    # UUPS's own upgradeToAndCall is closed to everyone, owners' keys included
    for who in (env.stranger, env.agent, env.guardian):
        expect_revert(
            "UpgradeOnlyByOwnersAction",
            env.send,
            env.vault.functions.upgradeToAndCall(impl.address, b""),
            who,
        )
    # nothing scheduled: nothing to execute or cancel
    expect_revert("NoUpgradeScheduled", env.admin, ActionKind.EXECUTE_UPGRADE, impl.address, b"")
    expect_revert("NoUpgradeScheduled", env.admin, ActionKind.CANCEL_UPGRADE)
    # scheduled then cancelled: gone
    env.admin(ActionKind.SCHEDULE_UPGRADE, impl.address, b"")
    receipt = env.admin(ActionKind.CANCEL_UPGRADE)
    (cancelled,) = env.vault.events.UpgradeCancelled().process_receipt(receipt, errors=DISCARD)
    assert cancelled["args"]["implementation"] == impl.address
    env.jump(env.next_time() + UPGRADE_DELAY + 10)
    expect_revert("NoUpgradeScheduled", env.admin, ActionKind.EXECUTE_UPGRADE, impl.address, b"")
    assert env.vault.functions.version().call() == 1
    del art


def test_implementations_are_checked(env: VaultEnv) -> None:
    # no code: refused when scheduled
    nobody = "0x" + "42" * 20
    args = expect_revert(
        "InvalidImplementation", env.admin, ActionKind.SCHEDULE_UPGRADE, nobody, b""
    )
    assert args["implementation"].lower() == nobody
    # code that is not UUPS (a token): refused when executed, the proxy untouched
    env.admin(ActionKind.SCHEDULE_UPGRADE, env.weth.address, b"")
    env.jump(env.next_time() + UPGRADE_DELAY + 10)
    args = expect_revert(
        "InvalidImplementation", env.admin, ActionKind.EXECUTE_UPGRADE, env.weth.address, b""
    )
    assert args == {"implementation": env.weth.address}
    assert env.vault.functions.implementation().call() == env.implementation
    # the implementation itself can be neither initialized nor upgraded
    impl = env.w3.eth.contract(address=env.implementation, abi=load("ZippiVault").abi)
    expect_revert(
        "InvalidInitialization",
        env.send,
        impl.functions.initialize([env.stranger], 1, env.stranger, 0, DAY),
    )
    expect_revert(
        "UUPSUnauthorizedCallContext",
        env.send,
        impl.functions.upgradeToAndCall(env.weth.address, b""),
    )


def test_the_upgrade_delay(env: VaultEnv) -> None:
    vault = env.vault
    assert vault.functions.upgradeDelay().call() == UPGRADE_DELAY
    for bad in (HOUR - 1, 30 * DAY + 1):
        args = expect_revert("InvalidUpgradeDelay", env.admin, ActionKind.SET_UPGRADE_DELAY, bad)
        assert args == {"delay": bad}
    # longer: at once
    receipt = env.admin(ActionKind.SET_UPGRADE_DELAY, 3 * DAY)
    (event,) = vault.events.UpgradeDelaySet().process_receipt(receipt, errors=DISCARD)
    assert dict(event["args"]) == {"delay": 3 * DAY, "effectiveAt": env.block_time(receipt)}
    assert vault.functions.upgradeDelay().call(block_identifier="pending") == 3 * DAY
    # shorter: only once the current delay has run, so an upgrade scheduled meanwhile still
    # waits the longer delay
    receipt = env.admin(ActionKind.SET_UPGRADE_DELAY, HOUR)
    now = env.block_time(receipt)
    (event,) = vault.events.UpgradeDelaySet().process_receipt(receipt, errors=DISCARD)
    assert dict(event["args"]) == {"delay": HOUR, "effectiveAt": now + 3 * DAY}
    impl, _ = _v2(env)
    receipt = env.admin(ActionKind.SCHEDULE_UPGRADE, impl.address, b"")
    assert vault.functions.pendingUpgrade().call()[2] == env.block_time(receipt) + 3 * DAY
    env.jump(now + 3 * DAY)
    assert vault.functions.upgradeDelay().call(block_identifier="pending") == HOUR
    receipt = env.admin(ActionKind.SCHEDULE_UPGRADE, impl.address, b"")
    assert vault.functions.pendingUpgrade().call()[2] == env.block_time(receipt) + HOUR
