"""What an agent key can and cannot do: every rule of swapExactIn, each refusal asserted by its
decoded custom error and arguments. Amounts are checked against formulas written here (the
constant-product output, the oracle bound in exact rationals), not against the vault's views."""

from __future__ import annotations

from web3.logs import DISCARD

from tests.contracts.harness import (
    DAY,
    FEED_MAX_AGE,
    USDC_CAP,
    WETH_CAP,
    VaultEnv,
    expect_revert,
    v2_out,
)
from zippifi.chain import ActionKind, v2_swap_calldata
from zippifi.chain.artifacts import load

ETH = 10**18


def test_swap_pays_the_vault_and_emits(env: VaultEnv) -> None:
    r_in, r_out = env.reserves(env.weth, env.usdc)
    weth0, usdc0 = env.balance(env.weth), env.balance(env.usdc)
    _, bound = env.bound(env.weth, env.usdc, 2 * ETH)
    receipt = env.swap(env.weth, env.usdc, 2 * ETH, min_out=bound)
    out = v2_out(2 * ETH, r_in, r_out)
    assert env.balance(env.weth) == weth0 - 2 * ETH
    assert env.balance(env.usdc) == usdc0 + out
    # the exact approval was reset after the call
    assert env.weth.contract.functions.allowance(env.vault.address, env.router.address).call() == 0
    (event,) = env.vault.events.Swapped().process_receipt(receipt, errors=DISCARD)
    assert dict(event["args"]) == {
        "agent": env.agent,
        "target": env.router.address,
        "tokenIn": env.weth.address,
        "tokenOut": env.usdc.address,
        "amountIn": 2 * ETH,
        "amountOut": out,
        "minOut": bound,
        "oracleBound": bound,
    }


def test_only_agents_swap(env: VaultEnv) -> None:
    for who in (env.stranger, env.guardian, env.deployer):
        args = expect_revert("NotAgent", env.swap, env.weth, env.usdc, ETH, sender=who)
        assert args == {"caller": who}
    env.admin(ActionKind.SET_AGENT, env.agent, False)
    expect_revert("NotAgent", env.swap, env.weth, env.usdc, ETH)


def test_per_trade_cap(env: VaultEnv) -> None:
    per_trade, _ = WETH_CAP
    args = expect_revert("TradeCapExceeded", env.swap, env.weth, env.usdc, per_trade + 1)
    assert args == {"token": env.weth.address, "amountIn": per_trade + 1, "maxTradeIn": per_trade}
    env.swap(env.weth, env.usdc, per_trade)  # exactly the cap is allowed
    # the cap is in tokenIn's own units: USDC has 6 decimals
    per_trade_usdc, _ = USDC_CAP
    expect_revert("TradeCapExceeded", env.swap, env.usdc, env.weth, per_trade_usdc + 1)
    env.swap(env.usdc, env.weth, per_trade_usdc)


def test_zero_and_same_token(env: VaultEnv) -> None:
    assert expect_revert("ZeroAmount", env.swap, env.weth, env.usdc, 0, min_out=1) == {}
    args = expect_revert("SameToken", env.swap, env.weth, env.weth, ETH, min_out=1)
    assert args == {"token": env.weth.address}


def test_tokens_must_be_allowlisted(env: VaultEnv) -> None:
    env.mint(env.junk, env.vault.address, 10 * ETH)
    args = expect_revert("TokenNotAllowed", env.swap, env.junk, env.usdc, ETH, min_out=1)
    assert args == {"token": env.junk.address}
    args = expect_revert("TokenNotAllowed", env.swap, env.weth, env.junk, ETH, min_out=1)
    assert args == {"token": env.junk.address}
    # delisting a token stops it at once, in either direction
    env.admin(ActionKind.SET_TOKEN, env.usdc.address, False, 0, 0)
    expect_revert("TokenNotAllowed", env.swap, env.weth, env.usdc, ETH, min_out=1)
    expect_revert("TokenNotAllowed", env.swap, env.usdc, env.weth, 10**6, min_out=1)


def test_targets_must_be_allowlisted(env: VaultEnv) -> None:
    pair = env.pairs[("WETH", "USDC")]
    for target in (pair.address, env.stranger, env.vault.address, env.weth.address):
        args = expect_revert("TargetNotAllowed", env.swap, env.weth, env.usdc, ETH, target=target)
        assert args == {"target": target}
    env.admin(ActionKind.SET_TARGET, env.router.address, False)
    expect_revert("TargetNotAllowed", env.swap, env.weth, env.usdc, ETH)


