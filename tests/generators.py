"""Hypothesis generators: transaction dicts in every form eth-account accepts, hostile values
for the kernel bindings' arguments, and StableSwap pools of every shape."""

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


# ---------------------------------------------------------------- StableSwap pools

E18 = 10**18
STABLE_RATES = (E18, 10**30)  # an 18- and a 6-decimal coin
# A from 1 to Curve's MAX_A (10**6): the extremes, 3pool's 2000, and any
stable_a = st.one_of(st.sampled_from([1, 10, 100, 200, 2000, 5000, 10**6]), st.integers(1, 10**6))
# fee on the 1e10 scale: none, 1, 3pool's 4 bps, the template's MAX_FEE 50%, anything below 100%
stable_fees = st.one_of(st.sampled_from([0, 1, 4_000_000, 5 * 10**9]), st.integers(0, 10**10 - 1))


def sized(lo_bits: int, hi_bits: int) -> st.SearchStrategy[int]:
    """Integers of every binary magnitude in [2**lo_bits, 2**hi_bits)."""
    return st.integers(lo_bits, hi_bits - 1).flatmap(lambda b: st.integers(2**b, 2 ** (b + 1) - 1))


@st.composite
def stable_pool_states(
    draw: st.DrawFn, shape: str, rates: list[int] | None = None
) -> dict[str, Any]:
    """A StableSwap pool of 2 to 4 coins of 18 or 6 decimals (or of the given ``rates``):
    ``balances``, ``amp`` (A * 100, A whole), ``fee`` and ``rates``. Shapes: ``live`` (coin
    values within a factor 1000 of each other, up to 1e12 tokens: no intermediate of the
    contract's arithmetic reaches 2**256), ``imbalanced`` (values up to 1e9 apart),
    ``near_empty`` (a few raw units, zeros included), ``wide`` (any magnitudes: overflow and no
    convergence included)."""
    if rates is None:
        n = draw(st.integers(2, 4))
        rates = draw(st.lists(st.sampled_from(STABLE_RATES), min_size=n, max_size=n))
    n = len(rates)
    if shape == "near_empty":
        balances = draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n))
    else:
        if shape == "live":
            base = draw(st.integers(10**15, 10**27))
            values = [base * draw(st.integers(1000, 10**6)) // 1000 for _ in range(n)]
        elif shape == "imbalanced":
            base = draw(st.integers(10**18, 10**27))
            values = [base // 10 ** draw(st.integers(0, 9)) for _ in range(n)]
        else:
            # any magnitude, an empty coin one time in eight
            value = st.tuples(st.integers(0, 7), sized(0, 110)).map(lambda t: t[1] if t[0] else 0)
            values = draw(st.lists(value, min_size=n, max_size=n))
        # a value in 18-decimal units to the coin's raw balance
        balances = [v * E18 // r for v, r in zip(values, rates, strict=True)]
    return {"balances": balances, "amp": 100 * draw(stable_a), "fee": draw(stable_fees),
            "rates": rates}  # fmt: skip


def trade_sizes(balance: int, wide: bool = False) -> st.SearchStrategy[int]:
    """An input for a pool holding ``balance`` of the coin: a share of it (0 to 10x), any
    magnitude, or dust."""
    shares = st.sampled_from([0, 1, 10, 100, 1000, 10**4, 10**5, 10**6, 10**7])
    return st.one_of(
        shares.map(lambda share: max(balance, 1) * share // 10**6),
        sized(0, 100 if wide else 90),
        st.integers(0, 3),
    )


@st.composite
def stable_pools(draw: st.DrawFn, shape: str) -> dict[str, Any]:
    """A :func:`stable_pool_states` pool and a trade on it: ``i``, ``j``, ``dx``. All-18-decimal
    pools pass their rates as None (the default) now and then."""
    pool = draw(stable_pool_states(shape))
    i, j = draw(st.permutations(range(len(pool["balances"]))))[:2]
    dx = draw(trade_sizes(pool["balances"][i], wide=shape == "wide"))
    if set(pool["rates"]) == {E18} and draw(st.booleans()):
        pool["rates"] = None
    return {**pool, "i": i, "j": j, "dx": dx}
