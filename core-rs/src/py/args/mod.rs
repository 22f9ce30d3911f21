//! Python arguments -> kernel inputs: every conversion of the binding layer, in one place.
//!
//! Each accepted form is a `FromPyObject` implementation on [`Wrap<T>`] (as polars does), so
//! a converter is written once and composes with the others (`Vec<T>`, `Option<T>`, dict
//! keys and values). A converter cannot know which argument it reads (pyo3 does not tell
//! `FromPyObject`), so it answers with a [`Refused`]: why the value is wrong and where inside
//! it (`[3]`, `[60]`, `.token_in`). A binding function takes its arguments as
//! `&Bound<PyAny>` and converts them with [`read_args!`] through its area's [`Area`], which
//! names the argument and raises the area's exception (`InvalidAmmInputError`,
//! `InvalidRouteInputError`, ...). A typed parameter would not do: pyo3 converts it before the
//! function runs and reports a failure as a bare `TypeError("argument 'x': ...")`, outside the
//! zippifi family.
//!
//! - `ints`: Python ints (U256 on the hot path, signed amounts, primitive ints, V2 fees, coin
//!   indices);
//! - `values`: flags, floats, addresses, order-book sides, route queries, gas-model overrides;
//! - `collections`: sequences, dicts, optional values, the AMM's int-or-sequence column;
//! - `buffers`: float64 buffers (order-book levels, quantities);
//! - `bytes`: byte strings, keys and messages of the signing kernel;
//! - `transaction`, `typed_data`: the signing kernel's transaction dicts and EIP-712 values,
//!   whose errors are the kernel's `SignError` (a batch names the transaction in front).

mod buffers;
mod bytes;
mod collections;
mod ints;
pub mod transaction;
pub mod typed_data;
mod values;

use std::fmt::Display;

use pyo3::prelude::*;

use super::errors::{
    InvalidAmmInputError, InvalidInputError, InvalidKeyError, InvalidOrderBookError,
    InvalidRawTransactionError, InvalidRouteInputError, InvalidSignatureError,
    InvalidTransactionError,
};

pub use buffers::{Floats, Levels};
pub use bytes::{private_key, HexBytes, MessageBytes};
pub use collections::Column;
pub use ints::{CoinIndex, FeeBps};
pub use values::{GasOverrides, TokenQuery};

/// A kernel input read from Python: `FromPyObject` is implemented for `Wrap<T>` for each `T`
/// the binding accepts, with [`Refused`] as its error. Read arguments with [`read_args!`].
pub struct Wrap<T>(pub T);

/// Why a converter refused a value. The argument's name is not known here; [`Area::arg`]
/// puts it in front.
#[derive(Debug)]
pub enum Refused {
    /// The value is malformed: `at` locates the offending part inside it (empty for the whole
    /// value, else like `[3]`, `[60]` or `.token_in`), `why` says what is wrong.
    Value { at: String, why: String },
    /// Python itself failed while the value was read (an `__iter__` that raised, a
    /// MemoryError): passed on as it is.
    Python(PyErr),
}

impl Refused {
    pub fn new(why: impl Into<String>) -> Refused {
        Refused::Value {
            at: String::new(),
            why: why.into(),
        }
    }

    /// "expected {what}, got {type of obj}".
    pub fn expected(what: &str, obj: &Bound<'_, PyAny>) -> Refused {
        Refused::new(format!("expected {what}, got {}", type_name(obj)))
    }

    /// The same refusal, seen from the container: `part` is where the refused value sits in
    /// it (`[3]`, `.token_in`).
    pub fn within(self, part: impl Display) -> Refused {
        match self {
            Refused::Value { at, why } => Refused::Value {
                at: format!("{part}{at}"),
                why,
            },
            python => python,
        }
    }

    /// The message for argument `name`: "name[3]: why".
    pub fn describe(self, name: &str) -> Result<String, PyErr> {
        match self {
            Refused::Value { at, why } => Ok(format!("{name}{at}: {why}")),
            Refused::Python(e) => Err(e),
        }
    }
}

impl From<PyErr> for Refused {
    fn from(e: PyErr) -> Refused {
        Refused::Python(e)
    }
}

