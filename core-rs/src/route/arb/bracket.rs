//! Where a cycle's optimum lies: the constant-product closed form, a smooth model of any cycle,
//! and the brackets (doubling and halving, or every power of two) the searches start from.

use ruint::aliases::U256;

use super::profit::{below_by, note, profit_at, Best};
use super::Candidate;
use crate::amm::SignedAmount;
use crate::route::graph::{PoolGraph, PoolView};
use crate::route::pool::{from_f64, to_f64, PoolKind};

/// A chain of constant-product legs composed into one x -> a x / (b + c x) (the family is
/// closed under composition), with `err` the propagated flooring bound of size_v2's proof.
pub(super) struct V2Chain {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub err: f64,
}

impl V2Chain {
    /// None unless every leg is a constant-product pool.
    pub(super) fn of(graph: &PoolGraph, cand: &Candidate) -> Option<V2Chain> {
        let mut ch = V2Chain {
            a: 1.0,
            b: 1.0,
            c: 0.0,
            err: 0.0,
        };
        for (&p, &(i, j)) in cand.pools.iter().zip(&cand.dirs) {
            let PoolKind::V2 { reserves, fee_bps } = &graph.pool(p).kind else {
                return None;
            };
            let gamma = 1.0 - *fee_bps as f64 / 10_000.0;
            let (r_in, r_out) = (to_f64(reserves[i as usize]), to_f64(reserves[j as usize]));
            let (a2, b2, c2) = (gamma * r_out, r_in, gamma);
            ch = V2Chain {
                a: ch.a * a2,
                b: ch.b * b2,
                c: b2 * ch.c + c2 * ch.a,
                err: ch.err * (gamma * r_out / r_in) + 1.0,
            };
        }
        Some(ch)
    }

    /// The input maximising a x / (b + c x) - x, if positive and finite.
    pub(super) fn optimum(&self) -> Option<f64> {
        if self.c <= 0.0 {
            return None;
        }
        let x = ((self.a * self.b).sqrt() - self.b) / self.c;
        (x.is_finite() && x > 0.0).then_some(x)
    }
}

/// The closed-form optimum of a chain of constant-product legs (ignoring integer rounding).
pub(super) fn v2_closed_form(graph: &PoolGraph, c: &Candidate) -> Option<f64> {
    V2Chain::of(graph, c)?.optimum()
}

/// The bracket of the old search: a window around the constant-product closed form, or the
/// best of every power of two.
pub(super) fn old_bracket(
    graph: &PoolGraph,
    c: &Candidate,
    best: &mut Best,
    closed: Option<U256>,
) -> Option<(U256, U256)> {
    let one = U256::from(1u8);
    match closed {
        // Rounding moves the integer optimum a little: search a window around the closed form.
        Some(x) => {
            let w: U256 = (x >> 6usize).max(U256::from(4u8));
            Some((x.saturating_sub(w).max(one), x.saturating_add(w)))
        }
        None => {
            // Try every power of two (rounding makes dust profits ragged, so no early stop on a
            // small dip) until legs fail or, after a profit, the cycle loses a quarter of its input: past the
            // optimum for good. The best power of two brackets the optimum of the concave profit.
            let mut x = one;
            let mut seen_some = false;
            for _ in 0..256 {
                let Some(next_x) = x.checked_mul(U256::from(2u8)) else {
                    break;
                };
                let p = profit_at(graph, c, next_x);
                note(next_x, &p, best);
                let profited = best
                    .as_ref()
                    .is_some_and(|b| !b.1.negative && !b.1.magnitude.is_zero());
                match &p {
                    None if seen_some => break,
                    Some(q) if profited && q.negative && q.magnitude > (next_x >> 2usize) => break,
                    Some(_) => seen_some = true,
                    None => {}
                }
                x = next_x;
            }
            let bracket = best
                .as_ref()
                .filter(|b| !b.1.negative && !b.1.magnitude.is_zero())
                .map(|b| {
                    (
                        (b.0 >> 1usize).max(one),
                        b.0.saturating_mul(U256::from(2u8)),
                    )
                });
            bracket
        }
    }
}

/// Smooth stand-in for a cycle: each leg as a constant-product pool with the leg's spot rate and
/// the depth of its input side (the reserve; a V3 pool's virtual reserve in its active range; a
/// StableSwap balance, deepened by the flat curve). Only a starting point for [`seed_bracket`].
fn model_optimum(graph: &PoolGraph, c: &Candidate) -> Option<f64> {
    let (mut a, mut b, mut cc) = (1.0f64, 1.0f64, 0.0f64);
    for (&p, &(i, j)) in c.pools.iter().zip(&c.dirs) {
        let pool = graph.pool(p);
        let rate = pool.rate_ub[pool.direction(i as usize, j as usize)];
        let depth = match &pool.kind {
            PoolKind::V2 { reserves, .. } => to_f64(reserves[i as usize]),
            PoolKind::V3(v) => {
                let l = v.liquidity() as f64;
                let s = to_f64(v.sqrt_price_x96()) / 2f64.powi(96);
                if i == 0 {
                    l / s
                } else {
                    l * s
                }
            }
            PoolKind::Stable { balances, .. } => to_f64(balances[i as usize]) * 10.0,
        };
        if !(depth.is_finite() && depth > 0.0 && rate.is_finite() && rate > 0.0) {
            return None;
        }
        let next = (a * rate * depth, b * depth, depth * cc + a);
        a = next.0;
        b = next.1;
        cc = next.2;
    }
    if !(cc > 0.0 && a.is_finite() && b.is_finite()) {
        return None;
    }
    let x = ((a * b).sqrt() - b) / cc;
    (x.is_finite() && x >= 2.0).then_some(x)
}

/// Brackets the optimum by doubling up and halving down from the model's optimum until the
/// exact profit falls more than the noise `e` below the best seen (or the legs fail, which they
/// then do further out too): under concavity with rounding noise <= e the integer optimum lies
/// strictly between those two inputs. None (fall back to every power of two) if no input tried
/// profits.
pub(super) fn seed_bracket(
    graph: &PoolGraph,
    c: &Candidate,
    best: &mut Best,
    e: U256,
) -> Option<(U256, U256)> {
    let x0 = from_f64(model_optimum(graph, c)?)?;
    let p0 = profit_at(graph, c, x0);
    note(x0, &p0, best);
    p0?;
    let worse = |p: &Option<SignedAmount>, best: &Best| match (p, best) {
        (None, _) => true,
        (Some(q), Some((_, g))) => below_by(q, e, g),
        (Some(_), None) => false,
    };
    let mut hi = None;
    let mut x = x0;
    for _ in 0..256 {
        let Some(nx) = x.checked_mul(U256::from(2u8)) else {
            break;
        };
        let p = profit_at(graph, c, nx);
        note(nx, &p, best);
        if worse(&p, best) {
            hi = Some(nx);
            break;
        }
        x = nx;
    }
    let hi = hi?;
    let mut lo = U256::from(1u8);
    let mut x = x0;
    while x > U256::from(1u8) {
        let nx = x >> 1usize;
        let p = profit_at(graph, c, nx);
        note(nx, &p, best);
        if worse(&p, best) {
            lo = nx;
            break;
        }
        x = nx;
    }
    best.as_ref()
        .filter(|b| !b.1.negative && !b.1.magnitude.is_zero())
        .map(|_| (lo, hi))
}
