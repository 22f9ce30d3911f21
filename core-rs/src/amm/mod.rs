//! Exact AMM math: Uniswap V2, Uniswap V3, Curve-style StableSwap, and central limit order
//! books. On-chain amounts are U256 and every result equals what the contract computes.

pub mod clob;
pub mod error;
pub mod stable;
pub mod v2;
pub mod v3;

pub use error::{AmmError, AmmResult};

use ruint::aliases::U256;

/// A signed 256-bit amount as the contracts' int256: sign and magnitude. Zero is never negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SignedAmount {
    pub negative: bool,
    pub magnitude: U256,
}

impl SignedAmount {
    pub const ZERO: SignedAmount = SignedAmount {
        negative: false,
        magnitude: U256::ZERO,
    };

    pub fn positive(magnitude: U256) -> SignedAmount {
        SignedAmount {
            negative: false,
            magnitude,
        }
    }

    /// `-magnitude`, normalising -0 to 0.
    pub fn negative(magnitude: U256) -> SignedAmount {
        SignedAmount {
            negative: !magnitude.is_zero(),
            magnitude,
        }
    }
}
