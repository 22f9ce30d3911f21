"""Intents from proposal to settled fill through the runtime on the embedded chain, against the
sandbox market (real ZippiVault, ZippiRouter pairs, price feeds): every fill equals the kernel's
exact quote for the state it ran on, each intent ends in exactly one terminal status, every
status change is on record, and what the vault or the market would refuse never reaches the
chain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from zippifi.domain import Fill, IntentProposal
from zippifi.errors import InvalidIntentError
from zippifi.execution import ExecutionEngine
from zippifi.runtime import Runtime
from zippifi.sandbox import Sandbox
from zippifi.store.types import utcnow

WETH, USDC, DAI = "WETH", "USDC", "DAI"


class Sink:
    def __init__(self) -> None:
        self.fills: list[Fill] = []

    async def on_fill(self, fill: Fill) -> None:
        self.fills.append(fill)


@asynccontextmanager
async def market(
    venue: str = "live",
) -> AsyncIterator[tuple[Runtime, Sandbox, ExecutionEngine, Sink]]:
    async with Runtime.embedded() as rt:
        box = await Sandbox.deploy(rt)
        assert box.vault_account is not None
        sink = Sink()
        engine = await rt.execution(box.vault_account, box.agent, **box.target(),
                                    venue=venue, fill_sink=sink)  # type: ignore[arg-type]  # fmt: skip
        yield rt, box, engine, sink


def proposal(box: Sandbox, key: str, sym_in: str, sym_out: str, size: int,
             **fields: Any) -> IntentProposal:  # fmt: skip
    assert box.vault_account is not None
    values: dict[str, Any] = {
        "idempotency_key": key, "proposer": "test:e2e", "account_id": box.vault_account.id,
        "chain_id": box.chain_id, "token_in": box.token(sym_in),
        "token_out": box.token(sym_out), "amount": size, "slippage_bps": 50,
        "deadline": utcnow() + timedelta(minutes=10), "reason": "e2e",
    }  # fmt: skip
    values.update(fields)
    return IntentProposal(**values)


async def test_intents_settle_at_the_kernels_exact_quote() -> None:
    async with market() as (rt, box, engine, sink):
        spec = box.specs
        # disjoint pools, so one batch: each quote holds for the state its swap runs on
        first = proposal(box, "a", WETH, USDC, spec[WETH].units(2))
        a = await engine.propose(first)
        b = await engine.propose(proposal(box, "b", USDC, DAI, spec[USDC].units(5_000)))
        assert (await engine.propose(first)) == a  # a retry stores nothing new
        quotes = {
            a.id: rt.graph.best_route(a.token_in, a.token_out, a.amount_in).amount_out,
            b.id: rt.graph.best_route(b.token_in, b.token_out, b.amount_in).amount_out,
        }
        report = await engine.run_until_idle()
        assert sorted(report.settled) == sorted(quotes)
        adapter = await rt.adapter()
        for intent_id, quote in quotes.items():
            intent = await rt.store.intents.get(intent_id)
            assert intent.status == "settled"
            (fill,) = await rt.store.fills.for_intent(intent_id)
            assert (fill.amount_in, fill.amount_out, fill.status) == (intent.amount_in, quote,
                                                                      "final")  # fmt: skip
            assert fill.amount_out >= intent.min_amount_out
            assert fill.gas_used
            assert fill.gas_cost_native
            statuses = [e.to_status for e in await rt.store.intents.events(intent_id)]
            assert statuses == ["proposed", "approved", "routed", "signed", "submitted",
                                "confirmed", "settled"]  # fmt: skip
            (tx,) = await rt.store.transactions.for_intent(intent_id)
            assert tx.status == "mined"
            assert (await adapter.get_receipt(bytes.fromhex(tx.tx_hash[2:]))) is not None
        assert sorted(f.intent_id for f in sink.fills) == sorted(quotes)  # type: ignore[type-var]
        # both swaps went out in one swapBatch transaction, in the order they were planned
        [(tx_a,), (tx_b,)] = [await rt.store.transactions.for_intent(i) for i in (a.id, b.id)]
        assert tx_a.id == tx_b.id
        assert await rt.store.transactions.intents_of(tx_a.id) == (a.id, b.id)
        receipt = await adapter.get_receipt(bytes.fromhex(tx_a.tx_hash[2:]))
        assert receipt is not None
        assert receipt.effective_gas_price
        fills = [f for i in (a.id, b.id) for f in await rt.store.fills.for_intent(i)]
        # the fills share the transaction's gas exactly, each valued in what it bought (its
        # wei through the graph's WETH pools: USDC and DAI at ~$3,000 per ETH, 18 -> 6 and 18
        # -> 18 decimals)
        assert sum(f.gas_used or 0 for f in fills) == receipt.gas_used
        assert [f.log_index for f in fills] == sorted(f.log_index for f in fills)
        for f in fills:
            wei = (f.gas_used or 0) * receipt.effective_gas_price
            assert f.gas_cost_native == wei
            bought = USDC if f.token_out.lower() == box.token(USDC).lower() else DAI
            scale = 10**18 // 10 ** box.specs[bought].decimals
            assert f.gas_cost_quote is not None
            assert 0.9 * 3000 < f.gas_cost_quote * scale / wei < 1.01 * 3000


async def test_one_transaction_per_swap_when_asked() -> None:
    """``swaps_per_tx=1``: the same batch goes out as single swaps, in consecutive nonces."""
    async with Runtime.embedded() as rt:
        box = await Sandbox.deploy(rt)
        assert box.vault_account is not None
        engine = await rt.execution(box.vault_account, box.agent, **box.target(),
                                    swaps_per_tx=1)  # type: ignore[arg-type]  # fmt: skip
        spec = box.specs
        a = await engine.propose(proposal(box, "a", WETH, USDC, spec[WETH].units(1)))
        b = await engine.propose(proposal(box, "b", USDC, DAI, spec[USDC].units(500)))
        report = await engine.run_until_idle()
        assert sorted(report.settled) == [a.id, b.id]
        txs = [(await rt.store.transactions.for_intent(i))[0] for i in (a.id, b.id)]
        assert txs[1].nonce == txs[0].nonce + 1
        for tx, intent_id in zip(txs, (a.id, b.id), strict=True):
            assert await rt.store.transactions.intents_of(tx.id) == (intent_id,)


async def test_the_vaults_rules_resize_and_reject_before_anything_is_sent() -> None:
    async with market() as (rt, box, engine, _):
        spec = box.specs
        big = await engine.propose(proposal(box, "big", WETH, USDC, spec[WETH].units(6)))
        report = await engine.run_until_idle()
        assert big.id in report.resized
        resized = await rt.store.intents.get(big.id)
        assert resized.status == "settled"
        assert resized.amount_in == spec[WETH].units(spec[WETH].max_trade)  # the per-trade cap
        # a slippage bound the vault's oracle bound does not allow: fails with the reason
        tight = await engine.propose(proposal(box, "ex", USDC, WETH, spec[WETH].units(1),
                                              kind="exact_out", slippage_bps=30))  # fmt: skip
        await engine.run_until_idle()
        done = await rt.store.intents.get(tight.id)
        assert done.status == "settled"
        (fill,) = await rt.store.fills.for_intent(tight.id)
        assert fill.amount_out >= spec[WETH].units(1)  # exact output: at least what was asked


HOSTILE: list[tuple[dict[str, Any], str]] = [
    ({"token_in": "0x" + "12" * 20}, "not a token"),
    ({"token_in": "WETH"}, "not an address"),
    ({"token_out": 7}, "token_out must be a 0x address"),
    ({"amount": 0}, "amount must be > 0"),
    ({"amount": -5}, "amount must be > 0"),
    ({"amount": 2**256}, "256 bits"),
    ({"amount": 1.5}, "amount must be an int"),
    ({"slippage_bps": 10_001}, "slippage_bps"),
    ({"slippage_bps": -1}, "slippage_bps"),
    ({"deadline": utcnow() - timedelta(seconds=1)}, "has passed"),
    ({"deadline": utcnow().replace(tzinfo=None)}, "timezone-aware"),
    ({"kind": "exact"}, "kind"),
    ({"urgency": "asap"}, "urgency"),
    ({"account_id": 999}, "not this engine's vault"),
    ({"chain_id": 1}, "not the vault's chain"),
]


async def test_hostile_intents_are_refused_and_change_nothing() -> None:
    async with market() as (rt, box, engine, _):
        engine.tokens = list(box.tokens.values())
        cases = [*HOSTILE, ({"token_out": box.token(WETH)}, "same token")]
        for fields, message in cases:
            with pytest.raises(InvalidIntentError, match=message):
                await engine.propose(proposal(box, "x", WETH, USDC, 10**18, **fields))
        assert await rt.store.intents.search() == []
        assert await rt.store.transactions.in_flight(box.chain_id) == []  # deployment: mined
        assert (await engine.run_until_idle()).moved == 0


async def test_paper_and_live_fill_identically() -> None:
    """Paper is shadow mode: the real calldata run by eth_call, nothing sent. The same intent
    through paper and then live, from the same state, fills to the wei."""
    async with market() as (rt, box, live, _):
        assert box.vault_account is not None
        paper = await rt.execution(box.vault_account, box.agent, **box.target(), venue="paper")
        spec = box.specs
        cases = [(WETH, USDC, spec[WETH].units(3)), (DAI, WETH, spec[DAI].units(7_000)),
                 (USDC, DAI, spec[USDC].units(123) + 456)]  # fmt: skip
        adapter = await rt.adapter()
        for n, (a, b, size) in enumerate(cases):
            head = await adapter.block_number()
            shadow = await paper.propose(proposal(box, f"p{n}", a, b, size))
            await paper.run_until_idle()
            assert await adapter.block_number() == head  # paper sent nothing
            real = await live.propose(proposal(box, f"l{n}", a, b, size))
            await live.run_until_idle()
            (p_fill,) = await rt.store.fills.for_intent(shadow.id)
            (l_fill,) = await rt.store.fills.for_intent(real.id)
            assert (p_fill.venue, l_fill.venue) == ("paper", "live")
            assert (p_fill.amount_in, p_fill.amount_out) == (l_fill.amount_in, l_fill.amount_out)
            assert (await rt.store.intents.get(shadow.id)).status == "settled"


async def test_split_routes_through_the_executor_fill_at_the_split_quote() -> None:
    """With the executor as the vault's target the router may split: a trade large enough that
    the direct pool and the path through DAI share it fills at the split's exact quote."""
    async with market() as (rt, box, _, _):
        assert box.vault_account is not None
        engine = await rt.execution(box.vault_account, box.agent, **box.target(), max_splits=4)
        size = box.specs[WETH].units(4)
        intent = await engine.propose(proposal(box, "split", WETH, USDC, size, slippage_bps=100))
        split = rt.graph.split_route(intent.token_in, intent.token_out, size, max_hops=3,
                                     max_splits=4)  # fmt: skip
        assert len(split.routes) > 1  # the market makes this trade worth splitting
        best = rt.graph.best_route(intent.token_in, intent.token_out, size)
        assert split.amount_out > best.amount_out  # what splitting buys, to the wei
        await engine.run_until_idle()
        done = await rt.store.intents.get(intent.id)
        assert done.status == "settled", done.status_cause
        (fill,) = await rt.store.fills.for_intent(intent.id)
        assert (fill.amount_in, fill.amount_out) == (size, split.amount_out)


