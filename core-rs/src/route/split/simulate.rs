//! Exact simulation of a set of paths run in order over shared pool state: the value every
//! allocation is judged by, and the final `SplitRoute` built from the chosen split.

use ruint::aliases::U256;

use super::{Ctx, Path, SplitRoute};
use crate::amm::SignedAmount;
use crate::route::gas::GasPricing;
use crate::route::graph::{Overlay, PoolGraph, PoolView};
use crate::route::path::{net, route_from_legs, simulate_path};

impl Ctx<'_> {
    pub(super) fn hop_units(&self, p: &Path, legs: &[crate::route::pool::Leg]) -> u64 {
        p.pools
            .iter()
            .zip(legs)
            .map(|(&q, l)| self.gas.model.hop(self.graph.pool(q), l.ticks_crossed))
            .sum()
    }

    pub(super) fn worth(&self, out: U256, units: u64) -> SignedAmount {
        if self.gas.is_free() {
            SignedAmount::positive(out)
        } else {
            net(out, self.gas.cost(units))
        }
    }

    /// The state after running `paths` with `alloc` in order (zero shares skipped), skipping
    /// path `except`; None if a leg fails.
    pub(super) fn state_after(
        &self,
        paths: &[usize],
        alloc: &[U256],
        except: Option<usize>,
    ) -> Option<Overlay<'_>> {
        let mut overlay = Overlay::new(self.graph);
        for (k, (&p, &a)) in paths.iter().zip(alloc).enumerate() {
            if a.is_zero() || except == Some(k) {
                continue;
            }
            let p = &self.cands[p];
            let legs = simulate_path(&overlay, &p.pools, &p.dirs, a)?;
            for (h, leg) in legs.iter().enumerate() {
                let (i, j) = p.dirs[h];
                overlay.apply_leg(p.pools[h], i as usize, j as usize, leg);
            }
        }
        Some(overlay)
    }

    /// Total output and gas units (base included) of the paths run in order with `alloc` over
    /// shared state; None if a leg fails or nothing runs. A pool's state is carried forward
    /// only when a later path uses it.
    pub(super) fn run(&self, paths: &[usize], alloc: &[U256]) -> Option<(U256, u64)> {
        let mut overlay: Option<Overlay> = None;
        let mut total = U256::ZERO;
        let mut units = self.gas.model.base;
        let mut any = false;
        for (k, (&p, &a)) in paths.iter().zip(alloc).enumerate() {
            if a.is_zero() {
                continue;
            }
            let p = &self.cands[p];
            let legs = match &overlay {
                Some(o) => simulate_path(o, &p.pools, &p.dirs, a)?,
                None => simulate_path(self.graph, &p.pools, &p.dirs, a)?,
            };
            any = true;
            total = total.checked_add(legs.last()?.amount_out)?;
            units += self.hop_units(p, &legs);
            for (h, leg) in legs.iter().enumerate() {
                let pool = p.pools[h];
                let later = paths[k + 1..]
                    .iter()
                    .zip(&alloc[k + 1..])
                    .any(|(&q, b)| !b.is_zero() && self.cands[q].pools.contains(&pool));
                if later {
                    let (i, j) = p.dirs[h];
                    overlay
                        .get_or_insert_with(|| Overlay::for_quotes(self.graph))
                        .apply_leg(pool, i as usize, j as usize, leg);
                }
            }
        }
        any.then_some((total, units))
    }

    pub(super) fn value(&self, paths: &[usize], alloc: &[U256]) -> Option<SignedAmount> {
        self.run(paths, alloc).map(|(o, u)| self.worth(o, u))
    }
}

/// Runs the paths in order with their amounts over shared state; None if a leg fails.
pub(super) fn evaluate(
    graph: &PoolGraph,
    src: u32,
    paths: &[&Path],
    alloc: &[U256],
    gas: &GasPricing,
) -> Option<SplitRoute> {
    let mut overlay = Overlay::for_quotes(graph);
    let mut routes = Vec::new();
    let mut total = U256::ZERO;
    let mut units = gas.model.base;
    for (p, &a) in paths.iter().zip(alloc) {
        if a.is_zero() {
            continue;
        }
        let legs = simulate_path(&overlay, &p.pools, &p.dirs, a)?;
        let r = route_from_legs(
            &overlay, src, &p.tokens, &p.pools, &p.dirs, &legs, gas, true,
        );
        units += r.gas_estimate - gas.model.base;
        total = total.checked_add(r.amount_out())?;
        for (k, leg) in legs.iter().enumerate() {
            let (i, j) = p.dirs[k];
            overlay.apply_leg(p.pools[k], i as usize, j as usize, leg);
        }
        routes.push(r);
    }
    if routes.is_empty() {
        return None;
    }
    let gas_cost = gas.cost(units);
    Some(SplitRoute {
        routes,
        amount_out: total,
        gas_estimate: units,
        gas_cost,
        amount_out_net: net(total, gas_cost),
    })
}
