//! One pool as a routing edge: exact simulation of a leg (exact input or exact output) through the
//! AMM kernels, the state change a leg makes, and the float spot rates the search uses only as
//! upper bounds for pruning (never as results).

use std::collections::BTreeMap;

use ruint::aliases::U256;

use crate::amm::v3::V3Pool;
use crate::amm::{stable, v2, SignedAmount};

/// The pool's math and state.
#[derive(Clone, Debug)]
pub enum PoolKind {
    V2 {
        reserves: [U256; 2],
        fee_bps: u32,
    },
    V3(Box<V3Pool>),
    Stable {
        balances: Vec<U256>,
        amp: U256,
        fee: U256,
        rates: Option<Vec<U256>>,
    },
}

/// What one leg did: the amounts in and out and the V3 ticks it crossed (for the gas model).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    pub amount_in: U256,
    pub amount_out: U256,
    pub ticks_crossed: u32,
}

/// A pool in the graph: address, its tokens (graph token indices, in the pool's coin order) and
/// math. `rate_ub[k]` is an upper bound of out/in for any input along direction k (see
/// [`Pool::direction`]), refreshed on every state change.
#[derive(Clone, Debug)]
pub struct Pool {
    pub address: [u8; 20],
    pub tokens: Vec<u32>,
    pub kind: PoolKind,
    pub rate_ub: Vec<f64>,
    /// Per direction: an upper bound of what the pool can pay out, whatever the input.
    pub cap_out: Vec<f64>,
    /// Per direction: an input the pool surely absorbs whole (a lower bound of its capacity);
    /// any input up to it makes a valid leg, which lets the search compare amounts safely.
    pub cap_in: Vec<f64>,
    /// Per direction: an input beyond which the pool surely cannot absorb the whole input (V3
    /// liquidity runs out first); infinite for other pools.
    pub cap_in_max: Vec<f64>,
    /// Per direction: initialized V3 ticks a swap could cross (0 for other pools).
    pub ticks_ahead: Vec<u32>,
    /// A StableSwap pool's invariant D at its current balances (None: other pools, or get_D
    /// reverts there), so that quotes skip its Newton iteration.
    stable_d: Option<U256>,
}

/// Rounding slack on the float bounds: a bound must never fall below a true exact output.
const BOUND_SLACK: f64 = 1.0 + 1e-9;
/// StableSwap's marginal rate comes from a float derivative of the invariant: wider slack.
const STABLE_SLACK: f64 = 1.0 + 1e-6;

/// U256 to the nearest-below f64 (relative error under 2**-52).
pub fn to_f64(x: U256) -> f64 {
    let bits = x.bit_len();
    if bits <= 64 {
        x.as_limbs()[0] as f64
    } else {
        let shift = bits - 64;
        ((x >> shift).as_limbs()[0] as f64) * 2f64.powi(shift as i32)
    }
}

/// f64 (finite, >= 0) to U256, rounding down; None if it does not fit.
pub fn from_f64(x: f64) -> Option<U256> {
    if !x.is_finite() || x < 0.0 {
        return None;
    }
    if x < 18_446_744_073_709_551_616.0 {
        return Some(U256::from(x as u64));
    }
    let exp = x.log2().floor() as usize;
    if exp >= 256 {
        return None;
    }
    let shift = exp - 63;
    let mantissa = (x / 2f64.powi(shift as i32)) as u64;
    Some(U256::from(mantissa) << shift)
}

impl Pool {
    pub fn new(address: [u8; 20], tokens: Vec<u32>, kind: PoolKind) -> Pool {
        let n = tokens.len();
        let mut pool = Pool {
            address,
            tokens,
            kind,
            rate_ub: vec![0.0; n * n],
            cap_out: vec![0.0; n * n],
            cap_in: vec![0.0; n * n],
            cap_in_max: vec![f64::INFINITY; n * n],
            ticks_ahead: vec![0; n * n],
            stable_d: None,
        };
        pool.refresh_rates();
        pool
    }

    /// Index of direction (coin i in, coin j out) into `rate_ub`.
    pub fn direction(&self, i: usize, j: usize) -> usize {
        i * self.tokens.len() + j
    }

    pub fn is_v3(&self) -> bool {
        matches!(self.kind, PoolKind::V3(_))
    }

