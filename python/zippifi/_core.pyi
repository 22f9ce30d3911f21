"""Stubs of the Rust extension module, checked by ``python -m mypy.stubtest zippifi._core``."""

from collections.abc import Iterable, Sequence
from typing import Any, Self, final

import numpy as np
import numpy.typing as npt
from eth_typing import ChecksumAddress
from typing_extensions import Buffer, disjoint_base

from zippifi.errors import InvalidInputError, ZippiRuntimeError

__all__ = [
    "MAX_SQRT_RATIO",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MIN_TICK",
    "AmmRevertError",
    "CorruptGraphError",
    "Cycle",
    "Fill",
    "InvalidAmmInputError",
    "InvalidKeyError",
    "InvalidOrderBookError",
    "InvalidRawTransactionError",
    "InvalidRouteInputError",
    "InvalidSignatureError",
    "InvalidTransactionError",
    "InvalidTypedDataError",
    "KernelPanicError",
    "OrderBook",
    "PoolGraph",
    "Route",
    "SignedMessage",
    "SignedTransaction",
    "Signer",
    "SplitRoute",
    "UnsupportedTransactionTypeError",
    "V3Pool",
    "V3SwapResult",
    "__version__",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
    "hash_typed_data",
    "keccak256",
    "recover_message",
    "recover_transaction",
    "sign_transactions",
    "stable_get_dy",
    "to_checksum_address",
    "v2_amount_in",
    "v2_amount_out",
    "v2_amount_out_many",
]

__version__: str

_Levels = Buffer | npt.NDArray[np.float64]

class InvalidTransactionError(InvalidInputError): ...
class UnsupportedTransactionTypeError(InvalidTransactionError): ...
class InvalidKeyError(InvalidInputError): ...
class InvalidSignatureError(InvalidInputError): ...
class InvalidTypedDataError(InvalidInputError): ...
class InvalidRawTransactionError(InvalidInputError): ...
class InvalidAmmInputError(InvalidInputError): ...
class AmmRevertError(InvalidInputError): ...
class InvalidOrderBookError(InvalidInputError): ...
class InvalidRouteInputError(InvalidInputError): ...
class CorruptGraphError(InvalidInputError): ...
class KernelPanicError(ZippiRuntimeError): ...

