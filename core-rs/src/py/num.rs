//! Kernel ints -> Python ints, on the hot path of every batched quote, through the stable ABI
//! only (Python ints -> kernel inputs are `args`' business). Large results go back through hex
//! digits: one allocation instead of a chain of shifts and ors.

use std::ffi::c_char;

use pyo3::ffi;
use pyo3::prelude::*;
use ruint::aliases::U256;

use crate::amm::SignedAmount;

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

/// A signed amount as a Python int.
pub fn signed_to_py<'py>(py: Python<'py>, v: &SignedAmount) -> PyResult<Bound<'py, PyAny>> {
    let m = u256_to_py(py, &v.magnitude)?;
    if v.negative {
        m.neg()
    } else {
        Ok(m)
    }
}
