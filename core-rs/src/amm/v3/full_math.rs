//! FullMath (v3-core): `a * b / denominator` with a 512-bit intermediate product, rounding down or
//! up, reverting exactly where the contract's `require`s fail; and UnsafeMath.divRoundingUp.

use ruint::aliases::U256;
use ruint::Uint;

use super::wide_div::div_rem_512_by_256;
use crate::amm::error::revert;
use crate::amm::AmmResult;

type U512 = Uint<512, 8>;

/// `floor(a * b / denominator)` and whether the division left a remainder; `None` where
/// FullMath.mulDiv reverts: a zero denominator or a quotient that does not fit 256 bits.
#[inline]
fn mul_div_rem(a: U256, b: U256, denominator: U256) -> Option<(U256, bool)> {
    if denominator.is_zero() {
        return None;
    }
    let product: U512 = a.widening_mul(b);
    let [l0, l1, l2, l3, h0, h1, h2, h3] = *product.as_limbs();
    if denominator.is_power_of_two() {
        // SqrtPriceMath divides by Q96 = 2**96 (getAmount1Delta, a swap step's output): a shift.
        let k = denominator.trailing_zeros();
        let q = product >> k;
        let [q0, q1, q2, q3, q4, q5, q6, q7] = *q.as_limbs();
        if q4 | q5 | q6 | q7 != 0 {
            return None;
        }
        let rem = !(product & ((U512::from(1u8) << k) - U512::from(1u8))).is_zero();
        return Some((U256::from_limbs([q0, q1, q2, q3]), rem));
    }
    if h0 | h1 | h2 | h3 == 0 {
        // The product fits 256 bits: one 256-bit division. ruint's U256 div_rem stays here (and in
        // div_rounding_up): on 256-bit numerators it measured as fast as wide_div or faster.
        let (q, r) = U256::from_limbs([l0, l1, l2, l3]).div_rem(denominator);
        return Some((q, !r.is_zero()));
    }
    // The contract requires denominator > prod1 (the high half), i.e. a 256-bit quotient.
    if denominator <= U256::from_limbs([h0, h1, h2, h3]) {
        return None;
    }
    // Fixed-width Knuth division: measured faster than ruint's generic U512 div_rem on V3 shapes
    // (benches/full_math.rs). The check above leaves the quotient's high limbs zero.
    let ([q0, q1, q2, q3, ..], rem) =
        div_rem_512_by_256(product.as_limbs(), denominator.as_limbs())?;
    Some((U256::from_limbs([q0, q1, q2, q3]), rem))
}

/// FullMath.mulDiv: `floor(a * b / denominator)` with full precision. Reverts (no reason string in
/// the contract) when `denominator` is 0 or the result overflows uint256.
#[inline]
pub fn mul_div(a: U256, b: U256, denominator: U256) -> AmmResult<U256> {
    match mul_div_rem(a, b, denominator) {
        Some((q, _)) => Ok(q),
        None => Err(mul_div_revert()),
    }
}

/// FullMath.mulDivRoundingUp: `ceil(a * b / denominator)`. Reverts where mulDiv does, and when the
/// rounded-up result would be 2**256 (`require(result < type(uint256).max)` before the increment).
#[inline]
pub fn mul_div_rounding_up(a: U256, b: U256, denominator: U256) -> AmmResult<U256> {
    match mul_div_rem(a, b, denominator) {
        Some((q, false)) => Ok(q),
        Some((q, true)) => {
            if q == U256::MAX {
                Err(revert(
                    "FullMath.mulDivRoundingUp: require(result < type(uint256).max) failed \
                     (the contract gives no reason string)",
                ))
            } else {
                Ok(q + U256::from(1u8))
            }
        }
        None => Err(mul_div_revert()),
    }
}

fn mul_div_revert() -> crate::amm::AmmError {
    revert(
        "FullMath.mulDiv: denominator is zero or the result overflows uint256 \
         (the contract's require gives no reason string)",
    )
}

