//! Split routes: one input spread over up to `max_splits` paths to maximise the total output net
//! of gas. Paths run one after another against shared pool state, so two paths through one pool
//! never count its liquidity twice.
//!
//! Allocation is greedy water-filling (each slice of the input goes where it earns most at the
//! state the earlier slices left, a new path paying its own hop gas), then refined by moving
//! ever smaller amounts between paths while the exactly simulated total improves. The result is
//! never below the best single route: that route is the fallback.

use ruint::aliases::U256;

use super::error::RouteResult;
use super::gas::GasPricing;
use super::graph::{Overlay, PoolGraph};
use super::search::{
    best_route_in, net, pricing, route_from_legs, signed_cmp, simulate_path, Route, RouteOptions,
};
use crate::amm::SignedAmount;

/// Slices of the input the greedy pass hands out.
const SLICES: u64 = 32;
/// Candidate paths the first greedy pass may collect beyond max_splits.
const EXTRA_CANDIDATES: usize = 3;

/// Every k-subset of 0..n, as index lists.
fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    fn go(start: usize, n: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            go(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    go(0, n, k, &mut Vec::new(), &mut out);
    out
}

/// Hands the input out in slices, each to the path that pays most for it at the state the
/// earlier slices left: an existing path, or (while fewer than `max_paths` are in use, and
/// unless `only` restricts the choice) the best new route, which pays its own hops' gas.
#[allow(clippy::too_many_arguments)]
fn greedy(
    graph: &PoolGraph,
    src: u32,
    dst: u32,
    amount_in: U256,
    opts: &RouteOptions,
    gas: &GasPricing,
    max_paths: usize,
    only: Option<&[Path]>,
) -> (Vec<Path>, Vec<U256>) {
    let slices = U256::from(SLICES).min(amount_in);
    let slice = amount_in / slices;
    let remainder = amount_in - slice * slices;
    let mut paths: Vec<Path> = only.map(|o| o.to_vec()).unwrap_or_default();
    let mut used = vec![false; paths.len()];
    let mut alloc: Vec<U256> = vec![U256::ZERO; paths.len()];
    let mut overlay = Overlay::new(graph);
    for k in 0..slices.as_limbs()[0] {
        let amount = if k == 0 { slice + remainder } else { slice };
        let mut choice: Option<(usize, Vec<super::pool::Leg>, SignedAmount)> = None;
        for (idx, p) in paths.iter().enumerate() {
            if let Some(legs) = simulate_path(&overlay, &p.pools, &p.dirs, amount) {
                let r = route_from_legs(
                    &overlay, src, &p.tokens, &p.pools, &p.dirs, &legs, gas, false,
                );
                // A path not used yet still has its hops' gas to pay.
                let value = if used[idx] {
                    SignedAmount::positive(r.amount_out())
                } else {
                    net(r.amount_out(), gas.cost(r.gas_estimate))
                };
                if choice
                    .as_ref()
                    .is_none_or(|c| signed_cmp(&value, &c.2) == std::cmp::Ordering::Greater)
                {
                    choice = Some((idx, legs, value));
                }
            }
        }
        if only.is_none() && paths.len() < max_paths {
            if let Ok(r) = best_route_in(graph, &overlay, src, dst, amount, opts, true) {
                let p = Path::of(&r);
                if !paths.contains(&p) {
                    let value = net(r.amount_out(), gas.cost(r.gas_estimate - gas.model.base));
                    if choice
                        .as_ref()
                        .is_none_or(|c| signed_cmp(&value, &c.2) == std::cmp::Ordering::Greater)
                    {
                        let legs = simulate_path(&overlay, &p.pools, &p.dirs, amount)
                            .expect("the route was just simulated at this state");
                        paths.push(p);
                        used.push(false);
                        alloc.push(U256::ZERO);
                        choice = Some((paths.len() - 1, legs, value));
                    }
                }
            }
        }
        let Some((idx, legs, _)) = choice else {
            break;
        };
        for (h, leg) in legs.iter().enumerate() {
            let (i, j) = paths[idx].dirs[h];
            overlay.apply_leg(paths[idx].pools[h], i as usize, j as usize, leg);
        }
        used[idx] = true;
        alloc[idx] += amount;
    }
    // Slices no path could take stay with the largest allocation.
    let placed = alloc.iter().fold(U256::ZERO, |a, b| a + *b);
    if placed < amount_in {
        if let Some(k) = (0..alloc.len()).max_by_key(|&k| alloc[k]) {
            alloc[k] += amount_in - placed;
        }
    }
    (paths, alloc)
}
/// How many times the refinement halves its step.
const REFINE_LEVELS: usize = 8;

#[derive(Clone, Debug)]
pub struct SplitRoute {
    pub routes: Vec<Route>,
    pub amount_out: U256,
    pub gas_estimate: u64,
    pub gas_cost: U256,
    pub amount_out_net: SignedAmount,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Path {
    pools: Vec<u32>,
    dirs: Vec<(u8, u8)>,
    tokens: Vec<u32>,
}

impl Path {
    fn of(r: &Route) -> Path {
        Path {
            pools: r.pools.clone(),
            dirs: r.directions.clone(),
            tokens: r.tokens[1..].to_vec(),
        }
    }
}

/// Runs the paths in order with their amounts over shared state; None if a leg fails.
fn evaluate(
    graph: &PoolGraph,
    src: u32,
    paths: &[Path],
    alloc: &[U256],
    gas: &GasPricing,
) -> Option<SplitRoute> {
    let mut overlay = Overlay::new(graph);
    let mut routes = Vec::new();
    let mut total = U256::ZERO;
    let mut units = gas.model.base;
    for (p, &a) in paths.iter().zip(alloc) {
        if a.is_zero() {
            continue;
        }
        let legs = simulate_path(&overlay, &p.pools, &p.dirs, a)?;
        let r = route_from_legs(
            &overlay, src, &p.tokens, &p.pools, &p.dirs, &legs, gas, true,
        );
        units += r.gas_estimate - gas.model.base;
        total = total.checked_add(r.amount_out())?;
        for (k, leg) in legs.iter().enumerate() {
            let (i, j) = p.dirs[k];
            overlay.apply_leg(p.pools[k], i as usize, j as usize, leg);
        }
        routes.push(r);
    }
    if routes.is_empty() {
        return None;
    }
    let gas_cost = gas.cost(units);
    Some(SplitRoute {
        routes,
        amount_out: total,
        gas_estimate: units,
        gas_cost,
        amount_out_net: net(total, gas_cost),
    })
}

fn better(a: &SplitRoute, b: &SplitRoute) -> bool {
    signed_cmp(&a.amount_out_net, &b.amount_out_net) == std::cmp::Ordering::Greater
}

pub fn split_route(
    graph: &PoolGraph,
    src: u32,
    dst: u32,
    amount_in: U256,
    opts: &RouteOptions,
    max_splits: usize,
) -> RouteResult<SplitRoute> {
    let single = best_route_in(graph, graph, src, dst, amount_in, opts, true)?;
    let gas = pricing(graph, dst, opts);
    let single_split = SplitRoute {
        amount_out: single.amount_out(),
        gas_estimate: single.gas_estimate,
        gas_cost: single.gas_cost,
        amount_out_net: single.amount_out_net,
        routes: vec![single.clone()],
    };
    if max_splits <= 1 || amount_in < U256::from(2u8) {
        return Ok(single_split);
    }

    // Greedy water-filling finds candidate paths (a few more than may be kept); when there
    // are too many, every subset of max_splits is re-filled and the best one kept, so a path
    // taken early is not locked in once a better one opens up.
    let slices = U256::from(SLICES).min(amount_in);
    let slice = amount_in / slices;
    let (candidates, first_alloc) = greedy(
        graph,
        src,
        dst,
        amount_in,
        opts,
        &gas,
        max_splits + EXTRA_CANDIDATES,
        None,
    );
    let (mut paths, mut alloc) = if candidates.len() <= max_splits {
        (candidates, first_alloc)
    } else {
        let mut best_pick: Option<(SplitRoute, Vec<Path>, Vec<U256>)> = None;
        for subset in combinations(candidates.len(), max_splits) {
            let chosen: Vec<Path> = subset.iter().map(|&k| candidates[k].clone()).collect();
            let (p, a) = greedy(
                graph,
                src,
                dst,
                amount_in,
                opts,
                &gas,
                max_splits,
                Some(&chosen),
            );
            if let Some(s) = evaluate(graph, src, &p, &a, &gas) {
                if best_pick.as_ref().is_none_or(|b| better(&s, &b.0)) {
                    best_pick = Some((s, p, a));
                }
            }
        }
        match best_pick {
            Some((_, p, a)) => (p, a),
            None => return Ok(single_split),
        }
    };
    // Drop paths that got nothing.
    let mut k = 0;
    while k < paths.len() {
        if alloc[k].is_zero() {
            paths.remove(k);
            alloc.remove(k);
        } else {
            k += 1;
        }
    }

    let mut best = match evaluate(graph, src, &paths, &alloc, &gas) {
        Some(s) => s,
        None => return Ok(single_split),
    };
    // Refinement: move `step` between every pair of paths while the exact total improves.
    let mut step = slice.max(U256::from(1u8));
    for _ in 0..REFINE_LEVELS {
        let mut improved = true;
        while improved {
            improved = false;
            for a in 0..paths.len() {
                for b in 0..paths.len() {
                    if a == b || alloc[a].is_zero() {
                        continue;
                    }
                    let moved = step.min(alloc[a]);
                    let mut trial = alloc.clone();
                    trial[a] -= moved;
                    trial[b] += moved;
                    if let Some(s) = evaluate(graph, src, &paths, &trial, &gas) {
                        if better(&s, &best) {
                            best = s;
                            alloc = trial;
                            improved = true;
                        }
                    }
                }
            }
        }
        if step <= U256::from(1u8) {
            break;
        }
        step >>= 1;
    }
    if better(&best, &single_split) {
        Ok(best)
    } else {
        Ok(single_split)
    }
}
