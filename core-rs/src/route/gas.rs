//! Gas: what a route costs in gas units (a per-pool-type model), and that cost in the output
//! token at the graph's price of the wrapped native token.

use ruint::aliases::U256;

use super::pool::{from_f64, to_f64, Pool, PoolKind};

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

    /// floor(units * gas_price * token_per_wei), saturating at 2**256 - 1.
    pub fn cost(&self, units: u64) -> U256 {
        if self.is_free() {
            return U256::ZERO;
        }
        let wei = U256::from(units).saturating_mul(self.gas_price);
        from_f64(to_f64(wei) * self.token_per_wei).unwrap_or(U256::MAX)
    }

    /// The same cost as an f64, for bounds (never below the integer cost).
    pub fn cost_f64(&self, units: u64) -> f64 {
        if self.is_free() {
            return 0.0;
        }
        units as f64 * to_f64(self.gas_price) * self.token_per_wei
    }
}
