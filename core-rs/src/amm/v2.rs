//! Uniswap V2 constant-product quotes, as UniswapV2Library computes them (SafeMath: any overflow
//! reverts). `fee_bps` = 30 uses the library's own 997/1000 constants, so results and overflow
//! bounds are exactly the contract's; other fees use the (10000 - fee_bps)/10000 scale that
//! forks such as PancakeSwap (9975/10000) compile in.

use ruint::aliases::U256;

use super::error::{invalid, revert, AmmResult};

/// (fee multiplier, scale): the `997` and `1000` of UniswapV2Library for `fee_bps`.
fn fee_terms(fee_bps: u32) -> AmmResult<(U256, U256)> {
    match fee_bps {
        30 => Ok((U256::from(997), U256::from(1000))),
        0..=9999 => Ok((U256::from(10_000 - fee_bps), U256::from(10_000))),
        _ => Err(invalid(format!(
            "fee_bps: must be below 10000, got {fee_bps}"
        ))),
    }
}

fn mul(a: U256, b: U256) -> AmmResult<U256> {
    a.checked_mul(b)
        .ok_or_else(|| revert("ds-math-mul-overflow"))
}

fn add(a: U256, b: U256) -> AmmResult<U256> {
    a.checked_add(b)
        .ok_or_else(|| revert("ds-math-add-overflow"))
}

fn check_reserves(reserve_in: U256, reserve_out: U256) -> AmmResult<()> {
    if reserve_in.is_zero() || reserve_out.is_zero() {
        return Err(revert("UniswapV2Library: INSUFFICIENT_LIQUIDITY"));
    }
    Ok(())
}

/// getAmountOut: the most `reserve_out` tokens the pair pays for `amount_in`.
pub fn amount_out(
    amount_in: U256,
    reserve_in: U256,
    reserve_out: U256,
    fee_bps: u32,
) -> AmmResult<U256> {
    let (fee_mul, scale) = fee_terms(fee_bps)?;
    if amount_in.is_zero() {
        return Err(revert("UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT"));
    }
    check_reserves(reserve_in, reserve_out)?;
    let amount_in_with_fee = mul(amount_in, fee_mul)?;
    let numerator = mul(amount_in_with_fee, reserve_out)?;
    let denominator = add(mul(reserve_in, scale)?, amount_in_with_fee)?;
    Ok(numerator / denominator)
}

/// getAmountIn: the least input for which the pair pays `amount_out`.
pub fn amount_in(
    amount_out: U256,
    reserve_in: U256,
    reserve_out: U256,
    fee_bps: u32,
) -> AmmResult<U256> {
    let (fee_mul, scale) = fee_terms(fee_bps)?;
    if amount_out.is_zero() {
        return Err(revert("UniswapV2Library: INSUFFICIENT_OUTPUT_AMOUNT"));
    }
    check_reserves(reserve_in, reserve_out)?;
    let numerator = mul(mul(reserve_in, amount_out)?, scale)?;
    let remaining = reserve_out
        .checked_sub(amount_out)
        .ok_or_else(|| revert("ds-math-sub-underflow: amount_out exceeds reserve_out"))?;
    let denominator = mul(remaining, fee_mul)?;
    if denominator.is_zero() {
        return Err(revert("division by zero: amount_out equals reserve_out"));
    }
    add(numerator / denominator, U256::from(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u128) -> U256 {
        U256::from(v)
    }

    #[test]
    fn textbook_values() {
        // 1 ETH into a 100 ETH / 200,000 USDC pool.
        let out = amount_out(
            u(10u128.pow(18)),
            u(100 * 10u128.pow(18)),
            u(200_000 * 10u128.pow(6)),
            30,
        )
        .unwrap();
        assert_eq!(out, u(1_974_316_068));
        assert_eq!(amount_out(u(1000), u(1000), u(1000), 0).unwrap(), u(500));
        assert_eq!(amount_in(u(500), u(1000), u(1000), 0).unwrap(), u(1001));
    }

    #[test]
    fn reverts_where_the_library_does() {
        assert!(amount_out(U256::ZERO, u(1), u(1), 30)
            .unwrap_err()
            .to_string()
            .contains("INSUFFICIENT_INPUT"));
        assert!(amount_out(u(1), U256::ZERO, u(1), 30)
            .unwrap_err()
            .to_string()
            .contains("LIQUIDITY"));
        assert!(amount_out(U256::MAX, u(1), u(1), 30)
            .unwrap_err()
            .to_string()
            .contains("overflow"));
        assert!(amount_in(u(5), u(10), u(5), 30).is_err());
        assert!(amount_in(u(6), u(10), u(5), 30).is_err());
        assert!(amount_out(u(1), u(1), u(1), 10_000).is_err());
    }

    proptest::proptest! {
        /// amount_out is the largest output keeping k (with the fee) and amount_in the least input.
        #[test]
        fn out_is_maximal_and_in_is_minimal(a in 1u64.., rin in 1u64.., rout in 2u64..) {
            let (a, rin, rout) = (u(a.into()), u(rin.into()), u(rout.into()));
            let k_ok = |ain: U256, aout: U256| {
                // pair's check: (rin + ain) * 1000 - ain * 3) * (rout - aout) * 1000 >= rin * rout * 1000^2
                let bal_in = (rin + ain) * u(1000) - ain * u(3);
                let bal_out = (rout - aout) * u(1000);
                bal_in * bal_out >= rin * rout * u(1_000_000)
            };
            let out = amount_out(a, rin, rout, 30).unwrap();
            proptest::prop_assert!(out < rout);
            proptest::prop_assert!(k_ok(a, out));
            if out + u(1) < rout {
                proptest::prop_assert!(!k_ok(a, out + u(1)));
            }
            if out > U256::ZERO {
                let need = amount_in(out, rin, rout, 30).unwrap();
                proptest::prop_assert!(need <= a);
                proptest::prop_assert!(k_ok(need, out));
            }
        }
    }
}
