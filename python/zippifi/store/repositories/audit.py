"""The tamper-evident audit log: hash-chained records, one chain per stream.

Each record carries ``hash = sha256(canonical JSON of its fields and the previous record's
hash)``; the first record of a stream chains from 64 zeros. :meth:`AuditRepository.verify`
recomputes the chain and reports the first record whose content, order or link was changed.
Appends to one stream are serialized (an advisory lock on PostgreSQL, the write lock on
SQLite), so sequence numbers have no gaps. Publishing :meth:`head` elsewhere now and then
also makes truncation of the tail detectable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, text

from zippifi.errors import InvalidInputError
from zippifi.store.repositories._base import Repository
from zippifi.store.schema import audit_log
from zippifi.store.types import utcnow

GENESIS = "0" * 64
_VERIFY_BATCH = 1000


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    stream: str
    seq: int
    ts: datetime
    actor: str
    action: str
    subject: str
    payload: str  # canonical JSON text, exactly as hashed
    prev_hash: str
    hash: str

    def data(self) -> Any:
        return json.loads(self.payload)


@dataclass(frozen=True, slots=True)
class AuditVerification:
    stream: str
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


def canonical_json(payload: Mapping[str, Any]) -> str:
    try:
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"audit payload is not plain JSON: {exc}") from None


def record_hash(
    stream: str, seq: int, ts: datetime, actor: str, action: str, subject: str, payload: str,
    prev_hash: str,
) -> str:  # fmt: skip
    body = json.dumps(
        [stream, seq, ts.isoformat(), actor, action, subject, payload, prev_hash],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _record(row: Row[Any]) -> AuditRecord:
    return AuditRecord(**row._mapping)


def _lock_key(stream: str) -> int:
    return int.from_bytes(
        hashlib.sha256(b"audit:" + stream.encode()).digest()[:8], "big", signed=True
    )


class AuditRepository(Repository):
    async def append(
        self,
        stream: str,
        *,
        actor: str,
        action: str,
        subject: str = "",
        payload: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        """Append one record to ``stream``'s chain."""
        if not stream or not actor or not action:
            raise InvalidInputError("audit stream, actor and action must not be empty")
        body = canonical_json(payload or {})
        # Microseconds are what both engines keep; the hash covers exactly what is stored.
        ts = utcnow()
        async with self._scope.begin() as conn:
            if self._scope.dialect == "postgresql":
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(stream)}
                )
            last = (
                await conn.execute(
                    select(audit_log.c.seq, audit_log.c.hash)
                    .where(audit_log.c.stream == stream)
                    .order_by(audit_log.c.seq.desc())
                    .limit(1)
                )
            ).first()
            seq, prev = (1, GENESIS) if last is None else (last[0] + 1, last[1])
            digest = record_hash(stream, seq, ts, actor, action, subject, body, prev)
            row = (
                await conn.execute(
                    audit_log.insert()
                    .values(stream=stream, seq=seq, ts=ts, actor=actor, action=action,
                            subject=subject, payload=body, prev_hash=prev, hash=digest)
                    .returning(*audit_log.c)
                )
            ).one()  # fmt: skip
        return _record(row)

    async def head(self, stream: str) -> AuditRecord | None:
        """The newest record of ``stream``: its hash commits to the whole chain."""
        query = (
            select(audit_log)
            .where(audit_log.c.stream == stream)
            .order_by(audit_log.c.seq.desc())
            .limit(1)
        )
        async with self._scope.begin() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _record(row)

    async def records(
        self, stream: str, *, after_seq: int = 0, limit: int = 100
    ) -> list[AuditRecord]:
        query = (
            select(audit_log)
            .where(audit_log.c.stream == stream, audit_log.c.seq > after_seq)
            .order_by(audit_log.c.seq)
            .limit(limit)
        )
        async with self._scope.begin() as conn:
            return [_record(r) for r in await conn.execute(query)]

    async def count(self, stream: str) -> int:
        query = select(func.count()).select_from(audit_log).where(audit_log.c.stream == stream)
        async with self._scope.begin() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def verify(self, stream: str) -> AuditVerification:
        """Recompute the chain; the first edited, reordered, removed or inserted record fails."""
        prev, expected_seq, checked = GENESIS, 1, 0
        while True:
            batch = await self.records(stream, after_seq=expected_seq - 1, limit=_VERIFY_BATCH)
            if not batch:
                return AuditVerification(stream, True, checked)
            for rec in batch:
                problem = None
                if rec.seq != expected_seq:
                    problem = f"sequence gap: expected {expected_seq}, found {rec.seq}"
                elif rec.prev_hash != prev:
                    problem = "prev_hash does not match the previous record's hash"
                elif rec.hash != record_hash(
                    rec.stream, rec.seq, rec.ts, rec.actor, rec.action, rec.subject,
                    rec.payload, rec.prev_hash,
                ):  # fmt: skip
                    problem = "hash does not match the record's content"
                if problem is not None:
                    return AuditVerification(stream, False, checked, rec.seq, problem)
                prev, expected_seq, checked = rec.hash, expected_seq + 1, checked + 1
