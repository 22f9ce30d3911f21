"""Crash safety everywhere: a real child process (tests/crash/everywhere_child.py: the execution
engine of a sandbox vault on a hardhat node, plus a log-follower consumer of the vault's
``Swapped`` events) is SIGKILLed, restarted, killed again, and finally run to the end, on
SQLite and on PostgreSQL. The kills land:

* between two SQL statements of a transaction, before its commit: ``store.statement@N`` with a
  seeded random N below the statement count of a clean run (measured first, per database);
* mid log-batch acknowledgement (``logs.ack``: the consumer's writes made, its cursor not yet
  advanced; the pool sync's follower acknowledges through it too);
* after the node accepted a transaction and before our record says so (``submit.broadcast``);
* mid receipt processing (``execution.fills``: fills written inside the transaction that
  confirms);
* anywhere: SIGKILL from outside after a seeded random delay (a child that finished first is
  not counted as killed).

After every kill nothing is repeated: each ``Swapped`` on chain belongs to a transaction the
store recorded, at most one per intent; the consumer's records are a prefix of the chain's
``Swapped`` logs; every nonce the chain used carries a transaction the store recorded at it.
After the final run of each sequence: every intent (of every sequence so far) ended exactly once,
settled, with exactly one ``Swapped`` and its final fill; the consumer recorded exactly the
chain's ``Swapped`` logs, in order; the agent's nonces 0..n-1 each carry exactly one stored
transaction, the one mined at it, and none is left reserved or in flight.

One deployment per database serves every sequence (each proposes new intents), and the children
are forked from a fork server that imported them once (tests/crash/forkserver.py). About 30 kills
by default; ``ZIPPIFI_LONG_TESTS=1`` adds seeded random sequences for a few hundred more
(``ZIPPIFI_CRASH_SEED`` changes the draw). The module prints its kill count.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.chain.conftest import hardhat_config, scratch_database
from tests.chain.hardhat import HARDHAT_CHAIN_ID, HardhatNode
from zippifi.chain import EvmAdapter, LogRecord, decode_event, event_topic
from zippifi.chain.artifacts import load
from zippifi.runtime import Runtime
from zippifi.sandbox import Sandbox
from zippifi.settings import load_settings
from zippifi.sign import Signer, write_keystore
from zippifi.store import Store, open_store
from zippifi.store.types import utcnow

from .conftest import run
from .everywhere_child import AUDIT_STREAM
from .harness import CrashHarness

LONG = os.environ.get("ZIPPIFI_LONG_TESTS") == "1"
SEED = os.environ.get("ZIPPIFI_CRASH_SEED", "15")
STATEMENT = "store.statement"
# "stmt": a random store.statement@N; "delay": a kill from outside after a random delay;
# anything else: that named point
SEQUENCES: list[tuple[str, ...]] = [
    ("stmt", "stmt"),
    ("stmt", "logs.ack@2"),
    ("submit.broadcast", "stmt"),
    ("execution.fills", "delay"),
    ("stmt", "delay", "stmt"),
    ("submit.broadcast@2", "logs.ack", "delay"),
    ("delay", "delay"),
    ("submit.recorded", "stmt"),
]
# the long run's random sequences: named points in the order a run reaches them (a point an
# earlier kill already passed may never come again: such a kill is skipped if the run ends)
PHASES = ("execution.proposed", "submit.recorded", "submit.marked", "submit.broadcast",
          "execution.sent", "execution.fills", "logs.ack", "execution.settling")  # fmt: skip
KINDS = ("stmt", "stmt", "stmt", "stmt", "delay", "delay", "delay", "execution.proposed@2",
         "submit.recorded", "submit.marked", "submit.broadcast", "submit.broadcast@2",
         "execution.sent", "execution.fills", "execution.fills@2", "logs.ack", "logs.ack@2",
         "logs.ack@3", "execution.settling", "execution.settling@3")  # fmt: skip
STRICT = len(SEQUENCES)


def _random_sequence(draw: random.Random) -> tuple[str, ...]:
    kinds: list[str] = []
    for _ in range(draw.randint(3, 6)):
        kind = draw.choice(KINDS)
        kinds.append("delay" if kind in kinds and kind != "stmt" else kind)  # a point once
    named = iter(sorted((k for k in kinds if k not in ("stmt", "delay")),
                        key=lambda k: (PHASES.index(k.partition("@")[0]), k)))  # fmt: skip
    return tuple(k if k in ("stmt", "delay") else next(named) for k in kinds)


# the vault keeps 64 spends per token per rolling day (RollingWindow.sol, then WindowFull), and
# every sequence spends each token once: the clean run and 63 sequences per deployment at most
if LONG:
    _draw = random.Random(f"{SEED}-sequences")
    SEQUENCES += [_random_sequence(_draw) for _ in range(63 - len(SEQUENCES))]
VAULT = load("ZippiVault")
SWAPPED = event_topic(VAULT, "Swapped")
_kills: dict[str, int] = {}


@dataclass
class Market:
    """One database's deployment, the child's files, and what a clean run measured."""

    engine: str
    url: str
    node: str
    directory: Path
    addresses: dict[str, Any]
    agent: str
    from_block: int
    child: CrashHarness
    args: tuple[str, str, str]  # settings, sandbox, keystore
    statements: int = 0  # a clean run with new intents
    idle_statements: int = 0  # a clean run with nothing to do
    seconds: float = 0.0  # that run's wall time
    proposed: list[str] = field(default_factory=list)  # every intent key, all sequences
    # what final checks passed (not read again): each Swapped with its intent; nonces below
    served: list[tuple[tuple[str, int], int]] = field(default_factory=list)
    nonces_checked: int = 0

    def plan(self, label: str, reverse: bool) -> Path:
        """Three new intents around the sandbox's triangle (reversed: the other way round), so
        a step sends a swapBatch of two and a single swap."""
        tokens = self.addresses["tokens"]
        legs = [("WETH", "USDC", 5 * 10**16), ("USDC", "DAI", 150 * 10**6),
                ("DAI", "WETH", 150 * 10**18)]  # fmt: skip
        if reverse:
            legs = [("USDC", "WETH", 150 * 10**6), ("DAI", "USDC", 150 * 10**18),
                    ("WETH", "DAI", 5 * 10**16)]  # fmt: skip
        deadline = (utcnow() + timedelta(hours=1)).isoformat()
        intents = [{"key": f"{label}-{i}", "token_in": tokens[a], "token_out": tokens[b],
                    "amount": amount, "deadline": deadline}
                   for i, (a, b, amount) in enumerate(legs)]  # fmt: skip
        self.proposed.extend(str(i["key"]) for i in intents)
        path = self.directory / f"plan-{label}.json"
        path.write_text(json.dumps({"from_block": self.from_block, "intents": intents}))
        return path

    def settled(self, done: Any, plan: Path) -> None:
        (statuses,) = [json.loads(x) for x in done.lines("DONE")]
        keys = [i["key"] for i in json.loads(plan.read_text())["intents"]]
        assert {k: s for k, (s, _) in statuses.items()} == dict.fromkeys(keys, "settled"), statuses


def _reached(done: Any) -> int:
    (count,) = done.lines("REACHED")
    return int(count)


async def _deploy(settings: Path, agent_key: bytes) -> tuple[dict[str, Any], int]:
    deployer, agent = Signer(os.urandom(32)), Signer(agent_key)
    async with Runtime(load_settings(**json.loads(settings.read_text()))) as rt:
        adapter = await rt.adapter()
        for key in (deployer, agent):
            await adapter.rpc("hardhat_setBalance", [key.address, hex(10**21)])
        box = await Sandbox.deploy(rt, deployer=deployer, agent=agent)
        return box.addresses(), await adapter.block_number()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def market(
    request: pytest.FixtureRequest, hardhat_node: HardhatNode,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Market]:  # fmt: skip
    """The sandbox deployed once for this database, then one clean run with new intents and
    one with nothing to do, counting their SQL statements."""
    engine = request.param
    directory = tmp_path_factory.mktemp(f"everywhere-{engine}")
    with scratch_database(request, engine, directory, "everywhere") as url:
        settings = directory / "settings.json"
        settings.write_text(json.dumps({
            "data_dir": str(directory / "data"),
            "store": {"database_url": url},
            "chains": {"default": "hardhat", "networks": [{
                "chain_id": HARDHAT_CHAIN_ID, "name": "hardhat",
                "rpc_urls": [hardhat_node.url], "confirmations": 0, "poll_interval_s": 0.05,
            }]},
        }))  # fmt: skip
        agent_key = os.urandom(32)
        addresses, head = run(_deploy(settings, agent_key))
        sandbox = directory / "sandbox.json"
        sandbox.write_text(json.dumps(addresses))
        password = secrets.token_hex(8)
        keystore = write_keystore(directory / "agent.json", agent_key, password, iterations=2)
        child = CrashHarness("tests.crash.everywhere_child", forked=True,
                             env={"ZIPPIFI_KEYSTORE_PASSWORD": password})  # fmt: skip
        m = Market(engine, url, hardhat_node.url, directory, addresses,
                   Signer(agent_key).address, head + 1, child,
                   (str(settings), str(sandbox), str(keystore)))  # fmt: skip
        try:
            child.server()  # its imports done before a run is timed
            plan = m.plan(f"{engine}-clean", reverse=False)
            began = time.monotonic()
            done = child.run(*m.args, str(plan), counting=STATEMENT)
            m.seconds = time.monotonic() - began
            m.settled(done, plan)
            m.statements = _reached(done)
            m.idle_statements = _reached(child.run(*m.args, str(plan), counting=STATEMENT))
            assert 0 < m.idle_statements < m.statements
            run(_check_all(m))
            yield m
        finally:
            child.close()
    print(f"\n{engine}: {_kills.get(engine, 0)} kills; a clean run: {m.statements} statements, "
          f"{m.seconds:.1f}s; an idle one: {m.idle_statements} statements")  # fmt: skip


@pytest.mark.parametrize("index", range(len(SEQUENCES)),
                         ids=[f"{i}-{'+'.join(s)}" for i, s in enumerate(SEQUENCES)])  # fmt: skip
async def test_sigkill_anywhere_then_every_intent_ends_once_and_no_event_is_lost_or_repeated(
    market: Market, index: int
) -> None:
    sequence = SEQUENCES[index]
    rng = random.Random(f"{SEED}-{market.engine}-{index}")
    plan = market.plan(f"{market.engine}-{index}", reverse=index % 2 == 1)
    args = (*market.args, str(plan))
    for i, kind in enumerate(sequence):
        if kind == "delay":
            seconds = rng.uniform(0.05, 1.0) * market.seconds
            if market.child.kill_after(*args, seconds=seconds).returncode == 0:
                continue  # it finished first: no kill
        elif kind == "stmt":
            # the first run of a sequence has the intents' work ahead of it; a restart may
            # have little more than starting up
            ceiling = market.statements if i == 0 else market.idle_statements
            market.child.crash(*args, at=f"{STATEMENT}@{rng.randint(1, ceiling * 9 // 10)}")
        elif market.child.crash(*args, at=kind, may_finish=index >= STRICT).returncode == 0:
            continue  # a random sequence's point that never came again: no kill
        _kills[market.engine] = _kills.get(market.engine, 0) + 1
        await _check_nothing_repeated(market)
    market.settled(market.child.run(*args), plan)
    await _check_all(market)


# --- what the chain and the store say ----------------------------------------------------------


async def _open(m: Market) -> tuple[EvmAdapter, Store]:
    adapter = EvmAdapter(hardhat_config(m.node))
    await adapter.connect()
    return adapter, await open_store(m.url, run_migrations=False)


async def _swapped(m: Market, adapter: EvmAdapter) -> list[LogRecord]:
    logs = await adapter.get_logs(from_block=m.from_block, to_block=await adapter.block_number(),
                                  addresses=[m.addresses["vault"]], topics=[SWAPPED])  # fmt: skip
    return sorted(logs, key=lambda r: (r.block_number, r.log_index))


async def _recorded(store: Store) -> list[tuple[str, int]]:
    """The consumer's audit stream: (transaction, log index) of each Swapped it recorded."""
    out: list[tuple[str, int]] = []
    while batch := await store.audit.records(AUDIT_STREAM, after_seq=len(out), limit=500):
        out.extend((r.data()["tx"], r.data()["log_index"]) for r in batch)
    return out


