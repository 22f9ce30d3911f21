"""Column types, URL handling and the store settings, without a database."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from zippifi import errors
from zippifi.settings import load_settings
from zippifi.store import (
    AmountOutOfRangeError,
    current_revision,
    database_url,
    normalize_url,
    open_store_from_settings,
    safe_url,
)
from zippifi.store.types import U256, U256_MAX, SignedAmount, UtcDateTime, check_u256, to_decimal

PG = postgresql.asyncpg.dialect()
LITE = sqlite.aiosqlite.dialect()


@pytest.mark.parametrize("value", [0, 1, 2**255 + 1, U256_MAX])
def test_u256_accepts_the_whole_range(value: int) -> None:
    assert check_u256(value) == value
    assert U256().process_bind_param(value, LITE) == str(value)
    assert U256().process_bind_param(value, PG) == Decimal(value)
    assert U256().process_result_value(str(value), LITE) == value
    assert U256().process_result_value(Decimal(value), PG) == value


@pytest.mark.parametrize("value", [-1, 2**256, 2**300, True, 1.0, Decimal(5), "5"])
def test_u256_refuses_what_it_cannot_hold(value: object) -> None:
    with pytest.raises(AmountOutOfRangeError, match="amount") as info:
        U256().process_bind_param(value, PG)
    assert isinstance(info.value, errors.InvalidInputError)


def test_signed_amount_range() -> None:
    assert SignedAmount().process_bind_param(-U256_MAX, LITE) == str(-U256_MAX)
    with pytest.raises(AmountOutOfRangeError):
        SignedAmount().process_bind_param(-(2**256), LITE)


def test_decimals_refuse_floats_and_non_finite() -> None:
    assert to_decimal("1.10") == Decimal("1.10")
    for bad in (1.5, "nan", Decimal("Infinity"), "abc"):
        with pytest.raises(errors.InvalidInputError):
            to_decimal(bad)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(errors.InvalidInputError, match="timezone-aware"):
        UtcDateTime().process_bind_param(datetime(2024, 1, 1), PG)


def test_urls_pick_async_drivers() -> None:
    assert normalize_url("postgresql://u:p@h/db").drivername == "postgresql+asyncpg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+asyncpg"
    lite = normalize_url("sqlite:///~/z/zippifi.db")
    assert lite.drivername == "sqlite+aiosqlite"
    assert lite.database == str(Path("~/z/zippifi.db").expanduser())
    with pytest.raises(errors.ConfigError, match="unsupported"):
        normalize_url("mysql://h/db")
    assert "secret" not in safe_url("postgresql://u:secret@h/db")


def test_default_database_is_sqlite_under_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZIPPIFI_DATA_DIR", str(tmp_path / "state"))
    settings = load_settings()
    assert settings.store.database_url is None
    assert settings.store.redis_url is None
    assert database_url(settings) == f"sqlite+aiosqlite:///{tmp_path / 'state' / 'zippifi.db'}"
    monkeypatch.setenv("ZIPPIFI_STORE__DATABASE_URL", "postgresql://u@db:5432/z")
    monkeypatch.setenv("ZIPPIFI_STORE__REDIS_URL", "redis://cache:6379/1")
    settings = load_settings()
    assert database_url(settings) == "postgresql://u@db:5432/z"
    assert settings.store.redis_url == "redis://cache:6379/1"


def test_bad_store_settings_name_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZIPPIFI_STORE__DATABASE_URL", "mysql://u:hunter2@h/db")
    with pytest.raises(errors.ConfigError, match=r"store\.database_url") as info:
        load_settings()
    assert "hunter2" not in str(info.value)
    monkeypatch.delenv("ZIPPIFI_STORE__DATABASE_URL")
    monkeypatch.setenv("ZIPPIFI_STORE__QUEUE_MAX_DELIVERIES", "0")
    with pytest.raises(errors.ConfigError, match="queue_max_deliveries"):
        load_settings()


async def test_the_default_store_is_a_migrated_sqlite_file_under_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZIPPIFI_DATA_DIR", str(tmp_path / "fresh" / "state"))
    store = await open_store_from_settings(load_settings())
    try:
        assert store.dialect == "sqlite"
        assert (tmp_path / "fresh" / "state" / "zippifi.db").is_file()
        assert (await store.strategies.create("demo", "twap", {})).id >= 1
    finally:
        await store.close()
    assert await current_revision(f"sqlite:///{tmp_path / 'fresh' / 'state' / 'zippifi.db'}")
