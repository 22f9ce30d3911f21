//! SqrtPriceMath (v3-core 1.0): next sqrt prices from token amounts and token amounts between
//! sqrt prices, with the contract's rounding directions and overflow `require`s. Prices are
//! uint160 values carried in U256.

use ruint::aliases::U256;

use super::full_math::{div_rounding_up, mul_div, mul_div_rounding_up};
use crate::amm::error::revert;
use crate::amm::{AmmError, AmmResult};

/// 2**96 (FixedPoint96.Q96).
pub(crate) const Q96: U256 = U256::from_limbs([0, 1 << 32, 0, 0]);
/// type(uint160).max.
pub(crate) const U160_MAX: U256 = U256::from_limbs([u64::MAX, u64::MAX, u32::MAX as u64, 0]);

fn no_reason(what: &str) -> AmmError {
    revert(format!(
        "SqrtPriceMath.{what} (the contract's require gives no reason string)"
    ))
}

/// `uint160(x)`: keep the low 160 bits.
#[inline]
fn truncate_u160(x: U256) -> U256 {
    x & U160_MAX
}

/// SafeCast.toUint160.
#[inline]
fn to_u160(x: U256, what: &str) -> AmmResult<U256> {
    if x > U160_MAX {
        Err(no_reason(what))
    } else {
        Ok(x)
    }
}

/// getNextSqrtPriceFromAmount0RoundingUp: the price after adding (`add`) or removing `amount` of
/// token0, rounded up: `L * P / (L ± amount * P)`, or `L / (L / P ± amount)` when that overflows.
pub fn get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_p_x96: U256,
    liquidity: u128,
    amount: U256,
    add: bool,
) -> AmmResult<U256> {
    // The short circuit keeps the price exactly when nothing is added or removed.
    if amount.is_zero() {
        return Ok(sqrt_p_x96);
    }
    let numerator1 = U256::from(liquidity) << 96usize;
    let (product, overflowed) = amount.overflowing_mul(sqrt_p_x96);
    if add {
        if !overflowed {
            let denominator = numerator1.wrapping_add(product);
            if denominator >= numerator1 {
                // Always fits 160 bits (the contract truncates without a check).
                return Ok(truncate_u160(mul_div_rounding_up(
                    numerator1,
                    sqrt_p_x96,
                    denominator,
                )?));
            }
        }
        // Solidity 0.7's checked division reverts on a zero price.
        let quotient = numerator1
            .checked_div(sqrt_p_x96)
            .ok_or_else(|| no_reason("getNextSqrtPriceFromAmount0RoundingUp: division by zero"))?;
        let denominator = quotient.checked_add(amount).ok_or_else(|| {
            no_reason("getNextSqrtPriceFromAmount0RoundingUp: LowGasSafeMath.add overflow")
        })?;
        Ok(truncate_u160(div_rounding_up(numerator1, denominator)))
    } else {
        // If the product overflows, the denominator would underflow; both revert.
        if overflowed || numerator1 <= product {
            return Err(no_reason(
                "getNextSqrtPriceFromAmount0RoundingUp: amount * price overflows or is >= liquidity << 96",
            ));
        }
        let denominator = numerator1 - product;
        to_u160(
            mul_div_rounding_up(numerator1, sqrt_p_x96, denominator)?,
            "getNextSqrtPriceFromAmount0RoundingUp: SafeCast.toUint160 overflow",
        )
    }
}

/// getNextSqrtPriceFromAmount1RoundingDown: the price after adding (`add`) or removing `amount` of
/// token1, rounded down: `P ± amount / L`.
pub fn get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_p_x96: U256,
    liquidity: u128,
    amount: U256,
    add: bool,
) -> AmmResult<U256> {
    let liquidity = U256::from(liquidity);
    if add {
        let quotient = if amount <= U160_MAX {
            (amount << 96usize).checked_div(liquidity).ok_or_else(|| {
                no_reason("getNextSqrtPriceFromAmount1RoundingDown: division by zero")
            })?
        } else {
            mul_div(amount, Q96, liquidity)?
        };
        let sum = sqrt_p_x96.checked_add(quotient).ok_or_else(|| {
            no_reason("getNextSqrtPriceFromAmount1RoundingDown: LowGasSafeMath.add overflow")
        })?;
        to_u160(
            sum,
            "getNextSqrtPriceFromAmount1RoundingDown: SafeCast.toUint160 overflow",
        )
    } else {
        let quotient = if amount <= U160_MAX {
            // UnsafeMath.divRoundingUp: assembly division, 0 for a zero divisor.
            div_rounding_up(amount << 96usize, liquidity)
        } else {
            mul_div_rounding_up(amount, Q96, liquidity)?
        };
        if sqrt_p_x96 <= quotient {
            return Err(no_reason(
                "getNextSqrtPriceFromAmount1RoundingDown: require(sqrtPX96 > quotient) failed",
            ));
        }
        // Always fits 160 bits for a uint160 price.
        Ok(truncate_u160(sqrt_p_x96 - quotient))
    }
}

