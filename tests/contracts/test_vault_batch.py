"""swapBatch: several agent swaps in one transaction, each under every rule of swapExactIn (the
rolling window counting the batch's earlier swaps), one Swapped event each; any failing swap
reverts the whole batch. Swaps go through our router (exact approvals) here; the executor's
batches are in the gas bench and test_vault_executor."""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from tests.contracts.harness import WETH_CAP, Token, VaultEnv, expect_revert, v2_out
from zippifi.chain import VaultSwap, swap_batch_calldata, swap_exact_in_calldata

ETH = 10**18
USDC = 10**6


def _swap(
    env: VaultEnv, tin: Token, tout: Token, amount: int, min_out: int | None = None
) -> VaultSwap:
    return VaultSwap(
        target=env.router.address,
        token_in=tin.address,
        token_out=tout.address,
        amount_in=amount,
        min_out=max(1, env.bound(tin, tout, amount)[1]) if min_out is None else min_out,
        data=env.swap_data(tin, tout, amount),
    )


def _batch(
    env: VaultEnv, swaps: list[VaultSwap], sender: str | None = None, deadline: int | None = None
) -> TxReceipt:
    return env.send(
        env.vault.functions.swapBatch(
            [s.as_tuple() for s in swaps], env.next_time() + 600 if deadline is None else deadline
        ),
        sender or env.agent,
    )


def test_each_swap_runs_and_is_reported(env: VaultEnv) -> None:
    r_wu = env.reserves(env.weth, env.usdc)
    weth0, usdc0 = env.balance(env.weth), env.balance(env.usdc)
    first = _swap(env, env.weth, env.usdc, 2 * ETH)
    out1 = v2_out(2 * ETH, *r_wu)
    r_uw = (r_wu[1] - out1, r_wu[0] + 2 * ETH)  # the second swap sees the first's reserves
    second = _swap(env, env.usdc, env.weth, 3_000 * USDC)
    out2 = v2_out(3_000 * USDC, *r_uw)
    receipt = _batch(env, [first, second])
    assert env.balance(env.weth) == weth0 - 2 * ETH + out2
    assert env.balance(env.usdc) == usdc0 + out1 - 3_000 * USDC
    events = env.vault.events.Swapped().process_receipt(receipt, errors=DISCARD)
    assert [
        (e["args"]["tokenIn"], e["args"]["amountIn"], e["args"]["amountOut"]) for e in events
    ] == [
        (env.weth.address, 2 * ETH, out1),
        (env.usdc.address, 3_000 * USDC, out2),
    ]
    assert [e["args"]["minOut"] for e in events] == [first.min_out, second.min_out]
    for token in (env.weth, env.usdc):
        assert token.contract.functions.allowance(env.vault.address, env.router.address).call() == 0
    # the same calldata from the Python builder
    raw = env.vault.functions.swapBatch(
        [first.as_tuple(), second.as_tuple()], 99
    )._encode_transaction_data()
    assert "0x" + swap_batch_calldata([first, second], 99).hex() == raw


def test_the_window_counts_the_batchs_earlier_swaps(env: VaultEnv) -> None:
    per_trade, daily = WETH_CAP  # 10 and 25 WETH
    swaps = [_swap(env, env.weth, env.usdc, per_trade) for _ in range(2)]
    receipt = _batch(env, swaps)
    now = env.block_time(receipt)
    # spends of one second share one entry
    assert env.vault.functions.spentInWindow(env.weth.address, now).call() == [20 * ETH, 1]
    # 20 spent: 5 more fit, and a third 10 in the same batch does not
    more = [_swap(env, env.weth, env.usdc, 3 * ETH), _swap(env, env.weth, env.usdc, 3 * ETH)]
    args = expect_revert("DailyCapExceeded", _batch, env, more)
    assert args == {
        "token": env.weth.address,
        "spentInWindow": 23 * ETH,
        "amountIn": 3 * ETH,
        "dailyCapIn": daily,
    }
    # the failed batch recorded nothing, not even its first swap
    assert env.vault.functions.spentInWindow(env.weth.address, env.next_time()).call() == [
        20 * ETH,
        1,
    ]


def test_every_rule_applies_to_every_swap(env: VaultEnv) -> None:
    ok = _swap(env, env.weth, env.usdc, ETH)
    per_trade, _ = WETH_CAP
    too_big = _swap(env, env.weth, env.usdc, per_trade + 1)
    args = expect_revert("TradeCapExceeded", _batch, env, [ok, too_big])
    assert args["amountIn"] == per_trade + 1
    low = _swap(env, env.weth, env.usdc, ETH, min_out=1)
    assert expect_revert("MinOutBelowOracleBound", _batch, env, [ok, low])["minOut"] == 1
    junk = VaultSwap(env.stranger, ok.token_in, ok.token_out, ok.amount_in, ok.min_out, ok.data)
    assert expect_revert("TargetNotAllowed", _batch, env, [ok, junk]) == {"target": env.stranger}
    elsewhere = VaultSwap(
        ok.target,
        ok.token_in,
        ok.token_out,
        ETH,
        ok.min_out,
        env.swap_data(env.weth, env.usdc, ETH, to=env.agent),
    )
    expect_revert("InsufficientOutput", _batch, env, [ok, elsewhere])
    same = _swap(env, env.weth, env.usdc, ETH)
    same = VaultSwap(same.target, same.token_in, same.token_in, ETH, 1, same.data)
    expect_revert("SameToken", _batch, env, [ok, same])
    # the caller, the pause and the deadline, once for the batch
    assert expect_revert("NotAgent", _batch, env, [ok], env.stranger) == {"caller": env.stranger}
    now = env.next_time()
    args = expect_revert("DeadlineExpired", _batch, env, [ok], None, now - 1)
    assert args == {"deadline": now - 1, "blockTimestamp": now}
    assert expect_revert("EmptyBatch", _batch, env, []) == {}
    env.send(env.vault.functions.pause(), env.guardian)
    expect_revert("VaultPaused", _batch, env, [ok])


def test_single_swap_calldata_builder(env: VaultEnv) -> None:
    s = _swap(env, env.weth, env.usdc, ETH)
    fn: Any = env.vault.functions.swapExactIn(
        s.target, s.token_in, s.token_out, s.amount_in, s.min_out, 7, s.data
    )
    assert "0x" + swap_exact_in_calldata(s, 7).hex() == fn._encode_transaction_data()
    # and through a raw transaction it is the same swap
    tx = {"from": env.agent, "to": env.vault.address, "gas": 1_000_000}
    tx_hash = env.w3.eth.send_transaction(
        {**tx, "data": swap_exact_in_calldata(s, env.next_time() + 60)}
    )  # type: ignore[arg-type]
    receipt = env.w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    assert len(env.vault.events.Swapped().process_receipt(receipt, errors=DISCARD)) == 1
    assert Web3.is_checksum_address(s.target)
