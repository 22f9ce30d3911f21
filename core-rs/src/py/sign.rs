//! Python classes and functions of the signing kernel. Parsing happens with the GIL held (it
//! reads Python objects); all hashing and signing runs with the GIL released.

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyIterator, PyString};

use super::args::transaction::{address as address_arg, tx_fields};
use super::args::typed_data::typed_value;
use super::args::{self, read_args, type_name, HexBytes, MessageBytes};
use super::args::{Area, INPUT, KEY, RAW_TRANSACTION, SIGNATURE, TRANSACTION};
use super::errors::{batch_err, no_panic, sign_err};
use super::num::u256_to_py;
use crate::sign::{self as kernel, BatchError, SignError, SignedTx, TxRequest};

fn parse_tx(obj: &Bound<'_, PyAny>) -> PyResult<Result<TxRequest, SignError>> {
    Ok(tx_fields(obj)?.and_then(TxRequest::new))
}

/// The items of a batch argument (`txs`, `keys`), or `area`'s error naming it.
fn batch<'py>(obj: &Bound<'py, PyAny>, name: &str, area: Area) -> PyResult<Bound<'py, PyIterator>> {
    obj.try_iter().map_err(|_| {
        let why = format!("expected a sequence, got {}", type_name(obj));
        area.error(name, why)
    })
}

fn parse_txs(txs: &Bound<'_, PyAny>) -> PyResult<Vec<TxRequest>> {
    if txs.is_instance_of::<PyDict>() {
        return Err(TRANSACTION.error(
            "txs",
            "expected a sequence of transaction dicts, got a single dict (use sign_transaction)",
        ));
    }
    let mut out = Vec::with_capacity(txs.len().unwrap_or(0).min(1 << 12));
    for (index, tx) in batch(txs, "txs", TRANSACTION)?.enumerate() {
        match parse_tx(&tx?)? {
            Ok(t) => out.push(t),
            Err(error) => return Err(batch_err(BatchError { index, error })),
        }
    }
    Ok(out)
}

/// A signed transaction, as eth-account's `SignedTransaction`.
#[pyclass(module = "zippifi._core", name = "SignedTransaction", frozen)]
pub struct PySignedTransaction {
    inner: SignedTx,
}

#[pymethods]
impl PySignedTransaction {
    /// The bytes to send with eth_sendRawTransaction.
    #[getter]
    fn raw_transaction<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.raw)
    }

    /// keccak256 of the raw transaction: the transaction hash.
    #[getter]
    fn hash<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.hash)
    }

    #[getter]
    fn r<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.r)
    }

    #[getter]
    fn s<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.s)
    }

    #[getter]
    fn v<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.inner.v)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PySignedTransaction>()
            .map(|o| o.get().inner == self.inner)
            .unwrap_or(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "SignedTransaction(hash=0x{}, v={})",
            hex::encode(self.inner.hash),
            self.inner.v
        )
    }
}

/// An EIP-191 or EIP-712 signature, as eth-account's `SignedMessage`.
#[pyclass(module = "zippifi._core", name = "SignedMessage", frozen)]
pub struct PySignedMessage {
    message_hash: [u8; 32],
    sig: kernel::Signature,
}

#[pymethods]
impl PySignedMessage {
    /// The 32-byte digest that was signed.
    #[getter]
    fn message_hash<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.message_hash)
    }

    /// r || s || v, 65 bytes, v = 27 or 28.
    #[getter]
    fn signature<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.sig.to_rsv65())
    }

    #[getter]
    fn r<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.sig.r_uint())
    }

    #[getter]
    fn s<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        u256_to_py(py, &self.sig.s_uint())
    }

    #[getter]
    fn v(&self) -> u8 {
        27 + self.sig.y_parity
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PySignedMessage>()
            .map(|o| o.get().message_hash == self.message_hash && o.get().sig == self.sig)
            .unwrap_or(false)
    }

    fn __repr__(&self) -> String {
        format!(
            "SignedMessage(message_hash=0x{}, v={})",
            hex::encode(self.message_hash),
            self.v()
        )
    }
}

