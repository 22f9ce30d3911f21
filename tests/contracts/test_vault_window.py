"""The rolling 24-hour cap at its edges: a spend made at t counts until t + 86,399 and no
longer at t + 86,400; spends expire one by one (no calendar-day reset); the ring of entries is
bounded and frees a slot only when its oldest spend expires."""

from __future__ import annotations

from tests.contracts.harness import DAY, WETH_CAP, VaultEnv, expect_revert
from zippifi.chain import ActionKind

ETH = 10**18
PER_TRADE, DAILY = WETH_CAP  # 10 and 25 WETH


def _spend(env: VaultEnv, amount: int) -> int:
    """One agent swap of WETH -> USDC; returns its block time."""
    return env.block_time(env.swap(env.weth, env.usdc, amount))


def test_a_spend_counts_until_exactly_24h_later(env: VaultEnv) -> None:
    t0 = _spend(env, 10 * ETH)
    assert _spend(env, 10 * ETH) == t0 + 1
    window = env.vault.functions.spentInWindow
    assert window(env.weth.address, t0 + DAY - 1).call() == [20 * ETH, 2]
    assert window(env.weth.address, t0 + DAY).call() == [10 * ETH, 1]  # t0's spend is out
    assert window(env.weth.address, t0 + DAY + 1).call() == [0, 0]
    # 20 spent; 6 more would exceed 25 until the first spend expires at t0 + DAY
    env.jump(t0 + DAY - 1)
    args = expect_revert("DailyCapExceeded", env.swap, env.weth, env.usdc, 6 * ETH)
    assert args["spentInWindow"] == 20 * ETH
    env.at(t0 + DAY)
    _spend(env, 10 * ETH)  # 10 (t0 + 1) + 10 = 20 <= 25
    # at t0 + DAY + 1 the t0 + 1 spend is out too: 10 in the window, 10 more fit, then 6 not
    assert _spend(env, 10 * ETH) == t0 + DAY + 1
    args = expect_revert("DailyCapExceeded", env.swap, env.weth, env.usdc, 6 * ETH)
    assert args["spentInWindow"] == 20 * ETH


def test_boundary_second_by_second(env: VaultEnv) -> None:
    """Fill the cap at t0; at t0 + DAY - 1 one wei more is refused; at t0 + DAY the whole cap
    is free again."""
    t0 = _spend(env, 10 * ETH)
    env.swap(env.weth, env.usdc, 10 * ETH)
    env.swap(env.weth, env.usdc, 5 * ETH)  # 25 = the cap, spends at t0, t0+1, t0+2
    env.jump(t0 + DAY - 1)
    args = expect_revert("DailyCapExceeded", env.swap, env.weth, env.usdc, ETH)
    assert args == {
        "token": env.weth.address,
        "spentInWindow": 25 * ETH,
        "amountIn": ETH,
        "dailyCapIn": DAILY,
    }
    # the revert mined nothing; the next block is t0 + DAY - 1 again: jump one second on
    env.at(t0 + DAY)
    assert env.block_time(env.swap(env.weth, env.usdc, 10 * ETH)) == t0 + DAY  # t0's 10 freed
    # t0 + 1's spend expires at t0 + 1 + DAY: at t0 + DAY + 1 it is gone too
    assert env.next_time() == t0 + DAY + 1
    env.swap(env.weth, env.usdc, 10 * ETH)


def test_no_calendar_day_reset(env: VaultEnv) -> None:
    """Spends just before and just after a UTC midnight both count: the window rolls."""
    now = env.next_time()
    midnight = (now // DAY + 1) * DAY
    env.jump(midnight - 60)
    _spend(env, 10 * ETH)
    _spend(env, 10 * ETH)
    env.jump(midnight + 60)
    args = expect_revert("DailyCapExceeded", env.swap, env.weth, env.usdc, 10 * ETH)
    assert args["spentInWindow"] == 20 * ETH
    env.swap(env.weth, env.usdc, 5 * ETH)


def test_exactly_the_cap_is_allowed(env: VaultEnv) -> None:
    _spend(env, 10 * ETH)
    _spend(env, 10 * ETH)
    _spend(env, 5 * ETH)
    assert env.vault.functions.remainingDailyCap(env.weth.address).call() == 0
    args = expect_revert("DailyCapExceeded", env.swap, env.weth, env.usdc, 1)
    assert args["amountIn"] == 1


def test_lowering_the_cap_counts_past_spends(env: VaultEnv) -> None:
    _spend(env, 10 * ETH)
    env.admin(ActionKind.SET_TOKEN, env.weth.address, True, PER_TRADE, 12 * ETH)
    args = expect_revert("DailyCapExceeded", env.swap, env.weth, env.usdc, 3 * ETH)
    assert args["spentInWindow"] == 10 * ETH
    env.swap(env.weth, env.usdc, 2 * ETH)
    # delisting and relisting does not wipe the window
    env.admin(ActionKind.SET_TOKEN, env.weth.address, False, 0, 0)
    env.admin(ActionKind.SET_TOKEN, env.weth.address, True, PER_TRADE, 12 * ETH)
    expect_revert("DailyCapExceeded", env.swap, env.weth, env.usdc, 1)


def test_ring_is_bounded_and_frees_slots_as_spends_expire(env: VaultEnv) -> None:
    max_entries = 64
    small = 10**15
    t0 = _spend(env, small)
    env.jump(t0 + 100)  # the other entries expire 100 s after the first
    for _ in range(max_entries - 1):
        env.swap(env.weth, env.usdc, small)
    args = expect_revert("WindowFull", env.swap, env.weth, env.usdc, small)
    assert args == {"token": env.weth.address, "entries": max_entries}
    spent, entries = env.vault.functions.spentInWindow(env.weth.address, env.next_time()).call()
    assert (spent, entries) == (max_entries * small, max_entries)
    # the oldest expires at t0 + DAY: its slot is reused (the ring wraps around)
    env.jump(t0 + DAY)
    env.swap(env.weth, env.usdc, small)
    expect_revert("WindowFull", env.swap, env.weth, env.usdc, small)
    env.jump(t0 + 100 + DAY)  # the next oldest expires
    env.swap(env.weth, env.usdc, small)
    env.jump(env.next_time() + DAY)
    spent, entries = env.vault.functions.spentInWindow(env.weth.address, env.next_time()).call()
    assert (spent, entries) == (0, 0)
    env.swap(env.weth, env.usdc, 10 * ETH)
