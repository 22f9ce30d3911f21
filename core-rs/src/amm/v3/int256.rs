//! Solidity 0.7 signed arithmetic as UniswapV3Pool uses it: int256 in two's complement over a
//! U256 (plain operators wrap, LowGasSafeMath's add/sub and SafeCast revert), and
//! LiquidityMath.addDelta.

use ruint::aliases::U256;

use crate::amm::error::{invalid, revert};
use crate::amm::{AmmResult, SignedAmount};

/// An int256 as its two's-complement bit pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct I256(pub(crate) U256);

/// 2**255: |int256.min| and the first magnitude that does not fit a positive int256.
const TWO_255: U256 = U256::from_limbs([0, 0, 0, 1 << 63]);

impl I256 {
    pub(crate) const ZERO: I256 = I256(U256::ZERO);

    /// The int256 an ABI encoder would produce for `amount`; an error names `what` when the
    /// amount does not fit int256 (magnitude >= 2**255, except exactly -2**255).
    pub(crate) fn from_amount(amount: SignedAmount, what: &str) -> AmmResult<I256> {
        let m = amount.magnitude;
        if amount.negative {
            if m > TWO_255 {
                return Err(invalid(format!(
                    "{what}: -{m} does not fit int256 (minimum -2**255)"
                )));
            }
            Ok(I256(m.wrapping_neg()))
        } else {
            if m >= TWO_255 {
                return Err(invalid(format!(
                    "{what}: {m} does not fit int256 (maximum 2**255 - 1)"
                )));
            }
            Ok(I256(m))
        }
    }

    pub(crate) fn to_amount(self) -> SignedAmount {
        if self.is_negative() {
            SignedAmount::negative(self.0.wrapping_neg())
        } else {
            SignedAmount::positive(self.0)
        }
    }

    #[inline]
    pub(crate) fn is_negative(self) -> bool {
        self.0.bit(255)
    }

    #[inline]
    pub(crate) fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// `uint256(-x)` as Solidity 0.7 computes it (int256.min gives 2**255).
    #[inline]
    pub(crate) fn neg_as_uint(self) -> U256 {
        self.0.wrapping_neg()
    }

    /// `uint256(x)` reinterpreted.
    #[inline]
    pub(crate) fn as_uint(self) -> U256 {
        self.0
    }

    /// Unchecked `x + y` (Solidity 0.7 `+`/`+=` on int256).
    #[inline]
    pub(crate) fn wrapping_add(self, rhs: I256) -> I256 {
        I256(self.0.wrapping_add(rhs.0))
    }

    /// Unchecked `x - y`.
    #[inline]
    pub(crate) fn wrapping_sub(self, rhs: I256) -> I256 {
        I256(self.0.wrapping_sub(rhs.0))
    }

    /// LowGasSafeMath.add(int256, int256): `require((z = x + y) >= x == (y >= 0))`.
    #[inline]
    pub(crate) fn safe_add(self, rhs: I256) -> AmmResult<I256> {
        let z = self.wrapping_add(rhs);
        if z.ge(self) != rhs.is_negative() {
            Ok(z)
        } else {
            Err(revert(
                "LowGasSafeMath.add(int256): overflow (the contract's require gives no reason string)",
            ))
        }
    }

    /// LowGasSafeMath.sub(int256, int256): `require((z = x - y) <= x == (y >= 0))`.
    #[inline]
    pub(crate) fn safe_sub(self, rhs: I256) -> AmmResult<I256> {
        let z = self.wrapping_sub(rhs);
        if z.le(self) != rhs.is_negative() {
            Ok(z)
        } else {
            Err(revert(
                "LowGasSafeMath.sub(int256): overflow (the contract's require gives no reason string)",
            ))
        }
    }

    /// SafeCast.toInt256: `require(y < 2**255)`.
    #[inline]
    pub(crate) fn from_uint(y: U256) -> AmmResult<I256> {
        if y < TWO_255 {
            Ok(I256(y))
        } else {
            Err(revert(
                "SafeCast.toInt256: value >= 2**255 (the contract's require gives no reason string)",
            ))
        }
    }

    /// Signed comparison `self >= rhs`.
    #[inline]
    fn ge(self, rhs: I256) -> bool {
        !self.lt(rhs)
    }

    /// Signed comparison `self <= rhs`.
    #[inline]
    fn le(self, rhs: I256) -> bool {
        !rhs.lt(self)
    }

