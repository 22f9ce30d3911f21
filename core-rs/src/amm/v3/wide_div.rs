//! Division of a 512-bit numerator by a 256-bit divisor on fixed `u64` limb arrays (Knuth, TAOCP
//! vol. 2, 4.3.1, Algorithm D; base 2^64 with `u128` intermediates).
//!
//! FullMath.mulDiv spends most of its time in this division; ruint's generic `div_rem` on
//! `Uint<512, 8>` handles any width through slices, while here each divisor width (1..=4 limbs)
//! gets its own unrolled copy, digits come from a 3-by-2 division by reciprocal (Möller and
//! Granlund), and only the numerator's significant limbs are visited.
//!
//! Limbs are little-endian (limb 0 least significant), as in ruint's `as_limbs`.

/// `(floor(num / den), num % den != 0)`, with the full 512-bit quotient; `None` when `den` is 0.
///
/// Correct for every input; FullMath's callers only read the low four quotient limbs after
/// checking that the high ones are zero (`den` above the numerator's high half).
// Out of line: mul_div's 256-bit path never calls it, and inlining measured no faster.
#[inline(never)]
pub fn div_rem_512_by_256(num: &[u64; 8], den: &[u64; 4]) -> Option<([u64; 8], bool)> {
    let n = significant_limbs(den);
    let num_len = significant_limbs(num);
    if n == 0 {
        return None;
    }
    if num_len < n {
        // num < den: nothing to divide.
        return Some(([0; 8], num_len != 0));
    }
    // One copy per divisor width, so that the per-digit loops over the divisor unroll.
    Some(match n {
        1 => short_div(num, num_len, den[0]),
        2 => div_by_pair(num, num_len, den[1], den[0]),
        3 => long_div::<3>(num, num_len, den),
        _ => long_div::<4>(num, num_len, den),
    })
}

/// Count of limbs up to and including the most significant nonzero one.
#[inline]
fn significant_limbs<const N: usize>(x: &[u64; N]) -> usize {
    x.iter().rposition(|&limb| limb != 0).map_or(0, |i| i + 1)
}

/// Joins two limbs into one `u128` (`hi * 2^64 + lo`).
#[inline]
fn join(hi: u64, lo: u64) -> u128 {
    (u128::from(hi) << 64) | u128::from(lo)
}

/// `(hi * 2^64 + lo) / d` and its remainder, for `hi < d` (so the quotient fits a limb).
#[inline]
fn div_2_by_1(hi: u64, lo: u64, d: u64) -> (u64, u64) {
    let x = join(hi, lo);
    let q = x / u128::from(d);
    // One division instead of `/` and `%` (each a u128 libcall); x - q*d < d fits a limb.
    let r = x - q * u128::from(d);
    (q as u64, r as u64)
}

/// Division by one nonzero limb, most significant numerator limb first. Measured faster here
/// with the hardware division per limb than with a precomputed reciprocal.
fn short_div(num: &[u64; 8], num_len: usize, d: u64) -> ([u64; 8], bool) {
    let mut quotient = [0u64; 8];
    let mut rem = 0u64;
    for i in (0..num_len).rev() {
        // rem < d keeps every partial quotient within a limb.
        let (q, r) = div_2_by_1(rem, num[i], d);
        quotient[i] = q;
        rem = r;
    }
    (quotient, rem != 0)
}

/// The top two limbs of a normalized divisor (top bit set) with their reciprocal
/// `floor((2^192 - 1) / (d1 * 2^64 + d0)) - 2^64`, after Möller and Granlund, "Improved division
/// by invariant integers" (IEEE Trans. Computers, 2011), algorithms 5 and 6. One hardware
/// division builds it; each quotient digit after that costs three multiplications, and comes out
/// exact for the top three numerator limbs, which Knuth's qhat estimate and test do not give.
#[derive(Clone, Copy)]
struct NormalizedPair {
    d1: u64,
    d0: u64,
    reciprocal: u64,
}

