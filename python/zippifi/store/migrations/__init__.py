"""Alembic migrations of the store, shipped inside the package: ``zippifi.store.migrate(url)``
runs them with no source tree and no alembic.ini.

To write a new revision from a source checkout, after changing ``schema.py``::

    python -m zippifi.store.migrations "what changed"

generates ``versions/vNNNN_*.py`` from the difference between a migrated scratch SQLite
database and the metadata; review it (PostgreSQL-only details such as partitions are written
by hand) and run ``pytest tests/store``, whose schema test compares both engines with
``schema.py``.
"""

from __future__ import annotations

from typing import Any

from zippifi.store.partitions import is_partition_name


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Autogenerate filter: monthly partitions are made at run time by the store, not here."""
    return not (type_ == "table" and name is not None and is_partition_name(name))