/// An account that signs. The private key lives only in Rust memory, erased on drop.
#[pyclass(module = "zippifi._core", name = "Signer", subclass, frozen)]
pub struct PySigner {
    inner: kernel::Signer,
}

#[pymethods]
impl PySigner {
    #[new]
    #[pyo3(signature = (private_key))]
    fn new(private_key: &Bound<'_, PyAny>) -> PyResult<Self> {
        let key = args::private_key(private_key).map_err(sign_err)?;
        let py = private_key.py();
        Ok(PySigner {
            inner: py.detach(|| kernel::Signer::new(key)),
        })
    }

    /// The EIP-55 checksummed address.
    #[getter]
    fn address(&self) -> String {
        self.inner.address().to_checksum()
    }

    /// Sign one transaction dict (eth-account field names).
    fn sign_transaction(
        &self,
        py: Python<'_>,
        tx: &Bound<'_, PyAny>,
    ) -> PyResult<PySignedTransaction> {
        let tx = parse_tx(tx)?.map_err(sign_err)?;
        no_panic(|| {
            let signed = py
                .detach(|| self.inner.sign_transaction(&tx))
                .map_err(sign_err)?;
            Ok(PySignedTransaction { inner: signed })
        })
    }

    /// Sign many transaction dicts in one call across all cores, results in order. A bad
    /// transaction raises naming its index, and then nothing is signed.
    fn sign_transactions(
        &self,
        py: Python<'_>,
        txs: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<PySignedTransaction>> {
        let txs = parse_txs(txs)?;
        no_panic(|| {
            let signed = py
                .detach(|| self.inner.sign_transactions(&txs))
                .map_err(batch_err)?;
            Ok(signed
                .into_iter()
                .map(|inner| PySignedTransaction { inner })
                .collect())
        })
    }

    /// EIP-191 personal message: bytes are signed as they are, str as its UTF-8 text.
    fn sign_message(
        &self,
        py: Python<'_>,
        message: &Bound<'_, PyAny>,
    ) -> PyResult<PySignedMessage> {
        read_args!(SIGNATURE; message: MessageBytes);
        no_panic(|| {
            let (message_hash, sig) = py.detach(|| self.inner.sign_message(&message.0));
            Ok(PySignedMessage { message_hash, sig })
        })
    }

    /// EIP-712: a full message {"types", "primaryType", "domain", "message"}.
    fn sign_typed_data(
        &self,
        py: Python<'_>,
        full_message: &Bound<'_, PyAny>,
    ) -> PyResult<PySignedMessage> {
        let value = typed_value(full_message, "", 0)?.map_err(sign_err)?;
        no_panic(|| {
            let (message_hash, sig) = py
                .detach(|| self.inner.sign_typed_data(&value))
                .map_err(sign_err)?;
            Ok(PySignedMessage { message_hash, sig })
        })
    }

    fn __repr__(&self) -> String {
        format!("Signer(address={})", self.address())
    }
}

/// Sign `txs[i]` with `keys[i]` in one GIL-free parallel call.
#[pyfunction]
#[pyo3(signature = (keys, txs))]
pub fn sign_transactions(
    py: Python<'_>,
    keys: &Bound<'_, PyAny>,
    txs: &Bound<'_, PyAny>,
) -> PyResult<Vec<PySignedTransaction>> {
    let txs = parse_txs(txs)?;
    if keys.is_instance_of::<PyString>() || keys.is_instance_of::<PyBytes>() {
        return Err(KEY.error(
            "keys",
            "expected a sequence of keys, one per transaction, got a single key",
        ));
    }
    let mut parsed = Vec::with_capacity(txs.len());
    for (index, key) in batch(keys, "keys", KEY)?.enumerate() {
        match args::private_key(&key?) {
            Ok(k) => parsed.push(k),
            Err(error) => return Err(batch_err(BatchError { index, error })),
        }
    }
    no_panic(|| {
        let signed = py
            .detach(|| kernel::sign_with_keys(&parsed, &txs))
            .map_err(batch_err)?;
        Ok(signed
            .into_iter()
            .map(|inner| PySignedTransaction { inner })
            .collect())
    })
}

/// The checksummed sender of a signed raw transaction (bytes or hex).
#[pyfunction]
#[pyo3(signature = (raw_transaction))]
pub fn recover_transaction(py: Python<'_>, raw_transaction: &Bound<'_, PyAny>) -> PyResult<String> {
    read_args!(RAW_TRANSACTION; raw_transaction: HexBytes);
    let raw = raw_transaction.0;
    no_panic(|| {
        let addr = py
            .detach(|| kernel::recover_sender(&raw))
            .map_err(sign_err)?;
        Ok(addr.to_checksum())
    })
}

/// The checksummed signer of an EIP-191 personal message (bytes, or str as UTF-8 text).
#[pyfunction]
#[pyo3(signature = (message, signature))]
pub fn recover_message(
    py: Python<'_>,
    message: &Bound<'_, PyAny>,
    signature: &Bound<'_, PyAny>,
) -> PyResult<String> {
    read_args!(SIGNATURE; message: MessageBytes, signature: HexBytes);
    let (bytes, sig) = (message.0, parse_rsv65(&signature.0).map_err(sign_err)?);
    no_panic(|| {
        let addr = py
            .detach(|| sig.recover(&kernel::personal_message_hash(&bytes)))
            .map_err(sign_err)?;
        Ok(addr.to_checksum())
    })
}

fn parse_rsv65(sig: &[u8]) -> Result<kernel::Signature, SignError> {
    let bytes: &[u8; 65] = sig.try_into().map_err(|_| {
        SignError::InvalidSignature(format!(
            "signature must be 65 bytes (r, s, v), got {}",
            sig.len()
        ))
    })?;
    let y_parity = match bytes[64] {
        0 | 27 => 0,
        1 | 28 => 1,
        v => {
            return Err(SignError::InvalidSignature(format!(
                "v must be 0, 1, 27 or 28, got {v}"
            )))
        }
    };
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    r.copy_from_slice(&bytes[..32]);
    s.copy_from_slice(&bytes[32..64]);
    Ok(kernel::Signature { r, s, y_parity })
}

/// keccak-256 of bytes.
#[pyfunction]
#[pyo3(signature = (data))]
pub fn keccak256<'py>(py: Python<'py>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    read_args!(INPUT; data: Bound<'py, PyBytes>);
    Ok(PyBytes::new(
        py,
        &kernel::keccak::keccak256(data.as_bytes()),
    ))
}

/// The EIP-712 digest that `Signer.sign_typed_data` signs.
#[pyfunction]
#[pyo3(signature = (full_message))]
pub fn hash_typed_data<'py>(
    py: Python<'py>,
    full_message: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let value = typed_value(full_message, "", 0)?.map_err(sign_err)?;
    let digest = no_panic(|| {
        py.detach(|| kernel::eip712::hash_typed_data(&value))
            .map_err(sign_err)
    })?;
    Ok(PyBytes::new(py, &digest))
}

/// The EIP-55 checksummed form of an address (hex string or 20 bytes).
#[pyfunction]
#[pyo3(signature = (address))]
pub fn to_checksum_address(address: &Bound<'_, PyAny>) -> PyResult<String> {
    // A bytearray is read as the bytes it holds.
    let copy;
    let address = match address.cast::<PyByteArray>() {
        Ok(b) => {
            copy = PyBytes::new(address.py(), &b.to_vec()).into_any();
            &copy
        }
        Err(_) => address,
    };
    Ok(address_arg("address", address)?
        .map_err(sign_err)?
        .to_checksum())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySigner>()?;
    m.add_class::<PySignedTransaction>()?;
    m.add_class::<PySignedMessage>()?;
    m.add_function(wrap_pyfunction!(sign_transactions, m)?)?;
    m.add_function(wrap_pyfunction!(recover_transaction, m)?)?;
    m.add_function(wrap_pyfunction!(recover_message, m)?)?;
    m.add_function(wrap_pyfunction!(keccak256, m)?)?;
    m.add_function(wrap_pyfunction!(hash_typed_data, m)?)?;
    m.add_function(wrap_pyfunction!(to_checksum_address, m)?)?;
    Ok(())
}
