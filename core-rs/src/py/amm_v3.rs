//! Python face of the Uniswap V3 kernel: `V3Pool`, `V3SwapResult` and the tick math.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use ruint::aliases::U256;

use super::args::{read_args, type_name, AMM};
use super::errors::{amm_err, amm_err_with_prefix, no_panic};
use super::num::{signed_to_py, u256_to_py};
use crate::amm::v3::{self, V3Pool, V3SwapResult};
use crate::amm::SignedAmount;

/// The outcome of a V3 swap, from the pool's side: positive amounts are paid into the pool.
#[pyclass(module = "zippifi._core", name = "V3SwapResult", frozen)]
pub struct PyV3SwapResult {
    inner: V3SwapResult,
}

#[pymethods]
impl PyV3SwapResult {
    #[getter]
    fn amount0<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        signed_to_py(py, &self.inner.amount0)
    }

    #[getter]
    fn amount1<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        signed_to_py(py, &self.inner.amount1)
    }

    #[getter]
    fn sqrt_price_x96<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.sqrt_price_x96)
    }

    #[getter]
    fn tick(&self) -> i32 {
        self.inner.tick
    }

    #[getter]
    fn liquidity(&self) -> u128 {
        self.inner.liquidity
    }

    #[getter]
    fn ticks_crossed(&self) -> u32 {
        self.inner.ticks_crossed
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyV3SwapResult>()
            .map(|o| o.get().inner == self.inner)
            .unwrap_or(false)
    }

    fn __repr__(&self) -> String {
        let s = |a: &SignedAmount| format!("{}{}", if a.negative { "-" } else { "" }, a.magnitude);
        format!(
            "V3SwapResult(amount0={}, amount1={}, sqrt_price_x96={}, tick={}, liquidity={}, ticks_crossed={})",
            s(&self.inner.amount0),
            s(&self.inner.amount1),
            self.inner.sqrt_price_x96,
            self.inner.tick,
            self.inner.liquidity,
            self.inner.ticks_crossed
        )
    }
}

/// A Uniswap V3 pool's swap state: price, tick, active liquidity, fee (hundredths of a bip),
/// tick spacing and the initialized ticks with their liquidityNet.
#[pyclass(module = "zippifi._core", name = "V3Pool")]
pub struct PyV3Pool {
    inner: V3Pool,
}

#[pymethods]
impl PyV3Pool {
    #[new]
    #[pyo3(signature = (sqrt_price_x96, tick, liquidity, fee, tick_spacing, ticks))]
    fn new(
        sqrt_price_x96: &Bound<'_, PyAny>,
        tick: &Bound<'_, PyAny>,
        liquidity: &Bound<'_, PyAny>,
        fee: &Bound<'_, PyAny>,
        tick_spacing: &Bound<'_, PyAny>,
        ticks: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        read_args!(AMM; sqrt_price_x96: U256, tick: i32, liquidity: u128);
        read_args!(AMM; fee: u32, tick_spacing: i32, ticks: BTreeMap<i32, i128>);
        let (price, spacing) = (sqrt_price_x96, tick_spacing);
        let inner =
            no_panic(|| V3Pool::new(price, tick, liquidity, fee, spacing, ticks).map_err(amm_err))?;
        Ok(PyV3Pool { inner })
    }

