"""Storage: one schema on SQLite (embedded) or PostgreSQL (production), migrations, repositories;
and beside the database, the latest-price cache, task queue and locks (Redis, or in-process).

Uses nothing of ZippiFi's but :mod:`zippifi.errors`, :mod:`zippifi.settings` and
:mod:`zippifi.crashpoints`.

    store = await open_store_from_settings(settings)       # migrates, then connects
    async with store.transaction() as tx:                  # writes that belong together
        intent, _ = await tx.intents.create(idempotency_key=..., ...)
        await tx.audit.append("trading", actor="agent", action="intent", payload={...})

    infra = await open_infra(settings.store)               # Redis, or in-process
    async with infra.locks.hold(nonce_lock_name(1, account)) as lease:
        nonce = await store.nonces.reserve(1, account, fence=lease.token)
"""

from __future__ import annotations

from zippifi.store.cache import CachedPrice, MemoryPriceCache, PriceCache, RedisPriceCache
from zippifi.store.engine import (
    create_engine,
    current_revision,
    database_url,
    downgrade,
    migrate,
    normalize_url,
    safe_url,
)
from zippifi.store.errors import (
    AmountOutOfRangeError,
    ConflictError,
    InvalidTransitionError,
    LedgerImbalanceError,
    LockLostError,
    LockNotAcquiredError,
    NotFoundError,
    ReorgDetectedError,
    StaleFencingTokenError,
    StoreError,
)
from zippifi.store.infra import Infra, MemoryInfra, RedisInfra, open_infra
from zippifi.store.locks import (
    Lease,
    LockManager,
    MemoryLockManager,
    RedisLockManager,
    nonce_lock_name,
)
from zippifi.store.queue import MemoryTaskQueue, RedisTaskQueue, Task, TaskQueue, run_worker
from zippifi.store.repositories import (
    Account,
    AuditRecord,
    AuditVerification,
    BlockRef,
    Candle,
    ChainTransaction,
    Cursor,
    CursorRepository,
    Fill,
    IntentMove,
    LedgerEntry,
    MarketRepository,
    NonceReconciliation,
    NonceRecord,
    NonceRepository,
    Order,
    OrderLeg,
    PoolSnapshot,
    Posting,
    RiskDecisionRecord,
    SignedTxJournal,
    Strategy,
    Tick,
    TradeIntent,
)
from zippifi.store.store import Store, UnitOfWork, open_store, open_store_from_settings
from zippifi.store.types import U256_MAX

__all__ = [
    "U256_MAX",
    "Account",
    "AmountOutOfRangeError",
    "AuditRecord",
    "AuditVerification",
    "BlockRef",
    "CachedPrice",
    "Candle",
    "ChainTransaction",
    "ConflictError",
    "Cursor",
    "CursorRepository",
    "Fill",
    "Infra",
    "IntentMove",
    "InvalidTransitionError",
    "Lease",
    "LedgerEntry",
    "LedgerImbalanceError",
    "LockLostError",
    "LockManager",
    "LockNotAcquiredError",
    "MarketRepository",
    "MemoryInfra",
    "MemoryLockManager",
    "MemoryPriceCache",
    "MemoryTaskQueue",
    "NonceReconciliation",
    "NonceRecord",
    "NonceRepository",
    "NotFoundError",
    "Order",
    "OrderLeg",
    "PoolSnapshot",
    "Posting",
    "PriceCache",
    "RedisInfra",
    "RedisLockManager",
    "RedisPriceCache",
    "RedisTaskQueue",
    "ReorgDetectedError",
    "RiskDecisionRecord",
    "SignedTxJournal",
    "StaleFencingTokenError",
    "Store",
    "StoreError",
    "Strategy",
    "Task",
    "TaskQueue",
    "Tick",
    "TradeIntent",
    "UnitOfWork",
    "create_engine",
    "current_revision",
    "database_url",
    "downgrade",
    "migrate",
    "nonce_lock_name",
    "normalize_url",
    "open_infra",
    "open_store",
    "open_store_from_settings",
    "run_worker",
    "safe_url",
]
