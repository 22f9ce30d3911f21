"""The vault against an attacker: random sequences in which a stolen agent key tries everything
(targets and tokens never allowlisted or delisted since, calldata that pulls more than approved
or pays someone else, hostile targets that re-enter the vault, pause it, refund, underpay, lie in
their return data, a listed token that taxes the vault or starts returning false mid-call,
batches, the 64-entry window filled and one more, admin calls it has no right to), while owners
change allowlists, caps, slippage and feeds, withdraw, pause and upgrade the proxy mid-sequence,
prices move and go stale, and time jumps around the 24-hour edge. Everything runs on a hardhat
node (tests/contracts/hostile_env.py), each sequence from the same evm_snapshot.

Two kinds of checks. Every transaction's outcome is predicted from the chain's state just
before it (attack_model.Sim replays the README's rules): a transaction the rules forbid must
revert with the expected custom error (decoded with Artifact.decode_error, through SwapCallFailed
to the target's own), an allowed one must succeed. And after every transaction the invariants of
vault_invariants.ChainChecks are judged from chain state alone (balances, allowances, windows,
settings, feed answers, logs), never from the prediction.

Default run: 30 sequences of 40 steps; ZIPPIFI_LONG_TESTS=1: 500 of 50;
ZIPPIFI_STATEFUL_EXAMPLES=N sets the number of sequences.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.contracts.attack_model import (
    EXTRAS,
    FAR,
    ZERO,
    Expect,
    Payload,
    Quirks,
    Sim,
    Swap,
    swap_data,
)
from tests.contracts.devnode import Receipt, calldata, decode
from tests.contracts.hostile_env import (
    CAPS,
    DAY,
    FEED_MAX_AGE,
    MAX_AMOUNT,
    MAX_ENTRIES,
    SYMBOLS,
    TOKENS,
    ChainError,
    View,
    World,
    oracle_bound,
)
from tests.contracts.vault_invariants import ChainChecks, Sent
from zippifi.chain import ActionKind, VaultAction
from zippifi.sign import Signer, keccak256

F = TypeVar("F", bound=Callable[..., Any])
LONG = os.environ.get("ZIPPIFI_LONG_TESTS") == "1"
SEQUENCES = int(os.environ.get("ZIPPIFI_STATEFUL_EXAMPLES", 500 if LONG else 30))
STEPS = 50 if LONG else 40
# OpenZeppelin Initializable's ERC-7201 slot: its first word holds the initialized version
INITIALIZABLE_SLOT = 0xF0C57E16840DF040F15088DC2F81FE391C3923BEC73E23A9662EFC9C229C6A00
STRANGER_KEY = bytes([0x44]) * 32  # the attacker's own signing key: not an owner's

# An attack is mostly what an honest agent would send, with one twist at most (the tokens,
# the size, the minimum output or the calldata): every refusal is reached, and enough swaps get
# through to exercise what must hold when they do.
TWISTS = st.sampled_from(["none"] * 4 + ["tokens", "size", "min_out", "payload"])
_PAIRS = [("WETH", "USDC"), ("USDC", "WETH"), ("DAI", "USDC"), ("USDC", "DAI"), ("EVIL", "USDC")]
VALID_PAIRS = st.sampled_from([*_PAIRS, ("USDC", "EVIL")])
_NO_POOL = [("WETH", "DAI"), ("JUNK", "USDC"), ("USDC", "JUNK")]
ODD_PAIRS = st.sampled_from([*_NO_POOL, ("ZERO", "USDC"), ("WETH", "ZERO"), ("WETH", "WETH")])
USUAL_SIZES = st.sampled_from(["tiny", "small", "small", "half", "cap"])
ODD_SIZES = st.sampled_from(["rest", "cap+1", "rest+1", "zero", "balance+1", "huge"])
ODD_MIN_OUTS = st.sampled_from(["bound-1", "one", "zero", "expected", "expected+1"])
# minOut: our own reading of the README's bound, or the vault's (oracleMinOut), as an attacker
# would ask it for the least it accepts
USUAL_MIN_OUTS = st.sampled_from(["bound", "vault_bound"])
DEADLINES = st.sampled_from(["ok"] * 6 + ["expired", "now"])
SENDERS = st.sampled_from(["agent"] * 8 + ["attacker", "guardian"])


def scripts(pulls: list[str], honest: bool = False) -> st.SearchStrategy[Payload]:
    """A hostile target's script; ``pulls``: how much of the vault's tokenIn it transferFroms
    (an executor-mode target, given the input, has no allowance to pull with). An honest-looking
    one takes its input and pays at least the minimum to the vault."""
    if honest:
        return st.builds(
            Payload,
            kind=st.just("script"),
            pull=st.sampled_from(pulls),
            pay=st.sampled_from(["exact", "double"]),
            ret=st.sampled_from(["empty", "false", "junk"]),
        )
    return st.builds(
        Payload,
        kind=st.just("script"),
        pull=st.sampled_from(pulls),
        pull_to=st.sampled_from(["self", "attacker"]),
        refund=st.sampled_from(["none", "none", "none", "one", "half"]),
        pay=st.sampled_from(["exact", "exact", "double", "short", "none"]),
        pay_to=st.sampled_from(["vault", "vault", "vault", "vault", "attacker"]),
        extra=st.sampled_from(EXTRAS + ("none",) * 4),
        ret=st.sampled_from(["empty", "false", "junk"]),
    )


PAYLOADS = {  # role -> (honest, twisted)
    "router": (
        st.just(Payload("honest")),
        st.sampled_from(["more", "elsewhere", "other_token"]).map(Payload),
    ),
    "executor": (
        st.just(Payload("honest")),
        st.sampled_from(["partial", "more", "malformed", "wrong_pool"]).map(Payload),
    ),
    "h_approve": (scripts(["all", "half"], honest=True), scripts(["all", "half", "none", "more"])),
    "h_push": (scripts(["none"], honest=True), scripts(["none", "none", "all"])),
}


@dataclass(frozen=True)
class Shape:
    """An attack's swap before it meets the chain's numbers (see AttackerMachine._swap)."""

    tokens: tuple[str, str]
    size: str
    min_out: str
    payload: Payload


def shapes(role: str) -> st.SearchStrategy[Shape]:
    honest, twisted = PAYLOADS[role]

    def build(twist: str) -> st.SearchStrategy[Shape]:
        return st.builds(
            Shape,
            tokens=ODD_PAIRS if twist == "tokens" else VALID_PAIRS,
            size=ODD_SIZES if twist == "size" else USUAL_SIZES,
            min_out=ODD_MIN_OUTS if twist == "min_out" else USUAL_MIN_OUTS,
            payload=twisted if twist == "payload" else honest,
        )

    return TWISTS.flatmap(build)


ROLES = st.sampled_from(["router", "router", "executor", "h_approve", "h_push"])
BATCH_SWAPS = st.lists(ROLES.flatmap(lambda r: shapes(r).map(lambda sh: (r, sh))), max_size=4)
ADMIN_CALLS = [
    "own_signature", "replay", "one_signature", "unordered", "expired", "bad_signature",
    "unknown_kind", "pause", "upgrade_proxy", "upgrade_impl", "initialize", "initialize_impl",
    "transfer_from", "prime", "swap_on_impl",
]  # fmt: skip


# each step picks one move, by weight (an attack about two steps in three), then draws its
# arguments: hypothesis's own choice among many rules is far from even
MOVES: dict[str, tuple[int, dict[str, st.SearchStrategy[Any]]]] = {}


def move(weight: int, **arguments: st.SearchStrategy[Any]) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        MOVES[fn.__name__] = (weight, arguments)
        return fn

    return mark


class AttackerMachine(RuleBasedStateMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        self.env = self.world.fresh()
        self.checks = ChainChecks(self.env)
        self.view: View | None = None
        self.quirks = self._read_quirks()
        self.spend_times: list[int] = []
        self.last_action: tuple[VaultAction, list[bytes], list[str | None]] | None = None
        self.burst_done = False
        self.steps = 0

    # ------------------------------------------------------------------ plumbing

    def _read_quirks(self) -> Quirks:
        _, tax, _, false = self.env.evil_quirks()
        return Quirks(tax, false)

    def _now_view(self) -> View:
        """The chain at the next transaction's time (one full probe after each transaction;
        only the windows are read again when time moved on)."""
        env, now = self.env, self.env.node.now
        if self.view is None:
            self.view = env.view(now)
        elif self.view.at != now:
            data = calldata(
                "windows(address,address[],uint256)",
                env.vault,
                [env.tokens[s] for s in SYMBOLS],
                now,
            )
            sums, entries = decode(
                ["uint256[]", "uint256[]"], env.call(env.addresses["probe"], data)
            )
            tokens = {
                s: replace(self.view.tokens[s], window_sum=sums[i], window_entries=entries[i])
                for i, s in enumerate(SYMBOLS)
            }
            self.view = replace(self.view, at=now, tokens=tokens)
        return self.view

    def _tx(
        self, expect: Expect, sender: str, to: str, data: bytes, sent: Sent, value: int = 0
    ) -> Receipt | None:
        """Sends; the outcome must be ``expect`` (None: success; else the error chain's
        prefix); then every chain invariant is checked against the state before."""
        env = self.env
        before = self._now_view()
        at = env.node.now
        receipt: Receipt | None = None
        try:
            receipt = env.send(sender, to, data, value)
        except ChainError as exc:
            if expect is None or tuple(exc.names[: len(expect)]) != expect:
                raise AssertionError(f"expected {expect or 'success'}, reverted: {exc}") from exc
            self.world.stats[" <- ".join(str(n) for n in exc.names)] += 1
        else:
            assert expect is None, f"expected {expect}, the transaction succeeded"
            if sent.kind != "swap":
                self.world.stats[f"ok {sent.kind} {sent.action.name if sent.action else ''}"] += 1
        # a reverted transaction changes nothing (EVM semantics): no need to read it again
        after = env.view(at) if receipt is not None else before
        self.checks.check(before, after, receipt, sent)
        self.view = after
        return receipt

    def _light_tx(self, sender: str, to: str, data: bytes) -> None:
        """A transaction that cannot touch the vault (a feed's keeper posting): sent without
        the full probe around it; the next transaction's checks read the chain afresh."""
        self.env.send(sender, to, data)
        self.view = None

    def _sim(self) -> Sim:
        return Sim(self.env, self._now_view(), Quirks(self.quirks.tax_bps, self.quirks.false))

    # ------------------------------------------------------------------ building swaps

    def _amount(self, v: View, sym: str, size: str) -> int:
        if sym not in v.tokens:
            return 10**18
        t = v.tokens[sym]
        base = t.max_trade or CAPS[sym][0] * 10 ** TOKENS[sym][0]
        rest = max(t.daily_cap - t.window_sum, 0)
        return {
            "tiny": max(1, base // 10_000),
            "small": base // 10,
            "half": base // 2,
            "cap": t.max_trade,
            "cap+1": t.max_trade + 1,
            "rest": rest,
            "rest+1": rest + 1,
            "fill": min(t.max_trade, rest),
            "zero": 0,
            "balance+1": v.balances[(sym, self.env.vault)] + 1,
            "huge": 2**128,
        }[size]

    def _min_out(self, sim: Sim, sin: str, sout: str, amount: int, mode: str) -> int:
        v = sim.view
        priced = all(
            s in v.tokens and v.tokens[s].answer > 0 and int(v.tokens[s].feed, 16)
            for s in (sin, sout)
        )
        bound = oracle_bound(v, sin, sout, amount) if priced else 1
        expected = sim.expected_out(sin, sout, amount) if priced else bound
        if mode == "vault_bound":
            # what the vault itself says it accepts at least: the attacker asks it
            env = self.env
            tokens = (env.tokens.get(sin, ZERO), env.tokens.get(sout, ZERO))
            query = calldata("oracleMinOut(address,address,uint256)", *tokens, amount)
            try:
                return max(1, int(decode(["uint256", "uint256"], env.call(env.vault, query))[1]))
            except ChainError:
                return 1
        return max(
            0,
            {
                "bound": max(bound, 1),
                "bound-1": bound - 1,
                "one": 1,
                "zero": 0,
                "expected": expected,
                "expected+1": expected + 1,
            }[mode],
        )

    def _target(self, role: str, sin: str) -> str:
        env = self.env
        if role in env.addresses:
            return env.addresses[role]
        return {
            "pair": env.pairs["WETH"],
            "token": env.tokens.get(sin, env.tokens["USDC"]),
            "vault": env.vault,
            "zero": ZERO,
        }[role]

    def _swap(self, sim: Sim, role: str, shape: Shape) -> Swap:
        sin, sout = shape.tokens
        amount = self._amount(sim.view, sin, shape.size)
        min_out = self._min_out(sim, sin, sout, amount, shape.min_out)
        return Swap(self._target(role, sin), role, sin, sout, amount, min_out, shape.payload)

    def _as_tuple(self, s: Swap) -> tuple[str, str, str, int, int, bytes]:
        tok = self.env.tokens
        data = swap_data(self.env, s, self.quirks.tax_bps)
        return (s.target, tok.get(s.sin, ZERO), tok.get(s.sout, ZERO), s.amount, s.min_out, data)

    def _caller(self, sender: str, deadline: str) -> tuple[str, int, Expect]:
        """The sender and deadline, and the error the caller checks give (before any swap's)."""
        env, v = self.env, self._now_view()
        who = {"agent": env.agent, "attacker": env.attacker, "guardian": env.guardian}
        address = who[sender]
        now = env.node.now
        when = {"ok": now + 600, "expired": now - 1, "now": now}[deadline]
        if not (v.accounts.get(address) and v.accounts[address].agent):
            return address, when, ("NotAgent",)
        if v.paused:
            return address, when, ("VaultPaused",)
        if now > when:
            return address, when, ("DeadlineExpired",)
        return address, when, None

    def _send_swaps(self, swaps: list[Swap], sender: str, deadline: str, batch: bool) -> Expect:
        """Sends the swaps (one swapExactIn, or a swapBatch); returns the expected (and seen)
        outcome."""
        address, when, expect = self._caller(sender, deadline)
        sim = self._sim()
        if expect is None:
            if batch and not swaps:
                expect = ("EmptyBatch",)
            for s in swaps:
                expect = sim.swap(s)
                if expect is not None:
                    break
        tuples = [self._as_tuple(s) for s in swaps]
        if batch:
            data = calldata(
                "swapBatch((address,address,address,uint256,uint256,bytes)[],uint256)",
                tuples,
                when,
            )
        else:
            t = tuples[0]
            data = calldata(
                "swapExactIn(address,address,address,uint256,uint256,uint256,bytes)",
                *t[:5],
                when,
                t[5],
            )
        summary = tuple((t[0], t[1], t[2], t[3]) for t in tuples)
        receipt = self._tx(expect, address, self.env.vault, data, Sent("swap", address, summary))
        if receipt is not None:
            for s in swaps:
                self.world.stats[f"ok swap through {s.role}"] += 1
            self.spend_times.append(receipt.block_time)
            if any(s.payload.extra == "flip_false" for s in swaps):
                self.quirks = self._read_quirks()
            # beyond the outcome, the amounts: the rules replayed must land where the chain is
            after, vault = self.view, self.env.vault  # read at the swap's own block time
            assert after is not None
            assert after.at == receipt.block_time
            for sym in SYMBOLS:
                got = (after.balances[(sym, vault)], after.tokens[sym].window_sum)
                assert got == (sim.bal(sym, vault), sim.windows[sym].total), (sym, got)
        return expect

    # ------------------------------------------------------------------ the attacker

    @move(4, shape=shapes("router"), deadline=DEADLINES, sender=SENDERS)
    def attack_through_router(self, shape: Shape, deadline: str, sender: str) -> None:
        """Our router: honest calldata, or pulling one more than approved, paying the attacker,
        spending a token that was not approved; from the agent or not, in time or not."""
        self._send_swaps([self._swap(self._sim(), "router", shape)], sender, deadline, False)

    @move(3, shape=shapes("executor"), deadline=DEADLINES)
    def attack_through_executor(self, shape: Shape, deadline: str) -> None:
        """The route executor: a route using all, half or more than the pushed input, through
        the wrong pool, or malformed."""
        self._send_swaps([self._swap(self._sim(), "executor", shape)], "agent", deadline, False)

    @move(4, shape=shapes("h_approve"))
    def attack_through_hostile_router(self, shape: Shape) -> None:
        """A hostile contract the owners allowlisted as a router (it gets an approval)."""
        self._send_swaps([self._swap(self._sim(), "h_approve", shape)], "agent", "ok", False)

    @move(3, shape=shapes("h_push"))
    def attack_through_hostile_executor(self, shape: Shape) -> None:
        """A hostile contract the owners allowlisted as an executor (the input is pushed)."""
        self._send_swaps([self._swap(self._sim(), "h_push", shape)], "agent", "ok", False)

    @move(
        1,
        role=st.sampled_from(["h_loose", "pair", "token", "vault", "zero"]),
        shape=shapes("h_approve"),
    )
    def attack_through_unlisted_target(self, role: str, shape: Shape) -> None:
        """A target never allowlisted: the attacker's own contract, a pair, a token, the vault."""
        self._send_swaps([self._swap(self._sim(), role, shape)], "agent", "ok", False)

    @move(3, swaps=BATCH_SWAPS, deadline=DEADLINES, sender=SENDERS)
    def attack_with_a_batch(
        self, swaps: list[tuple[str, Shape]], deadline: str, sender: str
    ) -> None:
        """swapBatch: each swap under every rule, the window counting the batch's earlier ones."""
        sim = self._sim()
        built = [self._swap(sim, role, shape) for role, shape in swaps]
        self._send_swaps(built, sender, deadline, batch=True)

    @move(
        2,
        tokens=VALID_PAIRS,
        second=st.sampled_from(["cap", "fill", "small"]),
        offset=st.sampled_from([-1, -1, 0, 1]),
    )
    def attack_at_the_window_edge(self, tokens: tuple[str, str], second: str, offset: int) -> None:
        """Spend a token's whole rolling cap (up to three swaps, a second apart), then, exactly
        24 h after the first (or a second either side), swap it again: one second early
        everything still counts against the cap."""
        first: int | None = None
        for _ in range(3):
            shape = Shape(tokens, "fill", "bound", Payload("honest"))
            swap = self._swap(self._sim(), "router", shape)
            if swap.amount == 0:
                break
            if self._send_swaps([swap], "agent", "ok", False) is not None:
                return
            first = first or self.spend_times[-1]
        if first is None or first + DAY + offset - len(SYMBOLS) <= self.env.node.now:
            return
        self._refresh_feeds(first + DAY + offset)
        shape = Shape(tokens, second, "bound", Payload("honest"))
        self._send_swaps([self._swap(self._sim(), "router", shape)], "agent", "ok", False)

    @move(
        1,
        sin=st.sampled_from(["WETH", "USDC", "DAI", "EVIL"]),
        extra=st.integers(1, 3),
        go=st.integers(0, 1),
    )
    def attack_fills_the_window(self, sin: str, extra: int, go: int) -> None:
        """Small honest swaps of one token, one a second, until its 64-entry window is full,
        then a few more, which must fail with WindowFull; stops at any other refusal (the
        prediction said which). Once in about half of the sequences (it costs 64+ blocks)."""
        sout = "USDC" if sin != "USDC" else "WETH"
        v = self._now_view()
        ready = not v.paused and v.accounts[self.env.agent].agent
        ready = ready and v.tokens[sin].allowed and v.tokens[sout].allowed
        ready = ready and v.accounts[self.env.addresses["router"]].mode == 1
        if go or self.burst_done or not ready:
            return
        self.burst_done = True
        self._refresh_feeds(self.env.node.now + len(SYMBOLS))
        for _ in range(MAX_ENTRIES + extra):
            shape = Shape((sin, sout), "tiny", "bound", Payload("honest"))
            s = self._swap(self._sim(), "router", shape)
            outcome = self._send_swaps([s], "agent", "ok", batch=False)
            if outcome is not None:
                extra -= 1
                if outcome != ("WindowFull",) or extra == 0:
                    return

    @move(2, how=st.sampled_from(ADMIN_CALLS))
    def attack_with_admin_calls(self, how: str) -> None:
        """What the agent key may not do outside swaps, and the one harmless thing it may."""
        env = self.env
        v = self._now_view()
        vault, agent = env.vault, env.agent
        sent = Sent("other", agent)
        if how in ("own_signature", "one_signature", "unordered", "expired", "bad_signature",
                   "unknown_kind"):  # fmt: skip
            deadline = env.node.now - 1 if how == "expired" else None
            kind: ActionKind | int = 17 if how == "unknown_kind" else ActionKind.SET_AGENT
            act = (
                env.make_action(kind, nonce=v.nonce, deadline=deadline)
                if how == "unknown_kind"
                else env.make_action(kind, env.attacker, True, nonce=v.nonce, deadline=deadline)
            )
            signers: list[Signer] = {
                "own_signature": [Signer(STRANGER_KEY), env.owners[0]],
                "one_signature": [env.owners[0]],
            }.get(how, env.owners[:2])
            sigs = env.sign(act, signers)
            by = sorted((s.address for s in signers), key=lambda a: int(a, 16))
            names: list[str | None] = list(by)
            if how == "unordered":
                sigs, names = sigs[::-1], names[::-1]
            if how == "bad_signature":
                sigs, names = [b"\x01" * 10], [None]
            expect = self._expect_execute(v, act, names)
            self._tx(expect, agent, vault, env.execute_data(act, sigs), Sent("other", agent))
            return
        if how == "replay":
            if self.last_action is None:
                return
            act, sigs, names = self.last_action
            data = env.execute_data(act, sigs)
            self._tx(self._expect_execute(v, act, names), agent, vault, data, sent)
            return
        impl = v.implementation
        upgrade = calldata("upgradeToAndCall(address,bytes)", env.addresses["v2_impl"], b"")
        init = calldata(
            "initialize(address[],uint256,address,uint256,uint256)", [agent], 1, agent, 0, 3600
        )
        token = env.tokens["WETH"]
        steal = calldata("transferFrom(address,address,uint256)", vault, env.attacker, 1)
        swap = calldata(
            "swapExactIn(address,address,address,uint256,uint256,uint256,bytes)",
            env.addresses["router"], token, env.tokens["USDC"], 1, 1, FAR, b"",
        )  # fmt: skip
        to, data, expect = {
            "pause": (vault, calldata("pause()"), ("NotGuardian",)),
            "upgrade_proxy": (vault, upgrade, ("UpgradeOnlyByOwnersAction",)),
            "upgrade_impl": (impl, upgrade, ("UUPSUnauthorizedCallContext",)),
            "initialize": (vault, init, ("InvalidInitialization",)),
            "initialize_impl": (impl, init, ("InvalidInitialization",)),
            "transfer_from": (token, steal, ("ERC20InsufficientAllowance",)),
            "prime": (vault, calldata("primeWindow(address)", token), None),
            "swap_on_impl": (impl, swap, ("NotAgent",)),  # the bare implementation has no agent
        }[how]
        self._tx(expect, agent, to, data, sent)

    def _expect_execute(self, v: View, act: VaultAction, signers: list[str | None]) -> Expect:
        """execute's checks before the action runs, in the contract's order, for an action
        the attacker submits (none may run); ``signers``: who signed each signature (None: no
        valid signature)."""
        env = self.env
        if env.node.now > act.deadline:
            return ("ActionExpired",)
        if act.nonce != v.nonce:
            return ("InvalidNonce",)
        previous = 0
        owner_addresses = {o.address for o in env.owners}
        for signer in signers:
            if signer is None:
                return ("InvalidSignature",)
            if signer not in owner_addresses:
                return ("NotOwner",)
            if int(signer, 16) <= previous:
                return ("SignersNotAscending",)
            previous = int(signer, 16)
        if len(signers) < v.threshold:
            return ("BelowThreshold",)
        if int(act.kind) > max(ActionKind):
            return ("UnknownAction",)
        raise AssertionError(f"the attacker's action {act} would run")

    @move(
        2,
        tax=st.sampled_from([0, 0, 50, 1000]),
        false=st.sampled_from([False, False, False, True]),
    )
    def attacker_sets_the_hostile_tokens_quirks(self, tax: int, false: bool) -> None:
        """EVIL (listed by the owners) starts or stops taxing the vault, returning false."""
        env = self.env
        data = calldata(
            "setQuirks(address,uint256,address,bool)", env.vault, tax, env.tax_sink, false
        )
        self._tx(None, env.attacker, env.tokens["EVIL"], data, Sent("other", env.attacker))
        self.quirks = Quirks(tax, false)

    # ------------------------------------------------------------------ prices and time

    def _refresh_feeds(self, at: int) -> None:
        """Every feed posts its answer again just before ``at`` (one block per feed)."""
        env = self.env
        start = at - len(SYMBOLS)
        if start > env.node.now:
            env.node.advance(start - env.node.now)
        v = self._now_view()
        for sym in SYMBOLS:
            answer = v.tokens[sym].answer
            if answer <= 0:
                answer = TOKENS[sym][2]
            self._light_tx(env.deployer, env.feeds[sym], calldata("updateAnswer(int256)", answer))

    @move(
        2,
        sym=st.sampled_from(SYMBOLS),
        how=st.sampled_from(["move", "move", "follow", "follow", "zero", "negative", "stale"]),
        bps=st.integers(-60, 60) | st.sampled_from([-300, 300]),
    )
    def keeper_posts_a_price(self, sym: str, how: str, bps: int) -> None:
        """A feed moves by bps, or to its pair's mid price, or breaks: a zero or negative answer,
        an answer older than the vault's maxAge."""
        env = self.env
        v = self._now_view()
        answer = v.tokens[sym].answer if v.tokens[sym].answer > 0 else TOKENS[sym][2]
        if how == "follow" and sym != "USDC" and v.tokens["USDC"].answer > 0:
            r0, r1, t0 = v.reserves[env.pairs[sym]]
            r_sym, r_usdc = (r0, r1) if t0 == env.tokens[sym] else (r1, r0)
            dec, fdec = TOKENS[sym][0], TOKENS[sym][1]
            answer = (
                r_usdc
                * v.tokens["USDC"].answer
                * 10**dec
                * 10**fdec
                // (r_sym * 10**6 * 10 ** TOKENS["USDC"][1])
            )
        elif how == "move":
            answer = answer * (10_000 + bps) // 10_000
        if how == "stale":
            stamp = env.node.now - FEED_MAX_AGE - 1
            data = calldata("updateAnswerAt(int256,uint256)", answer, stamp)
        else:
            value = {"zero": 0, "negative": -1}.get(how, max(answer, 1))
            data = calldata("updateAnswer(int256)", value)
        self._tx(None, env.deployer, env.feeds[sym], data, Sent("other", env.deployer))

    @move(
        3,
        how=st.sampled_from(["step", "step", "edge", "edge", "eta"]),
        step=st.sampled_from([1, 59, FEED_MAX_AGE, FEED_MAX_AGE + 1, DAY - 1, DAY, DAY + 1])
        | st.integers(2, 2 * DAY),
        refresh=st.sampled_from([True] * 5 + [False]),
        pick=st.integers(0, 10**6),
        offset=st.sampled_from([-1, 0, 1]),
    )
    def time_passes(self, how: str, step: int, refresh: bool, pick: int, offset: int) -> None:
        """Time jumps: by a step (usually with the feeds posting again just before, else they
        may go stale), or to exactly 24 h after a recorded spend (a second either side: the
        window's edge), or to the pending upgrade's eta (the same)."""
        env = self.env
        target = env.node.now + step + len(SYMBOLS)
        if how == "edge" and self.spend_times:
            target = self.spend_times[pick % len(self.spend_times)] + DAY + offset
            refresh = True
        elif how == "eta" and self._now_view().pending[2] > 0:
            target = self._now_view().pending[2] + offset
            refresh = True
        if target - len(SYMBOLS) <= env.node.now:
            return  # already past it
        if refresh:
            self._refresh_feeds(target)
        else:
            env.node.advance(target - env.node.now)

    # ------------------------------------------------------------------ owners and guardian

    def _owners(self, expect: Expect, kind: ActionKind, *params: Any) -> Receipt | None:
        env = self.env
        v = self._now_view()
        act = env.make_action(kind, *params, nonce=v.nonce)
        sigs = env.sign(act, env.owners[: v.threshold])
        receipt = self._tx(
            expect, env.treasury, env.vault, env.execute_data(act, sigs),
            Sent("owners", env.treasury, action=kind, params=params),
        )  # fmt: skip
        if receipt is not None:  # what the attacker may try to replay
            signers = sorted(
                (o.address for o in env.owners[: v.threshold]), key=lambda a: int(a, 16)
            )
            self.last_action = (act, sigs, list(signers))
        return receipt

    @move(2, what=st.sampled_from(["caps", "caps", "list", "slippage", "feed"]), data=st.data())
    def owners_change_limits(self, what: str, data: st.DataObject) -> None:
        """Caps, listings, slippage, feeds (each move's parameters drawn in its method)."""
        getattr(self, f"_owners_{what}")(data)

    @move(
        2,
        what=st.sampled_from(["target", "target", "agent", "pause", *["unpause"] * 4]),
        data=st.data(),
    )
    def owners_change_roles(self, what: str, data: st.DataObject) -> None:
        """Targets and executors, the agent; the guardian pauses, the owners unpause."""
        getattr(self, f"_owners_{what}")(data)

    @move(
        2,
        what=st.sampled_from(["withdraw", "schedule", "execute", "execute", "cancel"]),
        data=st.data(),
    )
    def owners_withdraw_or_upgrade(self, what: str, data: st.DataObject) -> None:
        getattr(self, f"_owners_{what}")(data)

    def _owners_caps(self, data: st.DataObject) -> None:
        """New caps (often below what the window already holds); sometimes invalid: per trade
        over daily, or a daily cap beyond 128 bits."""
        sym = data.draw(st.sampled_from(SYMBOLS))
        pct = data.draw(st.integers(1, 150))
        mult = data.draw(st.sampled_from([1, 2, 3, 5]))
        invalid = data.draw(st.sampled_from([False] * 6 + [True]))
        per_trade = CAPS[sym][0] * 10 ** TOKENS[sym][0] * pct // 100
        daily = per_trade * mult
        if invalid:
            per_trade, daily = (daily + 1, daily) if mult > 1 else (1, MAX_AMOUNT + 1)
        expect = ("InvalidLimits",) if invalid else None
        self._owners(expect, ActionKind.SET_TOKEN, self.env.tokens[sym], True, per_trade, daily)

    def _owners_list(self, data: st.DataObject) -> None:
        sym = data.draw(st.sampled_from(SYMBOLS))
        allowed = data.draw(st.sampled_from([True, True, False]))
        per_trade, daily = (c * 10 ** TOKENS[sym][0] if allowed else 0 for c in CAPS[sym])
        self._owners(None, ActionKind.SET_TOKEN, self.env.tokens[sym], allowed, per_trade, daily)

    def _owners_target(self, data: st.DataObject) -> None:
        """Allowlist or drop a router/pool target or an executor; a listed token as a target is
        refused."""
        env, v = self.env, self._now_view()
        which = data.draw(st.sampled_from(["router", "h_approve", "executor", "h_push", "token"]))
        allowed = data.draw(st.sampled_from([True, True, False]))
        if which == "token":
            expect = ("InvalidTarget",) if allowed and v.tokens["WETH"].allowed else None
            self._owners(expect, ActionKind.SET_TARGET, env.tokens["WETH"], allowed)
            return
        push = which in ("executor", "h_push")
        kind = ActionKind.SET_EXECUTOR if push else ActionKind.SET_TARGET
        self._owners(None, kind, env.addresses[which], allowed)

    def _owners_slippage(self, data: st.DataObject) -> None:
        bps = data.draw(st.sampled_from([0, 30, 100, 100, 300, 5000, 5001]))
        self._owners(("SlippageTooHigh",) if bps > 5000 else None, ActionKind.SET_MAX_SLIPPAGE, bps)

    def _owners_feed(self, data: st.DataObject) -> None:
        sym = data.draw(st.sampled_from(SYMBOLS))
        present = data.draw(st.sampled_from([True, True, False]))
        max_age = data.draw(st.sampled_from([FEED_MAX_AGE] * 3 + [0]))
        env = self.env
        feed = env.feeds[sym] if present else ZERO
        expect = ("InvalidFeed",) if present and max_age == 0 else None
        self._owners(expect, ActionKind.SET_PRICE_FEED, env.tokens[sym], feed, max_age)

    def _owners_withdraw(self, data: st.DataObject) -> None:
        env, v = self.env, self._now_view()
        what = data.draw(st.sampled_from([*SYMBOLS, "ETH"]))
        bps = data.draw(st.integers(0, 10_000) | st.just(10_001))
        to = data.draw(st.sampled_from(["treasury"] * 4 + ["zero", "vault"]))
        recipient = {"treasury": env.treasury, "zero": ZERO, "vault": env.vault}[to]
        if what == "ETH":
            token, balance = ZERO, v.eth
        else:
            token, balance = env.tokens[what], v.balances[(what, env.vault)]
        amount = balance * bps // 10_000 if bps <= 10_000 else balance + 1
        expect: Expect = None
        tax = amount * self.quirks.tax_bps // 10_000 if what == "EVIL" else 0
        if recipient in (ZERO, env.vault):
            expect = ("InvalidRecipient",)
        elif what == "EVIL" and self.quirks.false:
            expect = ("SafeERC20FailedOperation",)
        elif what == "ETH" and amount > balance:
            expect = ("EthTransferFailed",)
        elif amount + tax > balance:
            expect = ("InsufficientBalance",) if what == "EVIL" else ("ERC20InsufficientBalance",)
        self._owners(expect, ActionKind.WITHDRAW, token, recipient, amount)

    def _owners_pause(self, data: st.DataObject) -> None:
        env = self.env
        self._tx(None, env.guardian, env.vault, calldata("pause()"), Sent("other", env.guardian))

    def _owners_unpause(self, data: st.DataObject) -> None:
        expect = None if self._now_view().paused else ("NotPaused",)
        self._owners(expect, ActionKind.UNPAUSE)

    def _owners_agent(self, data: st.DataObject) -> None:
        enabled = data.draw(st.sampled_from([True, True, True, False]))
        self._owners(None, ActionKind.SET_AGENT, self.env.agent, enabled)

    def _upgrade_data(self, which: str) -> tuple[str, bytes]:
        env = self.env
        if which == "v2":
            return env.addresses["v2_impl"], calldata("initializeV2(uint256)", 7)
        if which == "v1b":
            return env.addresses["v1b_impl"], b""
        if which == "wrong_uuid":
            return env.addresses["wrong_uuid"], b""
        return env.attacker, b""  # no code

    def _owners_schedule(self, data: st.DataObject) -> None:
        which = data.draw(st.sampled_from(["v2", "v2", "v1b", "v1b", "wrong_uuid", "no_code"]))
        impl, payload = self._upgrade_data(which)
        expect = ("InvalidImplementation",) if which == "no_code" else None
        self._owners(expect, ActionKind.SCHEDULE_UPGRADE, impl, payload)

    def _owners_execute(self, data: st.DataObject) -> None:
        env, v = self.env, self._now_view()
        as_scheduled = data.draw(st.sampled_from([True, True, True, False]))
        impl, data_hash, eta = v.pending
        candidates = [self._upgrade_data(w) for w in ("v2", "v1b", "wrong_uuid")]
        match = [
            c for c in candidates
            if c[0] == impl and int.from_bytes(keccak256(c[1]), "big") == data_hash
        ]  # fmt: skip
        if as_scheduled and match:
            impl_, payload = match[0]
        else:
            impl_, payload = env.addresses["v1b_impl"], b"\x00"  # never what was scheduled
        expect: Expect
        if int(impl, 16) == 0:
            expect = ("NoUpgradeScheduled",)
        elif not (as_scheduled and match):
            expect = ("UpgradeMismatch",)
        elif env.node.now < eta:
            expect = ("UpgradeTooEarly",)
        elif impl_ == env.addresses["wrong_uuid"]:
            expect = ("UUPSUnsupportedProxiableUUID",)
        elif payload and env.node.storage_at(env.vault, INITIALIZABLE_SLOT) % 2**64 >= 2:
            expect = ("InvalidInitialization",)  # initializeV2 is a reinitializer(2): once
        else:
            expect = None
        self._owners(expect, ActionKind.EXECUTE_UPGRADE, impl_, payload)

    def _owners_cancel(self, data: st.DataObject) -> None:
        pending = int(self._now_view().pending[0], 16)
        self._owners(None if pending else ("NoUpgradeScheduled",), ActionKind.CANCEL_UPGRADE)

    # ------------------------------------------------------------------ bookkeeping

    @rule(
        name=st.sampled_from([n for n, (w, _) in MOVES.items() for _ in range(w)]), data=st.data()
    )
    def step(self, name: str, data: st.DataObject) -> None:
        _, arguments = MOVES[name]
        drawn = {
            k: data if k == "data" else data.draw(strategy, label=k)
            for k, strategy in arguments.items()
        }
        getattr(self, name)(**drawn)

    @invariant()
    def count_steps(self) -> None:
        """Runs after the machine starts and after every step (the checks run per
        transaction, in _tx)."""
        self.steps += 1

    def teardown(self) -> None:
        self.world.steps.append(self.steps - 1)
        event(f"agent swaps that succeeded: {min(self.checks.agent_swaps_ok, 10)}+")


def test_vault_against_an_attacker(hostile_world: World) -> None:
    """At least SEQUENCES sequences of STEPS steps (hypothesis ends a few early when it runs
    short of buffer: more rounds run until enough went the whole way); a summary of what was
    reached is printed."""
    AttackerMachine.world = hostile_world
    started = time.monotonic()
    for _ in range(4):
        full = sum(1 for n in hostile_world.steps if n >= STEPS)
        if full >= SEQUENCES:
            break
        run_state_machine_as_test(
            AttackerMachine,
            settings=settings(
                max_examples=SEQUENCES - full,
                stateful_step_count=STEPS,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                phases=[Phase.generate] if os.environ.get("ZIPPIFI_NO_SHRINK") else list(Phase),
            ),
        )
    elapsed = time.monotonic() - started
    steps = hostile_world.steps
    full = sum(1 for n in steps if n >= STEPS)
    print(
        f"\n{len(steps)} sequences ({full} of {STEPS} steps), steps {min(steps)}..{max(steps)}, "
        f"{sum(steps)} in all, {elapsed:.1f} s; outcomes:"
    )
    for outcome, count in sorted(hostile_world.stats.items()):
        print(f"  {count:6d}  {outcome}")
    assert full >= SEQUENCES, f"only {full} sequences ran {STEPS} steps"
