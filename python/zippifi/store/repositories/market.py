"""Market data: ticks, OHLCV candles and pool snapshots (time series).

Prices and sizes are exact :class:`~decimal.Decimal` (NUMERIC on PostgreSQL, canonical text on
SQLite), as venues quote them: no float ever touches a stored price. Pool state (reserves,
sqrtPriceX96, liquidity) is raw U256. Bulk tick ingest uses ``COPY ... FROM STDIN`` on
PostgreSQL (text format, streamed in slices through asyncpg's ``copy_to_table``, inside the
caller's transaction) and ``executemany`` on SQLite; on PostgreSQL the monthly partitions a batch
needs are created first, in the same transaction. Why text and not asyncpg's binary
``copy_records_to_table``: its NUMERIC encoder costs more per Decimal than ``str()`` does; on
the indexed, partitioned table the text path measured about 1.4x faster when this was written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from zippifi.errors import InvalidInputError, ZippiError
from zippifi.store.errors import StoreError
from zippifi.store.repositories._base import Repository, upsert_insert
from zippifi.store.schema import candles, pool_snapshots, ticks
from zippifi.store.types import check_u256, normalize_hex, to_decimal

TickMethod = Literal["auto", "copy", "executemany"]
TICK_COLUMNS = ("ts", "source", "pair", "price", "bid", "ask", "size")
COPY_CHUNK_ROWS = 5000
_INSERT_TICKS = (
    "INSERT INTO ticks (ts, source, pair, price, bid, ask, size) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)"
)


@dataclass(frozen=True, slots=True)
class Tick:
    ts: datetime
    source: str
    pair: str
    price: Decimal
    bid: Decimal | None = None
    ask: Decimal | None = None
    size: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Candle:
    source: str
    pair: str
    interval_s: int
    ts: datetime  # open time
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    trades: int = 0


@dataclass(frozen=True, slots=True)
class PoolSnapshot:
    chain_id: int
    pool: str
    block_number: int
    ts: datetime
    reserve0: int | None = None
    reserve1: int | None = None
    sqrt_price_x96: int | None = None
    liquidity: int | None = None
    tick: int | None = None


def _aware(ts: object, what: str = "ts") -> datetime:
    if not isinstance(ts, datetime) or ts.tzinfo is None or ts.utcoffset() is None:
        raise InvalidInputError(f"{what} must be a timezone-aware datetime, got {ts!r}")
    return ts


def _opt_dec(value: object, what: str) -> Decimal | None:
    return None if value is None else to_decimal(value, what)


def _tick_record(t: Tick) -> tuple[Any, ...]:
    """Validated row; the common case (aware datetime, finite Decimals) takes the fast path."""
    ts = t.ts
    if type(ts) is not datetime or ts.tzinfo is None or ts.utcoffset() is None:
        ts = _aware(ts)
    if not t.source or not t.pair:
        raise InvalidInputError(f"tick source and pair must not be empty: {t!r}")
    price, bid, ask, size = t.price, t.bid, t.ask, t.size
    if type(price) is not Decimal or not price.is_finite():
        price = to_decimal(price, "price")
    if bid is not None and (type(bid) is not Decimal or not bid.is_finite()):
        bid = to_decimal(bid, "bid")
    if ask is not None and (type(ask) is not Decimal or not ask.is_finite()):
        ask = to_decimal(ask, "ask")
    if size is not None and (type(size) is not Decimal or not size.is_finite()):
        size = to_decimal(size, "size")
    return (ts, t.source, t.pair, price, bid, ask, size)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _fast(value: object) -> bool:
    return type(value) is Decimal and value.is_finite()


def copy_text(batch: Sequence[Tick]) -> bytes:
    """Validated ticks in PostgreSQL's COPY text format, in one pass. Text rather than binary:
    ``str()`` of a Decimal is cheaper than asyncpg's binary NUMERIC encoder, and the server
    parses it fast. Anything off the fast path (non-UTC or naive times, non-Decimal numbers,
    empty names) goes through :func:`_tick_record`, which converts or raises."""
    escaped: dict[str, str] = {}  # sources and pairs repeat: escape each once

    def esc(value: str) -> str:
        out = escaped.get(value)
        if out is None:
            out = escaped[value] = value.translate(_COPY_ESCAPES)
        return out

    null = "\\N"
    lines: list[str] = []
    add = lines.append
    for t in batch:
        ts, source, pair, price, bid, ask, size = (
            t.ts, t.source, t.pair, t.price, t.bid, t.ask, t.size
        )  # fmt: skip
        if not (
            type(ts) is datetime
            and ts.tzinfo is UTC
            and source
            and pair
            and _fast(price)
            and (bid is None or _fast(bid))
            and (ask is None or _fast(ask))
            and (size is None or _fast(size))
        ):
            ts, source, pair, price, bid, ask, size = _tick_record(t)
        add(
            f"{ts.isoformat()}\t{esc(source)}\t{esc(pair)}\t{price}\t"
            f"{null if bid is None else bid}\t{null if ask is None else ask}\t"
            f"{null if size is None else size}\n"
        )
    return "".join(lines).encode()


def _tick_times(batch: Sequence[Tick]) -> list[datetime]:
    """The ticks' times, each checked to be timezone-aware (partitions are chosen by them)."""
    times = [t.ts for t in batch]
    for ts in times:
        if type(ts) is not datetime or ts.tzinfo is None or ts.utcoffset() is None:
            _aware(ts)
    return times