/// `FromPyObject` wants an error Python can raise. Only a `Wrap` used directly as a typed
/// parameter (which the binding does not do) gets here; it raises the family's base class
/// rather than a bare TypeError.
impl From<Refused> for PyErr {
    fn from(e: Refused) -> PyErr {
        match e.describe("argument") {
            Ok(msg) => InvalidInputError::new_err(msg),
            Err(python) => python,
        }
    }
}

/// A part of a container value as a `T`; a refusal is located at `at` (`[3]`, `.token_in`),
/// which is formatted only then (pass `format_args!` for an index).
pub(super) fn part<'py, T>(obj: &Bound<'py, PyAny>, at: impl Display) -> Result<T, Refused>
where
    for<'a> Wrap<T>: FromPyObject<'a, 'py, Error = Refused>,
{
    match obj.extract::<Wrap<T>>() {
        Ok(Wrap(v)) => Ok(v),
        Err(e) => Err(e.within(at)),
    }
}

/// The name of a value's type, for messages ("got NoneType").
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Reads a binding function's arguments through an [`Area`]: each parameter is shadowed by its
/// converted value, and named in errors by its own identifier, so that a message cannot name
/// another argument than the one at fault. `name: T` reads a required argument (a
/// `&Bound<PyAny>` parameter); `name: Option<T>` an optional one (`Option<&Bound<PyAny>>`,
/// None when left out or None).
///
/// `read_args!(AMM; tick: i32, ticks: BTreeMap<i32, i128>, limit: Option<U256>);`
macro_rules! read_args {
    ($area:expr;) => {};
    ($area:expr; $name:ident: Option<$t:ty> $(, $($rest:tt)*)?) => {
        let $name = $area.opt::<$t>($name, stringify!($name))?;
        $crate::py::args::read_args!($area; $($($rest)*)?);
    };
    ($area:expr; $name:ident: $t:ty $(, $($rest:tt)*)?) => {
        let $name = $area.arg::<$t>($name, stringify!($name))?;
        $crate::py::args::read_args!($area; $($($rest)*)?);
    };
}
pub(crate) use read_args;

/// A binding area's input exception. Every argument of the area is read through it, so every
/// argument error of the area is raised as that exception, with a message naming the argument.
#[derive(Clone, Copy)]
pub struct Area(fn(String) -> PyErr);

pub const AMM: Area = Area(InvalidAmmInputError::new_err);
pub const ORDER_BOOK: Area = Area(InvalidOrderBookError::new_err);
pub const ROUTE: Area = Area(InvalidRouteInputError::new_err);
pub const TRANSACTION: Area = Area(InvalidTransactionError::new_err);
pub const KEY: Area = Area(InvalidKeyError::new_err);
pub const SIGNATURE: Area = Area(InvalidSignatureError::new_err);
pub const RAW_TRANSACTION: Area = Area(InvalidRawTransactionError::new_err);
/// Inputs of no kernel in particular (the bytes `keccak256` hashes).
pub const INPUT: Area = Area(InvalidInputError::new_err);

impl Area {
    /// `obj` as a `T`, or this area's exception naming `name` (and the part of `obj` at fault).
    pub fn arg<'py, T>(self, obj: &Bound<'py, PyAny>, name: &str) -> PyResult<T>
    where
        for<'a> Wrap<T>: FromPyObject<'a, 'py, Error = Refused>,
    {
        match obj.extract::<Wrap<T>>() {
            Ok(Wrap(v)) => Ok(v),
            Err(e) => Err(self.refused(name, e)),
        }
    }

    /// An optional argument: `None` when left out (pyo3 hands Python's None over as left out).
    pub fn opt<'py, T>(self, obj: Option<&Bound<'py, PyAny>>, name: &str) -> PyResult<Option<T>>
    where
        for<'a> Wrap<T>: FromPyObject<'a, 'py, Error = Refused>,
    {
        obj.map(|o| self.arg::<T>(o, name)).transpose()
    }

    /// This area's exception for argument `name`, for a check made after conversion (a
    /// range, a length).
    pub fn error(self, name: &str, why: impl Display) -> PyErr {
        (self.0)(format!("{name}: {why}"))
    }

    /// This area's exception for a converter's refusal of argument `name`.
    pub fn refused(self, name: &str, e: Refused) -> PyErr {
        match e.describe(name) {
            Ok(msg) => (self.0)(msg),
            Err(python) => python,
        }
    }
}