impl NormalizedPair {
    fn new(d1: u64, d0: u64) -> Self {
        debug_assert!(d1 >> 63 == 1);
        // The one-limb reciprocal floor((2^128 - 1) / d1) - 2^64, i.e. (2^128 - 1 - d1 * 2^64) / d1;
        // it fits a limb because d1 >= 2^63. Then correct it for d0 (algorithm 6).
        let mut v = (join(!d1, u64::MAX) / u128::from(d1)) as u64;
        let mut p = d1.wrapping_mul(v).wrapping_add(d0);
        if p < d0 {
            v = v.wrapping_sub(1);
            if p >= d1 {
                v = v.wrapping_sub(1);
                p = p.wrapping_sub(d1);
            }
            p = p.wrapping_sub(d1);
        }
        let t = u128::from(v) * u128::from(d0);
        let (t1, t0) = ((t >> 64) as u64, t as u64);
        p = p.wrapping_add(t1);
        if p < t1 {
            v = v.wrapping_sub(1);
            if join(p, t0) >= join(d1, d0) {
                v = v.wrapping_sub(1);
            }
        }
        Self {
            d1,
            d0,
            reciprocal: v,
        }
    }

    fn value(self) -> u128 {
        join(self.d1, self.d0)
    }

    /// `(u2, u1, u0) / (d1, d0)` and its two-limb remainder, for `(u2, u1) < (d1, d0)` (so the
    /// quotient fits a limb). All arithmetic is modulo 2^64 or 2^128 as in the paper; the two
    /// checks at the end settle an estimate that is at most one off either way.
    #[inline]
    fn div_3_by_2(self, u2: u64, u1: u64, u0: u64) -> (u64, u128) {
        let d = self.value();
        let estimate = (u128::from(self.reciprocal) * u128::from(u2)).wrapping_add(join(u2, u1));
        let (q1, q0) = ((estimate >> 64) as u64, estimate as u64);
        let r1 = u1.wrapping_sub(q1.wrapping_mul(self.d1));
        let mut r = join(r1, u0)
            .wrapping_sub(u128::from(self.d0) * u128::from(q1))
            .wrapping_sub(d);
        let mut q = q1.wrapping_add(1);
        if (r >> 64) as u64 >= q0 {
            q = q.wrapping_sub(1);
            r = r.wrapping_add(d);
        }
        if r >= d {
            q = q.wrapping_add(1);
            r -= d;
        }
        (q, r)
    }
}

/// Division by a two-limb divisor `(d1, d0)`, `d1 != 0`: each digit is one [`div_3_by_2`] whose
/// remainder stays in registers, so no multiply-subtract pass and no add-back (the commonest V3
/// shape: sqrt prices, Q96 and liquidities are all at most 128 bits).
///
/// [`div_3_by_2`]: NormalizedPair::div_3_by_2
fn div_by_pair(num: &[u64; 8], num_len: usize, d1: u64, d0: u64) -> ([u64; 8], bool) {
    let shift = d1.leading_zeros();
    let d = join(d1, d0) << shift;
    let divisor = NormalizedPair::new((d >> 64) as u64, d as u64);
    let u = shift_left(num, shift);
    // The top two limbs of the shifted numerator start the remainder: the upper one holds only
    // the bits shifted out (below 2^shift <= 2^63 <= d1), so they are below the divisor.
    let mut rem = join(shifted_out(num[num_len - 1], shift), u[num_len - 1]);
    let mut quotient = [0u64; 8];
    for j in (0..num_len - 1).rev() {
        let (q, r) = divisor.div_3_by_2((rem >> 64) as u64, rem as u64, u[j]);
        quotient[j] = q;
        rem = r;
    }
    (quotient, rem != 0)
}

/// Algorithm D for a divisor of `N` (3 or 4) significant limbs and `num_len >= N`.
fn long_div<const N: usize>(num: &[u64; 8], num_len: usize, den: &[u64; 4]) -> ([u64; 8], bool) {
    // D1: shift so the divisor's top bit is set, which keeps each digit estimate at most one too
    // large. The numerator gains one limb for the bits shifted out of its top.
    let shift = den[N - 1].leading_zeros();
    let shifted_den = shift_left(den, shift);
    let v: [u64; N] = core::array::from_fn(|i| shifted_den[i]);
    let mut u = [0u64; 9];
    u[..8].copy_from_slice(&shift_left(num, shift));
    u[8] = shifted_out(num[7], shift);

    let top = NormalizedPair::new(v[N - 1], v[N - 2]);
    let mut quotient = [0u64; 8];
    // D2..D7: one quotient digit per position, from the top. Each step leaves the window's top
    // N limbs below v, so the next window's top two limbs are at most v's.
    for j in (0..=num_len - N).rev() {
        quotient[j] = next_digit(&mut u[j..=j + N], &v, top);
    }
    // The remainder (still shifted) is what is left in the low N limbs.
    (quotient, u[..N].iter().any(|&limb| limb != 0))
}

