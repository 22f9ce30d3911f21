//! Python face of the route kernel: `PoolGraph`, `Route`, `SplitRoute`, `Cycle`. Arguments are
//! converted with the GIL held; searches run with it released.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use rayon::prelude::*;
use ruint::aliases::U256;

use super::amm::arg_u256;
use super::amm_v3::{int_arg, signed_to_py, ticks_arg};
use super::errors::{no_panic, route_err, InvalidRouteInputError};
use super::num::u256_to_py;
use crate::amm::v3::V3Pool;
use crate::route::graph::{Addr, PoolView};
use crate::route::{
    arb, persist, search, split, Cycle, GasModel, PoolGraph, Route, RouteOptions, SplitRoute,
};
use crate::sign::address::Address;

fn bad(msg: String) -> PyErr {
    InvalidRouteInputError::new_err(msg)
}

/// An address as 0x-prefixed hex in any case, or 20 raw bytes.
fn addr_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Addr> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return b.as_bytes().try_into().map_err(|_| {
            bad(format!(
                "{name}: expected 20 bytes, got {}",
                b.as_bytes().len()
            ))
        });
    }
    let Ok(s) = obj.cast::<PyString>() else {
        let t = obj.get_type().name()?;
        return Err(bad(format!(
            "{name}: expected an address (0x-prefixed hex str or 20 bytes), got {t}"
        )));
    };
    let s = s.to_str()?;
    let hex_part = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(|| bad(format!("{name}: {s:?} is not 0x-prefixed")))?;
    let mut out = [0u8; 20];
    if hex_part.len() != 40 {
        return Err(bad(format!(
            "{name}: {s:?} has {} hex digits, an address has 40",
            hex_part.len()
        )));
    }
    hex::decode_to_slice(hex_part, &mut out)
        .map_err(|_| bad(format!("{name}: {s:?} is not hexadecimal")))?;
    Ok(out)
}

/// An int argument in [lo, hi], `default` when None.
fn count_arg(
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
    default: usize,
    lo: usize,
    hi: usize,
) -> PyResult<usize> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(default);
    };
    let v: i64 = int_arg(obj, name, "an int").map_err(|e| bad(e.to_string()))?;
    if v < lo as i64 || v > hi as i64 {
        return Err(bad(format!("{name}: must be in [{lo}, {hi}], got {v}")));
    }
    Ok(v as usize)
}

/// A bool argument (exactly True or False), `false` when None.
fn flag_arg(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<bool> {
    match obj.filter(|o| !o.is_none()) {
        None => Ok(false),
        Some(o) => o
            .cast::<pyo3::types::PyBool>()
            .map(|b| b.is_true())
            .map_err(|_| {
                bad(format!(
                    "{name}: expected True or False, got {}",
                    o.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                ))
            }),
    }
}

fn checksum(a: &Addr) -> String {
    Address(*a).to_checksum()
}

fn amount_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<U256> {
    arg_u256(obj, name).map_err(|e| bad(e.to_string()))
}

fn amounts_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<U256>> {
    let items: Vec<Bound<'_, PyAny>> = obj
        .try_iter()
        .map_err(|_| bad(format!("{name}: expected a sequence of ints")))?
        .collect::<PyResult<_>>()?;
    items
        .iter()
        .enumerate()
        .map(|(k, x)| amount_arg(x, &format!("{name}[{k}]")))
        .collect()
}

fn gas_model_arg(base: GasModel, obj: Option<&Bound<'_, PyAny>>) -> PyResult<GasModel> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(base);
    };
    let dict = obj.cast::<PyDict>().map_err(|_| {
        bad("gas_model: expected a dict with keys base, v2_hop, v3_hop, v3_tick, stable_hop".into())
    })?;
    let mut m = base;
    for (k, v) in dict.iter() {
        let key: String = k
            .extract()
            .map_err(|_| bad("gas_model: keys are str".into()))?;
        let val: u64 = int_arg(&v, &format!("gas_model[{key:?}]"), "gas units fit uint64")
            .map_err(|e| bad(e.to_string()))?;
        match key.as_str() {
            "base" => m.base = val,
            "v2_hop" => m.v2_hop = val,
            "v3_hop" => m.v3_hop = val,
            "v3_tick" => m.v3_tick = val,
            "stable_hop" => m.stable_hop = val,
            other => {
                return Err(bad(format!(
                    "gas_model: unknown key {other:?} (known: base, v2_hop, v3_hop, v3_tick, \
                     stable_hop)"
                )))
            }
        }
    }
    Ok(m)
}

