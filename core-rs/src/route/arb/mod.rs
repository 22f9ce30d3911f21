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
//! refined on the exact integer math; anything else gets a golden-section search over the
//! exact, concave profit. Both end in a window proven with exact evaluations and a wei-level
//! climb inside it.

mod bracket;
mod golden;
mod profit;
mod sizing;

use rayon::prelude::*;
use ruint::aliases::U256;

use super::gas::GasPricing;
use super::graph::{Edge, PoolGraph, PoolView};
use super::path::{net, pricing, rate_bounds, simulate_path, RouteOptions};
use crate::amm::SignedAmount;
use sizing::size;

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
    let out = legs.last().map_or(x, |l| l.amount_out);
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