def _key(log: LogRecord) -> tuple[str, int]:
    return "0x" + log.tx_hash.hex(), log.log_index


async def _intents_of_swaps(store: Store, logs: list[LogRecord]) -> list[int]:
    """The intent each Swapped served: its transaction's stored record lists the intents in
    swap order. A Swapped of a transaction the store never recorded fails."""
    by_tx: dict[str, list[LogRecord]] = {}
    for log in logs:
        by_tx.setdefault("0x" + log.tx_hash.hex(), []).append(log)
    served: list[int] = []
    for tx_hash, swaps in by_tx.items():
        tx = await store.transactions.by_hash(HARDHAT_CHAIN_ID, tx_hash)
        assert tx is not None, f"{tx_hash} swapped on chain and was never recorded"
        intents = await store.transactions.intents_of(tx.id)
        assert len(intents) == len(swaps), f"{tx_hash}: {len(swaps)} swaps for {intents}"
        served.extend(intents)
    return served


async def _check_nonces(m: Market, adapter: EvmAdapter, store: Store, *, final: bool) -> None:
    """Each nonce the chain used carries the transaction the store recorded at it (and, at
    the end, only that one, and nothing is left in flight). Nonces a final check passed are not
    read again."""
    used = await adapter.get_transaction_count(m.agent, "latest")
    for nonce in range(m.nonces_checked, used):
        record = await store.nonces.get(HARDHAT_CHAIN_ID, m.agent, nonce)
        assert record is not None, f"nonce {nonce} used on chain, never stored"
        assert record.tx_hash is not None, record
        on_chain = await adapter.get_transaction(bytes.fromhex(record.tx_hash[2:]))
        assert on_chain is not None, f"nonce {nonce}: the stored {record.tx_hash} is unknown"
        assert (on_chain.sender, on_chain.nonce) == (m.agent, nonce)
        assert on_chain.block_number is not None, record
        if final:
            rows = await store.transactions.by_nonce(HARDHAT_CHAIN_ID, m.agent, nonce)
            assert [(r.tx_hash, r.status) for r in rows] == [(record.tx_hash, "mined")]
    if final:
        left = await store.nonces.in_flight(HARDHAT_CHAIN_ID, m.agent)
        assert [r for r in left if r.nonce >= used or r.status == "reserved"] == []
        above = await store.transactions.by_nonce(HARDHAT_CHAIN_ID, m.agent, used)
        assert above == []
        m.nonces_checked = used


