"""Alembic environment: always online, on the connection ``zippifi.store.migrate`` hands in."""

from __future__ import annotations

from alembic import context

from zippifi.store.errors import StoreError
from zippifi.store.migrations import include_object
from zippifi.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise StoreError(
        "run migrations with zippifi.store.migrate(url); offline mode is not supported"
    )


context.configure(
    connection=connection,
    target_metadata=metadata,
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
