"""Generate a new revision from schema.py: ``python -m zippifi.store.migrations "message"``.

Autogenerate runs against a scratch SQLite database migrated to the current head, so the new
script holds exactly what schema.py added since. Review it before committing.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import Connection

from zippifi.store.engine import _alembic_config, create_engine, migrate


def _revision(connection: Connection, message: str) -> None:
    from alembic import command

    versions = Path(__file__).parent / "versions"
    rev_id = f"{len(list(versions.glob('v[0-9]*_*.py'))) + 1:04d}"
    command.revision(_alembic_config(connection), message=message, autogenerate=True, rev_id=rev_id)


async def _main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        await migrate(url)
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(_revision, message)
        finally:
            await engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit('usage: python -m zippifi.store.migrations "what changed"')
    asyncio.run(_main(sys.argv[1]))
