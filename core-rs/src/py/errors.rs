//! Each Rust error kind is its own Python exception, a subclass of the family that
//! `zippifi.errors` defines in Python (so the multiple-inheritance bases such as ValueError stay
//! in one readable place). The subclasses are created here and re-exported by `zippifi.errors`.

use pyo3::prelude::*;
use pyo3::{create_exception, import_exception};

use crate::amm::AmmError;
use crate::route::RouteError;
use crate::sign::{BatchError, SignError};

import_exception!(zippifi.errors, InvalidInputError);
import_exception!(zippifi.errors, ZippiRuntimeError);
import_exception!(zippifi.errors, RouteNotFound);

create_exception!(
    zippifi.errors,
    InvalidTransactionError,
    InvalidInputError,
    "A transaction field is missing, malformed or out of range; the message names the field."
);
create_exception!(
    zippifi.errors,
    UnsupportedTransactionTypeError,
    InvalidTransactionError,
    "A transaction type the signer does not handle (blob and set-code transactions, unknown types)."
);
create_exception!(
    zippifi.errors,
    InvalidKeyError,
    InvalidInputError,
    "A private key of the wrong length, form or range. Never carries key material."
);
create_exception!(
    zippifi.errors,
    InvalidSignatureError,
    InvalidInputError,
    "A signature that does not parse or from which no public key recovers."
);
create_exception!(
    zippifi.errors,
    InvalidTypedDataError,
    InvalidInputError,
    "EIP-712 typed data that does not follow the spec; the message names the path."
);
create_exception!(
    zippifi.errors,
    InvalidRawTransactionError,
    InvalidInputError,
    "Bytes that are not a well-formed signed transaction."
);
create_exception!(
    zippifi.errors,
    InvalidAmmInputError,
    InvalidInputError,
    "An AMM kernel input that is malformed or out of range; the message names the argument."
);
create_exception!(
    zippifi.errors,
    AmmRevertError,
    InvalidInputError,
    "The contract would revert for this input; the message gives the contract's reason."
);
create_exception!(
    zippifi.errors,
    SwapResultMismatchError,
    InvalidAmmInputError,
    "A swap result applied to another pool than the one that computed it, or to a state that pool has since left (a stale result); the pool is unchanged."
);
create_exception!(
    zippifi.errors,
    InvalidOrderBookError,
    InvalidInputError,
    "An order book whose levels are crossed, unsorted, negative or not finite."
);
create_exception!(
    zippifi.errors,
    InvalidRouteInputError,
    InvalidInputError,
    "A route query or pool graph update that is malformed (unknown pool, bad address, bad state)."
);
create_exception!(
    zippifi.errors,
    CorruptGraphError,
    InvalidInputError,
    "Bytes given to PoolGraph.from_bytes that are not a snapshot this version wrote."
);
create_exception!(
    zippifi.errors,
    KernelPanicError,
    ZippiRuntimeError,
    "A Rust kernel hit a bug and stopped; no state was changed. Please report it."
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add(
        "InvalidTransactionError",
        py.get_type::<InvalidTransactionError>(),
    )?;
    m.add(
        "UnsupportedTransactionTypeError",
        py.get_type::<UnsupportedTransactionTypeError>(),
    )?;
    m.add("InvalidKeyError", py.get_type::<InvalidKeyError>())?;
    m.add(
        "InvalidSignatureError",
        py.get_type::<InvalidSignatureError>(),
    )?;
    m.add(
        "InvalidTypedDataError",
        py.get_type::<InvalidTypedDataError>(),
    )?;
    m.add(
        "InvalidRawTransactionError",
        py.get_type::<InvalidRawTransactionError>(),
    )?;
    m.add(
        "InvalidAmmInputError",
        py.get_type::<InvalidAmmInputError>(),
    )?;
    m.add("AmmRevertError", py.get_type::<AmmRevertError>())?;
    m.add(
        "SwapResultMismatchError",
        py.get_type::<SwapResultMismatchError>(),
    )?;
    m.add(
        "InvalidOrderBookError",
        py.get_type::<InvalidOrderBookError>(),
    )?;
    m.add(
        "InvalidRouteInputError",
        py.get_type::<InvalidRouteInputError>(),
    )?;
    m.add("CorruptGraphError", py.get_type::<CorruptGraphError>())?;
    m.add("KernelPanicError", py.get_type::<KernelPanicError>())?;
    Ok(())
}

pub fn sign_err(e: SignError) -> PyErr {
    sign_err_with_prefix(e, "")
}

fn sign_err_with_prefix(e: SignError, prefix: &str) -> PyErr {
    let msg = format!("{prefix}{e}");
    match e {
        SignError::InvalidTransaction(_) => InvalidTransactionError::new_err(msg),
        SignError::UnsupportedTransactionType(_) => UnsupportedTransactionTypeError::new_err(msg),
        SignError::InvalidKey(_) => InvalidKeyError::new_err(msg),
        SignError::InvalidSignature(_) => InvalidSignatureError::new_err(msg),
        SignError::InvalidTypedData(_) => InvalidTypedDataError::new_err(msg),
        SignError::InvalidRawTransaction(_) => InvalidRawTransactionError::new_err(msg),
    }
}

pub fn amm_err(e: AmmError) -> PyErr {
    amm_err_with_prefix(e, "")
}

/// For batches: `prefix` names the element, e.g. "amounts_in[3]: ".
pub fn amm_err_with_prefix(e: AmmError, prefix: &str) -> PyErr {
    let msg = format!("{prefix}{e}");
    match e {
        AmmError::InvalidInput(_) => InvalidAmmInputError::new_err(msg),
        AmmError::Revert(_) => AmmRevertError::new_err(msg),
        AmmError::InvalidBook(_) => InvalidOrderBookError::new_err(msg),
        AmmError::ResultMismatch(_) => SwapResultMismatchError::new_err(msg),
    }
}

pub fn route_err(e: RouteError) -> PyErr {
    match e {
        RouteError::InvalidInput(m) => InvalidRouteInputError::new_err(m),
        RouteError::NotFound(m) => RouteNotFound::new_err(m),
        RouteError::Corrupt(m) => CorruptGraphError::new_err(m),
    }
}

pub fn batch_err(e: BatchError) -> PyErr {
    sign_err_with_prefix(e.error, &format!("transaction {}: ", e.index))
}

/// Run kernel code so that a bug (a panic) surfaces as `KernelPanicError`, never as pyo3's
/// PanicException (a BaseException that `except Exception` would not catch).
pub fn no_panic<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(KernelPanicError::new_err(format!(
                "internal error in a Rust kernel: {what}"
            )))
        }
    }
}
