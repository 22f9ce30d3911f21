"""The Store: an engine plus every repository, and transactions that span repositories.

On SQLite every transaction is ``BEGIN IMMEDIATE`` (writers queue instead of failing), so do not
open a second ``store.transaction()`` inside one: it would wait for the first. On PostgreSQL
transactions run at READ COMMITTED; the repositories take the row or advisory locks they need.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from zippifi.settings import Settings
from zippifi.store.engine import create_engine, database_url, migrate, safe_url
from zippifi.store.errors import StoreError
from zippifi.store.partitions import PartitionManager, TimeSeriesMode, detect_mode
from zippifi.store.repositories import Repositories
from zippifi.store.repositories._base import Scope, translate_errors


class UnitOfWork(Repositories):
    """The repositories inside one open transaction: ``async with store.transaction() as tx``.
    Everything done through ``tx`` commits together when the block ends, or not at all."""


class Store(Repositories):
    """Repositories whose every call is its own transaction; :meth:`transaction` groups calls."""

    def __init__(self, engine: AsyncEngine, mode: TimeSeriesMode) -> None:
        self.engine = engine
        self.time_series_mode = mode
        self._partitions = PartitionManager(mode)
        super().__init__(Scope(engine, self._partitions))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """One database transaction for several repository calls: all or nothing."""
        try:
            async with translate_errors(), self.engine.begin() as conn:
                yield UnitOfWork(Scope(self.engine, self._partitions, conn))
        except BaseException:
            # A rollback may have undone a partition this transaction created.
            self._partitions.forget()
            raise

    async def close(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def open_store(
    url: str | URL, *, run_migrations: bool = True, pool_size: int = 5, echo: bool = False
) -> Store:
    """Connect to ``url`` (SQLite file or PostgreSQL), migrating it first unless told not to.
    Use as ``async with await open_store(url) as store:`` or call ``close()``."""
    if run_migrations:
        await migrate(url)
    engine = create_engine(url, pool_size=pool_size, echo=echo)
    try:
        async with translate_errors(), engine.connect() as conn:
            mode = await detect_mode(conn)
    except StoreError as exc:
        await engine.dispose()
        raise StoreError(f"cannot open the store at {safe_url(url)}: {exc}") from exc
    except BaseException:
        await engine.dispose()
        raise
    return Store(engine, mode)


async def open_store_from_settings(settings: Settings, *, run_migrations: bool = True) -> Store:
    """The configured database (``store.database_url``, else ``<data_dir>/zippifi.db``)."""
    return await open_store(
        database_url(settings), run_migrations=run_migrations, pool_size=settings.store.pool_size
    )
