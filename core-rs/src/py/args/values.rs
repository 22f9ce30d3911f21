//! Single values: flags, floats, order-book sides, addresses, and the route queries' own
//! compound values (a `(token_in, token_out, amount_in)` query, gas-model overrides).

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyString, PyTuple};
use ruint::aliases::U256;

use super::ints::{is_int, shown};
use super::{part, type_name, Refused, Wrap};
use crate::amm::clob::Side;
use crate::route::{Addr, GasModel};

/// Why a str's text is refused: it is not valid UTF-8.
pub(super) const NOT_UTF8: &str = "is not valid UTF-8 (it holds a lone surrogate)";

/// A str's text; a str that is not valid UTF-8 (a lone surrogate) is refused.
pub(super) fn text<'a>(s: &'a Bound<'_, PyString>) -> Result<&'a str, Refused> {
    s.to_str().map_err(|_| Refused::new(NOT_UTF8))
}

/// True or False (numpy's bool too, as pyo3 reads it).
impl FromPyObject<'_, '_> for Wrap<bool> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        if let Ok(b) = obj.cast::<PyBool>() {
            return Ok(Wrap(b.is_true()));
        }
        obj.extract::<bool>()
            .map(Wrap)
            .map_err(|_| Refused::expected("True or False", &obj))
    }
}

/// A real number: a float or an int (anything Python's float() takes without parsing text),
/// never a bool.
impl FromPyObject<'_, '_> for Wrap<f64> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        if obj.is_instance_of::<PyBool>() {
            return Err(Refused::expected("a number", &obj));
        }
        match obj.extract::<f64>() {
            Ok(v) => Ok(Wrap(v)),
            Err(_) if is_int(&obj) => Err(Refused::new(format!(
                "{} is too large for a float",
                shown(&obj)
            ))),
            Err(_) => Err(Refused::expected("a number", &obj)),
        }
    }
}

/// "buy" (take the asks) or "sell" (take the bids).
impl FromPyObject<'_, '_> for Wrap<Side> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        let Ok(s) = obj.cast::<PyString>() else {
            return Err(Refused::expected("\"buy\" or \"sell\"", &obj));
        };
        match text(&s)? {
            "buy" => Ok(Wrap(Side::Buy)),
            "sell" => Ok(Wrap(Side::Sell)),
            other => Err(Refused::new(format!(
                "expected \"buy\" or \"sell\", got {other:?}"
            ))),
        }
    }
}

/// An address as 0x-prefixed hex in any case (no checksum check), or 20 raw bytes.
impl FromPyObject<'_, '_> for Wrap<Addr> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        if let Ok(b) = obj.cast::<PyBytes>() {
            let raw = b.as_bytes();
            return raw
                .try_into()
                .map(Wrap)
                .map_err(|_| Refused::new(format!("expected 20 bytes, got {}", raw.len())));
        }
        let Ok(s) = obj.cast::<PyString>() else {
            return Err(Refused::expected(
                "an address (0x-prefixed hex str or 20 bytes)",
                &obj,
            ));
        };
        let s = text(&s)?;
        let Some(digits) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) else {
            return Err(Refused::new(format!("{s:?} is not 0x-prefixed")));
        };
        if digits.len() != 40 {
            return Err(Refused::new(format!(
                "{s:?} has {} hex digits, an address has 40",
                digits.len()
            )));
        }
        let mut out = [0u8; 20];
        hex::decode_to_slice(digits, &mut out)
            .map_err(|_| Refused::new(format!("{s:?} is not hexadecimal")))?;
        Ok(Wrap(out))
    }
}

/// One quote of `best_routes`: a tuple `(token_in, token_out, amount_in)`, the amount
/// positive.
pub struct TokenQuery {
    pub token_in: Addr,
    pub token_out: Addr,
    pub amount_in: U256,
}

impl FromPyObject<'_, '_> for Wrap<TokenQuery> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        let Ok(t) = obj.cast::<PyTuple>() else {
            return Err(Refused::new(
                "expected a tuple (token_in, token_out, amount_in)",
            ));
        };
        if t.len() != 3 {
            return Err(Refused::new(format!("expected 3 items, got {}", t.len())));
        }
        let token_in = part::<Addr>(&t.get_item(0)?, ".token_in")?;
        let token_out = part::<Addr>(&t.get_item(1)?, ".token_out")?;
        let amount_in = part::<U256>(&t.get_item(2)?, ".amount_in")?;
        if amount_in.is_zero() {
            return Err(Refused::new("must be positive").within(".amount_in"));
        }
        Ok(Wrap(TokenQuery {
            token_in,
            token_out,
            amount_in,
        }))
    }
}

/// A gas-model dict: any of the keys base, v2_hop, v3_hop, v3_tick, stable_hop, each a
/// number of gas units; what it leaves out comes from the model it is applied to.
#[derive(Default)]
pub struct GasOverrides {
    base: Option<u64>,
    v2_hop: Option<u64>,
    v3_hop: Option<u64>,
    v3_tick: Option<u64>,
    stable_hop: Option<u64>,
}

impl GasOverrides {
    pub fn apply(&self, model: GasModel) -> GasModel {
        GasModel {
            base: self.base.unwrap_or(model.base),
            v2_hop: self.v2_hop.unwrap_or(model.v2_hop),
            v3_hop: self.v3_hop.unwrap_or(model.v3_hop),
            v3_tick: self.v3_tick.unwrap_or(model.v3_tick),
            stable_hop: self.stable_hop.unwrap_or(model.stable_hop),
        }
    }
}

impl FromPyObject<'_, '_> for Wrap<GasOverrides> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        let Ok(dict) = obj.cast::<PyDict>() else {
            return Err(Refused::new(
                "expected a dict with keys base, v2_hop, v3_hop, v3_tick, stable_hop",
            ));
        };
        let mut o = GasOverrides::default();
        for (k, v) in dict.iter() {
            let Ok(key) = k.cast::<PyString>() else {
                return Err(Refused::new(format!("keys are str, got {}", type_name(&k))));
            };
            let key = text(key)?;
            let slot = match key {
                "base" => &mut o.base,
                "v2_hop" => &mut o.v2_hop,
                "v3_hop" => &mut o.v3_hop,
                "v3_tick" => &mut o.v3_tick,
                "stable_hop" => &mut o.stable_hop,
                other => {
                    return Err(Refused::new(format!(
                        "unknown key {other:?} (known: base, v2_hop, v3_hop, v3_tick, stable_hop)"
                    )))
                }
            };
            *slot = Some(part::<u64>(&v, format_args!("[{key:?}]"))?);
        }
        Ok(Wrap(o))
    }
}
