//! Python int <-> U256 without going through exceptions or strings: the hot path of every
//! batched quote. Ints that fit 64 bits take one C call each way.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};
use ruint::aliases::U256;

/// Why a Python value is not a U256. The caller names the argument.
pub enum IntError {
    NotInt(String),
    Negative,
    TooLarge,
}

impl IntError {
    pub fn describe(&self, name: &str) -> String {
        match self {
            IntError::NotInt(t) => format!("{name}: expected an int, got {t}"),
            IntError::Negative => format!("{name}: must not be negative"),
            IntError::TooLarge => format!("{name}: exceeds 2**256-1"),
        }
    }
}

/// A non-negative int below 2**256.
pub fn u256_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Result<U256, IntError>> {
    if !obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyBool>() {
        let name = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        return Ok(Err(IntError::NotInt(name)));
    }
    let py = obj.py();
    // SAFETY: obj is a live int; the Mask variant never raises for an int.
    let low = unsafe { ffi::PyLong_AsUnsignedLongLongMask(obj.as_ptr()) };
    let low_obj = low.into_pyobject(py)?;
    if obj.eq(&low_obj)? {
        return Ok(Ok(U256::from(low)));
    }
    if obj.lt(0)? {
        return Ok(Err(IntError::Negative));
    }
    let mut limbs = [0u64; 4];
    let mut rest = obj.clone();
    for limb in limbs.iter_mut() {
        // SAFETY: as above; rest stays a non-negative int.
        *limb = unsafe { ffi::PyLong_AsUnsignedLongLongMask(rest.as_ptr()) };
        rest = rest.rshift(64)?;
        if rest.is_truthy()? {
            continue;
        }
        return Ok(Ok(U256::from_limbs(limbs)));
    }
    Ok(Err(IntError::TooLarge))
}

/// A U256 as a Python int.
pub fn u256_to_py<'py>(py: Python<'py>, v: &U256) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(small) = u64::try_from(*v) {
        return Ok(small.into_pyobject(py)?.into_any());
    }
    if let Ok(mid) = u128::try_from(*v) {
        return Ok(mid.into_pyobject(py)?.into_any());
    }
    let limbs = v.as_limbs();
    let mut out = limbs[3].into_pyobject(py)?.into_any();
    for limb in limbs[..3].iter().rev() {
        out = out.lshift(64)?.bitor(*limb)?;
    }
    Ok(out)
}
