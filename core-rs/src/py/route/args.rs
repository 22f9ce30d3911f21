//! Python arguments -> route kernel inputs. Every error is an `InvalidRouteInputError` whose
//! message names the argument.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use ruint::aliases::U256;

use crate::py::amm::arg_u256;
use crate::py::amm_v3;
use crate::py::errors::InvalidRouteInputError;
use crate::route::graph::Addr;
use crate::route::GasModel;

/// The route layer's input error.
pub(super) fn bad(msg: String) -> PyErr {
    InvalidRouteInputError::new_err(msg)
}

/// An error from the AMM bindings' converters, re-raised as `InvalidRouteInputError` with the
/// original's message ("tick: expected an int, got str"), not its type name as well.
pub(super) fn route_input(e: PyErr) -> PyErr {
    Python::attach(|py| bad(e.value(py).to_string()))
}

/// The AMM bindings' int check (an int, not a bool, that fits `T`; `range` says what fits),
/// raised as a route input error.
pub(super) fn int_arg<T: for<'a, 'py> FromPyObject<'a, 'py>>(
    obj: &Bound<'_, PyAny>,
    name: &str,
    range: &str,
) -> PyResult<T> {
    amm_v3::int_arg(obj, name, range).map_err(route_input)
}

/// An address as 0x-prefixed hex in any case, or 20 raw bytes.
pub(super) fn addr_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Addr> {
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
pub(super) fn count_arg(
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
    default: usize,
    lo: usize,
    hi: usize,
) -> PyResult<usize> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(default);
    };
    let v: i64 = int_arg(obj, name, "an int")?;
    if v < lo as i64 || v > hi as i64 {
        return Err(bad(format!("{name}: must be in [{lo}, {hi}], got {v}")));
    }
    Ok(v as usize)
}

/// A bool argument (exactly True or False), `false` when None.
pub(super) fn flag_arg(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<bool> {
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

/// A non-negative int below 2**256.
pub(super) fn amount_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<U256> {
    arg_u256(obj, name).map_err(route_input)
}

/// An optional amount (gas price, minimum profit): 0 when None.
pub(super) fn amount_or_zero(obj: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<U256> {
    obj.map_or(Ok(U256::ZERO), |o| amount_arg(o, name))
}

/// A sequence of amounts; errors name the element (`balances[2]`).
pub(super) fn amounts_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<U256>> {
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

/// `base` with the keys a gas-model dict overrides; `base` itself when None.
pub(super) fn gas_model_arg(base: GasModel, obj: Option<&Bound<'_, PyAny>>) -> PyResult<GasModel> {
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
        let val: u64 = int_arg(&v, &format!("gas_model[{key:?}]"), "gas units fit uint64")?;
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
