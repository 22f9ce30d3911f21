//! SwapMath.computeSwapStep (v3-core 1.0): one step of a swap within a single liquidity range.

use ruint::aliases::U256;

use super::full_math::{mul_div, mul_div_rounding_up};
use super::int256::I256;
use super::sqrt_price_math::{
    get_amount0_delta, get_amount1_delta, get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
};
use crate::amm::error::invalid;
use crate::amm::AmmResult;

/// The outcome of one swap step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapStep {
    /// The price after the step, never past the target.
    pub sqrt_ratio_next_x96: U256,
    /// Input consumed, before the fee.
    pub amount_in: U256,
    /// Output produced.
    pub amount_out: U256,
    /// Fee taken from the input.
    pub fee_amount: U256,
}

const ONE_MILLION: u32 = 1_000_000;

/// computeSwapStep with `amount_remaining` as the contract's int256: positive (or zero) = exact
/// input remaining, negative = exact output remaining. The direction is inferred from the prices
/// (`current >= target` is zero-for-one). `fee_pips` must be below 1e6.
pub(crate) fn compute_swap_step_i256(
    sqrt_ratio_current_x96: U256,
    sqrt_ratio_target_x96: U256,
    liquidity: u128,
    amount_remaining: I256,
    fee_pips: u32,
) -> AmmResult<SwapStep> {
    compute_step_i256(
        sqrt_ratio_current_x96,
        sqrt_ratio_target_x96,
        liquidity,
        amount_remaining,
        fee_pips,
        false,
    )
}

/// computeSwapStep, or with `known_short` the step for a caller that already knows the remaining
/// amount does not reach the target (a remembered full step to that target says so): the same
/// result, without the amount to the target that the contract computes only to make that
/// comparison. That amount cannot revert (it is below liquidity * 2**96), so skipping it skips
/// no revert either.
pub(crate) fn compute_step_i256(
    current: U256,
    target: U256,
    liquidity: u128,
    amount_remaining: I256,
    fee_pips: u32,
    known_short: bool,
) -> AmmResult<SwapStep> {
    if fee_pips >= ONE_MILLION {
        return Err(invalid(format!(
            "fee_pips: {fee_pips} must be below 1000000"
        )));
    }
    let zero_for_one = current >= target;
    let exact_in = !amount_remaining.is_negative();
    let fee = U256::from(fee_pips);
    let fee_complement = U256::from(ONE_MILLION - fee_pips);
    let million = U256::from(ONE_MILLION);

    // The amount (in for exact input, out for exact output) that takes the price to the target,
    // when it was computed: the contract reuses it if the target is reached.
    let to_target;
    let next;
    if exact_in {
        let remaining = amount_remaining.as_uint();
        let remaining_less_fee = mul_div(remaining, fee_complement, million)?;
        to_target = if known_short {
            None
        } else if zero_for_one {
            Some(get_amount0_delta(target, current, liquidity, true)?)
        } else {
            Some(get_amount1_delta(current, target, liquidity, true)?)
        };
        next = match to_target {
            Some(amount_in) if remaining_less_fee >= amount_in => target,
            _ => get_next_sqrt_price_from_input(
                current,
                liquidity,
                remaining_less_fee,
                zero_for_one,
            )?,
        };
    } else {
        let wanted = amount_remaining.neg_as_uint();
        to_target = if known_short {
            None
        } else if zero_for_one {
            Some(get_amount1_delta(target, current, liquidity, false)?)
        } else {
            Some(get_amount0_delta(current, target, liquidity, false)?)
        };
        next = match to_target {
            Some(amount_out) if wanted >= amount_out => target,
            _ => get_next_sqrt_price_from_output(current, liquidity, wanted, zero_for_one)?,
        };
    }

    // At the target the contract keeps the amount it compared; the same function of the same
    // prices, so recomputing it (when it was skipped) gives the same value.
    let max = target == next;
    let kept = |keep: bool| to_target.filter(|_| max && keep);
    let amount_in;
    let mut amount_out;
    if zero_for_one {
        amount_in = match kept(exact_in) {
            Some(a) => a,
            None => get_amount0_delta(next, current, liquidity, true)?,
        };
        amount_out = match kept(!exact_in) {
            Some(a) => a,
            None => get_amount1_delta(next, current, liquidity, false)?,
        };
    } else {
        amount_in = match kept(exact_in) {
            Some(a) => a,
            None => get_amount1_delta(current, next, liquidity, true)?,
        };
        amount_out = match kept(!exact_in) {
            Some(a) => a,
            None => get_amount0_delta(current, next, liquidity, false)?,
        };
    }

    // Cap the output at what remains to be bought.
    if !exact_in && amount_out > amount_remaining.neg_as_uint() {
        amount_out = amount_remaining.neg_as_uint();
    }

    let fee_amount = if exact_in && next != target {
        // The target was not reached: the rest of the input is the fee (unchecked in 0.7).
        amount_remaining.as_uint().wrapping_sub(amount_in)
    } else {
        mul_div_rounding_up(amount_in, fee, fee_complement)?
    };

    Ok(SwapStep {
        sqrt_ratio_next_x96: next,
        amount_in,
        amount_out,
        fee_amount,
    })
}

