"""Intents from proposal to settled fill on a hardhat node, over the real Uniswap V2 and V3
contracts: a ZippiVault (deployed by its owners, not by zippifi) with a ZippiRouteExecutor, and
the npm packages' own factories, pairs and pools (tests/contracts/executor_market.py). The
runtime follows the two factories from settings, its pool sync builds the graph, the engine's
router plans on it, the executor encoder encodes the route and the live venue sends it through
the vault as the agent.

For every intent: it settles, with the full status path on record and exactly one ``Swapped``
event on chain; the fill equals the route kernel's exact quote on a graph read independently
from the pools' own views at the block before (the same route, pool for pool), and each of its
pools took and paid exactly the kernel's leg amounts. For every transaction (a swapBatch may
carry several intents' swaps, on disjoint pools): it is alone in its block, touches no other
pool, and the vault's balances moved by exactly the sum of its fills."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from web3.logs import DISCARD

from tests.chain.hardhat import HARDHAT_CHAIN_ID, HardhatNode
from tests.contracts.executor_market import ExecutorMarket, build_market
from tests.contracts.harness import VaultEnv
from tests.market.uniswap_env import hardhat_env
from tests.uniswap.artifacts import HarnessUnavailableError, helper_artifact, uniswap_artifact
from zippifi.chain import ActionKind
from zippifi.domain import Fill, IntentProposal, TradeIntent
from zippifi.execution import ExecutionEngine, SwapPlan
from zippifi.route import Route, SplitRoute
from zippifi.runtime import Runtime
from zippifi.settings import load_settings
from zippifi.sign import Signer
from zippifi.store.types import utcnow

ETH = 10**18
PATH = ["proposed", "approved", "routed", "signed", "submitted", "confirmed", "settled"]


@dataclass
class Deployment:
    node: HardhatNode
    market: ExecutorMarket
    agent: Signer
    first_block: int  # the pools' factories are deployed after it

    def token(self, symbol: str) -> str:
        env = self.market.env
        return str({"WETH": env.weth, "USDC": env.usdc, "DAI": env.dai}[symbol].address)


@pytest.fixture(scope="module")
def deployed(hardhat_node: HardhatNode) -> tuple[Deployment, list[Any]]:
    """The vault, executor and Uniswap market, deployed once per module with the node's
    unlocked accounts (web3), and an agent key of our own allowed by the vault's owners;
    snapshotted."""
    try:
        uniswap_artifact("UniswapV3Pool")
        helper_artifact("V3Callee")
    except HarnessUnavailableError as exc:
        pytest.skip(str(exc))
    chain = hardhat_env(hardhat_node.url).chain
    first_block = chain.w3.eth.block_number
    market = build_market(VaultEnv(chain))
    agent = Signer(os.urandom(32))
    chain.w3.provider.make_request("hardhat_setBalance", [agent.address, hex(10**21)])  # type: ignore[arg-type]
    market.env.admin(ActionKind.SET_AGENT, agent.address, True)
    return Deployment(hardhat_node, market, agent, first_block), [chain.snapshot()]


@pytest.fixture
def deployment(deployed: tuple[Deployment, list[Any]]) -> Iterator[Deployment]:
    """The deployment as configured, fresh for each test: the node reverts to the snapshot,
    so each test's routes are chosen on the market as built."""
    d, snapshot = deployed
    yield d
    chain = d.market.env.chain
    chain.revert(snapshot[0])
    snapshot[0] = chain.snapshot()  # hardhat forgets a snapshot once reverted to


