//! The binding layer: the only code that knows Python. Conversions, exceptions, GIL release.
//!
//! - `args`: every Python argument -> kernel input conversion, errors naming the argument;
//! - `num`: kernel ints -> Python ints;
//! - `errors`: the exception classes, kernel errors -> exceptions, panics caught;
//! - one module per binding area (`sign`, `amm`, `amm_v3`, `route`), each with a `register`.

mod amm;
mod amm_v3;
mod args;
mod errors;
mod num;
mod route;
mod sign;

use pyo3::prelude::*;

/// How a binding area adds its classes, functions and constants to the module.
type Register = fn(&Bound<'_, PyModule>) -> PyResult<()>;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // The exceptions first: every area raises them.
    let areas: [Register; 5] = [
        errors::register,
        sign::register,
        amm::register,
        amm_v3::register,
        route::register,
    ];
    for register in areas {
        register(m)?;
    }
    Ok(())
}
