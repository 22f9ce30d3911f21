//! Best single-path routes, judged by exact simulation net of gas.
//!
//! The search is exhaustive over simple paths (no token twice) of up to `max_hops` pools, made
//! fast by branch and bound: a partial path is dropped only when an upper bound of anything it
//! can still return — its amount times the best product of spot-rate bounds to the target
//! (AMM outputs are concave and round down, so the marginal rate at zero bounds every input),
//! minus the least gas still to pay — falls below the best route found so far. The bound never
//! undercuts a real route, so the result equals the exhaustive optimum exactly.

use ruint::aliases::U256;

use super::error::{RouteError, RouteResult};
use super::gas::{GasModel, GasPricing};
use super::graph::{PoolGraph, PoolView};
use super::pool::{to_f64, Leg};
use crate::amm::SignedAmount;

/// A found route. `tokens` has one more entry than `pools`; `amounts[0]` is the input and
/// `amounts[k + 1]` what pool k pays. `gas_cost` is `gas_estimate` in the output token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub pools: Vec<u32>,
    pub directions: Vec<(u8, u8)>,
    pub tokens: Vec<u32>,
    pub amounts: Vec<U256>,
    pub ticks_crossed: Vec<u32>,
    pub gas_estimate: u64,
    pub gas_cost: U256,
    pub amount_out_net: SignedAmount,
}

impl Route {
    pub fn amount_in(&self) -> U256 {
        self.amounts[0]
    }
    pub fn amount_out(&self) -> U256 {
        *self.amounts.last().expect("a route has amounts")
    }
    pub fn hops(&self) -> usize {
        self.pools.len()
    }
}

/// `a - b` as a signed amount.
pub fn net(a: U256, b: U256) -> SignedAmount {
    if a >= b {
        SignedAmount::positive(a - b)
    } else {
        SignedAmount::negative(b - a)
    }
}

pub fn signed_cmp(a: &SignedAmount, b: &SignedAmount) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.negative, b.negative) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, false) => a.magnitude.cmp(&b.magnitude),
        (true, true) => b.magnitude.cmp(&a.magnitude),
    }
}

pub fn signed_f64(a: &SignedAmount) -> f64 {
    let m = to_f64(a.magnitude);
    if a.negative {
        -m
    } else {
        m
    }
}

/// Options shared by the route queries.
#[derive(Clone, Copy, Debug)]
pub struct RouteOptions {
    pub max_hops: usize,
    pub gas_price: U256,
    pub gas_model: Option<GasModel>,
    pub allow_fee_on_transfer: bool,
}

impl Default for RouteOptions {
    fn default() -> RouteOptions {
        RouteOptions {
            max_hops: 3,
            gas_price: U256::ZERO,
            gas_model: None,
            allow_fee_on_transfer: false,
        }
    }
}

/// Most hops a query may ask for: the search is exhaustive, and beyond this it stops being
/// bounded in practice.
pub const MAX_HOPS_LIMIT: usize = 6;

pub fn check_hops(max_hops: usize) -> RouteResult<()> {
    if !(1..=MAX_HOPS_LIMIT).contains(&max_hops) {
        return Err(RouteError::InvalidInput(format!(
            "max_hops: must be in [1, {MAX_HOPS_LIMIT}], got {max_hops}"
        )));
    }
    Ok(())
}

/// Gas pricing for results in `token`: the model and the token's price per wei of native.
pub fn pricing(graph: &PoolGraph, token: u32, opts: &RouteOptions) -> GasPricing {
    let model = opts.gas_model.unwrap_or_else(|| graph.gas_model());
    if opts.gas_price.is_zero() {
        return GasPricing::free(model);
    }
    let token_per_wei = graph
        .native_prices()
        .map(|p| p[token as usize])
        .unwrap_or(0.0);
    GasPricing {
        model,
        gas_price: opts.gas_price,
        token_per_wei,
    }
}

/// `bounds[r][t]`: the largest product of spot-rate bounds over paths from `t` to `target` of
/// at most `r` pools (0 where none); `bounds[0]` is 1 at the target only. Computed backwards
/// from the target, one layer per hop. With `forward`, the product over paths from `target` to
/// `t` instead (for exact-output searches, which walk from the output back to the input).
pub fn rate_bounds<V: PoolView>(
    graph: &PoolGraph,
    view: &V,
    target: u32,
    max_r: usize,
    forward: bool,
) -> Vec<Vec<f64>> {
    let n = graph.token_count();
    let mut bounds = vec![vec![0.0f64; n]; max_r + 1];
    bounds[0][target as usize] = 1.0;
    // Every token with a positive bound so far; each layer relaxes all their edges.
    let mut reached = vec![target];
    for r in 1..=max_r {
        let (prev, rest) = bounds.split_at_mut(r);
        let (prev, cur) = (&prev[r - 1], &mut rest[0]);
        cur.copy_from_slice(prev);
        let known = reached.len();
        for k in 0..known {
            let u = reached[k];
            let bu = prev[u as usize];
            for e in graph.edges(u) {
                let pool = view.pool(e.pool);
                // Edge u -> t; the route uses t -> u (backward) or u -> t (forward).
                let d = if forward {
                    pool.direction(e.i as usize, e.j as usize)
                } else {
                    pool.direction(e.j as usize, e.i as usize)
                };
                let b = bu * pool.rate_ub[d];
                let t = e.to as usize;
                if b > cur[t] {
                    if cur[t] == 0.0 {
                        reached.push(e.to);
                    }
                    cur[t] = b;
                }
            }
        }
    }
    bounds
}

