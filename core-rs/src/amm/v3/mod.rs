//! Uniswap V3 swap math, wei-exact to UniswapV3Pool of v3-core 1.0.
//!
//! Each file transcribes one contract library with the contract's own integer semantics
//! (Solidity 0.7: unchecked `+ - *` wrap, LowGasSafeMath and SafeCast revert):
//! - [`full_math`] - FullMath.mulDiv / mulDivRoundingUp (512-bit intermediate), UnsafeMath.
//! - [`tick_math`] - TickMath.getSqrtRatioAtTick / getTickAtSqrtRatio and the tick bounds.
//! - [`sqrt_price_math`] - SqrtPriceMath's next-price and amount-delta functions.
//! - [`swap_math`] - SwapMath.computeSwapStep.
//! - [`tick_bitmap`] - TickBitmap.nextInitializedTickWithinOneWord over a sorted tick map.
//! - [`tick_map`] - the initialized ticks, each with its liquidityNet and sqrt price.
//! - [`pool`] - the UniswapV3Pool.swap loop, and Mint/Burn's effect on ticks and liquidity.
//!
//! Wherever the contract reverts, these functions return [`crate::amm::AmmError::Revert`] whose
//! message starts with the contract's reason string ("AS", "SPL", "LS", "LA", "T", "R", "TLU",
//! ...) or, for a `require` without one, names the library function and says so. Inputs the
//! contract could never be given (a magnitude outside int256, a limit outside uint160, an
//! inconsistent pool state) are [`crate::amm::AmmError::InvalidInput`], naming the argument.
//! Nothing here panics on any input.

pub mod full_math;
mod int256;
pub mod pool;
pub mod sqrt_price_math;
pub mod swap_math;
pub mod tick_bitmap;
pub mod tick_map;
pub mod tick_math;
// Public only so that benches/full_math.rs can time it against ruint; not part of the API.
#[doc(hidden)]
pub mod wide_div;

#[cfg(test)]
mod pool_tests;
#[cfg(test)]
mod tick_math_vectors;

pub use full_math::{div_rounding_up, mul_div, mul_div_rounding_up};
pub use int256::add_delta;
pub use pool::{SwapOrigin, V3Pool, V3Quote, V3SwapResult};
pub use swap_math::{compute_swap_step, SwapStep};
pub use tick_math::{
    get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio, MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO,
    MIN_TICK,
};
