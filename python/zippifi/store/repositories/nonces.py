"""Per-account nonces, written only under a fencing token.

The chain layer owns an account's nonces while it holds that account's lock
(:mod:`zippifi.store.locks`), whose every acquisition carries a larger fencing token. Each write
here carries the token; the store keeps the largest token it has seen per account and refuses
a smaller one with :class:`~zippifi.store.errors.StaleFencingTokenError`, so a holder that
stalled past its lease and wakes up cannot write over its successor's work.

Nonce life: ``reserved`` (handed out) -> ``submitted`` (a signed tx carries it) ->
``confirmed`` (the chain's nonce moved past it); a reserved nonce that was never used is
``released`` and handed out again before any new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from zippifi.errors import InvalidInputError
from zippifi.store.errors import InvalidTransitionError, NotFoundError, StaleFencingTokenError
from zippifi.store.repositories._base import Repository, upsert_insert
from zippifi.store.schema import nonce_heads, nonces
from zippifi.store.types import normalize_hex, utcnow

NonceStatus = Literal["reserved", "submitted", "confirmed", "released"]
IN_FLIGHT_NONCES = ("reserved", "submitted")


@dataclass(frozen=True, slots=True)
class NonceRecord:
    chain_id: int
    account: str
    nonce: int
    status: NonceStatus
    fence_token: int
    tx_hash: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NonceReconciliation:
    """What :meth:`NonceRepository.reconcile` found against the chain's nonce."""

    chain_nonce: int
    next_nonce: int
    confirmed: list[int]  # nonces below the chain's, now marked confirmed
    in_flight: list[NonceRecord]  # reserved / submitted at or above the chain's nonce
    gaps: list[int]  # free nonces below next_nonce that nothing holds: fill these first


def _record(row: Row[Any]) -> NonceRecord:
    return NonceRecord(**row._mapping)


