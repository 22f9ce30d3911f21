//! Starting allocations for screening a set of paths: from the candidates' output tables, from
//! greedy slices or the incumbent, and small probe shares for paths a coarse start left empty.

use ruint::aliases::U256;

use super::{gt, Ctx, Split, PROBE_FIRST, PROBE_LAST, PROBE_STEP, TABLE_STEPS};
use crate::amm::SignedAmount;

impl Ctx<'_> {
    /// Gives each path of the split that got nothing the best share of a geometric ladder
    /// (1/8 of the largest share down to 1/2^24 of it, taken from that share), run first or
    /// last where paths share a pool. Coarse starts (table parts, greedy slices) never give a
    /// path less than a whole part, yet a path that drains a thin pool, or one that pays well
    /// only when it runs before another through a shared pool, can be worth a small share; and
    /// a set whose start leaves a path empty would be screened out unseen.
    pub(super) fn probe(&self, s: &mut Split, shared: bool) {
        for p in s.paths.clone() {
            let Some(pos) = s.paths.iter().position(|&q| q == p) else {
                continue;
            };
            if !s.alloc[pos].is_zero() {
                continue;
            }
            let last = s.paths.len() - 1;
            let places: &[usize] = if shared && last > 0 {
                &[0, last]
            } else {
                &[pos]
            };
            let mut best: Option<(Vec<usize>, Vec<U256>, SignedAmount)> = None;
            for &place in places {
                let mut paths = s.paths.clone();
                let mut alloc = s.alloc.clone();
                paths.remove(pos);
                alloc.remove(pos);
                paths.insert(place, p);
                alloc.insert(place, U256::ZERO);
                let Some(donor) = (0..alloc.len()).max_by_key(|&k| alloc[k]) else {
                    continue;
                };
                let mut prev: Option<SignedAmount> = None;
                let mut gained = false;
                for k in (PROBE_FIRST..=PROBE_LAST).rev().step_by(PROBE_STEP) {
                    let t = alloc[donor] >> k;
                    if t.is_zero() {
                        continue;
                    }
                    let mut a = alloc.clone();
                    a[place] = t;
                    a[donor] -= t;
                    let v = self.value(&paths, &a);
                    // Past the peak (or where the path no longer fits) larger shares only lose.
                    let falling = match (&v, &prev) {
                        (Some(v), Some(w)) => gt(w, v),
                        (None, _) => prev.is_some(),
                        _ => false,
                    };
                    if gained && falling {
                        break;
                    }
                    if let Some(v) = v {
                        let top = best.as_ref().map_or(&s.value, |b| &b.2);
                        if gt(&v, top) {
                            gained = true;
                            best = Some((paths.clone(), a, v));
                        }
                        prev = Some(v);
                    }
                }
            }
            if let Some((paths, alloc, value)) = best {
                *s = Split {
                    paths,
                    alloc,
                    value,
                };
            }
        }
    }

    /// A starting allocation over the paths in `set` (in that order): the best of the greedy
    /// slices, the incumbent `warm` split (when its paths are all in the set) and every path
    /// of the set taking the whole input alone. Greedy slices can dead-end (a slice that fits
    /// no path once earlier slices used up a shared pool) where another start does not.
    pub(super) fn start(&self, set: &[usize], warm: &Split, slices: u64) -> Option<Split> {
        let mut best = self.greedy(set, slices);
        let consider = |paths: Vec<usize>, alloc: Vec<U256>, best: &mut Option<Split>| {
            if let Some(value) = self.value(&paths, &alloc) {
                if best.as_ref().is_none_or(|b| gt(&value, &b.value)) {
                    *best = Some(Split {
                        paths,
                        alloc,
                        value,
                    });
                }
            }
        };
        let covered = warm
            .paths
            .iter()
            .zip(&warm.alloc)
            .all(|(p, a)| a.is_zero() || set.contains(p));
        if covered {
            // In the incumbent's order (where paths share a pool its value depends on it), the
            // set's other paths after them with nothing.
            let mut paths: Vec<usize> = warm
                .paths
                .iter()
                .zip(&warm.alloc)
                .filter(|(_, a)| !a.is_zero())
                .map(|(p, _)| *p)
                .collect();
            let mut alloc: Vec<U256> = paths
                .iter()
                .map(|p| {
                    warm.paths
                        .iter()
                        .position(|q| q == p)
                        .map_or(U256::ZERO, |k| warm.alloc[k])
                })
                .collect();
            for &p in set {
                if !paths.contains(&p) {
                    paths.push(p);
                    alloc.push(U256::ZERO);
                }
            }
            consider(paths, alloc, &mut best);
        }
        for k in 0..set.len() {
            let mut alloc = vec![U256::ZERO; set.len()];
            alloc[k] = self.amount;
            consider(set.to_vec(), alloc, &mut best);
        }
        best
    }

    /// The separable optimum over `set` on the candidates' output tables (input in
    /// `TABLE_STEPS / stride` equal parts, each to the path whose next part pays most), valued
    /// exactly.
    pub(super) fn screen(&self, set: &[usize], stride: usize) -> Option<Split> {
        let mut units = vec![0usize; set.len()];
        for _ in 0..TABLE_STEPS / stride {
            let mut pick: Option<(usize, f64)> = None;
            for (k, &p) in set.iter().enumerate() {
                let t = &self.tables[p];
                let c = units[k] * stride;
                let before = if c == 0 { 0.0 } else { t[c - 1] };
                let gain = t[c + stride - 1] - before;
                if gain.is_finite() && pick.is_none_or(|q| gain > q.1) {
                    pick = Some((k, gain));
                }
            }
            units[pick?.0] += 1;
        }
        let steps = U256::from(TABLE_STEPS as u64);
        let mut alloc: Vec<U256> = units
            .iter()
            .map(|&c| self.amount * U256::from((c * stride) as u64) / steps)
            .collect();
        let placed = alloc.iter().fold(U256::ZERO, |a, b| a + *b);
        let k = (0..set.len()).max_by_key(|&k| units[k])?;
        alloc[k] += self.amount - placed;
        let mut best = self.value(set, &alloc).map(|value| Split {
            paths: set.to_vec(),
            alloc: alloc.clone(),
            value,
        });
        // Thin paths the table could not use get their small part from the largest share.
        for (i, &p) in set.iter().enumerate() {
            let Some(x) = self.small[p] else {
                continue;
            };
            if !alloc[i].is_zero() || alloc[k] <= x {
                continue;
            }
            let mut a = alloc.clone();
            a[i] = x;
            a[k] -= x;
            if let Some(v) = self.value(set, &a) {
                if best.as_ref().is_none_or(|b| gt(&v, &b.value)) {
                    best = Some(Split {
                        paths: set.to_vec(),
                        alloc: a,
                        value: v,
                    });
                }
            }
        }
        best
    }
}
