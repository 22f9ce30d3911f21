"""Accounts: the EOAs and vaults strategies trade from, one per (chain, address)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from zippifi.domain import Account, AccountKind
from zippifi.errors import NotFoundError
from zippifi.store.repositories._base import Repository
from zippifi.store.schema import accounts
from zippifi.store.types import utcnow


def _account(row: Row[Any]) -> Account:
    m = row._mapping
    return Account(
        m["id"], m["chain_id"], m["address"], m["kind"], m["label"], m["strategy_id"],
        m["created_at"],
    )  # fmt: skip


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
