"""Deploying and driving our contracts through a :class:`~zippifi.chain.Submitter`, so every
deployment is simulated, signed, recorded and followed like any other transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zippifi.chain.abi import deploy_data, encode_call
from zippifi.chain.artifacts import Artifact, load
from zippifi.chain.receipts import ReceiptTracker, TxStatus
from zippifi.chain.submit import SentTx, Submitter, TxRequest
from zippifi.chain.types import Receipt
from zippifi.errors import TxRevertedError


async def _receipt_of(submitter: Submitter, sent: SentTx, timeout_s: float = 120.0) -> Receipt:
    """The receipt of ``sent`` once it is mined (no confirmations awaited); TxRevertedError if
    it reverted or never made it."""
    tracker = ReceiptTracker(submitter.adapter, confirmations=0)
    event = await tracker.wait(sent.tx_hash, timeout_s=timeout_s)
    receipt = event.receipt
    if receipt is not None:  # the record of what was signed learns its fate
        await submitter.nonces.journal.mark_mined(
            submitter.adapter.chain_id, "0x" + sent.tx_hash.hex(), success=receipt.status == 1,
            block_number=receipt.block_number, block_hash="0x" + receipt.block_hash.hex(),
            gas_used=receipt.gas_used, effective_gas_price=receipt.effective_gas_price or 0,
        )  # fmt: skip
    if event.status is not TxStatus.CONFIRMED or receipt is None:
        raise TxRevertedError(f"transaction 0x{sent.tx_hash.hex()} ended {event.status.value}")
    return receipt


async def deploy(submitter: Submitter, contract: str | Artifact, *args: Any) -> str:
    """Deploy ``contract`` (an artifact or its name) with constructor ``args``; its address."""
    artifact = load(contract) if isinstance(contract, str) else contract
    sent = await submitter.submit(TxRequest(to=None, data=deploy_data(artifact, *args)))
    receipt = await _receipt_of(submitter, sent)
    if receipt.contract_address is None:
        raise TxRevertedError(f"deploying {artifact.name} created no contract")
    return receipt.contract_address


async def deploy_code(submitter: Submitter, initcode: bytes) -> str:
    """Deploy raw creation code (e.g. :func:`~zippifi.chain.vault.proxy_initcode`); its address."""
    sent = await submitter.submit(TxRequest(to=None, data=initcode))
    receipt = await _receipt_of(submitter, sent)
    if receipt.contract_address is None:
        raise TxRevertedError("the deployment created no contract")
    return receipt.contract_address


async def transact(
    submitter: Submitter, address: str, contract: str | Artifact, function: str, *args: Any
) -> SentTx:
    """Send ``contract.function(*args)`` to ``address`` and wait for its successful receipt."""
    artifact = load(contract) if isinstance(contract, str) else contract
    sent = await submitter.submit(
        TxRequest(to=address, data=encode_call(artifact, function, *args))
    )
    await _receipt_of(submitter, sent)
    return sent


async def transact_many(
    submitter: Submitter, calls: Sequence[tuple[str, str | Artifact, str, tuple[Any, ...]]],
    *, gas: int = 1_000_000,
) -> list[SentTx]:  # fmt: skip
    """Send calls that depend on each other (each simulated against the state the earlier ones
    leave cannot be done before they are mined) as one batch in nonce order, with a fixed gas
    limit and no simulation; every one must succeed."""
    requests = []
    for address, contract, function, args in calls:
        artifact = load(contract) if isinstance(contract, str) else contract
        data = encode_call(artifact, function, *args)
        requests.append(TxRequest(to=address, data=data, gas=gas, simulate=False))
    sent = await submitter.submit_many(requests)
    for s in sent:
        if s.error is not None:
            raise s.error
        await _receipt_of(submitter, s)
    return sent
