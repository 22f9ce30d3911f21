//! Errors of the signing kernel. Each variant becomes its own Python exception in the binding layer.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignError {
    /// A transaction field is missing, malformed or out of range; the message names the field.
    #[error("{0}")]
    InvalidTransaction(String),
    /// A transaction type this kernel does not sign (yet).
    #[error("unsupported transaction type {0}: only legacy (0), EIP-2930 (1) and EIP-1559 (2) are signed")]
    UnsupportedTransactionType(String),
    /// A private key that is not a valid secp256k1 scalar. Never carries key material.
    #[error("invalid private key: {0}")]
    InvalidKey(&'static str),
    /// A signature that does not parse or does not recover to a public key.
    #[error("invalid signature: {0}")]
    InvalidSignature(String),
    /// EIP-712 typed data that does not follow the spec; the message names the offending path.
    #[error("invalid typed data: {0}")]
    InvalidTypedData(String),
    /// Bytes that are not a well-formed RLP-encoded transaction.
    #[error("invalid raw transaction: {0}")]
    InvalidRawTransaction(String),
}

pub type SignResult<T> = Result<T, SignError>;
