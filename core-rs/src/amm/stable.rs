//! Curve StableSwap as curve-contract's `pool-templates/base/SwapTemplateBase.vy` (Vyper 0.2.8,
//! A_PRECISION = 100; the factory's plain pools compute the same) has it: integer get_D / get_y /
//! get_dy exactly as the Vyper code computes them, uint256 arithmetic where any overflow,
//! underflow or division by zero reverts, Newton iterations until two successive values differ
//! by at most 1 (255 rounds at most). tests/test_amm_stableswap_curvesim.py holds it to curvesim.

use ruint::aliases::U256;

use super::error::{invalid, revert, AmmResult};

pub const A_PRECISION: u64 = 100;
pub const FEE_DENOMINATOR: u64 = 10_000_000_000;
pub const PRECISION: u64 = 1_000_000_000_000_000_000;
pub const MAX_COINS: usize = 8;
const MAX_ITERATIONS: usize = 255;

fn mul(a: U256, b: U256) -> AmmResult<U256> {
    a.checked_mul(b)
        .ok_or_else(|| revert("StableSwap: uint256 overflow"))
}

fn add(a: U256, b: U256) -> AmmResult<U256> {
    a.checked_add(b)
        .ok_or_else(|| revert("StableSwap: uint256 overflow"))
}

fn sub(a: U256, b: U256) -> AmmResult<U256> {
    a.checked_sub(b)
        .ok_or_else(|| revert("StableSwap: uint256 underflow"))
}

fn div(a: U256, b: U256) -> AmmResult<U256> {
    a.checked_div(b)
        .ok_or_else(|| revert("StableSwap: division by zero"))
}

fn converged(a: U256, b: U256) -> bool {
    a.abs_diff(b) <= U256::from(1)
}

/// The invariant D for normalised balances `xp` and `amp` = A * A_PRECISION.
pub fn get_d(xp: &[U256], amp: U256) -> AmmResult<U256> {
    let n = U256::from(xp.len());
    let mut s = U256::ZERO;
    for x in xp {
        s = add(s, *x)?;
    }
    if s.is_zero() {
        return Ok(U256::ZERO);
    }
    let a_prec = U256::from(A_PRECISION);
    let ann = mul(amp, n)?;
    let mut d = s;
    for _ in 0..MAX_ITERATIONS {
        let mut d_p = d;
        for x in xp {
            d_p = div(mul(d_p, d)?, mul(*x, n)?)?;
        }
        let d_prev = d;
        let numerator = mul(add(div(mul(ann, s)?, a_prec)?, mul(d_p, n)?)?, d)?;
        let denominator = add(
            div(mul(sub(ann, a_prec)?, d)?, a_prec)?,
            mul(add(n, U256::from(1))?, d_p)?,
        )?;
        d = div(numerator, denominator)?;
        if converged(d, d_prev) {
            return Ok(d);
        }
    }
    Err(revert("StableSwap: get_D did not converge"))
}

/// The new balance of coin `j` when coin `i`'s normalised balance becomes `x`.
pub fn get_y(i: usize, j: usize, x: U256, xp: &[U256], amp: U256) -> AmmResult<U256> {
    let n_coins = xp.len();
    if i == j || i >= n_coins || j >= n_coins {
        return Err(invalid(format!(
            "i, j: need two different coin indices below {n_coins}, got {i} and {j}"
        )));
    }
    get_y_with_d(i, j, x, xp, amp, get_d(xp, amp)?)
}

/// get_y for the invariant `d` of `xp` (= get_d(xp, amp)); indices already checked.
fn get_y_with_d(i: usize, j: usize, x: U256, xp: &[U256], amp: U256, d: U256) -> AmmResult<U256> {
    let n_coins = xp.len();
    let n = U256::from(n_coins);
    let a_prec = U256::from(A_PRECISION);
    let ann = mul(amp, n)?;
    let mut c = d;
    let mut s = U256::ZERO;
    for (k, balance) in xp.iter().enumerate() {
        let value = if k == i {
            x
        } else if k != j {
            *balance
        } else {
            continue;
        };
        s = add(s, value)?;
        c = div(mul(c, d)?, mul(value, n)?)?;
    }
    c = div(mul(mul(c, d)?, a_prec)?, mul(ann, n)?)?;
    let b = add(s, div(mul(d, a_prec)?, ann)?)?;
    let mut y = d;
    for _ in 0..MAX_ITERATIONS {
        let y_prev = y;
        y = div(
            add(mul(y, y)?, c)?,
            sub(add(mul(y, U256::from(2))?, b)?, d)?,
        )?;
        if converged(y, y_prev) {
            return Ok(y);
        }
    }
    Err(revert("StableSwap: get_y did not converge"))
}

