"""The layer rule (pyproject.toml's [tool.importlinter]) holds on the source tree, and it can fail:
the same contracts on a copy of the tree with wrong imports written into it are broken, each
with a message naming the import.

The Rust extension is invisible to import-linter (grimp reads .py files only), so the rule that
the bottom of the stack loads without it is checked here by importing it with the extension
blocked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter comes with the lint extra")

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on ``project``'s pyproject.toml and its python/ tree (not an installed
    wheel: PYTHONPATH puts the tree first)."""
    env = {**os.environ, "PYTHONPATH": str(project / "python"), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=project, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_source_tree_keeps_every_contract() -> None:
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def copy_of_the_tree(dest: Path) -> Path:
    """The package's .py files and pyproject.toml, copied under ``dest``."""
    for source in (ROOT / "python" / "zippifi").rglob("*.py"):
        target = dest / "python" / source.relative_to(ROOT / "python")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def test_wrong_imports_break_the_contracts(tmp_path: Path) -> None:
    project = copy_of_the_tree(tmp_path)
    run = lint_imports(project)
    assert run.returncode == 0, run.stdout + run.stderr  # the copy is faithful

    pkg = project / "python" / "zippifi"
    # a lower layer importing a higher one
    (pkg / "store" / "wrong.py").write_text("from zippifi.chain import EvmAdapter\n")
    # a built layer importing one still to be written, above it
    (pkg / "risk" / "wrong.py").write_text("import zippifi.settlement\n")
    (pkg / "settlement").mkdir()
    (pkg / "settlement" / "__init__.py").write_text("")
    # the domain package reaching past errors
    (pkg / "domain" / "wrong.py").write_text("from zippifi.settings import load_settings\n")
    # the bottom reaching up
    (pkg / "errors.py").write_text((pkg / "errors.py").read_text() + "\nimport zippifi.log\n")
    # a top-level module nobody placed in a layer
    (pkg / "unplaced.py").write_text("")

    run = lint_imports(project)
    assert run.returncode == 1, run.stdout + run.stderr
    out = " ".join(run.stdout.split())
    for message in [
        "zippifi.store is not allowed to import zippifi.chain",
        "zippifi.store.wrong -> zippifi.chain (l.1)",
        "zippifi.risk is not allowed to import zippifi.settlement",
        "zippifi.domain is not allowed to import zippifi.settings",
        "zippifi.errors is not allowed to import zippifi.log",
        "- zippifi.unplaced",
        "0 kept, 2 broken",
    ]:
        assert message in out, run.stdout


def test_the_bottom_loads_without_the_extension() -> None:
    """errors, settings, log and domain import no zippifi._core at module
    level: errors resolves the kernels' error classes lazily, on first use."""
    script = """
import importlib.util, sys
sys.modules["zippifi._core"] = None  # any import of the extension now raises ImportError
import zippifi, zippifi.errors, zippifi.settings, zippifi.log, zippifi.domain
try:
    zippifi.errors.InvalidKeyError  # a kernel error: the one lazy import of the extension
except ImportError:
    print("ok")
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    run = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok", run.stdout + run.stderr
