"""Engines and migrations: which database, how to connect, and bringing its schema up to date.

``sqlite://`` and ``postgresql://`` URLs get the async drivers (aiosqlite, asyncpg). SQLite runs
in WAL mode with foreign keys on, and every transaction is ``BEGIN IMMEDIATE`` so two writers
(threads or processes) wait for each other instead of failing on a lock upgrade.

Under a crash test that names a ``store.*`` point (:mod:`zippifi.crashpoints`), every engine
also passes ``store.statement`` after each SQL statement it runs, so ``store.statement@N``
kills the process between two statements of a transaction, before its commit; otherwise no
hook is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from zippifi.crashpoints import armed, crash_point
from zippifi.errors import ConfigError
from zippifi.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# pg_advisory_xact_lock key serializing migrations of one database ("zippifi" in ASCII).
_MIGRATION_LOCK = 0x7A6970706966690


def database_url(settings: Settings) -> str:
    """The configured database URL, or the embedded SQLite file under ``data_dir``."""
    configured = settings.store.database_url
    if configured is None:
        path = settings.data_dir.expanduser() / "zippifi.db"
        return f"sqlite+aiosqlite:///{path}"
    return configured


def normalize_url(url: str | URL) -> URL:
    """Pick the async driver, expand ``~`` in SQLite paths; ConfigError for anything else."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("store.database_url is not a database URL") from None
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
        if parsed.database and parsed.database != ":memory:":
            parsed = parsed.set(database=str(Path(parsed.database).expanduser()))
        return parsed
    raise ConfigError(f"store.database_url: unsupported database {backend!r} (sqlite, postgresql)")


def safe_url(url: str | URL) -> str:
    """The URL with its password masked, for logs and error messages."""
    return make_url(url).render_as_string(hide_password=True)


def create_engine(url: str | URL, *, pool_size: int = 5, echo: bool = False) -> AsyncEngine:
    """An async engine for ``url``; SQLite files get their directory created."""
    parsed = normalize_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "postgresql":
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    elif parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    if armed("store."):
        _arm_statement_crashes(engine)
    return engine


def _arm_statement_crashes(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _after_statement(*_: Any) -> None:
        crash_point("store.statement")


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN (below) drive transactions, not the driver's implicit ones.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config(connection: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # new revisions: versions/v0002_slug.py (importable names; rev ids are 4-digit counters)
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
    command.upgrade(_alembic_config(connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    command.downgrade(_alembic_config(connection), revision)


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def migrate(url: str | URL, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (default: the newest), in one transaction.
    Safe to call on every start; concurrent callers on PostgreSQL wait for each other."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()


async def downgrade(url: str | URL, revision: str = "base") -> None:
    """Take the schema back to ``revision`` (``base``: drop every table, data included)."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade, revision)
    finally:
        await engine.dispose()


async def current_revision(url: str | URL) -> str | None:
    """The schema revision the database is at, None when it was never migrated."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_current)
    finally:
        await engine.dispose()
