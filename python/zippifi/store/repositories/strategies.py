"""Strategies (a configured template) and the accounts (EOAs, vaults) they trade from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, select, update

from zippifi.errors import InvalidInputError
from zippifi.store.errors import NotFoundError
from zippifi.store.repositories._base import Repository
from zippifi.store.schema import STRATEGY_STATUSES, accounts, strategies
from zippifi.store.types import utcnow

StrategyStatus = Literal["active", "paused", "retired"]
AccountKind = Literal["eoa", "vault"]


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


def _strategy(row: Row[Any]) -> Strategy:
    m = row._mapping
    return Strategy(
        m["id"], m["name"], m["template"], dict(m["config"]), m["status"],
        m["created_at"], m["updated_at"],
    )  # fmt: skip


def _account(row: Row[Any]) -> Account:
    m = row._mapping
    return Account(
        m["id"], m["chain_id"], m["address"], m["kind"], m["label"], m["strategy_id"],
        m["created_at"],
    )  # fmt: skip


class StrategyRepository(Repository):
    async def create(
        self,
        name: str,
        template: str,
        config: Mapping[str, Any],
        *,
        status: StrategyStatus = "active",
    ) -> Strategy:
        """A new strategy; ConflictError if the name is taken."""
        now = utcnow()
        async with self._scope.begin() as conn:
            row = (
                await conn.execute(
                    strategies.insert()
                    .values(name=name, template=template, config=dict(config), status=status,
                            created_at=now, updated_at=now)
                    .returning(*strategies.c)
                )
            ).one()  # fmt: skip
        return _strategy(row)

    async def get(self, strategy_id: int) -> Strategy:
        async with self._scope.begin() as conn:
            row = (
                await conn.execute(select(strategies).where(strategies.c.id == strategy_id))
            ).first()
        if row is None:
            raise NotFoundError(f"no strategy with id {strategy_id}")
        return _strategy(row)

    async def by_name(self, name: str) -> Strategy | None:
        async with self._scope.begin() as conn:
            row = (await conn.execute(select(strategies).where(strategies.c.name == name))).first()
        return None if row is None else _strategy(row)

    async def search(self, *, status: StrategyStatus | None = None) -> list[Strategy]:
        query = select(strategies).order_by(strategies.c.id)
        if status is not None:
            query = query.where(strategies.c.status == status)
        async with self._scope.begin() as conn:
            return [_strategy(r) for r in await conn.execute(query)]

    async def update(
        self,
        strategy_id: int,
        *,
        config: Mapping[str, Any] | None = None,
        status: StrategyStatus | None = None,
    ) -> Strategy:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if config is not None:
            values["config"] = dict(config)
        if status is not None:
            if status not in STRATEGY_STATUSES:
                raise InvalidInputError(f"unknown strategy status {status!r}")
            values["status"] = status
        async with self._scope.begin() as conn:
            row = (
                await conn.execute(
                    update(strategies)
                    .where(strategies.c.id == strategy_id)
                    .values(**values)
                    .returning(*strategies.c)
                )
            ).first()
        if row is None:
            raise NotFoundError(f"no strategy with id {strategy_id}")
        return _strategy(row)


class AccountRepository(Repository):
    async def add(
        self,
        chain_id: int,
        address: str,
        *,
        kind: AccountKind = "eoa",
        label: str = "",
        strategy_id: int | None = None,
    ) -> Account:
        """A new account; ConflictError if (chain_id, address) is already known."""
        async with self._scope.begin() as conn:
            row = (
                await conn.execute(
                    accounts.insert()
                    .values(chain_id=chain_id, address=address, kind=kind, label=label,
                            strategy_id=strategy_id, created_at=utcnow())
                    .returning(*accounts.c)
                )
            ).one()  # fmt: skip
        return _account(row)

    async def get(self, account_id: int) -> Account:
        async with self._scope.begin() as conn:
            row = (await conn.execute(select(accounts).where(accounts.c.id == account_id))).first()
        if row is None:
            raise NotFoundError(f"no account with id {account_id}")
        return _account(row)

    async def find(self, chain_id: int, address: str) -> Account | None:
        query = select(accounts).where(
            accounts.c.chain_id == chain_id, accounts.c.address == address.lower()
        )
        async with self._scope.begin() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _account(row)

    async def search(
        self, *, chain_id: int | None = None, strategy_id: int | None = None
    ) -> list[Account]:
        query = select(accounts).order_by(accounts.c.id)
        if chain_id is not None:
            query = query.where(accounts.c.chain_id == chain_id)
        if strategy_id is not None:
            query = query.where(accounts.c.strategy_id == strategy_id)
        async with self._scope.begin() as conn:
            return [_account(r) for r in await conn.execute(query)]
