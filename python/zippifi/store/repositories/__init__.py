"""Repositories, one per aggregate; each returns typed, frozen records (the trading nouns are
:mod:`zippifi.domain`'s, re-exported here)."""

from __future__ import annotations

from zippifi.domain import Account, ChainTransaction, Fill, Order, OrderLeg, Strategy, TradeIntent
from zippifi.store.repositories._base import Scope
from zippifi.store.repositories.accounts import AccountRepository
from zippifi.store.repositories.audit import AuditRecord, AuditRepository, AuditVerification
from zippifi.store.repositories.cursors import BlockRef, Cursor, CursorRepository
from zippifi.store.repositories.fills import FillRepository
from zippifi.store.repositories.intents import IntentMove, IntentRepository
from zippifi.store.repositories.journal import SignedTxJournal
from zippifi.store.repositories.ledger import LedgerEntry, LedgerRepository, Posting
from zippifi.store.repositories.market import Candle, MarketRepository, PoolSnapshot, Tick
from zippifi.store.repositories.nonces import NonceReconciliation, NonceRecord, NonceRepository
from zippifi.store.repositories.orders import OrderRepository
from zippifi.store.repositories.risk_decisions import RiskDecisionRecord, RiskDecisionRepository
from zippifi.store.repositories.strategies import StrategyRepository
from zippifi.store.repositories.transactions import TransactionRepository


class Repositories:
    """Every repository, bound to one scope (per-call transactions, or one open transaction)."""

    def __init__(self, scope: Scope) -> None:
        self.strategies = StrategyRepository(scope)
        self.accounts = AccountRepository(scope)
        self.intents = IntentRepository(scope)
        self.orders = OrderRepository(scope)
        self.transactions = TransactionRepository(scope)
        self.fills = FillRepository(scope)
        self.ledger = LedgerRepository(scope)
        self.audit = AuditRepository(scope)
        self.nonces = NonceRepository(scope)
        self.journal = SignedTxJournal(scope)
        self.cursors = CursorRepository(scope)
        self.market = MarketRepository(scope)
        self.risk_decisions = RiskDecisionRepository(scope)


__all__ = [
    "Account",
    "AccountRepository",
    "AuditRecord",
    "AuditRepository",
    "AuditVerification",
    "BlockRef",
    "Candle",
    "ChainTransaction",
    "Cursor",
    "CursorRepository",
    "Fill",
    "FillRepository",
    "IntentMove",
    "IntentRepository",
    "LedgerEntry",
    "LedgerRepository",
    "MarketRepository",
    "NonceReconciliation",
    "NonceRecord",
    "NonceRepository",
    "Order",
    "OrderLeg",
    "OrderRepository",
    "PoolSnapshot",
    "Posting",
    "Repositories",
    "RiskDecisionRecord",
    "RiskDecisionRepository",
    "Scope",
    "SignedTxJournal",
    "Strategy",
    "StrategyRepository",
    "Tick",
    "TradeIntent",
    "TransactionRepository",
]
