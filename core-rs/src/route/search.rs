//! The depth-first searches over simple paths (no token twice) of up to `max_hops` pools:
//!
//! - [`exhaustive_route_in`] simulates every path: the reference that `best_route`'s layered
//!   search (`layered`) is held to in tests and benchmarks;
//! - [`best_route_out`] finds the cheapest exact-output route, made fast by branch and bound: a
//!   partial path is dropped only when a lower bound of the input it still needs — its amount
//!   divided by the best product of spot-rate bounds back to the source (AMM outputs are concave
//!   and round down, so the marginal rate at zero bounds every input), plus the gas already due —
//!   exceeds the best route found so far. The bound never overcuts a real route, so the result
//!   equals the exhaustive optimum exactly.

use ruint::aliases::U256;

use super::error::{RouteError, RouteResult};
use super::gas::GasPricing;
use super::graph::{PoolGraph, PoolView};
use super::path::{
    check_endpoints, net, not_found, pricing, rate_bounds, signed_cmp, Route, RouteOptions,
};
use super::pool::to_f64;

struct Search<'a, V: PoolView> {
    graph: &'a PoolGraph,
    view: &'a V,
    dst: u32,
    max_hops: usize,
    gas: GasPricing,
    allow_fot: bool,
    /// `bounds[r][t]` > 0 where the target is reachable from `t` in r more hops.
    bounds: Vec<Vec<f64>>,
    // The path so far.
    pools: Vec<u32>,
    dirs: Vec<(u8, u8)>,
    tokens: Vec<u32>,
    amounts: Vec<U256>,
    ticks: Vec<u32>,
    best: Option<Route>,
}

impl<V: PoolView> Search<'_, V> {
    fn blocked(&self, token: u32) -> bool {
        !self.allow_fot && self.graph.token(token).fee_on_transfer
    }

    fn consider(&mut self, gas_units: u64) {
        let Some(&out) = self.amounts.last() else {
            return;
        };
        let gas_cost = self.gas.cost(gas_units);
        let candidate_net = net(out, gas_cost);
        let better = match &self.best {
            None => true,
            Some(b) => match signed_cmp(&candidate_net, &b.amount_out_net) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Equal => self.pools.len() < b.pools.len(),
                std::cmp::Ordering::Less => false,
            },
        };
        if better {
            self.best = Some(Route {
                pools: self.pools.clone(),
                directions: self.dirs.clone(),
                tokens: self.tokens.clone(),
                amounts: self.amounts.clone(),
                ticks_crossed: self.ticks.clone(),
                gas_estimate: gas_units,
                gas_cost,
                amount_out_net: candidate_net,
            });
        }
    }

    fn dfs(&mut self, t: u32, amount: U256, gas_units: u64) {
        let graph = self.graph;
        let view = self.view;
        let hops = self.pools.len();
        let remaining = self.max_hops - hops - 1;
        for e in graph.edges(t) {
            let u = e.to;
            let rest = if u == self.dst {
                1.0
            } else {
                if remaining == 0 {
                    continue;
                }
                self.bounds[remaining][u as usize]
            };
            if rest <= 0.0
                || self.tokens.contains(&u)
                || self.pools.contains(&e.pool)
                || self.blocked(u)
            {
                continue;
            }
            let pool = view.pool(e.pool);
            let rate = pool.rate_ub[pool.direction(e.i as usize, e.j as usize)];
            if rate <= 0.0 {
                continue;
            }
            let Some(leg) = pool.quote_in(e.i as usize, e.j as usize, amount) else {
                continue;
            };
            let units = gas_units + self.gas.model.hop(pool, leg.ticks_crossed);
            self.pools.push(e.pool);
            self.dirs.push((e.i, e.j));
            self.tokens.push(u);
            self.amounts.push(leg.amount_out);
            self.ticks.push(leg.ticks_crossed);
            if u == self.dst {
                self.consider(units);
            } else {
                self.dfs(u, leg.amount_out, units);
            }
            self.pools.pop();
            self.dirs.pop();
            self.tokens.pop();
            self.amounts.pop();
            self.ticks.pop();
        }
    }
}

/// The simple path of at most `max_hops` pools with the highest output net of gas (ties to fewer
/// hops), found by simulating every path exactly over `view`'s pool states. The caller has
/// checked the query (`check_endpoints`, a positive amount).
pub fn exhaustive_route_in<V: PoolView>(
    graph: &PoolGraph,
    view: &V,
    src: u32,
    dst: u32,
    amount_in: U256,
    opts: &RouteOptions,
) -> RouteResult<Route> {
    let gas = pricing(graph, dst, opts);
    let bounds = rate_bounds(graph, view, dst, opts.max_hops - 1, false);
    let mut s = Search {
        graph,
        view,
        dst,
        max_hops: opts.max_hops,
        gas,
        allow_fot: opts.allow_fee_on_transfer,
        bounds,
        pools: Vec::with_capacity(opts.max_hops),
        dirs: Vec::with_capacity(opts.max_hops),
        tokens: vec![src],
        amounts: vec![amount_in],
        ticks: Vec::with_capacity(opts.max_hops),
        best: None,
    };
    s.dfs(src, amount_in, gas.model.base);
    s.best.ok_or_else(|| {
        not_found(
            graph,
            src,
            dst,
            opts.max_hops,
            "that absorbs the whole input",
        )
    })
}

