//! Route kernels against their own exhaustive reference (every simple path simulated) on random
//! small graphs of V2, V3 and StableSwap pools with parallel pools.

use std::collections::BTreeMap;

use proptest::prelude::*;
use ruint::aliases::U256;

use super::arb::arbitrage_cycles;
use super::graph::{Addr, PoolGraph, PoolView};
use super::path::{signed_cmp, simulate_path, RouteOptions};
use super::persist;
use super::split::split_route;
use super::{best_route_in, best_route_out};
use crate::amm::v3::{get_sqrt_ratio_at_tick, V3Pool};

fn addr(k: u32, tag: u8) -> Addr {
    let mut a = [0u8; 20];
    a[0] = tag;
    a[16..].copy_from_slice(&k.to_be_bytes());
    a
}

fn token(k: u32) -> Addr {
    addr(k, 0xAA)
}

/// (kind, a, b, size, skew, fee choice) per pool.
type Spec = (u8, u32, u32, u32, i32, u8);

fn build(n_tokens: u32, specs: &[Spec]) -> PoolGraph {
    build_scaled(n_tokens, specs, 15)
}

/// `build` with pool sizes in units of 10**unit_e raw units (15: 1e18 to 1e20 per side; 0:
/// pools of a few thousand wei, where an arbitrage cycle's optimum is small enough to find by
/// trying every input).
fn build_scaled(n_tokens: u32, specs: &[Spec], unit_e: u8) -> PoolGraph {
    let mut g = PoolGraph::new(Some(token(0)));
    for (k, &(kind, a, b, size, skew, fee)) in specs.iter().enumerate() {
        let (a, b) = (a % n_tokens, b % n_tokens);
        if a == b {
            continue;
        }
        let (t0, t1) = (token(a.min(b)), token(a.max(b)));
        let base = U256::from(size as u64 + 1_000) * U256::from(10u64).pow(U256::from(unit_e));
        let address = addr(k as u32, 0xBB);
        match kind % 4 {
            0 | 1 => {
                let r1 =
                    base * U256::from((1_000 + skew.rem_euclid(400)) as u64) / U256::from(1_000u64);
                let fee_bps = [30u32, 5, 100][fee as usize % 3];
                g.add_v2_pool(address, t0, t1, base, r1, fee_bps).unwrap();
            }
            2 => {
                let spacing = [10i32, 60, 200][fee as usize % 3];
                let fee_pips = [500u32, 3000, 10000][fee as usize % 3];
                let tick = (skew % 400) * 10;
                let sqrt = get_sqrt_ratio_at_tick(tick).unwrap();
                let liq = (size as u128 + 100) * 10u128.pow(unit_e as u32);
                let mut ticks = BTreeMap::new();
                // A few ranges around the price, some meeting at a tick (liquidityNet 0 there).
                let w = spacing * 5;
                let c = (tick / spacing) * spacing;
                ticks.insert(c - 2 * w, liq as i128);
                ticks.insert(c + 2 * w, -(liq as i128) / 2);
                ticks.insert(c + 4 * w, -(liq as i128) / 2);
                ticks.insert(c - 4 * w, 0);
                let mut active: i128 = 0;
                for (&t, &n) in &ticks {
                    if t <= tick {
                        active += n;
                    }
                }
                let pool =
                    V3Pool::new(sqrt, tick, active as u128, fee_pips, spacing, ticks).unwrap();
                g.add_v3_pool(address, t0, t1, pool).unwrap();
            }
            _ => {
                let b1 =
                    base * U256::from((1_000 + skew.rem_euclid(100)) as u64) / U256::from(1_000u64);
                g.add_stable_pool(
                    address,
                    &[t0, t1],
                    vec![base, b1],
                    U256::from(20_000u64),
                    U256::from(4_000_000u64),
                    None,
                )
                .unwrap();
            }
        }
    }
    g
}

