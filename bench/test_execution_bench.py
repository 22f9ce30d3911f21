"""The execution pipeline's own cost per intent, excluding the node: store the intent, the risk
gate (the vault's rules in memory), route on the benchmark graph (bench/graphs.py, 5,000 pools),
the minimum output and the vault calldata, the gate again, sign, and record the signed
transaction with its nonce; every step as the engine runs it, on a SQLite store. Side by side,
what a Python user would otherwise write for the calldata-and-sign part: web3.py's ABI encoding
and eth-account's signing of the same vault call.

Rows (suite "execution" in extra_info, read by bench/report_execution.py): per-intent latencies
(p50/p99) with ``best_route`` and with ``split_route`` (up to 4 paths), the share of each
stage, the SQL statements and commits sent per intent, and the peer's calldata+sign beside
ours; and the whole engine's throughput, proposal to settlement on the sandbox market, live and
paper, on the in-process EVM and on a hardhat node (which CI=true requires). Scaled by
ZIPPIFI_BENCH_SCALE.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from statistics import quantiles
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import event, text
from web3 import Web3

from bench.conftest import scaled
from bench.graphs import BenchGraph, make_graph
from tests.chain import hardhat
from tests.chain.hardhat import HARDHAT_CHAIN_ID
from zippifi.chain import encode_call
from zippifi.chain.artifacts import load
from zippifi.domain import IntentProposal, SignedTx, UnsignedTx
from zippifi.execution import BacktestRules, BacktestToken, NoCalldata, Router, VaultRulesGate
from zippifi.route import PoolGraph
from zippifi.sign import Signer
from zippifi.store import IntentMove, Store, open_store
from zippifi.store.types import utcnow

N_INTENTS = max(scaled(2_000), 64)
KEY = bytes.fromhex("4c" * 32)
VAULT = "0x" + "5a" * 20
STAGES = ("store", "gate", "route", "gate again", "sign", "record")


def _info(benchmark: Any, row: str, **extra: Any) -> None:
    benchmark.extra_info.update({"suite": "execution", "row": row, **extra})


@pytest.fixture(scope="module")
def bench_graph() -> BenchGraph:
    return make_graph()


@pytest.fixture(scope="module")
def graph(bench_graph: BenchGraph) -> PoolGraph:
    return bench_graph.build()


class Pipeline:
    def __init__(self, store: Store, graph: PoolGraph, queries: list[tuple[str, str, int]],
                 max_splits: int) -> None:  # fmt: skip
        tokens = {t.lower(): BacktestToken(18, Fraction(1), 2**200, 2**200)
                  for q in queries for t in q[:2]}  # fmt: skip
        # an oracle bound of 0 (prices are not the point here; the rule still runs)
        self.rules = BacktestRules(VAULT, Signer(KEY).address, tokens, clock=utcnow,
                                   max_slippage_bps=10_000)  # fmt: skip
        self.gate = VaultRulesGate(self.rules)
        self.router = Router(graph, self.rules, NoCalldata(), chain_id=1, max_splits=max_splits)
        self.store, self.queries = store, queries
        self.signer = Signer(KEY)
        self.times: dict[str, list[float]] = {s: [] for s in STAGES}
        self.totals: list[float] = []
        self.round_trip_s = 0.0
        self.statements = 0  # SQL statements sent while intents ran (BEGIN included)
        self.commits = 0

    async def batch(self, first: int, size: int, account_id: int, fence: int) -> None:
        """``size`` intents as the engine carries a batch (size 1: one at a time): each proposal
        stored on its own (as proposers send them), then each stage's writes for the whole
        batch in one transaction through the store calls the engine makes (one
        ``transition_many`` per stage, ``reserve_many``, the journal's ``record``), the batch
        signed in one call. Each intent is charged the batch's time / size."""
        t = [time.perf_counter()]
        intents = []
        for n in range(first, first + size):
            a, b, amount = self.queries[n % len(self.queries)]
            intent, _ = await self.store.intents.create(IntentProposal(
                idempotency_key=f"bench-{n}-{random.random()}", proposer="bench",
                account_id=account_id, chain_id=1, token_in=a, token_out=b, amount=amount,
                slippage_bps=50, deadline=utcnow() + timedelta(hours=1)))  # fmt: skip
            intents.append(intent)
        t.append(time.perf_counter())
        approvals = []
        for intent in intents:
            decision = await self.gate.review(intent)
            cause = "; ".join(decision.reasons) or None
            approvals.append(IntentMove(intent.id, "approved", cause))
        await self.store.intents.transition_many(approvals)
        t.append(time.perf_counter())
        plans = [await self.router.plan(i, now=utcnow()) for i in intents]
        intents = await self.store.intents.transition_many([
            IntentMove(i.id, "routed", f"via {', '.join(p.pools)}", p.amount_in, p.min_out)
            for i, p in zip(intents, plans, strict=True)
        ])  # fmt: skip
        t.append(time.perf_counter())
        for intent in intents:
            await self.gate.review(intent)
        t.append(time.perf_counter())
        nonces = await self.store.nonces.reserve_many(1, self.signer.address, size, fence=fence)
        txs = [UnsignedTx(chain_id=1, nonce=n, to=VAULT, value=0, data=p.vault_calldata,
                          gas=p.gas_estimate, max_fee_per_gas=2 * 10**9,
                          max_priority_fee_per_gas=10**9)
               for n, p in zip(nonces, plans, strict=True)]  # fmt: skip
        signed = self.signer.sign_transactions([tx.signable() for tx in txs])
        t.append(time.perf_counter())
        records = [SignedTx(tx, self.signer.address, s.hash, s.raw_transaction, intent_id=i.id)
                   for tx, s, i in zip(txs, signed, intents, strict=True)]  # fmt: skip
        await self.store.journal.record(records, fence=fence)
        await self.store.intents.transition_many([
            IntentMove(i, "signed", f"tx {r.hash_hex}", expect="routed")
            for r in records for i in r.intents
        ])  # fmt: skip
        t.append(time.perf_counter())
        for stage, (start, end) in zip(STAGES, itertools.pairwise(t), strict=True):
            self.times[stage].extend([(end - start) / size] * size)
        self.totals.extend([(t[-1] - t[0]) / size] * size)


def _count_statements(store: Store, pipe: Pipeline) -> None:
    """Count what the pipeline sends the database: every statement (an executemany is one
    call, as it is one round trip through the driver) and every commit."""

    def statement(*_: Any) -> None:
        pipe.statements += 1

    def commit(*_: Any) -> None:
        pipe.commits += 1

    event.listen(store.engine.sync_engine, "before_cursor_execute", statement)
    event.listen(store.engine.sync_engine, "commit", commit)


def _run(store_url: str, graph: PoolGraph, bench_graph: BenchGraph, max_splits: int,
         batch: int = 1) -> Pipeline:  # fmt: skip
    async def go() -> Pipeline:
        store = await open_store(store_url)
        try:
            strategy = await store.strategies.create("bench", "bench", {})
            account = await store.accounts.add(1, VAULT, kind="vault", strategy_id=strategy.id)
            fence = 1
            pipe = Pipeline(store, graph, bench_graph.queries(512, seed=7), max_splits)
            async with store.engine.connect() as conn:  # the floor every statement pays
                start = time.perf_counter()
                for _ in range(200):
                    await conn.execute(text("SELECT 1"))
                pipe.round_trip_s = (time.perf_counter() - start) / 200
            _count_statements(store, pipe)
            for first in range(0, N_INTENTS - batch + 1, batch):
                await pipe.batch(first, batch, account.id, fence)
            return pipe
        finally:
            await store.close()

    return asyncio.run(go())


def _report(benchmark: Any, row: str, pipe: Pipeline) -> None:
    totals = sorted(pipe.totals)
    cuts = quantiles(totals, n=100) if len(totals) > 1 else [totals[0]] * 99
    shares = {s: sum(v) / sum(totals) for s, v in pipe.times.items()}
    _info(benchmark, row, n_intents=len(totals), p50_s=cuts[49], p99_s=cuts[98],
          mean_s=sum(totals) / len(totals), shares=shares,
          round_trip_s=pipe.round_trip_s, statements_per_intent=pipe.statements / len(totals),
          commits_per_intent=pipe.commits / len(totals))  # fmt: skip


BATCH = 32


@pytest.mark.parametrize(("row", "splits", "batch"), [
    ("pipeline_best_route", 1, 1), ("pipeline_split_route", 4, 1),
    ("pipeline_best_route_batch", 1, BATCH), ("pipeline_split_route_batch", 4, BATCH),
])  # fmt: skip
def test_pipeline_per_intent(benchmark: Any, tmp_path: Path, graph: PoolGraph,
                             bench_graph: BenchGraph, row: str, splits: int,
                             batch: int) -> None:  # fmt: skip
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    pipe = benchmark.pedantic(_run, args=(url, graph, bench_graph, splits, batch), rounds=1,
                              iterations=1)  # fmt: skip
    assert len(pipe.totals) == (N_INTENTS if batch == 1 else N_INTENTS // batch * batch)
    _report(benchmark, row, pipe)


def _call_args() -> list[Any]:
    return [VAULT, "0x" + "11" * 20, "0x" + "22" * 20, 10**18, 10**6, 2**40, b"\x01" * 196]


def _zippifi_once() -> bytes:
    vault, signer, args = load("ZippiVault"), Signer(KEY), _call_args()
    data = encode_call(vault, "swapExactIn", *args)
    tx = UnsignedTx(chain_id=1, nonce=7, to=VAULT, value=0, data=data, gas=300_000,
                    max_fee_per_gas=2 * 10**9, max_priority_fee_per_gas=10**9)  # fmt: skip
    return signer.sign_transactions([tx.signable()])[0].raw_transaction


def test_calldata_and_sign_zippifi(benchmark: Any) -> None:
    vault, signer, args = load("ZippiVault"), Signer(KEY), _call_args()

    def once() -> bytes:
        data = encode_call(vault, "swapExactIn", *args)
        tx = UnsignedTx(chain_id=1, nonce=7, to=VAULT, value=0, data=data, gas=300_000,
                        max_fee_per_gas=2 * 10**9, max_priority_fee_per_gas=10**9)  # fmt: skip
        return signer.sign_transactions([tx.signable()])[0].raw_transaction

    raw = benchmark(once)
    _info(benchmark, "calldata_sign_zippifi", raw=raw.hex())


def test_calldata_and_sign_web3_peer(benchmark: Any) -> None:
    contract = Web3().eth.contract(abi=load("ZippiVault").abi)
    args = [Web3.to_checksum_address(a) if isinstance(a, str) else a for a in _call_args()]

    def once() -> bytes:
        data = contract.encode_abi("swapExactIn", args=args)
        tx = {"type": 2, "chainId": 1, "nonce": 7, "to": Web3.to_checksum_address(VAULT),
              "value": 0, "data": data, "gas": 300_000, "maxFeePerGas": 2 * 10**9,
              "maxPriorityFeePerGas": 10**9}  # fmt: skip
        return bytes(Account.sign_transaction(tx, KEY).raw_transaction)

    raw = benchmark(once)
    assert raw == _zippifi_once()  # the same transaction, byte for byte
    _info(benchmark, "calldata_sign_peer", raw=raw.hex(), cpu_count=os.cpu_count())


def _throughput(venue: str, n: int, hardhat_url: str | None = None) -> tuple[int, float]:
    """Intents proposed, then carried to settlement by the engine, on the sandbox market; the
    runtime is embedded (py-evm in process), or live on the hardhat node at ``hardhat_url``."""
    from zippifi.runtime import Runtime
    from zippifi.sandbox import Sandbox
    from zippifi.settings import load_settings

    async def go(rt: Runtime) -> tuple[int, float]:
        async with rt:
            deployer, agent = Signer(os.urandom(32)), Signer(os.urandom(32))
            if hardhat_url is not None:
                adapter = await rt.adapter()
                for key in (deployer, agent):
                    await adapter.rpc("hardhat_setBalance", [key.address, hex(10**21)])
            box = await Sandbox.deploy(rt, deployer=deployer, agent=agent)
            assert box.vault_account is not None
            engine = await rt.execution(box.vault_account, box.agent, **box.target(),
                                        venue=venue)  # type: ignore[arg-type]  # fmt: skip
            pairs = [("WETH", "USDC", 10**17), ("USDC", "DAI", 300 * 10**6),
                     ("DAI", "WETH", 250 * 10**18)]  # fmt: skip
            start = time.perf_counter()
            ids = []
            for k in range(n):
                a, b, size = pairs[k % len(pairs)]
                deadline = utcnow() + timedelta(minutes=10)
                intent = await engine.propose(IntentProposal(
                    idempotency_key=f"tp-{k}", proposer="bench", account_id=box.vault_account.id,
                    chain_id=box.chain_id, token_in=box.token(a), token_out=box.token(b),
                    amount=size, slippage_bps=100, deadline=deadline))  # fmt: skip
                ids.append(intent.id)
            await engine.run_until_idle(max_steps=4 * n)
            seconds = time.perf_counter() - start
            statuses = [(await rt.store.intents.get(i)).status for i in ids]
            settled = statuses.count("settled")
            return settled, seconds

    if hardhat_url is None:
        return asyncio.run(go(Runtime.embedded()))
    with tempfile.TemporaryDirectory(prefix="zippifi-bench-") as tmp:
        # as the embedded chain: settled once mined (the node mines each transaction at once)
        settings = load_settings(
            data_dir=tmp, store={"database_url": f"sqlite:///{tmp}/bench.db"},
            chains={"default": "hardhat", "networks": [{
                "chain_id": HARDHAT_CHAIN_ID, "name": "hardhat", "rpc_urls": [hardhat_url],
                "confirmations": 0, "poll_interval_s": 0.05}]},
        )  # fmt: skip
        return asyncio.run(go(Runtime(settings)))


@pytest.mark.parametrize("venue", ["live", "paper"])
def test_engine_throughput_on_the_embedded_chain(benchmark: Any, venue: str) -> None:
    """Intents carried from proposal to settlement per second on the in-process EVM (py-evm):
    bound by the node, reported, not a goal."""
    n = max(scaled(100), 12)
    settled, seconds = benchmark.pedantic(_throughput, args=(venue, n), rounds=1, iterations=1)
    assert settled == n
    _info(benchmark, f"throughput_{venue}", n_intents=n, seconds=seconds)


@pytest.fixture(scope="module")
def hardhat_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A hardhat node (tests/chain/hardhat.py): ZIPPIFI_TEST_HARDHAT_URL, else ``npx hardhat
    node`` started here; skipped when neither can be had, failed instead under CI=true."""
    reason = hardhat.unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"hardhat node unavailable under CI=true: {reason}")
        pytest.skip(f"hardhat node unavailable: {reason}")
    node = hardhat.start(tmp_path_factory.mktemp("hardhat"))
    try:
        yield node.url
    finally:
        node.stop()


@pytest.mark.parametrize("venue", ["live", "paper"])
def test_engine_throughput_on_a_hardhat_node(benchmark: Any, hardhat_url: str, venue: str) -> None:
    """The same intents on a hardhat node over JSON-RPC (HTTP, automine): what a real node's
    round trips cost the engine; bound by the node, reported, not a goal."""
    n = max(scaled(100), 12)
    settled, seconds = benchmark.pedantic(_throughput, args=(venue, n, hardhat_url), rounds=1,
                                          iterations=1)  # fmt: skip
    assert settled == n
    _info(benchmark, f"throughput_{venue}_hardhat", n_intents=n, seconds=seconds)
