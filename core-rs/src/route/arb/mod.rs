//! Arbitrage cycles: simple cycles of pools from a token back to itself that return more than
//! they take, each sized at its most profitable input by exact simulation.
//!
//! A cycle can profit at some size only if the product of its marginal rates exceeds 1 (the
//! composed output is concave with f(0) = 0, so f(x) <= f'(0) x), which prunes the enumeration
//! with the same spot-rate bounds as the route search. StableSwap bounds are fee-less (its floored
//! fee charges nothing at dust sizes) at the pool's own integer D. What the pruning leaves out,
//! by design: a cycle whose marginal rates multiply to at most 1 can still return a few wei more
//! than it takes at dust sizes, because StableSwap's integer get_D / get_y may pay more than
//! rate x input (by up to tens of wei in very imbalanced pools). Such rounding-only profits are
//! not reported; no gas price pays for them, and a sound additive bound would send every cycle
//! with a StableSwap leg through a dust scan. Sizing: constant-product chains have a
//! closed form (composed V2 legs are x -> a x / (b + c x), maximal at x = (sqrt(ab) - b) / c),
//! refined on the exact integer math; anything else gets a ternary search over the exact,
//! concave profit.

use rayon::prelude::*;
use ruint::aliases::U256;

use super::gas::GasPricing;
use super::graph::{Edge, PoolGraph, PoolView};
use super::pool::{from_f64, to_f64, PoolKind};
use super::search::{net, pricing, rate_bounds, simulate_path, RouteOptions};
use crate::amm::SignedAmount;

#[derive(Clone, Debug)]
pub struct Cycle {
    pub pools: Vec<u32>,
    pub directions: Vec<(u8, u8)>,
    /// hops + 1 tokens, first == last.
    pub tokens: Vec<u32>,
    pub amounts: Vec<U256>,
    pub ticks_crossed: Vec<u32>,
    pub amount_in: U256,
    pub amount_out: U256,
    pub profit: SignedAmount,
    pub gas_estimate: u64,
    pub gas_cost: U256,
    pub profit_net: SignedAmount,
}

struct Candidate {
    pools: Vec<u32>,
    dirs: Vec<(u8, u8)>,
    tokens: Vec<u32>,
}

struct Enumerator<'a> {
    graph: &'a PoolGraph,
    start: u32,
    max_hops: usize,
    bounds: Vec<Vec<f64>>,
    allow_fot: bool,
    pools: Vec<u32>,
    dirs: Vec<(u8, u8)>,
    tokens: Vec<u32>,
    found: Vec<Candidate>,
}

impl Enumerator<'_> {
    fn dfs(&mut self, t: u32, product: f64) {
        let graph = self.graph;
        let remaining = self.max_hops - self.pools.len() - 1;
        for e in graph.edges(t) {
            let u = e.to;
            if self.pools.contains(&e.pool) {
                continue;
            }
            let pool = graph.pool(e.pool);
            let p = product * pool.rate_ub[pool.direction(e.i as usize, e.j as usize)];
            if u == self.start {
                if p > 1.0 {
                    self.push(e);
                    self.found.push(Candidate {
                        pools: self.pools.clone(),
                        dirs: self.dirs.clone(),
                        tokens: self.tokens.clone(),
                    });
                    self.pop();
                }
                continue;
            }
            if remaining == 0
                || self.tokens.contains(&u)
                || (!self.allow_fot && graph.token(u).fee_on_transfer)
                || p * self.bounds[remaining][u as usize] <= 1.0
            {
                continue;
            }
            self.push(e);
            self.dfs(u, p);
            self.pop();
        }
    }

    fn push(&mut self, e: &Edge) {
        self.pools.push(e.pool);
        self.dirs.push((e.i, e.j));
        self.tokens.push(e.to);
    }

    fn pop(&mut self) {
        self.pools.pop();
        self.dirs.pop();
        self.tokens.pop();
    }
}

/// Exact output of the cycle for `x` (None if a leg fails).
fn output(graph: &PoolGraph, c: &Candidate, x: U256) -> Option<U256> {
    if x.is_zero() {
        return None;
    }
    // The sizing searches call this hundreds of times per cycle: no Vec of legs.
    let mut amount = x;
    for (&p, &(i, j)) in c.pools.iter().zip(&c.dirs) {
        amount = graph
            .pool(p)
            .quote_in(i as usize, j as usize, amount)?
            .amount_out;
    }
    Some(amount)
}