/// SwapMath.computeSwapStep with the remaining amount as sign and magnitude (see
/// [`crate::amm::SignedAmount`]); the magnitude must fit int256.
pub fn compute_swap_step(
    sqrt_ratio_current_x96: U256,
    sqrt_ratio_target_x96: U256,
    liquidity: u128,
    amount_remaining: crate::amm::SignedAmount,
    fee_pips: u32,
) -> AmmResult<SwapStep> {
    let remaining = I256::from_amount(amount_remaining, "amount_remaining")?;
    compute_swap_step_i256(
        sqrt_ratio_current_x96,
        sqrt_ratio_target_x96,
        liquidity,
        remaining,
        fee_pips,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amm::v3::sqrt_price_math::Q96;
    use crate::amm::SignedAmount;
    use proptest::prelude::*;

    fn u(s: &str) -> U256 {
        U256::from_str_radix(s, 10).unwrap()
    }
    fn price(r1: u128, r0: u128) -> U256 {
        ((U256::from(r1) << 192usize) / U256::from(r0)).root(2)
    }
    fn pos(x: u128) -> SignedAmount {
        SignedAmount::positive(U256::from(x))
    }
    fn neg(x: u128) -> SignedAmount {
        SignedAmount::negative(U256::from(x))
    }
    const E18: u128 = 1_000_000_000_000_000_000;

    /// Cases of the v3-core SwapMath tests (values checked against a transcription of the contract).
    #[test]
    fn known_steps() {
        let p = price(1, 1);
        let target = price(101, 100);
        let l = 2 * E18;
        // exact amount in that gets capped at price target in one for zero
        let s = compute_swap_step(p, target, l, pos(E18), 600).unwrap();
        assert_eq!(s.amount_in, u("9975124224178055"));
        assert_eq!(s.fee_amount, u("5988667735148"));
        assert_eq!(s.amount_out, u("9925619580021728"));
        assert_eq!(s.sqrt_ratio_next_x96, target);
        // exact amount out that gets capped at price target in one for zero
        let s = compute_swap_step(p, target, l, neg(E18), 600).unwrap();
        assert_eq!(s.amount_in, u("9975124224178055"));
        assert_eq!(s.fee_amount, u("5988667735148"));
        assert_eq!(s.amount_out, u("9925619580021728"));
        assert_eq!(s.sqrt_ratio_next_x96, target);
        // exact amount in that is fully spent in one for zero
        let target = price(1000, 100);
        let s = compute_swap_step(p, target, l, pos(E18), 600).unwrap();
        assert_eq!(s.amount_in, u("999400000000000000"));
        assert_eq!(s.fee_amount, u("600000000000000"));
        assert_eq!(s.amount_out, u("666399946655997866"));
        assert!(s.sqrt_ratio_next_x96 < target);
        // exact amount out that is fully received in one for zero
        let target = price(10000, 100);
        let s = compute_swap_step(p, target, l, neg(E18), 600).unwrap();
        assert_eq!(s.amount_in, u("2000000000000000000"));
        assert_eq!(s.fee_amount, u("1200720432259356"));
        assert_eq!(s.amount_out, U256::from(E18));
        assert!(s.sqrt_ratio_next_x96 < target);
        // amount out is capped at the desired amount out
        let s = compute_swap_step(
            u("417332158212080721273783715441582"),
            u("1452870262520218020823638996"),
            159_344_665_391_607_089_467_575_320_103,
            neg(1),
            1,
        )
        .unwrap();
        assert_eq!(s.amount_in, U256::from(1u8));
        assert_eq!(s.fee_amount, U256::from(1u8));
        assert_eq!(s.amount_out, U256::from(1u8));
        assert_eq!(
            s.sqrt_ratio_next_x96,
            u("417332158212080721273783715441581")
        );
        // target price of 1 uses partial input amount
        let s = compute_swap_step(
            U256::from(2u8),
            U256::from(1u8),
            1,
            pos(3_915_081_100_057_732_413_702_495_386_755_767),
            1,
        )
        .unwrap();
        assert_eq!(s.amount_in, u("39614081257132168796771975168"));
        assert_eq!(s.fee_amount, u("39614120871253040049813"));
        assert!(s.amount_in + s.fee_amount <= u("3915081100057732413702495386755767"));
        assert_eq!(s.amount_out, U256::ZERO);
        assert_eq!(s.sqrt_ratio_next_x96, U256::from(1u8));
        // entire input amount taken as fee
        let s = compute_swap_step(
            U256::from(2413u32),
            u("79887613182836312"),
            1_985_041_575_832_132_834_610_021_537_970,
            pos(10),
            1872,
        )
        .unwrap();
        assert_eq!(s.amount_in, U256::ZERO);
        assert_eq!(s.fee_amount, U256::from(10u8));
        assert_eq!(s.amount_out, U256::ZERO);
        assert_eq!(s.sqrt_ratio_next_x96, U256::from(2413u32));
        // handles intermediate insufficient liquidity in zero for one exact output case
        let sp = u("20282409603651670423947251286016");
        let target = sp * U256::from(11u8) / U256::from(10u8);
        let s = compute_swap_step(sp, target, 1024, neg(4), 3000).unwrap();
        assert_eq!(s.amount_out, U256::ZERO);
        assert_eq!(s.sqrt_ratio_next_x96, target);
        assert_eq!(s.amount_in, U256::from(26215u32));
        assert_eq!(s.fee_amount, U256::from(79u8));
        // handles intermediate insufficient liquidity in one for zero exact output case
        let target = sp * U256::from(9u8) / U256::from(10u8);
        let s = compute_swap_step(sp, target, 1024, neg(263_000), 3000).unwrap();
        assert_eq!(s.amount_out, U256::from(26214u32));
        assert_eq!(s.sqrt_ratio_next_x96, target);
        assert_eq!(s.amount_in, U256::from(1u8));
        assert_eq!(s.fee_amount, U256::from(1u8));
        // zero liquidity: straight to the target, nothing in or out
        let s = compute_swap_step(Q96, Q96 * U256::from(2u8), 0, pos(5), 3000).unwrap();
        assert_eq!(
            (
                s.sqrt_ratio_next_x96,
                s.amount_in,
                s.amount_out,
                s.fee_amount
            ),
            (Q96 * U256::from(2u8), U256::ZERO, U256::ZERO, U256::ZERO)
        );
        assert!(compute_swap_step(p, target, l, pos(1), 1_000_000).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Invariants of the v3-core fuzz tests: never past the target, exact input never spends
        /// more than given, exact output never gives more than asked.
        #[test]
        fn step_invariants(
            pc in 33usize..160, pcm in any::<u128>(),
            pt in 33usize..160, ptm in any::<u128>(),
            l in any::<u128>(), amount in any::<u128>(), big in any::<bool>(),
            negative in any::<bool>(), fee in 0u32..1_000_000,
        ) {
            let current = (U256::from(1u8) << pc) | (U256::from(pcm) >> (256 - pc).min(255));
            let target = (U256::from(1u8) << pt) | (U256::from(ptm) >> (256 - pt).min(255));
            let magnitude = if big { U256::from(amount) << 100usize } else { U256::from(amount) };
            let remaining = if negative { SignedAmount::negative(magnitude) } else { SignedAmount::positive(magnitude) };
            if let Ok(s) = compute_swap_step(current, target, l, remaining, fee) {
                let zfo = current >= target;
                if zfo {
                    prop_assert!(s.sqrt_ratio_next_x96 <= current && s.sqrt_ratio_next_x96 >= target);
                } else {
                    prop_assert!(s.sqrt_ratio_next_x96 >= current && s.sqrt_ratio_next_x96 <= target);
                }
                if negative {
                    prop_assert!(s.amount_out <= magnitude);
                } else {
                    prop_assert!(s.amount_in.checked_add(s.fee_amount).unwrap() <= magnitude);
                }
                if current == target {
                    prop_assert_eq!(s.amount_in, U256::ZERO);
                    prop_assert_eq!(s.amount_out, U256::ZERO);
                }
            }
        }

        /// Wherever the contract's comparison finds the target out of reach, the step that is
        /// told so in advance gives the same result (and the same revert).
        #[test]
        fn short_step_is_the_contract_step(
            pc in 33usize..160, pcm in any::<u128>(),
            pt in 33usize..160, ptm in any::<u128>(),
            l in any::<u128>(), amount in any::<u128>(), big in any::<bool>(),
            negative in any::<bool>(), fee in 0u32..1_000_000,
        ) {
            let current = (U256::from(1u8) << pc) | (U256::from(pcm) >> (256 - pc).min(255));
            let target = (U256::from(1u8) << pt) | (U256::from(ptm) >> (256 - pt).min(255));
            let magnitude = if big { U256::from(amount) << 100usize } else { U256::from(amount) };
            let remaining = if negative { I256::from_amount(SignedAmount::negative(magnitude), "r").unwrap() } else { I256::from_amount(SignedAmount::positive(magnitude), "r").unwrap() };
            let zfo = current >= target;
            let short = if negative {
                let out = if zfo { get_amount1_delta(target, current, l, false) } else { get_amount0_delta(current, target, l, false) };
                out.map(|o| magnitude < o)
            } else {
                let less_fee = mul_div(magnitude, U256::from(1_000_000 - fee), U256::from(1_000_000));
                let need = if zfo { get_amount0_delta(target, current, l, true) } else { get_amount1_delta(current, target, l, true) };
                less_fee.and_then(|f| need.map(|n| f < n))
            };
            if short == Ok(true) {
                let want = compute_swap_step_i256(current, target, l, remaining, fee).map_err(|e| e.to_string());
                let got = compute_step_i256(current, target, l, remaining, fee, true).map_err(|e| e.to_string());
                prop_assert_eq!(got, want);
            }
        }
    }
}
