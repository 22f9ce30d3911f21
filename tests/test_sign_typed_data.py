"""EIP-712 signatures against eth-account's encode_typed_data, on fixed and random schemas."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given
from hypothesis import strategies as st

from tests.generators import addresses, private_keys
from zippifi import errors, sign

KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")

DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

MAIL: dict[str, Any] = {
    "types": {
        "EIP712Domain": DOMAIN_FIELDS,
        "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
        "Mail": [
            {"name": "from", "type": "Person"},
            {"name": "to", "type": "Person"},
            {"name": "contents", "type": "string"},
        ],
    },
    "primaryType": "Mail",
    "domain": {
        "name": "Ether Mail",
        "version": "1",
        "chainId": 1,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    },
    "message": {
        "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
        "contents": "Hello, Bob!",
    },
}

PERMIT: dict[str, Any] = {
    "types": {
        "EIP712Domain": DOMAIN_FIELDS,
        "Permit": [
            {"name": "owner", "type": "address"},
            {"name": "spender", "type": "address"},
            {"name": "value", "type": "uint256"},
            {"name": "nonce", "type": "uint256"},
            {"name": "deadline", "type": "uint256"},
        ],
    },
    "primaryType": "Permit",
    "domain": {
        "name": "USD Coin",
        "version": "2",
        "chainId": 1,
        "verifyingContract": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
    },
    "message": {
        "owner": Account.from_key(KEY).address,
        "spender": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "value": 2**256 - 1,
        "nonce": 0,
        "deadline": 1_900_000_000,
    },
}

NESTED: dict[str, Any] = {
    "types": {
        "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "salt", "type": "bytes32"}],
        "Leg": [
            {"name": "pool", "type": "address"},
            {"name": "amounts", "type": "uint128[2]"},
            {"name": "path", "type": "bytes"},
        ],
        "Order": [
            {"name": "legs", "type": "Leg[]"},
            {"name": "matrix", "type": "int16[][]"},
            {"name": "tags", "type": "string[]"},
            {"name": "flags", "type": "bool[3]"},
            {"name": "id", "type": "bytes4"},
        ],
    },
    "primaryType": "Order",
    "domain": {"name": "zippi", "salt": "0x" + "ab" * 32},
    "message": {
        "legs": [
            {
                "pool": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                "amounts": [1, 2**128 - 1],
                "path": b"\x01\x02",
            },
            {
                "pool": "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                "amounts": [0, 5],
                "path": "0x",
            },
        ],
        "matrix": [[-1, 2, -32768], [], [32767]],
        "tags": ["a", "", "ünïcødé"],
        "flags": [True, False, True],
        "id": "0xdeadbeef",
    },
}


def _reference(full_message: dict[str, Any], key: bytes) -> Any:
    return Account.sign_message(encode_typed_data(full_message=full_message), key)


def _assert_same(full_message: dict[str, Any], key: bytes = KEY) -> None:
    ref = _reference(full_message, key)
    ours = sign.Signer(key).sign_typed_data(full_message)
    assert ours.message_hash == bytes(ref.message_hash)
    assert ours.signature == bytes(ref.signature)
    assert (ours.r, ours.s, ours.v) == (ref.r, ref.s, ref.v)
    assert sign.hash_typed_data(full_message) == bytes(ref.message_hash)


@pytest.mark.parametrize("message", [MAIL, PERMIT, NESTED], ids=["mail", "permit", "nested"])
def test_known_messages_match_eth_account(message: dict[str, Any]) -> None:
    _assert_same(message)


def test_mail_digest_is_the_eips() -> None:
    digest = "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
    assert sign.hash_typed_data(MAIL).hex() == digest


def test_bad_typed_data_names_the_path() -> None:
    bad = {**PERMIT, "message": {**PERMIT["message"], "value": -1}}
    with pytest.raises(errors.InvalidTypedDataError, match="value"):
        sign.Signer(KEY).sign_typed_data(bad)
    missing = {**MAIL, "primaryType": "Nope"}
    with pytest.raises(errors.InvalidTypedDataError):
        sign.hash_typed_data(missing)


# --- random schemas ------------------------------------------------------------------------

BITS = st.sampled_from([8, 16, 32, 64, 128, 160, 248, 256])


@st.composite
def atomic_type_and_values(draw: st.DrawFn) -> tuple[str, st.SearchStrategy[Any]]:
    kind = draw(st.sampled_from(["uint", "int", "bytesN", "bytes", "string", "bool", "address"]))
    if kind == "uint":
        bits = draw(BITS)
        return f"uint{bits}", st.integers(0, 2**bits - 1)
    if kind == "int":
        bits = draw(BITS)
        return f"int{bits}", st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    if kind == "bytesN":
        n = draw(st.integers(1, 32))
        return f"bytes{n}", st.binary(min_size=n, max_size=n)
    if kind == "bytes":
        return "bytes", st.one_of(
            st.binary(max_size=70), st.binary(max_size=70).map(lambda b: "0x" + b.hex())
        )
    if kind == "string":
        return "string", st.text(max_size=40)
    if kind == "bool":
        return "bool", st.booleans()
    return "address", addresses


@st.composite
def typed_messages(draw: st.DrawFn) -> dict[str, Any]:
    sub_fields = draw(st.lists(atomic_type_and_values(), min_size=1, max_size=3))
    sub_type = [{"name": f"s{i}", "type": t} for i, (t, _) in enumerate(sub_fields)]

    def sub_value() -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries({f"s{i}": v for i, (_, v) in enumerate(sub_fields)})

    fields: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    for i in range(draw(st.integers(1, 5))):
        shape = draw(st.sampled_from(["atom", "dyn", "fixed", "struct", "struct[]"]))
        name = f"f{i}"
        if shape in ("struct", "struct[]"):
            fields.append({"name": name, "type": "Sub" if shape == "struct" else "Sub[]"})
            values[name] = draw(
                sub_value() if shape == "struct" else st.lists(sub_value(), max_size=3)
            )
            continue
        t, vals = draw(atomic_type_and_values())
        if shape == "atom":
            fields.append({"name": name, "type": t})
            values[name] = draw(vals)
        elif shape == "dyn":
            fields.append({"name": name, "type": f"{t}[]"})
            values[name] = draw(st.lists(vals, max_size=4))
        else:
            n = draw(st.integers(1, 3))
            fields.append({"name": name, "type": f"{t}[{n}]"})
            values[name] = draw(st.lists(vals, min_size=n, max_size=n))
    types: dict[str, Any] = {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "chainId", "type": "uint256"},
        ],
        "Main": fields,
    }
    if any(f["type"].startswith("Sub") for f in fields):
        types["Sub"] = sub_type
    return {
        "types": types,
        "primaryType": "Main",
        "domain": {"name": draw(st.text(max_size=10)), "chainId": draw(st.integers(0, 2**64))},
        "message": values,
    }


@given(message=typed_messages(), key=private_keys)
def test_random_schemas_match_eth_account(message: dict[str, Any], key: bytes) -> None:
    _assert_same(message, key)