def _tick(row: Row[Any]) -> Tick:
    return Tick(**row._mapping)


def _candle(row: Row[Any]) -> Candle:
    return Candle(**row._mapping)


def _snapshot(row: Row[Any]) -> PoolSnapshot:
    return PoolSnapshot(**row._mapping)


class MarketRepository(Repository):
    async def _partitions(self, conn: AsyncConnection, table: str, times: list[datetime]) -> None:
        if self._scope.dialect == "postgresql":
            await self._scope.partitions.ensure(conn, table, times)

    def _forget_partitions_on(self, exc: BaseException) -> None:
        if "no partition" in str(exc):  # a partition we remembered was rolled back
            self._scope.partitions.forget()

    # --- ticks ---------------------------------------------------------------------------

    async def insert_ticks(self, batch: Sequence[Tick], *, method: TickMethod = "auto") -> int:
        """Store ``batch`` in one transaction; returns the number of rows. ``auto`` is COPY on
        PostgreSQL and executemany on SQLite; ``executemany`` on PostgreSQL uses asyncpg's
        (kept for comparison in bench/)."""
        if not batch:
            return 0
        postgres = self._scope.dialect == "postgresql"
        if not postgres and method == "copy":
            raise InvalidInputError("COPY is PostgreSQL's; SQLite uses executemany")
        copy = postgres and method != "executemany"
        # COPY validates while it formats (a bad row aborts the COPY, so nothing is written);
        # executemany validates every row first.
        records = [] if copy else [_tick_record(t) for t in batch]
        try:
            async with self._scope.begin() as conn:
                if postgres:
                    times = _tick_times(batch) if copy else [r[0] for r in records]
                    await self._partitions(conn, "ticks", times)
                    await _pg_ticks(conn, batch if copy else records, copy)
                else:
                    rows = [dict(zip(TICK_COLUMNS, r, strict=True)) for r in records]
                    await conn.execute(ticks.insert(), rows)
        except StoreError as exc:
            self._forget_partitions_on(exc)
            raise
        return len(batch)

    async def ticks(
        self,
        pair: str,
        start: datetime,
        end: datetime,
        *,
        source: str | None = None,
        limit: int | None = None,
    ) -> list[Tick]:
        """Ticks of ``pair`` with ``start <= ts < end``, oldest first."""
        query = select(ticks).where(
            ticks.c.pair == pair,
            ticks.c.ts >= _aware(start, "start"),
            ticks.c.ts < _aware(end, "end"),
        )
        if source is not None:
            query = query.where(ticks.c.source == source)
        query = query.order_by(ticks.c.ts)
        if limit is not None:
            query = query.limit(limit)
        async with self._scope.begin() as conn:
            return [_tick(r) for r in await conn.execute(query)]

    async def latest_tick(self, pair: str, *, source: str | None = None) -> Tick | None:
        query = select(ticks).where(ticks.c.pair == pair)
        if source is not None:
            query = query.where(ticks.c.source == source)
        async with self._scope.begin() as conn:
            row = (await conn.execute(query.order_by(ticks.c.ts.desc()).limit(1))).first()
        return None if row is None else _tick(row)

    # --- candles -------------------------------------------------------------------------

    async def upsert_candles(self, batch: Sequence[Candle]) -> int:
        """Insert or replace candles by (source, pair, interval, open time)."""
        rows = []
        for c in batch:
            if c.interval_s <= 0:
                raise InvalidInputError(f"candle interval must be > 0 seconds: {c!r}")
            row: dict[str, Any] = {
                "source": c.source, "pair": c.pair, "interval_s": c.interval_s,
                "ts": _aware(c.ts), "trades": c.trades,
            }  # fmt: skip
            for name in ("open", "high", "low", "close", "volume"):
                row[name] = to_decimal(getattr(c, name), name)
            if (
                not row["low"]
                <= min(row["open"], row["close"])
                <= max(row["open"], row["close"])
                <= row["high"]
            ):
                raise InvalidInputError(f"candle must have low <= open, close <= high: {c!r}")
            rows.append(row)
        if not rows:
            return 0
        insert = upsert_insert(self._scope, candles)
        keys = ("source", "pair", "interval_s", "ts")
        insert = insert.on_conflict_do_update(
            index_elements=list(keys),
            set_={k: insert.excluded[k] for k in rows[0] if k not in keys},
        )
        try:
            async with self._scope.begin() as conn:
                await self._partitions(conn, "candles", [r["ts"] for r in rows])
                await conn.execute(insert, rows)
        except StoreError as exc:
            self._forget_partitions_on(exc)
            raise
        return len(rows)

    async def candles(
        self,
        pair: str,
        interval_s: int,
        start: datetime,
        end: datetime,
        *,
        source: str | None = None,
    ) -> list[Candle]:
        query = select(candles).where(
            candles.c.pair == pair,
            candles.c.interval_s == interval_s,
            candles.c.ts >= _aware(start, "start"),
            candles.c.ts < _aware(end, "end"),
        )
        if source is not None:
            query = query.where(candles.c.source == source)
        async with self._scope.begin() as conn:
            return [_candle(r) for r in await conn.execute(query.order_by(candles.c.ts))]

    # --- pool snapshots ------------------------------------------------------------------

    async def insert_pool_snapshots(self, batch: Sequence[PoolSnapshot]) -> int:
        """Store snapshots; one already stored for the same (chain, pool, block) is kept.
        Returns how many were new."""
        rows = []
        for s in batch:
            row: dict[str, Any] = {
                "chain_id": s.chain_id, "pool": normalize_hex(s.pool, 20, "pool"),
                "block_number": s.block_number, "ts": _aware(s.ts), "tick": s.tick,
            }  # fmt: skip
            for name in ("reserve0", "reserve1", "sqrt_price_x96", "liquidity"):
                value = getattr(s, name)
                row[name] = None if value is None else check_u256(value, name)
            rows.append(row)
        if not rows:
            return 0
        created = 0
        try:
            async with self._scope.begin() as conn:
                await self._partitions(conn, "pool_snapshots", [r["ts"] for r in rows])
                for row in rows:  # per row: RETURNING tells which ones were new
                    result = await conn.execute(
                        upsert_insert(self._scope, pool_snapshots)
                        .values(**row)
                        .on_conflict_do_nothing()
                        .returning(pool_snapshots.c.block_number)
                    )
                    created += result.first() is not None
        except StoreError as exc:
            self._forget_partitions_on(exc)
            raise
        return created

    async def latest_pool_snapshot(self, chain_id: int, pool: str) -> PoolSnapshot | None:
        query = (
            select(pool_snapshots)
            .where(pool_snapshots.c.chain_id == chain_id)
            .where(pool_snapshots.c.pool == normalize_hex(pool, 20, "pool"))
            .order_by(pool_snapshots.c.block_number.desc())
            .limit(1)
        )
        async with self._scope.begin() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _snapshot(row)

    async def pool_snapshots(
        self, chain_id: int, pool: str, start: datetime, end: datetime
    ) -> list[PoolSnapshot]:
        query = (
            select(pool_snapshots)
            .where(pool_snapshots.c.chain_id == chain_id)
            .where(pool_snapshots.c.pool == normalize_hex(pool, 20, "pool"))
            .where(pool_snapshots.c.ts >= _aware(start, "start"))
            .where(pool_snapshots.c.ts < _aware(end, "end"))
            .order_by(pool_snapshots.c.block_number)
        )
        async with self._scope.begin() as conn:
            return [_snapshot(r) for r in await conn.execute(query)]

    async def partitions(self, table: str) -> list[str]:
        """PostgreSQL partitions of a time-series table (empty elsewhere)."""
        if self._scope.dialect != "postgresql":
            return []
        async with self._scope.begin() as conn:
            return await self._scope.partitions.names(conn, table)


