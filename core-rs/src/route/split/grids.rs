//! Where concavity fails: pairs through a shared pool on a coarse grid in both orders, a grid
//! of whole-fraction shares in every order when the input saturates, and the best path order.

use ruint::aliases::U256;

use super::{gt, Ctx, Split, PAIR_EDGE_STEPS, PAIR_GRID, SATURATED_GRID};

impl Ctx<'_> {
    /// Two paths through a shared pool, on a coarse grid of shares in both orders: one can pay
    /// far more once the other has moved that pool's price (or fit only beside it), in one
    /// order only, which neither greedy slices nor the tables see. Where the grid steps from a
    /// share that runs to one that does not, the edge between them is bisected: the total often
    /// climbs right up to where a pool runs dry. Keeps the best split in `best`.
    pub(super) fn pair_grid(&self, p: usize, q: usize, best: &mut Option<Split>) {
        let grid = U256::from(PAIR_GRID);
        for order in [[p, q], [q, p]] {
            let consider = |a: U256, best: &mut Option<Split>| -> bool {
                let alloc = vec![a, self.amount - a];
                let Some(value) = self.value(&order, &alloc) else {
                    return false;
                };
                if best.as_ref().is_none_or(|b| gt(&value, &b.value)) {
                    *best = Some(Split {
                        paths: order.to_vec(),
                        alloc,
                        value,
                    });
                }
                true
            };
            let mut prev: Option<(U256, bool)> = None;
            for k in 0..=PAIR_GRID {
                let a = self.amount * U256::from(k) / grid;
                let runs = consider(a, best);
                if let Some((b, ran)) = prev.filter(|&(_, ran)| ran != runs) {
                    let (mut ok, mut bad) = if ran { (b, a) } else { (a, b) };
                    for _ in 0..PAIR_EDGE_STEPS {
                        let mid = ok.min(bad) + (ok.max(bad) - ok.min(bad)) / U256::from(2u8);
                        if mid == ok || mid == bad {
                            break;
                        }
                        if consider(mid, best) {
                            ok = mid;
                        } else {
                            bad = mid;
                        }
                    }
                }
                prev = Some((a, runs));
            }
        }
    }

    /// Every order of the paths in `set` and every split of the input into `SATURATED_GRID`
    /// parts among them. Where the input saturates the paths' pools, the path that runs first
    /// through a shared pool drains it at a far better price than the rest, and the best
    /// shares are whole fractions of the input that greedy slices and marginal moves from a
    /// start in another order never reach. Returns the best of those and `best`.
    pub(super) fn saturated_grid(&self, set: &[usize], mut best: Split) -> Split {
        let m = set.len();
        let grid = U256::from(SATURATED_GRID);
        let mut cuts: Vec<Vec<u64>> = vec![Vec::new()];
        for _ in 1..m {
            cuts = cuts
                .into_iter()
                .flat_map(|c| {
                    let from = c.last().copied().unwrap_or(0);
                    (from..=SATURATED_GRID).map(move |x| {
                        let mut c = c.clone();
                        c.push(x);
                        c
                    })
                })
                .collect();
        }
        for perm in permutations(m) {
            let paths: Vec<usize> = perm.iter().map(|&k| set[k]).collect();
            for cut in &cuts {
                let mut edges = vec![0u64];
                edges.extend(cut);
                edges.push(SATURATED_GRID);
                let alloc: Vec<U256> = edges
                    .windows(2)
                    .map(|w| {
                        self.amount * U256::from(w[1]) / grid
                            - self.amount * U256::from(w[0]) / grid
                    })
                    .collect();
                if let Some(value) = self.value(&paths, &alloc) {
                    if gt(&value, &best.value) {
                        best = Split {
                            paths: paths.clone(),
                            alloc,
                            value,
                        };
                    }
                }
            }
        }
        best
    }

    /// The split's paths in the order (of up to 4 paths) that pays most for its amounts.
    pub(super) fn best_order(&self, s: Split) -> Split {
        let m = s.paths.len();
        if !(2..=4).contains(&m) {
            return s;
        }
        let mut top = s.clone();
        for perm in permutations(m) {
            let paths: Vec<usize> = perm.iter().map(|&k| s.paths[k]).collect();
            let alloc: Vec<U256> = perm.iter().map(|&k| s.alloc[k]).collect();
            if let Some(v) = self.value(&paths, &alloc) {
                if gt(&v, &top.value) {
                    top = Split {
                        paths,
                        alloc,
                        value: v,
                    };
                }
            }
        }
        top
    }
}

/// Every order of 0..n (n small).
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for pos in 0..=p.len() {
            let mut q = p.clone();
            q.insert(pos, n - 1);
            out.push(q);
        }
    }
    out
}
