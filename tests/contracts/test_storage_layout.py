"""The storage layout check (contracts/scripts/storage-layout.js, run by `make contracts-check`):
the committed layout holds for the sources and for a later version that appends (the upgrade
tests' V2), and a copy of the sources that moves, retypes or removes a variable fails it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
SCRIPT = CONTRACTS / "scripts" / "storage-layout.js"
LAYOUT = CONTRACTS / "layout" / "ZippiVault.json"
LAYOUT_ARGS = ("--layout", str(LAYOUT))


def _check(root: Path, source: str = "src/ZippiVault.sol", contract: str = "ZippiVault") -> str:
    """Runs the checker; returns its stderr if it fails, "" if the layout holds."""
    node = shutil.which("node")
    if node is None or not (CONTRACTS / "node_modules" / "solc").is_dir():
        pytest.skip("node and contracts/node_modules (npm ci --prefix contracts) are needed")
    proc = subprocess.run(
        [
            node,
            str(SCRIPT),
            "--root",
            str(root),
            "--source",
            source,
            "--contract",
            contract,
            *LAYOUT_ARGS,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stderr if proc.returncode else ""


def _altered(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of contracts/src with one edit in ZippiVault.sol."""
    root = tmp_path / "contracts"
    shutil.copytree(CONTRACTS / "src", root / "src")
    vault = root / "src" / "ZippiVault.sol"
    text = vault.read_text()
    assert old in text, old
    vault.write_text(text.replace(old, new))
    return root


def test_the_sources_and_an_appending_version_keep_the_layout() -> None:
    assert _check(CONTRACTS) == ""
    assert _check(CONTRACTS, "test/ZippiVaultV2Mock.sol", "ZippiVaultV2Mock") == ""


def test_appending_a_variable_is_fine(tmp_path: Path) -> None:
    root = _altered(
        tmp_path,
        "    bytes32 private _pendingUpgradeHash;\n",
        "    bytes32 private _pendingUpgradeHash;\n    uint256 private _later;\n",
    )
    assert _check(root) == ""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # two variables swapped: each is now where the other was
        (
            "    uint256 public threshold;\n    uint256 public nonce;\n",
            "    uint256 public nonce;\n    uint256 public threshold;\n",
            "threshold: moved from slot 4 offset 0 to slot 5 offset 0",
        ),
        # a variable inserted before others moves every later slot
        (
            "    uint256 public threshold;\n",
            "    uint256 public inserted;\n    uint256 public threshold;\n",
            "threshold: moved from slot 4 offset 0 to slot 5 offset 0",
        ),
        # a wider type in a packed slot
        (
            "    uint16 public maxSlippageBps;\n",
            "    uint32 public maxSlippageBps;\n",
            "type label",
        ),
        # a renamed variable (its slot may now mean something else)
        ("_pendingUpgradeHash", "_upgradeHash", "_pendingUpgradeHash: removed or renamed"),
        # a struct stored in place grows (the ring's entries would shift)
        (
            "        bool allowed;\n    }\n",
            "        bool allowed;\n        uint256 extra;\n    }\n",
            "",
        ),
    ],
)
def test_a_moved_or_changed_slot_fails(tmp_path: Path, old: str, new: str, expected: str) -> None:
    errors = _check(_altered(tmp_path, old, new))
    if expected:
        assert expected in errors, errors
    else:
        # Token is a mapping's value: it may grow at its end, so this one is allowed
        assert errors == ""


def test_a_removed_variable_fails(tmp_path: Path) -> None:
    """A committed layout with one more variable than the sources have: as if a later version
    dropped it."""
    import json

    committed = json.loads(LAYOUT.read_text())
    last = committed["storage"][-1]
    committed["storage"].append({**last, "label": "_dropped", "slot": str(int(last["slot"]) + 1)})
    layout = tmp_path / "layout.json"
    layout.write_text(json.dumps(committed))
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is needed")
    proc = subprocess.run(
        [node, str(SCRIPT), "--layout", str(layout)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1
    assert "ZippiVault._dropped: removed or renamed" in proc.stderr