async def _chunks(batch: Sequence[Tick]) -> AsyncIterator[bytes]:
    """COPY data in slices: memory stays bounded, and formatting overlaps the server's work."""
    for start in range(0, len(batch), COPY_CHUNK_ROWS):
        yield copy_text(batch[start : start + COPY_CHUNK_ROWS])


async def _pg_ticks(conn: AsyncConnection, rows: Sequence[Any], copy: bool) -> None:
    """COPY (``rows`` are Ticks) or executemany (``rows`` are validated tuples), on the asyncpg
    connection under this SQLAlchemy transaction."""
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    if not driver.is_in_transaction():  # SQLAlchemy starts its transaction lazily
        await conn.execute(text("SELECT 1"))
    try:
        if copy:
            source = _chunks(rows)
            await driver.copy_to_table("ticks", source=source, columns=TICK_COLUMNS, format="text")
        else:
            await driver.executemany(_INSERT_TICKS, rows)
    except ZippiError:
        raise
    except Exception as exc:  # asyncpg's own errors: no SQLAlchemy wrapping on this path
        method = "copy" if copy else "executemany"
        raise StoreError(f"tick ingest ({method}) failed: {exc}") from exc


__all__ = ["Candle", "MarketRepository", "PoolSnapshot", "Tick"]
