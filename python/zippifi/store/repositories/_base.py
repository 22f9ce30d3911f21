"""What every repository shares: the scope it writes in, and error translation.

A repository method runs in its scope's transaction: its own (one ``BEGIN..COMMIT`` per call)
when used from :class:`~zippifi.store.Store`, or the caller's when used from
``store.transaction()``, so writes that belong together commit or vanish together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from zippifi.errors import ZippiError
from zippifi.store.errors import ConflictError, StoreError
from zippifi.store.partitions import PartitionManager


@dataclass(frozen=True)
class Scope:
    """Where a repository's statements go: a fresh transaction per call, or one held open."""

    engine: AsyncEngine
    partitions: PartitionManager
    conn: AsyncConnection | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        if self.conn is not None:
            async with translate_errors():
                yield self.conn
            return
        async with translate_errors(), self.engine.begin() as conn:
            yield conn


@asynccontextmanager
async def translate_errors() -> AsyncIterator[None]:
    """Database errors become store errors (the family's), with the database's message."""
    try:
        yield
    except StatementError as exc:
        # A column type refused a value (U256 range, hex, naive datetime): raise that error.
        if isinstance(exc.orig, ZippiError):
            raise exc.orig from None
        if isinstance(exc, IntegrityError):
            raise ConflictError(f"the write conflicts with stored rows: {exc.orig}") from exc
        raise StoreError(f"database error: {exc.orig}") from exc


def upsert_insert(scope: Scope, table: Table) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_nothing`` / ``..._do_update``."""
    if scope.dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class Repository:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope
