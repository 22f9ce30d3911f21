//! `PoolGraph`, the pool graph living in Rust across calls: the whole Python surface of the class
//! (pyo3 takes one `#[pymethods]` block per class). Queries delegate to `queries`.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use rayon::prelude::*;

use super::args::{
    addr_arg, amount_arg, amount_or_zero, amounts_arg, bad, count_arg, flag_arg, gas_model_arg,
    int_arg, route_input,
};
use super::queries::Mode;
use super::results::{checksum, PyCycle, PyRoute, PySplitRoute};
use crate::amm::v3::V3Pool;
use crate::py::amm_v3::ticks_arg;
use crate::py::errors::{no_panic, route_err};
use crate::route::graph::Addr;
use crate::route::{arb, best_route_in, persist, split, PoolGraph, Route};

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
        let w = wrapped_native
            .filter(|o| !o.is_none())
            .map(|o| addr_arg(o, "wrapped_native"))
            .transpose()?;
        Ok(PyPoolGraph {
            graph: PoolGraph::new(w),
        })
    }

    fn __len__(&self) -> usize {
        self.graph.pool_count()
    }

    fn __contains__(&self, address: &Bound<'_, PyAny>) -> PyResult<bool> {
        Ok(self.graph.pool_id(&addr_arg(address, "address")?).is_some())
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
    fn set_gas_model(&mut self, model: &Bound<'_, PyAny>) -> PyResult<()> {
        let m = gas_model_arg(self.graph.gas_model(), Some(model))?;
        self.graph.set_gas_model(m);
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
        let a = addr_arg(address, "address")?;
        let d = decimals
            .filter(|o| !o.is_none())
            .map(|o| int_arg::<u8>(o, "decimals", "0 to 255"))
            .transpose()?;
        let fot = flag_arg(fee_on_transfer, "fee_on_transfer")?;
        self.graph.set_token(a, d, fot);
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
        let fee = match fee_bps {
            Some(f) => int_arg::<u32>(f, "fee_bps", "below 10000")?,
            None => 30,
        };
        let args = (
            addr_arg(address, "address")?,
            addr_arg(token0, "token0")?,
            addr_arg(token1, "token1")?,
            amount_arg(reserve0, "reserve0")?,
            amount_arg(reserve1, "reserve1")?,
        );
        no_panic(|| {
            self.graph
                .add_v2_pool(args.0, args.1, args.2, args.3, args.4, fee)
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
        let a = addr_arg(address, "address")?;
        let t0 = addr_arg(token0, "token0")?;
        let t1 = addr_arg(token1, "token1")?;
        let price = amount_arg(sqrt_price_x96, "sqrt_price_x96")?;
        let tick: i32 = int_arg(tick, "tick", "int24")?;
        let liquidity: u128 = int_arg(liquidity, "liquidity", "uint128")?;
        let fee: u32 = int_arg(fee, "fee", "uint24")?;
        let spacing: i32 = int_arg(tick_spacing, "tick_spacing", "int24")?;
        let ticks = ticks_arg(ticks).map_err(route_input)?;
        no_panic(|| {
            let pool = V3Pool::new(price, tick, liquidity, fee, spacing, ticks)
                .map_err(|e| bad(e.to_string()))?;
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
        let a = addr_arg(address, "address")?;
        let toks: Vec<Addr> = tokens
            .try_iter()
            .map_err(|_| bad("tokens: expected a sequence of addresses".into()))?
            .enumerate()
            .map(|(k, t)| addr_arg(&t?, &format!("tokens[{k}]")))
            .collect::<PyResult<_>>()?;
        let balances = amounts_arg(balances, "balances")?;
        let amp = amount_arg(amp, "amp")?;
        let fee = amount_arg(fee, "fee")?;
        let rates = rates
            .filter(|o| !o.is_none())
            .map(|r| amounts_arg(r, "rates"))
            .transpose()?;
        no_panic(|| {
            self.graph
                .add_stable_pool(a, &toks, balances, amp, fee, rates)
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
        let a = addr_arg(address, "address")?;
        let (r0, r1) = (
            amount_arg(reserve0, "reserve0")?,
            amount_arg(reserve1, "reserve1")?,
        );
        no_panic(|| self.graph.update_v2_reserves(&a, r0, r1).map_err(route_err))
    }

    fn update_v3_state(
        &mut self,
        address: &Bound<'_, PyAny>,
        sqrt_price_x96: &Bound<'_, PyAny>,
        tick: &Bound<'_, PyAny>,
        liquidity: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let a = addr_arg(address, "address")?;
        let price = amount_arg(sqrt_price_x96, "sqrt_price_x96")?;
        let tick: i32 = int_arg(tick, "tick", "int24")?;
        let liquidity: u128 = int_arg(liquidity, "liquidity", "uint128")?;
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
        let a = addr_arg(address, "address")?;
        let dict = deltas.cast::<PyDict>().map_err(|_| {
            bad("deltas: expected a dict {tick: liquidity_net_delta or None}".into())
        })?;
        let mut map = BTreeMap::new();
        for (k, v) in dict.iter() {
            let tick: i32 = int_arg(&k, "deltas", "a tick is an int32")?;
            let d = if v.is_none() {
                None
            } else {
                Some(int_arg::<i128>(
                    &v,
                    &format!("deltas[{tick}]"),
                    "an int128",
                )?)
            };
            map.insert(tick, d);
        }
        no_panic(|| self.graph.update_v3_ticks(&a, &map).map_err(route_err))
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
        let a = addr_arg(address, "address")?;
        let lo: i32 = int_arg(tick_lower, "tick_lower", "int24")?;
        let hi: i32 = int_arg(tick_upper, "tick_upper", "int24")?;
        let d: i128 = int_arg(liquidity_delta, "liquidity_delta", "int128")?;
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
        let a = addr_arg(address, "address")?;
        let b = amounts_arg(balances, "balances")?;
        no_panic(|| self.graph.update_stable_balances(&a, b).map_err(route_err))
    }

    fn remove_pool(&mut self, address: &Bound<'_, PyAny>) -> PyResult<()> {
        let a = addr_arg(address, "address")?;
        no_panic(|| self.graph.remove_pool(&a).map_err(route_err))
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = no_panic(|| Ok(py.detach(|| persist::to_bytes(&self.graph))))?;
        Ok(PyBytes::new(py, &bytes))
    }

    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<PyPoolGraph> {
        let bytes = data
            .cast::<PyBytes>()
            .map_err(|_| bad("data: expected bytes".into()))?
            .as_bytes()
            .to_vec();
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
        self.route_query(
            py,
            token_in,
            token_out,
            amount_in,
            max_hops,
            gas_price_wei,
            gas_model,
            allow_fee_on_transfer,
            Mode::ExactIn,
        )
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
        self.route_query(
            py,
            token_in,
            token_out,
            amount_in,
            max_hops,
            gas_price_wei,
            gas_model,
            allow_fee_on_transfer,
            Mode::Exhaustive,
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
        self.route_query(
            py,
            token_in,
            token_out,
            amount_out,
            max_hops,
            gas_price_wei,
            gas_model,
            allow_fee_on_transfer,
            Mode::ExactOut,
        )
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
        let max_splits = count_arg(max_splits, "max_splits", 4, 1, 16)?;
        let src = self.token(token_in, "token_in")?;
        let dst = self.token(token_out, "token_out")?;
        let amount = amount_arg(amount_in, "amount_in")?;
        let opts = self.options(
            (max_hops, 3),
            gas_price_wei,
            gas_model,
            allow_fee_on_transfer,
        )?;
        let g = &self.graph;
        let s = no_panic(|| {
            py.detach(|| split::split_route(g, src, dst, amount, &opts, max_splits))
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
        let a = addr_arg(start_token, "start_token")?;
        let Some(start) = self.graph.token_id(&a) else {
            return Ok(Vec::new());
        };
        let opts = self.options(
            (max_hops, 4),
            gas_price_wei,
            gas_model,
            allow_fee_on_transfer,
        )?;
        let min = amount_or_zero(min_profit, "min_profit")?;
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
        let a = addr_arg(pool_address, "pool_address")?;
        let pool = self.graph.pool_id(&a).ok_or_else(|| {
            bad(format!(
                "pool_address: no pool {} in the graph",
                checksum(&a)
            ))
        })?;
        let opts = self.options(
            (max_hops, 3),
            gas_price_wei,
            gas_model,
            allow_fee_on_transfer,
        )?;
        let min = amount_or_zero(min_profit, "min_profit")?;
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
        let opts = self.options(
            (max_hops, 3),
            gas_price_wei,
            gas_model,
            allow_fee_on_transfer,
        )?;
        let parsed = self.batch_queries(queries)?;
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
