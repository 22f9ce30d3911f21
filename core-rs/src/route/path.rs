//! What every route search speaks: a found [`Route`], the query's [`RouteOptions`], signed
//! net amounts, gas pricing, the spot-rate bounds the searches prune with, and the exact
//! re-simulation of a path. The searches (`search`'s exhaustive ones, `layered`, `split`, `arb`)
//! all build on this module and not on each other.

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

/// The checks every single-path query makes before searching: a hop limit in range, two
/// different tokens, and no fee-on-transfer endpoint unless the query allows them.
pub fn check_endpoints(
    graph: &PoolGraph,
    src: u32,
    dst: u32,
    opts: &RouteOptions,
) -> RouteResult<()> {
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
