"""Fees and gas limits: EIP-1559 fees from eth_feeHistory percentiles by urgency, legacy gas
prices, estimates with a margin, a configured ceiling, and the bump a replacement needs.

The pure functions here do the arithmetic (ints throughout, rounding up so a bump is never
short by one wei); :class:`GasOracle` asks the chain for the inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from zippifi.chain.adapter import ChainAdapter
from zippifi.chain.types import FeeHistory
from zippifi.domain import UnsignedTx
from zippifi.errors import FeeCeilingError, InvalidInputError

Urgency = Literal["low", "normal", "high", "urgent"]
# priority fee: this percentile of recent blocks' rewards
URGENCY_PERCENTILE: dict[str, float] = {"low": 10.0, "normal": 50.0, "high": 75.0, "urgent": 90.0}
# max fee = next base fee x this + tip: room for base fee rises of 12.5% a block (2x is ~6 full
# blocks in a row) before the transaction stops being includable
URGENCY_BASE_MULTIPLIER: dict[str, int] = {"low": 1, "normal": 2, "high": 2, "urgent": 3}
# legacy gas price = node's eth_gasPrice x (100 + this) / 100
URGENCY_LEGACY_PERCENT: dict[str, int] = {"low": 0, "normal": 10, "high": 25, "urgent": 50}
REPLACEMENT_BUMP_PERCENT = 10  # geth's txpool.pricebump default: both fees must rise >= 10%
FEE_HISTORY_BLOCKS = 10


def _urgency(urgency: str) -> str:
    if urgency not in URGENCY_PERCENTILE:
        raise InvalidInputError(
            f"urgency must be one of {sorted(URGENCY_PERCENTILE)}, got {urgency!r}"
        )
    return urgency


def _non_negative(value: int, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInputError(f"{name} must be an int >= 0, got {value!r}")
    return value


def ceil_percent(value: int, percent: int) -> int:
    """ceil(value x (100 + percent) / 100), exactly."""
    return -((-value * (100 + percent)) // 100)


@dataclass(frozen=True, slots=True)
class Eip1559Fees:
    max_fee_per_gas: int
    max_priority_fee_per_gas: int

    def __post_init__(self) -> None:
        _non_negative(self.max_fee_per_gas, "max_fee_per_gas")
        _non_negative(self.max_priority_fee_per_gas, "max_priority_fee_per_gas")
        if self.max_priority_fee_per_gas > self.max_fee_per_gas:
            raise InvalidInputError(
                f"max_priority_fee_per_gas {self.max_priority_fee_per_gas} exceeds "
                f"max_fee_per_gas {self.max_fee_per_gas}"
            )

    def tx_fields(self) -> dict[str, Any]:
        return {"type": 2, "maxFeePerGas": self.max_fee_per_gas,
                "maxPriorityFeePerGas": self.max_priority_fee_per_gas}  # fmt: skip

    @property
    def max_price(self) -> int:
        return self.max_fee_per_gas


@dataclass(frozen=True, slots=True)
class LegacyFees:
    gas_price: int

    def __post_init__(self) -> None:
        _non_negative(self.gas_price, "gas_price")

    def tx_fields(self) -> dict[str, Any]:
        return {"gasPrice": self.gas_price}

    @property
    def max_price(self) -> int:
        return self.gas_price


Fees = Eip1559Fees | LegacyFees


@dataclass(frozen=True, slots=True)
class FeeCeiling:
    """Never offer more than these (wei per gas); None: no limit."""

    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None


def fee_args(fees: Fees) -> dict[str, int]:
    """The fee fields of an :class:`~zippifi.domain.UnsignedTx` for ``fees``."""
    if isinstance(fees, LegacyFees):
        return {"gas_price": fees.gas_price}
    return {"max_fee_per_gas": fees.max_fee_per_gas,
            "max_priority_fee_per_gas": fees.max_priority_fee_per_gas}  # fmt: skip


def with_fees(tx: UnsignedTx, fees: Fees) -> UnsignedTx:
    """``tx`` at other fees (a replacement)."""
    return UnsignedTx(chain_id=tx.chain_id, nonce=tx.nonce, to=tx.to, value=tx.value,
                      data=tx.data, gas=tx.gas, **fee_args(fees))  # fmt: skip


def fees_of_tx(tx: UnsignedTx) -> Fees:
    """The fees an unsigned transaction carries."""
    if tx.gas_price is not None:
        return LegacyFees(tx.gas_price)
    return Eip1559Fees(tx.max_fee_per_gas or 0, tx.max_priority_fee_per_gas or 0)


def fees_of(tx: Mapping[str, Any]) -> Fees:
    """The fees a transaction dict carries."""
    if "maxFeePerGas" in tx:
        return Eip1559Fees(int(tx["maxFeePerGas"]), int(tx["maxPriorityFeePerGas"]))
    if "gasPrice" in tx:
        return LegacyFees(int(tx["gasPrice"]))
    raise InvalidInputError("transaction has neither maxFeePerGas nor gasPrice")


def next_base_fee(parent_base_fee: int, gas_used: int, gas_limit: int) -> int:
    """EIP-1559's base fee of the block after a parent with these numbers (elasticity 2,
    max change 1/8 per block)."""
    _non_negative(parent_base_fee, "parent_base_fee")
    _non_negative(gas_used, "gas_used")
    if gas_limit < 2:
        raise InvalidInputError(f"gas_limit must be >= 2, got {gas_limit}")
    target = gas_limit // 2
    if gas_used == target:
        return parent_base_fee
    if gas_used > target:
        delta = max(parent_base_fee * (gas_used - target) // target // 8, 1)
        return parent_base_fee + delta
    delta = parent_base_fee * (target - gas_used) // target // 8
    return parent_base_fee - delta


def priority_fee_from_history(history: FeeHistory, column: int, *, floor: int = 0) -> int:
    """The median over recent non-empty blocks of the rewards in percentile column ``column``;
    ``floor`` when no block paid any (a quiet chain, a dev node)."""
    samples = sorted(
        row[column]
        for row, ratio in zip(history.reward, history.gas_used_ratio, strict=False)
        if len(row) > column and ratio > 0
    )
    if not samples:
        return floor
    middle = len(samples) // 2
    median = samples[middle] if len(samples) % 2 else (samples[middle - 1] + samples[middle]) // 2
    return max(median, floor)


def apply_ceiling(fees: Fees, ceiling: FeeCeiling, *, base_fee: int | None) -> Fees:
    """Clamp fees to the ceiling; FeeCeilingError if the clamped offer cannot be included
    now (below the next block's base fee)."""
    if isinstance(fees, LegacyFees):
        cap = ceiling.max_fee_per_gas
        if cap is not None and fees.gas_price > cap:
            if base_fee is not None and cap < base_fee:
                raise FeeCeilingError(f"base fee {base_fee} wei exceeds the ceiling {cap} wei")
            return LegacyFees(cap)
        return fees
    tip, max_fee = fees.max_priority_fee_per_gas, fees.max_fee_per_gas
    if ceiling.max_priority_fee_per_gas is not None:
        tip = min(tip, ceiling.max_priority_fee_per_gas)
    if ceiling.max_fee_per_gas is not None:
        if base_fee is not None and ceiling.max_fee_per_gas < base_fee:
            raise FeeCeilingError(
                f"next base fee {base_fee} wei exceeds the max_fee_per_gas ceiling "
                f"{ceiling.max_fee_per_gas} wei"
            )
        max_fee = min(max_fee, ceiling.max_fee_per_gas)
    return Eip1559Fees(max_fee, min(tip, max_fee))


def suggest_eip1559(
    history: FeeHistory,
    urgency: Urgency,
    *,
    percentiles: Sequence[float],
    ceiling: FeeCeiling = FeeCeiling(),
    min_priority_fee: int = 0,
    base_fee: int | None = None,
) -> Eip1559Fees:
    """Fees from a fee history requested with ``percentiles`` (which must include the
    urgency's): tip = median reward at that percentile, max fee = base x multiplier + tip."""
    key = _urgency(urgency)
    try:
        column = list(percentiles).index(URGENCY_PERCENTILE[key])
    except ValueError:
        raise InvalidInputError(
            f"fee history percentiles {list(percentiles)} lack {URGENCY_PERCENTILE[key]}"
        ) from None
    base = history.next_base_fee if history.base_fee_per_gas else base_fee
    if base is None:
        raise InvalidInputError("fee history has no base fee and none was given")
    tip = priority_fee_from_history(history, column, floor=min_priority_fee)
    fees = Eip1559Fees(base * URGENCY_BASE_MULTIPLIER[key] + tip, tip)
    result = apply_ceiling(fees, ceiling, base_fee=base)
    assert isinstance(result, Eip1559Fees)
    return result


def suggest_legacy(gas_price: int, urgency: Urgency, ceiling: FeeCeiling = FeeCeiling()) -> Fees:
    key = _urgency(urgency)
    price = ceil_percent(_non_negative(gas_price, "gas_price"), URGENCY_LEGACY_PERCENT[key])
    return apply_ceiling(LegacyFees(price), ceiling, base_fee=None)


def bump(
    old: Fees,
    *,
    percent: int = REPLACEMENT_BUMP_PERCENT,
    current: Fees | None = None,
    ceiling: FeeCeiling = FeeCeiling(),
) -> Fees:
    """Fees for a replacement of a transaction that offered ``old``: every fee raised by at
    least ``percent`` (rounded up, and by at least 1 wei), and not below what the network
    asks ``current``ly. FeeCeilingError if the ceiling forbids a valid replacement."""
    if percent < REPLACEMENT_BUMP_PERCENT:
        raise InvalidInputError(
            f"a replacement needs a bump of >= {REPLACEMENT_BUMP_PERCENT}%, got {percent}%"
        )

    def up(value: int) -> int:
        return max(ceil_percent(value, percent), value + 1)

    if isinstance(old, LegacyFees):
        price = up(old.gas_price)
        if current is not None:
            price = max(price, current.max_price)
        cap = ceiling.max_fee_per_gas
        if cap is not None and price > cap:
            raise FeeCeilingError(f"replacement gas price {price} wei exceeds the ceiling {cap}")
        return LegacyFees(price)
    tip = up(old.max_priority_fee_per_gas)
    max_fee = up(old.max_fee_per_gas)
    if isinstance(current, Eip1559Fees):
        tip = max(tip, current.max_priority_fee_per_gas)
        max_fee = max(max_fee, current.max_fee_per_gas)
    max_fee = max(max_fee, tip)
    for name, value, cap in (
        ("max_fee_per_gas", max_fee, ceiling.max_fee_per_gas),
        ("max_priority_fee_per_gas", tip, ceiling.max_priority_fee_per_gas),
    ):
        if cap is not None and value > cap:
            raise FeeCeilingError(f"replacement {name} {value} wei exceeds the ceiling {cap}")
    return Eip1559Fees(max_fee, tip)


def is_valid_replacement(old: Fees, new: Fees, percent: int = REPLACEMENT_BUMP_PERCENT) -> bool:
    """geth's rule: a replacement raises every fee by at least ``percent``."""
    if isinstance(old, LegacyFees) or isinstance(new, LegacyFees):
        return new.max_price * 100 >= old.max_price * (100 + percent)
    return new.max_fee_per_gas * 100 >= old.max_fee_per_gas * (
        100 + percent
    ) and new.max_priority_fee_per_gas * 100 >= old.max_priority_fee_per_gas * (100 + percent)


def with_margin(estimate: int, percent: int, *, cap: int | None = None) -> int:
    """A gas limit: the estimate plus ``percent`` (rounded up), never above ``cap`` (the
    block gas limit)."""
    _non_negative(estimate, "gas estimate")
    _non_negative(percent, "gas margin percent")
    limit = ceil_percent(estimate, percent)
    return limit if cap is None else min(limit, max(cap, estimate))


class GasOracle:
    """Fees and gas limits for one chain, from the chain's own numbers."""

    def __init__(self, adapter: ChainAdapter, *, min_priority_fee: int = 0) -> None:
        self.adapter = adapter
        config = adapter.config
        self.ceiling = FeeCeiling(config.max_fee_per_gas, config.max_priority_fee_per_gas)
        self.margin_percent = config.gas_margin_percent
        self.min_priority_fee = min_priority_fee

    async def fees(self, urgency: Urgency = "normal") -> Fees:
        if not self.adapter.config.eip1559:
            return suggest_legacy(await self.adapter.gas_price(), urgency, self.ceiling)
        percentiles = sorted(set(URGENCY_PERCENTILE.values()))
        history = await self.adapter.fee_history(FEE_HISTORY_BLOCKS, "latest", percentiles)
        base: int | None = None
        if not history.base_fee_per_gas:  # a chain with only its genesis block
            latest = await self.adapter.get_block("latest")
            if latest is None or latest.base_fee_per_gas is None:
                raise InvalidInputError(
                    f"chain {self.adapter.config.name!r} reports no base fee: set eip1559 = false"
                )
            base = next_base_fee(latest.base_fee_per_gas, latest.gas_used, latest.gas_limit)
        floor = self.min_priority_fee
        if not any(history.reward) and floor == 0:
            # no block paid a tip yet (a dev chain): ask the node's own suggestion
            floor = await self.adapter.max_priority_fee()
        return suggest_eip1559(history, urgency, percentiles=percentiles, ceiling=self.ceiling,
                               min_priority_fee=floor, base_fee=base)  # fmt: skip

    async def replacement(self, old: Fees, urgency: Urgency = "high") -> Fees:
        """Fees for a speed-up or cancel of a transaction that offered ``old``."""
        return bump(old, current=await self.fees(urgency), ceiling=self.ceiling)

    async def gas_limit(self, tx: Mapping[str, Any]) -> int:
        estimate = await self.adapter.estimate_gas(tx)
        latest = await self.adapter.get_block("latest")
        return with_margin(estimate, self.margin_percent,
                           cap=None if latest is None else latest.gas_limit)  # fmt: skip