/// get_dy: what the pool pays in coin `j` for `dx` of coin `i`, after the fee.
/// `rates` default to 1e18 per coin (18-decimal coins); `fee` is on the 1e10 scale.
pub fn get_dy(
    i: usize,
    j: usize,
    dx: U256,
    balances: &[U256],
    amp: U256,
    fee: U256,
    rates: Option<&[U256]>,
) -> AmmResult<U256> {
    let rates = checked_args(i, j, balances, amp, fee, rates)?;
    dy_after_checks(i, j, dx, balances, amp, fee, &rates[..balances.len()], None)
}

/// The pool's invariant D at raw `balances` (normalised by `rates` as get_dy does), for
/// [`get_dy_with_d`]: the route kernel quotes one pool state hundreds of times, and D (a Newton
/// iteration as long as get_y's) does not depend on the input.
pub fn pool_d(balances: &[U256], amp: U256, rates: Option<&[U256]>) -> AmmResult<U256> {
    let rates = checked_args(0, 1, balances, amp, U256::ZERO, rates)?;
    let n_coins = balances.len();
    get_d(&normalised(balances, &rates[..n_coins])?[..n_coins], amp)
}

/// get_dy with `d` = [`pool_d`] of the same balances, amp and rates: the same result (or the
/// same revert), without recomputing D.
#[allow(clippy::too_many_arguments)]
pub fn get_dy_with_d(
    i: usize,
    j: usize,
    dx: U256,
    balances: &[U256],
    amp: U256,
    fee: U256,
    rates: Option<&[U256]>,
    d: U256,
) -> AmmResult<U256> {
    let rates = checked_args(i, j, balances, amp, fee, rates)?;
    dy_after_checks(
        i,
        j,
        dx,
        balances,
        amp,
        fee,
        &rates[..balances.len()],
        Some(d),
    )
}

/// get_dy's argument checks, in its order; the rates to use (`rates`, or 1e18 per coin), in a
/// fixed array whose first `balances.len()` entries count.
fn checked_args(
    i: usize,
    j: usize,
    balances: &[U256],
    amp: U256,
    fee: U256,
    rates: Option<&[U256]>,
) -> AmmResult<[U256; MAX_COINS]> {
    let n_coins = balances.len();
    if !(2..=MAX_COINS).contains(&n_coins) {
        return Err(invalid(format!(
            "balances: a pool has 2 to {MAX_COINS} coins, got {n_coins}"
        )));
    }
    if i == j || i >= n_coins || j >= n_coins {
        return Err(invalid(format!(
            "i, j: need two different coin indices below {n_coins}, got {i} and {j}"
        )));
    }
    if fee >= U256::from(FEE_DENOMINATOR) {
        return Err(invalid(format!(
            "fee: must be below 1e10 (100%), got {fee}"
        )));
    }
    if amp.is_zero() {
        return Err(invalid("amp: must be positive (A * A_PRECISION)"));
    }
    let mut out = [U256::from(PRECISION); MAX_COINS];
    if let Some(r) = rates {
        if r.len() != n_coins {
            return Err(invalid(format!(
                "rates: {} rates for {n_coins} coins",
                r.len()
            )));
        }
        if let Some(k) = r.iter().position(|r| r.is_zero()) {
            return Err(invalid(format!("rates[{k}]: must be positive")));
        }
        out[..n_coins].copy_from_slice(r);
    }
    Ok(out)
}

/// xp = rates * balances / 1e18, in a fixed array (no allocation per quote).
fn normalised(balances: &[U256], rates: &[U256]) -> AmmResult<[U256; MAX_COINS]> {
    let precision = U256::from(PRECISION);
    let mut xp = [U256::ZERO; MAX_COINS];
    for (k, (b, r)) in balances.iter().zip(rates).enumerate() {
        xp[k] = div(mul(*r, *b)?, precision)?;
    }
    Ok(xp)
}

