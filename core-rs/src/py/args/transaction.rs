//! A transaction dict -> the signing kernel's fields, accepting the forms eth-account accepts.
//! Errors are the kernel's `SignError` naming the field (and, inside the access list, the
//! path: `accessList[0].storageKeys[1]`), so that a batch can put the transaction's index in
//! front.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyList, PyString, PyTuple};
use ruint::aliases::U256;

use super::ints::shown;
use super::values::NOT_UTF8;
use super::{type_name, Refused, Wrap};
use crate::amm::SignedAmount;
use crate::sign::{AccessListItem, Address, SignError, SignResult, TxFields};

fn invalid(field: &str, why: impl std::fmt::Display) -> SignError {
    SignError::InvalidTransaction(format!("{field}: {why}"))
}

/// A str's text; one that is not valid UTF-8 (a lone surrogate) is an error naming `field`.
fn text<'a>(field: &str, s: &'a Bound<'_, PyString>) -> SignResult<&'a str> {
    s.to_str().map_err(|_| invalid(field, NOT_UTF8))
}

/// A `0x`-prefixed hex quantity (leading zeros allowed) below 2**256.
fn parse_hex_quantity(text: &str) -> Result<U256, String> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or_else(|| format!("hex string must be 0x-prefixed, got {text:?}"))?;
    if digits.is_empty() {
        return Err("hex string \"0x\" has no digits".into());
    }
    let trimmed = digits.trim_start_matches('0');
    if trimmed.len() > 64 {
        return Err(format!("{text:?} exceeds 2**256-1"));
    }
    if !trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{text:?} is not valid hex"));
    }
    if trimmed.is_empty() {
        return Ok(U256::ZERO);
    }
    U256::from_str_radix(trimmed, 16).map_err(|e| format!("{text:?}: {e}"))
}

/// A quantity field: a non-negative int or a 0x-hex string, below 2**256.
fn quantity(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<SignResult<U256>> {
    if obj.is_instance_of::<PyBool>() {
        return Ok(Err(invalid(
            field,
            "expected an int or 0x-hex string, got bool",
        )));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(match obj.extract::<Wrap<SignedAmount>>() {
            Ok(Wrap(v)) if !v.negative => Ok(v.magnitude),
            Ok(_) => Err(invalid(
                field,
                format!("must not be negative, got {}", shown(obj)),
            )),
            Err(Refused::Python(e)) => return Err(e),
            Err(Refused::Value { .. }) => Err(invalid(field, "exceeds 2**256-1")),
        });
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(
            text(field, s).and_then(|t| parse_hex_quantity(t).map_err(|e| invalid(field, e)))
        );
    }
    Ok(Err(invalid(
        field,
        format!("expected an int or 0x-hex string, got {}", type_name(obj)),
    )))
}

/// Bytes from bytes/bytearray, or a hex string with or without 0x (odd length is left-padded,
/// as eth-account's to_bytes does).
fn byte_string(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<SignResult<Vec<u8>>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Ok(b.as_bytes().to_vec()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Ok(b.to_vec()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let text = match text(field, s) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .unwrap_or(text);
        let padded;
        let digits = if digits.len() % 2 == 1 {
            padded = format!("0{digits}");
            padded.as_str()
        } else {
            digits
        };
        return Ok(
            hex::decode(digits).map_err(|_| invalid(field, format!("{text:?} is not valid hex")))
        );
    }
    Ok(Err(invalid(
        field,
        format!("expected bytes or a hex string, got {}", type_name(obj)),
    )))
}

/// An address: a 0x-hex string (EIP-55 checked when mixed case) or 20 raw bytes.
pub fn address(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<SignResult<Address>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(text(field, s).and_then(|t| Address::parse(field, t)));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(match <[u8; 20]>::try_from(b.as_bytes()) {
            Ok(a) => Ok(Address(a)),
            Err(_) => Err(invalid(
                field,
                format!("address must be 20 bytes, got {}", b.as_bytes().len()),
            )),
        });
    }
    Ok(Err(invalid(
        field,
        format!(
            "expected an address string or 20 bytes, got {}",
            type_name(obj)
        ),
    )))
}

/// `to`: None, "" or b"" create a contract.
fn recipient(obj: &Bound<'_, PyAny>) -> PyResult<SignResult<Option<Address>>> {
    if obj.is_none() {
        return Ok(Ok(None));
    }
    let empty = match (obj.cast::<PyString>(), obj.cast::<PyBytes>()) {
        (Ok(s), _) => s.len()? == 0,
        (_, Ok(b)) => b.as_bytes().is_empty(),
        _ => false,
    };
    if empty {
        return Ok(Ok(None));
    }
    Ok(address("to", obj)?.map(Some))
}

fn storage_key(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<SignResult<[u8; 32]>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(<[u8; 32]>::try_from(b.as_bytes()).map_err(|_| {
            invalid(
                field,
                format!("storage key must be 32 bytes, got {}", b.as_bytes().len()),
            )
        }));
    }
    Ok(quantity(field, obj)?.map(|v| v.to_be_bytes()))
}

macro_rules! tri {
    ($e:expr) => {
        match $e? {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        }
    };
}

