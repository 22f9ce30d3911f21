// TEMPORARY placeholder so the crate compiles while helper-1 writes the real EIP-712 module;
// helper-1: overwrite this whole file with yours.
use super::error::{SignError, SignResult};
use ruint::aliases::U256;

#[derive(Debug, Clone, PartialEq)]
pub enum TypedValue {
    Null,
    Bool(bool),
    Int { negative: bool, magnitude: U256 },
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<TypedValue>),
    Map(Vec<(String, TypedValue)>),
}

pub fn hash_typed_data(_full_message: &TypedValue) -> SignResult<[u8; 32]> {
    Err(SignError::InvalidTypedData("placeholder".into()))
}

pub fn typed_data_parts(_full_message: &TypedValue) -> SignResult<([u8; 32], [u8; 32])> {
    Err(SignError::InvalidTypedData("placeholder".into()))
}
