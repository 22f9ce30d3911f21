"""Owners' M-of-N actions: EIP-712 digests and signatures checked against eth-account (a
reference nobody here wrote), replays, thresholds, ordering, foreign domains, malleable and
malformed signatures, every admin setter's validation, and emergency withdrawals."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from web3.logs import DISCARD

from tests.contracts.harness import OWNER_KEYS, VaultEnv, expect_revert
from zippifi.chain import ActionKind, VaultAction, action, sign_action, typed_data
from zippifi.errors import InvalidInputError
from zippifi.sign import Signer

ETH = 10**18
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ZERO = "0x" + "00" * 20


def _eth_account_signature(env: VaultEnv, act: VaultAction, key: bytes) -> bytes:
    message = typed_data(act, chain_id=env.chain_id, vault=env.vault.address)
    return bytes(Account.sign_typed_data(key, full_message=message).signature)


def _owner_keys(env: VaultEnv) -> list[bytes]:
    """The owners' private keys in the order of env.owners (ascending address)."""
    by_address = {Signer(k).address: k for k in OWNER_KEYS}
    return [by_address[s.address] for s in env.owners]


def test_digest_and_signatures_match_eth_account(env: VaultEnv) -> None:
    act = env.make_action(ActionKind.SET_AGENT, env.stranger, True)
    message = typed_data(act, chain_id=env.chain_id, vault=env.vault.address)
    signable = encode_typed_data(full_message=message)
    expected = _hash_eip191_message(signable)  # what eth-account signs
    assert bytes(env.vault.functions.actionDigest(act.as_tuple()).call()) == bytes(expected)
    sigs = env.signatures(act)
    by_eth_account = sorted(
        (_eth_account_signature(env, act, key) for key in _owner_keys(env)[:2]),
        key=lambda sig: int(Account._recover_hash(expected, signature=sig), 16),
    )
    assert sigs == by_eth_account
    # the vault accepts eth-account's signatures as they are
    receipt = env.execute(act, by_eth_account)
    assert env.vault.functions.isAgent(env.stranger).call()
    (executed,) = env.vault.events.ActionExecuted().process_receipt(receipt, errors=DISCARD)
    assert dict(executed["args"]) == {
        "nonce": act.nonce,
        "kind": int(ActionKind.SET_AGENT),
        "digest": bytes(expected),
        "signatures": 2,
    }
    (agent_set,) = env.vault.events.AgentSet().process_receipt(receipt, errors=DISCARD)
    assert dict(agent_set["args"]) == {"agent": env.stranger, "allowed": True}


def test_below_threshold(env: VaultEnv) -> None:
    act = env.make_action(ActionKind.SET_AGENT, env.stranger, True)
    args = expect_revert("BelowThreshold", env.execute, act, env.signatures(act)[:1])
    assert args == {"signatures": 1, "threshold": 2}
    assert expect_revert("BelowThreshold", env.execute, act, []) == {
        "signatures": 0,
        "threshold": 2,
    }
    env.execute(act, env.signatures(act, env.owners))  # all three is fine too


def test_replay_and_nonces(env: VaultEnv) -> None:
    act = env.make_action(ActionKind.SET_AGENT, env.stranger, True)
    sigs = env.signatures(act)
    env.execute(act, sigs)
    args = expect_revert("InvalidNonce", env.execute, act, sigs)
    assert args == {"expected": act.nonce + 1, "given": act.nonce}
    ahead = env.make_action(ActionKind.SET_AGENT, env.stranger, False, nonce=act.nonce + 5)
    args = expect_revert("InvalidNonce", env.execute, ahead, env.signatures(ahead))
    assert args == {"expected": act.nonce + 1, "given": act.nonce + 5}
    # a signed nonce cannot be swapped for the current one: the signers no longer recover
    moved = replace(ahead, nonce=act.nonce + 1)
    args = expect_revert("NotOwner", env.execute, moved, env.signatures(ahead))
    assert args["signer"] not in {s.address for s in env.owners}


def test_signatures_must_ascend_by_signer(env: VaultEnv) -> None:
    act = env.make_action(ActionKind.SET_AGENT, env.stranger, True)
    sigs = env.signatures(act)
    low, high = (s.address for s in env.owners[:2])
    args = expect_revert("SignersNotAscending", env.execute, act, list(reversed(sigs)))
    assert args == {"previous": high, "signer": low}
    # the same owner twice does not make two
    args = expect_revert("SignersNotAscending", env.execute, act, [sigs[0], sigs[0]])
    assert args == {"previous": low, "signer": low}


