"""Fills and finality under reorgs, on a hardhat node (snapshot and revert): a reorg that takes
a fill's block before the confirmation depth marks the fill reorged and sends the intent back to
submitted, the same signed bytes are sent again and it settles once; a reorg after the depth
books a reversing fill (handed to the sink), never an edit."""

from __future__ import annotations

import os
from pathlib import Path

from tests.chain.hardhat import HARDHAT_CHAIN_ID, HardhatNode
from zippifi.domain import Fill
from zippifi.runtime import Runtime
from zippifi.sandbox import Sandbox
from zippifi.settings import load_settings
from zippifi.sign import Signer

from .test_live_embedded import USDC, WETH, proposal

DEPTH = 3


async def test_reorgs_before_and_after_the_confirmation_depth(
    hardhat_node: HardhatNode, tmp_path: Path
) -> None:
    settings = load_settings(
        data_dir=tmp_path, store={"database_url": f"sqlite:///{tmp_path / 'r.db'}"},
        chains={"default": "hardhat", "networks": [{
            "chain_id": HARDHAT_CHAIN_ID, "name": "hardhat", "rpc_urls": [hardhat_node.url],
            "confirmations": DEPTH, "poll_interval_s": 0.05}]},
    )  # fmt: skip
    sunk: list[Fill] = []

    class Sink:
        async def on_fill(self, fill: Fill) -> None:
            sunk.append(fill)

    deployer, agent = Signer(os.urandom(32)), Signer(os.urandom(32))
    async with Runtime(settings) as rt:
        node = await rt.adapter()
        for key in (deployer, agent):
            await node.rpc("hardhat_setBalance", [key.address, hex(10**21)])
        box = await Sandbox.deploy(rt, deployer=deployer, agent=agent)
        assert box.vault_account is not None
        engine = await rt.execution(box.vault_account, agent, **box.target(), fill_sink=Sink())

        # before the depth: the fill's block leaves the chain
        snapshot = await node.rpc("evm_snapshot", [])
        await node.rpc("evm_setAutomine", [False])
        intent = await engine.propose(proposal(box, "shallow", WETH, USDC, 10**18))
        await engine.step()  # approved, routed, signed, submitted: in the mempool
        await node.rpc("evm_mine", [])
        await engine.step()  # mined: fills stored, confirmed; one block deep of three
        assert (await rt.store.intents.get(intent.id)).status == "confirmed"
        (mined,) = await rt.store.fills.for_intent(intent.id)
        assert mined.status == "mined"
        assert await node.rpc("evm_revert", [snapshot]) is True
        await node.rpc("evm_mine", [])  # another branch, without the swap
        await engine.step()
        assert (await rt.store.intents.get(intent.id)).status == "submitted"
        assert (await rt.store.fills.get(mined.id)).status == "reorged"
        assert sunk == []  # nothing reached settlement
        await node.rpc("evm_setAutomine", [True])
        await engine.step()  # the same bytes sent again (the node lost them with the branch)
        for _ in range(DEPTH + 2):
            await node.rpc("evm_mine", [])
            await engine.step()
        done = await rt.store.intents.get(intent.id)
        assert done.status == "settled"
        fills = await rt.store.fills.for_intent(intent.id)
        assert [f.status for f in fills] == ["reorged", "final"]
        assert fills[0].tx_hash == fills[1].tx_hash  # the same transaction, mined again
        assert [f.id for f in sunk] == [fills[1].id]

        # after the depth: a deep reorg books a reversal
        deep = await node.rpc("evm_snapshot", [])
        second = await engine.propose(proposal(box, "deep", USDC, WETH, 2_000 * 10**6))
        await engine.step()
        for _ in range(DEPTH + 1):
            await node.rpc("evm_mine", [])
            await engine.step()
        assert (await rt.store.intents.get(second.id)).status == "settled"
        (final,) = await rt.store.fills.for_intent(second.id)
        assert await node.rpc("evm_revert", [deep]) is True
        await node.rpc("evm_mine", [])
        assert await engine.reverse_deep_reorgs() == [final.id]
        assert await engine.reverse_deep_reorgs() == []  # once
        reversal = [f for f in await rt.store.fills.for_intent(second.id) if f.reverses_id]
        assert [(f.reverses_id, f.amount_out) for f in reversal] == [(final.id, final.amount_out)]
        assert sunk[-1].reverses_id == final.id
        assert (await rt.store.fills.get(final.id)).status == "final"  # never edited
