"""Bad input raises a clear error from the zippifi.errors family, naming what was wrong."""

from __future__ import annotations

import contextlib
import gc
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zippifi import errors, sign

KEY = "0x" + "42" * 32
SIGNER = sign.Signer(KEY)
BASE: dict[str, Any] = {
    "type": 2,
    "chainId": 1,
    "nonce": 0,
    "gas": 21000,
    "maxFeePerGas": 10**10,
    "maxPriorityFeePerGas": 10**9,
    "to": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "value": 1,
}


def _with(**changes: Any) -> dict[str, Any]:
    tx = dict(BASE)
    for k, v in changes.items():
        if v is _DROP:
            tx.pop(k)
        else:
            tx[k] = v
    return tx


_DROP = object()


@pytest.mark.parametrize(
    ("tx", "field"),
    [
        (_with(nonce=-1), "nonce"),
        (_with(value=2**256), "value"),
        (_with(value="0x1" + "0" * 64), "value"),
        (_with(gas=1.5), "gas"),
        (_with(gas=True), "gas"),
        (_with(gas="21000"), "gas"),
        (_with(gas="0x"), "gas"),
        (_with(maxFeePerGas="0xzz"), "maxFeePerGas"),
        (_with(chainId=2**64), "chainId"),
        (_with(to="0x1234"), "to"),
        (_with(to="0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"), "to"),
        (_with(to=b"\x01" * 19), "to"),
        (_with(to=42), "to"),
        (_with(data="0xgg"), "data"),
        (_with(data=[1, 2]), "data"),
        (_with(gasPrice=1), "gasPrice"),
        (_with(nonce=_DROP), "nonce"),
        (_with(gas=_DROP), "gas"),
        (_with(maxFeePerGas=_DROP), "maxFeePerGas"),
        (_with(foo=1), "foo"),
        (_with(accessList=[{"address": "0x12"}]), "accessList[0]"),
        (
            _with(accessList=[{"address": BASE["to"], "storageKeys": [-1]}]),
            "accessList[0].storageKeys[0]",
        ),
        (
            _with(accessList=[{"address": BASE["to"], "storageKeys": "0x00"}]),
            "accessList[0].storageKeys",
        ),
        (_with(accessList="nope"), "accessList"),
        ({"nonce": 0, "gas": 1, "gasPrice": 1, "maxFeePerGas": 1, "type": 0}, "maxFeePerGas"),
        ({"nonce": 0, "gas": 1, "gasPrice": 1, "accessList": [], "type": 0}, "accessList"),
    ],
)
def test_bad_field_is_named(tx: dict[str, Any], field: str) -> None:
    with pytest.raises(errors.InvalidTransactionError) as info:
        SIGNER.sign_transaction(tx)
    assert str(info.value).startswith(f"{field}:"), str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, errors.ZippiError)


@pytest.mark.parametrize(
    "tx",
    [
        _with(type=3),
        _with(type="0x4"),
        _with(type=7),
        _with(type=2**255),
        _with(maxFeePerBlobGas=1),
        _with(authorizationList=[]),
    ],
)
def test_unsupported_types_say_so(tx: dict[str, Any]) -> None:
    with pytest.raises(
        errors.UnsupportedTransactionTypeError, match="unsupported transaction type"
    ):
        SIGNER.sign_transaction(tx)


def test_from_must_be_the_signer() -> None:
    other = sign.Signer("0x" + "43" * 32).address
    with pytest.raises(
        errors.InvalidTransactionError, match=r"^from: .* is not the signing account"
    ):
        SIGNER.sign_transaction(_with(**{"from": other}))
    assert SIGNER.sign_transaction(
        _with(**{"from": SIGNER.address.lower()})
    ) == SIGNER.sign_transaction(BASE)


def test_batch_error_names_index_and_signs_nothing() -> None:
    txs = [_with(nonce=i) for i in range(10)]
    txs[7] = _with(nonce=-3)
    with pytest.raises(errors.InvalidTransactionError, match=r"^transaction 7: nonce:"):
        SIGNER.sign_transactions(txs)
    txs[7] = _with(**{"from": sign.Signer("0x" + "43" * 32).address})
    with pytest.raises(errors.InvalidTransactionError, match=r"^transaction 7: from:"):
        SIGNER.sign_transactions(txs)
    with pytest.raises(errors.InvalidTransactionError, match="got a single dict"):
        SIGNER.sign_transactions(BASE)  # type: ignore[arg-type]