class NonceRepository(Repository):
    async def _fence(self, conn: AsyncConnection, chain_id: int, account: str, token: int) -> int:
        """Accept ``token`` for (chain, account) if no larger one was seen; return next_nonce.
        One statement: the head is created, or its token raised, or (an older token) left."""
        if not isinstance(token, int) or isinstance(token, bool) or token < 1:
            raise InvalidInputError(f"fencing token must be a positive int, got {token!r}")
        insert = upsert_insert(self._scope, nonce_heads).values(
            chain_id=chain_id, account=account, next_nonce=0, fence_token=token,
            updated_at=utcnow(),
        )  # fmt: skip
        # The row lock taken here (also when the token is refused) serializes writers of one
        # account until commit.
        accept = insert.on_conflict_do_update(
            index_elements=["chain_id", "account"],
            set_={"fence_token": token, "updated_at": insert.excluded.updated_at},
            where=nonce_heads.c.fence_token <= token,
        ).returning(nonce_heads.c.next_nonce)
        row = (await conn.execute(accept)).first()
        if row is None:
            seen = (
                await conn.execute(
                    select(nonce_heads.c.fence_token).where(
                        nonce_heads.c.chain_id == chain_id, nonce_heads.c.account == account
                    )
                )
            ).scalar()
            raise StaleFencingTokenError(
                f"nonce write for account {account} on chain {chain_id} rejected: fencing token "
                f"{token} is older than {seen}, which a later lock holder already used "
                "(this holder's lock expired)"
            )
        return int(row[0])

    async def fence_token(self, chain_id: int, account: str) -> int:
        """The largest fencing token the store has accepted for this account (0: none)."""
        account = normalize_hex(account, 20, "account")
        async with self._scope.begin() as conn:
            token = (
                await conn.execute(
                    select(nonce_heads.c.fence_token).where(
                        nonce_heads.c.chain_id == chain_id, nonce_heads.c.account == account
                    )
                )
            ).scalar()
        return 0 if token is None else int(token)

    async def reserve(
        self, chain_id: int, account: str, *, fence: int, chain_nonce: int | None = None
    ) -> int:
        """The next nonce to use: the lowest released one, else a new one (never below
        ``chain_nonce`` when given)."""
        (nonce,) = await self.reserve_many(chain_id, account, 1, fence=fence,
                                           chain_nonce=chain_nonce)  # fmt: skip
        return nonce

    async def reserve_many(
        self, chain_id: int, account: str, count: int, *, fence: int,
        chain_nonce: int | None = None,
    ) -> list[int]:  # fmt: skip
        """``count`` nonces as that many :meth:`reserve` calls hand them out (the lowest
        released ones, then new ones in order), in one database transaction: one fence check,
        one read of the released nonces, and one write each for the reused and the new ones."""
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise InvalidInputError(f"count must be an int >= 0, got {count!r}")
        if count == 0:
            return []
        account = normalize_hex(account, 20, "account")
        mine = (nonces.c.chain_id == chain_id, nonces.c.account == account)
        floor = chain_nonce if chain_nonce is not None else 0
        async with self._scope.begin() as conn:
            next_nonce = await self._fence(conn, chain_id, account, fence)
            released = [
                int(n)
                for n in (
                    await conn.execute(
                        select(nonces.c.nonce)
                        .where(*mine, nonces.c.status == "released", nonces.c.nonce >= floor)
                        .order_by(nonces.c.nonce)
                        .limit(count)
                    )
                ).scalars()
            ]
            values = {"status": "reserved", "fence_token": fence, "tx_hash": None,
                      "updated_at": utcnow()}  # fmt: skip
            if released:
                await conn.execute(
                    update(nonces).where(*mine, nonces.c.nonce.in_(released)).values(**values)
                )
            start = max(next_nonce, floor)
            fresh = list(range(start, start + count - len(released)))
            if fresh:
                await conn.execute(
                    nonces.insert(),
                    [{"chain_id": chain_id, "account": account, "nonce": n, **values}
                     for n in fresh],
                )  # fmt: skip
                await conn.execute(
                    update(nonce_heads)
                    .where(nonce_heads.c.chain_id == chain_id, nonce_heads.c.account == account)
                    .values(next_nonce=fresh[-1] + 1)
                )
        return released + fresh

    async def _set(
        self,
        chain_id: int,
        account: str,
        nonce: int,
        *,
        fence: int,
        status: NonceStatus,
        allowed_from: tuple[str, ...],
        tx_hash: str | None = None,
    ) -> NonceRecord:
        account = normalize_hex(account, 20, "account")
        async with self._scope.begin() as conn:
            await self._fence(conn, chain_id, account, fence)
            key = (nonces.c.chain_id == chain_id, nonces.c.account == account,
                   nonces.c.nonce == nonce)  # fmt: skip
            current = (await conn.execute(select(nonces.c.status).where(*key))).scalar()
            if current is None:
                raise NotFoundError(
                    f"nonce {nonce} of {account} on chain {chain_id} was never reserved"
                )
            if current not in allowed_from:
                raise InvalidTransitionError(
                    f"nonce {nonce} of {account}: cannot go from {current!r} to {status!r}"
                )
            row = (
                await conn.execute(
                    update(nonces)
                    .where(*key)
                    .values(status=status, fence_token=fence, tx_hash=tx_hash, updated_at=utcnow())
                    .returning(*nonces.c)
                )
            ).one()
        return _record(row)

    async def mark_submitted(
        self, chain_id: int, account: str, nonce: int, tx_hash: str, *, fence: int
    ) -> NonceRecord:
        """A signed transaction carries this nonce (also for a replacement of that tx)."""
        return await self._set(
            chain_id, account, nonce, fence=fence, status="submitted",
            allowed_from=("reserved", "submitted"), tx_hash=normalize_hex(tx_hash, 32, "tx_hash"),
        )  # fmt: skip

    async def mark_submitted_many(
        self, chain_id: int, account: str, marks: Sequence[tuple[int, str]], *, fence: int
    ) -> None:
        """:meth:`mark_submitted` for each ``(nonce, tx_hash)``, all or nothing, in one
        database transaction: one fence check, one read, one executemany."""
        if not marks:
            return
        account = normalize_hex(account, 20, "account")
        hashes = {n: normalize_hex(h, 32, "tx_hash") for n, h in marks}
        mine = (nonces.c.chain_id == chain_id, nonces.c.account == account)
        async with self._scope.begin() as conn:
            await self._fence(conn, chain_id, account, fence)
            rows = await conn.execute(
                select(nonces.c.nonce, nonces.c.status).where(*mine, nonces.c.nonce.in_(hashes))
            )
            current = {int(r.nonce): r.status for r in rows}
            for nonce in hashes:
                status = current.get(nonce)
                if status is None:
                    raise NotFoundError(
                        f"nonce {nonce} of {account} on chain {chain_id} was never reserved"
                    )
                if status not in ("reserved", "submitted"):
                    raise InvalidTransitionError(
                        f"nonce {nonce} of {account}: cannot go from {status!r} to 'submitted'"
                    )
            now = utcnow()
            await conn.execute(
                update(nonces)
                .where(*mine, nonces.c.nonce == bindparam("b_nonce"))
                .values(status="submitted", fence_token=fence, tx_hash=bindparam("b_hash"),
                        updated_at=now),
                [{"b_nonce": n, "b_hash": h} for n, h in hashes.items()],
            )  # fmt: skip

    async def release(self, chain_id: int, account: str, nonce: int, *, fence: int) -> NonceRecord:
        """Give back a reserved nonce that no transaction used; the next reserve() reuses it."""
        return await self._set(
            chain_id, account, nonce, fence=fence, status="released", allowed_from=("reserved",)
        )

    async def in_flight(self, chain_id: int, account: str) -> list[NonceRecord]:
        """Reserved or submitted nonces, lowest first."""
        account = normalize_hex(account, 20, "account")
        query = (
            select(nonces)
            .where(nonces.c.chain_id == chain_id, nonces.c.account == account)
            .where(nonces.c.status.in_(IN_FLIGHT_NONCES))
            .order_by(nonces.c.nonce)
        )
        async with self._scope.begin() as conn:
            return [_record(r) for r in await conn.execute(query)]

    async def get(self, chain_id: int, account: str, nonce: int) -> NonceRecord | None:
        account = normalize_hex(account, 20, "account")
        query = select(nonces).where(
            nonces.c.chain_id == chain_id, nonces.c.account == account, nonces.c.nonce == nonce
        )
        async with self._scope.begin() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _record(row)

    async def reconcile(
        self, chain_id: int, account: str, chain_nonce: int, *, fence: int
    ) -> NonceReconciliation:
        """Align with the chain's transaction count ``chain_nonce`` (every nonce below it is
        used on chain): those become confirmed, next_nonce is at least ``chain_nonce``, and
        what is still in flight or missing is reported for the chain layer to resolve."""
        if chain_nonce < 0:
            raise InvalidInputError(f"chain nonce must be >= 0, got {chain_nonce}")
        account = normalize_hex(account, 20, "account")
        mine = (nonces.c.chain_id == chain_id, nonces.c.account == account)
        async with self._scope.begin() as conn:
            next_nonce = await self._fence(conn, chain_id, account, fence)
            confirmed = [
                int(n)
                for n in (
                    await conn.execute(
                        update(nonces)
                        .where(*mine, nonces.c.nonce < chain_nonce, nonces.c.status != "confirmed")
                        .values(status="confirmed", fence_token=fence, updated_at=utcnow())
                        .returning(nonces.c.nonce)
                    )
                ).scalars()
            ]
            next_nonce = max(next_nonce, chain_nonce)
            await conn.execute(
                update(nonce_heads)
                .where(nonce_heads.c.chain_id == chain_id, nonce_heads.c.account == account)
                .values(next_nonce=next_nonce)
            )
            rows = await conn.execute(
                select(nonces).where(*mine, nonces.c.nonce >= chain_nonce).order_by(nonces.c.nonce)
            )
            above = [_record(r) for r in rows]
        held = {r.nonce for r in above if r.status in IN_FLIGHT_NONCES}
        return NonceReconciliation(
            chain_nonce=chain_nonce,
            next_nonce=next_nonce,
            confirmed=sorted(confirmed),
            in_flight=[r for r in above if r.status in IN_FLIGHT_NONCES],
            gaps=[n for n in range(chain_nonce, next_nonce) if n not in held],
        )
