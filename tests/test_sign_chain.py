"""Transactions signed by the kernel are accepted by an EVM (py-evm, in process) and mined."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import EthereumTesterProvider, Web3

from zippifi import sign

KEY = "0x" + "5a" * 32


@pytest.fixture
def w3() -> Web3:
    return Web3(EthereumTesterProvider())


def _fund(w3: Web3, address: str, wei: int) -> None:
    rich = w3.eth.accounts[0]
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": rich, "to": address, "value": wei})
    )


def test_batch_of_mixed_types_is_mined(w3: Web3) -> None:
    signer = sign.Signer(KEY)
    _fund(w3, signer.address, 10**20)
    chain_id = w3.eth.chain_id
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    recipient = sign.Signer("0x" + "77" * 32).address
    txs: list[dict[str, Any]] = []
    for nonce in range(30):
        common: dict[str, Any] = {"nonce": nonce, "gas": 21000, "to": recipient, "value": nonce + 1}
        kind = nonce % 3
        if kind == 0:
            txs.append(
                {
                    **common,
                    "type": 2,
                    "chainId": chain_id,
                    "maxFeePerGas": 4 * base_fee,
                    "maxPriorityFeePerGas": 10**9,
                }
            )
        elif kind == 1:
            txs.append(
                {
                    **common,
                    "type": 1,
                    "chainId": chain_id,
                    "gasPrice": 4 * base_fee,
                    "accessList": [{"address": recipient, "storageKeys": [0, "0x01"]}],
                    "gas": 30000,
                }
            )
        else:
            txs.append({**common, "chainId": chain_id, "gasPrice": hex(4 * base_fee)})
    signed = signer.sign_transactions(txs)
    hashes = [w3.eth.send_raw_transaction(s.raw_transaction) for s in signed]
    for s, h in zip(signed, hashes, strict=True):
        assert bytes(h) == s.hash
        receipt = w3.eth.wait_for_transaction_receipt(h)
        assert receipt["status"] == 1
        assert receipt["from"] == signer.address
    assert w3.eth.get_balance(recipient) == sum(range(1, 31))
    assert w3.eth.get_transaction_count(signer.address) == 30


def test_contract_creation_is_mined(w3: Web3) -> None:
    signer = sign.Signer(KEY)
    _fund(w3, signer.address, 10**20)
    # init code that returns the 1-byte runtime 0x00 (STOP)
    init = "0x600160" + "0c" + "600039600160" + "00f3" + "00"
    signed = signer.sign_transaction(
        {
            "type": 2,
            "chainId": w3.eth.chain_id,
            "nonce": 0,
            "gas": 100_000,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9,
            "data": init,
        }
    )
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction)
    )
    assert receipt["status"] == 1
    assert receipt["contractAddress"] is not None
    assert w3.eth.get_code(receipt["contractAddress"]) == b"\x00"
