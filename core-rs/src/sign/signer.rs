//! An account that signs: transactions one at a time or in parallel batches, EIP-191 personal
//! messages and EIP-712 typed data.

use rayon::prelude::*;

use super::address::Address;
use super::ecdsa::{PrivateKey, Signature};
use super::eip712::{hash_typed_data, TypedValue};
use super::error::{SignError, SignResult};
use super::keccak::keccak256_concat;
use super::tx::{SignedTx, TxRequest};

/// An error in one element of a batch. Nothing of the batch was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchError {
    pub index: usize,
    pub error: SignError,
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "transaction {}: {}", self.index, self.error)
    }
}

/// Batches smaller than this are signed on the calling thread: handing work to the pool costs
/// more than a few signatures.
const PARALLEL_THRESHOLD: usize = 4;

pub struct Signer {
    key: PrivateKey,
    address: Address,
}

impl Signer {
    pub fn new(key: PrivateKey) -> Signer {
        let address = key.address();
        Signer { key, address }
    }

    pub fn address(&self) -> Address {
        self.address
    }

    pub fn sign_transaction(&self, tx: &TxRequest) -> SignResult<SignedTx> {
        tx.check_from(&self.address)?;
        Ok(tx.sign_unchecked(&self.key))
    }

    /// Sign many transactions across all cores, results in input order. Every transaction is
    /// checked before any is signed.
    pub fn sign_transactions(&self, txs: &[TxRequest]) -> Result<Vec<SignedTx>, BatchError> {
        for (index, tx) in txs.iter().enumerate() {
            tx.check_from(&self.address)
                .map_err(|error| BatchError { index, error })?;
        }
        Ok(map_maybe_parallel(txs, |tx| tx.sign_unchecked(&self.key)))
    }

    /// EIP-191 version 0x45 (`personal_sign`): the digest signed and the signature.
    pub fn sign_message(&self, message: &[u8]) -> ([u8; 32], Signature) {
        let digest = personal_message_hash(message);
        (digest, self.key.sign_hash(&digest))
    }

    /// EIP-712 typed structured data: the digest signed and the signature.
    pub fn sign_typed_data(&self, full_message: &TypedValue) -> SignResult<([u8; 32], Signature)> {
        let digest = hash_typed_data(full_message)?;
        Ok((digest, self.key.sign_hash(&digest)))
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({})", self.address.to_checksum())
    }
}

/// keccak256("\x19Ethereum Signed Message:\n" || len(message) in decimal || message).
pub fn personal_message_hash(message: &[u8]) -> [u8; 32] {
    let len = message.len().to_string();
    keccak256_concat(&[b"\x19Ethereum Signed Message:\n", len.as_bytes(), message])
}

/// Sign `txs[i]` with `keys[i]`, in parallel, results in input order.
pub fn sign_with_keys(keys: &[PrivateKey], txs: &[TxRequest]) -> Result<Vec<SignedTx>, BatchError> {
    if keys.len() != txs.len() {
        return Err(BatchError {
            index: keys.len().min(txs.len()),
            error: SignError::InvalidTransaction(format!(
                "got {} keys for {} transactions; give one key per transaction",
                keys.len(),
                txs.len()
            )),
        });
    }
    for (index, (key, tx)) in keys.iter().zip(txs).enumerate() {
        // Deriving an address costs a point multiplication: only pay it when `from` asks.
        if tx.from.is_some() {
            tx.check_from(&key.address())
                .map_err(|error| BatchError { index, error })?;
        }
    }
    let pairs: Vec<(&PrivateKey, &TxRequest)> = keys.iter().zip(txs).collect();
    Ok(map_maybe_parallel(&pairs, |(key, tx)| {
        tx.sign_unchecked(key)
    }))
}

fn map_maybe_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() < PARALLEL_THRESHOLD {
        items.iter().map(f).collect()
    } else {
        items.par_iter().map(f).collect()
    }
}