def test_strangers_and_foreign_domains(env: VaultEnv) -> None:
    act = env.make_action(ActionKind.WITHDRAW, env.weth.address, env.stranger, ETH)
    outsider = Signer(b"\x99" * 32)
    sigs = sign_action(
        act, [env.owners[0], outsider], chain_id=env.chain_id, vault=env.vault.address
    )
    args = expect_revert("NotOwner", env.execute, act, sigs)
    assert args == {"signer": outsider.address}
    # owners' signatures for another chain or another vault recover to someone else
    for chain_id, vault in (
        (env.chain_id + 1, env.vault.address),
        (env.chain_id, env.router.address),
    ):
        foreign = sign_action(act, env.owners[:2], chain_id=chain_id, vault=vault)
        args = expect_revert("NotOwner", env.execute, act, foreign)
        assert args["signer"] not in {s.address for s in env.owners}
    # tampered params: signed for 1 ETH, submitted for all of it
    greedy = replace(
        act,
        params=action(
            ActionKind.WITHDRAW, env.weth.address, env.stranger, 100 * ETH, nonce=0, deadline=0
        ).params,
    )
    args = expect_revert("NotOwner", env.execute, greedy, env.signatures(act))
    assert args["signer"] not in {s.address for s in env.owners}
    assert env.balance(env.weth, env.stranger) == 0


def test_malformed_and_malleable_signatures(env: VaultEnv) -> None:
    act = env.make_action(ActionKind.SET_AGENT, env.stranger, True)
    good = env.signatures(act)
    args = expect_revert("InvalidSignature", env.execute, act, [good[0], good[1][:64]])
    assert args == {"index": 1}
    # (r, n - s, v ^ 1) recovers to the same signer: OpenZeppelin's ECDSA refuses high s
    sig = good[0]
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    flipped = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    assert (
        Account._recover_hash(
            bytes(env.vault.functions.actionDigest(act.as_tuple()).call()), signature=flipped
        )
        == env.owners[0].address
    )
    args = expect_revert("InvalidSignature", env.execute, act, [flipped, good[1]])
    assert args == {"index": 0}


def test_expired_action(env: VaultEnv) -> None:
    now = env.next_time()
    act = env.make_action(ActionKind.SET_AGENT, env.stranger, True, deadline=now - 1)
    args = expect_revert("ActionExpired", env.execute, act, env.signatures(act))
    assert args == {"deadline": now - 1, "blockTimestamp": now}
    on_time = env.make_action(ActionKind.SET_AGENT, env.stranger, True, deadline=now + 5)
    sigs = env.signatures(on_time)
    env.at(now + 5)
    env.execute(on_time, sigs)  # a deadline of exactly now is met


def test_unknown_action_kind(env: VaultEnv) -> None:
    act = VaultAction(ActionKind.PAUSE, b"", env.nonce(), env.next_time() + 60)
    bogus: Any = replace(act, kind=max(ActionKind) + 1)
    sigs = env.signatures(bogus)
    assert expect_revert("UnknownAction", env.execute, bogus, sigs) == {"kind": 17}


def test_threshold_and_owner_changes(env: VaultEnv) -> None:
    for bad in (0, 4):
        args = expect_revert("InvalidThreshold", env.admin, ActionKind.SET_THRESHOLD, bad)
        assert args == {"threshold": bad, "owners": 3}
    env.admin(ActionKind.SET_THRESHOLD, 3)
    act = env.make_action(ActionKind.SET_AGENT, env.stranger, True)
    assert expect_revert("BelowThreshold", env.execute, act, env.signatures(act)) == {
        "signatures": 2,
        "threshold": 3,
    }
    env.execute(act, env.signatures(act, env.owners))
    # 3 of 3: removing an owner would leave fewer owners than the threshold
    gone = env.owners[2]
    act = env.make_action(ActionKind.REMOVE_OWNER, gone.address)
    args = expect_revert("InvalidThreshold", env.execute, act, env.signatures(act, env.owners))
    assert args == {"threshold": 3, "owners": 2}
    act = env.make_action(ActionKind.SET_THRESHOLD, 2)
    env.execute(act, env.signatures(act, env.owners))
    env.admin(ActionKind.REMOVE_OWNER, gone.address)
    assert not env.vault.functions.isOwner(gone.address).call()
    act = env.make_action(ActionKind.SET_AGENT, env.stranger, False)
    sigs = env.signatures(act, [env.owners[0], gone])
    assert expect_revert("NotOwner", env.execute, act, sigs) == {"signer": gone.address}
    # adding: a new key signs from then on; an owner twice or the zero address is refused
    newcomer = Signer(b"\x44" * 32)
    env.admin(ActionKind.ADD_OWNER, newcomer.address)
    act = env.make_action(ActionKind.SET_AGENT, env.stranger, False)
    env.execute(act, env.signatures(act, [env.owners[0], newcomer]))
    args = expect_revert("OwnerExists", env.admin, ActionKind.ADD_OWNER, newcomer.address)
    assert args == {"owner": newcomer.address}
    assert expect_revert("InvalidOwner", env.admin, ActionKind.ADD_OWNER, ZERO) == {"owner": ZERO}
    args = expect_revert("OwnerMissing", env.admin, ActionKind.REMOVE_OWNER, gone.address)
    assert args == {"owner": gone.address}
    assert sorted(env.vault.functions.owners().call()) == sorted(
        [env.owners[0].address, env.owners[1].address, newcomer.address]
    )