def test_owners_cannot_allowlist_the_vault_or_a_token_as_target(env: VaultEnv) -> None:
    for target in (env.vault.address, env.weth.address, "0x" + "00" * 20):
        args = expect_revert("InvalidTarget", env.admin, ActionKind.SET_TARGET, target, True)
        assert args["target"].lower() == target.lower()
    # nor a target as a token (so a token can never be the call's target)
    args = expect_revert(
        "InvalidToken", env.admin, ActionKind.SET_TOKEN, env.router.address, True, 1, 1
    )
    assert args == {"token": env.router.address}


def test_deadline(env: VaultEnv) -> None:
    now = env.next_time()
    args = expect_revert("DeadlineExpired", env.swap, env.weth, env.usdc, ETH, deadline=now - 1)
    assert args == {"deadline": now - 1, "blockTimestamp": now}
    env.at(now + 10)
    env.swap(env.weth, env.usdc, ETH, deadline=now + 10)  # a deadline of exactly now is met


def test_min_out_may_not_sit_below_the_oracle_bound(env: VaultEnv) -> None:
    implied, bound = env.bound(env.weth, env.usdc, 5 * ETH)
    assert implied == 15_000 * 10**6  # 5 ETH at $3,000 in 6-decimal USDC
    assert bound == implied * 99 // 100  # less 1% max slippage
    for too_low in (1, bound - 1):
        args = expect_revert(
            "MinOutBelowOracleBound", env.swap, env.weth, env.usdc, 5 * ETH, min_out=too_low
        )
        assert args == {"minOut": too_low, "oracleBound": bound}
    expect_revert("MinOutBelowOracleBound", env.swap, env.weth, env.usdc, 5 * ETH, min_out=0)
    env.swap(env.weth, env.usdc, 5 * ETH, min_out=bound)


def test_oracle_bound_scales_feeds_of_different_decimals(env: VaultEnv) -> None:
    # DAI's feed has 18 decimals, USDC's 8; DAI has 18 decimals, USDC 6
    implied, bound = env.bound(env.dai, env.usdc, 1_000 * ETH)
    assert implied == 1_000 * 10**6
    got = env.vault.functions.oracleMinOut(env.dai.address, env.usdc.address, 1_000 * ETH).call()
    assert tuple(got) == (implied, bound)
    env.swap(env.dai, env.usdc, 1_000 * ETH, min_out=bound)


def test_a_bad_pool_cannot_drain_the_vault(env: VaultEnv) -> None:
    """A stolen agent key trading through a pool whose price was pushed far off the oracle: the
    minOut the vault demands is near the oracle's price, the pool pays much less, and the vault
    reverts on what it actually received."""
    r_weth, _ = env.reserves(env.weth, env.usdc)
    # an attacker dumps WETH into the pair: WETH's pool price falls to ~1/4
    env.mint(env.weth, env.stranger, r_weth)
    env.send(env.weth.contract.functions.approve(env.router.address, r_weth), env.stranger)
    env.send(
        env.router.functions.swapExactTokensForTokens(
            r_weth, 0, [env.weth.address, env.usdc.address], env.stranger, 2**64
        ),
        env.stranger,
    )
    weth0 = env.balance(env.weth)
    _, bound = env.bound(env.weth, env.usdc, 5 * ETH)
    r_in, r_out = env.reserves(env.weth, env.usdc)
    would_get = v2_out(5 * ETH, r_in, r_out)
    assert would_get < bound // 3
    args = expect_revert("InsufficientOutput", env.swap, env.weth, env.usdc, 5 * ETH)
    assert args == {"received": would_get, "minOut": bound}
    expect_revert("MinOutBelowOracleBound", env.swap, env.weth, env.usdc, 5 * ETH, min_out=1)
    assert env.balance(env.weth) == weth0


def test_output_sent_elsewhere_does_not_count(env: VaultEnv) -> None:
    """Router calldata that pays the agent instead of the vault: the vault measures its own
    balance, receives nothing, and reverts."""
    data = env.swap_data(env.weth, env.usdc, ETH, to=env.agent)
    _, bound = env.bound(env.weth, env.usdc, ETH)
    args = expect_revert("InsufficientOutput", env.swap, env.weth, env.usdc, ETH, data=data)
    assert args == {"received": 0, "minOut": bound}
    assert env.balance(env.usdc, env.agent) == 0


