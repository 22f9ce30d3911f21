//! Python face of the V2, StableSwap and order-book kernels. Ints are converted with the GIL
//! held; the math runs with it released.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use ruint::aliases::U256;

use super::args::{read_args, CoinIndex, Column, FeeBps, Floats, Levels, AMM, ORDER_BOOK};
use super::errors::{amm_err, amm_err_with_prefix, no_panic};
use super::num::u256_to_py;
use crate::amm::clob::{self, Side};
use crate::amm::{stable, v2, AmmResult};

/// Run one V2 formula with the GIL held (it takes nanoseconds), its answer as a Python int.
fn v2_quote<'py>(
    py: Python<'py>,
    quote: impl FnOnce() -> AmmResult<U256>,
) -> PyResult<Bound<'py, PyAny>> {
    let out = no_panic(|| quote().map_err(amm_err))?;
    u256_to_py(py, &out)
}

/// UniswapV2Library.getAmountOut.
#[pyfunction]
#[pyo3(signature = (amount_in, reserve_in, reserve_out, fee_bps = None))]
pub fn v2_amount_out<'py>(
    py: Python<'py>,
    amount_in: &Bound<'py, PyAny>,
    reserve_in: &Bound<'py, PyAny>,
    reserve_out: &Bound<'py, PyAny>,
    fee_bps: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    read_args!(AMM; amount_in: U256, reserve_in: U256, reserve_out: U256);
    read_args!(AMM; fee_bps: Option<FeeBps>);
    let fee = FeeBps::or_default(fee_bps);
    v2_quote(py, || {
        v2::amount_out(amount_in, reserve_in, reserve_out, fee)
    })
}

/// UniswapV2Library.getAmountIn.
#[pyfunction]
#[pyo3(signature = (amount_out, reserve_in, reserve_out, fee_bps = None))]
pub fn v2_amount_in<'py>(
    py: Python<'py>,
    amount_out: &Bound<'py, PyAny>,
    reserve_in: &Bound<'py, PyAny>,
    reserve_out: &Bound<'py, PyAny>,
    fee_bps: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    read_args!(AMM; amount_out: U256, reserve_in: U256, reserve_out: U256);
    read_args!(AMM; fee_bps: Option<FeeBps>);
    let fee = FeeBps::or_default(fee_bps);
    v2_quote(py, || {
        v2::amount_in(amount_out, reserve_in, reserve_out, fee)
    })
}

/// getAmountOut over many inputs in one call; scalars broadcast. If any element would revert,
/// raises naming its index and returns nothing.
#[pyfunction]
#[pyo3(signature = (amounts_in, reserves_in, reserves_out, fee_bps = None))]
pub fn v2_amount_out_many<'py>(
    py: Python<'py>,
    amounts_in: &Bound<'py, PyAny>,
    reserves_in: &Bound<'py, PyAny>,
    reserves_out: &Bound<'py, PyAny>,
    fee_bps: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    read_args!(AMM; amounts_in: Column, reserves_in: Column, reserves_out: Column);
    read_args!(AMM; fee_bps: Option<FeeBps>);
    let fee = FeeBps::or_default(fee_bps);
    let cols = [
        ("amounts_in", amounts_in),
        ("reserves_in", reserves_in),
        ("reserves_out", reserves_out),
    ];
    let mut n = None;
    for (name, col) in &cols {
        match (n, col.len()) {
            (None, Some(len)) => n = Some((len, *name)),
            (Some((len, first)), Some(other)) if other != len => {
                let why = format!("has {other} elements but {first} has {len}");
                return Err(AMM.error(name, why));
            }
            _ => {}
        }
    }
    let n = n.map(|(len, _)| len).unwrap_or(1);
    let [(_, a), (_, rin), (_, rout)] = &cols;
    let results: Vec<AmmResult<U256>> = no_panic(|| {
        Ok(py.detach(|| {
            (0..n)
                .map(|k| v2::amount_out(a.get(k), rin.get(k), rout.get(k), fee))
                .collect()
        }))
    })?;
    if let Some((k, e)) = results
        .iter()
        .enumerate()
        .find_map(|(k, r)| r.as_ref().err().map(|e| (k, e)))
    {
        return Err(amm_err_with_prefix(
            e.clone(),
            &format!("amounts_in[{k}]: "),
        ));
    }
    let values = results
        .iter()
        .flatten()
        .map(|v| u256_to_py(py, v))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, values)
}

/// Curve StableSwap get_dy (template with A_PRECISION = 100): `amp` = A * 100, `fee` on 1e10.
#[pyfunction]
#[pyo3(signature = (i, j, dx, balances, amp, fee, rates = None))]
#[allow(clippy::too_many_arguments)]
pub fn stable_get_dy<'py>(
    py: Python<'py>,
    i: &Bound<'py, PyAny>,
    j: &Bound<'py, PyAny>,
    dx: &Bound<'py, PyAny>,
    balances: &Bound<'py, PyAny>,
    amp: &Bound<'py, PyAny>,
    fee: &Bound<'py, PyAny>,
    rates: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    read_args!(AMM; i: CoinIndex, j: CoinIndex, dx: U256, balances: Vec<U256>);
    read_args!(AMM; amp: U256, fee: U256, rates: Option<Vec<U256>>);
    let (i, j) = (i.0, j.0);
    let dy = no_panic(|| {
        py.detach(|| stable::get_dy(i, j, dx, &balances, amp, fee, rates.as_deref()))
            .map_err(amm_err)
    })?;
    u256_to_py(py, &dy)
}

