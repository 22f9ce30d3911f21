//! The best split over at most `max_splits` candidates: screen subsets of the candidates, then
//! refine the most promising few.

use super::{
    gt, Ctx, Split, EXCHANGES_PER_PATH, MAX_SUBSETS, REFINED_SUBSETS, SATURATED_SETS, SCREEN_SLICES,
};
use crate::route::path::signed_cmp;

impl Ctx<'_> {
    /// The best split using at most `k` of the candidates.
    pub(super) fn select(&self, k: usize, incumbent: &Split) -> Split {
        let n = self.cands.len();
        let mut best = incumbent.clone();
        let consider = |s: Split, best: &mut Split| {
            if gt(&s.value, &best.value) {
                *best = s;
            }
        };
        let sets = if n <= k {
            vec![(0..n).collect()]
        } else {
            subsets(n, k, MAX_SUBSETS, &incumbent.paths)
        };
        // Screen the sets by an allocation from the paths' own output tables (as if they
        // shared no pool), valued exactly; refine the most promising from their best start.
        let mut screened: Vec<Split> = sets
            .into_iter()
            .filter_map(|set| {
                // Where the paths share a pool the tables (each path on its own) misjudge the
                // split, or it may not run at all: also start from greedy slices, which see
                // the state the earlier slices leave.
                let shared = set.iter().enumerate().any(|(k, &p)| {
                    set[k + 1..].iter().any(|&q| {
                        self.cands[p]
                            .pools
                            .iter()
                            .any(|x| self.cands[q].pools.contains(x))
                    })
                });
                let table = self.screen(&set, 1);
                if !shared && table.is_some() {
                    return table.map(|mut s| {
                        self.probe(&mut s, false);
                        s
                    });
                }
                // Where paths share a pool the allocation in fine parts can be the worse start
                // (a path's output alone says little about it after another): also the one in
                // coarse parts (every third column of the same tables), each start in its best
                // order.
                let ordered = |s: Option<Split>| match s {
                    Some(s) if s.paths.len() <= 3 => Some(self.best_order(s)),
                    s => s,
                };
                let mut s: Option<Split> = None;
                for start in [
                    table,
                    self.screen(&set, 3),
                    self.start(&set, incumbent, SCREEN_SLICES),
                ] {
                    if let Some(t) = ordered(start) {
                        if s.as_ref().is_none_or(|b| gt(&t.value, &b.value)) {
                            s = Some(t);
                        }
                    }
                }
                if let [p, q] = set[..] {
                    self.pair_grid(p, q, &mut s);
                }
                // Order matters where paths share a pool: the first runs at the better price.
                s.map(|s| {
                    let mut s = if s.paths.len() <= 3 {
                        self.best_order(s)
                    } else {
                        s
                    };
                    self.probe(&mut s, true);
                    s
                })
            })
            .collect();
        screened.sort_by(|a, b| signed_cmp(&b.value, &a.value));
        // Sets with the very same value and shares are the same split over interchangeable
        // pools (parallel pools in the same state): refining more than one of them wastes a
        // slot another set could use.
        screened.dedup_by(|a, b| {
            let shares = |s: &Split| {
                let mut v = s.alloc.clone();
                v.sort_unstable();
                v
            };
            signed_cmp(&a.value, &b.value) == std::cmp::Ordering::Equal && shares(a) == shares(b)
        });
        screened.truncate(REFINED_SUBSETS);
        let incumbent_set: Vec<usize> = {
            let mut v = incumbent.paths.clone();
            v.sort_unstable();
            v
        };
        if !screened.iter().any(|s| {
            let mut v = s.paths.clone();
            v.sort_unstable();
            v == incumbent_set
        }) {
            screened.push(incumbent.clone());
        }
        let screened: Vec<Split> = screened
            .into_iter()
            .enumerate()
            .map(|(rank, s)| {
                let mut s = match self.start(&s.paths, incumbent, SCREEN_SLICES) {
                    Some(t) if gt(&t.value, &s.value) => t,
                    _ => s,
                };
                if self.saturated && rank < SATURATED_SETS && (2..=3).contains(&s.paths.len()) {
                    let mut set = s.paths.clone();
                    set.sort_unstable();
                    s = self.saturated_grid(&set, s);
                }
                s
            })
            .collect();
        for mut s in screened.into_iter().take(REFINED_SUBSETS) {
            let iters = EXCHANGES_PER_PATH * s.paths.len();
            self.refine(&mut s, iters);
            consider(s, &mut best);
        }
        tidy(best)
    }
}

/// Drops paths that got nothing.
pub(super) fn tidy(mut s: Split) -> Split {
    let mut k = 0;
    while k < s.paths.len() {
        if s.alloc[k].is_zero() {
            s.paths.remove(k);
            s.alloc.remove(k);
        } else {
            k += 1;
        }
    }
    s
}

/// Up to `limit` k-subsets of 0..n (each sorted), those sharing most with `prefer` first.
fn subsets(n: usize, k: usize, limit: usize, prefer: &[usize]) -> Vec<Vec<usize>> {
    fn go(start: usize, n: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            if n - i < k - cur.len() {
                break;
            }
            cur.push(i);
            go(i + 1, n, k, cur, out);
            cur.pop();
            if out.len() > 4096 {
                return;
            }
        }
    }
    let mut out = Vec::new();
    go(0, n, k, &mut Vec::new(), &mut out);
    out.sort_by_key(|s| std::cmp::Reverse(s.iter().filter(|x| prefer.contains(x)).count()));
    out.truncate(limit);
    out
}
