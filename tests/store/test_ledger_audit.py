"""The double-entry ledger and the tamper-evident audit log, on both engines."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlalchemy import text

from zippifi.errors import InvalidInputError
from zippifi.store import ConflictError, LedgerImbalanceError, Posting, Store

from .factories import MAX


async def test_balances_per_book_and_asset(store: Store) -> None:
    await store.ledger.post(
        "swap-1",
        [
            Posting("vault", "WETH", -(10**18)),
            Posting("pool", "WETH", 10**18),
            Posting("pool", "USDC", -3000 * 10**6),
            Posting("vault", "USDC", 3000 * 10**6),
        ],
        memo="swap",
    )
    await store.ledger.post(
        "fee-1", [Posting("vault", "USDC", -(10**6)), Posting("fees", "USDC", 10**6)]
    )
    assert await store.ledger.balances("vault") == {"WETH": -(10**18), "USDC": 2999 * 10**6}
    assert await store.ledger.balance("fees", "USDC") == 10**6
    assert await store.ledger.balance("fees", "WETH") == 0
    entries = await store.ledger.entries("vault", "USDC")
    assert [(e.journal_id, e.amount) for e in entries] == [
        ("swap-1", 3000 * 10**6),
        ("fee-1", -(10**6)),
    ]


async def test_journals_must_balance_per_asset(store: Store) -> None:
    with pytest.raises(LedgerImbalanceError, match=r"USDC: -1.*WETH: \+1"):
        await store.ledger.post("bad", [Posting("a", "WETH", 1), Posting("b", "USDC", -1)])
    with pytest.raises(LedgerImbalanceError, match="two postings"):
        await store.ledger.post("bad", [Posting("a", "WETH", 0)])
    with pytest.raises(InvalidInputError, match="amount"):
        await store.ledger.post("bad", [Posting("a", "W", 2**256), Posting("b", "W", -(2**256))])
    assert await store.ledger.journal("bad") == []


async def test_posting_again_is_idempotent(store: Store) -> None:
    lines = [Posting("a", "W", MAX), Posting("b", "W", -MAX)]
    first = await store.ledger.post("j", lines)
    assert await store.ledger.post("j", lines) == first
    with pytest.raises(ConflictError, match="other postings"):
        await store.ledger.post("j", [Posting("a", "W", 1), Posting("b", "W", -1)])
    assert await store.ledger.balance("a", "W") == MAX


async def _fill_log(store: Store, n: int = 5) -> None:
    for i in range(n):
        await store.audit.append(
            "risk", actor="risk-engine", action="approve", subject=f"intent:{i}",
            payload={"i": i, "amount": str(MAX), "note": "ünïcode"},
        )  # fmt: skip


async def test_audit_chain_verifies(store: Store) -> None:
    await _fill_log(store)
    await store.audit.append("other", actor="x", action="y")
    report = await store.audit.verify("risk")
    assert (report.ok, report.checked, report.first_bad_seq) == (True, 5, None)
    records = await store.audit.records("risk")
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    assert records[2].data() == {"amount": str(MAX), "i": 2, "note": "ünïcode"}
    head = await store.audit.head("risk")
    assert head is not None
    assert head.seq == 5
    assert (await store.audit.verify("empty")).ok


@pytest.mark.parametrize(
    ("edit", "bad_seq", "reason"),
    [
        (
            "UPDATE audit_log SET payload = '{\"i\":99}' WHERE stream = 'risk' AND seq = 3",
            3,
            "content",
        ),
        ("UPDATE audit_log SET actor = 'mallory' WHERE stream = 'risk' AND seq = 1", 1, "content"),
        ("DELETE FROM audit_log WHERE stream = 'risk' AND seq = 2", 3, "gap"),
        ("UPDATE audit_log SET ts = ts WHERE stream = 'risk'", None, None),  # a no-op stays ok
    ],
)
async def test_audit_detects_edits(
    store: Store, edit: str, bad_seq: int | None, reason: str | None
) -> None:
    await _fill_log(store)
    async with store.engine.begin() as conn:
        await conn.exec_driver_sql(edit)
    report = await store.audit.verify("risk")
    assert report.first_bad_seq == bad_seq
    assert report.ok is (bad_seq is None)
    if reason is not None:
        assert reason in (report.reason or "")


async def test_audit_detects_a_rehashed_edit(store: Store) -> None:
    """An attacker who edits a record and recomputes its own hash still breaks the next link."""
    from zippifi.store.repositories.audit import record_hash

    await _fill_log(store)
    rec = (await store.audit.records("risk"))[1]
    forged = '{"i":1,"amount":"0"}'
    new_hash = record_hash(
        rec.stream, rec.seq, rec.ts, rec.actor, rec.action, rec.subject, forged, rec.prev_hash
    )
    async with store.engine.begin() as conn:
        await conn.execute(
            text("UPDATE audit_log SET payload = :p, hash = :h WHERE id = :id"),
            {"p": forged, "h": new_hash, "id": rec.id},
        )
    report = await store.audit.verify("risk")
    assert (report.ok, report.first_bad_seq) == (False, 3)
    assert "prev_hash" in (report.reason or "")


async def test_concurrent_appends_keep_one_gapless_chain(store: Store) -> None:
    await asyncio.gather(
        *(store.audit.append("busy", actor=f"w{i}", action="tick") for i in range(20))
    )
    report = await store.audit.verify("busy")
    assert (report.ok, report.checked) == (True, 20)


async def test_audit_payload_must_be_json(store: Store) -> None:
    with pytest.raises(InvalidInputError, match="JSON"):
        await store.audit.append("s", actor="a", action="b", payload={"x": object()})
    with pytest.raises(InvalidInputError, match="JSON"):
        await store.audit.append("s", actor="a", action="b", payload={"x": float("nan")})
