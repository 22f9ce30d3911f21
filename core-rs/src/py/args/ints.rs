//! Python ints: non-negative U256 on the hot path of every batched quote, signed amounts, and
//! primitive ints. An int is a Python `int` and never a `bool`.
//!
//! U256 goes through the stable ABI only: ints below 2**63 take one C call that reports
//! overflow without raising; larger ones one shift per extra 64-bit limb.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};
use ruint::aliases::U256;

use super::{Refused, Wrap};
use crate::amm::SignedAmount;

/// An int and not a bool.
pub(super) fn is_int(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>()
}

/// Why an int is not a U256, kept apart from the message so that a signed read can tell a
/// negative int from the rest without formatting anything.
enum NotU256 {
    NotInt,
    Negative,
    TooLarge,
}

impl NotU256 {
    fn refused(self, obj: &Bound<'_, PyAny>) -> Refused {
        match self {
            NotU256::NotInt => Refused::expected("an int", obj),
            NotU256::Negative => Refused::new("must not be negative"),
            NotU256::TooLarge => Refused::new("exceeds 2**256-1"),
        }
    }
}

/// An int as its digits, for messages; beyond Python's limit on int-to-str digits, its size.
pub(super) fn shown(obj: &Bound<'_, PyAny>) -> String {
    match obj.str() {
        Ok(s) => s.to_string(),
        Err(_) => "an int too long to print".into(),
    }
}

/// A non-negative int below 2**256.
fn read_u256(obj: &Bound<'_, PyAny>) -> PyResult<Result<U256, NotU256>> {
    if !is_int(obj) {
        return Ok(Err(NotU256::NotInt));
    }
    let ptr = obj.as_ptr();
    let mut overflow: std::ffi::c_int = 0;
    // SAFETY: ptr is a live int and we hold the GIL. This variant reports out-of-range values
    // through `overflow` instead of raising, so the common case allocates nothing.
    let small = unsafe { ffi::PyLong_AsLongLongAndOverflow(ptr, &mut overflow) };
    match overflow {
        0 if small >= 0 => return Ok(Ok(U256::from(small as u64))),
        0 | -1 => return Ok(Err(NotU256::Negative)),
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
        return Ok(Err(NotU256::TooLarge));
    }
    Ok(Ok(U256::from_limbs(limbs)))
}

/// A non-negative int below 2**256.
impl FromPyObject<'_, '_> for Wrap<U256> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        match read_u256(&obj)? {
            Ok(v) => Ok(Wrap(v)),
            Err(e) => Err(e.refused(&obj)),
        }
    }
}

/// An int whose magnitude is below 2**256: a V3 swap's amount_specified.
impl FromPyObject<'_, '_> for Wrap<SignedAmount> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        // The unsigned read already tells a negative int apart, so only negative amounts pay
        // for the negation (no separate `< 0` comparison on every call).
        match read_u256(&obj)? {
            Ok(magnitude) => Ok(Wrap(SignedAmount::positive(magnitude))),
            Err(NotU256::Negative) => match read_u256(&obj.neg()?)? {
                Ok(magnitude) => Ok(Wrap(SignedAmount::negative(magnitude))),
                Err(e) => Err(e.refused(&obj)),
            },
            Err(e) => Err(e.refused(&obj)),
        }
    }
}

/// Primitive ints: an int that fits the type, the range named in Solidity's terms.
macro_rules! primitive_ints {
    ($($t:ty => $range:literal),* $(,)?) => {$(
        impl FromPyObject<'_, '_> for Wrap<$t> {
            type Error = Refused;

            fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
                if !is_int(&obj) {
                    return Err(Refused::expected("an int", &obj));
                }
                match obj.extract::<$t>() {
                    Ok(v) => Ok(Wrap(v)),
                    Err(_) => Err(Refused::new(format!(
                        "{} is out of range ({})",
                        shown(&obj),
                        $range
                    ))),
                }
            }
        }
    )*};
}

primitive_ints!(
    u8 => "uint8",
    i32 => "int32",
    u32 => "uint32",
    i64 => "int64",
    u64 => "uint64",
    i128 => "int128",
    u128 => "uint128",
);

/// A V2 fee in basis points: an int below 10000.
pub struct FeeBps(pub u32);

impl FeeBps {
    /// The fee, or Uniswap V2's 30 (0.3%) when left out.
    pub fn or_default(fee: Option<FeeBps>) -> u32 {
        fee.map_or(30, |f| f.0)
    }
}

impl FromPyObject<'_, '_> for Wrap<FeeBps> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        let Wrap(fee) = obj.extract::<Wrap<U256>>()?;
        u32::try_from(fee)
            .ok()
            .filter(|f| *f < 10_000)
            .map(|f| Wrap(FeeBps(f)))
            .ok_or_else(|| Refused::new(format!("must be below 10000, got {fee}")))
    }
}

/// The index of one of a StableSwap pool's coins: a non-negative int.
pub struct CoinIndex(pub usize);

impl FromPyObject<'_, '_> for Wrap<CoinIndex> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        let Wrap(i) = obj.extract::<Wrap<U256>>()?;
        usize::try_from(i)
            .map(|i| Wrap(CoinIndex(i)))
            .map_err(|_| Refused::new("not a coin index"))
    }
}
