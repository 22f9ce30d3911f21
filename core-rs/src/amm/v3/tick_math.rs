//! TickMath (v3-core): sqrt(1.0001^tick) as a Q64.96 and its inverse, bit-exact with the
//! contract (same magic constants, same truncations), computed with u128 limbs where the
//! contract's 256-bit intermediates provably fit.

use ruint::aliases::U256;

use crate::amm::error::revert;
use crate::amm::AmmResult;

/// The minimum tick: log base 1.0001 of 2**-128.
pub const MIN_TICK: i32 = -887_272;
/// The maximum tick: log base 1.0001 of 2**128.
pub const MAX_TICK: i32 = 887_272;
/// getSqrtRatioAtTick(MIN_TICK) = 4295128739.
pub const MIN_SQRT_RATIO: U256 = U256::from_limbs([4_295_128_739, 0, 0, 0]);
/// getSqrtRatioAtTick(MAX_TICK) = 1461446703485210103287273052203988822378723970342.
pub const MAX_SQRT_RATIO: U256 =
    U256::from_limbs([0x5d95_1d52_6398_8d26, 0xefd1_fc6a_5064_8849, 0xfffd_8963, 0]);

/// Q128.128 factors 1 / sqrt(1.0001)^(2^i), for bit i of |tick| (i >= 1; bit 0 starts the product).
const BIT0: u128 = 0xfffcb933bd6fad37aa2d162d1a594001;
const FACTORS: [u128; 19] = [
    0xfff97272373d413259a46990580e213a,
    0xfff2e50f5f656932ef12357cf3c7fdcc,
    0xffe5caca7e10e4e61c3624eaa0941cd0,
    0xffcb9843d60f6159c9db58835c926644,
    0xff973b41fa98c081472e6896dfb254c0,
    0xff2ea16466c96a3843ec78b326b52861,
    0xfe5dee046a99a2a811c461f1969c3053,
    0xfcbe86c7900a88aedcffc83b479aa3a4,
    0xf987a7253ac413176f2b074cf7815e54,
    0xf3392b0822b70005940c7a398e4b70f3,
    0xe7159475a2c29b7443b29c7fa6e889d9,
    0xd097f3bdfd2022b8845ad8f792aa5825,
    0xa9f746462d870fdf8a65dc1f90e061e5,
    0x70d869a156d2a1b890bb3df62baf32f7,
    0x31be135f97d08fd981231505542fcfa6,
    0x9aa508b5b7a84e1c677de54f3e99bc9,
    0x5d6af8dedb81196699c329225ee604,
    0x2216e584f5fa1ea926041bedfe98,
    0x48a170391f7dc42444e8fa2,
];

const LO64: u128 = u64::MAX as u128;

