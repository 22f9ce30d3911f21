//! Byte strings of the signing kernel: data to hash, raw transactions and signatures (bytes or
//! hex), messages (bytes, or str as UTF-8 text), private keys.

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};
use zeroize::Zeroize;

use super::values::text;
use super::{Refused, Wrap};
use crate::sign::{PrivateKey, SignError, SignResult};

/// bytes, read in place.
impl<'py> FromPyObject<'_, 'py> for Wrap<Bound<'py, PyBytes>> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> Result<Self, Refused> {
        match obj.cast::<PyBytes>() {
            Ok(b) => Ok(Wrap(b.to_owned())),
            Err(_) => Err(Refused::expected("bytes", &obj)),
        }
    }
}

/// Bytes given as bytes, or as a hex string with or without 0x.
pub struct HexBytes(pub Vec<u8>);

impl FromPyObject<'_, '_> for Wrap<HexBytes> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        if let Ok(b) = obj.cast::<PyBytes>() {
            return Ok(Wrap(HexBytes(b.as_bytes().to_vec())));
        }
        let Ok(s) = obj.cast::<PyString>() else {
            return Err(Refused::expected("bytes or a hex string", &obj));
        };
        let s = text(&s)?;
        let digits = s.strip_prefix("0x").unwrap_or(s);
        hex::decode(digits)
            .map(|b| Wrap(HexBytes(b)))
            .map_err(|_| Refused::new(format!("{s:?} is not valid hex")))
    }
}

/// A message as eth-account's encode_defunct takes it: bytes as they are, str as UTF-8 text.
pub struct MessageBytes(pub Vec<u8>);

impl FromPyObject<'_, '_> for Wrap<MessageBytes> {
    type Error = Refused;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> Result<Self, Refused> {
        if let Ok(b) = obj.cast::<PyBytes>() {
            return Ok(Wrap(MessageBytes(b.as_bytes().to_vec())));
        }
        if let Ok(b) = obj.cast::<PyByteArray>() {
            return Ok(Wrap(MessageBytes(b.to_vec())));
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return Ok(Wrap(MessageBytes(text(&s)?.as_bytes().to_vec())));
        }
        Err(Refused::expected("bytes or str", &obj))
    }
}

/// A private key from 32 bytes (bytes/bytearray) or 64 hex digits with or without 0x. Its
/// errors are the kernel's (`InvalidKey`, which never carries key material), so that a batch
/// can name the key's index.
pub fn private_key(obj: &Bound<'_, PyAny>) -> SignResult<PrivateKey> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return PrivateKey::from_bytes(b.as_bytes());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        let mut copy = b.to_vec();
        let key = PrivateKey::from_bytes(&copy);
        copy.zeroize();
        return key;
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return match s.to_str() {
            Ok(hex) => PrivateKey::from_hex(hex),
            Err(_) => Err(SignError::InvalidKey(
                "a hex private key must contain only hex digits",
            )),
        };
    }
    Err(SignError::InvalidKey(
        "a private key is 32 bytes or a hex string",
    ))
}