@final
class SignedTransaction:
    @property
    def raw_transaction(self) -> bytes: ...
    @property
    def hash(self) -> bytes: ...
    @property
    def r(self) -> int: ...
    @property
    def s(self) -> int: ...
    @property
    def v(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class SignedMessage:
    @property
    def message_hash(self) -> bytes: ...
    @property
    def signature(self) -> bytes: ...
    @property
    def r(self) -> int: ...
    @property
    def s(self) -> int: ...
    @property
    def v(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...

@disjoint_base
class Signer:
    def __new__(cls, private_key: bytes | bytearray | str) -> Signer: ...
    @property
    def address(self) -> ChecksumAddress: ...
    def sign_transaction(self, tx: dict[str, Any]) -> SignedTransaction: ...
    def sign_transactions(self, txs: Iterable[dict[str, Any]]) -> list[SignedTransaction]: ...
    def sign_message(self, message: bytes | bytearray | str) -> SignedMessage: ...
    def sign_typed_data(self, full_message: dict[str, Any]) -> SignedMessage: ...

def sign_transactions(
    keys: Iterable[bytes | bytearray | str], txs: Iterable[dict[str, Any]]
) -> list[SignedTransaction]: ...
def recover_transaction(raw_transaction: bytes | str) -> ChecksumAddress: ...
def recover_message(
    message: bytes | bytearray | str, signature: bytes | str
) -> ChecksumAddress: ...
def keccak256(data: bytes) -> bytes: ...
def hash_typed_data(full_message: dict[str, Any]) -> bytes: ...
def to_checksum_address(address: str | bytes) -> ChecksumAddress: ...

# --- AMM kernels -----------------------------------------------------------------------------

def v2_amount_out(
    amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int | None = None
) -> int: ...
def v2_amount_in(
    amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int | None = None
) -> int: ...
def v2_amount_out_many(
    amounts_in: int | Iterable[int],
    reserves_in: int | Iterable[int],
    reserves_out: int | Iterable[int],
    fee_bps: int | None = None,
) -> list[int]: ...
def stable_get_dy(
    i: int,
    j: int,
    dx: int,
    balances: Sequence[int],
    amp: int,
    fee: int,
    rates: Sequence[int] | None = None,
) -> int: ...

@final
class Fill:
    @property
    def filled(self) -> float: ...
    @property
    def cost(self) -> float: ...
    @property
    def average_price(self) -> float: ...
    @property
    def worst_price(self) -> float: ...
    @property
    def levels(self) -> int: ...
    @property
    def slippage_bps(self) -> float: ...
    def __eq__(self, value: object, /) -> bool: ...

@disjoint_base
class OrderBook:
    def __new__(cls, bids: _Levels, asks: _Levels) -> Self: ...
    @property
    def mid(self) -> float | None: ...
    def fill(self, side: str, quantity: float) -> Fill: ...
    def _fill_many_raw(
        self, side: str, quantities: _Levels
    ) -> tuple[bytes, bytes, bytes, bytes, bytes, bytes]: ...
    def depth(self, side: str, bps: float) -> float: ...

MIN_TICK: int
MAX_TICK: int
MIN_SQRT_RATIO: int
MAX_SQRT_RATIO: int

def get_sqrt_ratio_at_tick(tick: int) -> int: ...
def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int: ...

@final
class V3SwapResult:
    @property
    def amount0(self) -> int: ...
    @property
    def amount1(self) -> int: ...
    @property
    def sqrt_price_x96(self) -> int: ...
    @property
    def tick(self) -> int: ...
    @property
    def liquidity(self) -> int: ...
    @property
    def ticks_crossed(self) -> int: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class V3Pool:
    def __new__(
        cls,
        sqrt_price_x96: int,
        tick: int,
        liquidity: int,
        fee: int,
        tick_spacing: int,
        ticks: dict[int, int],
    ) -> V3Pool: ...
    @property
    def sqrt_price_x96(self) -> int: ...
    @property
    def tick(self) -> int: ...
    @property
    def liquidity(self) -> int: ...
    @property
    def fee(self) -> int: ...
    @property
    def tick_spacing(self) -> int: ...
    @property
    def ticks(self) -> dict[int, int]: ...
    def swap(
        self, zero_for_one: bool, amount_specified: int, sqrt_price_limit_x96: int | None = None
    ) -> V3SwapResult: ...
    def apply(self, result: V3SwapResult) -> None: ...
    def quote_many(self, zero_for_one: bool, amounts_in: Iterable[int]) -> list[int]: ...

_Address = str | bytes
_GasModel = dict[str, int]

@final
class Route:
    @property
    def pools(self) -> list[ChecksumAddress]: ...
    @property
    def tokens(self) -> list[ChecksumAddress]: ...
    @property
    def amounts(self) -> list[int]: ...
    @property
    def amount_in(self) -> int: ...
    @property
    def amount_out(self) -> int: ...
    @property
    def gas_estimate(self) -> int: ...
    @property
    def gas_cost(self) -> int: ...
    @property
    def amount_out_net(self) -> int: ...
    @property
    def ticks_crossed(self) -> list[int]: ...
    @property
    def hops(self) -> int: ...
    def __len__(self) -> int: ...

@final
class SplitRoute:
    @property
    def routes(self) -> list[Route]: ...
    @property
    def amount_in(self) -> int: ...
    @property
    def amount_out(self) -> int: ...
    @property
    def gas_estimate(self) -> int: ...
    @property
    def gas_cost(self) -> int: ...
    @property
    def amount_out_net(self) -> int: ...

@final
class Cycle:
    @property
    def pools(self) -> list[ChecksumAddress]: ...
    @property
    def tokens(self) -> list[ChecksumAddress]: ...
    @property
    def amounts(self) -> list[int]: ...
    @property
    def amount_in(self) -> int: ...
    @property
    def amount_out(self) -> int: ...
    @property
    def profit(self) -> int: ...
    @property
    def profit_net(self) -> int: ...
    @property
    def gas_estimate(self) -> int: ...
    @property
    def gas_cost(self) -> int: ...
    @property
    def ticks_crossed(self) -> list[int]: ...

@disjoint_base
class PoolGraph:
    def __new__(cls, wrapped_native: _Address | None = None) -> Self: ...
    def __len__(self) -> int: ...
    def __contains__(self, address: _Address, /) -> bool: ...
    @property
    def token_count(self) -> int: ...
    @property
    def wrapped_native(self) -> ChecksumAddress | None: ...
    @property
    def gas_model(self) -> _GasModel: ...
    @gas_model.setter
    def gas_model(self, model: _GasModel) -> None: ...
    def pool_addresses(self) -> list[ChecksumAddress]: ...
    def set_token(
        self, address: _Address, decimals: int | None = None, fee_on_transfer: bool | None = None
    ) -> None: ...
    def add_v2_pool(
        self,
        address: _Address,
        token0: _Address,
        token1: _Address,
        reserve0: int,
        reserve1: int,
        fee_bps: int | None = None,
    ) -> None: ...
    def add_v3_pool(
        self,
        address: _Address,
        token0: _Address,
        token1: _Address,
        sqrt_price_x96: int,
        tick: int,
        liquidity: int,
        fee: int,
        tick_spacing: int,
        ticks: dict[int, int],
    ) -> None: ...
    def add_stable_pool(
        self,
        address: _Address,
        tokens: Sequence[_Address],
        balances: Sequence[int],
        amp: int,
        fee: int,
        rates: Sequence[int] | None = None,
    ) -> None: ...
    def update_v2_reserves(self, address: _Address, reserve0: int, reserve1: int) -> None: ...
    def update_v3_state(
        self, address: _Address, sqrt_price_x96: int, tick: int, liquidity: int
    ) -> None: ...
    def update_v3_ticks(self, address: _Address, deltas: dict[int, int | None]) -> None: ...
    def update_v3_position(
        self, address: _Address, tick_lower: int, tick_upper: int, liquidity_delta: int
    ) -> None: ...
    def update_stable_balances(self, address: _Address, balances: Sequence[int]) -> None: ...
    def remove_pool(self, address: _Address) -> None: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> PoolGraph: ...
    def best_route(
        self,
        token_in: _Address,
        token_out: _Address,
        amount_in: int,
        max_hops: int | None = None,
        gas_price_wei: int | None = None,
        gas_model: _GasModel | None = None,
        allow_fee_on_transfer: bool | None = None,
    ) -> Route: ...
    def best_route_exhaustive(
        self,
        token_in: _Address,
        token_out: _Address,
        amount_in: int,
        max_hops: int | None = None,
        gas_price_wei: int | None = None,
        gas_model: _GasModel | None = None,
        allow_fee_on_transfer: bool | None = None,
    ) -> Route: ...
    def best_route_exact_out(
        self,
        token_in: _Address,
        token_out: _Address,
        amount_out: int,
        max_hops: int | None = None,
        gas_price_wei: int | None = None,
        gas_model: _GasModel | None = None,
        allow_fee_on_transfer: bool | None = None,
    ) -> Route: ...
    def split_route(
        self,
        token_in: _Address,
        token_out: _Address,
        amount_in: int,
        max_hops: int | None = None,
        max_splits: int | None = None,
        gas_price_wei: int | None = None,
        gas_model: _GasModel | None = None,
        allow_fee_on_transfer: bool | None = None,
    ) -> SplitRoute: ...
    def arbitrage_cycles(
        self,
        start_token: _Address,
        max_hops: int | None = None,
        gas_price_wei: int | None = None,
        min_profit: int | None = None,
        gas_model: _GasModel | None = None,
        allow_fee_on_transfer: bool | None = None,
    ) -> list[Cycle]: ...
    def arbitrage_after_update(
        self,
        pool_address: _Address,
        max_hops: int | None = None,
        gas_price_wei: int | None = None,
        min_profit: int | None = None,
        gas_model: _GasModel | None = None,
        allow_fee_on_transfer: bool | None = None,
    ) -> list[Cycle]: ...
    def best_routes(
        self,
        queries: Iterable[tuple[_Address, _Address, int]],
        max_hops: int | None = None,
        gas_price_wei: int | None = None,
        gas_model: _GasModel | None = None,
        allow_fee_on_transfer: bool | None = None,
    ) -> list[Route | None]: ...