/// The full 256-bit product of two u128s as (high, low).
#[inline(always)]
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    // 64 x 64 -> 128-bit products (single widening multiplies).
    let (a1, a0) = ((a >> 64) as u64, a as u64);
    let (b1, b0) = ((b >> 64) as u64, b as u64);
    let p00 = u128::from(a0) * u128::from(b0);
    let p01 = u128::from(a0) * u128::from(b1);
    let p10 = u128::from(a1) * u128::from(b0);
    let p11 = u128::from(a1) * u128::from(b1);
    // Each term < 2**64, so the sum < 3 * 2**64 fits.
    let mid = (p00 >> 64) + (p01 & LO64) + (p10 & LO64);
    let lo = (mid << 64) | (p00 & LO64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// TickMath.getSqrtRatioAtTick: sqrt(1.0001^tick) * 2^96, rounded as the contract rounds.
/// Reverts with "T" when |tick| > MAX_TICK.
pub fn get_sqrt_ratio_at_tick(tick: i32) -> AmmResult<U256> {
    let abs_tick = tick.unsigned_abs();
    if abs_tick > MAX_TICK.unsigned_abs() {
        return Err(revert(format!(
            "T: tick {tick} is out of range [{MIN_TICK}, {MAX_TICK}] (TickMath.getSqrtRatioAtTick)"
        )));
    }
    // `None` stands for the contract's starting ratio 2**128, which does not fit a u128; any
    // multiplication by a factor (< 2**128) brings the ratio below 2**128 for good.
    let mut ratio: Option<u128> = if abs_tick & 1 != 0 { Some(BIT0) } else { None };
    let mut rest = abs_tick >> 1;
    while rest != 0 {
        let i = rest.trailing_zeros();
        rest &= rest - 1;
        if let Some(&factor) = FACTORS.get(i as usize) {
            ratio = Some(match ratio {
                None => factor,
                Some(r) => mul_wide(r, factor).0,
            });
        }
    }
    let ratio: U256 = match ratio {
        // tick == 0
        None => return Ok(U256::from(1u8) << 96),
        // r > 0 for every |tick| <= MAX_TICK (the smallest is about 2**64).
        Some(r) if tick > 0 => U256::MAX.checked_div(U256::from(r)).unwrap_or(U256::MAX),
        Some(r) => U256::from(r),
    };
    // Q128.128 -> Q64.96, rounding up.
    let round = u8::from(ratio.as_limbs()[0] & 0xffff_ffff != 0);
    Ok((ratio >> 32) + U256::from(round))
}

/// Arithmetic (sign-extending) right shift of a two's-complement int256.
#[inline]
fn sar(x: U256, shift: usize) -> U256 {
    if x.bit(255) {
        !((!x) >> shift)
    } else {
        x >> shift
    }
}

/// int256 from i128 (two's complement).
#[inline]
fn i256_from_i128(x: i128) -> U256 {
    let magnitude = U256::from(x.unsigned_abs());
    if x < 0 {
        magnitude.wrapping_neg()
    } else {
        magnitude
    }
}

/// `int24(x)` for an int256 known to be small: the low bits, sign-extended.
#[inline]
fn low_i24(x: U256) -> i32 {
    let low = x.as_limbs()[0] as u32 & 0x00ff_ffff;
    // Sign-extend bit 23.
    ((low << 8) as i32) >> 8
}

/// TickMath.getTickAtSqrtRatio: the greatest tick whose sqrt ratio is <= `sqrt_price_x96`.
/// Reverts with "R" unless MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO.
pub fn get_tick_at_sqrt_ratio(sqrt_price_x96: U256) -> AmmResult<i32> {
    if sqrt_price_x96 < MIN_SQRT_RATIO || sqrt_price_x96 >= MAX_SQRT_RATIO {
        return Err(revert(format!(
            "R: sqrt price {sqrt_price_x96} is outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO) \
             (TickMath.getTickAtSqrtRatio)"
        )));
    }
    if let Some(tick) = tick_from_log(sqrt_price_x96) {
        return Ok(tick);
    }
    Ok(tick_by_bits(sqrt_price_x96))
}

/// Prices below this take the contract's algorithm (see [`tick_from_log`]).
const LOG_PATH_MIN: U256 = U256::from_limbs([0, 1, 0, 0]); // 2**64
/// How far from an integer the estimate must be for its floor to be the tick.
const LOG_MARGIN: f64 = 1e-6;

/// The tick from a floating-point logarithm, where that settles it; None near a tick boundary.
///
/// The estimate x of log base sqrt(1.0001) of (price / 2**96) is within ~2e-10 of the true
/// value (the price's double is within 2**-52 relative, `ln` within an ulp of ~90, the
/// subtraction exact to ~1e-14, the scale by 1/ln(sqrt(1.0001)) ~ 20000). getSqrtRatioAtTick(t)
/// is within ~2**-64 relative of 2**96 * sqrt(1.0001)^t for prices from 2**64 on (its Q128
/// product errs by ~2**-120, its rounding to an integer by 1 / price). So with x more than
/// 1e-6 from any integer, getSqrtRatioAtTick(floor(x)) <= price < getSqrtRatioAtTick of the
/// next tick: floor(x) is the greatest tick at or below the price, the contract's answer. Half
/// the cost of the contract's fourteen dependent squarings; a proptest holds it to them.
#[inline]
fn tick_from_log(sqrt_price_x96: U256) -> Option<i32> {
    if sqrt_price_x96 < LOG_PATH_MIN {
        return None;
    }
    // The top 64 bits as a double, scaled by 2**(bits - 64): within 2**-52 of the price.
    let bits = sqrt_price_x96.bit_len();
    let top = u64::try_from(sqrt_price_x96 >> (bits - 64)).ok()?;
    let ln = (top as f64).ln() + (bits as f64 - 64.0 - 96.0) * std::f64::consts::LN_2;
    let x = ln / LN_SQRT_10001;
    let floor = x.floor();
    let frac = x - floor;
    (frac > LOG_MARGIN && frac < 1.0 - LOG_MARGIN).then_some(floor as i32)
}

/// ln(sqrt(1.0001)) = ln(1.0001) / 2.
const LN_SQRT_10001: f64 = 0.000_049_997_500_166_654_17;

/// getTickAtSqrtRatio as the contract computes it, for a price already checked in range.
fn tick_by_bits(sqrt_price_x96: U256) -> i32 {
    // ratio = price << 32 lies in [2**64, 2**192): msb in [64, 191].
    let ratio: U256 = sqrt_price_x96 << 32usize;
    let msb = ratio.bit_len() - 1;
    // Normalise to 128 bits with the msb at bit 127.
    let r_full = if msb >= 128 {
        ratio >> (msb - 127)
    } else {
        ratio << (127 - msb)
    };
    let [r0, r1, ..] = *r_full.as_limbs();
    let mut r: u128 = (u128::from(r1) << 64) | u128::from(r0);

    // log_2 = (msb - 128) << 64 fits an i128 (|log_2| < 2**71).
    let mut log_2: i128 = (msb as i128 - 128) << 64;
    for shift in (50..=63).rev() {
        // r := (r * r) >> 127 ; f := r >> 128 ; r >>= f
        let (hi, lo) = mul_wide(r, r);
        let f = hi >> 127; // bit 128 of (r * r) >> 127
        log_2 |= (f as i128) << shift;
        r = if f == 1 { hi } else { (hi << 1) | (lo >> 127) };
    }

    // int256 arithmetic in two's complement.
    let log_sqrt10001 =
        i256_from_i128(log_2).wrapping_mul(U256::from(255_738_958_999_603_826_347_141u128));
    let tick_low = low_i24(sar(
        log_sqrt10001.wrapping_sub(U256::from(
            3_402_992_956_809_132_418_596_140_100_660_247_210u128,
        )),
        128,
    ));
    let tick_hi = low_i24(sar(
        log_sqrt10001.wrapping_add(U256::from(
            291_339_464_771_989_622_907_027_621_153_398_088_495u128,
        )),
        128,
    ));
    // tick_hi is within [MIN_TICK, MAX_TICK] for an in-range price, so this cannot fail.
    if tick_low == tick_hi || get_sqrt_ratio_at_tick(tick_hi).map_or(true, |r| r > sqrt_price_x96) {
        tick_low
    } else {
        tick_hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn u(s: &str) -> U256 {
        U256::from_str_radix(s, 10).unwrap()
    }

    #[test]
    fn mul_wide_matches_u256() {
        let xs = [
            0u128,
            1,
            2,
            u64::MAX as u128,
            1 << 64,
            u128::MAX,
            u128::MAX - 1,
            BIT0,
            0x1234_5678_9abc_def0_1122_3344_5566_7788,
        ];
        for &a in &xs {
            for &b in &xs {
                let (hi, lo) = mul_wide(a, b);
                let p = U256::from(a) * U256::from(b);
                assert_eq!(p, (U256::from(hi) << 128) | U256::from(lo), "{a} * {b}");
            }
        }
    }

    #[test]
    fn known_values() {
        assert_eq!(get_sqrt_ratio_at_tick(MIN_TICK).unwrap(), MIN_SQRT_RATIO);
        assert_eq!(get_sqrt_ratio_at_tick(MAX_TICK).unwrap(), MAX_SQRT_RATIO);
        assert_eq!(MIN_SQRT_RATIO, U256::from(4_295_128_739u64));
        assert_eq!(
            MAX_SQRT_RATIO,
            u("1461446703485210103287273052203988822378723970342")
        );
        assert_eq!(get_sqrt_ratio_at_tick(0).unwrap(), U256::from(1u8) << 96);
        assert_eq!(
            get_sqrt_ratio_at_tick(MIN_TICK + 1).unwrap(),
            U256::from(4_295_343_490u64)
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(MAX_TICK - 1).unwrap(),
            u("1461373636630004318706518188784493106690254656249")
        );
        for (tick, value) in super::super::tick_math_vectors::VECTORS {
            assert_eq!(
                get_sqrt_ratio_at_tick(*tick).unwrap(),
                u(value),
                "tick {tick}"
            );
        }
        assert!(get_sqrt_ratio_at_tick(MIN_TICK - 1).is_err());
        assert!(get_sqrt_ratio_at_tick(MAX_TICK + 1).is_err());
        assert!(get_sqrt_ratio_at_tick(i32::MIN).is_err());
        assert!(get_sqrt_ratio_at_tick(i32::MAX).is_err());
        let msg = get_sqrt_ratio_at_tick(MAX_TICK + 1)
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("T:"), "{msg}");

        assert_eq!(get_tick_at_sqrt_ratio(MIN_SQRT_RATIO).unwrap(), MIN_TICK);
        assert_eq!(
            get_tick_at_sqrt_ratio(U256::from(4_295_343_490u64)).unwrap(),
            MIN_TICK + 1
        );
        assert_eq!(
            get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - U256::from(1u8)).unwrap(),
            MAX_TICK - 1
        );
        assert_eq!(
            get_tick_at_sqrt_ratio(u("1461373636630004318706518188784493106690254656249")).unwrap(),
            MAX_TICK - 1
        );
        assert_eq!(get_tick_at_sqrt_ratio(U256::from(1u8) << 96).unwrap(), 0);
        for bad in [
            U256::ZERO,
            MIN_SQRT_RATIO - U256::from(1u8),
            MAX_SQRT_RATIO,
            U256::MAX,
        ] {
            let msg = get_tick_at_sqrt_ratio(bad).unwrap_err().to_string();
            assert!(msg.starts_with("R:"), "{msg}");
        }
    }

    /// Every tick: the ratio is strictly increasing, the tick of a tick's ratio is that tick and
    /// the tick of one below it is the tick below. With monotonicity this pins getTickAtSqrtRatio
    /// at every boundary. Debug builds check a stride of the range (plus both ends) to stay fast.
    #[test]
    fn round_trip_every_tick() {
        let stride = if cfg!(debug_assertions) { 11 } else { 1 };
        let mut ticks: Vec<i32> = (MIN_TICK..=MAX_TICK).step_by(stride).collect();
        ticks.extend(MIN_TICK..MIN_TICK + 300);
        ticks.extend(MAX_TICK - 300..=MAX_TICK);
        ticks.extend(-300..300);
        ticks.sort_unstable();
        ticks.dedup();
        for &t in &ticks {
            let p = get_sqrt_ratio_at_tick(t).unwrap();
            if t < MAX_TICK {
                let next = get_sqrt_ratio_at_tick(t + 1).unwrap();
                assert!(p < next, "not increasing at {t}");
                assert_eq!(get_tick_at_sqrt_ratio(p).unwrap(), t);
                assert_eq!(get_tick_at_sqrt_ratio(next - U256::from(1u8)).unwrap(), t);
            }
            if t > MIN_TICK {
                assert_eq!(get_tick_at_sqrt_ratio(p - U256::from(1u8)).unwrap(), t - 1);
            }
        }
    }

    fn any_price() -> impl Strategy<Value = U256> {
        (any::<[u64; 4]>(), 33usize..=160).prop_map(|(limbs, bits)| {
            let x = U256::from_limbs(limbs) & ((U256::from(1u8) << bits) - U256::from(1u8));
            x.clamp(MIN_SQRT_RATIO, MAX_SQRT_RATIO - U256::from(1u8))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn tick_brackets_price(p in any_price()) {
            let t = get_tick_at_sqrt_ratio(p).unwrap();
            prop_assert!((MIN_TICK..MAX_TICK).contains(&t));
            prop_assert!(get_sqrt_ratio_at_tick(t).unwrap() <= p);
            prop_assert!(p < get_sqrt_ratio_at_tick(t + 1).unwrap());
        }

        /// The logarithm's answer, wherever it gives one, is the contract algorithm's: on
        /// prices of every size and on prices within a few units of a tick's sqrt ratio
        /// (where the estimate must step aside).
        #[test]
        fn log_path_is_the_contract_tick(p in any_price(), t in MIN_TICK + 1..MAX_TICK, d in -3i64..=3, near in any::<bool>()) {
            let p = if near {
                let r = get_sqrt_ratio_at_tick(t).unwrap();
                let q = if d < 0 { r - U256::from(d.unsigned_abs()) } else { r + U256::from(d as u64) };
                q.clamp(MIN_SQRT_RATIO, MAX_SQRT_RATIO - U256::from(1u8))
            } else {
                p
            };
            if let Some(tick) = tick_from_log(p) {
                prop_assert_eq!(tick, tick_by_bits(p));
            }
        }

        #[test]
        fn tick_math_never_panics(t in any::<i32>(), limbs in any::<[u64; 4]>()) {
            let _ = get_sqrt_ratio_at_tick(t);
            let _ = get_tick_at_sqrt_ratio(U256::from_limbs(limbs));
        }
    }
}
