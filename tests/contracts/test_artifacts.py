"""The committed artifacts: what the loader returns, that they match the sources (the same check
as `make contracts-check`), and that what deploys is the runtime code they record."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from eth_abi.abi import encode

from tests.contracts.harness import VaultEnv
from zippifi.chain.artifacts import load, names
from zippifi.errors import InvalidInputError
from zippifi.sign import keccak256, to_checksum_address

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {
    "ZippiVault",
    "ZippiPair",
    "ZippiRouter",
    "ZippiPriceFeed",
    "ZippiTestToken",
    "ZippiV3SwapRouter",
    "ZippiVaultProxy",
    "ZippiRouteExecutor",
}


def test_every_contract_is_shipped_with_abi_and_code() -> None:
    assert set(names()) == SHIPPED
    for name in SHIPPED:
        art = load(name)
        assert art.name == name
        assert art.solc.startswith("0.8.37")
        assert art.bytecode.startswith("0x")
        assert len(art.bytecode) > 2
        assert art.deployed_bytecode.startswith("0x")
        assert len(art.deployed_bytecode) > 2
        # EIP-170: what deploys must fit in 24,576 bytes
        assert (len(art.deployed_bytecode) - 2) // 2 <= 24_576
        # the proxy's only entry point is its fallback (everything goes to the implementation)
        assert any(e["type"] in ("function", "fallback") for e in art.abi)


@pytest.mark.parametrize("bad", ["NoSuchContract", "../ZippiVault", "", "Zippi Vault"])
def test_unknown_artifact_is_a_clear_error(bad: str) -> None:
    with pytest.raises(InvalidInputError, match="artifact"):
        load(bad)


def test_decode_error_reads_custom_errors() -> None:
    vault = load("ZippiVault")
    selector = keccak256(b"TradeCapExceeded(address,uint256,uint256)")[:4]
    token = "0x" + "ab" * 20  # decoded checksummed
    data = selector + encode(["address", "uint256", "uint256"], [token, 5, 4])
    decoded = vault.decode_error(data)
    assert decoded is not None
    assert decoded.name == "TradeCapExceeded"
    assert decoded.args == {"token": to_checksum_address(token), "amountIn": 5, "maxTradeIn": 4}
    assert vault.decode_error("0x" + data.hex()) == decoded
    # Error(string) is not one of the vault's custom errors
    assert vault.decode_error(keccak256(b"Error(string)")[:4] + encode(["string"], ["x"])) is None
    assert "DailyCapExceeded" in vault.error_names  # the RollingWindow library's errors too


def test_committed_artifacts_match_the_sources() -> None:
    node = shutil.which("node")
    if node is None or not (ROOT / "contracts" / "node_modules" / "solc").is_dir():
        pytest.skip("node and contracts/node_modules (npm ci --prefix contracts) are needed")
    proc = subprocess.run(
        [node, "contracts/scripts/compile.js", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_deployed_code_is_the_artifacts_runtime_code(env: VaultEnv) -> None:
    # ZippiRouter has no immutables, so its code on chain is byte for byte the artifact's
    code = env.w3.eth.get_code(env.router.address)
    assert "0x" + bytes(code).hex() == load("ZippiRouter").deployed_bytecode