async def test_a_v2_router_target_runs_single_paths() -> None:
    async with market() as (rt, box, _, _):
        assert box.vault_account is not None
        engine = await rt.execution(box.vault_account, box.agent, router=box.router)
        intent = await engine.propose(proposal(box, "r", USDC, WETH, box.specs[USDC].units(900)))
        quote = rt.graph.best_route(intent.token_in, intent.token_out, intent.amount).amount_out
        await engine.run_until_idle()
        (fill,) = await rt.store.fills.for_intent(intent.id)
        assert fill.amount_out == quote
        assert fill.pool is not None
        assert fill.pool.lower() == box.router.lower()  # the target the vault called


async def test_twap_slices_a_large_order_within_its_impact_cap() -> None:
    """5 WETH at once would move the WETH/USDC pool ~25 bps; as a TWAP capped at 10 bps of
    impact per slice it goes through in slices, each sized on the pool as the previous one left
    it, all settled, exactly 5 WETH sold."""
    from zippifi.execution import Twap, price_impact_bps

    async with market() as (rt, box, engine, _):
        total = box.specs[WETH].units(5)
        parent = proposal(box, "twap", WETH, USDC, total, slippage_bps=100)
        assert price_impact_bps(rt.graph, parent.token_in, parent.token_out, total) > 10
        twap = Twap(parent, max_impact_bps=10, sink=engine, store=rt.store, graph=rt.graph)
        impacts = []
        for _ in range(40):
            child = await twap.tick()
            if child is not None:
                impacts.append(price_impact_bps(rt.graph, child.token_in, child.token_out,
                                                child.amount))  # fmt: skip
            await engine.run_until_idle()
            if (await twap.progress()).done:
                break
        state = await twap.progress()
        assert state.done
        assert state.sold == total
        assert len(state.slices) > 2
        assert all(s.status == "settled" for s in state.slices)
        assert all(i <= 10 for i in impacts)
        fills = [f for s in state.slices for f in await rt.store.fills.for_intent(s.id)]
        assert sum(f.amount_in for f in fills) == total