/// One sweep of a book side.
#[pyclass(module = "zippifi._core", name = "Fill", frozen, eq)]
#[derive(PartialEq)]
pub struct PyFill {
    #[pyo3(get)]
    filled: f64,
    #[pyo3(get)]
    cost: f64,
    #[pyo3(get)]
    average_price: f64,
    #[pyo3(get)]
    worst_price: f64,
    #[pyo3(get)]
    levels: u64,
    #[pyo3(get)]
    slippage_bps: f64,
}

#[pymethods]
impl PyFill {
    fn __repr__(&self) -> String {
        format!(
            "Fill(filled={:?}, cost={:?}, average_price={:?}, worst_price={:?}, levels={}, slippage_bps={:?})",
            self.filled, self.cost, self.average_price, self.worst_price, self.levels, self.slippage_bps
        )
    }
}

impl From<clob::Fill> for PyFill {
    fn from(f: clob::Fill) -> Self {
        PyFill {
            filled: f.filled,
            cost: f.cost,
            average_price: f.average_price,
            worst_price: f.worst_price,
            levels: f.levels,
            slippage_bps: f.slippage_bps,
        }
    }
}

/// A central limit order book: (price, size) levels, bids descending and asks ascending.
#[pyclass(module = "zippifi._core", name = "OrderBook", subclass, frozen)]
pub struct PyOrderBook {
    inner: clob::OrderBook,
}

#[pymethods]
impl PyOrderBook {
    #[new]
    #[pyo3(signature = (bids, asks))]
    fn new(bids: &Bound<'_, PyAny>, asks: &Bound<'_, PyAny>) -> PyResult<Self> {
        read_args!(ORDER_BOOK; bids: Levels, asks: Levels);
        let inner = no_panic(|| clob::OrderBook::new(&bids.0, &asks.0).map_err(amm_err))?;
        Ok(PyOrderBook { inner })
    }

    /// (best bid + best ask) / 2, or None when a side is empty.
    #[getter]
    fn mid(&self) -> Option<f64> {
        self.inner.mid()
    }

    /// Sweep `quantity` from the asks ("buy") or the bids ("sell"); partial when the book is thin.
    fn fill(&self, side: &Bound<'_, PyAny>, quantity: &Bound<'_, PyAny>) -> PyResult<PyFill> {
        read_args!(AMM; side: Side, quantity: f64);
        no_panic(|| {
            self.inner
                .fill(side, quantity)
                .map(PyFill::from)
                .map_err(amm_err)
        })
    }

    /// fill() for each quantity of a float64 buffer; returns six little-endian byte strings
    /// (filled, cost, average_price, worst_price, levels as int64, slippage_bps) that
    /// `zippifi.amm.OrderBook.fill_many` turns into numpy arrays without copying.
    fn _fill_many_raw<'py>(
        &self,
        py: Python<'py>,
        side: &Bound<'py, PyAny>,
        quantities: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        read_args!(AMM; side: Side, quantities: Floats);
        let fills = no_panic(|| {
            py.detach(|| self.inner.fill_many(side, &quantities.0))
                .map_err(amm_err)
        })?;
        let column =
            |f: fn(&clob::Fill) -> [u8; 8]| -> Vec<u8> { fills.iter().flat_map(f).collect() };
        let parts = [
            column(|x| x.filled.to_le_bytes()),
            column(|x| x.cost.to_le_bytes()),
            column(|x| x.average_price.to_le_bytes()),
            column(|x| x.worst_price.to_le_bytes()),
            column(|x| (x.levels as i64).to_le_bytes()),
            column(|x| x.slippage_bps.to_le_bytes()),
        ];
        PyTuple::new(py, parts.iter().map(|p| PyBytes::new(py, p)))
    }

    /// Size available within `bps` of the mid on the side a "buy" or "sell" would take.
    fn depth(&self, side: &Bound<'_, PyAny>, bps: &Bound<'_, PyAny>) -> PyResult<f64> {
        read_args!(AMM; side: Side, bps: f64);
        no_panic(|| self.inner.depth(side, bps).map_err(amm_err))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(v2_amount_out, m)?)?;
    m.add_function(wrap_pyfunction!(v2_amount_in, m)?)?;
    m.add_function(wrap_pyfunction!(v2_amount_out_many, m)?)?;
    m.add_function(wrap_pyfunction!(stable_get_dy, m)?)?;
    m.add_class::<PyOrderBook>()?;
    m.add_class::<PyFill>()?;
    Ok(())
}
