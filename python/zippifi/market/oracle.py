"""Oracle prices through Chainlink's AggregatorV3 interface, read with web3's AsyncWeb3.

``latestRoundData()`` / ``getRoundData(roundId)`` return ``(roundId, answer, startedAt,
updatedAt, answeredInRound)``; ``decimals()`` scales the answer. Through Chainlink's
AggregatorProxy a round id is ``(phaseId << 64) | aggregatorRoundId`` (answeredInRound alike):
each aggregator the proxy is switched to (``proposeAggregator``/``confirmAggregator``) starts
the next phase, and the rounds of earlier phases stay readable by their ids. Each round is
scaled by the decimals of its own phase's aggregator (``phaseAggregators(phaseId)``), since the
proxy's ``decimals()`` answers for the current one only; a feed without phases (ids below
2**64, or no ``phaseAggregators``) by its ``decimals()``. A round must not be used when

* ``updatedAt == 0`` -- the round was never answered (incomplete);
* ``answeredInRound < roundId`` -- the answer was carried over from an earlier round;
* ``answer <= 0`` -- no meaningful price;
* ``now - updatedAt > heartbeat`` -- the feed stopped updating (stale).

:meth:`ChainlinkFeed.latest` and :meth:`ChainlinkFeed.round` raise the matching
:class:`~zippifi.errors.OracleError` subclass (``problems`` lists every failed check);
:meth:`ChainlinkFeed.read_latest` returns the round with its problems flagged instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from web3 import AsyncWeb3

from zippifi.chain import classify
from zippifi.errors import (
    IncompleteRoundError,
    InvalidInputError,
    InvalidOracleAnswerError,
    MarketDataError,
    OracleError,
    StaleOracleError,
    TxRevertedError,
)
from zippifi.sign import to_checksum_address

UINT80_MAX = 2**80 - 1
PHASE_OFFSET = 64  # AggregatorProxy: round id = (phaseId << 64) | aggregatorRoundId

_ROUND_OUTPUTS = [
    {"name": "roundId", "type": "uint80"},
    {"name": "answer", "type": "int256"},
    {"name": "startedAt", "type": "uint256"},
    {"name": "updatedAt", "type": "uint256"},
    {"name": "answeredInRound", "type": "uint80"},
]

# The read side of Chainlink's AggregatorV3Interface.
AGGREGATOR_V3_ABI: list[dict[str, Any]] = [
    {
        "type": "function", "name": "decimals", "stateMutability": "view",
        "inputs": [], "outputs": [{"name": "", "type": "uint8"}],
    },
    {
        "type": "function", "name": "description", "stateMutability": "view",
        "inputs": [], "outputs": [{"name": "", "type": "string"}],
    },
    {
        "type": "function", "name": "version", "stateMutability": "view",
        "inputs": [], "outputs": [{"name": "", "type": "uint256"}],
    },
    {
        "type": "function", "name": "getRoundData", "stateMutability": "view",
        "inputs": [{"name": "_roundId", "type": "uint80"}], "outputs": _ROUND_OUTPUTS,
    },
    {
        "type": "function", "name": "latestRoundData", "stateMutability": "view",
        "inputs": [], "outputs": _ROUND_OUTPUTS,
    },
]  # fmt: skip

# AggregatorProxy's aggregator of a phase (zero for a phase not started)
_PHASE_AGGREGATORS_ABI: list[dict[str, Any]] = [
    {
        "type": "function", "name": "phaseAggregators", "stateMutability": "view",
        "inputs": [{"name": "phaseId", "type": "uint16"}],
        "outputs": [{"name": "", "type": "address"}],
    },
]  # fmt: skip
_ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True, slots=True)
class OracleRound:
    round_id: int
    answer: int  # raw, scaled by 10**decimals
    started_at: int  # unix seconds
    updated_at: int
    answered_in_round: int
    decimals: int

    @property
    def price(self) -> Decimal:
        """The answer as an exact decimal (``answer / 10**decimals``)."""
        # from a string: exact at any size (scaleb would round to the context's 28 digits)
        return Decimal(f"{self.answer}E-{self.decimals}")

    @property
    def updated(self) -> datetime:
        return datetime.fromtimestamp(self.updated_at, UTC)

    @property
    def phase(self) -> int:
        """The proxy's phase of this round (0 for a feed without phases)."""
        return self.round_id >> PHASE_OFFSET

    @property
    def aggregator_round_id(self) -> int:
        """The round id in its phase's aggregator."""
        return self.round_id & ((1 << PHASE_OFFSET) - 1)


@dataclass(frozen=True, slots=True)
class OracleReading:
    """A round with every check it failed (empty when it can be used)."""

    round: OracleRound
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def round_problems(
    r: OracleRound, now: float, heartbeat_s: float
) -> list[tuple[type[OracleError], str]]:
    """Each failed check as (error class, description), most fundamental first."""
    out: list[tuple[type[OracleError], str]] = []
    if r.updated_at == 0:
        out.append((IncompleteRoundError, f"round {r.round_id} is incomplete (updatedAt == 0)"))
    if r.answered_in_round < r.round_id:
        out.append(
            (
                IncompleteRoundError,
                f"round {r.round_id} was answered in earlier round {r.answered_in_round}",
            )
        )
    if r.answer <= 0:
        out.append((InvalidOracleAnswerError, f"round {r.round_id} answered {r.answer} (<= 0)"))
    if r.updated_at != 0:
        age = now - r.updated_at
        if age > heartbeat_s:
            out.append(
                (
                    StaleOracleError,
                    f"round {r.round_id} updated {age:.0f} s ago, over the {heartbeat_s:g} s "
                    "heartbeat",
                )
            )
    return out


