"""The Uniswap V2/V3 ABI the pool sync speaks: the event topics it follows, the view functions
it reads pools with, the V3 tick range, and the helpers that decode (and encode) 32-byte ABI
words. A short or malformed payload raises MalformedMarketDataError."""

from __future__ import annotations

from collections.abc import Iterable

from zippifi.errors import MalformedMarketDataError
from zippifi.sign import keccak256, to_checksum_address

# event topics
PAIR_CREATED = keccak256(b"PairCreated(address,address,address,uint256)")
POOL_CREATED = keccak256(b"PoolCreated(address,address,uint24,int24,address)")
V2_SYNC = keccak256(b"Sync(uint112,uint112)")
V3_INITIALIZE = keccak256(b"Initialize(uint160,int24)")
V3_SWAP = keccak256(b"Swap(address,address,int256,int256,uint160,uint128,int24)")
V3_MINT = keccak256(b"Mint(address,address,int24,int24,uint128,uint256,uint256)")
V3_BURN = keccak256(b"Burn(address,int24,int24,uint128,uint256,uint256)")
TOPICS = (PAIR_CREATED, POOL_CREATED, V2_SYNC, V3_INITIALIZE, V3_SWAP, V3_MINT, V3_BURN)

# view functions
GET_RESERVES = keccak256(b"getReserves()")[:4]
SLOT0 = keccak256(b"slot0()")[:4]
LIQUIDITY = keccak256(b"liquidity()")[:4]
TICK_BITMAP = keccak256(b"tickBitmap(int16)")[:4]
TICKS = keccak256(b"ticks(int24)")[:4]

MIN_TICK = -887272
MAX_TICK = 887272
U112 = 2**112
_U256 = 2**256
_SIGN_BIT = 2**255


def _word(data: bytes, i: int) -> int:
    return int.from_bytes(data[32 * i : 32 * i + 32], "big")


def _signed(value: int) -> int:
    return value - _U256 if value >= _SIGN_BIT else value


def _int_arg(value: int) -> bytes:
    return (value % _U256).to_bytes(32, "big")


def _need(data: bytes, size: int, what: str, where: str) -> None:
    if len(data) < size:
        raise MalformedMarketDataError(
            f"{what} from {where}: expected at least {size} bytes, got {len(data)} (0x{data.hex()})"
        )


def _topic_address(topic: bytes) -> str:
    return to_checksum_address(topic[12:32])


def bitmap_words(tick_spacing: int) -> range:
    """Every tickBitmap word position a pool with this tick spacing can use."""
    return range((MIN_TICK // tick_spacing) >> 8, ((MAX_TICK // tick_spacing) >> 8) + 1)


def _bits(word: int) -> Iterable[int]:
    while word:
        low = word & -word
        yield low.bit_length() - 1
        word ^= low


__all__ = [
    "GET_RESERVES",
    "LIQUIDITY",
    "MAX_TICK",
    "MIN_TICK",
    "PAIR_CREATED",
    "POOL_CREATED",
    "SLOT0",
    "TICKS",
    "TICK_BITMAP",
    "TOPICS",
    "U112",
    "V2_SYNC",
    "V3_BURN",
    "V3_INITIALIZE",
    "V3_MINT",
    "V3_SWAP",
    "bitmap_words",
]