/// get_dy's arithmetic once its arguments are valid; `d` = D of the balances if known.
#[allow(clippy::too_many_arguments)]
fn dy_after_checks(
    i: usize,
    j: usize,
    dx: U256,
    balances: &[U256],
    amp: U256,
    fee: U256,
    rates: &[U256],
    d: Option<U256>,
) -> AmmResult<U256> {
    let precision = U256::from(PRECISION);
    let xp = normalised(balances, rates)?;
    let xp = &xp[..balances.len()];
    let x = add(xp[i], div(mul(dx, rates[i])?, precision)?)?;
    let d = match d {
        Some(d) => d,
        None => get_d(xp, amp)?,
    };
    let y = get_y_with_d(i, j, x, xp, amp, d)?;
    let dy = sub(sub(xp[j], y)?, U256::from(1))?;
    let fee_amount = div(mul(fee, dy)?, U256::from(FEE_DENOMINATOR))?;
    div(mul(sub(dy, fee_amount)?, precision)?, rates[j])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e18(v: u64) -> U256 {
        U256::from(v) * U256::from(PRECISION)
    }

    #[test]
    fn balanced_pool_trades_near_par() {
        let balances = [e18(1_000_000), e18(1_000_000), e18(1_000_000)];
        let dy = get_dy(
            0,
            1,
            e18(1000),
            &balances,
            U256::from(2000 * 100),
            U256::from(4_000_000),
            None,
        )
        .unwrap();
        // 0.04% fee and a tiny curvature loss at A = 2000
        assert!(dy < e18(1000) && dy > e18(999), "{dy}");
    }

    #[test]
    fn symmetric_and_monotonic() {
        let balances = [e18(500), e18(500)];
        let amp = U256::from(100 * 100);
        let a = get_dy(0, 1, e18(10), &balances, amp, U256::ZERO, None).unwrap();
        let b = get_dy(1, 0, e18(10), &balances, amp, U256::ZERO, None).unwrap();
        assert_eq!(a, b);
        let more = get_dy(0, 1, e18(11), &balances, amp, U256::ZERO, None).unwrap();
        assert!(more > a);
    }

    #[test]
    fn bad_input() {
        let balances = [e18(1), e18(1)];
        let amp = U256::from(10_000);
        assert!(get_dy(0, 0, e18(1), &balances, amp, U256::ZERO, None).is_err());
        assert!(get_dy(0, 2, e18(1), &balances, amp, U256::ZERO, None).is_err());
        assert!(get_dy(0, 1, e18(1), &balances[..1], amp, U256::ZERO, None).is_err());
        assert!(get_dy(
            0,
            1,
            e18(1),
            &balances,
            amp,
            U256::from(FEE_DENOMINATOR),
            None
        )
        .is_err());
        assert!(get_dy(0, 1, e18(1), &[U256::ZERO, e18(1)], amp, U256::ZERO, None).is_err());
        assert!(get_dy(0, 1, U256::MAX, &balances, amp, U256::ZERO, None).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bal in proptest::collection::vec(0u128.., 2..9), dx in 0u128.., amp in 0u64..10_000_000, fee in 0u64..FEE_DENOMINATOR) {
            let balances: Vec<U256> = bal.iter().map(|b| U256::from(*b)).collect();
            let _ = get_dy(0, 1, U256::from(dx), &balances, U256::from(amp), U256::from(fee), None);
        }

        /// get_dy_with_d over a precomputed D is get_dy, value for value and error for error.
        #[test]
        fn with_d_equals_get_dy(
            bal in proptest::collection::vec(1u128.., 2..5),
            rates in proptest::collection::vec(1u64.., 4),
            use_rates in proptest::bool::ANY,
            dx in 1u128..,
            amp in 1u64..10_000_000,
            fee in 0u64..FEE_DENOMINATOR,
            i in 0usize..4,
            j in 0usize..4,
        ) {
            let n = bal.len();
            let (i, j) = (i % n, j % n);
            let balances: Vec<U256> = bal.iter().map(|b| U256::from(*b)).collect();
            let rates: Vec<U256> = rates[..n].iter().map(|r| U256::from(*r) * U256::from(1_000_000u64)).collect();
            let rates = use_rates.then_some(&rates[..]);
            let (amp, fee, dx) = (U256::from(amp), U256::from(fee), U256::from(dx));
            let direct = get_dy(i, j, dx, &balances, amp, fee, rates);
            match pool_d(&balances, amp, rates) {
                Ok(d) => proptest::prop_assert_eq!(
                    format!("{:?}", get_dy_with_d(i, j, dx, &balances, amp, fee, rates, d)),
                    format!("{direct:?}")
                ),
                // D itself reverts: so does every get_dy on these balances.
                Err(_) => proptest::prop_assert!(direct.is_err()),
            }
        }
    }
}
