"""Intents executed through a faulty RPC: reads and sends go through proxies that delay,
rate-limit, error, reset, and forward to the node before failing the answer (each of these on
each proxy, checked at the end). The engine is stepped the way a daemon steps it (a failed
step is tried again); every intent settles, the vault emitted exactly one Swapped per intent,
and nothing was sent twice."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.chain.fault_proxy import FaultProxy, Faults
from tests.chain.hardhat import HARDHAT_CHAIN_ID, HardhatNode
from zippifi.chain import decode_event, event_topic
from zippifi.chain.artifacts import load
from zippifi.domain import Fill
from zippifi.errors import ChainError
from zippifi.runtime import Runtime
from zippifi.sandbox import Sandbox
from zippifi.settings import load_settings
from zippifi.sign import Signer

from .test_live_embedded import DAI, USDC, WETH, proposal

SEED = 20261207
FAULTS = Faults(delay=0.10, too_many=0.05, server_error=0.05, reset=0.04, after_forward=0.08,
                max_delay_s=0.02)  # fmt: skip
# A few intents make only a handful of sends, too few for the draws to fail each way (with
# this seed they met delays only): the first sends meet every failure, the rest are drawn.
SEND_FAULTS = replace(FAULTS, first_sends=("after_forward", "too_many", "after_forward", "reset",
                                           "server_error"))  # fmt: skip
INTENTS = int(os.environ.get("ZIPPIFI_FAULT_INTENTS", "6"))


def _settings(tmp: Path, reads: str, sends: str | None = None) -> Any:
    network: dict[str, Any] = {"chain_id": HARDHAT_CHAIN_ID, "name": "hardhat",
                               "rpc_urls": [reads], "confirmations": 0, "poll_interval_s": 0.05,
                               "request_timeout_s": 3.0}  # fmt: skip
    if sends is not None:
        network["send_urls"] = [sends]
    return load_settings(data_dir=tmp, store={"database_url": f"sqlite:///{tmp / 'f.db'}"},
                         chains={"default": "hardhat", "networks": [network]})  # fmt: skip


async def test_intents_settle_exactly_once_through_rpc_faults(
    hardhat_node: HardhatNode, tmp_path: Path
) -> None:
    deployer, agent = Signer(os.urandom(32)), Signer(os.urandom(32))
    async with Runtime(_settings(tmp_path, hardhat_node.url)) as rt:
        adapter = await rt.adapter()
        for key in (deployer, agent):
            await adapter.rpc("hardhat_setBalance", [key.address, hex(10**21)])
        addresses = (await Sandbox.deploy(rt, deployer=deployer, agent=agent)).addresses()
    reads = await FaultProxy(hardhat_node.url, FAULTS, SEED).start()
    sends = await FaultProxy(hardhat_node.url, SEND_FAULTS, SEED + 1).start()
    settled: list[Fill] = []

    class Sink:
        async def on_fill(self, fill: Fill) -> None:
            settled.append(fill)

    try:
        async with Runtime(_settings(tmp_path, reads.url, sends.url)) as rt:
            box = await Sandbox.attach(rt, addresses, agent)
            assert box.vault_account is not None
            engine = await rt.execution(box.vault_account, agent, **box.target(),
                                        fill_sink=Sink())  # fmt: skip
            pairs = [(WETH, USDC, 10**17), (USDC, DAI, 400 * 10**6), (DAI, WETH, 300 * 10**18)]
            ids = []
            for n in range(INTENTS):
                a, b, size = pairs[n % len(pairs)]
                ids.append((await engine.propose(proposal(box, f"f{n}", a, b, size))).id)
            failed_steps = 0
            for _ in range(200):
                try:
                    await engine.step()
                except ChainError:
                    failed_steps += 1  # a daemon logs it and steps again
                    continue
                statuses = {(await rt.store.intents.get(i)).status for i in ids}
                if statuses <= {"settled", "failed", "rejected", "expired"}:
                    break
            intents = [await rt.store.intents.get(i) for i in ids]
            assert [i.status for i in intents] == ["settled"] * INTENTS, [
                (i.status, i.status_cause) for i in intents
            ]
            vault_abi = load("ZippiVault")
            direct = Runtime(_settings(tmp_path / "direct", hardhat_node.url))
            async with direct:
                node = await direct.adapter()
                topic = event_topic(vault_abi, "Swapped")
                logs = await node.get_logs(from_block=0, to_block=await node.block_number(),
                                           addresses=[box.vault], topics=[[topic]])  # fmt: skip
            swaps = [decode_event(vault_abi, "Swapped", log) for log in logs]
            assert len(swaps) == INTENTS  # none doubled, none lost
            fills = [f for i in ids for f in await rt.store.fills.for_intent(i)]
            assert sorted(f.tx_hash for f in fills) == sorted(
                "0x" + s.log.tx_hash.hex() for s in swaps if s is not None
            )
            assert sorted(f.id for f in settled) == sorted(f.id for f in fills)
    finally:
        await reads.stop()
        await sends.stop()
    # every configured fault was injected on each proxy, not just somewhere
    for proxy in (reads, sends):
        assert set(proxy.configured()) == {"too_many", "server_error", "reset", "after_forward",
                                           "delay"}  # fmt: skip
        assert proxy.missing() == [], (proxy.url, proxy.counts)
    assert sends.counts["after_forward:send"] >= 2, sends.counts  # sends the node saw, answer lost
