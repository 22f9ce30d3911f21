"""The chain layer: talking to EVM chains (reads, sends, receipts, logs) on behalf of the
layers above. Uses zippifi.store (nonces, cursors, locks) and zippifi.sign (batch signing).

    registry = ChainRegistry.from_settings(load_settings())
    adapter = await registry.adapter()                       # the default chain, connected
    async with NonceManager(adapter, store.nonces, infra.locks, signer.address) as nonces:
        submitter = Submitter(adapter, signer, nonces)
        sent = await submitter.submit_many([TxRequest(to=..., value=...), ...])

This front re-exports the public names of every module of the package: callers outside it
import from ``zippifi.chain``, modules inside it import their siblings directly. The compiled
contracts are the subpackage :mod:`zippifi.chain.artifacts`, a front of its own
(``from zippifi.chain.artifacts import load``): its ``load`` and ``names`` only read well
qualified.
"""

from __future__ import annotations

from zippifi.chain.abi import (
    DecodedEvent,
    call_view,
    decode_call,
    decode_event,
    decode_output,
    deploy_data,
    encode_call,
    event_topic,
)
from zippifi.chain.adapter import BlockId, ChainAdapter, Endpoint, EvmAdapter, rpc_tx
from zippifi.chain.backoff import Backoff, retry
from zippifi.chain.deploy import deploy, deploy_code, transact, transact_many
from zippifi.chain.executor import (
    EXECUTOR,
    MAX_AMOUNT,
    ExecutorLeg,
    ExecutorPath,
    ExecutorPlan,
    LegKind,
    PoolRef,
    decode_route,
    plan_route,
)
from zippifi.chain.gas import (
    REPLACEMENT_BUMP_PERCENT,
    URGENCY_PERCENTILE,
    Eip1559Fees,
    FeeCeiling,
    Fees,
    GasOracle,
    LegacyFees,
    Urgency,
    apply_ceiling,
    bump,
    ceil_percent,
    fees_of,
    is_valid_replacement,
    next_base_fee,
    priority_fee_from_history,
    suggest_eip1559,
    suggest_legacy,
    with_margin,
)
from zippifi.chain.heads import WS_PINGS, HeadSource, HeadWatcher, websocket_web3
from zippifi.chain.logs import REMEMBER_BLOCKS, LogBatch, LogFollower
from zippifi.chain.nonces import NonceManager
from zippifi.chain.receipts import ReceiptTracker, TxStatus, TxStatusEvent
from zippifi.chain.registry import EMBEDDED_CHAIN_ID, ChainConfig, ChainRegistry
from zippifi.chain.rpc_errors import SendOutcome, classify, decode_revert, send_outcome
from zippifi.chain.submit import LostPolicy, Recovery, SentTx, Submitter, TxRequest
from zippifi.chain.types import Block, FeeHistory, LogRecord, Receipt, TxInfo
from zippifi.chain.vault import (
    DEFAULT_UPGRADE_DELAY,
    IMPLEMENTATION,
    PARAM_TYPES,
    PROXY,
    ActionKind,
    VaultAction,
    VaultDeployment,
    VaultSwap,
    action,
    deploy_vault,
    implementation_initcode,
    initialize_calldata,
    proxy_initcode,
    sign_action,
    swap_batch_calldata,
    swap_exact_in_calldata,
    typed_data,
    v2_swap_calldata,
    v3_swap_calldata,
)

__all__ = [
    "DEFAULT_UPGRADE_DELAY",
    "EMBEDDED_CHAIN_ID",
    "EXECUTOR",
    "IMPLEMENTATION",
    "MAX_AMOUNT",
    "PARAM_TYPES",
    "PROXY",
    "REMEMBER_BLOCKS",
    "REPLACEMENT_BUMP_PERCENT",
    "URGENCY_PERCENTILE",
    "WS_PINGS",
    "ActionKind",
    "Backoff",
    "Block",
    "BlockId",
    "ChainAdapter",
    "ChainConfig",
    "ChainRegistry",
    "DecodedEvent",
    "Eip1559Fees",
    "Endpoint",
    "EvmAdapter",
    "ExecutorLeg",
    "ExecutorPath",
    "ExecutorPlan",
    "FeeCeiling",
    "FeeHistory",
    "Fees",
    "GasOracle",
    "HeadSource",
    "HeadWatcher",
    "LegKind",
    "LegacyFees",
    "LogBatch",
    "LogFollower",
    "LogRecord",
    "LostPolicy",
    "NonceManager",
    "PoolRef",
    "Receipt",
    "ReceiptTracker",
    "Recovery",
    "SendOutcome",
    "SentTx",
    "Submitter",
    "TxInfo",
    "TxRequest",
    "TxStatus",
    "TxStatusEvent",
    "Urgency",
    "VaultAction",
    "VaultDeployment",
    "VaultSwap",
    "action",
    "apply_ceiling",
    "bump",
    "call_view",
    "ceil_percent",
    "classify",
    "decode_call",
    "decode_event",
    "decode_output",
    "decode_revert",
    "decode_route",
    "deploy",
    "deploy_code",
    "deploy_data",
    "deploy_vault",
    "encode_call",
    "event_topic",
    "fees_of",
    "implementation_initcode",
    "initialize_calldata",
    "is_valid_replacement",
    "next_base_fee",
    "plan_route",
    "priority_fee_from_history",
    "proxy_initcode",
    "retry",
    "rpc_tx",
    "send_outcome",
    "sign_action",
    "suggest_eip1559",
    "suggest_legacy",
    "swap_batch_calldata",
    "swap_exact_in_calldata",
    "transact",
    "transact_many",
    "typed_data",
    "v2_swap_calldata",
    "v3_swap_calldata",
    "websocket_web3",
    "with_margin",
]
