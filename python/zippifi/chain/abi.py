"""Calls, deployments and events of our contracts from their ABIs, with no web3 contract
objects: calldata encoded with eth-abi from an :class:`~zippifi.chain.artifacts.Artifact`,
answers and logs decoded the same way. Every function is chosen by name (and, when overloaded,
by argument count); a wrong name or argument is an InvalidInputError naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_abi.exceptions import DecodingError, EncodingError

from zippifi.chain.adapter import ChainAdapter
from zippifi.chain.artifacts import Artifact, _canonical_type
from zippifi.chain.types import LogRecord
from zippifi.errors import InvalidInputError
from zippifi.sign import keccak256, to_checksum_address

__all__ = ["DecodedEvent", "call_view", "decode_call", "decode_event", "decode_output",
           "deploy_data", "encode_call", "event_topic"]  # fmt: skip


def _types(params: Sequence[dict[str, Any]]) -> list[str]:
    return [_canonical_type(p) for p in params]


def _entry(artifact: Artifact, kind: str, name: str, nargs: int | None = None) -> dict[str, Any]:
    found = [e for e in artifact.abi if e.get("type") == kind and e.get("name") == name]
    if nargs is not None and len(found) > 1:
        found = [e for e in found if len(e["inputs"]) == nargs]
    if len(found) != 1:
        raise InvalidInputError(f"{artifact.name} has {len(found)} {kind}s named {name!r}")
    return found[0]


def _normalise(value: Any, param: dict[str, Any]) -> Any:
    """Python values as eth-abi wants them: tuples for structs, checksummed addresses."""
    kind = str(param["type"])
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        return [_normalise(v, inner) for v in value]
    if kind == "tuple":
        items = value.values() if isinstance(value, dict) else value
        return tuple(_normalise(v, c) for v, c in zip(items, param["components"], strict=True))
    if kind == "address":
        return to_checksum_address(value)
    return value


def _encode(params: Sequence[dict[str, Any]], args: Sequence[Any], what: str) -> bytes:
    if len(args) != len(params):
        raise InvalidInputError(f"{what} takes {len(params)} arguments, got {len(args)}")
    try:
        values = [_normalise(a, p) for a, p in zip(args, params, strict=True)]
        return abi_encode(_types(params), values)
    except (EncodingError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"{what}: {exc}") from None


def selector(entry: dict[str, Any]) -> bytes:
    return keccak256(f"{entry['name']}({','.join(_types(entry['inputs']))})".encode())[:4]


def encode_call(artifact: Artifact, function: str, *args: Any) -> bytes:
    """Calldata of ``artifact.function(*args)``."""
    entry = _entry(artifact, "function", function, len(args))
    return selector(entry) + _encode(entry["inputs"], args, f"{artifact.name}.{function}")


def decode_call(artifact: Artifact, data: bytes) -> tuple[str, dict[str, Any]] | None:
    """Which of ``artifact``'s functions ``data`` calls, and its arguments by name (addresses
    checksummed, structs as tuples); None when no function has its selector. Calldata that has
    the selector but does not decode raises InvalidInputError."""
    if len(data) < 4:
        return None
    for entry in artifact.abi:
        if entry.get("type") != "function" or selector(entry) != data[:4]:
            continue
        try:
            values = abi_decode(_types(entry["inputs"]), data[4:], strict=False)
        except (DecodingError, ValueError, TypeError) as exc:
            raise InvalidInputError(f"{artifact.name}.{entry['name']} calldata: {exc}") from None
        names = [p["name"] or f"arg{i}" for i, p in enumerate(entry["inputs"])]
        return entry["name"], {n: _checksummed(v, p) for n, v, p in
                               zip(names, values, entry["inputs"], strict=True)}  # fmt: skip
    return None


def _checksummed(value: Any, param: dict[str, Any]) -> Any:
    kind = str(param["type"])
    if kind.endswith("]"):
        inner = {**param, "type": kind[: kind.rindex("[")]}
        return [_checksummed(v, inner) for v in value]
    if kind == "tuple":
        return tuple(_checksummed(v, c) for v, c in zip(value, param["components"], strict=True))
    if kind == "address":
        return to_checksum_address(value)
    return value


def decode_output(artifact: Artifact, function: str, data: bytes, nargs: int | None = None) -> Any:
    """The function's return values: one value, or a tuple when it returns several."""
    entry = _entry(artifact, "function", function, nargs)
    values = abi_decode(_types(entry["outputs"]), data)
    values = tuple(to_checksum_address(v) if o["type"] == "address" else v
                   for v, o in zip(values, entry["outputs"], strict=True))  # fmt: skip
    return values[0] if len(values) == 1 else values


def deploy_data(artifact: Artifact, *args: Any) -> bytes:
    """Creation code plus the constructor's encoded arguments."""
    ctors = [e for e in artifact.abi if e.get("type") == "constructor"]
    inputs: list[dict[str, Any]] = ctors[0]["inputs"] if ctors else []
    code = bytes.fromhex(artifact.bytecode.removeprefix("0x"))
    return code + _encode(inputs, args, f"{artifact.name} constructor")


async def call_view(
    adapter: ChainAdapter, address: str, artifact: Artifact, function: str, *args: Any,
    block: int | str = "latest",
) -> Any:  # fmt: skip
    """eth_call a view function and decode its answer."""
    data = await adapter.call({"to": to_checksum_address(address),
                               "data": encode_call(artifact, function, *args)}, block)  # fmt: skip
    return decode_output(artifact, function, data, len(args))


def event_topic(artifact: Artifact, event: str) -> bytes:
    entry = _entry(artifact, "event", event)
    return keccak256(f"{event}({','.join(_types(entry['inputs']))})".encode())


@dataclass(frozen=True, slots=True)
class DecodedEvent:
    name: str
    args: dict[str, Any]
    log: LogRecord


def decode_event(artifact: Artifact, event: str, log: LogRecord) -> DecodedEvent | None:
    """The event ``log`` carries, if it is ``artifact``'s ``event``; None otherwise."""
    entry = _entry(artifact, "event", event)
    if not log.topics or log.topics[0] != event_topic(artifact, event):
        return None
    indexed = [p for p in entry["inputs"] if p.get("indexed")]
    plain = [p for p in entry["inputs"] if not p.get("indexed")]
    if len(log.topics) != 1 + len(indexed):
        return None
    args: dict[str, Any] = {}
    for p, topic in zip(indexed, log.topics[1:], strict=True):
        (args[p["name"]],) = abi_decode([_canonical_type(p)], topic)
    for p, v in zip(plain, abi_decode(_types(plain), log.data), strict=True):
        args[p["name"]] = v
    for p in entry["inputs"]:
        if p["type"] == "address":
            args[p["name"]] = to_checksum_address(args[p["name"]])
    ordered = {p["name"]: args[p["name"]] for p in entry["inputs"]}
    return DecodedEvent(event, ordered, log)