/// One step of Algorithm D: the quotient digit of the (N + 1)-limb `window` by `v`, leaving the
/// remainder in the window.
#[inline]
fn next_digit<const N: usize>(window: &mut [u64], v: &[u64; N], top: NormalizedPair) -> u64 {
    let (Some(&u2), Some(&u1), Some(&u0)) = (window.get(N), window.get(N - 1), window.get(N - 2))
    else {
        return 0;
    };
    if join(u2, u1) >= top.value() {
        // Equal top limbs (the window's top N limbs are below v, so never greater): div_3_by_2
        // does not apply. The top three limbs over (d1, d0) are at least 2^64, so Knuth's D3
        // estimate and test clamp to 2^64 - 1, at most one too large.
        return subtract_multiple(window, v, u64::MAX);
    }
    let (q, rem_top) = top.div_3_by_2(u2, u1, u0);
    // D4 on the limbs below the top three: window -= q * v, where the top three limbs already
    // hold rem_top. q can still be one too large, which shows as a borrow out of rem_top.
    let (low_window, high_window) = window.split_at_mut(N - 2);
    let (borrow_out, low_borrow) = sub_mul(low_window, &v[..N - 2], q);
    let (mut rem_top, negative) = rem_top.overflowing_sub(borrow_out + u128::from(low_borrow));
    let mut q = q;
    if negative {
        // D6 (rare): add v back once.
        let carry = add_back(low_window, &v[..N - 2]);
        rem_top = rem_top
            .wrapping_add(top.value())
            .wrapping_add(u128::from(carry));
        q = q.wrapping_sub(1);
    }
    if let [r0, r1, r2] = high_window {
        *r0 = rem_top as u64;
        *r1 = (rem_top >> 64) as u64;
        *r2 = 0;
    }
    q
}

/// `x << shift` over the array's own width, dropping the bits shifted out of the top limb.
#[inline]
fn shift_left<const N: usize>(x: &[u64; N], shift: u32) -> [u64; N] {
    let mut out = [0u64; N];
    out[0] = x[0] << shift;
    for i in 1..N {
        // Through u128 so that shift == 0 needs no special case (a u64 shift by 64 overflows).
        out[i] = (join(x[i], x[i - 1]) << shift >> 64) as u64;
    }
    out
}

/// The top `shift` bits of `top`, as they land in the limb above it.
#[inline]
fn shifted_out(top: u64, shift: u32) -> u64 {
    (u128::from(top) << shift >> 64) as u64
}

/// `low -= q * v` limb by limb (`v` as long as `low`): returns the multiplication's carry out and
/// the subtraction's borrow out, both still owed by the limbs above.
#[inline]
fn sub_mul(low: &mut [u64], v: &[u64], q: u64) -> (u128, bool) {
    let mut mul_carry = 0u64;
    let mut borrow = false;
    for (w, &vi) in low.iter_mut().zip(v) {
        let product = u128::from(q) * u128::from(vi) + u128::from(mul_carry);
        mul_carry = (product >> 64) as u64;
        let (diff, b1) = w.overflowing_sub(product as u64);
        let (diff, b2) = diff.overflowing_sub(u64::from(borrow));
        *w = diff;
        borrow = b1 | b2;
    }
    (u128::from(mul_carry), borrow)
}

/// `low += v` limb by limb (`v` as long as `low`), returning the carry out.
#[inline]
fn add_back(low: &mut [u64], v: &[u64]) -> bool {
    let mut carry = false;
    for (w, &vi) in low.iter_mut().zip(v) {
        let (sum, c1) = w.overflowing_add(vi);
        let (sum, c2) = sum.overflowing_add(u64::from(carry));
        *w = sum;
        carry = c1 | c2;
    }
    carry
}