fn access_list(obj: &Bound<'_, PyAny>) -> PyResult<SignResult<Vec<AccessListItem>>> {
    if obj.is_instance_of::<PyString>()
        || obj.is_instance_of::<PyBytes>()
        || obj.is_instance_of::<PyDict>()
    {
        return Ok(Err(invalid(
            "accessList",
            "expected a list of {address, storageKeys} entries",
        )));
    }
    let Ok(iter) = obj.try_iter() else {
        return Ok(Err(invalid(
            "accessList",
            format!("expected a list, got {}", type_name(obj)),
        )));
    };
    let mut items = Vec::new();
    for (i, entry) in iter.enumerate() {
        let entry = entry?;
        let path = format!("accessList[{i}]");
        let (addr, keys) = if let Ok(d) = entry.cast::<PyDict>() {
            for k in d.keys().iter() {
                let name: String = k.str()?.to_string();
                if name != "address" && name != "storageKeys" {
                    return Ok(Err(invalid(&path, format!("unknown field {name:?}"))));
                }
            }
            let (Some(a), Some(k)) = (d.get_item("address")?, d.get_item("storageKeys")?) else {
                return Ok(Err(invalid(
                    &path,
                    "needs both \"address\" and \"storageKeys\"",
                )));
            };
            (a, k)
        } else if entry.is_instance_of::<PyTuple>() || entry.is_instance_of::<PyList>() {
            if entry.len()? != 2 {
                return Ok(Err(invalid(
                    &path,
                    "a pair (address, storageKeys) has 2 elements",
                )));
            }
            (entry.get_item(0)?, entry.get_item(1)?)
        } else {
            return Ok(Err(invalid(
                &path,
                format!(
                    "expected a dict with address and storageKeys, got {}",
                    type_name(&entry)
                ),
            )));
        };
        let address = tri!(address(&format!("{path}.address"), &addr));
        if keys.is_instance_of::<PyString>() || keys.is_instance_of::<PyBytes>() {
            return Ok(Err(invalid(
                &format!("{path}.storageKeys"),
                "expected a list of storage keys",
            )));
        }
        let Ok(key_iter) = keys.try_iter() else {
            return Ok(Err(invalid(
                &format!("{path}.storageKeys"),
                "expected a list of storage keys",
            )));
        };
        let mut storage_keys = Vec::new();
        for (j, key) in key_iter.enumerate() {
            storage_keys.push(tri!(storage_key(
                &format!("{path}.storageKeys[{j}]"),
                &key?
            )));
        }
        items.push(AccessListItem {
            address,
            storage_keys,
        });
    }
    Ok(Ok(items))
}

/// A transaction dict in eth-account's field names. Unknown fields are rejected.
pub fn tx_fields(obj: &Bound<'_, PyAny>) -> PyResult<SignResult<TxFields>> {
    let Ok(dict) = obj.cast::<PyDict>() else {
        return Ok(Err(SignError::InvalidTransaction(format!(
            "a transaction is a dict of fields, got {}",
            type_name(obj)
        ))));
    };
    let mut f = TxFields::default();
    // A snapshot of the items: reading a value may run Python code (an int subclass's
    // methods) that changes the dict, which a live iteration would not survive.
    for item in dict.items().iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let Ok(name) = key.cast::<PyString>() else {
            return Ok(Err(SignError::InvalidTransaction(format!(
                "field names are strings, got {}",
                type_name(&key)
            ))));
        };
        let name = match text("field names", name) {
            Ok(n) => n,
            Err(e) => return Ok(Err(e)),
        };
        match name {
            "type" => f.tx_type = Some(tri!(quantity("type", &value))),
            "chainId" if value.is_none() => f.chain_id = None,
            "chainId" => f.chain_id = Some(tri!(quantity("chainId", &value))),
            "nonce" => f.nonce = Some(tri!(quantity("nonce", &value))),
            "gas" => f.gas = Some(tri!(quantity("gas", &value))),
            "gasPrice" => f.gas_price = Some(tri!(quantity("gasPrice", &value))),
            "maxFeePerGas" => f.max_fee_per_gas = Some(tri!(quantity("maxFeePerGas", &value))),
            "maxPriorityFeePerGas" => {
                f.max_priority_fee_per_gas = Some(tri!(quantity("maxPriorityFeePerGas", &value)))
            }
            "to" => f.to = tri!(recipient(&value)),
            "value" => f.value = Some(tri!(quantity("value", &value))),
            "data" => f.data = Some(tri!(byte_string("data", &value))),
            "accessList" => f.access_list = Some(tri!(access_list(&value))),
            "from" => f.from = Some(tri!(address("from", &value))),
            "maxFeePerBlobGas" | "blobVersionedHashes" => {
                return Ok(Err(SignError::UnsupportedTransactionType(format!(
                    "3 (EIP-4844 blob; field {name:?})"
                ))))
            }
            "authorizationList" => {
                return Ok(Err(SignError::UnsupportedTransactionType(
                    "4 (EIP-7702 set-code; field \"authorizationList\")".into(),
                )))
            }
            other => {
                return Ok(Err(SignError::InvalidTransaction(format!(
                "{other}: unknown transaction field (known: type, chainId, nonce, gas, gasPrice, \
                     maxFeePerGas, maxPriorityFeePerGas, to, value, data, accessList, from)"
            ))))
            }
        }
    }
    Ok(Ok(f))
}
