//! A JSON-like Python value -> an EIP-712 value of the signing kernel. Errors are the kernel's
//! `InvalidTypedData`, naming the path the way the EIP-712 module does (`message.legs[1].pool`).

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyList, PyString, PyTuple};

use super::values::NOT_UTF8;
use super::{type_name, Refused, Wrap};
use crate::amm::SignedAmount;
use crate::sign::eip712::TypedValue;
use crate::sign::{SignError, SignResult};

/// `tri!(e)`: a `PyResult<SignResult<T>>`'s value, or return its error.
macro_rules! tri {
    ($e:expr) => {
        match $e? {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        }
    };
}

const MAX_TYPED_DEPTH: usize = 64;

/// A JSON-like Python value for EIP-712; `path` names it in errors the way the EIP-712 module
/// does (`message.legs[1].pool`), empty at the top.
pub fn typed_value(
    obj: &Bound<'_, PyAny>,
    path: &str,
    depth: usize,
) -> PyResult<SignResult<TypedValue>> {
    let shown = if path.is_empty() {
        "full_message"
    } else {
        path
    };
    let err = |why: String| Ok(Err(SignError::InvalidTypedData(format!("{shown}: {why}"))));
    if depth > MAX_TYPED_DEPTH {
        return err(format!("nested deeper than {MAX_TYPED_DEPTH} levels"));
    }
    if obj.is_none() {
        return Ok(Ok(TypedValue::Null));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Ok(TypedValue::Bool(b.is_true())));
    }
    if obj.is_instance_of::<PyInt>() {
        return match obj.extract::<Wrap<SignedAmount>>() {
            Ok(Wrap(v)) => Ok(Ok(TypedValue::Int {
                negative: v.negative,
                magnitude: v.magnitude,
            })),
            Err(Refused::Python(e)) => Err(e),
            Err(Refused::Value { .. }) => err("integer does not fit in 256 bits".into()),
        };
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return match s.to_str() {
            Ok(t) => Ok(Ok(TypedValue::Str(t.to_owned()))),
            Err(_) => err(NOT_UTF8.into()),
        };
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Ok(TypedValue::Bytes(b.as_bytes().to_vec())));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Ok(TypedValue::Bytes(b.to_vec())));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut entries = Vec::with_capacity(d.len());
        // A snapshot of the items: a live iteration would not survive Python code (an int
        // subclass's methods) changing the dict while it is read.
        for item in d.items().iter() {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            let Ok(key) = k.cast::<PyString>() else {
                return err(format!("dict keys must be str, got {}", type_name(&k)));
            };
            let Ok(key) = key.to_str().map(str::to_owned) else {
                return err(format!("dict keys {NOT_UTF8}"));
            };
            let child_path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            let child = tri!(typed_value(&v, &child_path, depth + 1));
            entries.push((key, child));
        }
        return Ok(Ok(TypedValue::Map(entries)));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (i, v) in obj.try_iter()?.enumerate() {
            items.push(tri!(typed_value(&v?, &format!("{path}[{i}]"), depth + 1)));
        }
        return Ok(Ok(TypedValue::List(items)));
    }
    err(format!("unsupported value of type {}", type_name(obj)))
}
