"""Fills: the swaps a venue reports. A live fill is keyed by (chain, tx hash, log index) and by
(transaction, log index); recording it again (a receipt processed twice, a restart) returns the
stored one. Its status moves mined -> final (the confirmation depth) or mined -> reorged; a
reorg deeper than that is booked as a reversing fill, never by editing the original.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select, update

from zippifi.domain import FILL_TRANSITIONS, Fill, FillReport, FillStatus, check_transition
from zippifi.errors import ConflictError, InvalidInputError, InvalidTransitionError, NotFoundError
from zippifi.store.repositories._base import Repository, upsert_insert
from zippifi.store.schema import fills
from zippifi.store.types import check_u256, normalize_hex, utcnow

# compared when the same fill is recorded twice
_IDENTITY = ("intent_id", "venue", "token_in", "token_out", "amount_in", "amount_out", "pool",
             "block_hash")  # fmt: skip


# the fills the unique keys cover: neither a reversal nor reorged history
_LIVE = fills.c.reverses_id.is_(None) & (fills.c.status != "reorged")


def _fill(row: Row[Any]) -> Fill:
    return Fill(**row._mapping)


def _opt_hex(value: str | None, size: int, name: str) -> str | None:
    return None if value is None else normalize_hex(value, size, name)


def _opt_u256(value: int | None, name: str) -> int | None:
    return None if value is None else check_u256(value, name)


class FillRepository(Repository):
    async def add(self, report: FillReport, *, status: FillStatus = "mined") -> tuple[Fill, bool]:
        """Store a venue's fill; ``(fill, created)``. With a tx hash, the same (chain, tx hash,
        log index) again returns the stored fill (ConflictError if it differs)."""
        if report.venue == "live" and (report.chain_id is None or report.tx_hash is None):
            raise InvalidInputError("a live fill needs its chain_id and tx_hash")
        if status not in ("mined", "final"):
            raise InvalidInputError(f"a fill is stored mined or final, not {status!r}")
        values = {
            "transaction_id": report.transaction_id,
            "order_id": report.order_id,
            "intent_id": report.intent_id,
            "venue": report.venue,
            "chain_id": report.chain_id,
            "tx_hash": _opt_hex(report.tx_hash, 32, "tx_hash"),
            "block_number": report.block_number,
            "block_hash": _opt_hex(report.block_hash, 32, "block_hash"),
            "log_index": report.log_index,
            "pool": _opt_hex(report.pool, 20, "pool"),
            "token_in": normalize_hex(report.token_in, 20, "token_in"),
            "token_out": normalize_hex(report.token_out, 20, "token_out"),
            "amount_in": check_u256(report.amount_in, "amount_in"),
            "amount_out": check_u256(report.amount_out, "amount_out"),
            "fee": check_u256(report.fee, "fee"),
            "gas_used": report.gas_used,
            "gas_cost_native": _opt_u256(report.gas_cost_native, "gas_cost_native"),
            "gas_cost_quote": _opt_u256(report.gas_cost_quote, "gas_cost_quote"),
        }
        insert = upsert_insert(self._scope, fills).values(
            **values, status=status, reverses_id=None, created_at=utcnow()
        )
        if values["tx_hash"] is not None:
            insert = insert.on_conflict_do_nothing(
                index_elements=["chain_id", "tx_hash", "log_index"],
                index_where=_LIVE,
            )
        async with self._scope.begin() as conn:
            row = (await conn.execute(insert.returning(*fills.c))).first()
            if row is not None:
                return _fill(row), True
            existing = _fill((await conn.execute(self._original(values))).one())
        differing = [k for k in _IDENTITY if getattr(existing, k) != values[k]]
        if differing:
            raise ConflictError(
                f"fill (chain {report.chain_id}, tx {report.tx_hash}, log {report.log_index}) "
                f"is stored with other {', '.join(differing)}"
            )
        return existing, False

    @staticmethod
    def _original(values: dict[str, Any]) -> Any:
        return select(fills).where(
            fills.c.chain_id == values["chain_id"], fills.c.tx_hash == values["tx_hash"],
            fills.c.log_index == values["log_index"], fills.c.reverses_id.is_(None),
            fills.c.status != "reorged",
        )  # fmt: skip

    async def record(
        self,
        *,
        transaction_id: int,
        log_index: int,
        token_in: str,
        token_out: str,
        amount_in: int,
        amount_out: int,
        fee: int = 0,
        pool: str | None = None,
        order_id: int | None = None,
    ) -> tuple[Fill, bool]:
        """A final live fill keyed by (stored transaction, log index); ``(fill, created)``.
        Recording it again returns the stored fill."""
        values = {
            "transaction_id": transaction_id,
            "log_index": log_index,
            "order_id": order_id,
            "pool": None if pool is None else normalize_hex(pool, 20, "pool"),
            "token_in": normalize_hex(token_in, 20, "token_in"),
            "token_out": normalize_hex(token_out, 20, "token_out"),
            "amount_in": check_u256(amount_in, "amount_in"),
            "amount_out": check_u256(amount_out, "amount_out"),
            "fee": check_u256(fee, "fee"),
        }
        insert = (
            upsert_insert(self._scope, fills)
            .values(**values, venue="live", status="final", created_at=utcnow())
            .on_conflict_do_nothing(
                index_elements=["transaction_id", "log_index"], index_where=_LIVE
            )
            .returning(*fills.c)
        )
        async with self._scope.begin() as conn:
            row = (await conn.execute(insert)).first()
            if row is not None:
                return _fill(row), True
            existing = _fill(
                (
                    await conn.execute(
                        select(fills).where(
                            fills.c.transaction_id == transaction_id,
                            fills.c.log_index == log_index,
                            _LIVE,
                        )
                    )
                ).one()
            )
        if any(getattr(existing, k) != v for k, v in values.items()):
            raise ConflictError(
                f"fill (transaction {transaction_id}, log {log_index}) is stored with other values"
            )
        return existing, False

    async def get(self, fill_id: int) -> Fill:
        async with self._scope.begin() as conn:
            row = (await conn.execute(select(fills).where(fills.c.id == fill_id))).first()
        if row is None:
            raise NotFoundError(f"no fill with id {fill_id}")
        return _fill(row)

    async def set_status(self, fill_id: int, status: FillStatus) -> Fill:
        """mined -> final (the confirmation depth) or mined -> reorged (compare-and-set)."""
        async with self._scope.begin() as conn:
            current = (
                await conn.execute(select(fills.c.status).where(fills.c.id == fill_id))
            ).scalar()
            if current is None:
                raise NotFoundError(f"no fill with id {fill_id}")
            if current == status:
                return _fill((await conn.execute(select(fills).where(fills.c.id == fill_id))).one())
            check_transition(f"fill {fill_id}", current, status, FILL_TRANSITIONS)
            row = (
                await conn.execute(
                    update(fills).where(fills.c.id == fill_id, fills.c.status == current)
                    .values(status=status).returning(*fills.c)
                )
            ).first()  # fmt: skip
        if row is None:
            raise InvalidTransitionError(f"fill {fill_id} changed status concurrently")
        return _fill(row)

    async def reverse(self, fill_id: int) -> tuple[Fill, bool]:
        """Book the reversal of a final fill whose block left the chain after the confirmation
        depth: a new fill with the same amounts pointing at it; ``(reversal, created)``."""
        original = await self.get(fill_id)
        if original.reverses_id is not None:
            raise InvalidInputError(f"fill {fill_id} is itself a reversal")
        if original.status != "final":
            raise InvalidTransitionError(f"fill {fill_id} is {original.status}, not final")
        columns = {c.name: getattr(original, c.name) for c in fills.c if c.name != "id"}
        columns.update(reverses_id=fill_id, created_at=utcnow())
        # the reversal is not a second fill of the transaction's log
        columns["transaction_id"] = None
        insert = (
            upsert_insert(self._scope, fills).values(**columns)
            .on_conflict_do_nothing(index_elements=["reverses_id"]).returning(*fills.c)
        )  # fmt: skip
        async with self._scope.begin() as conn:
            row = (await conn.execute(insert)).first()
            if row is not None:
                return _fill(row), True
            query = select(fills).where(fills.c.reverses_id == fill_id)
            return _fill((await conn.execute(query)).one()), False

    async def for_intent(self, intent_id: int) -> list[Fill]:
        query = select(fills).where(fills.c.intent_id == intent_id).order_by(fills.c.id)
        async with self._scope.begin() as conn:
            return [_fill(r) for r in await conn.execute(query)]

    async def for_transaction(self, transaction_id: int) -> list[Fill]:
        query = (
            select(fills)
            .where(fills.c.transaction_id == transaction_id)
            .order_by(fills.c.log_index)
        )
        async with self._scope.begin() as conn:
            return [_fill(r) for r in await conn.execute(query)]

    async def for_order(self, order_id: int) -> list[Fill]:
        query = select(fills).where(fills.c.order_id == order_id).order_by(fills.c.id)
        async with self._scope.begin() as conn:
            return [_fill(r) for r in await conn.execute(query)]

    async def by_status(self, status: FillStatus, chain_id: int | None = None) -> list[Fill]:
        query = select(fills).where(fills.c.status == status, fills.c.reverses_id.is_(None))
        if chain_id is not None:
            query = query.where(fills.c.chain_id == chain_id)
        async with self._scope.begin() as conn:
            return [_fill(r) for r in await conn.execute(query.order_by(fills.c.id))]
