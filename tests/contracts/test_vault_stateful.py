"""Random sequences of agent swaps, owners' actions, guardian pauses, price moves and time jumps
against a model written here: the model predicts, before each transaction, whether the vault
must accept it and with what outcome, or which custom error it must revert with; after every
step the vault's balances, the pairs' reserves and the vault's rolling window must equal the
model's. The rolling window is modelled as a plain list of (time, amount) spends, with the rule
"a spend at t counts while now < t + 24 h" — no ring, no pruning.

Normal mode runs 5 sequences of up to 40 steps (~30 s); ZIPPIFI_LONG_TESTS=1 runs 100 of up to
50 (~10-15 min); ZIPPIFI_STATEFUL_EXAMPLES=N sets the number of sequences.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.contracts.harness import (
    DAI_CAP,
    DAY,
    FEED_MAX_AGE,
    MAX_SLIPPAGE_BPS,
    USDC_CAP,
    WETH_CAP,
    Token,
    VaultEnv,
    VaultRevert,
    oracle_bound,
    v2_out,
)
from tests.uniswap.chain import Chain
from zippifi.chain import ActionKind

LONG = os.environ.get("ZIPPIFI_LONG_TESTS") == "1"
MAX_ENTRIES = 64
SYMBOLS = ("WETH", "USDC", "DAI")
# "bound" (what a careful agent passes) most often; the others probe each side of each check
# bps of the per-trade cap: mostly within it, sometimes zero or over
SIZES = st.integers(1, 10_000) | st.integers(1, 10_000) | st.integers(0, 13_000)
MIN_OUT_MODES = st.sampled_from(["bound"] * 4 + ["bound-1", "one", "out", "out+1", "mid"])
PAIRS = {frozenset(("WETH", "USDC")), frozenset(("DAI", "USDC"))}

_ENV: dict[str, Any] = {}


def _env() -> VaultEnv:
    """One deployment for the whole module; each example starts from its snapshot."""
    if "env" not in _ENV:
        env = VaultEnv(Chain.in_process())
        _ENV["env"] = env
        _ENV["snapshot"] = env.chain.snapshot()
    else:
        env = _ENV["env"]
        env.chain.revert(_ENV["snapshot"])
        _ENV["snapshot"] = env.chain.snapshot()
    return env


@dataclass
class TokenModel:
    balance: int
    per_trade: int
    daily: int
    price: int
    price_time: int
    spends: list[tuple[int, int]] = field(default_factory=list)  # (time, amount)

    def live(self, now: int) -> tuple[int, int]:
        alive = [a for t, a in self.spends if t + DAY > now]
        return sum(alive), len(alive)


class VaultMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.env = env = _env()
        self.tokens: dict[str, Token] = {"WETH": env.weth, "USDC": env.usdc, "DAI": env.dai}
        caps = {"WETH": WETH_CAP, "USDC": USDC_CAP, "DAI": DAI_CAP}
        self.m: dict[str, TokenModel] = {}
        for sym, token in self.tokens.items():
            assert token.feed is not None
            _, answer, _, updated, _ = token.feed.functions.latestRoundData().call()
            self.m[sym] = TokenModel(
                env.balance(token), caps[sym][0], caps[sym][1], int(answer), int(updated)
            )
        self.reserves = {
            (a, b): env.reserves(self.tokens[a], self.tokens[b])
            for a in SYMBOLS
            for b in SYMBOLS
            if frozenset((a, b)) in PAIRS
        }
        self.paused = False
        self.agent_enabled = True
        self.swaps_ok = 0
        # DAI's daily cap is 1.5 trades, so "the rest of the cap, plus one" is reachable
        # within a trade and DailyCapExceeded comes up often
        dai = self.m["DAI"]
        dai.daily = dai.per_trade * 3 // 2
        env.admin(ActionKind.SET_TOKEN, env.dai.address, True, dai.per_trade, dai.daily)
        self.reverts: dict[str, int] = {}

    # ---------------------------------------------------------------- helpers

    def _set_reserves(self, a: str, b: str, ra: int, rb: int) -> None:
        self.reserves[(a, b)] = (ra, rb)
        self.reserves[(b, a)] = (rb, ra)

    def _expect(self, error: str | None, fn: Any, *args: Any, **kw: Any) -> Any:
        """Runs the transaction; it must revert with ``error`` (None: must succeed)."""
        try:
            receipt = fn(*args, **kw)
        except VaultRevert as exc:
            if exc.name != error:
                raise AssertionError(f"model expected {error}, vault reverted with {exc}") from exc
            self.reverts[error] = self.reverts.get(error, 0) + 1
            return None
        assert error is None, f"model expected {error}, the vault accepted"
        return receipt

    # ---------------------------------------------------------------- agent

    def _agent_swap(
        self,
        pair: tuple[str, str],
        size: int | str,
        min_out_mode: str,
        expired: bool,
        sender_is_agent: bool,
    ) -> None:
        env = self.env
        a, b = pair
        tin, tout = self.m[a], self.m[b]
        now = env.next_time()
        live_sum, live_count = tin.live(now)
        if isinstance(size, int):
            amount = tin.per_trade * size // 10_000
        else:
            amount = {
                "rest": max(tin.daily - live_sum, 0),
                "rest+1": max(tin.daily - live_sum, 0) + 1,
                "cap": tin.per_trade,
                "cap+1": tin.per_trade + 1,
            }[size]
        slippage = MAX_SLIPPAGE_BPS
        ta, tb = self.tokens[a], self.tokens[b]
        _, bound = oracle_bound(
            amount,
            tin.price,
            tout.price,
            ta.decimals,
            tb.decimals,
            ta.feed_decimals,
            tb.feed_decimals,
            slippage,
        )
        has_pair = frozenset(pair) in PAIRS
        out = v2_out(amount, *self.reserves[(a, b)]) if has_pair and amount > 0 else 0
        min_out = {
            "bound": bound,
            "bound-1": bound - 1,
            "one": 1,
            "out": out,
            "out+1": out + 1,
            "mid": (bound + out) // 2,
        }[min_out_mode]
        min_out = max(min_out, 0)
        deadline = now - 1 if expired else now + 600

        # the vault's checks, in its order
        error: str | None = None
        if not (sender_is_agent and self.agent_enabled):
            error = "NotAgent"
        elif self.paused:
            error = "VaultPaused"
        elif expired:
            error = "DeadlineExpired"
        elif amount == 0:
            error = "ZeroAmount"
        elif amount > tin.per_trade:
            error = "TradeCapExceeded"
        elif live_sum + amount > tin.daily:
            error = "DailyCapExceeded"
        elif live_count == MAX_ENTRIES:
            error = "WindowFull"
        elif now - tin.price_time > FEED_MAX_AGE or now - tout.price_time > FEED_MAX_AGE:
            error = "StalePrice"
        elif min_out == 0 or min_out < bound:
            error = "MinOutBelowOracleBound"
        elif not has_pair or tin.balance < amount:
            error = "SwapCallFailed"  # the router reverts: no pair, or the vault lacks funds
        elif out < min_out:
            error = "InsufficientOutput"

        receipt = self._expect(
            error,
            env.swap,
            ta,
            tb,
            amount,
            min_out=min_out,
            deadline=deadline,
            sender=env.agent if sender_is_agent else env.stranger,
        )
        if receipt is None:
            return
        assert env.block_time(receipt) == now
        # the rule the vault exists for: what left in 24 h never exceeds the cap in force
        assert live_sum + amount <= tin.daily
        assert out >= bound
        tin.balance -= amount
        tout.balance += out
        tin.spends.append((now, amount))
        ra, rb = self.reserves[(a, b)]
        self._set_reserves(a, b, ra + amount, rb - out)
        self.swaps_ok += 1

    @rule(
        pair=st.sampled_from([("WETH", "USDC"), ("USDC", "WETH")]),
        size=SIZES,
        min_out_mode=MIN_OUT_MODES,
    )
    def agent_swaps_weth_usdc(self, pair: tuple[str, str], size: int, min_out_mode: str) -> None:
        self._agent_swap(pair, size, min_out_mode, expired=False, sender_is_agent=True)

    @rule(
        pair=st.sampled_from([("DAI", "USDC"), ("USDC", "DAI")]),
        size=SIZES,
        min_out_mode=MIN_OUT_MODES,
    )
    def agent_swaps_dai(self, pair: tuple[str, str], size: int, min_out_mode: str) -> None:
        self._agent_swap(pair, size, min_out_mode, expired=False, sender_is_agent=True)

    @rule(
        pair=st.sampled_from(
            [("WETH", "USDC"), ("USDC", "WETH"), ("DAI", "USDC"), ("WETH", "DAI")]
        ),
        size=st.sampled_from(["rest", "rest+1", "cap", "cap+1"]),
        min_out_mode=MIN_OUT_MODES,
        expired=st.sampled_from([False, False, True]),
        sender_is_agent=st.sampled_from([True, True, False]),
    )
    def agent_swaps_at_the_edges(
        self,
        pair: tuple[str, str],
        size: str,
        min_out_mode: str,
        expired: bool,
        sender_is_agent: bool,
    ) -> None:
        """Exactly the rest of the rolling cap, or the per-trade cap, or one more; an expired
        deadline; a sender that is not the agent; a pair no pool exists for (WETH -> DAI)."""
        self._agent_swap(pair, size, min_out_mode, expired, sender_is_agent)

    # ---------------------------------------------------------------- time and prices

    @rule(
        step=st.sampled_from([1, 59, 600, FEED_MAX_AGE, FEED_MAX_AGE + 1, DAY - 1, DAY, DAY + 1])
        | st.integers(4, 2 * DAY),
        refresh=st.sampled_from([True, True, True, False]),
    )
    def wait(self, step: int, refresh: bool) -> None:
        """Time moves on; usually the feeds post again just before (else they may go stale)."""
        target = self.env.next_time() + max(step, 4)
        if refresh:
            self.env.jump(target)  # re-posts the feeds at target - 3, - 2, - 1
            for i, sym in enumerate(SYMBOLS):
                self.m[sym].price_time = target - 3 + i
        else:
            self.env.at(target)

    @precondition(lambda self: any(m.spends for m in self.m.values()))
    @rule(data=st.data(), offset=st.sampled_from([-1, 0, 1]))
    def wait_until_a_spend_expires(self, data: st.DataObject, offset: int) -> None:
        """Jump to exactly 24 h after a recorded spend (or a second either side): the edge."""
        spends = [t for m in self.m.values() for t, _ in m.spends]
        target = data.draw(st.sampled_from(spends)) + DAY + offset
        if target - 3 < self.env.next_time():
            return  # already past it
        self.env.jump(target)  # re-posts the feeds at target - 3, - 2, - 1
        for i, sym in enumerate(SYMBOLS):
            self.m[sym].price_time = target - 3 + i

    @rule(change_bps=st.integers(-300, 300) | st.none())
    def move_weth_price(self, change_bps: int | None) -> None:
        """WETH's feed moves by change_bps, or (None) to the WETH/USDC pool's mid price."""
        m, usdc = self.m["WETH"], self.m["USDC"]
        if change_bps is None:
            r_weth, r_usdc = self.reserves[("WETH", "USDC")]
            # USD per WETH (8 decimals) = (r_usdc / 1e6 * usdc price) / (r_weth / 1e18)
            m.price = r_usdc * usdc.price * 10**18 // (r_weth * 10**6)
        else:
            m.price = m.price * (10_000 + change_bps) // 10_000
        now = self.env.next_time()
        self.env.set_price(self.tokens["WETH"], m.price)
        m.price_time = now

    # ---------------------------------------------------------------- owners and guardian

    @rule(
        sym=st.sampled_from(SYMBOLS),
        per_trade_pct=st.integers(1, 100),
        daily_mult=st.sampled_from([1, 2, 3, 5]),
    )
    def owners_set_caps(self, sym: str, per_trade_pct: int, daily_mult: int) -> None:
        m = self.m[sym]
        base = {"WETH": WETH_CAP, "USDC": USDC_CAP, "DAI": DAI_CAP}[sym][0]
        m.per_trade = base * per_trade_pct // 100
        m.daily = m.per_trade * daily_mult
        self.env.admin(ActionKind.SET_TOKEN, self.tokens[sym].address, True, m.per_trade, m.daily)

    @rule(sym=st.sampled_from(SYMBOLS), bps=st.integers(0, 11_000))
    def owners_withdraw(self, sym: str, bps: int) -> None:
        m = self.m[sym]
        amount = m.balance * bps // 10_000
        error = "ERC20InsufficientBalance" if amount > m.balance else None
        receipt = self._expect(
            error,
            self.env.admin,
            ActionKind.WITHDRAW,
            self.tokens[sym].address,
            self.env.deployer,
            amount,
        )
        if receipt is not None:
            m.balance -= amount

    @rule(pause=st.sampled_from([True, False, False]))
    def pause_or_unpause(self, pause: bool) -> None:
        """The guardian pauses, or the owners unpause (refused when not paused)."""
        if pause:
            self.env.send(self.env.vault.functions.pause(), self.env.guardian)
            self.paused = True
            return
        error = None if self.paused else "NotPaused"
        if self._expect(error, self.env.admin, ActionKind.UNPAUSE) is not None:
            self.paused = False

    @rule(enabled=st.sampled_from([True, True, False]))
    def owners_set_agent(self, enabled: bool) -> None:
        self.env.admin(ActionKind.SET_AGENT, self.env.agent, enabled)
        self.agent_enabled = enabled

    # ---------------------------------------------------------------- checks

    @invariant()
    def chain_matches_model(self) -> None:
        env = self.env
        now = env.next_time()
        for sym, token in self.tokens.items():
            m = self.m[sym]
            assert env.balance(token) == m.balance, sym
            got = env.vault.functions.spentInWindow(token.address, now).call()
            assert tuple(got) == m.live(now), (sym, got, m.live(now))
        for a, b in (("WETH", "USDC"), ("DAI", "USDC")):
            assert env.reserves(self.tokens[a], self.tokens[b]) == self.reserves[(a, b)]

    def teardown(self) -> None:
        event(f"successful agent swaps: {min(self.swaps_ok, 5)}{'+' if self.swaps_ok >= 5 else ''}")
        for name in sorted(self.reverts):
            event(f"reverted with {name}")
        assert self.env.vault.functions.paused().call() == self.paused


VaultMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("ZIPPIFI_STATEFUL_EXAMPLES", 100 if LONG else 5)),
    stateful_step_count=50 if LONG else 40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
TestVaultStateful = VaultMachine.TestCase
