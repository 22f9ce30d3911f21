"""The composition root: one line builds a runtime on embedded defaults; it starts and stops
the store, infra, chains, signers and pool sync in order; modes differ only in what they wire;
bad configuration fails at construction or start, never at first use."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.chain.hardhat import HARDHAT_CHAIN_ID, HardhatNode
from tests.market.uniswap_env import UniswapMarket, hardhat_env
from zippifi import amm
from zippifi.chain import TxRequest
from zippifi.domain import UnsignedTx
from zippifi.errors import ConfigError, KeystoreError, ZippiError, ZippiRuntimeError
from zippifi.runtime import Runtime
from zippifi.settings import EMBEDDED_CHAIN_ID, load_settings
from zippifi.sign import Signer, write_keystore
from zippifi.store import MemoryInfra

SINK = Signer("0x" + "79" * 32).address


async def test_embedded_runtime_in_one_line_wires_and_cleans_up() -> None:
    async with Runtime.embedded() as rt:
        data_dir = rt.settings.data_dir
        assert (data_dir / "zippifi.db").is_file()
        assert rt.store.dialect == "sqlite"
        assert isinstance(rt.infra, MemoryInfra)
        adapter = await rt.adapter()
        assert adapter.chain_id == EMBEDDED_CHAIN_ID
        assert len(rt.graph) == 0
        assert rt.pool_sync is None
        agent = Signer(os.urandom(32))
        await rt.fund(agent.address, 10**18)
        submitter = await rt.submitter(agent)
        assert await rt.submitter(agent.address) is submitter  # one per (chain, account)
        sent = await submitter.submit(TxRequest(to=SINK, value=12345))
        assert await adapter.get_balance(SINK) == 12345
        row = await rt.store.transactions.by_hash(adapter.chain_id, "0x" + sent.tx_hash.hex())
        assert row is not None
        assert row.raw_bytes == sent.raw
    assert not data_dir.exists()  # the temporary data dir went with the runtime
    with pytest.raises(ZippiRuntimeError, match="not started"):
        _ = rt.store


async def test_backtest_runtime_has_no_chain(tmp_path: Path) -> None:
    async with Runtime.backtest(tmp_path) as rt:
        assert rt.mode == "backtest"
        with pytest.raises(ZippiRuntimeError, match="no chain"):
            await rt.adapter()
        strategy = await rt.store.strategies.create("bt", "twap", {})
        assert strategy.id >= 1
        assert len(rt.graph) == 0
    assert (tmp_path / "zippifi.db").is_file()  # a given data dir is kept


async def test_pre_sign_check_is_handed_to_every_submitter() -> None:
    refused: list[int] = []

    class NoBigTransfers:
        async def before_sign(self, tx: UnsignedTx, sender: str) -> None:
            if tx.value > 1000:
                refused.append(tx.value)
                raise ZippiError(f"transfer of {tx.value} wei refused")

    rt = Runtime.embedded()
    rt.pre_sign = NoBigTransfers()
    async with rt:
        agent = Signer(os.urandom(32))
        await rt.fund(agent.address, 10**18)
        submitter = await rt.submitter(agent)
        with pytest.raises(ZippiError, match="refused"):
            await submitter.submit(TxRequest(to=SINK, value=5000))
        assert refused == [5000]
        await submitter.submit(TxRequest(to=SINK, value=10))


def test_bad_configuration_fails_at_construction() -> None:
    with pytest.raises(ConfigError, match=r"chains\.default|not a configured chain"):
        Runtime(load_settings(chains={"default": "nowhere"}))
    with pytest.raises(ConfigError, match="mode"):
        Runtime(load_settings(), mode="paper")  # type: ignore[arg-type]


async def test_unreachable_chain_fails_at_start(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        chains={"default": "down", "networks": [{"chain_id": 5, "name": "down",
                "rpc_urls": ["http://127.0.0.1:9"], "request_timeout_s": 0.5}]},
    )  # fmt: skip
    rt = Runtime(settings)
    with pytest.raises(ZippiError):
        await rt.start()
    with pytest.raises(ZippiRuntimeError, match="not started"):
        _ = rt.store  # start() undid what it had opened


async def test_signers_from_keystores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = os.urandom(32)
    keystores = tmp_path / "keys"
    keystores.mkdir()
    write_keystore(keystores / "agent.json", key, "pw", iterations=2)
    rt = Runtime.embedded(tmp_path / "data", sign={"keystore_dir": keystores})
    monkeypatch.delenv("ZIPPIFI_KEYSTORE_PASSWORD", raising=False)
    with pytest.raises(KeystoreError, match="ZIPPIFI_KEYSTORE_PASSWORD is not set"):
        rt.signer("agent.json")
    monkeypatch.setenv("ZIPPIFI_KEYSTORE_PASSWORD", "")
    with pytest.raises(KeystoreError, match="is empty"):
        rt.signer("agent.json")
    monkeypatch.setenv("ZIPPIFI_KEYSTORE_PASSWORD", "wrong")
    with pytest.raises(KeystoreError, match="cannot decrypt"):
        rt.signer("agent.json")
    with pytest.raises(KeystoreError, match="no file"):
        rt.signer("missing.json", password="pw")
    signer = rt.signer("agent.json", password="pw")
    assert signer.address == Signer(key).address
    assert rt.signer(signer.address) is signer
    assert rt.signer() is signer


async def test_live_runtime_syncs_the_configured_factories(
    hardhat_node: HardhatNode, tmp_path: Path
) -> None:
    env = hardhat_env(hardhat_node.url)
    market = UniswapMarket(env.chain, n_tokens=2)
    start = env.chain.w3.eth.block_number
    pair = market.create_pair(0, 1)
    market.v2_add(pair, 3 * 10**21, 7 * 10**20)
    settings = load_settings(
        data_dir=tmp_path,
        chains={"default": "hardhat", "networks": [{
            "chain_id": HARDHAT_CHAIN_ID, "name": "hardhat", "rpc_urls": [hardhat_node.url],
            "confirmations": 0, "pools_start_block": start,
            "factories": [{"kind": "v2", "address": market.v2_factory.address},
                          {"kind": "v3", "address": market.v3_factory.address}],
        }]},
    )  # fmt: skip
    async with Runtime(settings) as rt:
        assert rt.pool_sync is not None
        assert pair in rt.graph
        t0, t1 = market.v2_tokens(pair)
        r0, r1 = (
            (3 * 10**21, 7 * 10**20) if t0 == market.tokens[0].address else (7 * 10**20, 3 * 10**21)
        )
        route = rt.graph.best_route(t0, t1, 10**18)
        assert route.amount_out == amm.v2_amount_out(10**18, r0, r1)


async def test_the_pool_graph_follows_the_head_whatever_the_confirmation_depth(
    hardhat_node: HardhatNode, tmp_path: Path
) -> None:
    """Routes are quoted on the state the next swap runs on: the graph follows the head, while
    settlement waits for the chain's confirmation depth (3 here)."""
    env = hardhat_env(hardhat_node.url)
    market = UniswapMarket(env.chain, n_tokens=2)
    start = env.chain.w3.eth.block_number
    pair = market.create_pair(0, 1)
    market.v2_add(pair, 3 * 10**21, 7 * 10**20)  # its last block is the head
    settings = load_settings(
        data_dir=tmp_path,
        chains={"default": "hardhat", "networks": [{
            "chain_id": HARDHAT_CHAIN_ID, "name": "hardhat", "rpc_urls": [hardhat_node.url],
            "confirmations": 3, "pools_start_block": start,
            "factories": [{"kind": "v2", "address": market.v2_factory.address}],
        }]},
    )  # fmt: skip
    t0, t1 = market.v2_tokens(pair)

    def on_chain() -> int:
        return amm.v2_amount_out(10**18, *market.v2_reserves(pair))

    async with Runtime(settings) as rt:
        assert rt.graph.best_route(t0, t1, 10**18).amount_out == on_chain()
        market.v2_swap(pair, True, 5 * 10**19)  # the head again
        assert await rt.sync_pools() >= 1
        assert rt.graph.best_route(t0, t1, 10**18).amount_out == on_chain()


