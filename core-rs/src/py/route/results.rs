//! The answers a query hands back to Python: `Route`, `SplitRoute`, `Cycle`. Pool and token ids
//! are resolved to addresses when the answer is made; they come out checksummed.

use pyo3::prelude::*;
use pyo3::types::PyList;
use ruint::aliases::U256;

use crate::py::num::{signed_to_py, u256_to_py};
use crate::route::graph::{Addr, PoolView};
use crate::route::{Cycle, PoolGraph, Route, SplitRoute};
use crate::sign::address::Address;

/// An address as EIP-55 checksummed hex, the form every address leaves the binding in.
pub(super) fn checksum(a: &Addr) -> String {
    Address(*a).to_checksum()
}

/// Amounts as a list of Python ints.
fn ints_to_py<'py>(py: Python<'py>, xs: &[U256]) -> PyResult<Bound<'py, PyList>> {
    let items = xs
        .iter()
        .map(|x| u256_to_py(py, x))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// The pools and tokens a `Route` or `Cycle` runs through, resolved from graph ids to addresses
/// once, when the answer is made.
struct PathAddresses {
    pools: Vec<Addr>,
    tokens: Vec<Addr>,
}

impl PathAddresses {
    fn resolve(g: &PoolGraph, pools: &[u32], tokens: &[u32]) -> PathAddresses {
        PathAddresses {
            pools: pools.iter().map(|&p| g.pool(p).address).collect(),
            tokens: tokens.iter().map(|&t| g.token(t).address).collect(),
        }
    }

    /// The pools in path order, checksummed.
    fn pools(&self) -> Vec<String> {
        self.pools.iter().map(checksum).collect()
    }

    /// The tokens in path order (one more than the pools), checksummed.
    fn tokens(&self) -> Vec<String> {
        self.tokens.iter().map(checksum).collect()
    }
}

/// A single-path route. Addresses come out checksummed.
#[pyclass(module = "zippifi._core", name = "Route", frozen)]
pub struct PyRoute {
    inner: Route,
    path: PathAddresses,
}

impl PyRoute {
    pub(super) fn new(g: &PoolGraph, r: Route) -> PyRoute {
        PyRoute {
            path: PathAddresses::resolve(g, &r.pools, &r.tokens),
            inner: r,
        }
    }
}

#[pymethods]
impl PyRoute {
    #[getter]
    fn pools(&self) -> Vec<String> {
        self.path.pools()
    }
    #[getter]
    fn tokens(&self) -> Vec<String> {
        self.path.tokens()
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
    pub(super) routes: Vec<Py<PyRoute>>,
    pub(super) inner: SplitRoute,
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
    path: PathAddresses,
}

impl PyCycle {
    pub(super) fn new(g: &PoolGraph, c: Cycle) -> PyCycle {
        PyCycle {
            path: PathAddresses::resolve(g, &c.pools, &c.tokens),
            inner: c,
        }
    }
}

#[pymethods]
impl PyCycle {
    #[getter]
    fn pools(&self) -> Vec<String> {
        self.path.pools()
    }
    #[getter]
    fn tokens(&self) -> Vec<String> {
        self.path.tokens()
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