    #[getter]
    fn sqrt_price_x96<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.sqrt_price_x96())
    }

    #[getter]
    fn tick(&self) -> i32 {
        self.inner.tick()
    }

    #[getter]
    fn liquidity(&self) -> u128 {
        self.inner.liquidity()
    }

    #[getter]
    fn fee(&self) -> u32 {
        self.inner.fee()
    }

    #[getter]
    fn tick_spacing(&self) -> i32 {
        self.inner.tick_spacing()
    }

    /// A copy of the initialized ticks {tick: liquidityNet}.
    #[getter]
    fn ticks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (t, net) in self.inner.ticks().iter() {
            d.set_item(*t, *net)?;
        }
        Ok(d)
    }

    /// UniswapV3Pool.swap: amount_specified > 0 is exact input, < 0 exact output. The pool
    /// is not changed; `apply` the result to move it.
    #[pyo3(signature = (zero_for_one, amount_specified, sqrt_price_limit_x96 = None))]
    fn swap(
        &self,
        py: Python<'_>,
        zero_for_one: &Bound<'_, PyAny>,
        amount_specified: &Bound<'_, PyAny>,
        sqrt_price_limit_x96: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyV3SwapResult> {
        read_args!(AMM; zero_for_one: bool, amount_specified: SignedAmount);
        read_args!(AMM; sqrt_price_limit_x96: Option<U256>);
        let pool = &self.inner;
        let inner = no_panic(|| {
            py.detach(|| pool.swap(zero_for_one, amount_specified, sqrt_price_limit_x96))
                .map_err(amm_err)
        })?;
        Ok(PyV3SwapResult { inner })
    }

    /// Move the pool to a swap result's price, tick and liquidity. Only a result of this
    /// pool's `swap` in its current state applies; any other raises SwapResultMismatchError and
    /// changes nothing.
    fn apply(&mut self, result: &Bound<'_, PyAny>) -> PyResult<()> {
        let result = result.cast::<PyV3SwapResult>().map_err(|_| {
            let why = format!("expected a V3SwapResult, got {}", type_name(result));
            AMM.error("result", why)
        })?;
        let pool = &mut self.inner;
        no_panic(|| pool.apply(&result.get().inner).map_err(amm_err))
    }

    /// Exact-input outputs for many amounts in one GIL-free call (default price limit).
    fn quote_many<'py>(
        &self,
        py: Python<'py>,
        zero_for_one: &Bound<'py, PyAny>,
        amounts_in: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        read_args!(AMM; zero_for_one: bool, amounts_in: Vec<U256>);
        let pool = &self.inner;
        let results = no_panic(|| Ok(py.detach(|| pool.quote_many(zero_for_one, &amounts_in))))?;
        let list = PyList::empty(py);
        for (k, r) in results.into_iter().enumerate() {
            let v = r.map_err(|e| amm_err_with_prefix(e, &format!("amounts_in[{k}]: ")))?;
            list.append(u256_to_py(py, &v)?)?;
        }
        Ok(list)
    }

    fn __repr__(&self) -> String {
        format!(
            "V3Pool(sqrt_price_x96={}, tick={}, liquidity={}, fee={}, tick_spacing={}, ticks=<{} initialized>)",
            self.inner.sqrt_price_x96(),
            self.inner.tick(),
            self.inner.liquidity(),
            self.inner.fee(),
            self.inner.tick_spacing(),
            self.inner.ticks().len()
        )
    }
}

#[pyfunction]
#[pyo3(signature = (tick))]
pub fn get_sqrt_ratio_at_tick<'py>(
    py: Python<'py>,
    tick: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    read_args!(AMM; tick: i32);
    let r = no_panic(|| v3::get_sqrt_ratio_at_tick(tick).map_err(amm_err))?;
    u256_to_py(py, &r)
}

#[pyfunction]
#[pyo3(signature = (sqrt_price_x96))]
pub fn get_tick_at_sqrt_ratio(sqrt_price_x96: &Bound<'_, PyAny>) -> PyResult<i32> {
    read_args!(AMM; sqrt_price_x96: U256);
    no_panic(|| v3::get_tick_at_sqrt_ratio(sqrt_price_x96).map_err(amm_err))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyV3Pool>()?;
    m.add_class::<PyV3SwapResult>()?;
    m.add_function(wrap_pyfunction!(get_sqrt_ratio_at_tick, m)?)?;
    m.add_function(wrap_pyfunction!(get_tick_at_sqrt_ratio, m)?)?;
    m.add("MIN_TICK", v3::MIN_TICK)?;
    m.add("MAX_TICK", v3::MAX_TICK)?;
    m.add("MIN_SQRT_RATIO", u256_to_py(py, &v3::MIN_SQRT_RATIO)?)?;
    m.add("MAX_SQRT_RATIO", u256_to_py(py, &v3::MAX_SQRT_RATIO)?)?;
    Ok(())
}
