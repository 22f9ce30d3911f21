"""An attacker's swaps (what a stolen agent key can send the vault) and what the vault must do
with each, predicted from the chain's state just before the transaction (a View read by the
probe), never from bookkeeping of our own.

A :class:`Swap` names a target (our router, the route executor, a hostile target the owners
allowlisted, one they did not, a pair, a token, the vault itself), the tokens, the amounts and a
:class:`Payload`: the calldata the target gets. For our router and executor it is an honest
swap or a twisted one (pull more than approved, pay someone else, spend another token, a
malformed route); for a HostileTarget it is a script (pull some of the approval, refund, pay
from its own stock or pay the attacker, re-enter the vault, pause it, flip the hostile token to
"return false" mid-call, return a lie). :class:`Sim` replays the vault's rules in README order on
a copy of the state (so a batch's later swaps see its earlier ones) and returns the custom error
chain the transaction must revert with (outer first, then the target's own inside
SwapCallFailed), or None when it must succeed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.contracts.devnode import calldata
from tests.contracts.hostile_env import MAX_ENTRIES, PAIRS, HostileEnv, View, oracle_bound
from zippifi.chain import ExecutorLeg, ExecutorPath, ExecutorPlan, LegKind, v2_swap_calldata

ZERO = "0x0000000000000000000000000000000000000000"
FAR = 2**64
Expect = tuple[str | None, ...] | None


@dataclass(frozen=True)
class Payload:
    """What the target is called with. ``kind`` for the router: honest | more | elsewhere |
    other_token; for the executor: honest | partial | more | malformed | wrong_pool; for a
    hostile target: script, made of the other fields."""

    kind: str = "honest"
    pull: str = "all"  # none | half | all | more: transferFrom(vault) of tokenIn
    pull_to: str = "self"  # self | attacker
    refund: str = "none"  # none | one | half: tokenIn sent back from the target's stock
    pay: str = "exact"  # none | short | exact | double (of minOut), tokenOut from its stock
    pay_to: str = "vault"  # vault | attacker
    extra: str = "none"  # none | pause | prime | steal_out | flip_false | reenter | ...
    ret: str = "empty"  # empty | false | junk: what the target returns (the vault ignores it)


EXTRAS = (
    "none", "pause", "prime", "steal_out", "flip_false", "reenter", "reenter_swallowed",
    "reenter_batch", "reenter_execute",
)  # fmt: skip


@dataclass(frozen=True)
class Swap:
    target: str
    role: str  # router | executor | h_approve | h_push | h_loose | pair | token | vault | zero
    sin: str  # symbol (or "ZERO": the zero address as a token)
    sout: str
    amount: int
    min_out: int
    payload: Payload


@dataclass
class Quirks:
    tax_bps: int = 0
    false: bool = False


@dataclass
class Window:
    total: int
    entries: int
    newest_now: bool = False  # an entry at this very second exists (an earlier swap of the tx)


def pair_of(env: HostileEnv, a: str, b: str) -> str | None:
    """Our router's pair of two symbols: each other token has one with USDC, no other."""
    if a == b:
        return None
    if a == "USDC" and b in PAIRS:
        return env.pairs[b]
    if b == "USDC" and a in PAIRS:
        return env.pairs[a]
    return None


def v2_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """Uniswap V2's output for a 0.3% fee on input (ZippiPair's and the executor's formula)."""
    with_fee = amount_in * 997
    return with_fee * reserve_out // (reserve_in * 1000 + with_fee)


class Failed(Exception):  # noqa: N818 (control flow inside Sim)
    def __init__(self, *names: str | None) -> None:
        super().__init__(names)
        self.names: tuple[str | None, ...] = names