@asynccontextmanager
async def runtime(d: Deployment, tmp: Path) -> AsyncIterator[Runtime]:
    """A live runtime on the node, following the Uniswap factories as a user configures it."""
    market = d.market
    settings = load_settings(
        data_dir=tmp, store={"database_url": f"sqlite:///{tmp / 'uni.db'}"},
        chains={"default": "hardhat", "networks": [{
            "chain_id": HARDHAT_CHAIN_ID, "name": "hardhat", "rpc_urls": [d.node.url],
            # the default depth: fills settle a block deep, the graph still follows the head
            "confirmations": 1, "poll_interval_s": 0.05, "pools_start_block": d.first_block,
            "factories": [{"kind": "v2", "address": market.v2_factory.address},
                          {"kind": "v3", "address": market.v3_factory.address}]}]},
    )  # fmt: skip
    async with Runtime(settings) as rt:
        yield rt


class Recorded:
    """The engine's router, its plans kept: what the engine decided, to check against."""

    def __init__(self, engine: ExecutionEngine) -> None:
        self.plans: dict[int, SwapPlan] = {}
        plan = engine.router.plan

        async def keep(intent: TradeIntent, *, now: Any) -> SwapPlan:
            made = await plan(intent, now=now)
            self.plans[intent.id] = made
            return made

        engine.router.plan = keep  # type: ignore[method-assign]


async def engine_of(rt: Runtime, d: Deployment, **routing: int) -> tuple[ExecutionEngine, Recorded]:
    vault = await rt.vault(d.market.env.vault.address, label="uniswap e2e")
    engine = await rt.execution(vault, d.agent, executor=d.market.executor.address, **routing)
    return engine, Recorded(engine)


async def propose(engine: ExecutionEngine, d: Deployment, key: str, sym_in: str, sym_out: str,
                  amount: int) -> TradeIntent:  # fmt: skip
    return await engine.propose(IntentProposal(
        idempotency_key=key, proposer="test:uniswap", account_id=engine.vault.id,
        chain_id=HARDHAT_CHAIN_ID, token_in=d.token(sym_in), token_out=d.token(sym_out),
        amount=amount, slippage_bps=100, deadline=utcnow() + timedelta(minutes=10),
        reason="e2e over Uniswap"))  # fmt: skip


def kernel_route(
    d: Deployment, block: int, plan: SwapPlan, engine: ExecutionEngine
) -> Route | SplitRoute:
    """The kernel's route for the plan's trade, on the pools as their own views (and the
    market's minted positions) say they were at ``block``, asked as the engine's router asks."""
    router = engine.router
    graph = d.market.graph(block=block)
    trade = (plan.token_in, plan.token_out, plan.amount_in)
    if router.max_splits > 1:
        return graph.split_route(*trade, max_hops=router.max_hops, max_splits=router.max_splits)
    return graph.best_route(*trade, max_hops=router.max_hops)


def pools_of(route: Route | SplitRoute) -> tuple[str, ...]:
    parts = route.routes if isinstance(route, SplitRoute) else [route]
    return tuple(pool for part in parts for pool in part.pools)


async def check_intent(rt: Runtime, d: Deployment, engine: ExecutionEngine, recorded: Recorded,
                       intent: TradeIntent) -> tuple[SwapPlan, Fill]:  # fmt: skip
    """One intent settled at the kernel's exact quote, with its own Swapped event and legs;
    its plan and fill."""
    market, w3 = d.market, d.market.env.w3
    done = await rt.store.intents.get(intent.id)
    assert done.status == "settled", done.status_cause
    assert [e.to_status for e in await rt.store.intents.events(intent.id)] == PATH
    (fill,) = await rt.store.fills.for_intent(intent.id)
    (tx,) = await rt.store.transactions.for_intent(intent.id)
    plan = recorded.plans[intent.id]
    assert fill.status == "final"
    assert fill.tx_hash == tx.tx_hash
    assert fill.block_number is not None

    # the kernel's exact quote on the pools as they were at the block before, read
    # independently (the batch's other swaps, if any, ran on other pools)
    route = kernel_route(d, fill.block_number - 1, plan, engine)
    assert pools_of(route) == plan.pools
    assert (fill.amount_in, fill.amount_out) == (route.amount_in, route.amount_out)
    assert (fill.amount_in, fill.amount_out) == (done.amount_in, plan.quoted_out)
    assert fill.amount_out >= done.min_amount_out
    assert (fill.token_in, fill.token_out) == (intent.token_in, intent.token_out)

    # on chain: its Swapped event, through the executor; its pools paid the kernel's legs
    receipt = w3.eth.get_transaction_receipt(fill.tx_hash)
    events = market.env.vault.events.Swapped().process_receipt(receipt, errors=DISCARD)
    swapped = {e["logIndex"]: e["args"] for e in events}
    event = swapped[fill.log_index]
    tokens = (Web3.to_checksum_address(intent.token_in), Web3.to_checksum_address(intent.token_out))
    assert (event["tokenIn"], event["tokenOut"]) == tokens
    assert (event["amountIn"], event["amountOut"]) == (fill.amount_in, fill.amount_out)
    assert event["target"] == market.executor.address
    legs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for hop in plan.hops:
        legs[hop.pool].append((hop.amount_in, hop.amount_out))
    paid = market.legs_paid(receipt)
    assert {pool: paid[pool] for pool in legs} == legs
    return plan, fill


