//! `PoolGraph`, the pool graph living in Rust across calls: the whole Python surface of the class
//! (pyo3 takes one `#[pymethods]` block per class). Queries delegate to `queries`.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rayon::prelude::*;
use ruint::aliases::U256;

use super::queries::{count, Mode};
use super::results::{checksum, PyCycle, PyRoute, PySplitRoute};
use crate::amm::v3::V3Pool;
use crate::py::args::{read_args, FeeBps, GasOverrides, TokenQuery, ROUTE};
use crate::py::errors::{no_panic, route_err};
use crate::route::graph::Addr;
use crate::route::{arb, best_route_in, persist, split, PoolGraph, Route, RouteError};

/// The pool graph, living in Rust across calls.
#[pyclass(module = "zippifi._core", name = "PoolGraph", subclass)]
pub struct PyPoolGraph {
    pub(super) graph: PoolGraph,
}

#[pymethods]
impl PyPoolGraph {
    #[new]
    #[pyo3(signature = (wrapped_native=None))]
    fn py_new(wrapped_native: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        read_args!(ROUTE; wrapped_native: Option<Addr>);
        Ok(PyPoolGraph {
            graph: PoolGraph::new(wrapped_native),
        })
    }

    fn __len__(&self) -> usize {
        self.graph.pool_count()
    }

    fn __contains__(&self, address: &Bound<'_, PyAny>) -> PyResult<bool> {
        read_args!(ROUTE; address: Addr);
        Ok(self.graph.pool_id(&address).is_some())
    }

    #[getter]
    fn token_count(&self) -> usize {
        self.graph.token_count()
    }

    #[getter]
    fn wrapped_native(&self) -> Option<String> {
        self.graph
            .wrapped_native()
            .map(|t| checksum(&self.graph.token(t).address))
    }