    /// Recomputes the spot-rate bounds (and a StableSwap pool's D) after a state change.
    pub fn refresh_rates(&mut self) {
        self.stable_d = self.invariant_d();
        let n = self.tokens.len();
        for i in 0..n {
            for j in 0..n {
                let d = i * n + j;
                self.rate_ub[d] = if i == j { 0.0 } else { self.spot_rate(i, j) };
                let (cap_in, cap_out, ticks) = if i == j {
                    (0.0, 0.0, 0)
                } else {
                    self.capacity(i, j)
                };
                self.cap_in_max[d] = match &self.kind {
                    PoolKind::V3(_) if i != j => {
                        // capacity() scaled the float estimate down by 1e-6 and a few units.
                        (cap_in + 4.0 * (ticks as f64 + 1.0)) * (1.0 + 4e-6) + 8.0
                    }
                    _ => f64::INFINITY,
                };
                self.cap_in[d] = cap_in;
                self.cap_out[d] = cap_out;
                self.ticks_ahead[d] = ticks;
            }
        }
    }

    /// A StableSwap pool's D at its balances (None for other pools, or where get_D reverts).
    fn invariant_d(&self) -> Option<U256> {
        match &self.kind {
            PoolKind::Stable {
                balances,
                amp,
                rates,
                ..
            } => stable::pool_d(balances, *amp, rates.as_deref()).ok(),
            _ => None,
        }
    }

    /// (input surely absorbed, most output, ticks ahead) for direction i -> j.
    fn capacity(&self, i: usize, j: usize) -> (f64, f64, u32) {
        match &self.kind {
            PoolKind::V2 { reserves, .. } => {
                // getAmountOut overflows once amount_in * 1e4 * reserve_out passes 2**256.
                let r_out = to_f64(reserves[j]).max(1.0);
                (1.1e77 / (1e4 * r_out), r_out, 0)
            }
            PoolKind::Stable { balances, .. } => {
                // get_dy stays in range far beyond any real trade; outputs never exceed the
                // balance.
                (to_f64(balances[i]).max(1.0) * 1e12, to_f64(balances[j]), 0)
            }
            PoolKind::V3(p) => v3_capacity(p, i == 0),
        }
    }

    /// Mid price of coin j per coin i, without the fee (for gas conversion and depth).
    pub fn mid_rate(&self, i: usize, j: usize) -> f64 {
        match &self.kind {
            PoolKind::V2 { reserves, .. } => {
                let (r_in, r_out) = (to_f64(reserves[i]), to_f64(reserves[j]));
                if r_in > 0.0 {
                    r_out / r_in
                } else {
                    0.0
                }
            }
            PoolKind::V3(p) => {
                if p.liquidity() == 0 {
                    return 0.0;
                }
                let s = to_f64(p.sqrt_price_x96()) / 2f64.powi(96);
                let price = s * s; // token1 per token0
                if i == 0 {
                    price
                } else if price > 0.0 {
                    1.0 / price
                } else {
                    0.0
                }
            }
            PoolKind::Stable { .. } => self.stable_marginal(i, j).unwrap_or(0.0),
        }
    }

    /// Depth of coin i's side, in coin i units: how much of coin i the pool holds (V2, stable) or
    /// would hold as virtual reserves at the current price (V3: L / sqrtP for token0, L * sqrtP
    /// for token1).
    pub fn depth(&self, i: usize) -> f64 {
        match &self.kind {
            PoolKind::V2 { reserves, .. } => to_f64(reserves[i]),
            PoolKind::V3(p) => {
                let l = p.liquidity() as f64;
                let s = to_f64(p.sqrt_price_x96()) / 2f64.powi(96);
                if i == 0 {
                    if s > 0.0 {
                        l / s
                    } else {
                        0.0
                    }
                } else {
                    l * s
                }
            }
            PoolKind::Stable { balances, .. } => to_f64(balances[i]),
        }
    }

    /// Upper bound of amount_out / amount_in for every input: the marginal rate at zero input
    /// after the fee (AMM outputs are concave in the input and round down).
    fn spot_rate(&self, i: usize, j: usize) -> f64 {
        match &self.kind {
            PoolKind::V2 { fee_bps, .. } => {
                self.mid_rate(i, j) * (1.0 - *fee_bps as f64 / 10_000.0) * BOUND_SLACK
            }
            PoolKind::V3(p) => {
                // Within the current range the price only worsens; a zero-liquidity current range
                // can still lead to liquidity further on, at a worse price than the current one
                // only in the swap direction, so the current price still bounds the rate.
                let s = to_f64(p.sqrt_price_x96()) / 2f64.powi(96);
                let price = s * s;
                let raw = if i == 0 {
                    price
                } else if price > 0.0 {
                    1.0 / price
                } else {
                    f64::INFINITY
                };
                raw * (1.0 - p.fee() as f64 / 1e6) * BOUND_SLACK
            }
            // No fee factor: StableSwap charges floor(dy * fee / 1e10), nothing at all on an
            // output below 1e10 / fee, so dust trades pay the fee-less marginal rate.
            PoolKind::Stable { .. } => match self.stable_marginal(i, j) {
                Some(m) => m * STABLE_SLACK,
                None => f64::INFINITY,
            },
        }
    }

