//! Python int <-> U256 on the hot path of every batched quote, through the stable ABI only.
//! Ints below 2**63 take one C call that reports overflow without raising; larger ones one
//! shift per extra 64-bit limb. Large results go back through hex digits: one allocation
//! instead of a chain of shifts and ors.

use std::ffi::c_char;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};
use ruint::aliases::U256;

/// Why a Python value is not a U256. The caller names the argument (only when it fails, so
/// the happy path formats nothing).
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
    let ptr = obj.as_ptr();
    let mut overflow: std::ffi::c_int = 0;
    // SAFETY: ptr is a live int and we hold the GIL. This variant reports out-of-range values
    // through `overflow` instead of raising, so the common case allocates nothing.
    let small = unsafe { ffi::PyLong_AsLongLongAndOverflow(ptr, &mut overflow) };
    match overflow {
        0 if small >= 0 => return Ok(Ok(U256::from(small as u64))),
        0 | -1 => return Ok(Err(IntError::Negative)),
        _ => {}
    }
    // >= 2**63: one limb at a time, each read from `obj >> 64k`. SAFETY (each ffi call below):
    // a live non-negative int, the GIL held; neither call fails or raises for one.
    let mut limbs = [unsafe { ffi::PyLong_AsUnsignedLongLongMask(ptr) }, 0, 0, 0];
    let mut rest = obj.clone();
    for limb in limbs.iter_mut().skip(1) {
        rest = rest.rshift(64)?;
        // Below 2**63, the value is this limb and nothing above it: no further shift.
        let value = unsafe { ffi::PyLong_AsLongLongAndOverflow(rest.as_ptr(), &mut overflow) };
        if overflow == 0 {
            *limb = value as u64;
            return Ok(Ok(U256::from_limbs(limbs)));
        }
        *limb = unsafe { ffi::PyLong_AsUnsignedLongLongMask(rest.as_ptr()) };
    }
    // Four limbs read: anything left above them is 2**256 or more.
    if rest.rshift(64)?.is_truthy()? {
        return Ok(Err(IntError::TooLarge));
    }
    Ok(Ok(U256::from_limbs(limbs)))
}

/// A U256 as a Python int.
pub fn u256_to_py<'py>(py: Python<'py>, v: &U256) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(small) = u64::try_from(*v) {
        return Ok(small.into_pyobject(py)?.into_any());
    }
    // Hex digits into a stack buffer, NUL-terminated: PyLong_FromString parses them with one
    // allocation (base 16 takes no "0x" here).
    let mut buf = [0u8; 65];
    let mut len = 0;
    let mut started = false;
    for byte in v.to_be_bytes::<32>() {
        for nibble in [byte >> 4, byte & 0x0f] {
            started |= nibble != 0;
            if started {
                buf[len] = b"0123456789abcdef"[usize::from(nibble)];
                len += 1;
            }
        }
    }
    // SAFETY: buf holds len ASCII hex digits (len >= 1: v > u64::MAX) and a NUL at buf[len].
    unsafe {
        let ptr = ffi::PyLong_FromString(buf.as_ptr() as *const c_char, std::ptr::null_mut(), 16);
        Bound::from_owned_ptr_or_err(py, ptr)
    }
}
