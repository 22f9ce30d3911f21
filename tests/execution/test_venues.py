"""The live venue's handling of what the submitter reports, with a submitter double that
records what it was asked: a send error fails the plans it carried; a lost nonce lease does
not (the account's new owner may still send what was recorded), it propagates; and plans are
folded into swapBatch transactions, at most ``swaps_per_tx`` each, one request per group."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from eth_abi import encode

from zippifi.chain import SentTx, TxRequest
from zippifi.domain import SignedTx, UnsignedTx
from zippifi.errors import (
    InvalidInputError,
    LeaseLostError,
    PreSignRefusedError,
    RpcError,
    TxRevertedError,
)
from zippifi.execution import LiveVenue, SwapPlan, batch_calldata

VAULT = "0x" + "5a" * 20
TARGET = "0x" + "7e" * 20
TOKENS = ["0x" + f"{n:02x}" * 20 for n in range(1, 9)]


def plan(n: int) -> SwapPlan:
    return SwapPlan(intent_id=n, chain_id=1, vault=VAULT, target=TARGET, token_in=TOKENS[n % 8],
                    token_out=TOKENS[(n + 1) % 8], amount_in=10**18 + n, quoted_out=10**6,
                    min_out=9 * 10**5, oracle_bound=8 * 10**5, deadline=2_000_000_000 - n,
                    target_calldata=bytes([n]), vault_calldata=b"single" + bytes([n]),
                    pools=(f"pool{n}",), gas_estimate=200_000)  # fmt: skip


class Adapter:
    def __init__(self, reverts: bool) -> None:
        self.reverts = reverts
        self.calls: list[dict[str, Any]] = []

    async def call(self, call: dict[str, Any], block: str) -> bytes:
        self.calls.append(call)
        if self.reverts:
            raise TxRevertedError("execution reverted")
        return encode(["uint256[]"], [[1, 2, 3]])  # swapBatch's answer (not read)


class Submitter:
    account = "0x" + "ab" * 20

    def __init__(self, failure: Exception | None = None, reverts: bool = False,
                 refuse: int | None = None) -> None:  # fmt: skip
        self.failure = failure
        self.refuse = refuse
        self.adapter = Adapter(reverts)
        self.requests: list[TxRequest] = []

    async def submit_many(self, requests: Sequence[TxRequest], *, on_signed: Any) -> list[SentTx]:
        if self.failure is not None:
            raise self.failure
        if any(self.refuse in r.intent_ids for r in requests):  # refused whole: nothing signed
            raise PreSignRefusedError(f"intent {self.refuse}'s swap is not allowed")
        self.requests.extend(requests)
        out = []
        for i, r in enumerate(requests):
            tx = UnsignedTx(chain_id=1, nonce=i, to=r.to, value=0, data=r.data, gas=r.gas or 0,
                            max_fee_per_gas=1, max_priority_fee_per_gas=1)  # fmt: skip
            out.append(SentTx(SignedTx(tx, self.account, bytes([i]) * 32, b"raw",
                                       intent_ids=r.intent_ids)))  # fmt: skip
        return out


async def test_a_lost_lease_propagates_and_fails_nothing() -> None:
    venue = LiveVenue(Submitter(LeaseLostError("lease lost")))  # type: ignore[arg-type]
    with pytest.raises(LeaseLostError):
        await venue.execute([plan(1)], urgency="normal", on_signed=None)


async def test_a_send_error_fails_the_plans() -> None:
    venue = LiveVenue(Submitter(RpcError("node down")))  # type: ignore[arg-type]
    outcomes = await venue.execute([plan(1), plan(2)], urgency="normal", on_signed=None)
    assert [(o.plan.intent_id, type(o.error)) for o in outcomes] == [(1, RpcError), (2, RpcError)]


async def test_plans_fold_into_batches_of_at_most_swaps_per_tx() -> None:
    sub = Submitter()
    venue = LiveVenue(sub, swaps_per_tx=3)  # type: ignore[arg-type]
    plans = [plan(n) for n in range(1, 8)]
    outcomes = await venue.execute(plans, urgency="normal", on_signed=None)
    assert [r.intent_ids for r in sub.requests] == [(1, 2, 3), (4, 5, 6), (7,)]
    assert sub.requests[0].data == batch_calldata(plans[:3])
    assert sub.requests[2].data == plans[6].vault_calldata  # alone: the plain swapExactIn
    assert [o.sent.signed.intents for o in outcomes if o.sent] == [
        (1, 2, 3), (1, 2, 3), (1, 2, 3), (4, 5, 6), (4, 5, 6), (4, 5, 6), (7,),
    ]  # fmt: skip
    # each batch's gas limit covers its swaps, the earliest deadline governs it
    assert sub.requests[0].gas == sum(p.gas_estimate for p in plans[:3]) * 130 // 100


async def test_a_batch_that_reverts_together_goes_out_as_single_swaps() -> None:
    sub = Submitter(reverts=True)
    venue = LiveVenue(sub, swaps_per_tx=8)  # type: ignore[arg-type]
    plans = [plan(n) for n in range(1, 4)]
    await venue.execute(plans, urgency="normal", on_signed=None)
    assert [r.intent_ids for r in sub.requests] == [(1,), (2,), (3,)]
    assert [r.data for r in sub.requests] == [p.vault_calldata for p in plans]


async def test_a_refused_swap_does_not_take_its_batch_down() -> None:
    sub = Submitter(refuse=2)
    venue = LiveVenue(sub, swaps_per_tx=8)  # type: ignore[arg-type]
    outcomes = await venue.execute([plan(1), plan(2), plan(3)], urgency="normal", on_signed=None)
    assert [r.intent_ids for r in sub.requests] == [(1,), (3,)]  # the others, alone
    assert [(o.plan.intent_id, o.sent is not None, type(o.error).__name__) for o in outcomes] == [
        (1, True, "NoneType"), (2, False, "PreSignRefusedError"), (3, True, "NoneType"),
    ]  # fmt: skip


def test_swaps_per_tx_must_be_positive() -> None:
    with pytest.raises(InvalidInputError, match="swaps_per_tx"):
        LiveVenue(Submitter(), swaps_per_tx=0)  # type: ignore[arg-type]