def test_keys_batch_errors() -> None:
    with pytest.raises(errors.InvalidKeyError, match=r"^transaction 1: invalid private key"):
        sign.sign_transactions([KEY, "0x00"], [BASE, BASE])
    with pytest.raises(errors.InvalidTransactionError, match="2 keys for 3 transactions"):
        sign.sign_transactions([KEY, KEY], [BASE, BASE, BASE])
    with pytest.raises(errors.InvalidKeyError, match="single key"):
        sign.sign_transactions(KEY, [BASE])


@pytest.mark.parametrize(
    "key",
    [b"", b"\x01" * 31, b"\x01" * 33, b"\x00" * 32, b"\xff" * 32, "0x12", "zz" * 32, 5, None],
)
def test_bad_keys(key: Any) -> None:
    with pytest.raises(errors.InvalidKeyError) as info:
        sign.Signer(key)
    assert isinstance(info.value, ValueError)


def test_key_never_printed() -> None:
    secret = "42" * 32
    signer = sign.Signer(bytearray.fromhex(secret))
    assert secret not in repr(signer)
    assert repr(signer) == f"Signer(address={signer.address})"
    assert not hasattr(signer, "__dict__") or secret not in str(vars(signer))
    # an error on a transaction signed with the key does not echo it either
    with pytest.raises(errors.InvalidTransactionError) as info:
        signer.sign_transaction(_with(nonce=-1))
    assert secret not in str(info.value)
    with pytest.raises(errors.InvalidKeyError) as bad:
        sign.Signer("0x" + "ff" * 32)
    assert "ff" * 32 not in str(bad.value)


def test_signer_keeps_no_python_reference_to_the_key() -> None:
    key = bytearray.fromhex("42" * 32)
    signer = sign.Signer(key)
    assert not any(r is key for r in gc.get_referents(signer))
    key[:] = bytes(32)  # the caller wiping its copy does not affect the signer
    assert signer.address == SIGNER.address


def test_recover_rejects_garbage() -> None:
    for raw in [b"", b"\x05abc", b"\xc0", b"\x02\xc0", b"\xf8", "0xzz", b"\x03\xc0"]:
        with pytest.raises(errors.InvalidInputError):
            sign.recover_transaction(raw)
    with pytest.raises(errors.InvalidSignatureError, match="65 bytes"):
        sign.recover_message(b"hi", b"\x00" * 64)
    with pytest.raises(errors.InvalidSignatureError, match="v must be"):
        sign.recover_message(b"hi", b"\x01" * 64 + b"\x05")


hostile = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**300), max_value=2**300),
        st.floats(),
        st.text(max_size=80),
        st.binary(max_size=80),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
tx_keys = st.sampled_from(
    [
        "type",
        "chainId",
        "nonce",
        "gas",
        "gasPrice",
        "maxFeePerGas",
        "maxPriorityFeePerGas",
        "to",
        "value",
        "data",
        "accessList",
        "from",
        "junk",
    ]
)


@given(fields=st.dictionaries(tx_keys, hostile, max_size=8))
def test_hostile_transactions_raise_only_zippi_errors(fields: dict[str, Any]) -> None:
    # only bad-input errors: a KernelPanicError (a ZippiRuntimeError) would fail the test
    with contextlib.suppress(errors.InvalidInputError):
        SIGNER.sign_transaction(fields)


@given(raw=st.binary(max_size=200))
def test_hostile_raw_transactions(raw: bytes) -> None:
    with contextlib.suppress(errors.InvalidInputError):
        sign.recover_transaction(raw)


@given(value=hostile)
def test_hostile_typed_data(value: Any) -> None:
    with contextlib.suppress(errors.InvalidInputError):
        sign.hash_typed_data(value)


def test_deeply_nested_typed_data_raises() -> None:
    value: Any = []
    for _ in range(10_000):
        value = [value]
    with pytest.raises(errors.InvalidTypedDataError, match="nested deeper"):
        sign.hash_typed_data({"message": value})
