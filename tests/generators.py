"""Hypothesis generators: transaction dicts in every form eth-account accepts, and hostile
values for the kernel bindings' arguments."""

from __future__ import annotations

import random
from typing import Any

from eth_utils.address import to_checksum_address
from hypothesis import strategies as st

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
UINT256_MAX = 2**256 - 1
DATA_SIZES = (0, 1, 55, 56, 1024, 50_000)


# A value of any type for an argument of a kernel binding: None, bools, ints far outside every
# range (10**5000 is beyond Python's int-to-str digit limit), floats with NaN and infinities,
# text, bytes, lists, tuples and dicts of ints, and a list of 10 000 ints.
hostile: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.sampled_from([-1, 0, 2**63, 2**64, 2**128, 2**255, 2**256, -(2**256), 10**5000]),
    st.floats(),
    st.text(max_size=10),
    st.binary(max_size=10),
    st.lists(st.integers(min_value=-(2**260), max_value=2**260), max_size=5),
    st.tuples(st.integers(), st.text(max_size=3)),
    st.dictionaries(st.integers(-(2**40), 2**40), st.integers(-(2**130), 2**130), max_size=3),
    st.just(list(range(10_000))),
)


def uints(bits: int = 256) -> st.SearchStrategy[int]:
    top = 2**bits - 1
    return st.one_of(
        st.sampled_from([v for v in (0, 1, 127, 128, 255, 256, 2**64 - 1, 2**64, top) if v <= top]),
        st.integers(0, 2**32),
        st.integers(0, top),
    )


def as_int_or_hex(value: int) -> st.SearchStrategy[int | str]:
    return st.sampled_from([value, hex(value), "0x" + format(value, "064x")])


def quantity(bits: int = 256) -> st.SearchStrategy[int | str]:
    return uints(bits).flatmap(as_int_or_hex)


private_keys = st.one_of(
    st.integers(1, 1000),
    st.integers(SECP256K1_N - 1000, SECP256K1_N - 1),
    st.integers(1, SECP256K1_N - 1),
).map(lambda k: k.to_bytes(32, "big"))

addresses = st.binary(min_size=20, max_size=20).map(to_checksum_address)


@st.composite
def datas(draw: st.DrawFn) -> bytes | str:
    size = draw(st.one_of(st.sampled_from(DATA_SIZES), st.integers(0, 300)))
    raw = random.Random(draw(st.integers(0, 2**32))).randbytes(size)
    return raw if draw(st.booleans()) else "0x" + raw.hex()


storage_keys = uints().flatmap(lambda v: st.sampled_from([v, "0x" + format(v, "064x")]))

access_lists = st.lists(
    st.fixed_dictionaries(
        {"address": addresses, "storageKeys": st.lists(storage_keys, max_size=6)}
    ),
    max_size=8,
)


@st.composite
def transactions(draw: st.DrawFn) -> dict[str, Any]:
    """A transaction dict eth-account signs: legacy with/without chainId, type 1 or type 2."""
    kind = draw(st.sampled_from(["legacy", "legacy155", "type1", "type2"]))
    tx: dict[str, Any] = {"nonce": draw(quantity()), "gas": draw(quantity())}
    if kind in ("legacy", "legacy155", "type1"):
        tx["gasPrice"] = draw(quantity())
    else:
        tx["maxFeePerGas"] = draw(quantity())
        tx["maxPriorityFeePerGas"] = draw(quantity())
    if kind != "legacy":
        tx["chainId"] = draw(quantity(64))
    elif draw(st.booleans()):
        tx["chainId"] = None
    if kind in ("type1", "type2"):
        tx["accessList"] = draw(access_lists)
        number = 1 if kind == "type1" else 2
        form = draw(st.sampled_from(["int", "hex", "inferred"]))
        if form == "int":
            tx["type"] = number
        elif form == "hex":
            tx["type"] = hex(number)
        # else: eth-account infers the type from the fee fields / accessList
    to = draw(
        st.one_of(st.none(), st.just(""), addresses, addresses.map(lambda a: bytes.fromhex(a[2:])))
    )
    if to is not None or draw(st.booleans()):
        tx["to"] = to
    if draw(st.booleans()):
        tx["value"] = draw(quantity())
    if draw(st.booleans()):
        tx["data"] = draw(datas())
    return tx