fn specs() -> impl Strategy<Value = (u32, Vec<Spec>)> {
    (5u32..9).prop_flat_map(|n| {
        (
            Just(n),
            prop::collection::vec(
                (0u8..4, 0..n, 0..n, 0u32..100_000, -400i32..400, 0u8..3),
                10..25,
            ),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pruned_search_equals_exhaustive(
        (n, specs) in specs(),
        a in 0u32..9, b in 0u32..9, amount_e in 10u32..23, hops in 1usize..4, gas_gwei in 0u64..3,
    ) {
        let g = build(n, &specs);
        let (a, b) = (a % n, b % n);
        prop_assume!(a != b);
        let (Some(src), Some(dst)) = (g.token_id(&token(a)), g.token_id(&token(b))) else {
            return Ok(());
        };
        let amount = U256::from(10u64).pow(U256::from(amount_e));
        let opts = RouteOptions {
            max_hops: hops,
            gas_price: U256::from(gas_gwei * 1_000_000_000),
            ..RouteOptions::default()
        };
        let fast = best_route_in(&g, &g, src, dst, amount, &opts, true);
        let slow = best_route_in(&g, &g, src, dst, amount, &opts, false);
        match (fast, slow) {
            (Ok(f), Ok(s)) => {
                prop_assert_eq!(f.amount_out_net, s.amount_out_net);
                prop_assert_eq!(f.hops(), s.hops());
                // Simple path, chained amounts.
                let mut seen = f.tokens.clone();
                seen.sort();
                seen.dedup();
                prop_assert_eq!(seen.len(), f.tokens.len());
                for (k, &p) in f.pools.iter().enumerate() {
                    let (i, j) = f.directions[k];
                    let leg = g.pool(p).quote_in(i as usize, j as usize, f.amounts[k]).unwrap();
                    prop_assert_eq!(leg.amount_out, f.amounts[k + 1]);
                }
            }
            (Err(_), Err(_)) => {}
            (f, s) => prop_assert!(false, "pruned {:?} vs exhaustive {:?}", f.is_ok(), s.is_ok()),
        }
        let free = RouteOptions { gas_price: U256::ZERO, ..opts };
        let want = amount / U256::from(1000u64) + U256::from(1u8);
        let fast = best_route_out(&g, &g, src, dst, want, &free, true);
        let slow = best_route_out(&g, &g, src, dst, want, &free, false);
        match (fast, slow) {
            (Ok(f), Ok(s)) => {
                prop_assert_eq!(f.amounts[0], s.amounts[0]);
                prop_assert_eq!(f.hops(), s.hops());
                prop_assert_eq!(*f.amounts.last().unwrap(), want);
                for (k, &p) in f.pools.iter().enumerate() {
                    let (i, j) = f.directions[k];
                    let leg = g.pool(p).quote_out(i as usize, j as usize, f.amounts[k + 1]).unwrap();
                    prop_assert_eq!(leg.amount_in, f.amounts[k]);
                }
            }
            (Err(_), Err(_)) => {}
            (f, s) => prop_assert!(false, "exact-out pruned {:?} vs exhaustive {:?}", f.is_ok(), s.is_ok()),
        }
    }

    #[test]
    fn snapshot_round_trips_and_split_never_loses((n, specs) in specs(), b in 1u32..9, amount_e in 15u32..23) {
        let g = build(n, &specs);
        let h = persist::from_bytes(&persist::to_bytes(&g)).unwrap();
        prop_assert_eq!(persist::to_bytes(&h), persist::to_bytes(&g));
        let b = b % n;
        prop_assume!(b != 0);
        let (Some(src), Some(dst)) = (g.token_id(&token(0)), g.token_id(&token(b))) else {
            return Ok(());
        };
        let amount = U256::from(10u64).pow(U256::from(amount_e));
        let opts = RouteOptions::default();
        if let Ok(single) = best_route_in(&g, &g, src, dst, amount, &opts, true) {
            let split = split_route(&g, src, dst, amount, &opts, 3).unwrap();
            prop_assert_ne!(signed_cmp(&split.amount_out_net, &single.amount_out_net), std::cmp::Ordering::Less);
            let total: U256 = split.routes.iter().map(|r| r.amounts[0]).fold(U256::ZERO, |a, b| a + b);
            prop_assert_eq!(total, amount);
        }
    }
}

#[test]
fn v2_triangle_cycle_is_sized_at_the_exact_optimum() {
    let mut g = PoolGraph::new(None);
    let e18 = U256::from(10u64).pow(U256::from(18u8));
    let (a, b, c) = (token(1), token(2), token(3));
    g.add_v2_pool(
        addr(1, 1),
        a,
        b,
        U256::from(1000u64) * e18,
        U256::from(2000u64) * e18,
        30,
    )
    .unwrap();
    g.add_v2_pool(
        addr(2, 1),
        b,
        c,
        U256::from(1000u64) * e18,
        U256::from(1000u64) * e18,
        30,
    )
    .unwrap();
    g.add_v2_pool(
        addr(3, 1),
        c,
        a,
        U256::from(1000u64) * e18,
        U256::from(600u64) * e18,
        30,
    )
    .unwrap();
    let start = g.token_id(&a).unwrap();
    let opts = RouteOptions {
        max_hops: 3,
        ..RouteOptions::default()
    };
    let cycles = arbitrage_cycles(&g, start, &opts, U256::ZERO);
    assert_eq!(cycles.len(), 1, "only a -> b -> c -> a profits");
    let cyc = &cycles[0];
    // Brute force around the reported size: nothing nearby is more profitable.
    let profit = |x: U256| -> Option<U256> {
        let mut amt = x;
        for (k, &p) in cyc.pools.iter().enumerate() {
            let (i, j) = cyc.directions[k];
            amt = g.pool(p).quote_in(i as usize, j as usize, amt)?.amount_out;
        }
        amt.checked_sub(x)
    };
    let best = profit(cyc.amount_in).unwrap();
    assert_eq!(best, cyc.profit.magnitude);
    for delta in [1u64, 2, 10, 1000, 1_000_000, 1_000_000_000_000] {
        let d = U256::from(delta);
        assert!(profit(cyc.amount_in + d).unwrap_or(U256::ZERO) <= best);
        assert!(profit(cyc.amount_in - d).unwrap_or(U256::ZERO) <= best);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The float bounds the search prunes with never undercut an exact leg.
    #[test]
    fn pool_bounds_hold((n, specs) in specs(), amount_e in 0u32..26, mantissa in 1u64..1000) {
        let g = build(n, &specs);
        let x = U256::from(mantissa) * U256::from(10u64).pow(U256::from(amount_e));
        for (_, p) in g.pools() {
            for i in 0..p.tokens.len() {
                for j in 0..p.tokens.len() {
                    if i == j {
                        continue;
                    }
                    let d = p.direction(i, j);
                    if let Some(leg) = p.quote_in(i, j, x) {
                        let out = super::pool::to_f64(leg.amount_out);
                        // Integer rounding (StableSwap's get_y converges to within 1) may add two units.
                        prop_assert!(out <= super::pool::to_f64(x) * p.rate_ub[d] + 2.0, "rate bound {} < {}", p.rate_ub[d], out);
                        prop_assert!(out <= p.cap_out[d], "cap_out {} < {}", p.cap_out[d], out);
                    } else {
                        // A failed leg means the input exceeds what the pool surely absorbs.
                        prop_assert!(super::pool::to_f64(x) > p.cap_in[d] || out_is_zero(p, i, j, x), "cap_in {} but {} failed", p.cap_in[d], x);
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A pool moved for quotes only (split_route's scratch copies) quotes exactly as one moved
    /// with fully refreshed bounds, in every direction, whatever the next input.
    #[test]
    fn pools_moved_for_quotes_quote_the_same(
        (n, specs) in specs(),
        amount_e in 0u32..26,
        mantissa in 1u64..1000,
        next in proptest::collection::vec((0u32..28, 1u64..1000), 1..6),
    ) {
        let g = build(n, &specs);
        let x = U256::from(mantissa) * U256::from(10u64).pow(U256::from(amount_e));
        for (_, p) in g.pools() {
            for i in 0..p.tokens.len() {
                for j in 0..p.tokens.len() {
                    let Some(leg) = (i != j).then(|| p.quote_in(i, j, x)).flatten() else {
                        continue;
                    };
                    let mut full = p.clone();
                    full.apply_in(i, j, &leg);
                    let mut quick = p.clone();
                    quick.apply_in_for_quotes(i, j, &leg);
                    for &(e, m) in &next {
                        let y = U256::from(m) * U256::from(10u64).pow(U256::from(e));
                        for a in 0..p.tokens.len() {
                            for b in 0..p.tokens.len() {
                                if a == b {
                                    continue;
                                }
                                let want = full.quote_in(a, b, y).map(|l| (l.amount_out, l.ticks_crossed));
                                let got = quick.quote_in(a, b, y).map(|l| (l.amount_out, l.ticks_crossed));
                                prop_assert_eq!(got, want);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Tiny inputs can pay nothing (and so are not a leg) without exceeding any capacity.
fn out_is_zero(p: &super::pool::Pool, i: usize, j: usize, x: U256) -> bool {
    let _ = (i, j);
    match &p.kind {
        super::pool::PoolKind::V2 { reserves, fee_bps } => {
            crate::amm::v2::amount_out(x, reserves[i], reserves[j], *fee_bps)
                .is_ok_and(|y| y.is_zero())
        }
        super::pool::PoolKind::V3(v) => v
            .swap(i == 0, crate::amm::SignedAmount::positive(x), None)
            .is_ok_and(|r| {
                if i == 0 {
                    r.amount1.magnitude.is_zero()
                } else {
                    r.amount0.magnitude.is_zero()
                }
            }),
        super::pool::PoolKind::Stable { .. } => true,
    }
}

/// A path as pools and (coin in, coin out) per pool.
type PathSpec = (Vec<u32>, Vec<(u8, u8)>);

/// Every simple path (distinct tokens and pools) of at most `max_hops` pools from src to dst.
fn all_paths(g: &PoolGraph, src: u32, dst: u32, max_hops: usize) -> Vec<PathSpec> {
    fn go(
        g: &PoolGraph,
        t: u32,
        dst: u32,
        max_hops: usize,
        seen: &mut Vec<u32>,
        cur: &mut PathSpec,
        out: &mut Vec<PathSpec>,
    ) {
        for e in g.edges(t) {
            if cur.0.contains(&e.pool) || seen.contains(&e.to) {
                continue;
            }
            cur.0.push(e.pool);
            cur.1.push((e.i, e.j));
            if e.to == dst {
                out.push(cur.clone());
            } else if cur.0.len() < max_hops {
                seen.push(e.to);
                go(g, e.to, dst, max_hops, seen, cur, out);
                seen.pop();
            }
            cur.0.pop();
            cur.1.pop();
        }
    }
    let mut out = Vec::new();
    go(
        g,
        src,
        dst,
        max_hops,
        &mut vec![src],
        &mut (Vec::new(), Vec::new()),
        &mut out,
    );
    out
}

/// Total output of paths run in order with their amounts over shared state (None if a leg
/// fails).
fn run_split(g: &PoolGraph, paths: &[&PathSpec], parts: &[U256]) -> Option<U256> {
    let mut view = super::graph::Overlay::new(g);
    let mut total = U256::ZERO;
    for (p, &x) in paths.iter().zip(parts) {
        if x.is_zero() {
            continue;
        }
        let legs = simulate_path(&view, &p.0, &p.1, x)?;
        total += legs.last().unwrap().amount_out;
        for (k, leg) in legs.iter().enumerate() {
            let (i, j) = p.1[k];
            view.apply_leg(p.0[k], i as usize, j as usize, leg);
        }
    }
    Some(total)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// split_route (2 paths, gas 0) is never below best_route and within 0.1% of a brute force:
    /// every ordered pair of the 6 best paths (by output per unit at the whole input, a quarter
    /// and a sixteenth of it) at every split of the input on a 1/20 grid, over shared state.
    #[test]
    fn split_reaches_the_grid_optimum(
        (n, specs) in specs(), a in 0u32..9, b in 0u32..9, amount_e in 17u32..23, mantissa in 1u64..10,
    ) {
        let g = build(n, &specs);
        let (a, b) = (a % n, b % n);
        prop_assume!(a != b);
        let (Some(src), Some(dst)) = (g.token_id(&token(a)), g.token_id(&token(b))) else {
            return Ok(());
        };
        let amount = U256::from(mantissa) * U256::from(10u64).pow(U256::from(amount_e));
        let opts = RouteOptions::default();
        let Ok(single) = best_route_in(&g, &g, src, dst, amount, &opts, true) else {
            return Ok(());
        };
        let split = split_route(&g, src, dst, amount, &opts, 2).unwrap();
        prop_assert!(split.routes.len() <= 2);
        prop_assert!(split.amount_out >= single.amount_out(), "split below best_route");
        let total_in = split.routes.iter().fold(U256::ZERO, |s, r| s + r.amounts[0]);
        prop_assert_eq!(total_in, amount);
        // The split's own paths, re-run in order over shared state, pay what it reports.
        let own: Vec<PathSpec> =
            split.routes.iter().map(|r| (r.pools.clone(), r.directions.clone())).collect();
        let own_refs: Vec<&PathSpec> = own.iter().collect();
        let parts: Vec<U256> = split.routes.iter().map(|r| r.amounts[0]).collect();
        prop_assert_eq!(run_split(&g, &own_refs, &parts), Some(split.amount_out));

        let paths = all_paths(&g, src, dst, 3);
        let mut ranked: Vec<(f64, usize)> = Vec::new();
        for (k, p) in paths.iter().enumerate() {
            let mut best = f64::NEG_INFINITY;
            for shift in [0usize, 2, 4] {
                let x = amount >> shift;
                if let Some(legs) = simulate_path(&g, &p.0, &p.1, x) {
                    let per = super::pool::to_f64(legs.last().unwrap().amount_out) * (1u64 << shift) as f64;
                    best = best.max(per);
                }
            }
            if best.is_finite() {
                ranked.push((best, k));
            }
        }
        ranked.sort_by(|x, y| y.0.total_cmp(&x.0));
        let top: Vec<&PathSpec> = ranked.iter().take(6).map(|&(_, k)| &paths[k]).collect();
        let mut optimum = U256::ZERO;
        for (i, p) in top.iter().enumerate() {
            for (j, q) in top.iter().enumerate() {
                if i == j {
                    continue;
                }
                for cut in 0..=20u64 {
                    let first = amount * U256::from(cut) / U256::from(20u64);
                    if let Some(t) = run_split(&g, &[p, q], &[first, amount - first]) {
                        optimum = optimum.max(t);
                    }
                }
            }
        }
        prop_assert!(
            split.amount_out * U256::from(1000u64) >= optimum * U256::from(999u64),
            "split {} < 99.9% of the grid optimum {}", split.amount_out, optimum
        );
    }

    /// On pools of a few thousand wei every input of a cycle can be tried: each reported cycle
    /// re-simulates to its reported profit and is sized at the integer optimum within dust (no
    /// input up to 4x its size profits more than a unit per hop above it).
    #[test]
    fn arbitrage_sizing_is_the_integer_optimum((n, specs) in specs(), start in 0u32..9) {
        let g = build_scaled(n, &specs, 0);
        let Some(s) = g.token_id(&token(start % n)) else {
            return Ok(());
        };
        let opts = RouteOptions { max_hops: 3, ..RouteOptions::default() };
        let cycles = arbitrage_cycles(&g, s, &opts, U256::ZERO);
        for c in &cycles {
            let profit = |x: u64| -> Option<i128> {
                let legs = simulate_path(&g, &c.pools, &c.directions, U256::from(x))?;
                Some(legs.last().unwrap().amount_out.to::<u128>() as i128 - x as i128)
            };
            let reported = c.profit.magnitude.to::<u128>() as i128;
            prop_assert!(!c.profit.negative);
            prop_assert_eq!(profit(c.amount_in.to::<u64>()), Some(reported));
            let limit = (c.amount_in.to::<u64>() * 4).clamp(1, 40_000);
            let best = (1..=limit).filter_map(profit).max().unwrap_or(0);
            // Dust: each leg rounds its output down by up to a unit, so the exact profit is
            // ragged by about a unit per hop around the optimum of the smooth one.
            let dust = c.pools.len() as i128;
            prop_assert!(best <= reported + dust, "cycle {:?} sized at {} (profit {}) but some input up to {} profits {}", c.pools, c.amount_in, reported, limit, best);
        }
    }
}
