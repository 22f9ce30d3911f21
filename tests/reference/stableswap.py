"""Curve's v1 StableSwap pool template (2 to 8 coins): get_D, get_y and get_dy.

``amp`` is A * A_PRECISION (what ``A_precise()`` returns); the fee is on the 1e10 scale; each
coin has a rate (1e18 for an 18-decimal coin) and ``xp = balance * rate // 1e18``. Arithmetic is
Vyper's checked uint256: an intermediate outside [0, 2**256) or a division by zero reverts, as
does a Newton iteration that has not converged (to within 1) after 255 rounds.
"""

from __future__ import annotations

from collections.abc import Sequence

from tests.reference import UINT256_MAX, Revert, check_uint256

A_PRECISION = 100
FEE_DENOMINATOR = 10**10
PRECISION = 10**18
MAX_COINS = 8
MAX_ITERATIONS = 255


def _div(a: int, b: int) -> int:
    if b == 0:
        raise Revert("division by zero")
    return a // b


def _u(value: int) -> int:
    return check_uint256(value, "uint256 out of range")


def get_D(xp: Sequence[int], amp: int) -> int:
    """The invariant D of balances xp (already scaled by the rates)."""
    n = len(xp)
    s = 0
    for x in xp:
        s = _u(s + x)
    if s == 0:
        return 0
    d = s
    ann = _u(amp * n)
    for _ in range(MAX_ITERATIONS):
        d_p = d
        for x in xp:
            d_p = _div(_u(d_p * d), _u(x * n))
        d_prev = d
        numerator = _u(_u(_div(_u(ann * s), A_PRECISION) + _u(d_p * n)) * d)
        denominator = _u(_div(_u(_u(ann - A_PRECISION) * d), A_PRECISION) + _u(_u((n + 1) * d_p)))
        d = _div(numerator, denominator)
        if abs(d - d_prev) <= 1:
            return d
    raise Revert("get_D did not converge")


def get_y(i: int, j: int, x: int, xp: Sequence[int], amp: int) -> int:
    """The balance of coin j that keeps D when coin i's balance becomes x."""
    n = len(xp)
    _check_indices(i, j, n)
    d = get_D(xp, amp)
    ann = _u(amp * n)
    c = d
    s = 0
    for k in range(n):
        if k == i:
            x_k = x
        elif k != j:
            x_k = xp[k]
        else:
            continue
        s = _u(s + x_k)
        c = _div(_u(c * d), _u(x_k * n))
    c = _div(_u(_u(c * d) * A_PRECISION), _u(ann * n))
    b = _u(s + _div(_u(d * A_PRECISION), ann))
    y = d
    for _ in range(MAX_ITERATIONS):
        y_prev = y
        y = _div(_u(_u(y * y) + c), _u(_u(2 * y + b) - d))
        if abs(y - y_prev) <= 1:
            return y
    raise Revert("get_y did not converge")


def _check_indices(i: int, j: int, n: int) -> None:
    if not 2 <= n <= MAX_COINS:
        raise ValueError(f"a pool has 2 to {MAX_COINS} coins, not {n}")
    if i == j:
        raise ValueError("i == j: same coin")
    if not (0 <= i < n and 0 <= j < n):
        raise ValueError(f"coin index out of range: i={i}, j={j}, {n} coins")


def xp_of(balances: Sequence[int], rates: Sequence[int]) -> list[int]:
    return [
        _div(_u(rate * balance), PRECISION) for rate, balance in zip(rates, balances, strict=True)
    ]


def get_dy(
    i: int,
    j: int,
    dx: int,
    balances: Sequence[int],
    amp: int,
    fee: int,
    rates: Sequence[int] | None = None,
) -> int:
    """What the pool pays out in coin j for dx of coin i, after its fee (the template's get_dy)."""
    n = len(balances)
    _check_indices(i, j, n)
    if rates is None:
        rates = [PRECISION] * n
    if len(rates) != n:
        raise ValueError(f"{len(rates)} rates for {n} coins")
    for value in (dx, amp, fee, *balances, *rates):
        if not 0 <= value <= UINT256_MAX:
            raise ValueError(f"not a uint256 (negative or too large): {value}")
    if 0 in rates:
        raise ValueError("rates must be positive")
    xp = xp_of(balances, rates)
    x = _u(xp[i] + _div(_u(dx * rates[i]), PRECISION))
    y = get_y(i, j, x, xp, amp)
    dy = _u(_u(xp[j] - y) - 1)
    fee_amount = _div(_u(fee * dy), FEE_DENOMINATOR)
    return _div(_u(_u(dy - fee_amount) * PRECISION), rates[j])


def get_dy_no_fee_xp(
    i: int, j: int, dx: int, balances: Sequence[int], amp: int, rates: Sequence[int] | None = None
) -> int:
    """The template's dy before the fee, in xp units (``xp[j] - y - 1``), for invariant tests."""
    n = len(balances)
    rates = rates or [PRECISION] * n
    xp = xp_of(balances, rates)
    x = _u(xp[i] + _div(_u(dx * rates[i]), PRECISION))
    return _u(_u(xp[j] - get_y(i, j, x, xp, amp)) - 1)