fn profit_at(graph: &PoolGraph, c: &Candidate, x: U256) -> Option<SignedAmount> {
    output(graph, c, x).map(|y| net(y, x))
}

fn gt(a: &Option<SignedAmount>, b: &Option<SignedAmount>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => super::search::signed_cmp(a, b) == std::cmp::Ordering::Greater,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The closed-form optimum of a chain of constant-product legs (ignoring integer rounding).
fn v2_closed_form(graph: &PoolGraph, c: &Candidate) -> Option<f64> {
    // Composition of x -> a x / (b + c x) stays in that family.
    let (mut a, mut b, mut cc) = (1.0f64, 1.0f64, 0.0f64);
    for (&p, &(i, j)) in c.pools.iter().zip(&c.dirs) {
        let PoolKind::V2 { reserves, fee_bps } = &graph.pool(p).kind else {
            return None;
        };
        let gamma = 1.0 - *fee_bps as f64 / 10_000.0;
        let (r_in, r_out) = (to_f64(reserves[i as usize]), to_f64(reserves[j as usize]));
        let (a2, b2, c2) = (gamma * r_out, r_in, gamma);
        let next = (a * a2, b * b2, b2 * cc + c2 * a);
        a = next.0;
        b = next.1;
        cc = next.2;
    }
    if cc <= 0.0 {
        return None;
    }
    let x = ((a * b).sqrt() - b) / cc;
    (x.is_finite() && x > 0.0).then_some(x)
}

type Best = Option<(U256, SignedAmount)>;

/// Records `x` as the best input if it profits strictly more than the best so far.
fn note(x: U256, p: &Option<SignedAmount>, best: &mut Best) {
    if let Some(p) = p {
        if best
            .as_ref()
            .is_none_or(|b| super::search::signed_cmp(p, &b.1) == std::cmp::Ordering::Greater)
        {
            *best = Some((x, *p));
        }
    }
}

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
fn size(graph: &PoolGraph, c: &Candidate) -> Option<(U256, SignedAmount)> {
    match size_v2(graph, c) {
        Some(best) => best,
        None => size_general(graph, c),
    }
}

/// `p + e < g` on signed amounts.
fn below_by(p: &SignedAmount, e: U256, g: &SignedAmount) -> bool {
    let lifted = if !p.negative {
        SignedAmount::positive(p.magnitude.saturating_add(e))
    } else {
        net(e, p.magnitude)
    };
    super::search::signed_cmp(&lifted, g) == std::cmp::Ordering::Less
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
    let (mut a, mut b, mut cc) = (1.0f64, 1.0f64, 0.0f64);
    let mut err = 0.0f64;
    for (&p, &(i, j)) in c.pools.iter().zip(&c.dirs) {
        let PoolKind::V2 { reserves, fee_bps } = &graph.pool(p).kind else {
            return None;
        };
        let gamma = 1.0 - *fee_bps as f64 / 10_000.0;
        let (r_in, r_out) = (to_f64(reserves[i as usize]), to_f64(reserves[j as usize]));
        let (a2, b2, c2) = (gamma * r_out, r_in, gamma);
        let next = (a * a2, b * b2, b2 * cc + c2 * a);
        a = next.0;
        b = next.1;
        cc = next.2;
        err = err * (gamma * r_out / r_in) + 1.0;
    }
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

/// The bracket of the old search: a window around the constant-product closed form, or the
/// best of every power of two.
fn old_bracket(
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
fn seed_bracket(
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

/// Any cycle: bracket the optimum of the concave exact profit (closed form for constant-product
/// chains, powers of two otherwise), ternary search, then the wei-level hill-climb.
fn size_general(graph: &PoolGraph, c: &Candidate) -> Option<(U256, SignedAmount)> {
    let mut best: Best = None;
    let e = noise_bound(graph, c);
    let closed = v2_closed_form(graph, c).and_then(from_f64);
    if closed.is_some() {
        // A constant-product chain whose window could not be proven (see size_v2).
        return size_old(graph, c);
    }
    let seeded = if closed.is_none() {
        seed_bracket(graph, c, &mut best, e)
    } else {
        None
    };
    let (lo, hi) = match seeded {
        Some(b) => b,
        None => old_bracket(graph, c, &mut best, closed)?,
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

/// Golden-section search (one evaluation per step) over the concave exact profit on [lo, hi],
/// noting every input tried, down to a bracket of a few inputs. Returns the width of the bracket
/// when the two inner points first came within `2e` of each other: comparisons before that
/// cannot have been flipped by rounding, later ones may have been. A failed leg (None) lies
/// outside the range that works, on the side away from the best input seen. Once noise has
/// shown up, it stops as soon as the bracket is narrower than `stop_below`.
fn golden(
    graph: &PoolGraph,
    c: &Candidate,
    best: &mut Best,
    mut lo: U256,
    mut hi: U256,
    e: U256,
    stop_below: U256,
) -> (U256, U256, U256) {
    let one = U256::from(1u8);
    let three = U256::from(3u8);
    let two_e = e.saturating_mul(U256::from(2u8));
    let eval = |x: U256, best: &mut Best| {
        let v = profit_at(graph, c, x);
        note(x, &v, best);
        (x, v)
    };
    let mut trusted: Option<U256> = None;
    let mut p1: Option<(U256, Option<SignedAmount>)> = None;
    let mut p2: Option<(U256, Option<SignedAmount>)> = None;
    for _ in 0..1024 {
        if hi - lo <= three {
            break;
        }
        if let Some(w) = trusted {
            if hi - lo < stop_below {
                return (w, lo, hi);
            }
        }
        // Reuse the surviving inner point; its mirror image in [lo, hi] is the other one.
        let (q1, q2) = match (p1.take(), p2.take()) {
            (Some(a), None) if lo + hi - a.0 > a.0 && lo + hi - a.0 < hi => {
                let b = eval(lo + hi - a.0, best);
                (a, b)
            }
            (None, Some(b)) if lo + hi - b.0 < b.0 && lo + hi - b.0 > lo => {
                let a = eval(lo + hi - b.0, best);
                (a, b)
            }
            _ => {
                let w = hi - lo;
                // 0.382 of the width: the golden section's short side.
                let d = (w >> 10usize) * U256::from(391u32)
                    + (((w & U256::from(1023u32)) * U256::from(391u32)) >> 10usize);
                let m1 = (lo + d).max(lo + one);
                let m2 = (lo + hi - m1).max(m1 + one).min(hi - one);
                if m1 >= m2 {
                    break;
                }
                (eval(m1, best), eval(m2, best))
            }
        };
        let ((m1, v1), (m2, v2)) = (q1, q2);
        match (&v1, &v2) {
            (Some(a), Some(b)) => {
                if trusted.is_none() && !below_by(b, two_e, a) && !below_by(a, two_e, b) {
                    trusted = Some(hi - lo);
                }
                // The surviving inner point sits at the other golden position of the new bracket.
                if gt(&v1, &v2) {
                    hi = m2;
                    p2 = Some((m1, v1));
                } else {
                    lo = m1;
                    p1 = Some((m2, v2));
                }
            }
            (Some(_), None) => hi = m2,
            (None, Some(_)) => lo = m1,
            (None, None) => match best.as_ref().map(|b| b.0) {
                Some(a) if m2 <= a => lo = m1,
                Some(a) if m1 >= a => hi = m2,
                _ => {
                    lo = m1;
                    hi = m2;
                }
            },
        }
    }
    if hi - lo <= three {
        let mut x = lo;
        while x <= hi {
            eval(x, best);
            x += one;
        }
    }
    (trusted.unwrap_or(hi - lo), lo, hi)
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

fn finish(graph: &PoolGraph, start: u32, c: Candidate, gas: &GasPricing) -> Option<Cycle> {
    let (x, profit) = size(graph, &c)?;
    let legs = simulate_path(graph, &c.pools, &c.dirs, x)?;
    let mut units = gas.model.base;
    for (&p, l) in c.pools.iter().zip(&legs) {
        units += gas.model.hop(graph.pool(p), l.ticks_crossed);
    }
    let gas_cost = gas.cost(units);
    let mut amounts = vec![x];
    amounts.extend(legs.iter().map(|l| l.amount_out));
    let mut tokens = vec![start];
    tokens.extend_from_slice(&c.tokens);
    let out = *amounts.last().expect("amounts");
    let profit_net = if profit.negative {
        SignedAmount::negative(profit.magnitude + gas_cost)
    } else {
        net(profit.magnitude, gas_cost)
    };
    Some(Cycle {
        pools: c.pools,
        directions: c.dirs,
        tokens,
        ticks_crossed: legs.iter().map(|l| l.ticks_crossed).collect(),
        amounts,
        amount_in: x,
        amount_out: out,
        profit,
        gas_estimate: units,
        gas_cost,
        profit_net,
    })
}

fn keep(cycles: Vec<Cycle>, min_profit: U256) -> Vec<Cycle> {
    let mut kept: Vec<Cycle> = cycles
        .into_iter()
        .filter(|c| {
            !c.profit_net.negative && c.profit_net.magnitude >= min_profit.max(U256::from(1u8))
        })
        .collect();
    kept.sort_by_key(|c| std::cmp::Reverse(c.profit_net.magnitude));
    kept
}

/// Every profitable simple cycle through `start` of 2 to `max_hops` pools, sized at its optimal
/// input, with profit net of gas >= max(min_profit, 1), most profitable first.
pub fn arbitrage_cycles(
    graph: &PoolGraph,
    start: u32,
    opts: &RouteOptions,
    min_profit: U256,
) -> Vec<Cycle> {
    let bounds = rate_bounds(graph, graph, start, opts.max_hops.saturating_sub(1), false);
    let mut en = Enumerator {
        graph,
        start,
        max_hops: opts.max_hops,
        bounds,
        allow_fot: opts.allow_fee_on_transfer,
        pools: Vec::new(),
        dirs: Vec::new(),
        tokens: Vec::new(),
        found: Vec::new(),
    };
    en.dfs(start, 1.0);
    let gas = pricing(graph, start, opts);
    let found = en.found.into_iter().map(|c| (start, 0, c)).collect();
    keep(size_all(graph, found, &[gas]), min_profit)
}

/// Sizes candidates `(start token, index of its gas pricing, candidate)` on rayon's threads:
/// each is an independent search of a few hundred exact simulations, and the scanner waits
/// for all of them.
fn size_all(
    graph: &PoolGraph,
    found: Vec<(u32, usize, Candidate)>,
    gas: &[GasPricing],
) -> Vec<Cycle> {
    // Below a few candidates the fork-join costs more than it saves.
    const PARALLEL_FROM: usize = 4;
    let run = |(start, k, c): (u32, usize, Candidate)| finish(graph, start, c, &gas[k]);
    if found.len() < PARALLEL_FROM {
        found.into_iter().filter_map(run).collect()
    } else {
        found.into_par_iter().filter_map(run).collect()
    }
}

/// The profitable cycles (up to `max_hops` pools) that run through `pool`, in either direction,
/// each starting and ending at the token it puts into that pool.
pub fn arbitrage_through(
    graph: &PoolGraph,
    pool: u32,
    opts: &RouteOptions,
    min_profit: U256,
) -> Vec<Cycle> {
    let p = graph.pool(pool);
    let mut found = Vec::new();
    let mut gas = Vec::new();
    for (i, &start) in p.tokens.iter().enumerate() {
        if !opts.allow_fee_on_transfer && graph.token(start).fee_on_transfer {
            continue;
        }
        let bounds = rate_bounds(graph, graph, start, opts.max_hops.saturating_sub(1), false);
        gas.push(pricing(graph, start, opts));
        let k = gas.len() - 1;
        for (j, &next) in p.tokens.iter().enumerate() {
            if i == j {
                continue;
            }
            let rate = p.rate_ub[p.direction(i, j)];
            let mut en = Enumerator {
                graph,
                start,
                max_hops: opts.max_hops,
                bounds: bounds.clone(),
                allow_fot: opts.allow_fee_on_transfer,
                pools: vec![pool],
                dirs: vec![(i as u8, j as u8)],
                tokens: vec![next],
                found: Vec::new(),
            };
            if opts.max_hops >= 2
                && (opts.allow_fee_on_transfer || !graph.token(next).fee_on_transfer)
            {
                en.dfs(next, rate);
            }
            found.extend(en.found.into_iter().map(|c| (start, k, c)));
        }
    }
    keep(size_all(graph, found, &gas), min_profit)
}
