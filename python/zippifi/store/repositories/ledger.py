"""The double-entry ledger: exact int amounts in raw token units.

A journal is a list of entries (book, asset, signed amount) that sums to zero for every asset;
it is written in one transaction under a caller-chosen ``journal_id``, so posting it again (a
retry) is a no-op and a different journal under the same id is a ConflictError. Balances are
exact: summed by PostgreSQL's NUMERIC, or in Python on SQLite (whose SUM would use floats).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select

from zippifi.errors import InvalidInputError
from zippifi.store.errors import ConflictError, LedgerImbalanceError
from zippifi.store.repositories._base import Repository
from zippifi.store.schema import ledger_entries
from zippifi.store.types import check_signed, utcnow


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of a journal: ``amount`` > 0 adds to ``book``'s holding of ``asset``."""

    book: str
    asset: str
    amount: int


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    journal_id: str
    line: int
    book: str
    asset: str
    amount: int
    fill_id: int | None
    memo: str
    created_at: datetime


def _entry(row: Row[Any]) -> LedgerEntry:
    return LedgerEntry(**row._mapping)


def check_balanced(postings: Sequence[Posting]) -> None:
    """LedgerImbalanceError unless the postings sum to zero for every asset."""
    if len(postings) < 2:
        raise LedgerImbalanceError("a journal needs at least two postings")
    totals: dict[str, int] = defaultdict(int)
    for i, p in enumerate(postings):
        if not p.book or not p.asset:
            raise InvalidInputError(f"posting {i}: book and asset must not be empty")
        totals[p.asset] += check_signed(p.amount, f"posting {i} amount")
    unbalanced = {asset: total for asset, total in totals.items() if total != 0}
    if unbalanced:
        detail = ", ".join(f"{a}: {t:+d}" for a, t in sorted(unbalanced.items()))
        raise LedgerImbalanceError(f"journal does not balance per asset ({detail})")


class LedgerRepository(Repository):
    async def post(
        self,
        journal_id: str,
        postings: Sequence[Posting],
        *,
        memo: str = "",
        fill_id: int | None = None,
    ) -> list[LedgerEntry]:
        """Write a balanced journal atomically; the same journal again returns its entries."""
        if not journal_id:
            raise InvalidInputError("journal_id must not be empty")
        check_balanced(postings)
        now = utcnow()
        rows = [
            {
                "journal_id": journal_id,
                "line": i,
                "book": p.book,
                "asset": p.asset,
                "amount": p.amount,
                "fill_id": fill_id,
                "memo": memo,
                "created_at": now,
            }
            for i, p in enumerate(postings)
        ]
        async with self._scope.begin() as conn:
            existing = [_entry(r) for r in await conn.execute(self._journal_query(journal_id))]
            if existing:
                same = [(e.book, e.asset, e.amount) for e in existing] == [
                    (p.book, p.asset, p.amount) for p in postings
                ]
                if not same:
                    raise ConflictError(f"journal {journal_id!r} is stored with other postings")
                return existing
            await conn.execute(ledger_entries.insert(), rows)
            return [_entry(r) for r in await conn.execute(self._journal_query(journal_id))]

    @staticmethod
    def _journal_query(journal_id: str) -> Any:
        return (
            select(ledger_entries)
            .where(ledger_entries.c.journal_id == journal_id)
            .order_by(ledger_entries.c.line)
        )

    async def journal(self, journal_id: str) -> list[LedgerEntry]:
        async with self._scope.begin() as conn:
            return [_entry(r) for r in await conn.execute(self._journal_query(journal_id))]

    async def entries(self, book: str, asset: str | None = None) -> list[LedgerEntry]:
        query = select(ledger_entries).where(ledger_entries.c.book == book)
        if asset is not None:
            query = query.where(ledger_entries.c.asset == asset)
        async with self._scope.begin() as conn:
            return [_entry(r) for r in await conn.execute(query.order_by(ledger_entries.c.id))]

    async def balances(self, book: str) -> dict[str, int]:
        """Exact balance of every asset ``book`` has entries in (zero balances included)."""
        async with self._scope.begin() as conn:
            if self._scope.dialect == "postgresql":
                query = (
                    select(ledger_entries.c.asset, func.sum(ledger_entries.c.amount))
                    .where(ledger_entries.c.book == book)
                    .group_by(ledger_entries.c.asset)
                )
                return {str(a): int(total) for a, total in await conn.execute(query)}
            rows = await conn.execute(
                select(ledger_entries.c.asset, ledger_entries.c.amount).where(
                    ledger_entries.c.book == book
                )
            )
            totals: dict[str, int] = defaultdict(int)
            for asset, amount in rows:
                totals[asset] += amount
            return dict(totals)

    async def balance(self, book: str, asset: str) -> int:
        return (await self.balances(book)).get(asset, 0)