def test_router_may_take_less_but_never_more_than_approved(env: VaultEnv) -> None:
    # calldata for 2 ETH with amountIn 1 ETH: the exact approval makes the router's pull fail
    data = v2_swap_calldata(
        2 * ETH, 0, [env.weth.address, env.usdc.address], env.vault.address, 2**64
    )
    args = expect_revert("SwapCallFailed", env.swap, env.weth, env.usdc, ETH, data=data)
    assert args["target"] == env.router.address
    # calldata for half of amountIn: half the output, under the bound of the whole amount
    half = env.swap_data(env.weth, env.usdc, ETH // 2)
    expect_revert("InsufficientOutput", env.swap, env.weth, env.usdc, ETH, data=half)
    # calldata for 0.999 of amountIn still meets minOut: only what left the vault is spent
    # and counted against the rolling cap
    r_in, r_out = env.reserves(env.weth, env.usdc)
    part = ETH * 999 // 1000
    weth0 = env.balance(env.weth)
    receipt = env.swap(env.weth, env.usdc, ETH, data=env.swap_data(env.weth, env.usdc, part))
    (event,) = env.vault.events.Swapped().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["amountIn"] == part
    assert event["args"]["amountOut"] == v2_out(part, r_in, r_out)
    assert env.balance(env.weth) == weth0 - part
    assert env.weth.contract.functions.allowance(env.vault.address, env.router.address).call() == 0
    spent, entries = env.vault.functions.spentInWindow(env.weth.address, env.next_time()).call()
    assert (spent, entries) == (part, 1)


def test_price_feed_rules(env: VaultEnv) -> None:
    now = env.next_time()
    # stale: updated maxAge + 1 seconds before the swap's block
    env.set_price(env.weth, 3000 * 10**8, updated_at=now - FEED_MAX_AGE)
    env.at(now + 1)  # now the answer is exactly maxAge + 1 old
    args = expect_revert("StalePrice", env.swap, env.weth, env.usdc, ETH, min_out=1)
    assert args == {
        "token": env.weth.address,
        "updatedAt": now - FEED_MAX_AGE,
        "maxAge": FEED_MAX_AGE,
    }
    t = env.next_time()
    env.set_price(env.weth, 3000 * 10**8, updated_at=t - FEED_MAX_AGE + 1)
    env.swap(env.weth, env.usdc, ETH)  # exactly maxAge old: still fresh
    env.set_price(env.weth, 3000 * 10**8)
    for bad in (0, -1):
        env.set_price(env.usdc, bad)
        args = expect_revert("InvalidPrice", env.swap, env.weth, env.usdc, ETH, min_out=1)
        assert args == {"token": env.usdc.address, "answer": bad}
    env.set_price(env.usdc, 10**8)
    env.admin(ActionKind.SET_PRICE_FEED, env.usdc.address, "0x" + "00" * 20, 0)
    args = expect_revert("NoPriceFeed", env.swap, env.weth, env.usdc, ETH, min_out=1)
    assert args == {"token": env.usdc.address}


def test_oracle_price_moves_the_bound(env: VaultEnv) -> None:
    env.set_price(env.weth, 3300 * 10**8)  # the oracle says +10%, the pool has not moved
    _, bound = env.bound(env.weth, env.usdc, ETH)
    assert bound == 3300 * 10**6 * 99 // 100
    expect_revert("InsufficientOutput", env.swap, env.weth, env.usdc, ETH)
    expect_revert("MinOutBelowOracleBound", env.swap, env.weth, env.usdc, ETH, min_out=bound - 1)


def test_paused_vault(env: VaultEnv) -> None:
    args = expect_revert("NotGuardian", env.send, env.vault.functions.pause(), env.agent)
    assert args == {"caller": env.agent}
    receipt = env.send(env.vault.functions.pause(), env.guardian)
    assert (
        env.vault.events.Paused().process_receipt(receipt, errors=DISCARD)[0]["args"]["by"]
        == env.guardian
    )
    assert expect_revert("VaultPaused", env.swap, env.weth, env.usdc, ETH) == {}
    env.admin(ActionKind.UNPAUSE)
    env.swap(env.weth, env.usdc, ETH)
    expect_revert("NotPaused", env.admin, ActionKind.UNPAUSE)
    # owners may pause too, by an action: "by" is then the vault itself
    receipt = env.admin(ActionKind.PAUSE)
    (paused,) = env.vault.events.Paused().process_receipt(receipt, errors=DISCARD)
    assert paused["args"]["by"] == env.vault.address
    expect_revert("VaultPaused", env.swap, env.weth, env.usdc, ETH)


def test_agent_cannot_withdraw(env: VaultEnv) -> None:
    weth0 = env.balance(env.weth)
    # the vault has no function an agent could call to move funds but swapExactIn; an owners'
    # action signed by the agent's own key is refused (it is not an owner)
    from zippifi.sign import Signer

    agent_key = Signer(b"\x77" * 32)
    env.admin(ActionKind.SET_AGENT, agent_key.address, True)
    act = env.make_action(ActionKind.WITHDRAW, env.weth.address, agent_key.address, weth0)
    args = expect_revert("NotOwner", env.execute, act, env.signatures(act, [agent_key]))
    assert args == {"signer": agent_key.address}
    # nor may the agent send the vault's ETH or tokens to itself through a plain transfer
    assert env.balance(env.weth) == weth0


def test_rolling_cap_is_per_input_token(env: VaultEnv) -> None:
    _, daily = WETH_CAP
    for _ in range(2):
        env.swap(env.weth, env.usdc, 10 * ETH)
    args = expect_revert("DailyCapExceeded", env.swap, env.weth, env.usdc, 6 * ETH)
    assert args == {
        "token": env.weth.address,
        "spentInWindow": 20 * ETH,
        "amountIn": 6 * ETH,
        "dailyCapIn": daily,
    }
    # USDC's window is its own
    env.swap(env.usdc, env.weth, 30_000 * 10**6)
    env.jump(env.next_time() + DAY)
    env.swap(env.weth, env.usdc, 10 * ETH)


def _forwarder_initcode(to: str) -> bytes:
    """A 46-byte contract that forwards any call it gets, calldata unchanged, to ``to`` and
    returns or reverts with what came back (hand-assembled: no compiler, nothing shipped)."""
    runtime = (
        bytes.fromhex("365f5f37")  # calldatacopy(0, 0, calldatasize)
        + bytes.fromhex("5f5f365f5f73")  # call(gas, to, 0, 0, calldatasize, 0, 0)
        + bytes.fromhex(to[2:])
        + bytes.fromhex("5af1")
        + bytes.fromhex("3d5f5f3e")  # returndatacopy(0, 0, returndatasize)
        + bytes.fromhex("602a57")  # jumpi(42, success)
        + bytes.fromhex("3d5ffd")  # revert(0, returndatasize)
        + bytes.fromhex("5b3d5ff3")  # 42: return(0, returndatasize)
    )
    assert len(runtime) == 46
    # codecopy(0, 9, 46); return(0, 46)
    return bytes.fromhex("602e8060095f395ff3") + runtime


def test_reentry_is_refused(env: VaultEnv) -> None:
    """A target that calls back into the vault during the swap (owners allowlisted it and even
    made it an agent): the reentrancy guard refuses the inner swap and the inner owners'
    action, and the outer swap reverts carrying that refusal."""
    tx = env.w3.eth.send_transaction(
        {"from": env.deployer, "data": _forwarder_initcode(env.vault.address), "gas": 200_000}
    )
    forwarder = env.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    assert forwarder is not None
    env.admin(ActionKind.SET_TARGET, forwarder, True)
    env.admin(ActionKind.SET_AGENT, forwarder, True)
    inner_swap = env.vault.functions.swapExactIn(
        env.router.address,
        env.weth.address,
        env.usdc.address,
        ETH,
        env.bound(env.weth, env.usdc, ETH)[1],
        2**64,
        env.swap_data(env.weth, env.usdc, ETH),
    )._encode_transaction_data()
    act = env.make_action(ActionKind.WITHDRAW, env.weth.address, env.agent, ETH)
    inner_execute = env.vault.functions.execute(
        act.as_tuple(), env.signatures(act)
    )._encode_transaction_data()
    guard = load("ZippiVault").decode_error
    weth0 = env.balance(env.weth)
    for inner in (inner_swap, inner_execute):
        args = expect_revert(
            "SwapCallFailed",
            env.swap,
            env.weth,
            env.usdc,
            ETH,
            target=forwarder,
            data=bytes.fromhex(inner[2:]),
        )
        assert args["target"] == forwarder
        refusal = guard(args["reason"])
        assert refusal is not None
        assert refusal.name == "ReentrancyGuardReentrantCall"
    assert env.balance(env.weth) == weth0
    # control: outside a swap the forwarder does reach the vault (here, its nonce())
    nonce_call = env.vault.functions.nonce()._encode_transaction_data()
    answer = env.w3.eth.call({"to": forwarder, "data": nonce_call})
    assert int.from_bytes(answer, "big") == env.nonce()
