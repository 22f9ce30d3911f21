"""Strategies (a configured template) and the accounts (EOAs, vaults) they trade from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

StrategyStatus = Literal["active", "paused", "retired"]
STRATEGY_STATUSES: tuple[StrategyStatus, ...] = ("active", "paused", "retired")
STRATEGY_TRANSITIONS: dict[str, frozenset[str]] = {
    "active": frozenset({"paused", "retired"}),
    "paused": frozenset({"active", "retired"}),
}
AccountKind = Literal["eoa", "vault"]
ACCOUNT_KINDS: tuple[AccountKind, ...] = ("eoa", "vault")


@dataclass(frozen=True, slots=True)
class Strategy:
    id: int
    name: str
    template: str
    config: dict[str, Any]
    status: StrategyStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    chain_id: int
    address: str
    kind: AccountKind
    label: str
    strategy_id: int | None
    created_at: datetime
