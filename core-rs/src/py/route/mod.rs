//! Python face of the route kernel: `PoolGraph`, `Route`, `SplitRoute`, `Cycle`. Arguments are
//! converted with the GIL held; searches run with it released.
//!
//! - `results`: the `Route`, `SplitRoute` and `Cycle` answers;
//! - `graph`: the `PoolGraph` class and its methods;
//! - `queries`: how its queries run (options parsed once, token lookup, search dispatch).
//!
//! Arguments are read through `crate::py::args` with the `ROUTE` area: every argument error is
//! an `InvalidRouteInputError` naming the argument.

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
