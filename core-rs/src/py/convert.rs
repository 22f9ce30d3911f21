//! Python values -> kernel inputs, accepting the forms eth-account accepts. Every error names
//! the field (and, for nested values, the path).

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyInt, PyList, PyString, PyTuple};
use ruint::aliases::U256;
use zeroize::Zeroize;

use crate::sign::eip712::TypedValue;
use crate::sign::{AccessListItem, Address, PrivateKey, SignError, SignResult, TxFields};

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn invalid(field: &str, why: impl std::fmt::Display) -> SignError {
    SignError::InvalidTransaction(format!("{field}: {why}"))
}

/// A `0x`-prefixed hex quantity (leading zeros allowed) below 2**256.
pub fn parse_hex_quantity(text: &str) -> Result<U256, String> {
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

/// A non-negative Python int below 2**256, in raw form (sign, magnitude), without the field check.
fn int_magnitude(obj: &Bound<'_, PyAny>) -> PyResult<Option<(bool, U256)>> {
    if let Ok(small) = obj.extract::<u64>() {
        return Ok(Some((false, U256::from(small))));
    }
    let negative = obj.lt(0)?;
    let magnitude = if negative {
        obj.call_method0("__neg__")?
    } else {
        obj.clone()
    };
    if magnitude.call_method0("bit_length")?.extract::<u32>()? > 256 {
        return Ok(None);
    }
    let bytes = magnitude.call_method1("to_bytes", (32, "big"))?;
    let bytes = bytes.cast::<PyBytes>()?;
    Ok(Some((negative, U256::from_be_slice(bytes.as_bytes()))))
}

/// A quantity field: a non-negative int or a 0x-hex string, below 2**256.
pub fn quantity(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<SignResult<U256>> {
    if obj.is_instance_of::<PyBool>() {
        return Ok(Err(invalid(
            field,
            "expected an int or 0x-hex string, got bool",
        )));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(match int_magnitude(obj)? {
            Some((false, v)) => Ok(v),
            Some((true, _)) => Err(invalid(field, format!("must not be negative, got {obj}"))),
            None => Err(invalid(field, "exceeds 2**256-1")),
        });
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(parse_hex_quantity(s.to_str()?).map_err(|e| invalid(field, e)));
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
        let text = s.to_str()?;
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
fn address(field: &str, obj: &Bound<'_, PyAny>) -> PyResult<SignResult<Address>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Address::parse(field, s.to_str()?));
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
        (Ok(s), _) => s.to_str()?.is_empty(),
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
            for k in d.keys() {
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
    for (key, value) in dict.iter() {
        let Ok(name) = key.cast::<PyString>() else {
            return Ok(Err(SignError::InvalidTransaction(format!(
                "field names are strings, got {}",
                type_name(&key)
            ))));
        };
        let name = name.to_str()?;
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

/// A private key from 32 bytes (bytes/bytearray) or 64 hex digits with or without 0x.
pub fn private_key(obj: &Bound<'_, PyAny>) -> PyResult<SignResult<PrivateKey>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(PrivateKey::from_bytes(b.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        let mut copy = b.to_vec();
        let key = PrivateKey::from_bytes(&copy);
        copy.zeroize();
        return Ok(key);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(PrivateKey::from_hex(s.to_str()?));
    }
    Ok(Err(SignError::InvalidKey(
        "a private key is 32 bytes or a hex string",
    )))
}

/// A message as eth-account's encode_defunct takes it: bytes as primitive, str as UTF-8 text.
pub fn message_bytes(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_str()?.as_bytes().to_vec());
    }
    Err(super::errors::InvalidSignatureError::new_err(format!(
        "message: expected bytes or str, got {}",
        type_name(obj)
    )))
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
        return match int_magnitude(obj)? {
            Some((negative, magnitude)) => Ok(Ok(TypedValue::Int {
                negative,
                magnitude,
            })),
            None => err("integer does not fit in 256 bits".into()),
        };
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Ok(TypedValue::Str(s.to_str()?.to_owned())));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Ok(TypedValue::Bytes(b.as_bytes().to_vec())));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Ok(TypedValue::Bytes(b.to_vec())));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut entries = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            let Ok(key) = k.cast::<PyString>() else {
                return err(format!("dict keys must be str, got {}", type_name(&k)));
            };
            let key = key.to_str()?.to_owned();
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
