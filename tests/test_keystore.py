from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from eth_account import Account

from zippifi import errors, sign

KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")


def test_roundtrip_through_a_file(tmp_path: Path) -> None:
    path = sign.write_keystore(tmp_path / "agent.json", KEY, "hunter2", kdf="pbkdf2", iterations=2)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert KEY.hex() not in path.read_text()
    signer = sign.Signer.from_keystore(path, "hunter2")
    assert isinstance(signer, sign.Signer)
    assert signer.address == Account.from_key(KEY).address
    # same file as a str path, as JSON text and as a dict
    assert sign.Signer.from_keystore(str(path), "hunter2").address == signer.address
    assert sign.Signer.from_keystore(path.read_text(), b"hunter2").address == signer.address
    assert (
        sign.Signer.from_keystore(json.loads(path.read_text()), "hunter2").address == signer.address
    )
    with pytest.raises(errors.KeystoreError, match="exists"):
        sign.write_keystore(path, KEY, "x")


def test_reads_keystores_eth_account_wrote() -> None:
    data = Account.encrypt(KEY, "pw", kdf="scrypt")
    assert sign.Signer.from_keystore(data, "pw").address == Account.from_key(KEY).address


def test_wrong_password_and_bad_files(tmp_path: Path) -> None:
    data = sign.encrypt_keystore(KEY, "right", kdf="pbkdf2", iterations=2)
    with pytest.raises(errors.KeystoreError, match="cannot decrypt"):
        sign.Signer.from_keystore(data, "wrong")
    with pytest.raises(errors.KeystoreError, match="cannot read"):
        sign.Signer.from_keystore(tmp_path / "missing.json", "x")
    with pytest.raises(errors.KeystoreError, match="not valid JSON"):
        sign.Signer.from_keystore("{nope", "x")
    with pytest.raises(errors.KeystoreError, match="not a v3 keystore"):
        sign.Signer.from_keystore({"version": 3}, "x")
    with pytest.raises(errors.InvalidKeyError):
        sign.encrypt_keystore(b"\x00" * 32, "x")
