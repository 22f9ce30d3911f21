//! Python face of the V2, StableSwap and order-book kernels. Ints are converted with the GIL
//! held; the math runs with it released.

use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyList, PyTuple};
use ruint::aliases::U256;

use super::errors::{
    amm_err, amm_err_with_prefix, no_panic, InvalidAmmInputError, InvalidOrderBookError,
};
use super::num::{u256_from_py, u256_to_py};
use crate::amm::clob::{self, Side};
use crate::amm::{stable, v2, AmmResult};

/// A non-negative int below 2**256, or InvalidAmmInputError naming `name`.
pub fn arg_u256(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<U256> {
    u256_from_py(obj)?.map_err(|e| InvalidAmmInputError::new_err(e.describe(name)))
}

fn fee_bps_arg(fee_bps: &Bound<'_, PyAny>) -> PyResult<u32> {
    let fee = arg_u256(fee_bps, "fee_bps")?;
    u32::try_from(fee)
        .ok()
        .filter(|f| *f < 10_000)
        .ok_or_else(|| {
            InvalidAmmInputError::new_err(format!("fee_bps: must be below 10000, got {fee}"))
        })
}

type V2Quote = fn(U256, U256, U256, u32) -> AmmResult<U256>;

/// Convert the three amounts (named for errors) and the fee, then run one V2 formula.
fn v2_quote<'py>(
    py: Python<'py>,
    args: [(&Bound<'py, PyAny>, &str); 3],
    fee_bps: Option<&Bound<'py, PyAny>>,
    quote: V2Quote,
) -> PyResult<Bound<'py, PyAny>> {
    let fee = fee_bps.map(fee_bps_arg).transpose()?.unwrap_or(30);
    let [a, rin, rout] = [
        arg_u256(args[0].0, args[0].1)?,
        arg_u256(args[1].0, args[1].1)?,
        arg_u256(args[2].0, args[2].1)?,
    ];
    let out = no_panic(|| quote(a, rin, rout, fee).map_err(amm_err))?;
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
    let args = [
        (amount_in, "amount_in"),
        (reserve_in, "reserve_in"),
        (reserve_out, "reserve_out"),
    ];
    v2_quote(py, args, fee_bps, v2::amount_out)
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
    let args = [
        (amount_out, "amount_out"),
        (reserve_in, "reserve_in"),
        (reserve_out, "reserve_out"),
    ];
    v2_quote(py, args, fee_bps, v2::amount_in)
}

/// A sequence of ints, or one int broadcast over the others.
enum Column {
    Scalar(U256),
    Many(Vec<U256>),
}

impl Column {
    fn from_py(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Column> {
        if obj.is_instance_of::<PyInt>() {
            return Ok(Column::Scalar(arg_u256(obj, name)?));
        }
        let convert = |k: usize, item: &Bound<'_, PyAny>| -> PyResult<U256> {
            u256_from_py(item)?
                .map_err(|e| InvalidAmmInputError::new_err(e.describe(&format!("{name}[{k}]"))))
        };
        // Lists (the common case) are read by index, without an iterator object.
        if let Ok(list) = obj.cast::<PyList>() {
            let mut values = Vec::with_capacity(list.len());
            for (k, item) in list.iter().enumerate() {
                values.push(convert(k, &item)?);
            }
            return Ok(Column::Many(values));
        }
        let mut values = Vec::with_capacity(obj.len().unwrap_or(0));
        let iter = obj.try_iter().map_err(|_| {
            InvalidAmmInputError::new_err(format!("{name}: expected an int or a sequence of ints"))
        })?;
        for (k, item) in iter.enumerate() {
            values.push(convert(k, &item?)?);
        }
        Ok(Column::Many(values))
    }

    fn len(&self) -> Option<usize> {
        match self {
            Column::Scalar(_) => None,
            Column::Many(v) => Some(v.len()),
        }
    }

    fn get(&self, k: usize) -> U256 {
        match self {
            Column::Scalar(v) => *v,
            Column::Many(v) => v[k],
        }
    }
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
    let fee = fee_bps.map(fee_bps_arg).transpose()?.unwrap_or(30);
    let cols = [
        ("amounts_in", Column::from_py(amounts_in, "amounts_in")?),
        ("reserves_in", Column::from_py(reserves_in, "reserves_in")?),
        (
            "reserves_out",
            Column::from_py(reserves_out, "reserves_out")?,
        ),
    ];
    let mut n = None;
    for (name, col) in &cols {
        match (n, col.len()) {
            (None, Some(len)) => n = Some((len, *name)),
            (Some((len, first)), Some(other)) if other != len => {
                return Err(InvalidAmmInputError::new_err(format!(
                    "{name}: has {other} elements but {first} has {len}"
                )));
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

fn u256_list(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<U256>> {
    match Column::from_py(obj, name)? {
        Column::Many(v) => Ok(v),
        Column::Scalar(_) => Err(InvalidAmmInputError::new_err(format!(
            "{name}: expected a sequence of ints"
        ))),
    }
}

fn index_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<usize> {
    usize::try_from(arg_u256(obj, name)?)
        .map_err(|_| InvalidAmmInputError::new_err(format!("{name}: not a coin index")))
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
    let (i, j) = (index_arg(i, "i")?, index_arg(j, "j")?);
    let dx = arg_u256(dx, "dx")?;
    let balances = u256_list(balances, "balances")?;
    let amp = arg_u256(amp, "amp")?;
    let fee = arg_u256(fee, "fee")?;
    let rates = rates.map(|r| u256_list(r, "rates")).transpose()?;
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

fn levels_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<(f64, f64)>> {
    let buf = PyBuffer::<f64>::get(obj).map_err(|_| {
        InvalidOrderBookError::new_err(format!("{name}: expected a float64 array of shape (n, 2)"))
    })?;
    let shape = buf.shape();
    let ok_shape = (shape.len() == 2 && shape[1] == 2) || buf.item_count() == 0;
    if !ok_shape {
        return Err(InvalidOrderBookError::new_err(format!(
            "{name}: expected shape (n, 2) of (price, size), got {shape:?}"
        )));
    }
    let flat = buf.to_vec(obj.py())?;
    Ok(flat.chunks_exact(2).map(|c| (c[0], c[1])).collect())
}

fn side_arg(side: &str) -> PyResult<Side> {
    Side::parse(side).map_err(amm_err)
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
        let (b, a) = (levels_arg(bids, "bids")?, levels_arg(asks, "asks")?);
        let inner = no_panic(|| clob::OrderBook::new(&b, &a).map_err(amm_err))?;
        Ok(PyOrderBook { inner })
    }

    /// (best bid + best ask) / 2, or None when a side is empty.
    #[getter]
    fn mid(&self) -> Option<f64> {
        self.inner.mid()
    }

    /// Sweep `quantity` from the asks ("buy") or the bids ("sell"); partial when the book is thin.
    fn fill(&self, side: &str, quantity: f64) -> PyResult<PyFill> {
        let side = side_arg(side)?;
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
        side: &str,
        quantities: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let side = side_arg(side)?;
        let buf = PyBuffer::<f64>::get(quantities)
            .map_err(|_| InvalidAmmInputError::new_err("quantities: expected a float64 array"))?;
        let qs = buf.to_vec(py)?;
        let fills = no_panic(|| {
            py.detach(|| self.inner.fill_many(side, &qs))
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
    fn depth(&self, side: &str, bps: f64) -> PyResult<f64> {
        let side = side_arg(side)?;
        no_panic(|| self.inner.depth(side, bps).map_err(amm_err))
    }
}
