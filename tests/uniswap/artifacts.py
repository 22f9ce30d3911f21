"""Build artifacts: the Uniswap npm packages' own, and the test helpers compiled by solc-js
(contracts/test/, plus Chainlink's proxy and mock aggregator from their npm sources, compiled by
the solc their pragma pins: ``helper_artifact("MockV3Aggregator")``).

Everything is read from ``contracts/node_modules`` (installed by ``npm ci --prefix contracts``).
When it is missing, or holds other versions than ``contracts/package.json`` pins, the harness
is unavailable and says how to fix it (:class:`HarnessUnavailableError`): the tests skip with
that reason, which ``tests/conftest.py`` turns into a failure under ``CI=true``.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "contracts"
NODE_MODULES = CONTRACTS_DIR / "node_modules"
COMPILE_SCRIPT = CONTRACTS_DIR / "scripts" / "compile-test-helpers.js"
HELPERS_JSON = CONTRACTS_DIR / "build" / "test-helpers.json"
INSTALL_HINT = "run `npm ci --prefix contracts` (or `make test`, which does it)"

# contract name -> (npm package, path of its artifact inside the package)
UNISWAP_ARTIFACTS: dict[str, tuple[str, str]] = {
    "UniswapV2Factory": ("@uniswap/v2-core", "build/UniswapV2Factory.json"),
    "UniswapV2Pair": ("@uniswap/v2-core", "build/UniswapV2Pair.json"),
    "UniswapV2Router02": ("@uniswap/v2-periphery", "build/UniswapV2Router02.json"),
    "UniswapV3Factory": (
        "@uniswap/v3-core",
        "artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
    ),
    "UniswapV3Pool": (
        "@uniswap/v3-core",
        "artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json",
    ),
}


class HarnessUnavailableError(RuntimeError):
    """The harness cannot run here (no npm packages, no node, no EVM); the message says why."""


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str  # creation code, 0x-prefixed hex

    def __post_init__(self) -> None:
        if not self.bytecode.startswith("0x") or len(self.bytecode) <= 2:
            raise HarnessUnavailableError(f"{self.name}: artifact has no bytecode")


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


# compiled from npm sources by compile-test-helpers.js (its NPM_CONTRACTS), with their own solc
NPM_SOURCE_PACKAGES = ("@chainlink/contracts", "solc-0.8.26")


def _pinned_versions() -> dict[str, str]:
    pkg = _read_json(CONTRACTS_DIR / "package.json")
    pinned = {**pkg.get("dependencies", {}), **pkg.get("devDependencies", {})}
    # an alias ("solc-0.8.26": "npm:solc@0.8.26") pins the version after its last "@"
    return {
        name: spec.rsplit("@", 1)[1] if spec.startswith("npm:") else spec
        for name, spec in pinned.items()
    }


@functools.cache
def check_installed() -> None:
    """Raises HarnessUnavailableError unless node_modules holds exactly the pinned packages."""
    pinned = _pinned_versions()
    wanted = {pkg for pkg, _ in UNISWAP_ARTIFACTS.values()} | {"solc", *NPM_SOURCE_PACKAGES}
    for package in sorted(wanted):
        manifest = NODE_MODULES / package / "package.json"
        if not manifest.is_file():
            raise HarnessUnavailableError(
                f"{package} is not installed in {NODE_MODULES}: {INSTALL_HINT}"
            )
        installed = _read_json(manifest)["version"]
        if pinned.get(package) != installed:
            raise HarnessUnavailableError(
                f"{package} {installed} is installed but package.json pins {pinned.get(package)}: "
                f"{INSTALL_HINT}"
            )


@functools.cache
def uniswap_artifact(name: str) -> Artifact:
    """The npm package's own artifact of `name` (see UNISWAP_ARTIFACTS), as published."""
    check_installed()
    package, rel = UNISWAP_ARTIFACTS[name]
    data = _read_json(NODE_MODULES / package / rel)
    # v2 (waffle) artifacts: {"abi", "bytecode" (no 0x), "evm": {...}}; v3 (hardhat): "0x..."
    bytecode = (
        data["bytecode"] if isinstance(data["bytecode"], str) else data["evm"]["bytecode"]["object"]
    )
    if not bytecode.startswith("0x"):
        bytecode = "0x" + bytecode
    return Artifact(name=name, abi=data["abi"], bytecode=bytecode)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise HarnessUnavailableError("node is not on PATH (needed to compile contracts/test/)")
    return node


def _run_node(*args: str) -> str:
    proc = subprocess.run(
        [_node(), str(COMPILE_SCRIPT), *args],
        cwd=CONTRACTS_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise HarnessUnavailableError(
            f"{COMPILE_SCRIPT.name} {' '.join(args)} failed ({proc.returncode}):\n"
            f"{proc.stdout}\n{proc.stderr}"
        )
    return proc.stdout


@functools.cache
def test_helpers() -> dict[str, Artifact]:
    """The contracts/test/ helpers, compiled now if the cached build is missing or stale."""
    check_installed()
    wanted = _run_node("--print-hash").strip()
    built: dict[str, Any] | None = _read_json(HELPERS_JSON) if HELPERS_JSON.is_file() else None
    if built is None or built.get("inputHash") != wanted:
        _run_node()
        built = _read_json(HELPERS_JSON)
        if built.get("inputHash") != wanted:
            raise HarnessUnavailableError(f"{HELPERS_JSON} is stale right after compiling")
    return {
        name: Artifact(name=name, abi=c["abi"], bytecode=c["bytecode"])
        for name, c in built["contracts"].items()
    }


def helper_artifact(name: str) -> Artifact:
    try:
        return test_helpers()[name]
    except KeyError:
        raise HarnessUnavailableError(f"no test helper named {name} in contracts/test/") from None
