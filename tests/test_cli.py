"""The `zippifi` command: the demo (the main job) and keystore management."""

from __future__ import annotations

from pathlib import Path

import pytest

from zippifi import sign
from zippifi.cli import main


def test_demo_runs_the_real_thing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--txs", "40", "--chain-txs", "5"]) == 0
    out = capsys.readouterr().out
    assert "All 40 transactions byte-identical" in out
    assert "all 5 mined with status 1" in out


def test_keystore_new_and_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KS_PW", "correct horse")
    path = tmp_path / "agent.json"
    assert main(["keystore", "new", str(path), "--password-env", "KS_PW"]) == 0
    address = capsys.readouterr().out.strip().splitlines()[-1]
    assert sign.Signer.from_keystore(path, "correct horse").address == address
    assert main(["keystore", "address", str(path), "--password-env", "KS_PW"]) == 0
    assert capsys.readouterr().out.strip() == address
    monkeypatch.setenv("KS_PW", "wrong")
    assert main(["keystore", "address", str(path), "--password-env", "KS_PW"]) == 2
    assert "cannot decrypt" in capsys.readouterr().err
    assert main(["keystore", "new", str(path), "--password-env", "KS_PW"]) == 2
    assert "not overwriting" in capsys.readouterr().err
    assert main(["keystore", "address", str(path), "--password-env", "UNSET_VAR_X"]) == 2
