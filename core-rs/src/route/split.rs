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

    // Greedy water-filling over slices.
    let slices = U256::from(SLICES).min(amount_in);
    let slice = amount_in / slices;
    let remainder = amount_in - slice * slices;
    let mut paths: Vec<Path> = Vec::new();
    let mut alloc: Vec<U256> = Vec::new();
    let mut overlay = Overlay::new(graph);
    let n_slices = slices.as_limbs()[0];
    for k in 0..n_slices {
        let amount = if k == 0 { slice + remainder } else { slice };
        // Best existing path for this slice (its gas is already paid).
        let mut choice: Option<(usize, Route, SignedAmount)> = None;
        for (idx, p) in paths.iter().enumerate() {
            if let Some(legs) = simulate_path(&overlay, &p.pools, &p.dirs, amount) {
                let r = route_from_legs(
                    &overlay, src, &p.tokens, &p.pools, &p.dirs, &legs, &gas, false,
                );
                let value = SignedAmount::positive(r.amount_out());
                if choice
                    .as_ref()
                    .is_none_or(|c| signed_cmp(&value, &c.2) == std::cmp::Ordering::Greater)
                {
                    choice = Some((idx, r, value));
                }
            }
        }
        if paths.len() < max_splits {
            if let Ok(r) = best_route_in(graph, &overlay, src, dst, amount, opts, true) {
                let p = Path::of(&r);
                let known = paths.iter().position(|q| *q == p);
                // A new path pays its hops' gas (the base is paid once for the whole split).
                let value = match known {
                    Some(_) => SignedAmount::positive(r.amount_out()),
                    None => net(r.amount_out(), gas.cost(r.gas_estimate - gas.model.base)),
                };
                if choice
                    .as_ref()
                    .is_none_or(|c| signed_cmp(&value, &c.2) == std::cmp::Ordering::Greater)
                {
                    let idx = match known {
                        Some(i) => i,
                        None => {
                            paths.push(p);
                            alloc.push(U256::ZERO);
                            paths.len() - 1
                        }
                    };
                    choice = Some((idx, r, value));
                }
            }
        }
        let Some((idx, r, _)) = choice else {
            break;
        };
        let legs = simulate_path(&overlay, &r.pools, &r.directions, amount)
            .expect("the chosen path was just simulated at this state");
        for (h, leg) in legs.iter().enumerate() {
            let (i, j) = r.directions[h];
            overlay.apply_leg(r.pools[h], i as usize, j as usize, leg);
        }
        alloc[idx] += amount;
    }
    // Slices that found no path stay with the first path.
    let placed = alloc.iter().fold(U256::ZERO, |a, b| a + *b);
    if placed < amount_in && !alloc.is_empty() {
        alloc[0] += amount_in - placed;
    }
    // Drop paths that got nothing (found, then outbid).
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
