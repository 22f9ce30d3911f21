//! Python classes and functions of the signing kernel. Parsing happens with the GIL held (it
//! reads Python objects); all hashing and signing runs with the GIL released.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use ruint::aliases::U256;

use super::convert;
use super::errors::{
    batch_err, no_panic, sign_err, InvalidSignatureError, InvalidTransactionError,
};
use crate::sign::{self as kernel, BatchError, SignError, SignedTx, TxRequest};

/// An unsigned 256-bit integer as a Python int.
pub fn uint_to_py<'py>(py: Python<'py>, v: &U256) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(small) = u64::try_from(*v) {
        return Ok(small.into_pyobject(py)?.into_any());
    }
    let bytes = PyBytes::new(py, &v.to_be_bytes::<32>());
    py.get_type::<pyo3::types::PyInt>()
        .call_method1("from_bytes", (bytes, "big"))
}

fn parse_tx(obj: &Bound<'_, PyAny>) -> PyResult<Result<TxRequest, SignError>> {
    Ok(convert::tx_fields(obj)?.and_then(TxRequest::new))
}

fn parse_txs(txs: &Bound<'_, PyAny>) -> PyResult<Vec<TxRequest>> {
    if txs.is_instance_of::<pyo3::types::PyDict>() {
        return Err(InvalidTransactionError::new_err(
            "expected a sequence of transaction dicts, got a single dict (use sign_transaction)",
        ));
    }
    let mut out = Vec::with_capacity(txs.len().unwrap_or(0));
    for (index, tx) in txs.try_iter()?.enumerate() {
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
        uint_to_py(py, &self.inner.r)
    }

    #[getter]
    fn s<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        uint_to_py(py, &self.inner.s)
    }

    #[getter]
    fn v<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        uint_to_py(py, &self.inner.v)
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
        uint_to_py(py, &self.sig.r_uint())
    }

    #[getter]
    fn s<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        uint_to_py(py, &self.sig.s_uint())
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
        let key = convert::private_key(private_key)?.map_err(sign_err)?;
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
        let bytes = convert::message_bytes(message)?;
        no_panic(|| {
            let (message_hash, sig) = py.detach(|| self.inner.sign_message(&bytes));
            Ok(PySignedMessage { message_hash, sig })
        })
    }

    /// EIP-712: a full message {"types", "primaryType", "domain", "message"}.
    fn sign_typed_data(
        &self,
        py: Python<'_>,
        full_message: &Bound<'_, PyAny>,
    ) -> PyResult<PySignedMessage> {
        let value = convert::typed_value(full_message, "", 0)?.map_err(sign_err)?;
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
        return Err(super::errors::InvalidKeyError::new_err(
            "keys: expected a sequence of keys, one per transaction, got a single key",
        ));
    }
    let mut parsed = Vec::with_capacity(txs.len());
    for (index, key) in keys.try_iter()?.enumerate() {
        match convert::private_key(&key?)? {
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

fn bytes_or_hex(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        let text = s.to_str()?;
        let digits = text.strip_prefix("0x").unwrap_or(text);
        return hex::decode(digits).map_err(|_| {
            InvalidSignatureError::new_err(format!("{what}: {text:?} is not valid hex"))
        });
    }
    Err(InvalidSignatureError::new_err(format!(
        "{what}: expected bytes or a hex string, got {}",
        obj.get_type().name()?
    )))
}

/// The checksummed sender of a signed raw transaction (bytes or hex).
#[pyfunction]
#[pyo3(signature = (raw_transaction))]
pub fn recover_transaction(py: Python<'_>, raw_transaction: &Bound<'_, PyAny>) -> PyResult<String> {
    let raw = bytes_or_hex("raw_transaction", raw_transaction)
        .map_err(|e| super::errors::InvalidRawTransactionError::new_err(e.value(py).to_string()))?;
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
    let bytes = convert::message_bytes(message)?;
    let sig = bytes_or_hex("signature", signature)?;
    let sig = parse_rsv65(&sig).map_err(sign_err)?;
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
pub fn keccak256<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &kernel::keccak::keccak256(data))
}

/// The EIP-712 digest that `Signer.sign_typed_data` signs.
#[pyfunction]
#[pyo3(signature = (full_message))]
pub fn hash_typed_data<'py>(
    py: Python<'py>,
    full_message: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let value = convert::typed_value(full_message, "", 0)?.map_err(sign_err)?;
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
    if let Ok(s) = address.cast::<PyString>() {
        return Ok(kernel::Address::parse("address", s.to_str()?)
            .map_err(sign_err)?
            .to_checksum());
    }
    let raw: Vec<u8> = address.extract()?;
    let arr: [u8; 20] = raw.as_slice().try_into().map_err(|_| {
        sign_err(SignError::InvalidTransaction(format!(
            "address: must be 20 bytes, got {}",
            raw.len()
        )))
    })?;
    Ok(kernel::Address(arr).to_checksum())
}