def check_round(r: OracleRound, now: float, heartbeat_s: float) -> OracleRound:
    """``r`` if it passes every check, else the first failure's error listing all of them."""
    problems = round_problems(r, now, heartbeat_s)
    if problems:
        kind, first = problems[0]
        raise kind(first, tuple(text for _, text in problems))
    return r


class ChainlinkFeed:
    """One AggregatorV3 feed. ``clock`` gives "now" in unix seconds (wall time by default;
    tests pass the chain's block time)."""

    def __init__(
        self,
        w3: AsyncWeb3[Any],
        address: str,
        *,
        heartbeat_s: float,
        name: str = "",
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not heartbeat_s > 0:
            raise InvalidInputError(f"heartbeat_s must be > 0, got {heartbeat_s}")
        try:
            checksum = to_checksum_address(address)
        except (InvalidInputError, ValueError, TypeError):
            raise InvalidInputError(f"feed address is not an address: {address!r}") from None
        self.address = checksum
        self.heartbeat_s = heartbeat_s
        self.name = name or checksum
        self._w3 = w3
        self._contract = w3.eth.contract(
            address=checksum, abi=AGGREGATOR_V3_ABI + _PHASE_AGGREGATORS_ABI
        )
        self._clock = clock or time.time
        # a phase's aggregator never changes, nor its decimals: read once per phase
        self._phase_decimals: dict[int, int] = {}

    async def _call(self, fn: str, *args: Any, contract: Any = None) -> Any:
        target = self._contract if contract is None else contract
        try:
            return await getattr(target.functions, fn)(*args).call()
        except Exception as exc:  # the chain layer sorts reverts from transport failures
            error = classify(exc, method=f"eth_call {fn}", url="")
            at = "" if contract is None else f" (aggregator {contract.address})"
            call = f"{self.name}{at}: {fn}({', '.join(map(str, args))})"
            if isinstance(error, TxRevertedError):
                raise OracleError(f"{call} reverted: {error.reason or error}") from exc
            raise MarketDataError(f"{call} failed: {error}") from exc

    async def decimals(self) -> int:
        """The feed's decimals now (a proxy's: its current aggregator's)."""
        return int(await self._call("decimals"))

    async def _decimals_of(self, phase: int) -> int:
        """The decimals that scale rounds of ``phase``: its aggregator's, read through the
        proxy's ``phaseAggregators``; the feed's own for phase 0 or a feed without phases."""
        known = self._phase_decimals.get(phase)
        if known is not None:
            return known
        aggregator = None
        if phase > 0:
            try:
                address = str(await self._call("phaseAggregators", phase))
            except OracleError:  # reverted: not a proxy (no such function)
                address = _ZERO_ADDRESS
            if int(address, 16) != 0:
                aggregator = self._w3.eth.contract(
                    address=to_checksum_address(address), abi=AGGREGATOR_V3_ABI
                )
        value = int(await self._call("decimals", contract=aggregator))
        self._phase_decimals[phase] = value
        return value

    async def description(self) -> str:
        return str(await self._call("description"))

    async def _round(self, raw: Any) -> OracleRound:
        round_id, answer, started_at, updated_at, answered_in_round = raw
        return OracleRound(
            int(round_id), int(answer), int(started_at), int(updated_at),
            int(answered_in_round), await self._decimals_of(int(round_id) >> PHASE_OFFSET),
        )  # fmt: skip

    async def read_latest(self, now: float | None = None) -> OracleReading:
        """The latest round, its problems flagged rather than raised."""
        r = await self._round(await self._call("latestRoundData"))
        return self._reading(r, now)

    async def read_round(self, round_id: int, now: float | None = None) -> OracleReading:
        if not isinstance(round_id, int) or isinstance(round_id, bool):
            raise InvalidInputError(f"round_id must be an int, got {round_id!r}")
        if not 0 <= round_id <= UINT80_MAX:
            raise InvalidInputError(f"round_id must fit in uint80, got {round_id}")
        r = await self._round(await self._call("getRoundData", round_id))
        return self._reading(r, now)

    async def latest(self, now: float | None = None) -> OracleRound:
        """The latest round; raises an :class:`OracleError` if it must not be used."""
        reading = await self.read_latest(now)
        return check_round(reading.round, self._now(now), self.heartbeat_s)

    async def round(self, round_id: int, now: float | None = None) -> OracleRound:
        reading = await self.read_round(round_id, now)
        return check_round(reading.round, self._now(now), self.heartbeat_s)

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else now

    def _reading(self, r: OracleRound, now: float | None) -> OracleReading:
        problems = round_problems(r, self._now(now), self.heartbeat_s)
        return OracleReading(r, tuple(text for _, text in problems))


__all__ = [
    "AGGREGATOR_V3_ABI",
    "PHASE_OFFSET",
    "ChainlinkFeed",
    "OracleReading",
    "OracleRound",
    "check_round",
    "round_problems",
]