    /// The default gas model as a dict (override per query with `gas_model=`).
    #[getter]
    fn gas_model(&self) -> BTreeMap<&'static str, u64> {
        let m = self.graph.gas_model();
        BTreeMap::from([
            ("base", m.base),
            ("v2_hop", m.v2_hop),
            ("v3_hop", m.v3_hop),
            ("v3_tick", m.v3_tick),
            ("stable_hop", m.stable_hop),
        ])
    }

    #[setter]
    fn set_gas_model(&mut self, gas_model: &Bound<'_, PyAny>) -> PyResult<()> {
        read_args!(ROUTE; gas_model: GasOverrides);
        self.graph
            .set_gas_model(gas_model.apply(self.graph.gas_model()));
        Ok(())
    }

    /// Checksummed addresses of every pool.
    fn pool_addresses(&self) -> Vec<String> {
        self.graph
            .pools()
            .map(|(_, p)| checksum(&p.address))
            .collect()
    }

    #[pyo3(signature = (address, decimals=None, fee_on_transfer=None))]
    fn set_token(
        &mut self,
        address: &Bound<'_, PyAny>,
        decimals: Option<&Bound<'_, PyAny>>,
        fee_on_transfer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        read_args!(ROUTE; address: Addr, decimals: Option<u8>);
        read_args!(ROUTE; fee_on_transfer: Option<bool>);
        let fot = fee_on_transfer.unwrap_or(false);
        self.graph.set_token(address, decimals, fot);
        Ok(())
    }

    #[pyo3(signature = (address, token0, token1, reserve0, reserve1, fee_bps=None))]
    #[allow(clippy::too_many_arguments)]
    fn add_v2_pool(
        &mut self,
        address: &Bound<'_, PyAny>,
        token0: &Bound<'_, PyAny>,
        token1: &Bound<'_, PyAny>,
        reserve0: &Bound<'_, PyAny>,
        reserve1: &Bound<'_, PyAny>,
        fee_bps: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        read_args!(ROUTE; address: Addr, token0: Addr, token1: Addr);
        read_args!(ROUTE; reserve0: U256, reserve1: U256, fee_bps: Option<FeeBps>);
        let (a, t0, t1, fee) = (address, token0, token1, FeeBps::or_default(fee_bps));
        no_panic(|| {
            self.graph
                .add_v2_pool(a, t0, t1, reserve0, reserve1, fee)
                .map(|_| ())
                .map_err(route_err)
        })
    }

    #[pyo3(signature = (address, token0, token1, sqrt_price_x96, tick, liquidity, fee, tick_spacing, ticks))]
    #[allow(clippy::too_many_arguments)]
    fn add_v3_pool(
        &mut self,
        address: &Bound<'_, PyAny>,
        token0: &Bound<'_, PyAny>,
        token1: &Bound<'_, PyAny>,
        sqrt_price_x96: &Bound<'_, PyAny>,
        tick: &Bound<'_, PyAny>,
        liquidity: &Bound<'_, PyAny>,
        fee: &Bound<'_, PyAny>,
        tick_spacing: &Bound<'_, PyAny>,
        ticks: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        read_args!(ROUTE; address: Addr, token0: Addr, token1: Addr);
        read_args!(ROUTE; sqrt_price_x96: U256, tick: i32, liquidity: u128);
        read_args!(ROUTE; fee: u32, tick_spacing: i32, ticks: BTreeMap<i32, i128>);
        let (a, t0, t1, price, spacing) = (address, token0, token1, sqrt_price_x96, tick_spacing);
        no_panic(|| {
            let pool = V3Pool::new(price, tick, liquidity, fee, spacing, ticks)
                .map_err(|e| route_err(RouteError::InvalidInput(e.to_string())))?;
            self.graph
                .add_v3_pool(a, t0, t1, pool)
                .map(|_| ())
                .map_err(route_err)
        })
    }

    #[pyo3(signature = (address, tokens, balances, amp, fee, rates=None))]
    fn add_stable_pool(
        &mut self,
        address: &Bound<'_, PyAny>,
        tokens: &Bound<'_, PyAny>,
        balances: &Bound<'_, PyAny>,
        amp: &Bound<'_, PyAny>,
        fee: &Bound<'_, PyAny>,
        rates: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        read_args!(ROUTE; address: Addr, tokens: Vec<Addr>, balances: Vec<U256>);
        read_args!(ROUTE; amp: U256, fee: U256, rates: Option<Vec<U256>>);
        no_panic(|| {
            self.graph
                .add_stable_pool(address, &tokens, balances, amp, fee, rates)
                .map(|_| ())
                .map_err(route_err)
        })
    }

    fn update_v2_reserves(
        &mut self,
        address: &Bound<'_, PyAny>,
        reserve0: &Bound<'_, PyAny>,
        reserve1: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        read_args!(ROUTE; address: Addr, reserve0: U256, reserve1: U256);
        let (a, r0, r1) = (address, reserve0, reserve1);
        no_panic(|| self.graph.update_v2_reserves(&a, r0, r1).map_err(route_err))
    }

    fn update_v3_state(
        &mut self,
        address: &Bound<'_, PyAny>,
        sqrt_price_x96: &Bound<'_, PyAny>,
        tick: &Bound<'_, PyAny>,
        liquidity: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        read_args!(ROUTE; address: Addr, sqrt_price_x96: U256);
        read_args!(ROUTE; tick: i32, liquidity: u128);
        let (a, price) = (address, sqrt_price_x96);
        no_panic(|| {
            self.graph
                .update_v3_state(&a, price, tick, liquidity)
                .map_err(route_err)
        })
    }

    /// liquidityNet deltas by tick, applied in place: `{tick: delta}` adds `delta` (initializing
    /// the tick if new; it stays initialized at liquidityNet 0), `{tick: None}` removes the tick.
    fn update_v3_ticks(
        &mut self,
        address: &Bound<'_, PyAny>,
        deltas: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        read_args!(ROUTE; address: Addr, deltas: BTreeMap<i32, Option<i128>>);
        no_panic(|| {
            self.graph
                .update_v3_ticks(&address, &deltas)
                .map_err(route_err)
        })
    }

    /// A Mint (`liquidity_delta > 0`) or Burn (< 0) of a position, with the contract's effect
    /// on the tick map (liquidityGross tracked) and on the active liquidity.
    fn update_v3_position(
        &mut self,
        address: &Bound<'_, PyAny>,
        tick_lower: &Bound<'_, PyAny>,
        tick_upper: &Bound<'_, PyAny>,
        liquidity_delta: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        read_args!(ROUTE; address: Addr, tick_lower: i32, tick_upper: i32);
        read_args!(ROUTE; liquidity_delta: i128);
        let (a, lo, hi, d) = (address, tick_lower, tick_upper, liquidity_delta);
        no_panic(|| {
            self.graph
                .update_v3_position(&a, lo, hi, d)
                .map_err(route_err)
        })
    }

    fn update_stable_balances(
        &mut self,
        address: &Bound<'_, PyAny>,
        balances: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        read_args!(ROUTE; address: Addr, balances: Vec<U256>);
        no_panic(|| {
            self.graph
                .update_stable_balances(&address, balances)
                .map_err(route_err)
        })
    }

    fn remove_pool(&mut self, address: &Bound<'_, PyAny>) -> PyResult<()> {
        read_args!(ROUTE; address: Addr);
        no_panic(|| self.graph.remove_pool(&address).map_err(route_err))
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = no_panic(|| Ok(py.detach(|| persist::to_bytes(&self.graph))))?;
        Ok(PyBytes::new(py, &bytes))
    }

    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<PyPoolGraph> {
        read_args!(ROUTE; data: Bound<'_, PyBytes>);
        let bytes = data.as_bytes().to_vec();
        let graph = no_panic(|| py.detach(|| persist::from_bytes(&bytes)).map_err(route_err))?;
        Ok(PyPoolGraph { graph })
    }

    #[pyo3(signature = (token_in, token_out, amount_in, max_hops=None, gas_price_wei=None, gas_model=None, allow_fee_on_transfer=None))]
    #[allow(clippy::too_many_arguments)]
    fn best_route(
        &self,
        py: Python<'_>,
        token_in: &Bound<'_, PyAny>,
        token_out: &Bound<'_, PyAny>,
        amount_in: &Bound<'_, PyAny>,
        max_hops: Option<&Bound<'_, PyAny>>,
        gas_price_wei: Option<&Bound<'_, PyAny>>,
        gas_model: Option<&Bound<'_, PyAny>>,
        allow_fee_on_transfer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyRoute> {
        let opts = self.options(3, max_hops, gas_price_wei, gas_model, allow_fee_on_transfer)?;
        read_args!(ROUTE; token_in: Addr, token_out: Addr, amount_in: U256);
        self.single_path(py, Mode::ExactIn, (token_in, token_out, amount_in), &opts)
    }

    /// The same answer as `best_route`, by simulating every simple path (no pruning): the
    /// reference the tests and benchmarks hold the search to.
    #[pyo3(signature = (token_in, token_out, amount_in, max_hops=None, gas_price_wei=None, gas_model=None, allow_fee_on_transfer=None))]
    #[allow(clippy::too_many_arguments)]
    fn best_route_exhaustive(
        &self,
        py: Python<'_>,
        token_in: &Bound<'_, PyAny>,
        token_out: &Bound<'_, PyAny>,
        amount_in: &Bound<'_, PyAny>,
        max_hops: Option<&Bound<'_, PyAny>>,
        gas_price_wei: Option<&Bound<'_, PyAny>>,
        gas_model: Option<&Bound<'_, PyAny>>,
        allow_fee_on_transfer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyRoute> {
        let opts = self.options(3, max_hops, gas_price_wei, gas_model, allow_fee_on_transfer)?;
        read_args!(ROUTE; token_in: Addr, token_out: Addr, amount_in: U256);
        self.single_path(
            py,
            Mode::Exhaustive,
            (token_in, token_out, amount_in),
            &opts,
        )
    }

    #[pyo3(signature = (token_in, token_out, amount_out, max_hops=None, gas_price_wei=None, gas_model=None, allow_fee_on_transfer=None))]
    #[allow(clippy::too_many_arguments)]
    fn best_route_exact_out(
        &self,
        py: Python<'_>,
        token_in: &Bound<'_, PyAny>,
        token_out: &Bound<'_, PyAny>,
        amount_out: &Bound<'_, PyAny>,
        max_hops: Option<&Bound<'_, PyAny>>,
        gas_price_wei: Option<&Bound<'_, PyAny>>,
        gas_model: Option<&Bound<'_, PyAny>>,
        allow_fee_on_transfer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyRoute> {
        let opts = self.options(3, max_hops, gas_price_wei, gas_model, allow_fee_on_transfer)?;
        read_args!(ROUTE; token_in: Addr, token_out: Addr, amount_out: U256);
        self.single_path(py, Mode::ExactOut, (token_in, token_out, amount_out), &opts)
    }

    #[pyo3(signature = (token_in, token_out, amount_in, max_hops=None, max_splits=None, gas_price_wei=None, gas_model=None, allow_fee_on_transfer=None))]
    #[allow(clippy::too_many_arguments)]
    fn split_route(
        &self,
        py: Python<'_>,
        token_in: &Bound<'_, PyAny>,
        token_out: &Bound<'_, PyAny>,
        amount_in: &Bound<'_, PyAny>,
        max_hops: Option<&Bound<'_, PyAny>>,
        max_splits: Option<&Bound<'_, PyAny>>,
        gas_price_wei: Option<&Bound<'_, PyAny>>,
        gas_model: Option<&Bound<'_, PyAny>>,
        allow_fee_on_transfer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySplitRoute> {
        let opts = self.options(3, max_hops, gas_price_wei, gas_model, allow_fee_on_transfer)?;
        let max_splits = count(max_splits, "max_splits", 4, (1, 16))?;
        read_args!(ROUTE; token_in: Addr, token_out: Addr, amount_in: U256);
        let src = self.token_id(&token_in, "token_in")?;
        let dst = self.token_id(&token_out, "token_out")?;
        let g = &self.graph;
        let s = no_panic(|| {
            py.detach(|| split::split_route(g, src, dst, amount_in, &opts, max_splits))
                .map_err(route_err)
        })?;
        let routes = s
            .routes
            .iter()
            .map(|r| Py::new(py, PyRoute::new(g, r.clone())))
            .collect::<PyResult<_>>()?;
        Ok(PySplitRoute { routes, inner: s })
    }

    #[pyo3(signature = (start_token, max_hops=None, gas_price_wei=None, min_profit=None, gas_model=None, allow_fee_on_transfer=None))]
    #[allow(clippy::too_many_arguments)]
    fn arbitrage_cycles(
        &self,
        py: Python<'_>,
        start_token: &Bound<'_, PyAny>,
        max_hops: Option<&Bound<'_, PyAny>>,
        gas_price_wei: Option<&Bound<'_, PyAny>>,
        min_profit: Option<&Bound<'_, PyAny>>,
        gas_model: Option<&Bound<'_, PyAny>>,
        allow_fee_on_transfer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyCycle>> {
        let opts = self.options(4, max_hops, gas_price_wei, gas_model, allow_fee_on_transfer)?;
        read_args!(ROUTE; start_token: Addr, min_profit: Option<U256>);
        let min = min_profit.unwrap_or(U256::ZERO);
        let Some(start) = self.graph.token_id(&start_token) else {
            return Ok(Vec::new());
        };
        let g = &self.graph;
        let cycles = no_panic(|| Ok(py.detach(|| arb::arbitrage_cycles(g, start, &opts, min))))?;
        Ok(cycles.into_iter().map(|c| PyCycle::new(g, c)).collect())
    }

    #[pyo3(signature = (pool_address, max_hops=None, gas_price_wei=None, min_profit=None, gas_model=None, allow_fee_on_transfer=None))]
    #[allow(clippy::too_many_arguments)]
    fn arbitrage_after_update(
        &self,
        py: Python<'_>,
        pool_address: &Bound<'_, PyAny>,
        max_hops: Option<&Bound<'_, PyAny>>,
        gas_price_wei: Option<&Bound<'_, PyAny>>,
        min_profit: Option<&Bound<'_, PyAny>>,
        gas_model: Option<&Bound<'_, PyAny>>,
        allow_fee_on_transfer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyCycle>> {
        let opts = self.options(3, max_hops, gas_price_wei, gas_model, allow_fee_on_transfer)?;
        read_args!(ROUTE; pool_address: Addr, min_profit: Option<U256>);
        let min = min_profit.unwrap_or(U256::ZERO);
        let pool = self.graph.pool_id(&pool_address).ok_or_else(|| {
            let why = format!("no pool {} in the graph", checksum(&pool_address));
            ROUTE.error("pool_address", why)
        })?;
        let g = &self.graph;
        let cycles = no_panic(|| Ok(py.detach(|| arb::arbitrage_through(g, pool, &opts, min))))?;
        Ok(cycles.into_iter().map(|c| PyCycle::new(g, c)).collect())
    }

    /// Many exact-input quotes in one call, spread over all cores with the GIL released:
    /// `queries` is a sequence of (token_in, token_out, amount_in); each answer is a Route, or
    /// None where no route exists.
    #[pyo3(signature = (queries, max_hops=None, gas_price_wei=None, gas_model=None, allow_fee_on_transfer=None))]
    fn best_routes(
        &self,
        py: Python<'_>,
        queries: &Bound<'_, PyAny>,
        max_hops: Option<&Bound<'_, PyAny>>,
        gas_price_wei: Option<&Bound<'_, PyAny>>,
        gas_model: Option<&Bound<'_, PyAny>>,
        allow_fee_on_transfer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Option<PyRoute>>> {
        let opts = self.options(3, max_hops, gas_price_wei, gas_model, allow_fee_on_transfer)?;
        read_args!(ROUTE; queries: Vec<TokenQuery>);
        // A token in no pool, or the same token in and out, is no route: None.
        let ids = |q: &TokenQuery| match (
            self.graph.token_id(&q.token_in),
            self.graph.token_id(&q.token_out),
        ) {
            (Some(a), Some(b)) if a != b => Some((a, b, q.amount_in)),
            _ => None,
        };
        let parsed: Vec<Option<(u32, u32, U256)>> = queries.iter().map(ids).collect();
        let g = &self.graph;
        let routes: Vec<Option<Route>> = no_panic(|| {
            Ok(py.detach(|| {
                parsed
                    .par_iter()
                    .map(|q| q.and_then(|(a, b, x)| best_route_in(g, g, a, b, x, &opts, true).ok()))
                    .collect()
            }))
        })?;
        Ok(routes
            .into_iter()
            .map(|r| r.map(|r| PyRoute::new(g, r)))
            .collect())
    }
}