fn ints_to_py<'py>(py: Python<'py>, xs: &[U256]) -> PyResult<Bound<'py, PyList>> {
    let items = xs
        .iter()
        .map(|x| u256_to_py(py, x))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// A single-path route. Addresses come out checksummed.
#[pyclass(module = "zippifi._core", name = "Route", frozen)]
pub struct PyRoute {
    inner: Route,
    pool_addresses: Vec<Addr>,
    token_addresses: Vec<Addr>,
}

impl PyRoute {
    fn new(g: &PoolGraph, r: Route) -> PyRoute {
        PyRoute {
            pool_addresses: r.pools.iter().map(|&p| g.pool(p).address).collect(),
            token_addresses: r.tokens.iter().map(|&t| g.token(t).address).collect(),
            inner: r,
        }
    }
}

#[pymethods]
impl PyRoute {
    #[getter]
    fn pools(&self) -> Vec<String> {
        self.pool_addresses.iter().map(checksum).collect()
    }
    #[getter]
    fn tokens(&self) -> Vec<String> {
        self.token_addresses.iter().map(checksum).collect()
    }
    #[getter]
    fn amounts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        ints_to_py(py, &self.inner.amounts)
    }
    #[getter]
    fn amount_in<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.amount_in())
    }
    #[getter]
    fn amount_out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.amount_out())
    }
    #[getter]
    fn gas_estimate(&self) -> u64 {
        self.inner.gas_estimate
    }
    /// The gas estimate valued in the output token (0 when gas is not priced).
    #[getter]
    fn gas_cost<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.gas_cost)
    }
    #[getter]
    fn amount_out_net<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        signed_to_py(py, &self.inner.amount_out_net)
    }
    #[getter]
    fn ticks_crossed(&self) -> Vec<u32> {
        self.inner.ticks_crossed.clone()
    }
    #[getter]
    fn hops(&self) -> usize {
        self.inner.hops()
    }
    fn __len__(&self) -> usize {
        self.inner.hops()
    }
    fn __repr__(&self) -> String {
        format!(
            "Route(hops={}, amount_in={}, amount_out={}, gas_estimate={}, pools={:?})",
            self.inner.hops(),
            self.inner.amount_in(),
            self.inner.amount_out(),
            self.inner.gas_estimate,
            self.pools()
        )
    }
}

/// An input split over several paths run against shared pool state.
#[pyclass(module = "zippifi._core", name = "SplitRoute", frozen)]
pub struct PySplitRoute {
    routes: Vec<Py<PyRoute>>,
    inner: SplitRoute,
}

#[pymethods]
impl PySplitRoute {
    #[getter]
    fn routes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.routes.iter().map(|r| r.clone_ref(py)))
    }
    #[getter]
    fn amount_in<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let total = self
            .inner
            .routes
            .iter()
            .fold(U256::ZERO, |a, r| a + r.amount_in());
        u256_to_py(py, &total)
    }
    #[getter]
    fn amount_out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.amount_out)
    }
    #[getter]
    fn gas_estimate(&self) -> u64 {
        self.inner.gas_estimate
    }
    #[getter]
    fn gas_cost<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.gas_cost)
    }
    #[getter]
    fn amount_out_net<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        signed_to_py(py, &self.inner.amount_out_net)
    }
    fn __repr__(&self) -> String {
        format!(
            "SplitRoute(paths={}, amount_out={}, gas_estimate={})",
            self.routes.len(),
            self.inner.amount_out,
            self.inner.gas_estimate
        )
    }
}

/// A profitable cycle from a token back to itself, sized at its optimal input.
#[pyclass(module = "zippifi._core", name = "Cycle", frozen)]
pub struct PyCycle {
    inner: Cycle,
    pool_addresses: Vec<Addr>,
    token_addresses: Vec<Addr>,
}

impl PyCycle {
    fn new(g: &PoolGraph, c: Cycle) -> PyCycle {
        PyCycle {
            pool_addresses: c.pools.iter().map(|&p| g.pool(p).address).collect(),
            token_addresses: c.tokens.iter().map(|&t| g.token(t).address).collect(),
            inner: c,
        }
    }
}

