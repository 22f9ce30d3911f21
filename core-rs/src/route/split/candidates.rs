//! Candidate paths: each with its output table on the graph's state (what screening ranks
//! sets by), and the partners found on the state a split leaves.

use ruint::aliases::U256;

use super::{Ctx, Path, Split, MAX_CANDIDATES, TABLE_STEPS};
use crate::route::layered::top_routes_layered;
use crate::route::path::simulate_path;
use crate::route::pool::to_f64;

impl Ctx<'_> {
    pub(super) fn add(&mut self, p: Path) -> bool {
        if self.cands.contains(&p) || self.cands.len() >= MAX_CANDIDATES {
            return false;
        }
        // The path's own output (net of its hops' gas) at 1..=TABLE_STEPS parts of the input
        // on the graph's state; -inf where it cannot take that much.
        let steps = U256::from(TABLE_STEPS as u64);
        let table: Vec<f64> = (1..=TABLE_STEPS as u64)
            .map(|c| {
                let x = self.amount * U256::from(c) / steps;
                match simulate_path(self.graph, &p.pools, &p.dirs, x) {
                    Some(legs) if !x.is_zero() => match legs.last() {
                        Some(last) => {
                            to_f64(last.amount_out) - self.gas.cost_f64(self.hop_units(&p, &legs))
                        }
                        None => f64::NEG_INFINITY,
                    },
                    _ => f64::NEG_INFINITY,
                }
            })
            .collect();
        // A path that cannot take even one part: the largest power-of-two part it takes
        // (a thin pool with a far better price pays well for a small share).
        let small = if table.first().is_some_and(|v: &f64| !v.is_finite()) {
            (4..=24usize)
                .map(|k| self.amount >> k)
                .take_while(|x| !x.is_zero())
                .find(|&x| simulate_path(self.graph, &p.pools, &p.dirs, x).is_some())
        } else {
            None
        };
        self.tables.push(table);
        self.small.push(small);
        self.cands.push(p);
        true
    }

    /// The best paths for `amount` over the state the split leaves, added as candidates
    /// (ranked after those found before); true if one is new.
    pub(super) fn discover(&mut self, s: &Split, amount: U256, keep: usize) -> bool {
        if amount.is_zero() {
            return false;
        }
        let found: Vec<Path> = {
            let Some(overlay) = self.state_after(&s.paths, &s.alloc, None) else {
                return false;
            };
            top_routes_layered(
                self.graph, &overlay, self.src, self.dst, amount, self.opts, keep, true,
            )
            .iter()
            .map(Path::of)
            .collect()
        };
        let mut added = false;
        for p in found {
            added |= self.add(p);
        }
        added
    }
}
