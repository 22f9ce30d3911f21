"""The vault's own rules, read from the chain, and a risk gate that enforces them off-chain.

Until the risk engine lands, the runtime gives execution a :class:`VaultRulesGate`, so nothing
is sent that the vault would reject: a paused vault, an agent or token the owners have not
allowed, or an amount over the per-trade cap or what is left of the rolling daily cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from zippifi.chain import ChainAdapter, call_view
from zippifi.chain.artifacts import load
from zippifi.domain import RiskDecision, TradeIntent

_VAULT = load("ZippiVault")


@dataclass(frozen=True, slots=True)
class TokenRule:
    allowed: bool
    decimals: int
    max_trade_in: int
    daily_cap_in: int
    remaining_today: int


class VaultRules:
    """Reads one vault's rules for one agent (views, at the latest block)."""

    def __init__(self, adapter: ChainAdapter, vault: str, agent: str) -> None:
        self.adapter = adapter
        self.vault = vault
        self.agent = agent

    async def _view(self, function: str, *args: object) -> Any:
        return await call_view(self.adapter, self.vault, _VAULT, function, *args)

    async def paused(self) -> bool:
        return bool(await self._view("paused"))

    async def agent_allowed(self) -> bool:
        return bool(await self._view("isAgent", self.agent))

    async def target_allowed(self, target: str) -> bool:
        return bool(await self._view("isTarget", target))

    async def token(self, token: str) -> TokenRule:
        config = await self._view("tokenConfig", token)
        remaining = await self._view("remainingDailyCap", token)
        allowed, decimals, max_trade, daily_cap = config
        return TokenRule(bool(allowed), int(decimals), int(max_trade), int(daily_cap),
                         int(remaining))  # fmt: skip

    async def oracle_min_out(self, token_in: str, token_out: str, amount_in: int) -> int:
        """The least minOut the vault accepts for this swap (its oracle bound)."""
        _, bound = await self._view("oracleMinOut", token_in, token_out, amount_in)
        return int(bound)


class RuleSource(Protocol):
    """A vault's rules for one agent: the chain's (:class:`VaultRules`) or a backtest's."""

    vault: str
    agent: str

    async def paused(self) -> bool: ...

    async def agent_allowed(self) -> bool: ...

    async def token(self, token: str) -> TokenRule: ...

    async def oracle_min_out(self, token_in: str, token_out: str, amount_in: int) -> int: ...


class VaultRulesGate:
    """A :class:`~zippifi.domain.RiskGate`: approve what the vault would accept, resize an
    exact-input intent down to the per-trade and daily caps, reject the rest with the reason."""

    def __init__(self, rules: RuleSource) -> None:
        self.rules = rules

    async def review(self, intent: TradeIntent) -> RiskDecision:
        if await self.rules.paused():
            return RiskDecision("reject", ("the vault is paused",))
        if not await self.rules.agent_allowed():
            return RiskDecision("reject", (f"{self.rules.agent} is not an agent of the vault",))
        rule_in = await self.rules.token(intent.token_in)
        rule_out = await self.rules.token(intent.token_out)
        for name, token, rule in (("token_in", intent.token_in, rule_in),
                                  ("token_out", intent.token_out, rule_out)):  # fmt: skip
            if not rule.allowed:
                return RiskDecision("reject", (f"{name} {token} is not allowed by the vault",))
        limit = min(rule_in.max_trade_in, rule_in.remaining_today)
        if limit == 0:
            return RiskDecision("reject", ("the daily cap of token_in is used up",))
        amount = intent.amount_in
        if intent.kind == "exact_in" and intent.status == "proposed" and amount > limit:
            why = "per-trade cap" if limit == rule_in.max_trade_in else "rolling daily cap"
            return RiskDecision("resize", (f"{amount} over the vault's {why} {limit}",),
                                amount_in=limit)  # fmt: skip
        if amount > limit:
            return RiskDecision("reject", (f"amount_in {amount} over the vault's limit {limit}",))
        return RiskDecision("approve", ("within the vault's rules",))
