"""The chain layer: talking to EVM chains (reads, sends, receipts, logs) on behalf of the
layers above. Uses zippifi.store (nonces, cursors, locks) and zippifi.sign (batch signing).

    registry = ChainRegistry.from_settings(load_settings())
    adapter = await registry.adapter()                       # the default chain, connected
    async with NonceManager(adapter, store.nonces, infra.locks, signer.address) as nonces:
        submitter = Submitter(adapter, signer, nonces)
        sent = await submitter.submit_many([TxRequest(to=..., value=...), ...])
"""

from __future__ import annotations

from zippifi.chain.adapter import BlockId, ChainAdapter, EvmAdapter
from zippifi.chain.backoff import Backoff, retry
from zippifi.chain.gas import (
    Eip1559Fees,
    FeeCeiling,
    Fees,
    GasOracle,
    LegacyFees,
    Urgency,
    bump,
    is_valid_replacement,
    next_base_fee,
    suggest_eip1559,
    suggest_legacy,
    with_margin,
)
from zippifi.chain.nonces import NonceManager
from zippifi.chain.registry import EMBEDDED_CHAIN_ID, ChainConfig, ChainRegistry
from zippifi.chain.rpc_errors import decode_revert
from zippifi.chain.submit import Recovery, SentTx, Submitter, TxRequest
from zippifi.chain.types import Block, FeeHistory, LogRecord, Receipt, TxInfo

__all__ = [
    "EMBEDDED_CHAIN_ID",
    "Backoff",
    "Block",
    "BlockId",
    "ChainAdapter",
    "ChainConfig",
    "ChainRegistry",
    "Eip1559Fees",
    "EvmAdapter",
    "FeeCeiling",
    "FeeHistory",
    "Fees",
    "GasOracle",
    "LegacyFees",
    "LogRecord",
    "NonceManager",
    "Receipt",
    "Recovery",
    "SentTx",
    "Submitter",
    "TxInfo",
    "TxRequest",
    "Urgency",
    "bump",
    "decode_revert",
    "is_valid_replacement",
    "next_base_fee",
    "retry",
    "suggest_eip1559",
    "suggest_legacy",
    "with_margin",
]
