//! ZippiFi's Rust kernels. Plain Rust modules, usable as an rlib and tested with `cargo test`;
//! the `python` feature adds the PyO3 binding layer in `py`, the only module that knows Python.

pub mod amm;
pub mod route;
pub mod sign;

#[cfg(feature = "python")]
mod py;
