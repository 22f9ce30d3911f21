//! Route finding over a live pool graph: amount-aware best routes (exact input and exact
//! output), split routes over shared pool state, and arbitrage cycles. Every figure a route
//! reports comes from exact simulation with the AMM kernels; float spot rates only bound what a
//! path can still return, to prune the exhaustive search without ever losing its optimum.

pub mod arb;
pub mod error;
pub mod gas;
pub mod graph;
mod layered;
pub mod persist;
pub mod pool;
pub mod search;
pub mod split;
#[cfg(test)]
mod tests;

pub use arb::{arbitrage_cycles, arbitrage_through, Cycle};
pub use error::{RouteError, RouteResult};
pub use gas::{GasModel, GasPricing};
pub use graph::{Addr, Overlay, PoolGraph, PoolView, TokenInfo};
pub use search::{best_route_in, best_route_out, Route, RouteOptions};
pub use split::{split_route, SplitRoute};
