//! Errors of the AMM kernels. Where a contract would revert, the message says so and gives the
//! contract's reason string, so an off-chain quote fails exactly where the chain would.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmmError {
    /// An input outside what the function accepts (negative, too large, malformed); names it.
    #[error("{0}")]
    InvalidInput(String),
    /// The contract would revert for this input; the message names the contract's reason.
    #[error("{0}")]
    Revert(String),
    /// An order book whose levels are crossed, unsorted, negative or not finite.
    #[error("{0}")]
    InvalidBook(String),
    /// A swap result applied to a pool other than the one that computed it, or to a state that
    /// pool has since left; nothing was changed.
    #[error("{0}")]
    ResultMismatch(String),
}

pub type AmmResult<T> = Result<T, AmmError>;

pub fn invalid(msg: impl Into<String>) -> AmmError {
    AmmError::InvalidInput(msg.into())
}

pub fn revert(msg: impl Into<String>) -> AmmError {
    AmmError::Revert(msg.into())
}
