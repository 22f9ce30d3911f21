//! Python face of the route kernel: `PoolGraph`, `Route`, `SplitRoute`, `Cycle`. Arguments are
//! converted with the GIL held; searches run with it released.
//!
//! - `args`: Python arguments -> kernel inputs (addresses, counts, amounts, gas model);
//! - `results`: the `Route`, `SplitRoute` and `Cycle` answers;
//! - `graph`: the `PoolGraph` class and its methods;
//! - `queries`: how its queries run (token lookup, options, batch parsing, search dispatch).

mod args;
mod graph;
mod queries;
mod results;

use pyo3::prelude::*;

use graph::PyPoolGraph;
use results::{PyCycle, PyRoute, PySplitRoute};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPoolGraph>()?;
    m.add_class::<PyRoute>()?;
    m.add_class::<PySplitRoute>()?;
    m.add_class::<PyCycle>()?;
    Ok(())
}
