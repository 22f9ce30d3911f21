"""ZippiRouteExecutor plans: the route kernel's exact quotes turned into the executor's calldata.

The route kernel (``zippifi.route``) answers a quote with a :class:`~zippifi.route.Route` (one
path of pools) or a :class:`~zippifi.route.SplitRoute` (several paths that run one after
another); it does not say what kind each pool is, so the caller passes that, as it added the
pools to the graph (:class:`LegKind`, or :class:`PoolRef` for a V2-style fee other than 30 bps)::

    route = graph.split_route(weth, usdc, 50 * 10**18)
    plan = plan_route(route, {pair: LegKind.UNISWAP_V2, pool: LegKind.UNISWAP_V3})
    min_out = max(oracle_bound, plan.amount_out * 995 // 1000)  # the caller's tolerance
    swap = plan.vault_swap(executor_address, min_out)
    calldata = swap_exact_in_calldata(swap, deadline)  # zippifi.chain.vault; or swapBatch

On chain each path starts with its quoted input; every later leg takes what the leg before it
really delivered, a V2-style leg priced at the pair's reserves of that moment exactly as
UniswapV2Library does, a V3 leg as an exact-input swap with no price limit that must absorb its
whole input. On the state the kernel quoted from, every amount is the kernel's (the tests check
it against the real Uniswap contracts). The vault then checks what arrived against its own
``minOut``.

StableSwap pools have no leg kind: there is no Curve pool to run against here, so a route through
one is refused (:class:`~zippifi.errors.InvalidInputError`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_typing import ChecksumAddress

from zippifi.chain.vault import VaultSwap
from zippifi.errors import InvalidInputError
from zippifi.route import Route, SplitRoute
from zippifi.sign import keccak256, to_checksum_address

__all__ = [
    "EXECUTOR",
    "MAX_AMOUNT",
    "ExecutorLeg",
    "ExecutorPath",
    "ExecutorPlan",
    "LegKind",
    "PoolRef",
    "decode_route",
    "plan_route",
]

EXECUTOR = "ZippiRouteExecutor"  # the artifact
MAX_AMOUNT = 2**128 - 1  # a path's input is encoded in 16 bytes
V2_FEE_BPS = 30  # Uniswap V2 and ZippiPair take 0.3% of the input
_LEG_BYTES = 43
_PATH_HEADER_BYTES = 17
_EXECUTE_SELECTOR = keccak256(b"execute(bytes)")[:4]


class LegKind(IntEnum):
    """How the executor calls a pool (the ``kind`` bits of a leg's flags)."""

    UNISWAP_V2 = 0  # pay the pair, then swap(amount0Out, amount1Out, to, "")
    UNISWAP_V3 = 1  # swap(recipient, zeroForOne, exactIn, no limit, ""), paid in the callback
    ZIPPI_PAIR = 2  # pay the pair, then swap(amount0Out, amount1Out, to)


@dataclass(frozen=True)
class PoolRef:
    """A pool's kind and, for a V2-style pair, its fee on input in basis points (the
    ``fee_bps`` it was added to the graph with; Uniswap V2 and ZippiPair: 30)."""

    kind: LegKind
    fee_bps: int = V2_FEE_BPS

    def __post_init__(self) -> None:
        kind = LegKind(self.kind)
        object.__setattr__(self, "kind", kind)
        if kind == LegKind.UNISWAP_V3:
            object.__setattr__(self, "fee_bps", 0)  # a V3 pool knows its own fee
        elif not 0 <= self.fee_bps < 10_000:
            raise InvalidInputError(f"fee_bps must be in 0..9999, got {self.fee_bps!r}")


@dataclass(frozen=True)
class ExecutorLeg:
    """One pool of a path. ``amount_in``/``amount_out`` are the kernel's quote (informational:
    on chain a leg takes what the one before delivered); ``zero_for_one`` is true when the
    input is the pool's token0 (the lower address)."""

    kind: LegKind
    pool: ChecksumAddress
    token_in: ChecksumAddress
    token_out: ChecksumAddress
    zero_for_one: bool
    fee_bps: int
    amount_in: int
    amount_out: int


@dataclass(frozen=True)
class ExecutorPath:
    """One path of a plan: its input (the kernel's, sent from the executor's balance) and its
    legs in order; the last leg pays the vault."""

    amount_in: int
    legs: tuple[ExecutorLeg, ...]

    @property
    def amount_out(self) -> int:
        """The quoted output of the path's last leg."""
        return self.legs[-1].amount_out


@dataclass(frozen=True)
class ExecutorPlan:
    """A route for ZippiRouteExecutor.execute: paths run in order (a split's paths share pool
    state exactly as the kernel simulated them)."""

    paths: tuple[ExecutorPath, ...]

    @property
    def token_in(self) -> ChecksumAddress:
        return self.paths[0].legs[0].token_in

    @property
    def token_out(self) -> ChecksumAddress:
        return self.paths[0].legs[-1].token_out

    @property
    def amount_in(self) -> int:
        """What the vault must push to the executor: the sum of the paths' inputs."""
        return sum(p.amount_in for p in self.paths)

    @property
    def amount_out(self) -> int:
        """The kernel's quoted total output."""
        return sum(p.amount_out for p in self.paths)

    def encode(self) -> bytes:
        """The packed route ``execute(bytes route)`` takes (layout in ZippiRouteExecutor.sol)."""
        out = bytearray([len(self.paths)])
        for path in self.paths:
            out.append(len(path.legs))
            out += path.amount_in.to_bytes(16, "big")
            for leg in path.legs:
                out.append(int(leg.kind) | (0x80 if leg.zero_for_one else 0))
                out += leg.fee_bps.to_bytes(2, "big")
                out += bytes.fromhex(leg.pool[2:])
                out += bytes.fromhex(leg.token_in[2:])
        return bytes(out)

    def calldata(self) -> bytes:
        """``execute(bytes)`` calldata: the ``data`` a vault swap hands the executor."""
        return _EXECUTE_SELECTOR + abi_encode(["bytes"], [self.encode()])

    def vault_swap(self, executor: str, min_out: int) -> VaultSwap:
        """The vault swap (swapExactIn's arguments, or one element of swapBatch) that pushes
        :attr:`amount_in` to ``executor`` and requires ``min_out`` back. ``min_out`` is the
        caller's: at least the vault's oracle bound, and typically the quote less a tolerance."""
        return VaultSwap(
            target=executor,
            token_in=self.token_in,
            token_out=self.token_out,
            amount_in=self.amount_in,
            min_out=min_out,
            data=self.calldata(),
        )


def _pool_ref(pools: Mapping[str, LegKind | PoolRef], address: str) -> PoolRef:
    ref = pools.get(address)
    if ref is None:
        ref = pools.get(address.lower())
    if ref is None:
        raise InvalidInputError(
            f"pool {address} has no kind: pass it in `pools` (LegKind or PoolRef); "
            "StableSwap pools cannot be executed"
        )
    return ref if isinstance(ref, PoolRef) else PoolRef(LegKind(ref))


def _path(route: Route, pools: Mapping[str, LegKind | PoolRef]) -> ExecutorPath:
    hops = len(route.pools)
    if hops == 0 or hops > 255:
        raise InvalidInputError(f"a path has 1..255 pools, got {hops}")
    tokens = [to_checksum_address(t) for t in route.tokens]
    amounts = [int(a) for a in route.amounts]
    if len(tokens) != hops + 1 or len(amounts) != hops + 1:
        raise InvalidInputError(f"a route of {hops} pools needs {hops + 1} tokens and amounts")
    if not 0 < amounts[0] <= MAX_AMOUNT:
        raise InvalidInputError(f"a path's input must be in 1..2**128-1, got {amounts[0]}")
    legs = []
    for k, pool in enumerate(route.pools):
        address = to_checksum_address(pool)
        ref = _pool_ref(pools, address)
        legs.append(
            ExecutorLeg(
                kind=ref.kind,
                pool=address,
                token_in=tokens[k],
                token_out=tokens[k + 1],
                zero_for_one=int(tokens[k], 16) < int(tokens[k + 1], 16),
                fee_bps=ref.fee_bps,
                amount_in=amounts[k],
                amount_out=amounts[k + 1],
            )
        )
    return ExecutorPath(amount_in=amounts[0], legs=tuple(legs))


def plan_route(route: Route | SplitRoute, pools: Mapping[str, LegKind | PoolRef]) -> ExecutorPlan:
    """The executor plan of a kernel answer: a Route is one path, a SplitRoute's routes are
    its paths in the kernel's order. ``pools`` gives every pool's kind (keys: addresses,
    checksummed or lower case). Raises InvalidInputError for a pool without a kind, amounts
    beyond 2**128-1, or more than 255 paths or pools per path."""
    routes: Sequence[Route] = route.routes if isinstance(route, SplitRoute) else [route]
    paths = tuple(_path(r, pools) for r in routes)
    if not paths or len(paths) > 255:
        raise InvalidInputError(f"a plan has 1..255 paths, got {len(paths)}")
    start, end = paths[0].legs[0].token_in, paths[0].legs[-1].token_out
    for p in paths:
        if p.legs[0].token_in != start or p.legs[-1].token_out != end:
            raise InvalidInputError(f"every path must run {start} -> {end}")
    return ExecutorPlan(paths)


def decode_route(data: bytes) -> ExecutorPlan:
    """The plan an ``execute(bytes)`` calldata or a packed route encodes (quoted amounts and
    token_out are unknown there: each leg's amounts are 0 and token_out is the next leg's
    token_in, or the zero address after a path's last leg). For inspection and tests."""
    if data[:4] == _EXECUTE_SELECTOR:
        (data,) = abi_decode(["bytes"], data[4:])
    if not data:
        raise InvalidInputError("empty route")
    zero = to_checksum_address("0x" + "00" * 20)
    off, paths = 1, []
    for _ in range(data[0]):
        n_legs, amount = data[off], int.from_bytes(data[off + 1 : off + _PATH_HEADER_BYTES], "big")
        off += _PATH_HEADER_BYTES
        raw = []
        for _ in range(n_legs):
            leg = data[off : off + _LEG_BYTES]
            if len(leg) != _LEG_BYTES:
                raise InvalidInputError(f"route truncated at byte {off}")
            raw.append(
                (
                    LegKind(leg[0] & 0x7F),
                    bool(leg[0] & 0x80),
                    int.from_bytes(leg[1:3], "big"),
                    to_checksum_address(leg[3:23]),
                    to_checksum_address(leg[23:43]),
                )
            )
            off += _LEG_BYTES
        outs = [leg[4] for leg in raw[1:]] + [zero]
        legs = tuple(
            ExecutorLeg(kind, pool, tin, out, zf1, fee, 0, 0)
            for (kind, zf1, fee, pool, tin), out in zip(raw, outs, strict=True)
        )
        paths.append(ExecutorPath(amount_in=amount, legs=legs))
    if off != len(data):
        raise InvalidInputError(f"{len(data) - off} bytes after the last path")
    return ExecutorPlan(tuple(paths))