fn require_price_and_liquidity(sqrt_p_x96: U256, liquidity: u128, what: &str) -> AmmResult<()> {
    if sqrt_p_x96.is_zero() {
        return Err(no_reason(&format!("{what}: require(sqrtPX96 > 0) failed")));
    }
    if liquidity == 0 {
        return Err(no_reason(&format!("{what}: require(liquidity > 0) failed")));
    }
    Ok(())
}

/// getNextSqrtPriceFromInput: the price after `amount_in` of token0 (`zero_for_one`) or token1
/// comes in, rounded so as not to pass the target.
pub fn get_next_sqrt_price_from_input(
    sqrt_p_x96: U256,
    liquidity: u128,
    amount_in: U256,
    zero_for_one: bool,
) -> AmmResult<U256> {
    require_price_and_liquidity(sqrt_p_x96, liquidity, "getNextSqrtPriceFromInput")?;
    if zero_for_one {
        get_next_sqrt_price_from_amount0_rounding_up(sqrt_p_x96, liquidity, amount_in, true)
    } else {
        get_next_sqrt_price_from_amount1_rounding_down(sqrt_p_x96, liquidity, amount_in, true)
    }
}

/// getNextSqrtPriceFromOutput: the price after `amount_out` of token1 (`zero_for_one`) or token0
/// goes out, rounded so as to pass the target.
pub fn get_next_sqrt_price_from_output(
    sqrt_p_x96: U256,
    liquidity: u128,
    amount_out: U256,
    zero_for_one: bool,
) -> AmmResult<U256> {
    require_price_and_liquidity(sqrt_p_x96, liquidity, "getNextSqrtPriceFromOutput")?;
    if zero_for_one {
        get_next_sqrt_price_from_amount1_rounding_down(sqrt_p_x96, liquidity, amount_out, false)
    } else {
        get_next_sqrt_price_from_amount0_rounding_up(sqrt_p_x96, liquidity, amount_out, false)
    }
}

/// getAmount0Delta: `L * 2**96 * (B - A) / B / A` for the two prices in either order, rounded up
/// or down as the contract does (two successive roundings).
pub fn get_amount0_delta(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    round_up: bool,
) -> AmmResult<U256> {
    let (a, b) = if sqrt_ratio_a_x96 > sqrt_ratio_b_x96 {
        (sqrt_ratio_b_x96, sqrt_ratio_a_x96)
    } else {
        (sqrt_ratio_a_x96, sqrt_ratio_b_x96)
    };
    let numerator1 = U256::from(liquidity) << 96usize;
    let numerator2 = b - a;
    if a.is_zero() {
        return Err(no_reason(
            "getAmount0Delta: require(sqrtRatioAX96 > 0) failed",
        ));
    }
    if round_up {
        Ok(div_rounding_up(
            mul_div_rounding_up(numerator1, numerator2, b)?,
            a,
        ))
    } else {
        Ok(mul_div(numerator1, numerator2, b)? / a)
    }
}

