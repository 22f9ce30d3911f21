"""Two live processes contend for one account's nonces through Redis fenced locks, on
PostgreSQL and a hardhat node. The first signs and records a batch and is stopped (SIGSTOP)
before broadcasting all of it; its lease runs out; the second takes the account over, recovers
what the first recorded (sending the same bytes) and sends its own batch; then the first is
resumed (SIGCONT). It must not send anything with its stale lease, and it must not sign again.
On chain and in the store every nonce is used exactly once, none skipped.

The first process reaches the node only through a counting proxy, so "sent nothing after
resuming" is checked on the wire, not taken from its own word."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chain.conftest import hardhat_config
from tests.chain.contracts import EVENT_TOPIC
from tests.chain.fault_proxy import FaultProxy, Faults
from tests.chain.hardhat import HARDHAT_CHAIN_ID, HardhatNode
from tests.store import servers
from zippifi.chain import EvmAdapter
from zippifi.crashpoints import CRASH_ENV, PAUSE_ENV, PAUSE_MARK
from zippifi.sign import Signer, write_keystore
from zippifi.store import open_store

from .conftest import run
from .harness import ROOT
from .test_signing import emitter  # noqa: F401 (the contract both processes call)

BATCH = 3
LEASE_S = 1.0
SEND = "eth_sendRawTransaction"


def _needed(found: tuple[str | None, str | None], what: str) -> str:
    url, reason = found
    if url is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} unavailable under CI=true: {reason}")
        pytest.skip(f"{what} unavailable ({reason})")
    return url


@pytest.fixture
def database() -> Iterator[str]:
    admin = _needed(servers.find_postgres(), "PostgreSQL")
    name = servers.unique_name("zippifi_contend")
    run(servers.create_database(admin, name))
    try:
        yield servers.with_database(admin, name)
    finally:
        run(servers.drop_database(admin, name))


def _settings(path: Path, *, db: str, redis_url: str, prefix: str, rpc: str) -> Path:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({
        "data_dir": str(path.parent / "data"),
        "store": {"database_url": db, "redis_url": redis_url, "redis_prefix": prefix,
                  "lock_ttl_s": LEASE_S},
        "chains": {"default": "hardhat", "networks": [{
            "chain_id": HARDHAT_CHAIN_ID, "name": "hardhat", "rpc_urls": [rpc],
            "confirmations": 0, "poll_interval_s": 0.05,
        }]},
    }))  # fmt: skip
    return path


async def _child(
    *args: str, password: str, pause_at: str | None = None
) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ZIPPIFI_KEYSTORE_PASSWORD": password}
    env.pop(CRASH_ENV, None)
    env.pop(PAUSE_ENV, None)
    if pause_at is not None:
        env[PAUSE_ENV] = pause_at
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.crash.sign_child", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _until_paused(proc: asyncio.subprocess.Process, point: str) -> None:
    assert proc.stderr is not None
    seen = []
    async with asyncio.timeout(120):
        while True:
            line = (await proc.stderr.readline()).decode()
            if not line:
                raise AssertionError(f"the child exited before pausing at {point}:\n"
                                     + "".join(seen))  # fmt: skip
            seen.append(line)
            if line.strip() == f"{PAUSE_MARK} {point.partition('@')[0]}":
                return


async def _finish(proc: asyncio.subprocess.Process) -> str:
    async with asyncio.timeout(120):
        out, err = await proc.communicate()
    assert proc.returncode == 0, f"child exited {proc.returncode}:\n{out.decode()}\n{err.decode()}"
    return out.decode()


def _tagged(out: str, tag: str) -> list[dict[str, object]]:
    return [json.loads(ln.removeprefix(tag)) for ln in out.splitlines() if ln.startswith(tag)]


@pytest.mark.parametrize("pause_at", ["submit.recorded", "submit.broadcast"])
async def test_a_process_paused_past_its_lease_sends_nothing(
    hardhat_node: HardhatNode, emitter: str, database: str, tmp_path: Path,  # noqa: F811
    pause_at: str,
) -> None:  # fmt: skip
    redis_url = _needed(servers.find_redis(), "Redis")
    key = os.urandom(32)
    agent = Signer(key).address
    password = secrets.token_hex(8)
    keystore = write_keystore(tmp_path / "agent.json", key, password, iterations=2)
    prefix = servers.unique_name("contend")
    procs: list[asyncio.subprocess.Process] = []
    proxy = await FaultProxy(hardhat_node.url, Faults(), seed=1).start()
    adapter = EvmAdapter(hardhat_config(hardhat_node.url))
    await adapter.connect()
    try:
        await adapter.rpc("hardhat_setBalance", [agent, hex(10**21)])
        first = _settings(tmp_path / "first" / "settings.json", db=database,
                          redis_url=redis_url, prefix=prefix, rpc=proxy.url)  # fmt: skip
        second = _settings(tmp_path / "second" / "settings.json", db=database,
                           redis_url=redis_url, prefix=prefix, rpc=hardhat_node.url)  # fmt: skip
        a = await _child(str(first), str(keystore), emitter, "first", str(BATCH),
                         password=password, pause_at=pause_at)  # fmt: skip
        procs.append(a)
        await _until_paused(a, pause_at)
        sent_before_pause = proxy.methods[SEND]
        await asyncio.sleep(LEASE_S * 2)  # the lease runs out while the first is stopped

        b = await _child(str(second), str(keystore), emitter, "second", str(BATCH),
                         password=password)  # fmt: skip
        procs.append(b)
        out_b = await _finish(b)
        (recovered,) = _tagged(out_b, "RECOVERED ")
        (sent_b,) = _tagged(out_b, "SENT ")
        assert sent_b == {"nonces": list(range(BATCH, 2 * BATCH)), "errors": []}
        # the second sent again what the first had recorded and not surely broadcast: all of
        # it, or (stopped after its first broadcast, the others sent concurrently) some of it
        if pause_at == "submit.recorded":
            assert recovered["rebroadcast"] == list(range(BATCH))
            assert sent_before_pause == 0
        else:
            assert set(recovered["rebroadcast"]) <= set(range(1, BATCH))  # type: ignore[arg-type]
            assert sent_before_pause >= 1
        assert recovered["filled"] == []

        a.send_signal(signal.SIGCONT)
        out_a = await _finish(a)
        assert proxy.methods[SEND] == sent_before_pause  # not one send after resuming
        if pause_at == "submit.recorded":  # it had sent nothing: it must refuse all of it
            assert _tagged(out_a, "SENT ") == []
            (refused,) = _tagged(out_a, "REFUSED ")
            assert "lease" in str(refused["error"])

        # every nonce used once, none skipped: the first's recorded bytes, then the second's
        assert await adapter.get_transaction_count(agent, "latest") == 2 * BATCH
        store = await open_store(database)
        try:
            payloads = []
            for nonce in range(2 * BATCH):
                (row,) = await store.transactions.by_nonce(HARDHAT_CHAIN_ID, agent, nonce)
                receipt = await adapter.get_receipt(bytes.fromhex(row.tx_hash[2:]))
                assert receipt is not None
                assert receipt.status == 1
                (log,) = [r for r in receipt.logs if r.topics == (EVENT_TOPIC,)]
                payloads.append(log.data)
            assert payloads == [f"{who}-{i}".encode() for who in ("first", "second")
                                for i in range(BATCH)]  # fmt: skip
            # the store: what is still in flight was sent (no nonce reserved or released: no
            # hole); the second's own batch at least, the first's if the second found it unmined
            records = await store.nonces.in_flight(HARDHAT_CHAIN_ID, agent)
            assert {r.status for r in records} == {"submitted"}
            assert (
                set(range(BATCH, 2 * BATCH)) <= {r.nonce for r in records} <= set(range(2 * BATCH))
            )
        finally:
            await store.close()
        # the next owner finds them all mined and nothing left to do
        c = await _child(str(second), str(keystore), emitter, "third", "0", password=password)
        procs.append(c)
        (calm,) = _tagged(await _finish(c), "RECOVERED ")
        assert calm == {"pending": [], "released": [], "rebroadcast": [], "filled": []}
        store = await open_store(database)
        try:
            assert await store.nonces.in_flight(HARDHAT_CHAIN_ID, agent) == []
        finally:
            await store.close()
    finally:
        for proc in procs:  # a failed assert must not leave a stopped child behind
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await adapter.close()
        await proxy.stop()
