"""Risk decisions as the gate made them: kept for the audit trail, for the API, and so a
restarted gate knows what its rolling windows already hold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select

from zippifi.errors import InvalidInputError
from zippifi.store.repositories._base import Repository
from zippifi.store.schema import risk_decisions
from zippifi.store.types import check_u256


@dataclass(frozen=True, slots=True)
class RiskDecisionRecord:
    intent_id: int
    account_id: int
    proposer: str
    stage: str
    verdict: str
    rule: str
    reasons: tuple[str, ...]
    numbers: Mapping[str, str]
    inputs: Mapping[str, str]
    amount_in: int
    notional: int
    at: datetime
    id: int | None = None


def _record(row: Row[Any]) -> RiskDecisionRecord:
    m = row._mapping
    return RiskDecisionRecord(
        intent_id=m["intent_id"], account_id=m["account_id"], proposer=m["proposer"],
        stage=m["stage"], verdict=m["verdict"], rule=m["rule"], reasons=tuple(m["reasons"]),
        numbers=dict(m["numbers"]), inputs=dict(m["inputs"]), amount_in=m["amount_in"],
        notional=m["notional"], at=m["at"], id=m["id"],
    )  # fmt: skip


class RiskDecisionRepository(Repository):
    async def add(self, decision: RiskDecisionRecord) -> RiskDecisionRecord:
        if decision.verdict not in ("approve", "resize", "reject"):
            raise InvalidInputError(f"verdict must be approve, resize or reject, "
                                    f"got {decision.verdict!r}")  # fmt: skip
        values = {
            "intent_id": decision.intent_id, "account_id": decision.account_id,
            "proposer": decision.proposer, "stage": decision.stage,
            "verdict": decision.verdict, "rule": decision.rule,
            "reasons": list(decision.reasons), "numbers": dict(decision.numbers),
            "inputs": dict(decision.inputs),
            "amount_in": check_u256(decision.amount_in, "amount_in"),
            "notional": check_u256(decision.notional, "notional"), "at": decision.at,
        }  # fmt: skip
        async with self._scope.begin() as conn:
            row = (await conn.execute(insert(risk_decisions).values(**values)
                                      .returning(*risk_decisions.c))).one()  # fmt: skip
        return _record(row)

    async def for_intent(self, intent_id: int) -> list[RiskDecisionRecord]:
        query = (select(risk_decisions).where(risk_decisions.c.intent_id == intent_id)
                 .order_by(risk_decisions.c.id))  # fmt: skip
        async with self._scope.begin() as conn:
            return [_record(r) for r in await conn.execute(query)]

    async def since(self, at: datetime, account_id: int | None = None) -> list[RiskDecisionRecord]:
        """Decisions made at or after ``at`` (of one account, or all), oldest first."""
        query = select(risk_decisions).where(risk_decisions.c.at >= at)
        if account_id is not None:
            query = query.where(risk_decisions.c.account_id == account_id)
        async with self._scope.begin() as conn:
            rows = await conn.execute(query.order_by(risk_decisions.c.at, risk_decisions.c.id))
            return [_record(r) for r in rows]
