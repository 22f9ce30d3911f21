"""ZippiFi's compiled contracts, shipped in the wheel so no Node or solc is needed at run time.

Each ``<Name>.json`` beside this module is written by ``contracts/scripts/compile.js`` (``make
contracts``) from ``contracts/src`` and committed; ``make contracts-check`` fails when they
differ from the sources. :func:`load` reads one::

    vault = load("ZippiVault")
    w3.eth.contract(abi=vault.abi, bytecode=vault.bytecode)

:meth:`Artifact.decode_error` turns revert data into the custom error's name and arguments.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from eth_abi.abi import decode as abi_decode

from zippifi.errors import InvalidInputError
from zippifi.sign import keccak256, to_checksum_address

__all__ = ["Artifact", "DecodedError", "load", "names"]


@dataclass(frozen=True)
class DecodedError:
    """A custom error from revert data: ``name`` and its arguments by name, in ABI order."""

    name: str
    args: dict[str, Any]

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.args.items())
        return f"{self.name}({inner})"


def _canonical_type(param: dict[str, Any]) -> str:
    """The ABI type of a parameter as it appears in a signature (tuples spelled out)."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


@dataclass(frozen=True)
class Artifact:
    """One contract: its ABI, creation bytecode and runtime bytecode (0x-prefixed hex)."""

    name: str
    source: str
    solc: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    _errors: dict[bytes, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for entry in self.abi:
            if entry.get("type") == "error":
                types = ",".join(_canonical_type(p) for p in entry["inputs"])
                self._errors[keccak256(f"{entry['name']}({types})".encode())[:4]] = entry

    @property
    def error_names(self) -> list[str]:
        return sorted(str(e["name"]) for e in self._errors.values())

    def decode_error(self, data: bytes | str) -> DecodedError | None:
        """The custom error of this contract's ABI that ``data`` (revert data) encodes, or None
        when the selector is not one of them (e.g. ``Error(string)`` or a panic)."""
        raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else bytes(data)
        entry = self._errors.get(raw[:4])
        if entry is None:
            return None
        values = abi_decode([_canonical_type(p) for p in entry["inputs"]], raw[4:])
        args = {
            # addresses checksummed, as web3 returns them everywhere else
            p["name"]: to_checksum_address(v) if p["type"] == "address" else v
            for p, v in zip(entry["inputs"], values, strict=True)
        }
        return DecodedError(str(entry["name"]), args)


def names() -> list[str]:
    """Every contract shipped here."""
    files = resources.files(__name__).iterdir()
    return sorted(f.name[: -len(".json")] for f in files if f.name.endswith(".json"))


@functools.cache
def load(name: str) -> Artifact:
    """The artifact of contract ``name`` (e.g. ``"ZippiVault"``); InvalidInputError if there is
    no such contract."""
    if not isinstance(name, str) or not name.isidentifier():
        raise InvalidInputError(f"artifact name must be a contract name, got {name!r}")
    resource = resources.files(__name__).joinpath(f"{name}.json")
    if not resource.is_file():
        raise InvalidInputError(f"no contract artifact named {name!r}; shipped: {names()}")
    data = json.loads(resource.read_text(encoding="utf-8"))
    return Artifact(
        name=str(data["contractName"]),
        source=str(data["sourceName"]),
        solc=str(data["compiler"]["solc"]),
        abi=list(data["abi"]),
        bytecode=str(data["bytecode"]),
        deployed_bytecode=str(data["deployedBytecode"]),
    )
