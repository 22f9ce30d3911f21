//! Containers: sequences (errors name the element, `balances[2]`), dicts (errors name the
//! key's value, `ticks[60]`), optional values, and the AMM's column (one int broadcast, or a
//! sequence of ints).

use std::collections::BTreeMap;
use std::fmt;

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyInt, PyList, PyString};
use ruint::aliases::U256;

use super::{part, Refused, Wrap};

/// Most elements reserved ahead for an iterable that is not a list: its `len()` is only a
/// hint (and a hostile one must not reserve memory that is never filled).
const MAX_RESERVE: usize = 1 << 12;

/// The elements of a sequence (a list, a tuple, any iterable but text, bytes or a dict), each
/// a `T`; `what` is what a refusal of the whole value says was expected.
fn elements<'py, T>(obj: &Bound<'py, PyAny>, what: &str) -> Result<Vec<T>, Refused>
where
    for<'a> Wrap<T>: FromPyObject<'a, 'py, Error = Refused>,
{
    // Lists (the common case) are read by index, without an iterator object.
    if let Ok(list) = obj.cast::<PyList>() {
        let mut values = Vec::with_capacity(list.len());
        for (k, item) in list.iter().enumerate() {
            values.push(part::<T>(&item, format_args!("[{k}]"))?);
        }
        return Ok(values);
    }
    let text_like = obj.is_instance_of::<PyString>()
        || obj.is_instance_of::<PyBytes>()
        || obj.is_instance_of::<PyByteArray>()
        || obj.is_instance_of::<PyDict>();
    let iter = match obj.try_iter() {
        Ok(iter) if !text_like => iter,
        _ => return Err(Refused::expected(what, obj)),
    };
    let mut values = Vec::with_capacity(obj.len().unwrap_or(0).min(MAX_RESERVE));
    for (k, item) in iter.enumerate() {
        values.push(part::<T>(&item?, format_args!("[{k}]"))?);
    }
    Ok(values)
}

/// A sequence of `T`.
impl<'py, T> FromPyObject<'_, 'py> for Wrap<Vec<T>>
where
    for<'a> Wrap<T>: FromPyObject<'a, 'py, Error = Refused>,
{
    type Error = Refused;

    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> Result<Self, Refused> {
        elements::<T>(&obj, "a sequence").map(Wrap)
    }
}

/// A `T`, or None.
impl<'py, T> FromPyObject<'_, 'py> for Wrap<Option<T>>
where
    for<'a> Wrap<T>: FromPyObject<'a, 'py, Error = Refused>,
{
    type Error = Refused;

    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> Result<Self, Refused> {
        if obj.is_none() {
            return Ok(Wrap(None));
        }
        obj.extract::<Wrap<T>>().map(|Wrap(v)| Wrap(Some(v)))
    }
}

/// A dict key as Python shows it, formatted only when a message needs it.
struct Repr<'a, 'py>(&'a Bound<'py, PyAny>);

impl fmt::Display for Repr<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.repr() {
            Ok(r) => write!(f, "{r}"),
            Err(_) => f.write_str("?"),
        }
    }
}

/// A dict of `K: V`. A refused key is the dict's fault ("ticks: expected an int, got str"); a
/// refused value is named by its key ("ticks[60]: ...").
impl<'py, K, V> FromPyObject<'_, 'py> for Wrap<BTreeMap<K, V>>
where
    K: Ord,
    for<'a> Wrap<K>: FromPyObject<'a, 'py, Error = Refused>,
    for<'a> Wrap<V>: FromPyObject<'a, 'py, Error = Refused>,
{
    type Error = Refused;

    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> Result<Self, Refused> {
        let Ok(dict) = obj.cast::<PyDict>() else {
            return Err(Refused::expected("a dict", &obj));
        };
        let mut map = BTreeMap::new();
        // A snapshot of the items: reading a key or value may run Python code (an int
        // subclass's methods) that changes the dict, which a live iteration would not survive.
        for kv in dict.items().iter() {
            let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = kv.extract()?;
            let key = part::<K>(&k, "")?;
            let value = part::<V>(&v, format_args!("[{}]", Repr(&k)))?;
            map.insert(key, value);
        }
        Ok(Wrap(map))
    }
}

/// A column of `v2_amount_out_many`: one int broadcast over the others, or a sequence of ints.
pub enum Column {
    Scalar(U256),
    Many(Vec<U256>),
}

impl Column {
    /// How many elements, or None for a scalar.
    pub fn len(&self) -> Option<usize> {
        match self {
            Column::Scalar(_) => None,
            Column::Many(v) => Some(v.len()),
        }
    }

    /// Element `k` (the scalar for every `k`). `k` is below `len()` for a sequence.
    pub fn get(&self, k: usize) -> U256 {
        match self {
            Column::Scalar(v) => *v,
            Column::Many(v) => v[k],
        }
    }
}

impl FromPyObject<'_, '_> for Wrap<Column> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        if obj.is_instance_of::<PyInt>() {
            let Wrap(v) = obj.extract::<Wrap<U256>>()?;
            return Ok(Wrap(Column::Scalar(v)));
        }
        elements::<U256>(&obj, "an int or a sequence of ints").map(|v| Wrap(Column::Many(v)))
    }
}
