"""Log-follower cursors: the last block each follower processed, per chain, with the recent
block hashes it saw so a reorg can be rewound to the last block both histories share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select

from zippifi.errors import InvalidInputError
from zippifi.store.errors import ReorgDetectedError
from zippifi.store.repositories._base import Repository, upsert_insert
from zippifi.store.schema import log_cursor_blocks, log_cursors
from zippifi.store.types import normalize_hex, utcnow

DEFAULT_KEEP = 256  # recent blocks remembered per follower: deeper reorgs restart from scratch


@dataclass(frozen=True, slots=True)
class Cursor:
    chain_id: int
    follower: str
    block_number: int
    block_hash: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class BlockRef:
    block_number: int
    block_hash: str
    parent_hash: str | None


def _cursor(row: Row[Any]) -> Cursor:
    return Cursor(**row._mapping)


class CursorRepository(Repository):
    async def get(self, chain_id: int, follower: str) -> Cursor | None:
        query = select(log_cursors).where(
            log_cursors.c.chain_id == chain_id, log_cursors.c.follower == follower
        )
        async with self._scope.begin() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else _cursor(row)

    async def advance(
        self,
        chain_id: int,
        follower: str,
        block_number: int,
        block_hash: str,
        *,
        parent_hash: str | None = None,
        keep: int = DEFAULT_KEEP,
    ) -> Cursor:
        """Record that ``follower`` processed everything up to ``block_number``. With
        ``parent_hash``, a mismatch with the recorded previous block raises
        ReorgDetectedError (then :meth:`rewind`)."""
        if not follower:
            raise InvalidInputError("follower name must not be empty")
        block_hash = normalize_hex(block_hash, 32, "block_hash")
        parent = None if parent_hash is None else normalize_hex(parent_hash, 32, "parent_hash")
        mine = (log_cursor_blocks.c.chain_id == chain_id, log_cursor_blocks.c.follower == follower)
        async with self._scope.begin() as conn:
            current = (
                await conn.execute(
                    select(log_cursors).where(
                        log_cursors.c.chain_id == chain_id, log_cursors.c.follower == follower
                    )
                )
            ).first()
            if current is not None and block_number <= current._mapping["block_number"]:
                raise InvalidInputError(
                    f"cursor {follower!r} on chain {chain_id} is at block "
                    f"{current._mapping['block_number']}; cannot advance to {block_number} "
                    "(use rewind for a reorg)"
                )
            if parent is not None:
                recorded = (
                    await conn.execute(
                        select(log_cursor_blocks.c.block_hash).where(
                            *mine, log_cursor_blocks.c.block_number == block_number - 1
                        )
                    )
                ).scalar()
                if recorded is not None and recorded != parent:
                    raise ReorgDetectedError(
                        f"chain {chain_id}: block {block_number}'s parent is {parent}, but "
                        f"{follower!r} processed block {block_number - 1} as {recorded}"
                    )
            now = utcnow()
            values = {"block_number": block_number, "block_hash": block_hash, "updated_at": now}
            await conn.execute(
                upsert_insert(self._scope, log_cursors)
                .values(chain_id=chain_id, follower=follower, **values)
                .on_conflict_do_update(index_elements=["chain_id", "follower"], set_=values)
            )
            await conn.execute(
                log_cursor_blocks.insert().values(
                    chain_id=chain_id, follower=follower, block_number=block_number,
                    block_hash=block_hash, parent_hash=parent,
                )
            )  # fmt: skip
            await conn.execute(
                delete(log_cursor_blocks).where(
                    *mine, log_cursor_blocks.c.block_number <= block_number - keep
                )
            )
        return Cursor(chain_id, follower, block_number, block_hash, now)

    async def recent(
        self, chain_id: int, follower: str, limit: int = DEFAULT_KEEP
    ) -> list[BlockRef]:
        """Recorded blocks, newest first: compare them with the chain to find the fork point."""
        query = (
            select(log_cursor_blocks)
            .where(
                log_cursor_blocks.c.chain_id == chain_id, log_cursor_blocks.c.follower == follower
            )
            .order_by(log_cursor_blocks.c.block_number.desc())
            .limit(limit)
        )
        async with self._scope.begin() as conn:
            return [
                BlockRef(r.block_number, r.block_hash, r.parent_hash)
                for r in await conn.execute(query)
            ]

    async def rewind(self, chain_id: int, follower: str, to_block: int) -> Cursor | None:
        """Move the cursor back to the newest recorded block at or below ``to_block`` and forget
        the blocks above it; None (cursor deleted: start over) if none is recorded."""
        mine = (log_cursor_blocks.c.chain_id == chain_id, log_cursor_blocks.c.follower == follower)
        key = (log_cursors.c.chain_id == chain_id, log_cursors.c.follower == follower)
        async with self._scope.begin() as conn:
            await conn.execute(
                delete(log_cursor_blocks).where(*mine, log_cursor_blocks.c.block_number > to_block)
            )
            keep = (
                await conn.execute(
                    select(log_cursor_blocks.c.block_number, log_cursor_blocks.c.block_hash)
                    .where(*mine)
                    .order_by(log_cursor_blocks.c.block_number.desc())
                    .limit(1)
                )
            ).first()
            if keep is None:
                await conn.execute(delete(log_cursors).where(*key))
                return None
            now = utcnow()
            await conn.execute(
                log_cursors.update()
                .where(*key)
                .values(block_number=keep[0], block_hash=keep[1], updated_at=now)
            )
        return Cursor(chain_id, follower, int(keep[0]), str(keep[1]), now)
