"""The `zippifi` command: the demo (the main job), keystore management, and its error boundary:
every bad input is one `zippifi: error: ...` line on stderr and a non-zero exit, never a
traceback, both in-process (`main`) and as a real `python -m zippifi` subprocess."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import BaseModel, PositiveInt

import zippifi
import zippifi.demo
from zippifi import sign
from zippifi.cli import main
from zippifi.errors import ChainError, InvalidInputError

PASSWORD = "correct horse"
PYTHON_DIR = Path(zippifi.__file__).resolve().parent.parent  # the sources under test


def test_demo_runs_the_real_thing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--txs", "40", "--chain-txs", "5"]) == 0
    out = capsys.readouterr().out
    assert "All 40 transactions byte-identical" in out
    assert "all 5 mined with status 1" in out
    assert "5 records" in out
    # the trading loop: intents through risk, routing, the vault and settlement
    assert "6 intents carried" in out
    assert "5 fills settled" in out
    # the risk engine resized the whale by price impact and rejected the loose slippage bound
    # (the table wraps its cells: words, not phrases)
    words = set(out.split())
    assert {"impact", "slippage", "rejected", "resized"} <= words
    assert "filled the first intent identically to the wei" in out


def test_keystore_new_and_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KS_PW", PASSWORD)
    path = tmp_path / "agent.json"
    assert main(["keystore", "new", str(path), "--password-env", "KS_PW"]) == 0
    address = capsys.readouterr().out.strip().splitlines()[-1]
    assert sign.Signer.from_keystore(path, PASSWORD).address == address
    assert main(["keystore", "address", str(path), "--password-env", "KS_PW"]) == 0
    assert capsys.readouterr().out.strip() == address
    monkeypatch.setenv("KS_PW", "wrong")
    assert main(["keystore", "address", str(path), "--password-env", "KS_PW"]) == 2
    assert "cannot decrypt" in capsys.readouterr().err
    assert main(["keystore", "new", str(path), "--password-env", "KS_PW"]) == 2
    assert "not overwriting" in capsys.readouterr().err
    assert main(["keystore", "address", str(path), "--password-env", "UNSET_VAR_X"]) == 2


def _env(extra: dict[str, str]) -> dict[str, str]:
    """The test process's environment without ZIPPIFI_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZIPPIFI_")}
    env.update(extra)
    return env