async def _new_swaps(m: Market, adapter: EvmAdapter, store: Store) -> list[tuple[LogRecord, int]]:
    """The Swapped logs after those a final check passed, each with the intent it served: none
    served twice, none an intent served before."""
    logs = await _swapped(m, adapter)
    assert [_key(r) for r in logs[: len(m.served)]] == [k for k, _ in m.served]
    fresh = logs[len(m.served) :]
    served = await _intents_of_swaps(store, fresh)
    every = [i for _, i in m.served] + served
    assert len(every) == len(set(every)), f"an intent swapped twice: {every}"
    return list(zip(fresh, served, strict=True))


async def _check_nothing_repeated(m: Market) -> None:
    adapter, store = await _open(m)
    try:
        await _new_swaps(m, adapter, store)
        logs = await _swapped(m, adapter)
        recorded = await _recorded(store)
        assert recorded == [_key(r) for r in logs[: len(recorded)]]
        await _check_nonces(m, adapter, store, final=False)
    finally:
        await store.close()
        await adapter.close()


async def _check_all(m: Market) -> None:
    adapter, store = await _open(m)
    try:
        fresh = await _new_swaps(m, adapter, store)
        logs = await _swapped(m, adapter)
        assert await _recorded(store) == [_key(r) for r in logs]  # no skip, no repeat
        assert (await store.audit.verify(AUDIT_STREAM)).ok
        vault = await store.accounts.find(HARDHAT_CHAIN_ID, m.addresses["vault"])
        assert vault is not None
        every = await store.intents.search(account_id=vault.id)
        assert sorted(i.idempotency_key for i in every) == sorted(m.proposed)
        assert {i.status for i in every} == {"settled"}
        # exactly one Swapped per intent
        assert sorted(i for _, i in m.served) + sorted(i for _, i in fresh) == sorted(
            i.id for i in every
        )  # fmt: skip
        for log, intent_id in fresh:
            events = [e.to_status for e in await store.intents.events(intent_id)]
            assert events.count("settled") == 1, (intent_id, events)
            assert not {"failed", "expired", "rejected"} & set(events), (intent_id, events)
            event = decode_event(VAULT, "Swapped", log)
            assert event is not None
            assert event.args["agent"] == m.agent
            (fill,) = await store.fills.for_intent(intent_id)
            assert (fill.status, fill.log_index, fill.amount_in, fill.amount_out) == (
                "final", log.log_index, event.args["amountIn"], event.args["amountOut"],
            )  # fmt: skip
        m.served += [(_key(log), i) for log, i in fresh]
        await _check_nonces(m, adapter, store, final=True)
    finally:
        await store.close()
        await adapter.close()
