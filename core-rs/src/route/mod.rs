//! Route finding over a live pool graph: amount-aware best routes (exact input and exact
//! output), split routes over shared pool state, and arbitrage cycles. Every figure a route
//! reports comes from exact simulation with the AMM kernels; float spot rates only bound what a
//! path can still return, to prune the searches without ever losing their optimum.
//!
//! `path` holds what every search speaks (a [`Route`], [`RouteOptions`], pricing, rate bounds,
//! path simulation); the searches build on it and not on each other: `layered` (best exact-input
//! route), `search` (the exhaustive exact-input reference and the exact-output search), `split`
//! and `arb`.

pub mod arb;
pub mod error;
pub mod gas;
pub mod graph;
mod layered;
pub mod path;
pub mod persist;
pub mod pool;
pub mod search;
pub mod split;
#[cfg(test)]
mod tests;

use ruint::aliases::U256;

pub use arb::{arbitrage_cycles, arbitrage_through, Cycle};
pub use error::{RouteError, RouteResult};
pub use gas::{GasModel, GasPricing};
pub use graph::{Addr, Overlay, PoolGraph, PoolView, TokenInfo};
pub use path::{Route, RouteOptions, MAX_HOPS_LIMIT};
pub use search::best_route_out;
pub use split::{split_route, SplitRoute};

/// The simple path of at most `max_hops` pools with the highest output net of gas (ties to fewer
/// hops), simulated exactly over `view`'s pool states: found by the layered search, or with
/// `prune = false` by simulating every path (the exhaustive reference; the same answer).
pub fn best_route_in<V: PoolView>(
    graph: &PoolGraph,
    view: &V,
    src: u32,
    dst: u32,
    amount_in: U256,
    opts: &RouteOptions,
    prune: bool,
) -> RouteResult<Route> {
    path::check_endpoints(graph, src, dst, opts)?;
    if amount_in.is_zero() {
        return Err(RouteError::InvalidInput(
            "amount_in: must be positive".into(),
        ));
    }
    if prune {
        layered::best_route_layered(graph, view, src, dst, amount_in, opts)
    } else {
        search::exhaustive_route_in(graph, view, src, dst, amount_in, opts)
    }
}