def run_cli(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m zippifi ARGS` on the sources under test, stdin not a terminal."""
    full = _env(env or {})
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PYTHON_DIR), full.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "zippifi", *args],
        cwd=cwd,
        env=full,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_subprocess_keystore_new_and_address(tmp_path: Path) -> None:
    path = tmp_path / "agent.json"
    env = {"KS_PW": PASSWORD}
    made = run_cli(["keystore", "new", str(path), "--password-env", "KS_PW"], tmp_path, env)
    assert made.returncode == 0, made.stderr
    address = made.stdout.strip()
    assert sign.Signer.from_keystore(path, PASSWORD).address == address
    shown = run_cli(["keystore", "address", str(path), "--password-env", "KS_PW"], tmp_path, env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == address
    assert "Traceback" not in made.stderr + shown.stderr


# Runs `python -m zippifi ARGS` on a pseudo-terminal (a fresh process forks, so pytest's does
# not), answers each password prompt with the next of REPLIES, and prints the exit code last.
_ON_A_TERMINAL = """
import os, pty, sys
args, replies = sys.argv[1:sys.argv.index("--")], sys.argv[sys.argv.index("--") + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-m", "zippifi", *args])
out = b""
def read() -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # the child closed the terminal
        return b""
for reply in replies:
    while not out.endswith(b"password: "):
        chunk = read()
        if not chunk:
            break
        out += chunk
    try:
        os.write(fd, reply.encode() + b"\\n")
    except OSError:  # the child is gone
        break
    out += read()
while chunk := read():
    out += chunk
print(out.decode(errors="replace"))
print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


def run_on_a_terminal(args: list[str], replies: list[str], cwd: Path) -> tuple[str, int]:
    driver = subprocess.run(
        [sys.executable, "-c", _ON_A_TERMINAL, *args, "--", *replies],
        cwd=cwd,
        env=_env({"PYTHONPATH": str(PYTHON_DIR)}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    *lines, code = driver.stdout.rstrip().splitlines()
    return "\n".join(lines), int(code)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_password_prompt_on_a_terminal(tmp_path: Path) -> None:
    path = tmp_path / "agent.json"
    out, code = run_on_a_terminal(["keystore", "new", str(path)], [PASSWORD, PASSWORD], tmp_path)
    assert code == 0, out
    assert out.count("password: ") == 2  # asked, then asked to repeat
    address = out.strip().splitlines()[-1]
    assert sign.Signer.from_keystore(path, PASSWORD).address == address
    out, code = run_on_a_terminal(["keystore", "address", str(path)], [PASSWORD], tmp_path)
    assert (code, out.strip().splitlines()[-1]) == (0, address)
    out, code = run_on_a_terminal(
        ["keystore", "new", str(tmp_path / "b.json")], ["a", "b"], tmp_path
    )
    assert code == 2
    assert out.strip().splitlines()[-1] == "zippifi: error: passwords do not match"
    out, code = run_on_a_terminal(["keystore", "new", str(tmp_path / "c.json")], [""], tmp_path)
    assert code == 2
    assert out.strip().splitlines()[-1] == "zippifi: error: the password is empty"
    assert "Traceback" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent.json"]


def test_version_and_help(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"zippifi {zippifi.__version__}"
    done = run_cli(["--version"], tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, f"zippifi {zippifi.__version__}")

    helped = run_cli(["--help"], tmp_path)
    assert helped.returncode == 0, helped.stderr
    for command in ("demo", "keystore", "--version", "--install-completion"):
        assert command in helped.stdout
    assert main(["keystore", "--help"]) == 0
    out = capsys.readouterr().out
    assert "new" in out
    assert "address" in out
    assert main(["demo", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--txs" in out
    assert "--chain-txs" in out


@dataclass(frozen=True)
class BadInput:
    """A command line that must fail with one error line containing ``says``."""

    args: list[str]
    says: str
    env: dict[str, str] = field(default_factory=dict)
    code: int = 2


# {tmp} is the test's directory, which holds {tmp}/agent.json, encrypted with PASSWORD
BAD_INPUTS = {
    "new-in-missing-dir": BadInput(
        ["keystore", "new", "{tmp}/missing/agent.json", "--password-env", "PW"],
        "directory {tmp}/missing does not exist",
        {"PW": PASSWORD},
    ),
    "address-in-missing-dir": BadInput(
        ["keystore", "address", "{tmp}/missing/agent.json", "--password-env", "PW"],
        "directory {tmp}/missing does not exist",
        {"PW": PASSWORD},
    ),
    "address-no-such-file": BadInput(
        ["keystore", "address", "{tmp}/other.json", "--password-env", "PW"],
        "no file at {tmp}/other.json",
        {"PW": PASSWORD},
    ),
    "new-prompt-without-terminal": BadInput(
        ["keystore", "new", "{tmp}/new.json"], "no terminal to ask for the keystore password"
    ),
    "address-prompt-without-terminal": BadInput(
        ["keystore", "address", "{tmp}/agent.json"], "pass --password-env"
    ),
    "password-variable-empty": BadInput(
        ["keystore", "address", "{tmp}/agent.json", "--password-env", "PW"],
        "environment variable PW is empty",
        {"PW": ""},
    ),
    "password-variable-unset": BadInput(
        ["keystore", "new", "{tmp}/new.json", "--password-env", "ZIPPI_TEST_UNSET_PW"],
        "environment variable ZIPPI_TEST_UNSET_PW is not set",
    ),
    "wrong-password": BadInput(
        ["keystore", "address", "{tmp}/agent.json", "--password-env", "PW"],
        "keystore: cannot decrypt",
        {"PW": "wrong"},
    ),
    "keystore-exists": BadInput(
        ["keystore", "new", "{tmp}/agent.json", "--password-env", "PW"],
        "{tmp}/agent.json exists; not overwriting it",
        {"PW": PASSWORD},
    ),
    "zero-txs": BadInput(["demo", "--txs", "0"], "'--txs'"),
    "negative-txs": BadInput(["demo", "--txs", "-3"], "'--txs'"),
    "zero-chain-txs": BadInput(["demo", "--chain-txs", "0"], "'--chain-txs'"),
    "not-a-number": BadInput(["demo", "--txs", "many"], "'--txs'"),
    "unknown-default-chain": BadInput(
        ["keystore", "new", "{tmp}/new.json", "--password-env", "PW"],
        "chains.default = 'mainnet' is not a configured chain (known: embedded)",
        {"PW": PASSWORD, "ZIPPIFI_CHAINS__DEFAULT": "mainnet"},
    ),
    "bad-setting": BadInput(["demo"], "log.level", {"ZIPPIFI_LOG__LEVEL": "loud"}),
    "unknown-option": BadInput(["demo", "--fast"], "No such option: --fast"),
    "unknown-command": BadInput(["trade"], "No such command 'trade'"),
    "missing-command": BadInput([], "Missing command"),
    "missing-argument": BadInput(["keystore", "new"], "Missing argument 'PATH'"),
}


@pytest.fixture
def keystore_dir(tmp_path: Path) -> Path:
    # pbkdf2 with few rounds: a fast keystore to decrypt (or fail to) in every case
    sign.write_keystore(tmp_path / "agent.json", os.urandom(32), PASSWORD, kdf="pbkdf2",
                        iterations=2)  # fmt: skip
    return tmp_path


def _expand(case: BadInput, tmp: Path) -> tuple[list[str], str]:
    return [a.format(tmp=tmp) for a in case.args], case.says.format(tmp=tmp)


def _assert_one_error_line(stderr: str, says: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("zippifi: error: "), stderr
    assert says in lines[0]


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_is_one_line_in_process(
    name: str,
    keystore_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case = BAD_INPUTS[name]
    args, says = _expand(case, keystore_dir)
    for key in [k for k in os.environ if k.startswith("ZIPPIFI_")]:
        monkeypatch.delenv(key)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal
    monkeypatch.chdir(keystore_dir)
    before = sorted(keystore_dir.iterdir())
    assert main(args) == case.code
    captured = capsys.readouterr()
    _assert_one_error_line(captured.err, says)
    assert captured.out == ""
    assert sorted(keystore_dir.iterdir()) == before  # nothing written


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_is_one_line_in_a_subprocess(name: str, keystore_dir: Path) -> None:
    case = BAD_INPUTS[name]
    args, says = _expand(case, keystore_dir)
    done = run_cli(args, keystore_dir, case.env)
    assert done.returncode == case.code, done.stderr
    _assert_one_error_line(done.stderr, says)
    assert done.stdout == ""


class _Model(BaseModel):
    count: PositiveInt


def _validation_error() -> None:
    _Model(count=0)


def _raise(exc: BaseException) -> None:
    raise exc


# name -> (what the command's work raises, exit code, text of the error line)
FAILURES = {
    "bad-input": (lambda: _raise(InvalidInputError("amount: must be > 0")), 2, "amount: must be"),
    "runtime": (
        lambda: _raise(ChainError("node unreachable\nafter 3 tries")),
        1,
        "node unreachable after 3 tries",
    ),
    "validation": (_validation_error, 2, "count: Input should be greater than 0"),
    "os": (
        lambda: _raise(PermissionError(13, "Permission denied", "/srv/x")),
        1,
        "/srv/x: Permission denied",
    ),
}


@pytest.mark.parametrize("name", FAILURES)
def test_errors_inside_a_command_are_one_line(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fail, code, says = FAILURES[name]
    monkeypatch.setattr(zippifi.demo, "run_demo", lambda **_: fail())
    assert main(["demo"]) == code
    _assert_one_error_line(capsys.readouterr().err, says)


def test_end_of_input_is_aborted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ctrl-D at a prompt: Click ends the prompt's line first, then the one error line
    monkeypatch.setattr(zippifi.demo, "run_demo", lambda **_: _raise(EOFError()))
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line] == ["zippifi: error: aborted"]