/// getAmount1Delta: `L * (B - A) / 2**96` for the two prices in either order.
pub fn get_amount1_delta(
    sqrt_ratio_a_x96: U256,
    sqrt_ratio_b_x96: U256,
    liquidity: u128,
    round_up: bool,
) -> AmmResult<U256> {
    let (a, b) = if sqrt_ratio_a_x96 > sqrt_ratio_b_x96 {
        (sqrt_ratio_b_x96, sqrt_ratio_a_x96)
    } else {
        (sqrt_ratio_a_x96, sqrt_ratio_b_x96)
    };
    let liquidity = U256::from(liquidity);
    if round_up {
        mul_div_rounding_up(liquidity, b - a, Q96)
    } else {
        mul_div(liquidity, b - a, Q96)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amm::v3::tick_math::{MAX_SQRT_RATIO, MIN_SQRT_RATIO};
    use proptest::prelude::*;

    fn u(s: &str) -> U256 {
        U256::from_str_radix(s, 10).unwrap()
    }
    /// encodePriceSqrt(reserve1, reserve0) of the v3-core tests: sqrt(r1 / r0) * 2**96, floored.
    fn price(r1: u128, r0: u128) -> U256 {
        let x = (U256::from(r1) << 192usize) / U256::from(r0);
        x.root(2)
    }
    const E18: u128 = 1_000_000_000_000_000_000;

    #[test]
    fn next_price_from_input() {
        // v3-core SqrtPriceMath tests.
        assert!(
            get_next_sqrt_price_from_input(U256::ZERO, 0, U256::from(E18 / 10), false).is_err()
        );
        assert!(
            get_next_sqrt_price_from_input(U256::from(1u8), 0, U256::from(E18 / 10), true).is_err()
        );
        // input amount overflows the price
        let p = U160_MAX;
        assert!(get_next_sqrt_price_from_input(p, 1024, U256::from(1024u32), false).is_err());
        // any input amount cannot underflow the price
        assert_eq!(
            get_next_sqrt_price_from_input(U256::from(1u8), 1, U256::from(1u8) << 255usize, true)
                .unwrap(),
            U256::from(1u8)
        );
        // returns input price if amount in is zero
        let p1 = price(1, 1);
        assert_eq!(
            get_next_sqrt_price_from_input(p1, E18 / 10, U256::ZERO, true).unwrap(),
            p1
        );
        assert_eq!(
            get_next_sqrt_price_from_input(p1, E18 / 10, U256::ZERO, false).unwrap(),
            p1
        );
        // returns the minimum price for max inputs
        let max_amount_no_overflow = U256::MAX - ((U256::from(u128::MAX) << 96usize) / U160_MAX);
        assert_eq!(
            get_next_sqrt_price_from_input(U160_MAX, u128::MAX, max_amount_no_overflow, true)
                .unwrap(),
            U256::from(1u8)
        );
        // input amount of 0.1 token1
        assert_eq!(
            get_next_sqrt_price_from_input(p1, E18, U256::from(E18 / 10), false).unwrap(),
            u("87150978765690771352898345369")
        );
        // input amount of 0.1 token0
        assert_eq!(
            get_next_sqrt_price_from_input(p1, E18, U256::from(E18 / 10), true).unwrap(),
            u("72025602285694852357767227579")
        );
        // amountIn > type(uint96).max and zeroForOne = true
        assert_eq!(
            get_next_sqrt_price_from_input(p1, 10 * E18, U256::from(1u8) << 100usize, true)
                .unwrap(),
            u("624999999995069620")
        );
        // can return 1 with enough amountIn and zeroForOne = true
        assert_eq!(
            get_next_sqrt_price_from_input(p1, 1, U256::MAX >> 1usize, true).unwrap(),
            U256::from(1u8)
        );
    }

    #[test]
    fn next_price_from_output() {
        let p = u("20282409603651670423947251286016");
        // output amount is exactly the virtual reserves of token0 / token1 / greater: reverts
        assert!(get_next_sqrt_price_from_output(p, 1024, U256::from(4u8), false).is_err());
        assert!(get_next_sqrt_price_from_output(p, 1024, U256::from(5u8), false).is_err());
        assert!(get_next_sqrt_price_from_output(p, 1024, U256::from(262_145u32), true).is_err());
        assert!(get_next_sqrt_price_from_output(p, 1024, U256::from(262_144u32), true).is_err());
        assert_eq!(
            get_next_sqrt_price_from_output(p, 1024, U256::from(262_143u32), true).unwrap(),
            u("77371252455336267181195264")
        );
        assert!(get_next_sqrt_price_from_output(p, 1024, U256::from(4u8), false).is_err());
        let p1 = price(1, 1);
        assert_eq!(
            get_next_sqrt_price_from_output(p1, E18 / 10, U256::ZERO, true).unwrap(),
            p1
        );
        assert_eq!(
            get_next_sqrt_price_from_output(p1, E18 / 10, U256::ZERO, false).unwrap(),
            p1
        );
        assert_eq!(
            get_next_sqrt_price_from_output(p1, E18, U256::from(E18 / 10), false).unwrap(),
            u("88031291682515930659493278152")
        );
        assert_eq!(
            get_next_sqrt_price_from_output(p1, E18, U256::from(E18 / 10), true).unwrap(),
            u("71305346262837903834189555302")
        );
        assert!(get_next_sqrt_price_from_output(p1, 1, U256::MAX, true).is_err());
        assert!(get_next_sqrt_price_from_output(p1, 1, U256::MAX, false).is_err());
        assert!(get_next_sqrt_price_from_output(p1, 1, U256::from(1u8), true).is_err());
    }

    #[test]
    fn amount_deltas() {
        let p1 = price(1, 1);
        let p121 = price(121, 100);
        assert_eq!(get_amount0_delta(p1, p1, 0, true).unwrap(), U256::ZERO);
        assert_eq!(
            get_amount0_delta(p1, price(2, 1), 0, true).unwrap(),
            U256::ZERO
        );
        let up = get_amount0_delta(p1, p121, E18, true).unwrap();
        assert_eq!(up, u("90909090909090910"));
        let down = get_amount0_delta(p1, p121, E18, false).unwrap();
        assert_eq!(down, up - U256::from(1u8));
        // works for prices that overflow
        let a = U256::from(1u8) << 141usize; // price(2**90, 1)
        let b = U256::from(1u8) << 144usize; // price(2**96, 1)
        let up = get_amount0_delta(a, b, E18, true).unwrap();
        let down = get_amount0_delta(a, b, E18, false).unwrap();
        assert_eq!(up, down + U256::from(1u8));
        assert_eq!(
            get_amount1_delta(p1, price(2, 1), 0, true).unwrap(),
            U256::ZERO
        );
        let up = get_amount1_delta(p1, p121, E18, true).unwrap();
        assert_eq!(up, u("100000000000000000"));
        assert_eq!(
            get_amount1_delta(p1, p121, E18, false).unwrap(),
            up - U256::from(1u8)
        );
        // swap computation: sqrtP * sqrtQ overflows
        let sqrt_p = u("1025574284609383690408304870162715216695788925244");
        let liquidity = 50_015_962_439_936_049_619_261_659_728_067_971_248u128;
        let sqrt_q =
            get_next_sqrt_price_from_input(sqrt_p, liquidity, U256::from(406u32), true).unwrap();
        assert_eq!(
            sqrt_q,
            u("1025574284609383582644711336373707553698163132913")
        );
        assert_eq!(
            get_amount0_delta(sqrt_q, sqrt_p, liquidity, true).unwrap(),
            U256::from(406u32)
        );
        // A zero lower price reverts.
        assert!(get_amount0_delta(U256::ZERO, p1, 1, true).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        /// Prices, liquidity and amounts of every size never panic.
        #[test]
        fn never_panics(p in any::<[u64; 3]>(), l in any::<u128>(), a in any::<[u64; 4]>(), bits in 0usize..=256, flag in any::<bool>()) {
            let p = U256::from_limbs([p[0], p[1], p[2], 0]) & U160_MAX;
            let a = U256::from_limbs(a) >> (256 - bits).min(255);
            let _ = get_next_sqrt_price_from_input(p, l, a, flag);
            let _ = get_next_sqrt_price_from_output(p, l, a, flag);
            let _ = get_amount0_delta(p, a & U160_MAX, l, flag);
            let _ = get_amount1_delta(p, a & U160_MAX, l, flag);
        }

        /// The next price from an input never passes what that input buys, and the amount for
        /// the move (rounded up) never exceeds the input.
        #[test]
        fn input_price_consistent(pb in 33usize..160, l in 1u128..=u128::MAX, a in any::<u128>(), zfo in any::<bool>()) {
            let p = (U256::from(1u8) << pb).clamp(MIN_SQRT_RATIO, MAX_SQRT_RATIO);
            let a = U256::from(a);
            if let Ok(q) = get_next_sqrt_price_from_input(p, l, a, zfo) {
                let needed = if zfo { get_amount0_delta(q, p, l, true) } else { get_amount1_delta(p, q, l, true) };
                if let Ok(needed) = needed {
                    prop_assert!(needed <= a, "needs {} > {}", needed, a);
                }
            }
        }
    }
}