def check_transaction(d: Deployment, tx_hash: str, done: list[tuple[SwapPlan, Fill]]) -> None:
    """One transaction of the run and the intents it carried: alone in its block, one Swapped
    per intent, no pool touched but theirs, and the vault's balances moved by exactly the sum
    of their fills."""
    market, w3 = d.market, d.market.env.w3
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    number = receipt["blockNumber"]
    assert [Web3.to_hex(h) for h in w3.eth.get_block(number)["transactions"]] == [tx_hash]
    vault = market.env.vault
    assert len(vault.events.Swapped().process_receipt(receipt, errors=DISCARD)) == len(done)
    assert set(market.legs_paid(receipt)) == {pool for plan, _ in done for pool in plan.pools}
    was = market.holdings(vault.address, block=number - 1)
    now = market.holdings(vault.address, block=number)
    symbols = {d.token(s).lower(): s for s in ("WETH", "USDC", "DAI")}
    expected = dict.fromkeys(was, 0)
    for _, fill in done:
        expected[symbols[fill.token_in.lower()]] -= fill.amount_in
        expected[symbols[fill.token_out.lower()]] += fill.amount_out
    assert {s: now[s] - was[s] for s in was} == expected
    assert all(v == 0 for v in market.holdings(market.executor.address).values())


def swapped_between(d: Deployment, first: int, last: int) -> list[tuple[str, int]]:
    """(transaction hash, log index) of the vault's Swapped events in blocks [first, last]."""
    logs = d.market.env.vault.events.Swapped().get_logs(from_block=first, to_block=last)
    return [(Web3.to_hex(log["transactionHash"]), log["logIndex"]) for log in logs]


async def run_intents(
    rt: Runtime, d: Deployment, engine: ExecutionEngine, recorded: Recorded,
    trades: list[tuple[str, str, str, int]],
) -> list[tuple[SwapPlan, Fill]]:  # fmt: skip
    """Propose ``trades`` together, run the engine until idle, check each intent and each
    transaction."""
    w3 = d.market.env.w3
    first = w3.eth.block_number + 1
    intents = [await propose(engine, d, key, a, b, amount) for key, a, b, amount in trades]
    report = await engine.run_until_idle()
    assert sorted(report.settled) == sorted(i.id for i in intents)
    checked = [await check_intent(rt, d, engine, recorded, i) for i in intents]
    by_tx: dict[str, list[tuple[SwapPlan, Fill]]] = defaultdict(list)
    for plan, fill in checked:
        assert fill.tx_hash is not None
        by_tx[fill.tx_hash].append((plan, fill))
    for tx_hash, done in by_tx.items():
        check_transaction(d, tx_hash, done)
    # exactly one Swapped per intent on chain, none other, over the run's blocks
    assert sorted(swapped_between(d, first, w3.eth.block_number)) == sorted(
        (f.tx_hash, f.log_index) for _, f in checked
    )
    return checked