def test_guardian_change(env: VaultEnv) -> None:
    env.admin(ActionKind.SET_GUARDIAN, env.stranger)
    expect_revert("NotGuardian", env.send, env.vault.functions.pause(), env.guardian)
    env.send(env.vault.functions.pause(), env.stranger)
    assert env.vault.functions.paused().call()


def test_setter_validation(env: VaultEnv) -> None:
    assert expect_revert("SlippageTooHigh", env.admin, ActionKind.SET_MAX_SLIPPAGE, 5001) == {
        "bps": 5001
    }
    env.admin(ActionKind.SET_MAX_SLIPPAGE, 5000)
    args = expect_revert(
        "InvalidLimits", env.admin, ActionKind.SET_TOKEN, env.weth.address, True, 2, 1
    )
    assert args == {"maxTradeIn": 2, "dailyCapIn": 1}
    args = expect_revert(
        "InvalidToken", env.admin, ActionKind.SET_TOKEN, env.vault.address, True, 1, 1
    )
    assert args == {"token": env.vault.address}
    assert env.weth.feed is not None
    args = expect_revert(
        "InvalidFeed",
        env.admin,
        ActionKind.SET_PRICE_FEED,
        env.weth.address,
        env.weth.feed.address,
        0,
    )
    assert args == {"token": env.weth.address, "feed": env.weth.feed.address}


def test_emergency_withdraw(env: VaultEnv) -> None:
    # ETH arrives by plain transfer and is announced
    tx = env.w3.eth.send_transaction(
        {"from": env.deployer, "to": env.vault.address, "value": 3 * ETH}
    )
    receipt = env.w3.eth.wait_for_transaction_receipt(tx)
    (received,) = env.vault.events.EthReceived().process_receipt(receipt, errors=DISCARD)
    assert dict(received["args"]) == {"from": env.deployer, "amount": 3 * ETH}
    # paused or not, owners at threshold take everything out
    env.send(env.vault.functions.pause(), env.guardian)
    safe = Signer(b"\x55" * 32).address
    weth = env.balance(env.weth)
    receipt = env.admin(ActionKind.WITHDRAW, env.weth.address, safe, weth)
    (event,) = env.vault.events.Withdrawn().process_receipt(receipt, errors=DISCARD)
    assert dict(event["args"]) == {"token": env.weth.address, "to": safe, "amount": weth}
    assert env.balance(env.weth) == 0
    assert env.balance(env.weth, safe) == weth
    env.admin(ActionKind.WITHDRAW, ZERO, safe, 3 * ETH)
    assert env.w3.eth.get_balance(safe) == 3 * ETH
    assert env.w3.eth.get_balance(env.vault.address) == 0
    # more than there is, or to nowhere, reverts and moves nothing
    args = expect_revert("EthTransferFailed", env.admin, ActionKind.WITHDRAW, ZERO, safe, 1)
    assert args == {"to": safe, "amount": 1}
    for to in (ZERO, env.vault.address):
        args = expect_revert(
            "InvalidRecipient", env.admin, ActionKind.WITHDRAW, env.usdc.address, to, 1
        )
        assert args == {"to": to}
    usdc = env.balance(env.usdc)
    args = expect_revert(
        "ERC20InsufficientBalance", env.admin, ActionKind.WITHDRAW, env.usdc.address, safe, usdc + 1
    )
    assert args == {"sender": env.vault.address, "balance": usdc, "needed": usdc + 1}
    assert env.balance(env.usdc) == usdc
    # one owner alone cannot
    act = env.make_action(ActionKind.WITHDRAW, env.usdc.address, safe, usdc)
    expect_revert("BelowThreshold", env.execute, act, env.signatures(act, env.owners[:1]))


def test_python_helpers_refuse_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="SET_AGENT takes 2 params"):
        action(ActionKind.SET_AGENT, ZERO, nonce=0, deadline=0)
    with pytest.raises(InvalidInputError, match="do not encode"):
        action(ActionKind.SET_THRESHOLD, -1, nonce=0, deadline=0)
    with pytest.raises(InvalidInputError, match="do not encode"):
        action(ActionKind.ADD_OWNER, "0x1234", nonce=0, deadline=0)
    with pytest.raises(InvalidInputError, match="nonce"):
        action(ActionKind.PAUSE, nonce=-1, deadline=0)
    with pytest.raises(InvalidInputError, match="unknown vault action kind"):
        action(99, nonce=0, deadline=0)  # type: ignore[arg-type]
    act = action(ActionKind.PAUSE, nonce=0, deadline=0)
    owner = Signer(OWNER_KEYS[0])
    with pytest.raises(InvalidInputError, match="given twice"):
        sign_action(act, [owner, Signer(OWNER_KEYS[0])], chain_id=1, vault=ZERO)
    with pytest.raises(InvalidInputError, match="at least one signer"):
        sign_action(act, [], chain_id=1, vault=ZERO)
