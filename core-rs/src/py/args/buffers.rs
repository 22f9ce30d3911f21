//! float64 buffers (numpy arrays, array.array('d'), memoryviews): an order book's levels and
//! the quantities of a batched fill.

use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;

use super::{Refused, Wrap};

fn unreadable() -> Refused {
    Refused::new("its float64 values cannot be read")
}

/// (price, size) levels from a float64 buffer of shape (n, 2) (any shape when empty).
pub struct Levels(pub Vec<(f64, f64)>);

impl FromPyObject<'_, '_> for Wrap<Levels> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        let buf = PyBuffer::<f64>::get(&obj)
            .map_err(|_| Refused::new("expected a float64 array of shape (n, 2)"))?;
        let shape = buf.shape();
        let ok_shape = (shape.len() == 2 && shape[1] == 2) || buf.item_count() == 0;
        if !ok_shape {
            return Err(Refused::new(format!(
                "expected shape (n, 2) of (price, size), got {shape:?}"
            )));
        }
        let flat = buf.to_vec(obj.py()).map_err(|_| unreadable())?;
        Ok(Wrap(Levels(
            flat.chunks_exact(2).map(|c| (c[0], c[1])).collect(),
        )))
    }
}

/// The values of a float64 buffer, in order.
pub struct Floats(pub Vec<f64>);

impl FromPyObject<'_, '_> for Wrap<Floats> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        let buf =
            PyBuffer::<f64>::get(&obj).map_err(|_| Refused::new("expected a float64 array"))?;
        Ok(Wrap(Floats(
            buf.to_vec(obj.py()).map_err(|_| unreadable())?,
        )))
    }
}