struct Search<'a, V: PoolView> {
    graph: &'a PoolGraph,
    view: &'a V,
    dst: u32,
    max_hops: usize,
    gas: GasPricing,
    allow_fot: bool,
    prune: bool,
    bounds: Vec<Vec<f64>>,
    // The path so far.
    pools: Vec<u32>,
    dirs: Vec<(u8, u8)>,
    tokens: Vec<u32>,
    amounts: Vec<U256>,
    ticks: Vec<u32>,
    best: Option<Route>,
    best_net_f64: f64,
}

impl<V: PoolView> Search<'_, V> {
    fn blocked(&self, token: u32) -> bool {
        !self.allow_fot && self.graph.token(token).fee_on_transfer
    }

    fn consider(&mut self, gas_units: u64) {
        let out = *self.amounts.last().expect("non-empty");
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
            self.best_net_f64 = signed_f64(&candidate_net);
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
        let amount_f = to_f64(amount);
        let min_hop = self.gas.model.min_hop();
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
            let hop_lb = self.gas.model.hop(pool, 0);
            if self.prune && self.best.is_some() {
                let later = if u == self.dst { 0 } else { min_hop };
                let ub = amount_f * rate * rest
                    - self.gas.cost_f64(gas_units + hop_lb + later) * (1.0 - 1e-9);
                let inc = self.best_net_f64;
                if ub + 1.0 + inc.abs() * 1e-9 < inc {
                    continue;
                }
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

fn endpoints(graph: &PoolGraph, src: u32, dst: u32, opts: &RouteOptions) -> RouteResult<()> {
    check_hops(opts.max_hops)?;
    if src == dst {
        return Err(RouteError::InvalidInput(
            "token_out: must differ from token_in".into(),
        ));
    }
    if !opts.allow_fee_on_transfer {
        for t in [src, dst] {
            if graph.token(t).fee_on_transfer {
                return Err(RouteError::NotFound(format!(
                    "no route: {} is a fee-on-transfer token (opt in to route it)",
                    crate::sign::address::Address(graph.token(t).address).to_checksum()
                )));
            }
        }
    }
    Ok(())
}

pub(crate) fn not_found(
    graph: &PoolGraph,
    src: u32,
    dst: u32,
    max_hops: usize,
    what: &str,
) -> RouteError {
    let name = |t: u32| crate::sign::address::Address(graph.token(t).address).to_checksum();
    RouteError::NotFound(format!(
        "no route from {} to {} within {max_hops} hops {what}",
        name(src),
        name(dst)
    ))
}

/// The simple path of at most `max_hops` pools with the highest output net of gas (ties to fewer
/// hops), simulated exactly over `view`'s pool states. `prune = false` simulates every path (the
/// exhaustive reference the tests compare against).
pub fn best_route_in<V: PoolView>(
    graph: &PoolGraph,
    view: &V,
    src: u32,
    dst: u32,
    amount_in: U256,
    opts: &RouteOptions,
    prune: bool,
) -> RouteResult<Route> {
    endpoints(graph, src, dst, opts)?;
    if amount_in.is_zero() {
        return Err(RouteError::InvalidInput(
            "amount_in: must be positive".into(),
        ));
    }
    if prune {
        return super::layered::best_route_layered(graph, view, src, dst, amount_in, opts);
    }
    let gas = pricing(graph, dst, opts);
    let bounds = rate_bounds(graph, view, dst, opts.max_hops - 1, false);
    let mut s = Search {
        graph,
        view,
        dst,
        max_hops: opts.max_hops,
        gas,
        allow_fot: opts.allow_fee_on_transfer,
        prune,
        bounds,
        pools: Vec::with_capacity(opts.max_hops),
        dirs: Vec::with_capacity(opts.max_hops),
        tokens: vec![src],
        amounts: vec![amount_in],
        ticks: Vec::with_capacity(opts.max_hops),
        best: None,
        best_net_f64: f64::NEG_INFINITY,
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

/// Re-simulates a path for a given input over `view` (None if a leg cannot take its input).
pub fn simulate_path<V: PoolView>(
    view: &V,
    pools: &[u32],
    dirs: &[(u8, u8)],
    amount_in: U256,
) -> Option<Vec<Leg>> {
    let mut amount = amount_in;
    let mut legs = Vec::with_capacity(pools.len());
    for (&p, &(i, j)) in pools.iter().zip(dirs) {
        let leg = view.pool(p).quote_in(i as usize, j as usize, amount)?;
        amount = leg.amount_out;
        legs.push(leg);
    }
    Some(legs)
}

/// Builds a [`Route`] from a path and its simulated legs, priced with `gas`.
#[allow(clippy::too_many_arguments)]
pub fn route_from_legs<V: PoolView>(
    view: &V,
    src: u32,
    tokens_after: &[u32],
    pools: &[u32],
    dirs: &[(u8, u8)],
    legs: &[Leg],
    gas: &GasPricing,
    with_base: bool,
) -> Route {
    let mut tokens = vec![src];
    tokens.extend_from_slice(tokens_after);
    let mut amounts = vec![legs[0].amount_in];
    amounts.extend(legs.iter().map(|l| l.amount_out));
    let mut units = if with_base { gas.model.base } else { 0 };
    for (&p, l) in pools.iter().zip(legs) {
        units += gas.model.hop(view.pool(p), l.ticks_crossed);
    }
    let gas_cost = gas.cost(units);
    let out = *amounts.last().expect("non-empty");
    Route {
        pools: pools.to_vec(),
        directions: dirs.to_vec(),
        tokens,
        amounts,
        ticks_crossed: legs.iter().map(|l| l.ticks_crossed).collect(),
        gas_estimate: units,
        gas_cost,
        amount_out_net: net(out, gas_cost),
    }
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
    endpoints(graph, src, dst, opts)?;
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