/// UnsafeMath.divRoundingUp: `x / y` rounded up, computed as the EVM does in assembly, so a zero
/// divisor gives 0 rather than reverting.
#[inline]
pub fn div_rounding_up(x: U256, y: U256) -> U256 {
    if y.is_zero() {
        return U256::ZERO;
    }
    let (q, r) = x.div_rem(y);
    if r.is_zero() {
        q
    } else {
        // q < x <= U256::MAX when there is a remainder (y >= 2), so this cannot wrap.
        q.wrapping_add(U256::from(1u8))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // ---- An independent reference: 32-bit limbs, schoolbook product, bit-by-bit long division.

    fn to_u32_limbs(x: U256) -> [u32; 8] {
        let mut out = [0u32; 8];
        for (i, limb) in x.as_limbs().iter().enumerate() {
            out[2 * i] = *limb as u32;
            out[2 * i + 1] = (*limb >> 32) as u32;
        }
        out
    }

    fn from_u32_limbs(x: &[u32]) -> U256 {
        let mut limbs = [0u64; 4];
        for (i, l) in limbs.iter_mut().enumerate() {
            *l = u64::from(x[2 * i]) | (u64::from(x[2 * i + 1]) << 32);
        }
        U256::from_limbs(limbs)
    }

    fn school_mul(a: U256, b: U256) -> [u32; 16] {
        let (a, b) = (to_u32_limbs(a), to_u32_limbs(b));
        let mut out = [0u32; 16];
        for i in 0..8 {
            let mut carry = 0u64;
            for j in 0..8 {
                let t = u64::from(a[i]) * u64::from(b[j]) + u64::from(out[i + j]) + carry;
                out[i + j] = t as u32;
                carry = t >> 32;
            }
            out[i + 8] = carry as u32;
        }
        out
    }

    /// (quotient as 16 limbs, remainder nonzero), by restoring binary long division.
    fn long_div(num: [u32; 16], den: U256) -> ([u32; 16], bool) {
        let d = to_u32_limbs(den);
        let mut q = [0u32; 16];
        let mut r = [0u32; 9];
        for bit in (0..512).rev() {
            // r = 2r + bit
            let mut carry = (num[bit / 32] >> (bit % 32)) & 1;
            for limb in r.iter_mut() {
                let next = *limb >> 31;
                *limb = (*limb << 1) | carry;
                carry = next;
            }
            // if r >= d { r -= d; q |= bit }
            let mut ge = true;
            for i in (0..9).rev() {
                let di = if i < 8 { d[i] } else { 0 };
                if r[i] != di {
                    ge = r[i] > di;
                    break;
                }
            }
            if ge {
                let mut borrow = 0i64;
                for (i, limb) in r.iter_mut().enumerate() {
                    let di = if i < 8 { i64::from(d[i]) } else { 0 };
                    let t = i64::from(*limb) - di - borrow;
                    borrow = i64::from(t < 0);
                    *limb = (t + (borrow << 32)) as u32;
                }
                q[bit / 32] |= 1 << (bit % 32);
            }
        }
        (q, r.iter().any(|&x| x != 0))
    }

    fn reference(a: U256, b: U256, d: U256, up: bool) -> Option<U256> {
        if d.is_zero() {
            return None;
        }
        let (q, rem) = long_div(school_mul(a, b), d);
        if q[8..].iter().any(|&x| x != 0) {
            return None;
        }
        let q = from_u32_limbs(&q[..8]);
        if up && rem {
            q.checked_add(U256::from(1u8))
        } else {
            Some(q)
        }
    }

    /// Values of every size: a random bit length, so that small, 256-bit and boundary values all occur.
    fn any_u256() -> impl Strategy<Value = U256> {
        (any::<[u64; 4]>(), 0usize..=256, 0u8..8).prop_map(|(limbs, bits, special)| match special {
            0 => U256::MAX,
            1 => U256::ZERO,
            _ => {
                let x = U256::from_limbs(limbs);
                if bits == 256 {
                    x
                } else {
                    x & ((U256::from(1u8) << bits) - U256::from(1u8))
                }
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn mul_div_matches_reference(a in any_u256(), b in any_u256(), d in any_u256()) {
            prop_assert_eq!(mul_div(a, b, d).ok(), reference(a, b, d, false));
            prop_assert_eq!(mul_div_rounding_up(a, b, d).ok(), reference(a, b, d, true));
        }

        #[test]
        fn mul_div_near_overflow(a in any_u256(), b in any_u256(), shift in 0usize..=255) {
            // Denominators around the product's high half: the revert boundary.
            let (_, hi) = {
                let p = school_mul(a, b);
                (from_u32_limbs(&p[..8]), from_u32_limbs(&p[8..]))
            };
            for d in [hi, hi.saturating_add(U256::from(1u8)), hi.saturating_sub(U256::from(1u8)),
                      hi >> shift, U256::MAX >> shift] {
                prop_assert_eq!(mul_div(a, b, d).ok(), reference(a, b, d, false));
                prop_assert_eq!(mul_div_rounding_up(a, b, d).ok(), reference(a, b, d, true));
            }
        }

        #[test]
        fn mul_div_by_powers_of_two(a in any_u256(), b in any_u256(), k in 0usize..256) {
            // The shift path: Q96 and every other power of two, around the overflow boundary.
            let d = U256::from(1u8) << k;
            prop_assert_eq!(mul_div(a, b, d).ok(), reference(a, b, d, false));
            prop_assert_eq!(mul_div_rounding_up(a, b, d).ok(), reference(a, b, d, true));
        }

        #[test]
        fn div_rounding_up_matches(x in any_u256(), y in any_u256()) {
            let expect = if y.is_zero() { U256::ZERO } else { x.div_ceil(y) };
            prop_assert_eq!(div_rounding_up(x, y), expect);
        }
    }

    // ---- wide_div::div_rem_512_by_256 on its own, against ruint's U512 div_rem and long_div.

    fn u512_from(limbs: [u64; 8]) -> U512 {
        U512::from_limbs(limbs)
    }

    fn u32_limbs_512(x: [u64; 8]) -> [u32; 16] {
        let mut out = [0u32; 16];
        for (i, limb) in x.iter().enumerate() {
            out[2 * i] = *limb as u32;
            out[2 * i + 1] = (*limb >> 32) as u32;
        }
        out
    }

    fn u64_limbs_512(x: [u32; 16]) -> [u64; 8] {
        let mut out = [0u64; 8];
        for (i, limb) in out.iter_mut().enumerate() {
            *limb = u64::from(x[2 * i]) | (u64::from(x[2 * i + 1]) << 32);
        }
        out
    }

    /// Both references, then the routine; the quotient is compared in full (all 8 limbs).
    fn check_wide_div(num: [u64; 8], den: [u64; 4]) -> Result<(), TestCaseError> {
        let got = div_rem_512_by_256(&num, &den);
        let d = U256::from_limbs(den);
        if d.is_zero() {
            prop_assert_eq!(got, None);
            return Ok(());
        }
        let (q, r) =
            u512_from(num).div_rem(u512_from([den[0], den[1], den[2], den[3], 0, 0, 0, 0]));
        prop_assert_eq!(
            got,
            Some((*q.as_limbs(), !r.is_zero())),
            "ruint: {:x?} / {:x?}",
            num,
            den
        );
        let (ref_q, ref_rem) = long_div(u32_limbs_512(num), d);
        prop_assert_eq!(got, Some((u64_limbs_512(ref_q), ref_rem)), "long_div");
        Ok(())
    }

    /// Limbs that stress the algorithm: extremes, single bits, and leading-zero runs of any length.
    fn edgy_limb() -> impl Strategy<Value = u64> {
        prop_oneof![
            any::<u64>(),
            Just(0u64),
            Just(u64::MAX),
            Just(1u64),
            Just(1u64 << 63),
            (any::<u64>(), 0u32..64).prop_map(|(x, s)| x >> s),
            (0u64..4).prop_map(|k| u64::MAX - k),
            (0u64..4).prop_map(|k| (1u64 << 63) + k),
        ]
    }

    /// A divisor of exactly 1..=4 significant limbs.
    fn divisor() -> impl Strategy<Value = [u64; 4]> {
        (
            1usize..=4,
            [edgy_limb(), edgy_limb(), edgy_limb(), edgy_limb()],
        )
            .prop_map(|(len, mut d)| {
                d[len..].fill(0);
                if d[len - 1] == 0 {
                    d[len - 1] = 1;
                }
                d
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn wide_div_any(num in prop::array::uniform8(edgy_limb()), den in divisor(), len in 0usize..=8) {
            // Numerators of every significant length, including shorter than the divisor.
            let mut num = num;
            num[len..].fill(0);
            check_wide_div(num, den)?;
        }

        #[test]
        fn wide_div_quotient_just_fits(den in divisor(), low in prop::array::uniform4(edgy_limb()), k in 0u64..3) {
            // High half den - 1 - k: the largest numerators whose quotient still fits 256 bits.
            let d = U256::from_limbs(den);
            let high = d.saturating_sub(U256::from(1 + k));
            let [h0, h1, h2, h3] = *high.as_limbs();
            check_wide_div([low[0], low[1], low[2], low[3], h0, h1, h2, h3], den)?;
            // And with the high half equal to den: the quotient needs 257 bits.
            let [h0, h1, h2, h3] = den;
            check_wide_div([low[0], low[1], low[2], low[3], h0, h1, h2, h3], den)?;
        }

        #[test]
        fn wide_div_add_back_shapes(x in edgy_limb(), top in 1usize..=3, k in prop::array::uniform8(0u64..3), ones in 0usize..=8) {
            // A divisor whose top limb is 2^63 over zero limbs under-weights its low limb in the
            // qhat estimate, so numerators of near-all-ones limbs overshoot and need the add-back.
            let mut den = [0u64; 4];
            den[0] = x;
            den[top] = 1 << 63;
            let mut num = [0u64; 8];
            for (i, limb) in num.iter_mut().enumerate().take(ones) {
                *limb = u64::MAX - k[i];
            }
            check_wide_div(num, den)?;
            num[ones.min(7)] = 1 << 63;
            check_wide_div(num, den)?;
        }

        #[test]
        fn wide_div_products(a in any_u256(), b in any_u256(), den in divisor()) {
            let product: U512 = a.widening_mul(b);
            check_wide_div(*product.as_limbs(), den)?;
        }
    }

    #[test]
    fn wide_div_fixed_cases() {
        let all_ones = [u64::MAX; 8];
        for den in [
            [u64::MAX; 4],
            [u64::MAX, 0, 0, 0],
            [1, 0, 0, 0],
            [0, 0, 0, 1],
            [0, 0, 0, 1 << 63],
            [1, 0, 1 << 63, 0],
            [u64::MAX, 0, 0, 1 << 63],
            [0, 0, 0, 0],
        ] {
            check_wide_div(all_ones, den).unwrap();
            check_wide_div([0; 8], den).unwrap();
        }
        // 2^255 / (2^191 + 1) = 2^64 - 1: the first digit's estimate is 1 where the digit is 0,
        // which only the add-back step corrects.
        let (q, rem) = div_rem_512_by_256(&[0, 0, 0, 1 << 63, 0, 0, 0, 0], &[1, 0, 1 << 63, 0])
            .expect("nonzero divisor");
        assert_eq!(q, [u64::MAX, 0, 0, 0, 0, 0, 0, 0]);
        assert!(rem);
    }

    #[test]
    fn known_values() {
        let max = U256::MAX;
        let one = U256::from(1u8);
        // FullMath tests of v3-core.
        assert!(mul_div(U256::from(5u8), U256::from(5u8), U256::ZERO).is_err());
        assert!(mul_div(max, max, max - one).is_err());
        assert_eq!(mul_div(max, max, max).unwrap(), max);
        let q128 = one << 128;
        // (Q128 / 2) * (Q128 * 50 / 100) / Q128 == Q128 / 4
        let half = q128 >> 1;
        let x = q128 * U256::from(50u8) / U256::from(100u8);
        assert_eq!(mul_div(half, x, q128).unwrap(), q128 >> 2);
        // Q128 * 35 * 8 / Q128 = 280 (within the fast path)
        assert_eq!(
            mul_div(q128, U256::from(35u8), U256::from(8u8)).unwrap(),
            q128 * U256::from(35u8) / U256::from(8u8)
        );
        // mulDivRoundingUp(max, max, max) == max; an overflowing round-up reverts.
        assert_eq!(mul_div_rounding_up(max, max, max).unwrap(), max);
        // 535006138814359 * 432862656469423142931042426214547535783388063929571229938474969 /
        // 2 rounds up past uint256::max
        let a = U256::from(535_006_138_814_359u64);
        let b = U256::from_str_radix(
            "432862656469423142931042426214547535783388063929571229938474969",
            10,
        )
        .unwrap();
        assert!(mul_div_rounding_up(a, b, U256::from(2u8)).is_err());
        assert_eq!(mul_div(a, b, U256::from(2u8)).unwrap(), U256::MAX);
        assert_eq!(
            div_rounding_up(U256::from(7u8), U256::from(2u8)),
            U256::from(4u8)
        );
        assert_eq!(div_rounding_up(U256::from(7u8), U256::ZERO), U256::ZERO);
    }
}
