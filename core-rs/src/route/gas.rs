//! Gas: what a route costs in gas units (a per-pool-type model), and that cost in the output
//! token at the graph's price of the wrapped native token.

use ruint::aliases::U256;

use super::pool::{to_f64, Pool, PoolKind};
use ruint::Uint;

/// Gas units: `base` once per transaction (21,000 intrinsic plus the router's own work), one hop
/// term per pool by type, and `v3_tick` per initialized V3 tick crossed. Defaults are typical
/// mainnet figures for the Uniswap routers; callers override any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GasModel {
    pub base: u64,
    pub v2_hop: u64,
    pub v3_hop: u64,
    pub v3_tick: u64,
    pub stable_hop: u64,
}

impl Default for GasModel {
    fn default() -> GasModel {
        GasModel {
            base: 50_000,
            v2_hop: 60_000,
            v3_hop: 80_000,
            v3_tick: 25_000,
            stable_hop: 110_000,
        }
    }
}

impl GasModel {
    /// The gas of one hop through `pool` that crossed `ticks` initialized ticks.
    pub fn hop(&self, pool: &Pool, ticks: u32) -> u64 {
        match pool.kind {
            PoolKind::V2 { .. } => self.v2_hop,
            PoolKind::V3(_) => self
                .v3_hop
                .saturating_add(self.v3_tick.saturating_mul(ticks as u64)),
            PoolKind::Stable { .. } => self.stable_hop,
        }
    }

    /// The least any hop can cost (a lower bound for hops not simulated yet).
    pub fn min_hop(&self) -> u64 {
        self.v2_hop.min(self.v3_hop).min(self.stable_hop)
    }
}

/// Converts gas units into one token's raw units for a query: `gas_price` wei per gas unit and
/// `token_per_wei`, the token's mid price of one wei of the native token (0 when there is no
/// price, which makes every cost 0: net = gross).
#[derive(Clone, Copy, Debug)]
pub struct GasPricing {
    pub model: GasModel,
    pub gas_price: U256,
    pub token_per_wei: f64,
}

impl GasPricing {
    pub fn free(model: GasModel) -> GasPricing {
        GasPricing {
            model,
            gas_price: U256::ZERO,
            token_per_wei: 0.0,
        }
    }

    pub fn is_free(&self) -> bool {
        self.gas_price.is_zero() || self.token_per_wei <= 0.0
    }

    /// floor(units * gas_price * token_per_wei), saturating at 2**256 - 1. The wei amount is
    /// exact and so is its product with the price (the f64's exact binary value), so a cost is
    /// exact to the unit at any size, not only below 2**53.
    pub fn cost(&self, units: u64) -> U256 {
        if self.is_free() {
            return U256::ZERO;
        }
        let wei = U256::from(units).saturating_mul(self.gas_price);
        mul_f64_floor(wei, self.token_per_wei)
    }

    /// The same cost as an f64, for bounds (never below the integer cost).
    pub fn cost_f64(&self, units: u64) -> f64 {
        if self.is_free() {
            return 0.0;
        }
        units as f64 * to_f64(self.gas_price) * self.token_per_wei
    }
}

type U512 = Uint<512, 8>;

/// floor(x * p) for a finite p >= 0, with p taken at its exact binary value (mantissa * 2**exp);
/// saturates at 2**256 - 1.
fn mul_f64_floor(x: U256, p: f64) -> U256 {
    if !p.is_finite() || p <= 0.0 || x.is_zero() {
        return if p == f64::INFINITY && !x.is_zero() {
            U256::MAX
        } else {
            U256::ZERO
        };
    }
    let bits = p.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mantissa, exp) = if biased == 0 {
        (fraction, -1074i64) // subnormal
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    let product: U512 = x.widening_mul(U256::from(mantissa));
    let scaled = if exp >= 0 {
        // x * mantissa < 2**309; past 2**256 the cost saturates anyway.
        if product.bit_len() as i64 + exp > 256 {
            return U256::MAX;
        }
        product << (exp as usize)
    } else if -exp >= 512 {
        U512::ZERO
    } else {
        product >> ((-exp) as usize)
    };
    if scaled.bit_len() > 256 {
        return U256::MAX;
    }
    let l = scaled.as_limbs();
    U256::from_limbs([l[0], l[1], l[2], l[3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn exact_beyond_two_to_the_53() {
        let wei = U256::from(10u64.pow(18)) * U256::from(123_456_789u64) + U256::from(7u8);
        assert_eq!(mul_f64_floor(wei, 1.0), wei);
        assert_eq!(mul_f64_floor(wei, 0.5), wei >> 1usize);
        assert_eq!(mul_f64_floor(wei, 4.0), wei << 2usize);
        assert_eq!(mul_f64_floor(U256::MAX, 2.0), U256::MAX);
        assert_eq!(mul_f64_floor(wei, 0.0), U256::ZERO);
        assert_eq!(
            mul_f64_floor(U256::from(3u8), f64::MIN_POSITIVE),
            U256::ZERO
        );
    }

    proptest! {
        // Against exact rational arithmetic on u128: p = m / 2**k.
        #[test]
        fn matches_exact_rational(x in 0u64.., m in 1u64..(1u64 << 53), k in 0u32..80) {
            let p = m as f64 / 2f64.powi(k as i32); // exact: m < 2**53
            let expected = (U256::from(x) * U256::from(m)) >> (k as usize);
            prop_assert_eq!(mul_f64_floor(U256::from(x), p), expected);
        }
    }
}
