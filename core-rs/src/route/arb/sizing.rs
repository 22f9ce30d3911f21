//! Sizing a found cycle: the input maximising its exact profit, by a proven window around the
//! optimum (closed form for constant-product chains, a bracketed search otherwise) and a
//! wei-level climb inside it.

use ruint::aliases::U256;

use super::bracket::{old_bracket, seed_bracket, v2_closed_form, V2Chain};
use super::golden::golden;
use super::profit::{below_by, gt, note, profit_at, Best};
use super::Candidate;
use crate::amm::SignedAmount;
use crate::route::graph::{PoolGraph, PoolView};
use crate::route::pool::{from_f64, to_f64, PoolKind};

/// Integer rounding makes the profit ragged at the wei level: climb from the best input with
/// steps 2^top down to 1 until no neighbour pays more.
fn climb(graph: &PoolGraph, c: &Candidate, best: &mut Best, top: usize) {
    let Some((mut bx, _)) = *best else {
        return;
    };
    for k in (0..=top).rev() {
        let step = U256::from(1u64) << k;
        if step > bx {
            continue;
        }
        // After a move, one neighbour is the input just left: it profits less than the best,
        // so evaluating it again could not change anything.
        let mut left_behind = None;
        loop {
            let mut moved = false;
            let from = bx;
            for cand in [bx.saturating_add(step), bx - step] {
                if cand.is_zero() || left_behind == Some(cand) {
                    continue;
                }
                let p = profit_at(graph, c, cand);
                let before = best.as_ref().map(|b| b.0);
                note(cand, &p, best);
                if best.as_ref().map(|b| b.0) != before {
                    bx = cand;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
            left_behind = Some(from);
        }
    }
}

/// The input maximising the exact profit of a candidate (None if no input profits).
pub(super) fn size(graph: &PoolGraph, c: &Candidate) -> Option<(U256, SignedAmount)> {
    match size_v2(graph, c) {
        Some(best) => best,
        None => size_general(graph, c),
    }
}

/// Sizing of a chain of constant-product legs, or None to fall back to [`size_general`].
///
/// Each leg pays floor(f(x)) for f(x) = a x / (b + c x) (concave, increasing, f'(x) <= f'(0)
/// = rho), so the exact profit g and the real composed profit F (concave) satisfy
/// F - E <= g <= F, with E = 1 + rho_n (1 + rho_{n-1} (...)) bounding the propagated flooring.
/// If g(x0 +- s) + E < g(x0) (or the leg fails there, which it then does further out too), F
/// fell from x0 to x0 +- s, so by concavity F(x0 +- t) <= F(x0 +- s) < g(x0) for every t >= s:
/// no input outside (x0 - s, x0 + s) profits as much as x0. The closed form gives x0 and its
/// curvature the s at which the smooth profit has dropped by ~2E; the wei-level search inside
/// that proven window is the same hill-climb as for any other cycle.
fn size_v2(graph: &PoolGraph, c: &Candidate) -> Option<Best> {
    let V2Chain { a, b, c: cc, err } = V2Chain::of(graph, c)?;
    if cc <= 0.0 || !err.is_finite() {
        return None;
    }
    let x0f = ((a * b).sqrt() - b) / cc;
    if !(x0f.is_finite() && x0f >= 1.0) {
        return None;
    }
    // Generous margins on the f64 arithmetic: E only has to be an upper bound.
    let e = from_f64((err * 1.01 + 2.0).ceil())?;
    let x0 = from_f64(x0f)?;
    let g0 = profit_at(graph, c, x0)?;
    let denom = b + cc * x0f;
    let curv = 2.0 * a * b * cc / (denom * denom * denom);
    let drop = 2.0 * to_f64(e) + 2.0;
    let width = (2.0 * drop / curv).sqrt();
    let mut k = if width.is_finite() && width > 1.0 {
        (width.log2().ceil() as usize).min(250)
    } else {
        1
    };
    let one = U256::from(1u8);
    // Prove the window with exact evaluations, widening it if the smooth model was off.
    let proven = loop {
        if k > 250 {
            return None;
        }
        let s = one << k;
        let right = x0
            .checked_add(s)
            .and_then(|x| profit_at(graph, c, x))
            .is_none_or(|p| below_by(&p, e, &g0));
        let left = s >= x0 || profit_at(graph, c, x0 - s).is_none_or(|p| below_by(&p, e, &g0));
        if right && left {
            break k;
        }
        k += 2;
        if k > 250 {
            return None;
        }
    };
    if proven > x0.bit_len().saturating_sub(6).min(63) {
        return None;
    }
    let mut best: Best = Some((x0, g0));
    climb(graph, c, &mut best, proven.saturating_sub(1));
    Some(best.filter(|(_, p)| !p.negative && !p.magnitude.is_zero()))
}

/// Any cycle: bracket the optimum of the concave exact profit (closed form for constant-product
/// chains, powers of two otherwise), golden-section search, then the wei-level hill-climb.
fn size_general(graph: &PoolGraph, c: &Candidate) -> Option<(U256, SignedAmount)> {
    let mut best: Best = None;
    let e = noise_bound(graph, c);
    if v2_closed_form(graph, c).and_then(from_f64).is_some() {
        // A constant-product chain whose window could not be proven (see size_v2).
        return size_old(graph, c);
    }
    let (lo, hi) = match seed_bracket(graph, c, &mut best, e) {
        Some(b) => b,
        None => old_bracket(graph, c, &mut best, None)?,
    };
    // Below x/64 the climb searches anyway (from the proven window): on large inputs the golden
    // search stops there once rounding noise has shown up. Small inputs keep the full search.
    let stop_below = if lo.bit_len() > 22 {
        lo >> 6usize
    } else {
        U256::ZERO
    };
    let (width, _, _) = golden(graph, c, &mut best, lo, hi, e, stop_below);
    let (bx, _) = best?;
    let top = bx.bit_len().saturating_sub(6).min(63);
    // The search only trusted comparisons wider than the noise; prove the window it left with
    // exact evaluations (as for constant-product chains, taking E as a generous per-leg rounding
    // bound) so that the wei-level climb can start inside it instead of at x/64. Under concavity
    // a window proven at 2^k also holds further out, so binary-search the smallest proven k
    // below the golden search's trusted width.
    let mut hi_k = width.bit_len().min(top);
    let mut proven = window_holds(graph, c, bx, hi_k, e, &best);
    while !proven && hi_k < top {
        hi_k = (hi_k + 2).min(top);
        proven = window_holds(graph, c, bx, hi_k, e, &best);
    }
    let mut lo_k = 0usize;
    if proven {
        while lo_k < hi_k {
            let mid = (lo_k + hi_k) / 2;
            if window_holds(graph, c, bx, mid, e, &best) {
                hi_k = mid;
            } else {
                lo_k = mid + 1;
            }
        }
    } else {
        // Noise as wide as x/64: the original, wider search does better there.
        return size_old(graph, c);
    }
    // Steps of 2^hi_k and beyond cannot pay more (hi_k > top: nothing proven, climb from top).
    let start = hi_k.saturating_sub(1).min(top);
    climb(graph, c, &mut best, start);
    best.filter(|(_, p)| !p.negative && !p.magnitude.is_zero())
}

/// A generous bound on how far rounding can push a cycle's exact profit below its smooth
/// counterpart: each leg rounds by a few units (one for constant product, more for V3 steps and
/// StableSwap's iterations), carried through the later legs at no more than their spot rates.
fn noise_bound(graph: &PoolGraph, c: &Candidate) -> U256 {
    let mut err = 0.0f64;
    for (&p, &(i, j)) in c.pools.iter().zip(&c.dirs) {
        let pool = graph.pool(p);
        let rho = pool.rate_ub[pool.direction(i as usize, j as usize)];
        let unit = match pool.kind {
            PoolKind::V2 { .. } => 1.0,
            _ => 16.0,
        };
        err = err * rho + unit;
    }
    from_f64((2.0 * err + 2.0).ceil()).unwrap_or(U256::MAX)
}

/// True if the exact profit at bx +- 2^k is below the best by more than `e` on both sides (or
/// the legs fail there): then no input outside (bx - 2^k, bx + 2^k) beats it.
fn window_holds(
    graph: &PoolGraph,
    c: &Candidate,
    bx: U256,
    k: usize,
    e: U256,
    best: &Best,
) -> bool {
    let Some((_, g)) = best else {
        return false;
    };
    let s = U256::from(1u8) << k;
    let right = bx
        .checked_add(s)
        .and_then(|x| profit_at(graph, c, x))
        .is_none_or(|p| below_by(&p, e, g));
    right && (s >= bx || profit_at(graph, c, bx - s).is_none_or(|p| below_by(&p, e, g)))
}

/// The original search (ternary search, then a climb from x/64), for cycles whose rounding
/// noise is too wide to prove a window below x/64: its wider search pays off there.
fn size_old(graph: &PoolGraph, c: &Candidate) -> Option<(U256, SignedAmount)> {
    let one = U256::from(1u8);
    let mut best: Best = None;
    let closed = v2_closed_form(graph, c).and_then(from_f64);
    let (mut lo, mut hi) = old_bracket(graph, c, &mut best, closed)?;
    // Ternary search over the concave exact profit; a failed leg (None) lies outside the range
    // that works, on the side away from the best input seen.
    while hi - lo > U256::from(2u8) {
        let third = (hi - lo) / U256::from(3u8);
        let m1 = lo + third;
        let m2 = hi - third;
        let (p1, p2) = (profit_at(graph, c, m1), profit_at(graph, c, m2));
        note(m1, &p1, &mut best);
        note(m2, &p2, &mut best);
        let anchor = best.as_ref().map(|b| b.0);
        match (&p1, &p2) {
            (Some(_), Some(_)) => {
                if gt(&p1, &p2) {
                    hi = m2;
                } else {
                    lo = m1;
                }
            }
            (Some(_), None) => hi = m2,
            (None, Some(_)) => lo = m1,
            (None, None) => match anchor {
                Some(a) if m2 <= a => lo = m1,
                Some(a) if m1 >= a => hi = m2,
                _ => {
                    lo = m1;
                    hi = m2;
                }
            },
        }
    }
    let mut x = lo;
    while x <= hi {
        let p = profit_at(graph, c, x);
        note(x, &p, &mut best);
        x += one;
    }
    if let Some((bx, _)) = best {
        climb(graph, c, &mut best, bx.bit_len().saturating_sub(6).min(63));
    }
    best.filter(|(_, p)| !p.negative && !p.magnitude.is_zero())
}
