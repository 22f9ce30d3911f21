"""What must hold after every transaction sent to (or near) the vault, judged from the chain
only: the probe's View just before the transaction and just after it (both with windows and
feeds judged at the transaction's block time) and the transaction's logs. Nothing here reads
what a test predicted; only what was sent (who sent what to whom, which tokens a swap names)
says which rule applies.

- no allowance from the vault to anyone remains, and the route executor holds no token;
- only an agent's swap may lower the vault's token balances (besides the owners' Withdraw, which
  pays exactly its recipient): each token's loss is recorded in its rolling window, the window
  stays within the cap in force, and the losses of any 24 hours (by block time, from balances)
  never exceed it; the vault's value at the feeds' prices falls by at most maxSlippageBps of
  what it spent (plus two units of each output token per swap: the bound's two roundings down);
  tokens leave only as approved to an approve-mode target or pushed to an executor;
- settings change only by the owners' actions (the guardian may pause), the implementation only
  by an ExecuteUpgrade of what was scheduled, at or after its eta.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from tests.contracts.devnode import Log, Receipt
from tests.contracts.hostile_env import DAY, MAX_ENTRIES, SYMBOLS, HostileEnv, View, usd
from zippifi.chain import ActionKind
from zippifi.sign import keccak256, to_checksum_address

TRANSFER = keccak256(b"Transfer(address,address,uint256)")
APPROVAL = keccak256(b"Approval(address,address,uint256)")
ZERO = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class Sent:
    """What a transaction was, as its sender built it."""

    kind: str  # "swap" (an agent's swapExactIn / swapBatch), "owners" (execute), "other"
    sender: str
    swaps: tuple[tuple[str, str, str, int], ...] = ()  # (target, tokenIn, tokenOut, amountIn)
    action: ActionKind | None = None
    params: tuple[object, ...] = ()


@dataclass(frozen=True)
class Moved:
    token: str
    frm: str
    to: str
    amount: int


def _topic_address(topic: bytes) -> str:
    return to_checksum_address("0x" + topic[-20:].hex())


def moves(logs: tuple[Log, ...], event: bytes) -> list[Moved]:
    return [
        Moved(log.address, _topic_address(log.topics[1]), _topic_address(log.topics[2]),
              int.from_bytes(log.data[:32], "big"))
        for log in logs
        if len(log.topics) == 3 and log.topics[0] == event
    ]  # fmt: skip


@dataclass
class ChainChecks:
    env: HostileEnv
    losses: list[tuple[int, str, int]] = field(default_factory=list)  # (time, symbol, loss)
    agent_swaps_ok: int = 0

    def check(self, before: View, after: View, receipt: Receipt | None, sent: Sent) -> None:
        env = self.env
        vault = env.vault
        live = {k: v for k, v in after.allowances.items() if v}
        assert not live, f"allowances from the vault remain: {live}"
        executor = env.addresses["executor"]
        held = {s: after.balances[(s, executor)] for s in SYMBOLS if after.balances[(s, executor)]}
        assert not held, f"the route executor holds {held}"
        for sym, t in after.tokens.items():
            assert t.window_entries <= MAX_ENTRIES, (sym, t.window_entries)
        if receipt is None:
            return  # reverted: nothing changed (the caller reads no new state)
        transfers = [m for m in moves(receipt.logs, TRANSFER) if m.frm == vault]
        approvals = [m for m in moves(receipt.logs, APPROVAL) if m.frm == vault]
        is_upgrade = sent.kind == "owners" and sent.action == ActionKind.EXECUTE_UPGRADE
        if after.implementation != before.implementation:
            assert is_upgrade, f"the implementation changed in a {sent}"
            impl, data = sent.params
            assert isinstance(data, bytes)
            assert before.pending == (
                impl,
                int.from_bytes(keccak256(data), "big"),
                before.pending[2],
            )
            assert 0 < before.pending[2] <= receipt.block_time, "upgraded before its eta"
            assert after.implementation == impl
        if sent.kind == "swap":
            self._swap(before, after, receipt, sent, transfers, approvals)
        elif sent.kind == "owners":
            self._owners(before, after, sent, transfers, approvals)
        else:
            self._other(before, after, sent, transfers, approvals)

    # ------------------------------------------------------------------ agent swaps

    def _swap(
        self,
        before: View,
        after: View,
        receipt: Receipt,
        sent: Sent,
        transfers: list[Moved],
        approvals: list[Moved],
    ) -> None:
        env, vault, t = self.env, self.env.vault, receipt.block_time
        sym_of = env.symbol_of
        assert after.config() == before.config(), "an agent's swap changed the vault's settings"
        assert after.eth >= before.eth, "an agent's swap sent the vault's ETH away"
        ins = {sym_of[s[1]] for s in sent.swaps}
        self.agent_swaps_ok += len(sent.swaps)
        spent_usd = Fraction(0)
        change_usd = Fraction(0)
        for sym in SYMBOLS:
            key = (sym, vault)
            loss = before.balances[key] - after.balances[key]
            grew = after.tokens[sym].window_sum - before.tokens[sym].window_sum
            assert grew >= 0, f"{sym}'s window shrank in a swap"
            assert grew == 0 or sym in ins, f"{sym} recorded a spend it did not swap in"
            assert loss <= grew, f"the vault lost {loss} {sym}, its window recorded {grew}"
            if len(sent.swaps) == 1 and sym in ins:
                # what the vault records as spent is what its balance fell by (none if it grew)
                assert max(loss, 0) == grew, f"one swap: {sym} window grew {grew}, fell {loss}"
            if grew:
                cap = before.tokens[sym].daily_cap
                assert after.tokens[sym].window_sum <= cap, f"{sym}'s window is over its cap"
                price = usd(before, sym, grew)
                assert price is not None, f"{sym} was spent without a price"
                spent_usd += price
            if loss > 0:
                self.losses.append((t, sym, loss))
                day = sum(a for when, s, a in self.losses if s == sym and when > t - DAY)
                assert day <= before.tokens[sym].daily_cap, (
                    f"the vault lost {day} {sym} in 24 h; its cap is {before.tokens[sym].daily_cap}"
                )
            if loss != 0:
                value = usd(before, sym, -loss)
                assert value is not None, f"{sym} moved without a price"
                change_usd += value
        # the oracle bound: value out >= (1 - slippage) value in, less the bound's roundings
        slack = sum(
            2 * (usd(before, sym_of[s[2]], 1) or Fraction(0)) for s in sent.swaps
        ) or Fraction(0)
        floor = -spent_usd * before.slippage_bps / 10_000 - slack
        assert change_usd >= floor, f"the vault's value fell by {-change_usd} USD, at most {-floor}"
        # tokens leave only as approved to an approve-mode target, or pushed to an executor
        approved: dict[str, int] = defaultdict(int)
        for a in approvals:
            if a.amount:
                spender = before.accounts.get(a.to)
                assert spender is not None, f"approval to {a.to}, not a target"
                assert spender.mode == 1, f"approval to {a.to}, not an approve-mode target"
                approved[a.token] += a.amount
        pushed: dict[str, int] = defaultdict(int)
        for target, tin, _, amount in sent.swaps:
            if before.accounts.get(target) and before.accounts[target].mode == 2:
                pushed[tin] += amount
        pulled: dict[str, int] = defaultdict(int)
        for m in transfers:
            assert sym_of[m.token] in ins, f"{sym_of[m.token]} left the vault, not swapped in"
            mode = before.accounts[m.to].mode if m.to in before.accounts else 0
            if mode == 2:
                pushed[m.token] -= m.amount
            elif not self._tax(m):
                pulled[m.token] += m.amount
        for token, amount in pushed.items():
            assert amount >= 0, f"more {sym_of[token]} pushed to executors than the swaps say"
        for token, amount in pulled.items():
            assert amount <= approved[token], (
                f"{sym_of[token]}: {amount} left, {approved[token]} approved"
            )

    def _tax(self, m: Moved) -> bool:
        """The hostile token's own tax on the vault (it takes it whatever the vault does)."""
        return m.token == self.env.tokens["EVIL"] and m.to == self.env.tax_sink

    # ------------------------------------------------------------------ owners and others

    def _owners(
        self, before: View, after: View, sent: Sent, transfers: list[Moved], approvals: list[Moved]
    ) -> None:
        vault = self.env.vault
        assert not [a for a in approvals if a.amount], "an owners' action approved a spender"
        assert _windows(after) == _windows(before), "an owners' action changed a window"
        withdraw = sent.action == ActionKind.WITHDRAW
        token, to, amount = sent.params if withdraw else (None, None, 0)
        for sym in SYMBOLS:
            loss = before.balances[(sym, vault)] - after.balances[(sym, vault)]
            out = [m for m in transfers if m.token == self.env.tokens[sym]]
            if self.env.tokens[sym] != token:
                assert loss <= 0, f"{sym} left the vault in a {sent.action!r}"
                assert not out, f"{sym} left the vault in a {sent.action!r}: {out}"
                continue
            paid = [(m.to, m.amount) for m in out if not self._tax(m)]
            assert paid == [(to, amount)], f"withdrawing {amount} {sym} to {to} paid {paid}"
            assert loss == sum(m.amount for m in out), f"{sym}: lost {loss}, transfers {out}"
        eth_out = amount if withdraw and token == ZERO else 0
        assert before.eth - after.eth == eth_out, f"ETH: {before.eth} -> {after.eth}"

    def _other(
        self, before: View, after: View, sent: Sent, transfers: list[Moved], approvals: list[Moved]
    ) -> None:
        assert not transfers, f"tokens left the vault in a {sent}: {transfers}"
        assert not [a for a in approvals if a.amount], "a stranger's transaction approved"
        assert after.eth >= before.eth
        for sym in SYMBOLS:
            key = (sym, self.env.vault)
            assert after.balances[key] >= before.balances[key], f"{sym} left the vault"
        assert _windows(after) == _windows(before), f"a window changed in a {sent}"
        b, a = before.config(), after.config()
        if a != b:  # only the guardian's pause
            assert sent.sender == before.guardian, f"settings changed in a {sent}"
            assert a[1:] == b[1:], f"settings changed in a {sent}"
            assert a[0], "the guardian unpaused"


def _windows(v: View) -> dict[str, tuple[int, int]]:
    return {s: (t.window_sum, t.window_entries) for s, t in v.tokens.items()}