def kind(d: Deployment, pool: str) -> str:
    market = d.market
    assert pool in market.v2_pairs or pool in market.v3_pools, pool
    return "v2" if pool in market.v2_pairs else "v3"


SINGLE_HOPS = [("v2", "WETH", "DAI", 3 * ETH), ("v3", "USDC", "WETH", 5_000 * 10**6)]


@pytest.mark.parametrize("swaps_per_tx", [8, 1])
async def test_single_hop_v2_and_v3_in_one_batch(
    deployment: Deployment, tmp_path: Path, swaps_per_tx: int
) -> None:
    """One hop at most: WETH -> DAI's deepest pool is the V2 pair, USDC -> WETH's the 0.05%
    V3 pool; their pools are disjoint, so the two go out in one step: folded into one
    swapBatch transaction, or as single swaps in consecutive nonces."""
    d = deployment
    async with runtime(d, tmp_path) as rt:
        engine, recorded = await engine_of(rt, d, max_hops=1, swaps_per_tx=swaps_per_tx)
        (v2_plan, _), (v3_plan, _) = await run_intents(rt, d, engine, recorded, SINGLE_HOPS)
        assert [kind(d, h.pool) for h in v2_plan.hops] == ["v2"]
        assert [kind(d, h.pool) for h in v3_plan.hops] == ["v3"]
        ids = (v2_plan.intent_id, v3_plan.intent_id)
        txs = [(await rt.store.transactions.for_intent(i))[0] for i in ids]
        if swaps_per_tx > 1:
            assert txs[0].id == txs[1].id
            assert await rt.store.transactions.intents_of(txs[0].id) == ids
        else:
            assert txs[1].nonce == txs[0].nonce + 1


async def test_multi_hop(deployment: Deployment, tmp_path: Path) -> None:
    """WETH -> DAI for 1 WETH is worth more through USDC (two 0.05% V3 pools) than direct."""
    d = deployment
    async with runtime(d, tmp_path) as rt:
        engine, recorded = await engine_of(rt, d)
        ((plan, _),) = await run_intents(rt, d, engine, recorded, [("mh", "WETH", "DAI", ETH)])
        assert len(plan.hops) >= 2
        tokens = [plan.hops[0].token_in, *(h.token_out for h in plan.hops)]
        assert (tokens[0], tokens[-1]) == (d.token("WETH"), d.token("DAI"))
        assert len(set(tokens)) == len(tokens)  # one path, no cycle


async def test_split_route_across_v2_and_v3(deployment: Deployment, tmp_path: Path) -> None:
    """300 WETH -> USDC moves any one pool too far: the router splits it across the V2 pair
    and the V3 pools, and the executor runs every leg in the one vault call."""
    d = deployment
    async with runtime(d, tmp_path) as rt:
        engine, recorded = await engine_of(rt, d, max_splits=4)
        ((plan, fill),) = await run_intents(rt, d, engine, recorded,
                                            [("split", "WETH", "USDC", 300 * ETH)])  # fmt: skip
        assert fill.block_number is not None
        route = kernel_route(d, fill.block_number - 1, plan, engine)
        assert isinstance(route, SplitRoute)
        assert len(route.routes) > 1  # it split
        kinds = {kind(d, h.pool) for h in plan.hops}
        assert kinds == {"v2", "v3"}
        best = d.market.graph(block=fill.block_number - 1).best_route(
            plan.token_in, plan.token_out, plan.amount_in
        )
        assert fill.amount_out > best.amount_out  # what splitting bought, to the wei
        # the next intent on the same pools is quoted on the state the split left, the block
        # before (the graph follows the head, not the confirmation depth)
        ((_, after),) = await run_intents(rt, d, engine, recorded,
                                          [("after", "WETH", "USDC", 50 * ETH)])  # fmt: skip
        assert after.block_number == fill.block_number + 1
