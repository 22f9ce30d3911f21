"""The error family, settings and logger every later module builds on."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import zippifi
from zippifi import errors
from zippifi.log import configure_logging, get_logger
from zippifi.settings import LogSettings, load_settings


def test_rust_errors_join_the_python_family() -> None:
    assert issubclass(errors.InvalidTransactionError, errors.InvalidInputError)
    assert issubclass(errors.UnsupportedTransactionTypeError, errors.InvalidTransactionError)
    assert issubclass(errors.InvalidKeyError, ValueError)
    assert issubclass(errors.KernelPanicError, RuntimeError)
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.ZippiError)
    assert errors.InvalidKeyError.__module__ == "zippifi.errors"
    assert zippifi.__version__ == "0.1.0"


def test_settings_layers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "zippifi.toml"
    cfg.write_text('data_dir = "/srv/zippi"\n[log]\nlevel = "warning"\nformat = "console"\n')
    monkeypatch.setenv("ZIPPIFI_CONFIG", str(cfg))
    s = load_settings()
    assert s.data_dir == Path("/srv/zippi")
    assert s.log.level == "warning"
    monkeypatch.setenv("ZIPPIFI_LOG__LEVEL", "DEBUG")  # env beats the file
    assert load_settings().log.level == "debug"


def test_settings_errors_name_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZIPPIFI_LOG__LEVEL", "loud")
    with pytest.raises(errors.ConfigError, match=r"log\.level"):
        load_settings()
    monkeypatch.delenv("ZIPPIFI_LOG__LEVEL")
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[log]\nunknown_knob = 1\n")
    monkeypatch.setenv("ZIPPIFI_CONFIG", str(cfg))
    with pytest.raises(errors.ConfigError, match="unknown_knob"):
        load_settings()
    cfg.write_text("this is = = not toml")
    with pytest.raises(errors.ConfigError, match="settings file"):
        load_settings()
    monkeypatch.setenv("ZIPPIFI_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(errors.ConfigError, match="no settings file"):
        load_settings()
    monkeypatch.delenv("ZIPPIFI_CONFIG")
    # an unknown default chain fails when the settings load, naming the key and the known chains
    monkeypatch.setenv("ZIPPIFI_CHAINS__DEFAULT", "mainnet")
    with pytest.raises(errors.ConfigError, match=r"chains\.default = 'mainnet' .*known: embedded"):
        load_settings()


def test_logger_writes_json_and_redacts_secrets() -> None:
    out = io.StringIO()
    configure_logging(LogSettings(level="info"), stream=out)
    log = get_logger("test", wallet="0xabc")
    log.info("signed", private_key="0x" + "11" * 32, password="pw", api_key="k", nonce=3)
    log.debug("hidden")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 1
    event = lines[0]
    assert event["event"] == "signed"
    assert event["logger"] == "test"
    assert event["wallet"] == "0xabc"
    assert event["nonce"] == 3
    assert event["level"] == "info"
    for key in ("private_key", "password", "api_key"):
        assert event[key] == "<redacted>"
    assert "11" * 32 not in out.getvalue()
