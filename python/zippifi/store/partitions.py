"""Time partitions of the market-data tables on PostgreSQL.

Three modes, chosen once per database (``time_series_mode``):

* ``"sqlite"`` — one plain table each; nothing to manage.
* ``"partitions"`` — PostgreSQL declarative range partitions on ``ts``, one per calendar month
  (UTC), named ``<table>_pYYYYMM`` and created on demand before rows for that month are
  written, in the writer's own transaction (under an advisory lock, so concurrent writers do
  not race). There is deliberately no DEFAULT partition: a row for a month with no partition is
  an error, never a silent dump into a catch-all that would block creating the month later.
* ``"timescaledb"`` — when the ``timescaledb`` extension is *installed in the database* at
  migration time, the tables are created as plain tables and turned into hypertables
  (``create_hypertable``, chunked by ``ts``); TimescaleDB then makes chunks itself and this
  module does nothing. That path is not exercised by our tests (the extension is not installable
  on our machines); it is kept to the two guarded statements in the migration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from zippifi.errors import InvalidInputError
from zippifi.store.errors import StoreError
from zippifi.store.schema import TIME_SERIES_TABLES

TimeSeriesMode = Literal["sqlite", "partitions", "timescaledb"]

_PARTITION_RE = re.compile(r"^(ticks|candles|pool_snapshots)_p\d{6}$")
# pg_advisory_xact_lock key serializing partition creation ("zippart" in ASCII).
_PARTITION_LOCK = 0x7A69707061727400


def is_partition_name(name: str) -> bool:
    return bool(_PARTITION_RE.match(name))


def next_month(start: datetime) -> datetime:
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def partition_name(table: str, start: datetime) -> str:
    return f"{table}_p{start.year:04d}{start.month:02d}"


async def detect_mode(conn: AsyncConnection) -> TimeSeriesMode:
    """How the time-series tables were created by the migration on this database."""
    if conn.dialect.name != "postgresql":
        return "sqlite"
    kind = await conn.execute(
        text("SELECT relkind::text FROM pg_class WHERE oid = to_regclass('ticks')")
    )
    relkind = kind.scalar()
    if relkind is None:
        raise StoreError("the database has no store schema: run zippifi.store.migrate(url)")
    # The migration makes plain tables only when TimescaleDB was installed: hypertables.
    return "partitions" if relkind == "p" else "timescaledb"


class PartitionManager:
    """Creates the monthly partitions a batch of rows needs (PostgreSQL, ``partitions`` mode).

    Remembers partitions it has seen existing, so a steady stream costs no extra round trip."""

    def __init__(self, mode: TimeSeriesMode) -> None:
        self.mode = mode
        self._known: set[str] = set()

    def forget(self) -> None:
        """Drop the memory of existing partitions (after a rollback that may have undone one)."""
        self._known.clear()

    async def ensure(self, conn: AsyncConnection, table: str, times: Iterable[datetime]) -> None:
        if self.mode != "partitions":
            return
        if table not in TIME_SERIES_TABLES:
            raise InvalidInputError(f"{table!r} is not a time-series table")
        seen: set[tuple[int, int]] = set()
        for ts in times:  # hot on bulk ingest: no new datetime per row when already UTC
            utc = ts if ts.tzinfo is UTC else ts.astimezone(UTC)
            seen.add((utc.year, utc.month))
        months = [datetime(y, m, 1, tzinfo=UTC) for y, m in sorted(seen)]
        missing = [m for m in months if partition_name(table, m) not in self._known]
        if not missing:
            return
        for start in missing:
            name = partition_name(table, start)
            found = await conn.execute(text("SELECT to_regclass(:n)"), {"n": name})
            if found.scalar() is not None:
                self._known.add(name)
                continue
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PARTITION_LOCK})
            # Identifiers are our table names and digits only (checked above).
            bounds = f"FROM ('{start.isoformat()}') TO ('{next_month(start).isoformat()}')"
            create = f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{table}"'
            await conn.execute(text(f"{create} FOR VALUES {bounds}"))

    async def names(self, conn: AsyncConnection, table: str) -> list[str]:
        """Names of ``table``'s partitions, oldest first."""
        if self.mode != "partitions":
            return []
        rows = await conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t "
                "AND p.relnamespace = to_regnamespace(current_schema()) ORDER BY c.relname"
            ),
            {"t": table},
        )
        return [str(r[0]) for r in rows]