    /// dy/dx of the StableSwap invariant at the current balances (coin j per coin i, raw units).
    /// With F = Ann S + D - Ann D - D^(n+1) / (n^n P), the marginal rate is dF/dx_i / dF/dx_j
    /// on rate-normalised balances.
    fn stable_marginal(&self, i: usize, j: usize) -> Option<f64> {
        let PoolKind::Stable {
            balances,
            amp,
            rates,
            ..
        } = &self.kind
        else {
            return None;
        };
        let n = balances.len();
        let rate = |k: usize| -> f64 { rates.as_ref().map(|r| to_f64(r[k]) / 1e18).unwrap_or(1.0) };
        let xp: Vec<f64> = (0..n).map(|k| to_f64(balances[k]) * rate(k)).collect();
        if xp.iter().any(|x| *x <= 0.0) {
            return None;
        }
        // D of these balances: refresh_rates computes it before the rates.
        let d = to_f64(self.stable_d?);
        // The template's Ann = amp * n (its stored A already carries n**(n-1)).
        let ann = to_f64(*amp) / stable::A_PRECISION as f64 * n as f64;
        let nn = (n as f64).powi(n as i32);
        // D^(n+1) / (n^n P) computed in logs: the powers overflow f64 for 18-decimal balances.
        let log_term = (n as f64 + 1.0) * d.ln() - nn.ln() - xp.iter().map(|x| x.ln()).sum::<f64>();
        // dF/dx_k of F = Ann S + D - Ann D - D^(n+1)/(n^n P).
        let partial = |k: usize| ann + (log_term - xp[k].ln()).exp();
        let m = partial(i) / partial(j);
        if !(m.is_finite() && m > 0.0) {
            return None;
        }
        // Raw units: dy_raw/dx_raw = m * rate_i / rate_j.
        Some(m * rate(i) / rate(j))
    }

    /// Exact-input leg from coin i to coin j. None where the pool cannot take the whole input
    /// (a V3 pool would stop at its price limit with input left), reverts, or pays nothing.
    pub fn quote_in(&self, i: usize, j: usize, amount_in: U256) -> Option<Leg> {
        // A V3 input past the pool's liquidity would walk the bitmap to the price limit only
        // to fail: refuse it up front.
        if to_f64(amount_in) > self.cap_in_max[self.direction(i, j)] {
            return None;
        }
        let (out, ticks) = match &self.kind {
            PoolKind::V2 { reserves, fee_bps } => (
                v2::amount_out(amount_in, reserves[i], reserves[j], *fee_bps).ok()?,
                0,
            ),
            PoolKind::V3(p) => {
                let r = p.quote(i == 0, SignedAmount::positive(amount_in)).ok()?;
                let (paid_in, paid_out) = if i == 0 {
                    (r.amount0, r.amount1)
                } else {
                    (r.amount1, r.amount0)
                };
                if paid_in.negative || paid_in.magnitude != amount_in || !paid_out.negative {
                    return None;
                }
                (paid_out.magnitude, r.ticks_crossed)
            }
            PoolKind::Stable {
                balances,
                amp,
                fee,
                rates,
            } => (
                stable::get_dy_with_d(
                    i,
                    j,
                    amount_in,
                    balances,
                    *amp,
                    *fee,
                    rates.as_deref(),
                    self.stable_d?,
                )
                .ok()?,
                0,
            ),
        };
        if out.is_zero() {
            return None;
        }
        Some(Leg {
            amount_in,
            amount_out: out,
            ticks_crossed: ticks,
        })
    }