    /// Signed comparison `self < rhs`.
    #[inline]
    fn lt(self, rhs: I256) -> bool {
        match (self.is_negative(), rhs.is_negative()) {
            (true, false) => true,
            (false, true) => false,
            // Same sign: two's complement orders like the unsigned bit patterns.
            _ => self.0 < rhs.0,
        }
    }
}

/// LiquidityMath.addDelta: `x + y`, reverting "LS" on underflow and "LA" on overflow.
#[inline]
pub fn add_delta(x: u128, y: i128) -> AmmResult<u128> {
    if y < 0 {
        // uint128(-y): for int128.min Solidity 0.7 wraps -y back to int128.min, i.e. 2**127.
        x.checked_sub(y.unsigned_abs()).ok_or_else(|| {
            revert(format!(
                "LS: liquidity {x} minus {} underflows (LiquidityMath.addDelta)",
                y.unsigned_abs()
            ))
        })
    } else {
        x.checked_add(y.unsigned_abs()).ok_or_else(|| {
            revert(format!(
                "LA: liquidity {x} plus {y} overflows uint128 (LiquidityMath.addDelta)"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn i(x: i128) -> I256 {
        if x < 0 {
            I256(U256::from(x.unsigned_abs()).wrapping_neg())
        } else {
            I256(U256::from(x as u128))
        }
    }

    #[test]
    fn amount_range() {
        let max = SignedAmount::positive(TWO_255 - U256::from(1u8));
        assert_eq!(I256::from_amount(max, "a").unwrap().to_amount(), max);
        assert!(I256::from_amount(SignedAmount::positive(TWO_255), "a").is_err());
        let min = SignedAmount::negative(TWO_255);
        let x = I256::from_amount(min, "a").unwrap();
        assert!(x.is_negative());
        assert_eq!(x.neg_as_uint(), TWO_255);
        assert_eq!(x.to_amount(), min);
        assert!(I256::from_amount(SignedAmount::negative(TWO_255 + U256::from(1u8)), "a").is_err());
        // -0 is zero.
        let z = SignedAmount {
            negative: true,
            magnitude: U256::ZERO,
        };
        assert!(I256::from_amount(z, "a").unwrap().is_zero());
        assert_eq!(I256::ZERO.to_amount(), SignedAmount::ZERO);
    }

    #[test]
    fn safe_math_edges() {
        let max = I256(TWO_255 - U256::from(1u8));
        let min = I256(TWO_255);
        assert!(max.safe_add(i(1)).is_err());
        assert!(min.safe_add(i(-1)).is_err());
        assert!(min.safe_sub(i(1)).is_err());
        assert!(max.safe_sub(i(-1)).is_err());
        assert_eq!(max.safe_sub(i(1)).unwrap(), I256(TWO_255 - U256::from(2u8)));
        assert_eq!(min.safe_add(max).unwrap(), i(-1));
        assert_eq!(min.safe_sub(min).unwrap(), I256::ZERO);
        assert!(I256::from_uint(TWO_255).is_err());
        assert_eq!(I256::from_uint(TWO_255 - U256::from(1u8)).unwrap(), max);
    }

    #[test]
    fn add_delta_cases() {
        assert_eq!(add_delta(1, 0).unwrap(), 1);
        assert_eq!(add_delta(1, -1).unwrap(), 0);
        assert_eq!(add_delta(1, 1).unwrap(), 2);
        assert!(add_delta(u128::MAX - 14, 15)
            .unwrap_err()
            .to_string()
            .starts_with("LA"));
        assert!(add_delta(3, -4).unwrap_err().to_string().starts_with("LS"));
        assert_eq!(add_delta(1 << 127, i128::MIN).unwrap(), 0);
        assert!(add_delta((1 << 127) - 1, i128::MIN).is_err());
        assert_eq!(add_delta(0, i128::MAX).unwrap(), i128::MAX as u128);
    }

    proptest! {
        #[test]
        fn safe_math_matches_i128(a in any::<i64>(), b in any::<i64>()) {
            let (a, b) = (i128::from(a), i128::from(b));
            prop_assert_eq!(i(a).safe_add(i(b)).unwrap(), i(a + b));
            prop_assert_eq!(i(a).safe_sub(i(b)).unwrap(), i(a - b));
            prop_assert_eq!(i(a).lt(i(b)), a < b);
        }
    }
}
