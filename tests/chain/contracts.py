"""Two tiny contracts assembled by hand (no compiler needed): one that always reverts with
Error("nope"), one that emits LOG1(topic=EVENT_TOPIC, data=calldata) on every call."""

from __future__ import annotations

from eth_abi.abi import encode

from zippifi.sign import keccak256

EVENT_TOPIC = keccak256(b"Ping(bytes)")


def _deploy(runtime: bytes) -> bytes:
    """Init code that copies ``runtime`` (placed right after it) to memory and returns it."""
    n = len(runtime)
    assert n < 256
    # PUSH1 n PUSH1 12 PUSH1 0 CODECOPY PUSH1 n PUSH1 0 RETURN   (12 bytes)
    return bytes([0x60, n, 0x60, 12, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xF3]) + runtime


def reverter_init() -> bytes:
    data = bytes.fromhex("08c379a0") + encode(["string"], ["nope"])
    n = len(data)
    # PUSH1 n PUSH1 12 PUSH1 0 CODECOPY PUSH1 n PUSH1 0 REVERT  then the revert data
    runtime = bytes([0x60, n, 0x60, 12, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xFD]) + data
    return _deploy(runtime)


def emitter_init() -> bytes:
    # CALLDATASIZE PUSH1 0 PUSH1 0 CALLDATACOPY; PUSH32 topic CALLDATASIZE PUSH1 0 LOG1; STOP
    runtime = (
        bytes([0x36, 0x60, 0, 0x60, 0, 0x37, 0x7F]) + EVENT_TOPIC + bytes([0x36, 0x60, 0, 0xA1, 0])
    )
    return _deploy(runtime)
