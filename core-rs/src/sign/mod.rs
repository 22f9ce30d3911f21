//! Ethereum signing: RLP, keccak-256, secp256k1 ECDSA, transactions, EIP-191 and EIP-712.
//! Plain Rust; the Python binding lives in `crate::py`.

pub mod address;
pub mod ecdsa;
pub mod eip712;
pub mod error;
pub mod keccak;
pub mod rlp;
pub mod signer;
pub mod tx;

pub use address::Address;
pub use ecdsa::{PrivateKey, Signature};
pub use error::{SignError, SignResult};
pub use signer::{personal_message_hash, sign_with_keys, BatchError, Signer};
pub use tx::{recover_sender, AccessListItem, SignedTx, TxFields, TxRequest, TxType};
