"""Strategies: a configured template, by name, with its status
(:data:`~zippifi.domain.STRATEGY_TRANSITIONS`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, select, update

from zippifi.domain import (
    STRATEGY_STATUSES,
    STRATEGY_TRANSITIONS,
    Strategy,
    StrategyStatus,
    check_transition,
)
from zippifi.errors import InvalidInputError, InvalidTransitionError, NotFoundError
from zippifi.store.repositories._base import Repository
from zippifi.store.schema import strategies
from zippifi.store.types import utcnow


def _strategy(row: Row[Any]) -> Strategy:
    m = row._mapping
    return Strategy(
        m["id"], m["name"], m["template"], dict(m["config"]), m["status"],
        m["created_at"], m["updated_at"],
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
        """Change config and/or status; a status change must follow STRATEGY_TRANSITIONS
        (a retired strategy stays retired). Setting the current status again is a no-op."""
        values: dict[str, Any] = {"updated_at": utcnow()}
        if config is not None:
            values["config"] = dict(config)
        if status is not None and status not in STRATEGY_STATUSES:
            raise InvalidInputError(f"unknown strategy status {status!r}")
        async with self._scope.begin() as conn:
            current = (
                await conn.execute(
                    select(strategies.c.status).where(strategies.c.id == strategy_id)
                )
            ).scalar()
            if current is None:
                raise NotFoundError(f"no strategy with id {strategy_id}")
            query = update(strategies).where(strategies.c.id == strategy_id)
            if status is not None and status != current:
                check_transition(f"strategy {strategy_id}", current, status, STRATEGY_TRANSITIONS)
                values["status"] = status
                query = query.where(strategies.c.status == current)
            row = (await conn.execute(query.values(**values).returning(*strategies.c))).first()
        if row is None:
            raise InvalidTransitionError(f"strategy {strategy_id} changed status concurrently")
        return _strategy(row)
