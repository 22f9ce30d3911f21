//! Allocation over a fixed set of paths: the greedy start, then marginal exchanges between
//! paths, each sized by a line search on the exact total (or a grid scan where moves fail).

use ruint::aliases::U256;

use super::{
    gt, Ctx, Split, GREEDY_HALVINGS, GREEDY_STEPS, LINE_STEPS, MARGINAL_STEPS, SCAN_POINTS,
};
use crate::amm::SignedAmount;
use crate::route::graph::Overlay;
use crate::route::path::simulate_path;
use crate::route::pool::to_f64;

impl Ctx<'_> {
    /// Greedy start: the input in `SLICES` slices, each to the path that pays most for it at the
    /// state the earlier slices left (a path not used yet paying its hops' gas). Where a slice
    /// fits no path (the paths are near their capacity) the rest goes in halves, down to
    /// 1/2^GREEDY_HALVINGS of a slice; None if even that fits no path.
    pub(super) fn greedy(&self, paths: &[usize], slices: u64) -> Option<Split> {
        let n = U256::from(slices).min(self.amount);
        let slice = self.amount / n;
        let remainder = self.amount - slice * n;
        let floor = (slice >> GREEDY_HALVINGS).max(U256::from(1u8));
        let mut overlay = Overlay::new(self.graph);
        let mut alloc = vec![U256::ZERO; paths.len()];
        let mut left = self.amount;
        let mut piece = slice + remainder;
        let mut steps = 0u64;
        while !left.is_zero() {
            steps += 1;
            if steps > GREEDY_STEPS * slices {
                return None;
            }
            // A rest below the floor rides with this piece (dust alone may round to nothing).
            let amount = if left.saturating_sub(piece) <= floor {
                left
            } else {
                piece
            };
            let mut choice: Option<(usize, Vec<crate::route::pool::Leg>, SignedAmount)> = None;
            for (idx, &p) in paths.iter().enumerate() {
                let p = &self.cands[p];
                let Some(legs) = simulate_path(&overlay, &p.pools, &p.dirs, amount) else {
                    continue;
                };
                let Some(out) = legs.last().map(|l| l.amount_out) else {
                    continue;
                };
                let value = if alloc[idx].is_zero() {
                    self.worth(out, self.hop_units(p, &legs))
                } else {
                    SignedAmount::positive(out)
                };
                if choice.as_ref().is_none_or(|c| gt(&value, &c.2)) {
                    choice = Some((idx, legs, value));
                }
            }
            let Some((idx, legs, _)) = choice else {
                if amount <= floor {
                    return None;
                }
                piece = amount >> 1usize;
                continue;
            };
            let p = &self.cands[paths[idx]];
            for (h, leg) in legs.iter().enumerate() {
                let (i, j) = p.dirs[h];
                overlay.apply_leg(p.pools[h], i as usize, j as usize, leg);
            }
            alloc[idx] += amount;
            left -= amount;
            piece = piece.min(slice);
        }
        let value = self.value(paths, &alloc)?;
        Some(Split {
            paths: paths.to_vec(),
            alloc,
            value,
        })
    }

    /// Moves input between paths until their marginal outputs are equal (or `iters` moves):
    /// from the path whose last bit of input pays least to the one whose next bit pays most,
    /// by the amount a line search finds best. Keeps only moves that improve the exact value.
    pub(super) fn refine(&self, s: &mut Split, iters: usize) {
        let m = s.paths.len();
        if m < 2 {
            return;
        }
        let h = (self.amount >> 24usize).max(U256::from(1u8));
        let paths = s.paths.clone();
        let gross = |alloc: &[U256]| self.run(&paths, alloc).map(|(o, _)| to_f64(o));
        let mut scanned = false;
        for _ in 0..iters {
            let Some(g0) = gross(&s.alloc) else {
                return;
            };
            let mut up = vec![f64::NEG_INFINITY; m];
            let mut down = vec![f64::INFINITY; m];
            let mut trial = s.alloc.clone();
            let mut irregular = false;
            // A size that fails (a StableSwap pool far out of balance can fail at scattered
            // sizes) says little about its neighbours: each marginal comes from the first of a
            // few step sizes that runs.
            for i in 0..m {
                for (k, &mult) in MARGINAL_STEPS.iter().enumerate() {
                    let d = h * U256::from(mult);
                    trial[i] += d;
                    let g = gross(&trial);
                    trial[i] -= d;
                    if let Some(g) = g {
                        up[i] = (g - g0) / mult as f64;
                        break;
                    }
                    irregular |= k == 0;
                }
                for (k, &mult) in MARGINAL_STEPS.iter().enumerate() {
                    let d = h * U256::from(mult);
                    if s.alloc[i] < d {
                        break;
                    }
                    trial[i] -= d;
                    let g = gross(&trial);
                    trial[i] += d;
                    if let Some(g) = g {
                        down[i] = (g0 - g) / mult as f64;
                        break;
                    }
                    irregular |= k == 0;
                }
            }
            // Where some sizes fail the marginals mislead: also try a grid of moves.
            let mut stuck = |s: &mut Split| {
                let again = irregular && !scanned && self.scan(s);
                scanned |= irregular;
                !again
            };
            // Receiver / donor pairs by marginal gap, widest first. A pair whose line search
            // cannot improve (its receiver at the edge of what it can take, say) gives way to
            // the next: another pair may still be far from equal marginals.
            let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
            for (i, &ui) in up.iter().enumerate() {
                for (j, &dj) in down.iter().enumerate() {
                    if i == j || s.alloc[j].is_zero() || !ui.is_finite() {
                        continue;
                    }
                    // Converged once the marginal outputs agree to 1e-7 (the rest is rounding
                    // noise).
                    let gap = ui - dj.min(f64::MAX);
                    if gap > 1e-7 * ui.abs() {
                        pairs.push((i, j, gap));
                    }
                }
            }
            pairs.sort_by(|a, b| b.2.total_cmp(&a.2));
            let moved = pairs.iter().any(|&(i, j, _)| self.line_search(s, i, j, h));
            if !moved && stuck(s) {
                return;
            }
        }
    }

    /// The best move of a grid fraction of one path's input to another; true if it improved.
    fn scan(&self, s: &mut Split) -> bool {
        let m = s.paths.len();
        let mut best: Option<(Vec<U256>, SignedAmount)> = None;
        for i in 0..m {
            for j in 0..m {
                if i == j || s.alloc[j].is_zero() {
                    continue;
                }
                for k in 1..=SCAN_POINTS {
                    let t = s.alloc[j] * U256::from(k) / U256::from(SCAN_POINTS);
                    let mut a = s.alloc.clone();
                    a[i] += t;
                    a[j] -= t;
                    if let Some(v) = self.value(&s.paths, &a) {
                        let top = best.as_ref().map_or(&s.value, |b| &b.1);
                        if gt(&v, top) {
                            best = Some((a, v));
                        }
                    }
                }
            }
        }
        match best {
            Some((a, v)) => {
                s.alloc = a;
                s.value = v;
                true
            }
            None => false,
        }
    }

    /// Moves t in (0, alloc[j]] from path j to path i, t maximising the exact total; true if
    /// the value improved.
    fn line_search(&self, s: &mut Split, i: usize, j: usize, h: U256) -> bool {
        let top = s.alloc[j];
        let at = |t: U256| {
            let mut a = s.alloc.clone();
            a[i] += t;
            a[j] -= t;
            a
        };
        let gross = |t: U256| self.run(&s.paths, &at(t)).map(|(o, _)| to_f64(o));
        // Slope of the total at t (per h moved), None where moving t fails.
        let slope = |t: U256| -> Option<f64> {
            if t + h > top {
                let lo = t.saturating_sub(h);
                Some(gross(t)? - gross(lo)?)
            } else {
                Some(gross(t + h)? - gross(t)?)
            }
        };
        let mut best: Option<(U256, SignedAmount)> = None;
        let consider = |t: U256, best: &mut Option<(U256, SignedAmount)>| {
            if let Some(v) = self.value(&s.paths, &at(t)) {
                if best.as_ref().is_none_or(|b| gt(&v, &b.1)) {
                    *best = Some((t, v));
                }
            }
        };
        let (mut lo, mut hi) = (U256::ZERO, top);
        let mut s_lo = slope(U256::ZERO).unwrap_or(0.0);
        let mut s_hi = slope(top);
        if matches!(s_hi, Some(x) if x >= 0.0) {
            // Moving everything still pays: the donor is dropped.
            consider(top, &mut best);
        } else {
            let tol = (self.amount >> 22usize).max(U256::from(1u8));
            let mut side = 0i32;
            let mut irregular = s_hi.is_none();
            for _ in 0..LINE_STEPS {
                if hi - lo <= tol {
                    break;
                }
                let width = hi - lo;
                let t = match s_hi {
                    Some(sh) if s_lo > 0.0 && sh < 0.0 => {
                        // Regula falsi on the slope (Illinois: halve the stale end's weight).
                        let f = (s_lo / (s_lo - sh)).clamp(1.0 / 64.0, 63.0 / 64.0);
                        let step = crate::route::pool::from_f64(to_f64(width) * f)
                            .unwrap_or(width >> 1usize)
                            .max(U256::from(1u8))
                            .min(width - U256::from(1u8));
                        lo + step
                    }
                    _ => lo + (width >> 1usize),
                };
                match slope(t) {
                    Some(st) if st > 0.0 => {
                        lo = t;
                        s_lo = st;
                        if side == -1 {
                            s_hi = s_hi.map(|x| x / 2.0);
                        }
                        side = -1;
                    }
                    Some(st) => {
                        hi = t;
                        s_hi = Some(st);
                        if side == 1 {
                            s_lo /= 2.0;
                        }
                        side = 1;
                    }
                    None => {
                        hi = t;
                        s_hi = None;
                        side = 0;
                        irregular = true;
                    }
                }
            }
            consider(lo, &mut best);
            consider(hi, &mut best);
            if irregular {
                // Some moves fail (a StableSwap pool far out of balance can fail at scattered
                // sizes, a V3 pool runs dry): the feasible set need not be an interval, so
                // also try a grid of moves.
                for k in 1..SCAN_POINTS {
                    consider(top * U256::from(k) / U256::from(SCAN_POINTS), &mut best);
                }
            }
        }
        match best {
            Some((t, v)) if gt(&v, &s.value) && !t.is_zero() => {
                s.alloc = at(t);
                s.value = v;
                true
            }
            _ => false,
        }
    }
}