#[pymethods]
impl PyCycle {
    #[getter]
    fn pools(&self) -> Vec<String> {
        self.pool_addresses.iter().map(checksum).collect()
    }
    #[getter]
    fn tokens(&self) -> Vec<String> {
        self.token_addresses.iter().map(checksum).collect()
    }
    #[getter]
    fn amounts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        ints_to_py(py, &self.inner.amounts)
    }
    #[getter]
    fn amount_in<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.amount_in)
    }
    #[getter]
    fn amount_out<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.amount_out)
    }
    #[getter]
    fn profit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        signed_to_py(py, &self.inner.profit)
    }
    #[getter]
    fn profit_net<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        signed_to_py(py, &self.inner.profit_net)
    }
    #[getter]
    fn gas_estimate(&self) -> u64 {
        self.inner.gas_estimate
    }
    #[getter]
    fn gas_cost<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.gas_cost)
    }
    #[getter]
    fn ticks_crossed(&self) -> Vec<u32> {
        self.inner.ticks_crossed.clone()
    }
    fn __repr__(&self) -> String {
        format!(
            "Cycle(hops={}, amount_in={}, profit={}, pools={:?})",
            self.inner.pools.len(),
            self.inner.amount_in,
            self.inner.profit.magnitude,
            self.pools()
        )
    }
}

/// The pool graph, living in Rust across calls.
#[pyclass(module = "zippifi._core", name = "PoolGraph", subclass)]
pub struct PyPoolGraph {
    graph: PoolGraph,
}

