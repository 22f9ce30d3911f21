"""UniswapV2Library.getAmountOut / getAmountIn with the fee in basis points (30 = 0.3%).

For 30 bps the library's own constants, 997 and 1000; for any other fee the fork's
``amountIn * (10000 - fee_bps)`` over 10000 (PancakeSwap compiles in 9975/10000). The quotes are
the same either way, but SafeMath's overflow bounds are not, so each form is kept as the
contract has it. Every step is checked as in the contract: an intermediate outside uint256
reverts, and so does each ``require``.
"""

from __future__ import annotations

from tests.reference import UINT256_MAX, Revert, check_uint256

BPS = 10_000


def fee_terms(fee_bps: int) -> tuple[int, int]:
    """(multiplier, scale): the library's 997 and 1000 for 30 bps, else (10000 - fee, 10000)."""
    if not 0 <= fee_bps < BPS:
        raise ValueError(f"fee_bps must be in [0, {BPS}): {fee_bps}")
    return (997, 1000) if fee_bps == 30 else (BPS - fee_bps, BPS)


def _check_inputs(amount: int, reserve_in: int, reserve_out: int) -> None:
    for name, value in (
        ("amount", amount),
        ("reserve_in", reserve_in),
        ("reserve_out", reserve_out),
    ):
        if not 0 <= value <= UINT256_MAX:
            raise ValueError(f"{name} is not a uint256: {value}")


def get_amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """The most of the other token a swap of ``amount_in`` can take out."""
    fee_mul, scale = fee_terms(fee_bps)
    _check_inputs(amount_in, reserve_in, reserve_out)
    if amount_in == 0:
        raise Revert("UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT")
    if reserve_in == 0 or reserve_out == 0:
        raise Revert("UniswapV2Library: INSUFFICIENT_LIQUIDITY")
    amount_in_with_fee = check_uint256(amount_in * fee_mul, "ds-math-mul-overflow")
    numerator = check_uint256(amount_in_with_fee * reserve_out, "ds-math-mul-overflow")
    denominator = check_uint256(reserve_in * scale, "ds-math-mul-overflow")
    denominator = check_uint256(denominator + amount_in_with_fee, "ds-math-add-overflow")
    return numerator // denominator


def get_amount_in(amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int = 30) -> int:
    """The least ``amount_in`` that takes ``amount_out`` out (rounded up by the ``+ 1``)."""
    fee_mul, scale = fee_terms(fee_bps)
    _check_inputs(amount_out, reserve_in, reserve_out)
    if amount_out == 0:
        raise Revert("UniswapV2Library: INSUFFICIENT_OUTPUT_AMOUNT")
    if reserve_in == 0 or reserve_out == 0:
        raise Revert("UniswapV2Library: INSUFFICIENT_LIQUIDITY")
    numerator = check_uint256(reserve_in * amount_out, "ds-math-mul-overflow")
    numerator = check_uint256(numerator * scale, "ds-math-mul-overflow")
    # reserveOut.sub(amountOut) underflows when amount_out > reserve_out; equal divides by zero
    remaining = check_uint256(reserve_out - amount_out, "ds-math-sub-underflow")
    denominator = check_uint256(remaining * fee_mul, "ds-math-mul-overflow")
    if denominator == 0:
        raise Revert("division by zero")
    return check_uint256(numerator // denominator + 1, "ds-math-add-overflow")


def get_amount_out_many(
    amounts_in: list[int], reserves_in: list[int], reserves_out: list[int], fee_bps: int = 30
) -> list[int]:
    """The peer of a batch: a plain loop."""
    return [
        get_amount_out(a, r_in, r_out, fee_bps)
        for a, r_in, r_out in zip(amounts_in, reserves_in, reserves_out, strict=True)
    ]
