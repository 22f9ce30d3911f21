//! The binding layer: the only code that knows Python. Conversions, exceptions, GIL release.

mod amm;
mod amm_v3;
mod convert;
mod errors;
mod num;
mod route;
mod sign;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    m.add_class::<sign::PySigner>()?;
    m.add_class::<sign::PySignedTransaction>()?;
    m.add_class::<sign::PySignedMessage>()?;
    m.add_function(wrap_pyfunction!(sign::sign_transactions, m)?)?;
    m.add_function(wrap_pyfunction!(sign::recover_transaction, m)?)?;
    m.add_function(wrap_pyfunction!(sign::recover_message, m)?)?;
    m.add_function(wrap_pyfunction!(sign::keccak256, m)?)?;
    m.add_function(wrap_pyfunction!(sign::hash_typed_data, m)?)?;
    m.add_function(wrap_pyfunction!(sign::to_checksum_address, m)?)?;
    m.add_function(wrap_pyfunction!(amm::v2_amount_out, m)?)?;
    m.add_function(wrap_pyfunction!(amm::v2_amount_in, m)?)?;
    m.add_function(wrap_pyfunction!(amm::v2_amount_out_many, m)?)?;
    m.add_function(wrap_pyfunction!(amm::stable_get_dy, m)?)?;
    m.add_class::<amm::PyOrderBook>()?;
    m.add_class::<amm::PyFill>()?;
    amm_v3::register(m)?;
    route::register(m)?;
    Ok(())
}