impl PyPoolGraph {
    fn token(&self, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<u32> {
        let a = addr_arg(obj, name)?;
        self.graph.token_id(&a).ok_or_else(|| {
            crate::py::errors::RouteNotFound::new_err(format!(
                "no route: {name} {} is in no pool of the graph",
                checksum(&a)
            ))
        })
    }

    fn options(
        &self,
        max_hops: (Option<&Bound<'_, PyAny>>, usize),
        gas_price_wei: &Bound<'_, PyAny>,
        gas_model: Option<&Bound<'_, PyAny>>,
        allow_fee_on_transfer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RouteOptions> {
        let max_hops = count_arg(
            max_hops.0,
            "max_hops",
            max_hops.1,
            1,
            search::MAX_HOPS_LIMIT,
        )?;
        let allow_fee_on_transfer = flag_arg(allow_fee_on_transfer, "allow_fee_on_transfer")?;
        Ok(RouteOptions {
            max_hops,
            gas_price: amount_arg(gas_price_wei, "gas_price_wei")?,
            gas_model: Some(gas_model_arg(self.graph.gas_model(), gas_model)?),
            allow_fee_on_transfer,
        })
    }
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
            .map(|o| int_arg::<u8>(o, "decimals", "0 to 255").map_err(|e| bad(e.to_string())))
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
            Some(f) => {
                int_arg::<u32>(f, "fee_bps", "below 10000").map_err(|e| bad(e.to_string()))?
            }
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
        let wrap = |e: PyErr| bad(e.to_string());
        let a = addr_arg(address, "address")?;
        let t0 = addr_arg(token0, "token0")?;
        let t1 = addr_arg(token1, "token1")?;
        let price = amount_arg(sqrt_price_x96, "sqrt_price_x96")?;
        let tick: i32 = int_arg(tick, "tick", "int24").map_err(wrap)?;
        let liquidity: u128 = int_arg(liquidity, "liquidity", "uint128").map_err(wrap)?;
        let fee: u32 = int_arg(fee, "fee", "uint24").map_err(wrap)?;
        let spacing: i32 = int_arg(tick_spacing, "tick_spacing", "int24").map_err(wrap)?;
        let ticks = ticks_arg(ticks).map_err(wrap)?;
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
        let wrap = |e: PyErr| bad(e.to_string());
        let a = addr_arg(address, "address")?;
        let price = amount_arg(sqrt_price_x96, "sqrt_price_x96")?;
        let tick: i32 = int_arg(tick, "tick", "int24").map_err(wrap)?;
        let liquidity: u128 = int_arg(liquidity, "liquidity", "uint128").map_err(wrap)?;
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
            let tick: i32 =
                int_arg(&k, "deltas", "a tick is an int32").map_err(|e| bad(e.to_string()))?;
            let d = if v.is_none() {
                None
            } else {
                Some(
                    int_arg::<i128>(&v, &format!("deltas[{tick}]"), "an int128")
                        .map_err(|e| bad(e.to_string()))?,
                )
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
        let wrap = |e: PyErr| bad(e.to_string());
        let a = addr_arg(address, "address")?;
        let lo: i32 = int_arg(tick_lower, "tick_lower", "int24").map_err(wrap)?;
        let hi: i32 = int_arg(tick_upper, "tick_upper", "int24").map_err(wrap)?;
        let d: i128 = int_arg(liquidity_delta, "liquidity_delta", "int128").map_err(wrap)?;
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
        let zero = pyo3::types::PyInt::new(py, 0).into_any();
        let opts = self.options(
            (max_hops, 3),
            gas_price_wei.unwrap_or(&zero),
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
        let zero = pyo3::types::PyInt::new(py, 0).into_any();
        let opts = self.options(
            (max_hops, 4),
            gas_price_wei.unwrap_or(&zero),
            gas_model,
            allow_fee_on_transfer,
        )?;
        let min = amount_arg(min_profit.unwrap_or(&zero), "min_profit")?;
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
        let zero = pyo3::types::PyInt::new(py, 0).into_any();
        let opts = self.options(
            (max_hops, 3),
            gas_price_wei.unwrap_or(&zero),
            gas_model,
            allow_fee_on_transfer,
        )?;
        let min = amount_arg(min_profit.unwrap_or(&zero), "min_profit")?;
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
        let zero = pyo3::types::PyInt::new(py, 0).into_any();
        let opts = self.options(
            (max_hops, 3),
            gas_price_wei.unwrap_or(&zero),
            gas_model,
            allow_fee_on_transfer,
        )?;
        let mut parsed: Vec<Option<(u32, u32, U256)>> = Vec::new();
        for (k, q) in queries
            .try_iter()
            .map_err(|_| {
                bad("queries: expected a sequence of (token_in, token_out, amount_in)".into())
            })?
            .enumerate()
        {
            let q = q?;
            let t = q.cast::<PyTuple>().map_err(|_| {
                bad(format!(
                    "queries[{k}]: expected a tuple (token_in, token_out, amount_in)"
                ))
            })?;
            if t.len() != 3 {
                return Err(bad(format!(
                    "queries[{k}]: expected 3 items, got {}",
                    t.len()
                )));
            }
            let a = addr_arg(&t.get_item(0)?, &format!("queries[{k}].token_in"))?;
            let b = addr_arg(&t.get_item(1)?, &format!("queries[{k}].token_out"))?;
            let x = amount_arg(&t.get_item(2)?, &format!("queries[{k}].amount_in"))?;
            if x.is_zero() {
                return Err(bad(format!("queries[{k}].amount_in: must be positive")));
            }
            parsed.push(match (self.graph.token_id(&a), self.graph.token_id(&b)) {
                (Some(a), Some(b)) if a != b => Some((a, b, x)),
                _ => None,
            });
        }
        let g = &self.graph;
        let routes: Vec<Option<Route>> = no_panic(|| {
            Ok(py.detach(|| {
                parsed
                    .par_iter()
                    .map(|q| {
                        q.and_then(|(a, b, x)| {
                            search::best_route_in(g, g, a, b, x, &opts, true).ok()
                        })
                    })
                    .collect()
            }))
        })?;
        Ok(routes
            .into_iter()
            .map(|r| r.map(|r| PyRoute::new(g, r)))
            .collect())
    }
}

#[derive(Clone, Copy)]
enum Mode {
    ExactIn,
    ExactOut,
    Exhaustive,
}

impl PyPoolGraph {
    #[allow(clippy::too_many_arguments)]
    fn route_query(
        &self,
        py: Python<'_>,
        token_in: &Bound<'_, PyAny>,
        token_out: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
        max_hops: Option<&Bound<'_, PyAny>>,
        gas_price_wei: Option<&Bound<'_, PyAny>>,
        gas_model: Option<&Bound<'_, PyAny>>,
        allow_fee_on_transfer: Option<&Bound<'_, PyAny>>,
        mode: Mode,
    ) -> PyResult<PyRoute> {
        let name = match mode {
            Mode::ExactOut => "amount_out",
            _ => "amount_in",
        };
        let x = amount_arg(amount, name)?;
        let src = self.token(token_in, "token_in")?;
        let dst = self.token(token_out, "token_out")?;
        let zero = pyo3::types::PyInt::new(py, 0).into_any();
        let opts = self.options(
            (max_hops, 3),
            gas_price_wei.unwrap_or(&zero),
            gas_model,
            allow_fee_on_transfer,
        )?;
        let g = &self.graph;
        let r = no_panic(|| {
            py.detach(|| match mode {
                Mode::ExactIn => search::best_route_in(g, g, src, dst, x, &opts, true),
                Mode::Exhaustive => search::best_route_in(g, g, src, dst, x, &opts, false),
                Mode::ExactOut => search::best_route_out(g, g, src, dst, x, &opts, true),
            })
            .map_err(route_err)
        })?;
        Ok(PyRoute::new(g, r))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPoolGraph>()?;
    m.add_class::<PyRoute>()?;
    m.add_class::<PySplitRoute>()?;
    m.add_class::<PyCycle>()?;
    Ok(())
}
