"""The kernel against eth-account, byte for byte, over random transactions and keys."""

from __future__ import annotations

import copy
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.generators import private_keys, transactions
from zippifi import sign


def _reference(tx: dict[str, Any], key: bytes) -> Any:
    # eth-account may normalise the dict in place; give it its own copy.
    return Account.sign_transaction(copy.deepcopy(tx), key)


def _assert_same(ours: sign.SignedTransaction, ref: Any) -> None:
    assert ours.raw_transaction == bytes(ref.raw_transaction)
    assert ours.hash == bytes(ref.hash)
    assert (ours.r, ours.s, ours.v) == (ref.r, ref.s, ref.v)


@settings(max_examples=2000)
@given(tx=transactions(), key=private_keys)
def test_single_transaction_matches_eth_account(tx: dict[str, Any], key: bytes) -> None:
    ours = sign.Signer(key).sign_transaction(tx)
    _assert_same(ours, _reference(tx, key))
    assert sign.recover_transaction(ours.raw_transaction) == Account.from_key(key).address


@given(txs=st.lists(transactions(), min_size=1, max_size=12), key=private_keys)
def test_batch_matches_eth_account_in_order(txs: list[dict[str, Any]], key: bytes) -> None:
    signer = sign.Signer(key)
    batch = signer.sign_transactions(txs)
    assert len(batch) == len(txs)
    for ours, tx in zip(batch, txs, strict=True):
        _assert_same(ours, _reference(tx, key))


@given(pairs=st.lists(st.tuples(private_keys, transactions()), min_size=1, max_size=10))
def test_one_key_per_transaction_matches_eth_account(
    pairs: list[tuple[bytes, dict[str, Any]]],
) -> None:
    keys = [k if i % 2 else "0x" + k.hex() for i, (k, _) in enumerate(pairs)]
    batch = sign.sign_transactions(keys, [tx for _, tx in pairs])
    for ours, (key, tx) in zip(batch, pairs, strict=True):
        _assert_same(ours, _reference(tx, key))


@given(key=private_keys, message=st.one_of(st.binary(max_size=300), st.text(max_size=200)))
def test_personal_message_matches_eth_account(key: bytes, message: bytes | str) -> None:
    ours = sign.Signer(key).sign_message(message)
    signable = (
        encode_defunct(primitive=message)
        if isinstance(message, bytes)
        else encode_defunct(text=message)
    )
    ref = Account.sign_message(signable, key)
    assert ours.signature == bytes(ref.signature)
    assert ours.message_hash == bytes(ref.message_hash)
    assert (ours.r, ours.s, ours.v) == (ref.r, ref.s, ref.v)
    assert sign.recover_message(message, ours.signature) == Account.from_key(key).address


@given(tx=transactions(), key=private_keys)
def test_from_field_equal_to_signer_is_accepted(tx: dict[str, Any], key: bytes) -> None:
    signer = sign.Signer(key)
    with_from = dict(tx, **{"from": signer.address})
    assert signer.sign_transaction(with_from) == signer.sign_transaction(tx)