/// D4..D6: `window -= qhat * v`, adding `v` back once if that went negative (qhat one too large).
/// Returns the corrected digit. `window` has one more limb than `v`.
fn subtract_multiple(window: &mut [u64], v: &[u64], qhat: u64) -> u64 {
    let Some((top, low)) = window.split_last_mut() else {
        return qhat;
    };
    let (mul_carry, borrow) = sub_mul(low, v, qhat);
    // mul_carry < 2^64, so the sum fits u128 and its low limb is all that reaches `top`.
    let owed = mul_carry + u128::from(borrow);
    let (diff, negative) = u128::from(*top).overflowing_sub(owed);
    *top = diff as u64;
    if !negative {
        return qhat;
    }
    // D6 (rare): add v back; the carry out of the top cancels the borrow. qhat > 0 here, since
    // subtracting 0 cannot borrow.
    let carry = add_back(low, v);
    *top = top.wrapping_add(u64::from(carry));
    qhat.wrapping_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ruint::aliases::U256;

    fn normalized_pair() -> impl Strategy<Value = (u64, u64)> {
        prop_oneof![
            (any::<u64>(), any::<u64>()).prop_map(|(d1, d0)| (d1 | 1 << 63, d0)),
            Just((1 << 63, 0)),
            Just((u64::MAX, u64::MAX)),
            Just((1 << 63, u64::MAX)),
            Just((u64::MAX, 0)),
        ]
    }

    type U512 = ruint::Uint<512, 8>;

    /// next_digit on an (N + 1)-limb window against U512 division; `equal_top` forces the
    /// window's top two limbs to the divisor's, the case div_3_by_2 cannot take.
    fn check_next_digit<const N: usize>(
        v: [u64; N],
        low: [u64; 5],
        equal_top: bool,
    ) -> Result<(), TestCaseError> {
        let mut v = v;
        v[N - 1] |= 1 << 63;
        let top = NormalizedPair::new(v[N - 1], v[N - 2]);
        let mut window = [0u64; 5];
        window[..=N].copy_from_slice(&low[..=N]);
        if equal_top {
            window[N] = v[N - 1];
            window[N - 1] = v[N - 2];
        }
        let limbs = |x: &[u64]| {
            let mut out = [0u64; 8];
            out[..x.len()].copy_from_slice(x);
            U512::from_limbs(out)
        };
        // The precondition: the window's top N limbs below v.
        if limbs(&window[1..=N]) >= limbs(&v) {
            window[1..=N].copy_from_slice(&v);
            window[1] = window[1].wrapping_sub(1);
            if window[1] == u64::MAX {
                return Ok(()); // v[0] was 0: skip rather than borrow further
            }
        }
        let (q, r) = limbs(&window[..=N]).div_rem(limbs(&v));
        let digit = next_digit(&mut window[..=N], &v, top);
        prop_assert_eq!(U512::from(digit), q);
        prop_assert_eq!(limbs(&window[..=N]), r);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]
        #[test]
        fn next_digit_3(v in any::<[u64; 3]>(), low in any::<[u64; 5]>(), equal_top in any::<bool>()) {
            check_next_digit(v, low, equal_top)?;
        }

        #[test]
        fn next_digit_4(v in any::<[u64; 4]>(), low in any::<[u64; 5]>(), equal_top in any::<bool>()) {
            check_next_digit(v, low, equal_top)?;
        }

        #[test]
        fn reciprocal_matches_definition((d1, d0) in normalized_pair()) {
            let d = U256::from(join(d1, d0));
            let expect = (U256::MAX >> 64) / d - (U256::from(1u8) << 64);
            prop_assert_eq!(U256::from(NormalizedPair::new(d1, d0).reciprocal), expect);
        }

        #[test]
        fn div_3_by_2_matches_u256((d1, d0) in normalized_pair(), u in any::<[u64; 3]>(), edge in 0u8..4) {
            let pair = NormalizedPair::new(d1, d0);
            // (u2, u1) must stay below (d1, d0); take it from just below when it is not.
            let mut top = join(u[2], u[1]);
            if top >= pair.value() || edge == 0 {
                top = pair.value() - 1 - u128::from(edge == 1);
            }
            let (u2, u1) = ((top >> 64) as u64, top as u64);
            let num = U256::from_limbs([u[0], u1, u2, 0]);
            let (q, r) = num.div_rem(U256::from(pair.value()));
            prop_assert_eq!(pair.div_3_by_2(u2, u1, u[0]), (q.to::<u64>(), r.to::<u128>()));
        }
    }
}