    /// Exact-output leg: the least input of coin i for which the pool pays `amount_out` of coin
    /// j. None where no input can (V3 liquidity runs out, V2 reserve too small).
    pub fn quote_out(&self, i: usize, j: usize, amount_out: U256) -> Option<Leg> {
        match &self.kind {
            PoolKind::V2 { reserves, fee_bps } => {
                let mut x = v2::amount_in(amount_out, reserves[i], reserves[j], *fee_bps).ok()?;
                // getAmountIn's "+ 1" can overshoot the least input by one.
                while x > U256::from(1u8) {
                    let smaller = x - U256::from(1u8);
                    match v2::amount_out(smaller, reserves[i], reserves[j], *fee_bps) {
                        Ok(y) if y >= amount_out => x = smaller,
                        _ => break,
                    }
                }
                Some(Leg {
                    amount_in: x,
                    amount_out,
                    ticks_crossed: 0,
                })
            }
            PoolKind::V3(p) => {
                let r = p.quote(i == 0, SignedAmount::negative(amount_out)).ok()?;
                let (paid_in, paid_out) = if i == 0 {
                    (r.amount0, r.amount1)
                } else {
                    (r.amount1, r.amount0)
                };
                if paid_in.negative
                    || paid_in.magnitude.is_zero()
                    || paid_out.magnitude != amount_out
                {
                    return None;
                }
                Some(Leg {
                    amount_in: paid_in.magnitude,
                    amount_out,
                    ticks_crossed: r.ticks_crossed,
                })
            }
            PoolKind::Stable { balances, .. } => {
                if amount_out >= balances[j] {
                    return None;
                }
                // get_dy is monotone in dx: find the least dx paying amount_out by doubling
                // then bisection, every probe exact.
                let pays = |dx: U256| {
                    self.quote_in(i, j, dx)
                        .is_some_and(|l| l.amount_out >= amount_out)
                };
                let mut hi = amount_out.max(U256::from(1u8));
                let mut doublings = 0;
                while !pays(hi) {
                    hi = hi.checked_mul(U256::from(2u8))?;
                    doublings += 1;
                    if doublings > 256 {
                        return None;
                    }
                }
                let mut lo = U256::ZERO; // never pays
                while hi - lo > U256::from(1u8) {
                    let mid = lo + ((hi - lo) >> 1);
                    if pays(mid) {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                Some(Leg {
                    amount_in: hi,
                    amount_out,
                    ticks_crossed: 0,
                })
            }
        }
    }

    /// The pool's state after an exact-input leg of `amount_in` (coin i) that `quote_in`
    /// accepted. V2 reserves move by the amounts; V3 moves to the swap's price, tick and
    /// liquidity; StableSwap balances move by dx and dy (the fee stays in the pool: admin fee 0).
    pub fn apply_in(&mut self, i: usize, j: usize, leg: &Leg) {
        self.move_state(i, j, leg);
        self.refresh_rates();
    }

    /// [`Pool::apply_in`] for a pool that will only be quoted ([`Pool::quote_in`]) afterwards:
    /// the state moves and StableSwap's D is recomputed, but the float bounds, which cost a walk
    /// over every V3 tick, are set to ones that hold for any state (no rate bound, no capacity
    /// known) instead of recomputed. Searches must not run over such a pool: nothing would be
    /// pruned. One bound stays: what a V3 pool can absorb in the leg's own direction only
    /// shrinks as the leg moves its price, so the old bound still holds there and keeps
    /// quote_in from walking the bitmap to the price limit for inputs past it.
    pub fn apply_in_for_quotes(&mut self, i: usize, j: usize, leg: &Leg) {
        self.move_state(i, j, leg);
        self.stable_d = self.invariant_d();
        self.rate_ub.fill(f64::INFINITY);
        self.cap_out.fill(f64::INFINITY);
        self.cap_in.fill(0.0);
        let same = self.direction(i, j);
        for (d, cap) in self.cap_in_max.iter_mut().enumerate() {
            if d != same {
                *cap = f64::INFINITY;
            }
        }
        self.ticks_ahead.fill(u32::MAX);
    }

    fn move_state(&mut self, i: usize, j: usize, leg: &Leg) {
        match &mut self.kind {
            PoolKind::V2 { reserves, .. } => {
                reserves[i] += leg.amount_in;
                reserves[j] -= leg.amount_out;
            }
            PoolKind::V3(p) => {
                // A result of this pool's own swap from its current state: apply takes it.
                if let Ok(r) = p.swap(i == 0, SignedAmount::positive(leg.amount_in), None) {
                    let _ = p.apply(&r);
                }
            }
            PoolKind::Stable { balances, .. } => {
                balances[i] += leg.amount_in;
                balances[j] -= leg.amount_out;
            }
        }
    }
}

/// sqrt(1.0001^tick), the f64 price the capacity bounds use.
fn sqrt_at(tick: i32) -> f64 {
    (tick as f64 * 0.000_049_997_500_166_654_17).exp() // ln(1.0001) / 2
}

/// sqrt(1.0001^tick) from the exact TickMath ratio: for the boundary next to the current
/// price, where the first range's amounts are differences of nearly equal prices (a relative
/// error in the boundary grows by the inverse of the range's width).
fn sqrt_at_exact(tick: i32) -> f64 {
    crate::amm::v3::get_sqrt_ratio_at_tick(tick)
        .map(|x| to_f64(x) / 2f64.powi(96))
        .unwrap_or_else(|_| sqrt_at(tick))
}

/// A V3 pool's capacity in one direction, walking its ranges in f64: the input that moves the
/// price through every range with liquidity (scaled down a little: surely absorbed), the
/// output those ranges hold (scaled up: never exceeded), and the initialized ticks ahead.
fn v3_capacity(p: &V3Pool, zero_for_one: bool) -> (f64, f64, u32) {
    use crate::amm::v3::{MAX_TICK, MIN_TICK};
    let fee = 1.0 - p.fee() as f64 / 1e6;
    let mut l = p.liquidity() as f64;
    let mut s = to_f64(p.sqrt_price_x96()) / 2f64.powi(96);
    let (mut amount_in, mut amount_out, mut ticks) = (0.0f64, 0.0f64, 0u32);
    let segment = |l: f64, from: f64, to: f64, ai: &mut f64, ao: &mut f64| {
        if l <= 0.0 {
            return;
        }
        let (lo, hi) = if from < to { (from, to) } else { (to, from) };
        let d0 = l * (1.0 / lo - 1.0 / hi);
        let d1 = l * (hi - lo);
        if zero_for_one {
            *ai += d0 / fee;
            *ao += d1;
        } else {
            *ai += d1 / fee;
            *ao += d0;
        }
    };
    if zero_for_one {
        for (&t, &net) in p.ticks().range(..=p.tick()).rev() {
            let next = if ticks == 0 {
                sqrt_at_exact(t)
            } else {
                sqrt_at(t)
            };
            segment(l, s, next, &mut amount_in, &mut amount_out);
            s = next;
            l -= net as f64;
            ticks += 1;
        }
        segment(l, s, sqrt_at(MIN_TICK), &mut amount_in, &mut amount_out);
    } else {
        for (&t, &net) in p.ticks().range(p.tick() + 1..) {
            let next = if ticks == 0 {
                sqrt_at_exact(t)
            } else {
                sqrt_at(t)
            };
            segment(l, s, next, &mut amount_in, &mut amount_out);
            s = next;
            l += net as f64;
            ticks += 1;
        }
        segment(l, s, sqrt_at(MAX_TICK), &mut amount_in, &mut amount_out);
    }
    // Integer rounding costs the swap a few wei per step: keep well clear of it.
    let rounding = 4.0 * (ticks as f64 + 1.0);
    (
        (amount_in * (1.0 - 1e-6) - rounding).max(0.0),
        amount_out * (1.0 + 1e-6) + rounding,
        ticks,
    )
}

/// Validates a V3 tick map update and applies it: `Some(delta)` adds to liquidityNet (the tick
/// is initialized if new), `None` removes the tick. All-or-nothing.
pub fn apply_tick_deltas(
    pool: &V3Pool,
    deltas: &BTreeMap<i32, Option<i128>>,
) -> Result<V3Pool, String> {
    let mut ticks = pool.ticks().to_nets();
    for (&t, delta) in deltas {
        match delta {
            None => {
                ticks.remove(&t);
            }
            Some(d) => {
                let cur = ticks.get(&t).copied().unwrap_or(0);
                let next = cur
                    .checked_add(*d)
                    .ok_or_else(|| format!("ticks: liquidityNet of tick {t} overflows int128"))?;
                ticks.insert(t, next);
            }
        }
    }
    V3Pool::new(
        pool.sqrt_price_x96(),
        pool.tick(),
        pool.liquidity(),
        pool.fee(),
        pool.tick_spacing(),
        ticks,
    )
    .map(|mut next| {
        // liquidityGross stays known where it was (the map only moved by net deltas).
        for &t in pool.ticks().keys() {
            if let Some(g) = pool.liquidity_gross(t) {
                if next.ticks().contains_key(&t) {
                    let _ = next.set_liquidity_gross(t, g);
                }
            }
        }
        next
    })
    .map_err(|e| e.to_string())
}