@dataclass
class Sim:
    """The vault and its neighbourhood as the View saw them, changed by each simulated swap."""

    env: HostileEnv
    view: View
    quirks: Quirks
    balances: dict[tuple[str, str], int] = field(init=False)
    allowances: dict[tuple[str, str], int] = field(default_factory=dict)
    windows: dict[str, Window] = field(init=False)
    reserves: dict[str, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.balances = dict(self.view.balances)
        self.windows = {
            s: Window(t.window_sum, t.window_entries) for s, t in self.view.tokens.items()
        }
        self.reserves = {p: [r0, r1] for p, (r0, r1, _) in self.view.reserves.items()}

    # ------------------------------------------------------------------ tokens

    def bal(self, sym: str, who: str) -> int:
        return self.balances.get((sym, who), 0)

    def _err(self, sym: str, what: str) -> str:
        if sym == "EVIL":
            return "Insufficient" + what
        return "ERC20Insufficient" + what

    def move(self, sym: str, frm: str, to: str, amount: int) -> None:
        """A transfer as the token does it: EVIL taxes its victim (the vault) on top."""
        vault = self.env.vault
        tax = amount * self.quirks.tax_bps // 10_000 if sym == "EVIL" and frm == vault else 0
        if self.bal(sym, frm) < amount + tax:
            raise Failed(self._err(sym, "Balance"))
        self.balances[(sym, frm)] = self.bal(sym, frm) - amount - tax
        self.balances[(sym, to)] = self.bal(sym, to) + amount
        if tax:
            sink = self.env.tax_sink
            self.balances[(sym, sink)] = self.bal(sym, sink) + tax

    def pull(self, sym: str, frm: str, spender: str, to: str, amount: int) -> bool:
        """transferFrom by ``spender``; False when the token returned false (EVIL, victim)."""
        if sym == "EVIL" and self.quirks.false and frm == self.env.vault:
            return False
        allowed = self.allowances.get((sym, spender), 0) if frm == self.env.vault else 0
        if allowed < amount:
            raise Failed(self._err(sym, "Allowance"))
        if frm == self.env.vault:
            self.allowances[(sym, spender)] = allowed - amount
        self.move(sym, frm, to, amount)
        return True

    # ------------------------------------------------------------------ pairs

    def _pair_swap(self, pair: str, sin: str, amount_in: int, to: str) -> int:
        """amount_in of sin already sent to ``pair``; it pays the V2 output to ``to``."""
        r0, r1 = self.reserves[pair]
        t0 = self.view.reserves[pair][2]
        zero_for_one = self.env.tokens[sin] == t0
        r_in, r_out = (r0, r1) if zero_for_one else (r1, r0)
        out = v2_out(amount_in, r_in, r_out)
        if out == 0:
            raise Failed("ZeroAmount")
        sout = self._other(pair, sin)
        self.move(sout, pair, to, out)
        r_in, r_out = r_in + amount_in, r_out - out
        self.reserves[pair] = [r_in, r_out] if zero_for_one else [r_out, r_in]
        return out

    def _other(self, pair: str, sym: str) -> str:
        for other, p in self.env.pairs.items():
            if p == pair:
                return "USDC" if sym == other else other
        raise AssertionError(pair)

    def expected_out(self, sin: str, sout: str, amount: int) -> int:
        """What an honest swap through our pair would pay now (0 when there is no pair)."""
        pair = pair_of(self.env, sin, sout)
        if pair is None or amount == 0:
            return 0
        r0, r1 = self.reserves[pair]
        if self.env.tokens[sin] == self.view.reserves[pair][2]:
            return v2_out(amount, r0, r1)
        return v2_out(amount, r1, r0)

    # ------------------------------------------------------------------ the vault's rules

    def _price_checks(self, sym: str) -> None:
        t = self.view.tokens[sym]
        if int(t.feed, 16) == 0:
            raise Failed("NoPriceFeed")
        if t.answer <= 0:
            raise Failed("InvalidPrice")
        now = self.view.at
        if t.updated_at > now or now - t.updated_at > t.max_age:
            raise Failed("StalePrice")

    def swap(self, s: Swap) -> Expect:
        """The swap's outcome: None (it succeeds, and this state moves on) or its error chain."""
        try:
            self._swap(s)
        except Failed as f:
            return f.names
        return None

    def _swap(self, s: Swap) -> None:
        v, env = self.view, self.env
        vault = env.vault
        if v.paused:
            raise Failed("VaultPaused")
        account = v.accounts.get(s.target)
        mode = account.mode if account else 0
        if mode == 0 or s.target == vault:
            raise Failed("TargetNotAllowed")
        if s.sin == s.sout:
            raise Failed("SameToken")
        for sym in (s.sin, s.sout):
            if sym not in v.tokens or not v.tokens[sym].allowed:
                raise Failed("TokenNotAllowed")
        if s.amount == 0:
            raise Failed("ZeroAmount")
        tin = v.tokens[s.sin]
        if s.amount > tin.max_trade:
            raise Failed("TradeCapExceeded")
        w = self.windows[s.sin]
        if w.total + s.amount > tin.daily_cap:
            raise Failed("DailyCapExceeded")
        if w.entries == MAX_ENTRIES and not w.newest_now:
            raise Failed("WindowFull")
        self._price_checks(s.sin)
        self._price_checks(s.sout)
        if s.min_out == 0 or s.min_out < oracle_bound(v, s.sin, s.sout, s.amount):
            raise Failed("MinOutBelowOracleBound")

        in_before, out_before = self.bal(s.sin, vault), self.bal(s.sout, vault)
        if s.sin == "EVIL" and self.quirks.false:
            raise Failed("SafeERC20FailedOperation")  # the approval or the push returns false
        if mode == 2:
            self.move(s.sin, vault, s.target, s.amount)  # its revert comes straight out
        else:
            self.allowances[(s.sin, s.target)] = s.amount
        try:
            self._call(s)
        except Failed as f:
            raise Failed("SwapCallFailed", *f.names) from None
        if mode == 1:
            if s.sin == "EVIL" and self.quirks.false:
                raise Failed("SafeERC20FailedOperation")  # flipped mid-call: the reset fails
            self.allowances[(s.sin, s.target)] = 0
        spent = max(0, in_before - self.bal(s.sin, vault))
        received = max(0, self.bal(s.sout, vault) - out_before)
        if spent > s.amount:
            raise Failed("OverSpent")
        if received < s.min_out:
            raise Failed("InsufficientOutput")
        if spent > 0:
            if not w.newest_now:
                w.entries += 1
            w.total += spent
            w.newest_now = True

    # ------------------------------------------------------------------ the targets

    def _call(self, s: Swap) -> None:
        if s.role == "router":
            self._router(s)
        elif s.role == "executor":
            self._executor(s)
        else:
            self._script(s)

    def _router(self, s: Swap) -> None:
        env, p = self.env, s.payload
        vault, router = env.vault, env.addresses["router"]
        first = s.sin
        amount = s.amount
        if p.kind == "other_token":
            first = other_token(s.sin, s.sout)
        elif p.kind == "more":
            amount = s.amount + 1
        pair = pair_of(env, first, s.sout)
        if pair is None:
            raise Failed("NoPair")
        # a zero quote passes the router's own check (amountOutMin 0): the input moves first,
        # then the pair refuses to pay nothing (ZeroAmount, in _pair_swap)
        if not self.pull(first, vault, router, pair, amount):
            raise Failed("SafeERC20FailedOperation")
        to = env.attacker if p.kind == "elsewhere" else vault
        self._pair_swap(pair, first, amount, to)

    def _executor(self, s: Swap) -> None:
        env, p = self.env, s.payload
        vault, executor = env.vault, env.addresses["executor"]
        if p.kind == "malformed":
            raise Failed("MalformedRoute")
        pair = executor_pool(env, s)
        amount = executor_amount(s)
        self.move(s.sin, executor, pair, amount)
        self._pair_swap(pair, s.sin, amount, vault)
        left = self.bal(s.sin, executor)
        if left:
            self.move(s.sin, executor, vault, left)

    def _script(self, s: Swap) -> None:
        """A HostileTarget's script; in push mode its transferFrom finds no allowance."""
        env, p = self.env, s.payload
        vault, me = env.vault, s.target
        pulled = 0
        if p.pull != "none":
            amount = pull_amount(s)
            to = me if p.pull_to == "self" else env.attacker
            if self.pull(s.sin, vault, me, to, amount):
                pulled = amount
        if p.refund != "none":
            self.move(s.sin, me, vault, refund_amount(s, pulled))
        if p.pay != "none":
            to = vault if p.pay_to == "vault" else env.attacker
            self.move(s.sout, me, to, pay_amount(s))
        if p.extra == "pause":
            raise Failed("NotGuardian")
        if p.extra == "steal_out":
            self.pull(s.sout, vault, me, env.attacker, 1)
        if p.extra == "flip_false":
            self.quirks.false = True
        if p.extra in ("reenter", "reenter_batch", "reenter_execute"):
            raise Failed("ReentrancyGuardReentrantCall")


def other_token(sin: str, sout: str) -> str:
    """A token the vault did not approve, with a pair to sout when there is one."""
    for sym in ("DAI", "WETH", "EVIL", "JUNK", "USDC"):
        if sym not in (sin, sout):
            return sym
    raise AssertionError("unreachable")


def executor_pool(env: HostileEnv, s: Swap) -> str:
    """The pair a route's leg goes through: the tokens' own, or (wrong_pool, or when they have
    none) the input's pair with USDC, which pays USDC, not tokenOut."""
    pair = pair_of(env, s.sin, s.sout)
    if pair is None or s.payload.kind == "wrong_pool":
        pair = pair_of(env, s.sin, "USDC") or env.pairs["DAI"]
    return pair


def executor_amount(s: Swap) -> int:
    if s.payload.kind == "partial":
        return max(1, s.amount // 2)
    if s.payload.kind == "more":
        return s.amount + 1
    return s.amount


def pull_amount(s: Swap) -> int:
    return {"half": s.amount // 2, "all": s.amount, "more": s.amount + 1}[s.payload.pull]


def refund_amount(s: Swap, pulled: int) -> int:
    return 1 if s.payload.refund == "one" else max(pulled, s.amount) // 2


def pay_amount(s: Swap) -> int:
    return {"short": max(0, s.min_out - 1), "exact": s.min_out, "double": 2 * s.min_out}[
        s.payload.pay
    ]


# ---------------------------------------------------------------------------- calldata


def swap_data(env: HostileEnv, s: Swap, tax_bps: int) -> bytes:
    """The ``data`` the vault forwards to the target (``tax_bps``: EVIL's tax now, kept when a
    script flips it to "return false")."""
    p = s.payload
    tok = env.tokens
    vault = env.vault
    if s.role == "router" or (s.role not in ("executor", "h_approve", "h_push", "h_loose")):
        first = other_token(s.sin, s.sout) if p.kind == "other_token" else s.sin
        amount = s.amount + 1 if p.kind == "more" else s.amount
        to = env.attacker if p.kind == "elsewhere" else vault
        path = [tok.get(first, ZERO), tok.get(s.sout, ZERO)]
        return v2_swap_calldata(amount, 0, path, to, FAR)
    if s.role == "executor":
        if p.kind == "malformed" or s.sin not in tok or s.sout not in tok:
            # (a token that is none of ours never gets past the vault's checks)
            return calldata("execute(bytes)", b"\x01")
        pair = executor_pool(env, s)
        sin, other = tok[s.sin], _other_address(env, pair, s.sin)
        zero_for_one = int(sin, 16) < int(other, 16)
        leg = ExecutorLeg(LegKind.ZIPPI_PAIR, pair, sin, other, zero_for_one, 30, s.amount, 0)
        # a route's amount is 128 bits; a bigger swap never passes the vault's caps anyway
        amount = min(executor_amount(s), 2**128 - 1)
        return ExecutorPlan((ExecutorPath(amount, (leg,)),)).calldata()
    return script_data(env, s, tax_bps)


def _other_address(env: HostileEnv, pair: str, sym: str) -> str:
    for other, p in env.pairs.items():
        if p == pair:
            return env.tokens["USDC" if sym == other else other]
    raise AssertionError(pair)


def script_data(env: HostileEnv, s: Swap, tax_bps: int) -> bytes:
    """HostileTarget.run calldata for the payload's script."""
    p = s.payload
    tok = env.tokens
    vault, me, attacker = env.vault, s.target, env.attacker
    ops: list[tuple[str, bytes, bool]] = []
    tin, tout = tok.get(s.sin, ZERO), tok.get(s.sout, ZERO)
    if p.pull != "none":
        to = me if p.pull_to == "self" else attacker
        transfer = "transferFrom(address,address,uint256)"
        ops.append((tin, calldata(transfer, vault, to, pull_amount(s)), False))
    if p.refund != "none":
        pulled = pull_amount(s) if p.pull != "none" else 0
        ops.append(
            (tin, calldata("transfer(address,uint256)", vault, refund_amount(s, pulled)), False)
        )
    if p.pay != "none":
        to = vault if p.pay_to == "vault" else attacker
        ops.append((tout, calldata("transfer(address,uint256)", to, pay_amount(s)), False))
    ops.extend(extra_ops(env, s, tax_bps))
    ret = {"empty": b"", "false": bytes(32), "junk": b"\xde\xad" * 40}[p.ret]
    return calldata("run((address,bytes,bool)[],bytes)", ops, ret)


def reenter_swap_data(env: HostileEnv) -> bytes:
    return calldata(
        "swapExactIn(address,address,address,uint256,uint256,uint256,bytes)",
        env.addresses["router"], env.tokens["WETH"], env.tokens["USDC"], 1, 1, FAR, b"",
    )  # fmt: skip


def extra_ops(env: HostileEnv, s: Swap, tax_bps: int) -> list[tuple[str, bytes, bool]]:
    vault, extra = env.vault, s.payload.extra
    if extra == "pause":
        return [(vault, calldata("pause()"), False)]
    if extra == "prime":
        return [(vault, calldata("primeWindow(address)", env.tokens.get(s.sin, ZERO)), False)]
    if extra == "steal_out":
        transfer = "transferFrom(address,address,uint256)"
        return [(env.tokens.get(s.sout, ZERO), calldata(transfer, vault, env.attacker, 1), False)]
    if extra == "flip_false":
        # EVIL starts returning false for the vault, its tax kept as it is
        quirks = "setQuirks(address,uint256,address,bool)"
        return [(env.tokens["EVIL"], calldata(quirks, vault, tax_bps, env.tax_sink, True), False)]
    if extra in ("reenter", "reenter_swallowed"):
        return [(vault, reenter_swap_data(env), extra == "reenter_swallowed")]
    if extra == "reenter_batch":
        swap = (env.addresses["router"], env.tokens["WETH"], env.tokens["USDC"], 1, 1, b"")
        data = calldata(
            "swapBatch((address,address,address,uint256,uint256,bytes)[],uint256)", [swap], FAR
        )
        return [(vault, data, False)]
    if extra == "reenter_execute":
        act = (3, b"", 0, FAR)  # SetAgent, unsigned: the guard stops it before anything
        return [(vault, calldata("execute((uint8,bytes,uint256,uint256),bytes[])", act, []), False)]
    return []