async def test_an_intent_whose_recorded_transaction_can_never_be_mined_fails() -> None:
    """A transaction recorded before a crash and never sent, whose nonce another transaction
    took meanwhile, can never be mined: resume() marks it dropped and fails its intent, which
    would otherwise sit in ``signed`` forever."""
    async with market() as (rt, box, engine, _):
        intent = await engine.propose(proposal(box, "lost", WETH, USDC, box.specs[WETH].units(1)))
        await rt.store.intents.transition(intent.id, "approved")
        await rt.store.intents.transition(intent.id, "routed")
        await rt.store.intents.transition(intent.id, "signed")
        # the dev account funded the sandbox, so its nonce 0 is used on chain: a transaction
        # recorded at it (and never sent) can never be mined
        adapter = await rt.adapter()
        dev = (await adapter.rpc("eth_accounts", []))[0]
        assert await adapter.get_transaction_count(dev, "latest") > 0
        await rt.store.transactions.record_signed(chain_id=box.chain_id, sender=dev, nonce=0,
                                                  tx_hash="0x" + "ee" * 32,
                                                  intent_id=intent.id)  # fmt: skip
        assert await engine.resume() == [intent.id]
        done = await rt.store.intents.get(intent.id)
        assert done.status == "failed"
        assert done.status_cause == "its transaction was replaced or dropped before it was mined"
        (tx,) = await rt.store.transactions.for_intent(intent.id)
        assert tx.status == "dropped"
        # one whose node still has it, or whose nonce is still ahead, is left to recovery
        assert await engine.resume() == []