async def test_a_vault_deployed_elsewhere_is_stored_once_and_anything_else_is_refused() -> None:
    from zippifi.chain import deploy_code, implementation_initcode
    from zippifi.sandbox import Sandbox

    async with Runtime.embedded() as rt:
        box = await Sandbox.deploy(rt)  # the sandbox finds its vault through rt.vault
        assert box.vault_account is not None
        again = await rt.vault(box.vault.lower(), label="ignored: already stored")
        assert again == box.vault_account
        assert (again.kind, again.chain_id, again.address) == ("vault", box.chain_id,
                                                               box.vault.lower())  # fmt: skip
        cases = [(box.agent.address, "no contract at vault address"),
                 (box.token("WETH"), "does not answer as a ZippiVault"),
                 ("0x1234", "vault address '0x1234'")]  # fmt: skip
        for address, message in cases:
            with pytest.raises(ConfigError, match=message):
                await rt.vault(address)
        # a contract that answers as a vault, but known to the store as another kind
        other = await deploy_code(await rt.submitter(box.deployer), implementation_initcode())
        await rt.store.accounts.add(box.chain_id, other.lower(), kind="eoa")
        with pytest.raises(ConfigError, match="stored as a eoa, not a vault"):
            await rt.vault(other)
    async with Runtime.backtest() as bt:
        with pytest.raises(ZippiRuntimeError, match="no chain"):
            await bt.vault(box.vault)
