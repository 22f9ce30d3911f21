//! Python face of the Uniswap V3 kernel: `V3Pool`, `V3SwapResult` and the tick math.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::amm::arg_u256;
use super::errors::{amm_err, amm_err_with_prefix, no_panic, InvalidAmmInputError};
use super::num::{u256_from_py, u256_to_py, IntError};
use crate::amm::v3::{self, V3Pool, V3SwapResult};
use crate::amm::SignedAmount;

fn bad(msg: String) -> PyErr {
    InvalidAmmInputError::new_err(msg)
}

pub(crate) fn int_arg<T: for<'a, 'py> FromPyObject<'a, 'py>>(
    obj: &Bound<'_, PyAny>,
    name: &str,
    range: &str,
) -> PyResult<T> {
    if obj.is_instance_of::<pyo3::types::PyBool>() || !obj.is_instance_of::<pyo3::types::PyInt>() {
        let t = obj.get_type().name()?;
        return Err(bad(format!("{name}: expected an int, got {t}")));
    }
    obj.extract::<T>()
        .map_err(|_| bad(format!("{name}: {obj} is out of range ({range})")))
}

fn signed_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<SignedAmount> {
    // The unsigned conversion already tells a negative int apart, so only exact-output swaps
    // pay for the negation (no separate `< 0` comparison on every call).
    match u256_from_py(obj)? {
        Ok(magnitude) => Ok(SignedAmount::positive(magnitude)),
        Err(IntError::Negative) => Ok(SignedAmount::negative(arg_u256(&obj.neg()?, name)?)),
        Err(e) => Err(bad(e.describe(name))),
    }
}

pub(crate) fn signed_to_py<'py>(py: Python<'py>, v: &SignedAmount) -> PyResult<Bound<'py, PyAny>> {
    let m = u256_to_py(py, &v.magnitude)?;
    if v.negative {
        m.neg()
    } else {
        Ok(m)
    }
}

pub(crate) fn ticks_arg(obj: &Bound<'_, PyAny>) -> PyResult<BTreeMap<i32, i128>> {
    let dict = obj
        .cast::<PyDict>()
        .map_err(|_| bad("ticks: expected a dict {tick: liquidityNet}".into()))?;
    let mut ticks = BTreeMap::new();
    for (k, v) in dict.iter() {
        let tick: i32 = int_arg(&k, "ticks", "a tick is an int32")?;
        let net: i128 = int_arg(&v, &format!("ticks[{tick}]"), "liquidityNet is an int128")?;
        ticks.insert(tick, net);
    }
    Ok(ticks)
}

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
        let price = arg_u256(sqrt_price_x96, "sqrt_price_x96")?;
        let tick: i32 = int_arg(tick, "tick", "int24")?;
        let liquidity: u128 = int_arg(liquidity, "liquidity", "uint128")?;
        let fee: u32 = int_arg(fee, "fee", "hundredths of a bip, below 1000000")?;
        let spacing: i32 = int_arg(tick_spacing, "tick_spacing", "1 to 16383")?;
        let ticks = ticks_arg(ticks)?;
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
        zero_for_one: bool,
        amount_specified: &Bound<'_, PyAny>,
        sqrt_price_limit_x96: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyV3SwapResult> {
        let amount = signed_arg(amount_specified, "amount_specified")?;
        let limit = sqrt_price_limit_x96
            .map(|l| arg_u256(l, "sqrt_price_limit_x96"))
            .transpose()?;
        let pool = &self.inner;
        let inner = no_panic(|| {
            py.detach(|| pool.swap(zero_for_one, amount, limit))
                .map_err(amm_err)
        })?;
        Ok(PyV3SwapResult { inner })
    }

    /// Move the pool to a swap result's price, tick and liquidity.
    fn apply(&mut self, result: &Bound<'_, PyV3SwapResult>) {
        self.inner.apply(&result.get().inner);
    }

    /// Exact-input outputs for many amounts in one GIL-free call (default price limit).
    fn quote_many<'py>(
        &self,
        py: Python<'py>,
        zero_for_one: bool,
        amounts_in: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let mut amounts = Vec::with_capacity(amounts_in.len().unwrap_or(0));
        for (k, a) in amounts_in.try_iter()?.enumerate() {
            amounts.push(arg_u256(&a?, &format!("amounts_in[{k}]"))?);
        }
        let pool = &self.inner;
        let results = no_panic(|| Ok(py.detach(|| pool.quote_many(zero_for_one, &amounts))))?;
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
    let tick: i32 = int_arg(tick, "tick", "MIN_TICK to MAX_TICK")?;
    let r = no_panic(|| v3::get_sqrt_ratio_at_tick(tick).map_err(amm_err))?;
    u256_to_py(py, &r)
}

#[pyfunction]
#[pyo3(signature = (sqrt_price_x96))]
pub fn get_tick_at_sqrt_ratio(sqrt_price_x96: &Bound<'_, PyAny>) -> PyResult<i32> {
    let p = arg_u256(sqrt_price_x96, "sqrt_price_x96")?;
    no_panic(|| v3::get_tick_at_sqrt_ratio(p).map_err(amm_err))
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