/// A found exact-output path, output first: pools, directions, tokens, amounts, ticks, gas.
type OutPath = (Vec<u32>, Vec<(u8, u8)>, Vec<u32>, Vec<U256>, Vec<u32>, u64);

struct SearchOut<'a, V: PoolView> {
    graph: &'a PoolGraph,
    view: &'a V,
    src: u32,
    max_hops: usize,
    gas_in: GasPricing,
    allow_fot: bool,
    prune: bool,
    bounds: Vec<Vec<f64>>,
    // The path so far, from the output backwards.
    pools: Vec<u32>,
    dirs: Vec<(u8, u8)>,
    tokens: Vec<u32>,
    amounts: Vec<U256>,
    ticks: Vec<u32>,
    best: Option<OutPath>,
    best_cost: Option<U256>,
    best_cost_f64: f64,
}

impl<V: PoolView> SearchOut<'_, V> {
    fn dfs(&mut self, t: u32, need: U256, gas_units: u64) {
        let graph = self.graph;
        let view = self.view;
        let remaining = self.max_hops - self.pools.len() - 1;
        let need_f = to_f64(need);
        for e in graph.edges(t) {
            // The route uses pool e in the direction u -> t.
            let u = e.to;
            let rest = if u == self.src {
                1.0
            } else {
                if remaining == 0 {
                    continue;
                }
                self.bounds[remaining][u as usize]
            };
            if rest <= 0.0
                || self.tokens.contains(&u)
                || self.pools.contains(&e.pool)
                || (!self.allow_fot && graph.token(u).fee_on_transfer)
            {
                continue;
            }
            let pool = view.pool(e.pool);
            let rate = pool.rate_ub[pool.direction(e.j as usize, e.i as usize)];
            if rate <= 0.0 {
                continue;
            }
            if self.prune && self.best_cost.is_some() {
                // Whatever follows needs at least need / (rate * rest) of the input.
                let lb = need_f / (rate * rest) + self.gas_in.cost_f64(gas_units) * (1.0 - 1e-9);
                let inc = self.best_cost_f64;
                if lb > inc * (1.0 + 1e-9) + 1.0 {
                    continue;
                }
            }
            let Some(leg) = pool.quote_out(e.j as usize, e.i as usize, need) else {
                continue;
            };
            let units = gas_units + self.gas_in.model.hop(pool, leg.ticks_crossed);
            self.pools.push(e.pool);
            self.dirs.push((e.j, e.i));
            self.tokens.push(u);
            self.amounts.push(leg.amount_in);
            self.ticks.push(leg.ticks_crossed);
            if u == self.src {
                let cost = leg.amount_in.saturating_add(self.gas_in.cost(units));
                let better = match self.best_cost {
                    None => true,
                    Some(b) => {
                        cost < b
                            || (cost == b
                                && self
                                    .best
                                    .as_ref()
                                    .is_some_and(|x| self.pools.len() < x.0.len()))
                    }
                };
                if better {
                    self.best_cost = Some(cost);
                    self.best_cost_f64 = to_f64(cost);
                    self.best = Some((
                        self.pools.clone(),
                        self.dirs.clone(),
                        self.tokens.clone(),
                        self.amounts.clone(),
                        self.ticks.clone(),
                        units,
                    ));
                }
            } else {
                self.dfs(u, leg.amount_in, units);
            }
            self.pools.pop();
            self.dirs.pop();
            self.tokens.pop();
            self.amounts.pop();
            self.ticks.pop();
        }
    }
}

/// The route that delivers `amount_out` of `dst` for the least input of `src` (plus gas valued in
/// `src`), every leg an exact-output swap.
pub fn best_route_out<V: PoolView>(
    graph: &PoolGraph,
    view: &V,
    src: u32,
    dst: u32,
    amount_out: U256,
    opts: &RouteOptions,
    prune: bool,
) -> RouteResult<Route> {
    check_endpoints(graph, src, dst, opts)?;
    if amount_out.is_zero() {
        return Err(RouteError::InvalidInput(
            "amount_out: must be positive".into(),
        ));
    }
    let gas_in = pricing(graph, src, opts);
    let bounds = rate_bounds(graph, view, src, opts.max_hops - 1, true);
    let mut s = SearchOut {
        graph,
        view,
        src,
        max_hops: opts.max_hops,
        gas_in,
        allow_fot: opts.allow_fee_on_transfer,
        prune,
        bounds,
        pools: Vec::new(),
        dirs: Vec::new(),
        tokens: vec![dst],
        amounts: vec![amount_out],
        ticks: Vec::new(),
        best: None,
        best_cost: None,
        best_cost_f64: f64::INFINITY,
    };
    s.dfs(dst, amount_out, gas_in.model.base);
    let Some((mut pools, mut dirs, mut tokens, mut amounts, mut ticks, units)) = s.best else {
        return Err(not_found(
            graph,
            src,
            dst,
            opts.max_hops,
            "that can pay that output",
        ));
    };
    pools.reverse();
    dirs.reverse();
    tokens.reverse();
    amounts.reverse();
    ticks.reverse();
    let gas_out = pricing(graph, dst, opts);
    let gas_cost = gas_out.cost(units);
    Ok(Route {
        pools,
        directions: dirs,
        tokens,
        amounts,
        ticks_crossed: ticks,
        gas_estimate: units,
        gas_cost,
        amount_out_net: net(amount_out, gas_cost),
    })
}
