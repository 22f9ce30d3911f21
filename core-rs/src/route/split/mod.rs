//! Split routes: one input spread over up to `max_splits` paths to maximise the total output net
//! of gas. Paths run one after another against shared pool state, so two paths through one pool
//! never count its liquidity twice.
//!
//! Two parts, alternated for a few rounds:
//!
//! - Candidate paths. Besides the best single route (at the whole input and at a quarter of
//!   it), every round asks the exact search on the state the current split leaves: the best
//!   path for a new share of the input once the chosen paths have run (a partner), and for each
//!   chosen path the best path for its share once the others have run (a replacement: a path
//!   that avoids the pools the others already use). A path that only pays well next to the
//!   others is found this way even when it is never the best route on its own.
//! - Allocation over a set of paths: the output is concave in each path's share (AMM outputs
//!   are), so the optimum equalises the paths' marginal outputs. Start from greedy slices (each
//!   to the path paying most for it at the state the earlier slices left), then repeatedly move
//!   input from the path with the lowest marginal output to the one with the highest, sized by a
//!   line search on the exactly simulated total (regula falsi on its slope); a set of paths too
//!   large for `max_splits` is cut down by trying subsets. Floats only steer the line search;
//!   every amount is an integer and every total an exact simulation of the paths in order.
//! - Where that concavity fails the allocation must not stall: a path that fits only a small
//!   share (it drains a thin pool), or pays well only when it runs before another path through
//!   a shared pool (which can move that pool's price in its favour), or a set whose paths are
//!   all near capacity. Sets are screened with small shares for their empty paths, pairs
//!   through a shared pool on a coarse grid in both orders, greedy slices halved near
//!   capacity; a line search that cannot move gives way to the next pair of paths.
//!
//! The result is never below the best single route: that route is the fallback.

use ruint::aliases::U256;

use super::error::RouteResult;
use super::gas::GasPricing;
use super::graph::{Overlay, PoolGraph, PoolView};
use super::layered::top_routes_layered;
use super::pool::to_f64;
use super::search::{
    best_route_in, net, pricing, route_from_legs, signed_cmp, signed_f64, simulate_path, Route,
    RouteOptions,
};
use crate::amm::SignedAmount;

/// Parts of the input in the candidates' output tables. Screening ranks sets by the best
/// allocation in whole parts, so a path whose best share falls between coarse parts (a thin
/// pool at a better price) would rank below sets of interchangeable deep pools and miss
/// refinement; a table costs one simulation per part and candidate.
const TABLE_STEPS: usize = 24;
/// Slices of the greedy start of an allocation when screening sets of paths.
const SCREEN_SLICES: u64 = 12;
/// Halvings of a greedy slice that fits no path before the greedy start gives up, and its
/// most steps per slice.
const GREEDY_HALVINGS: usize = 6;
const GREEDY_STEPS: u64 = 4;
/// Candidate paths each search contributes (the test of a split's quality is the best split
/// over the few best single paths at the whole input and at parts of it).
const TOP_PATHS: usize = 6;
/// Partner-discovery rounds (one search each, on the state the current split leaves).
const ROUNDS: usize = 2;
/// Paths each partner search contributes.
const PARTNERS: usize = 2;
/// Most candidate paths kept: the best from the searches on the graph, then partners.
const BASE_CANDIDATES: usize = 7;
const MAX_CANDIDATES: usize = 10;
/// Shares of the grid a pair of paths through a shared pool is screened on, in both orders,
/// and bisection steps on an edge of that grid where the pair stops running.
const PAIR_GRID: u64 = 8;
const PAIR_EDGE_STEPS: usize = 8;
/// Most subsets whose allocation is screened when there are more candidates than max_splits.
const MAX_SUBSETS: usize = 40;
/// Subsets screened by their greedy start that get the full refinement.
const REFINED_SUBSETS: usize = 5;
/// Parts of the input in the grid of shares (every order) tried on the best-screened sets of
/// paths when the input saturates the best route.
const SATURATED_GRID: u64 = 10;
/// Best-screened sets that get that grid (it costs a few hundred simulations per set).
const SATURATED_SETS: usize = 2;
/// Marginal-exchange iterations per path of a set.
const EXCHANGES_PER_PATH: usize = 6;
/// The probe's ladder of small shares: the largest share >> k for k = PROBE_FIRST, then every
/// PROBE_STEP up to PROBE_LAST.
const PROBE_FIRST: usize = 3;
const PROBE_LAST: usize = 24;
const PROBE_STEP: usize = 3;
/// Step sizes (in units of the marginal step) tried in turn where a marginal's step fails.
const MARGINAL_STEPS: [u64; 3] = [1, 3, 7];
/// Grid points a line search also tries where some moves fail.
const SCAN_POINTS: u64 = 40;
/// Steps of one line search.
const LINE_STEPS: usize = 40;

#[derive(Clone, Debug)]
pub struct SplitRoute {
    pub routes: Vec<Route>,
    pub amount_out: U256,
    pub gas_estimate: u64,
    pub gas_cost: U256,
    pub amount_out_net: SignedAmount,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Path {
    pools: Vec<u32>,
    dirs: Vec<(u8, u8)>,
    tokens: Vec<u32>,
}

impl Path {
    fn of(r: &Route) -> Path {
        Path {
            pools: r.pools.clone(),
            dirs: r.directions.clone(),
            tokens: r.tokens[1..].to_vec(),
        }
    }
}

/// An allocation of the input over some candidate paths (indices into the candidate list, in
/// the order they run) and its exact value net of gas.
#[derive(Clone, Debug)]
struct Split {
    paths: Vec<usize>,
    alloc: Vec<U256>,
    value: SignedAmount,
}

fn gt(a: &SignedAmount, b: &SignedAmount) -> bool {
    signed_cmp(a, b) == std::cmp::Ordering::Greater
}

struct Ctx<'a> {
    graph: &'a PoolGraph,
    src: u32,
    dst: u32,
    amount: U256,
    opts: &'a RouteOptions,
    gas: GasPricing,
    cands: Vec<Path>,
    /// Per candidate: its output table (see `add`).
    tables: Vec<Vec<f64>>,
    /// Per candidate whose table is empty: an input it can take.
    small: Vec<Option<U256>>,
    /// The input saturates the best single route (half of it yields nearly as much).
    saturated: bool,
}

impl Ctx<'_> {
    fn add(&mut self, p: Path) -> bool {
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

    fn hop_units(&self, p: &Path, legs: &[super::pool::Leg]) -> u64 {
        p.pools
            .iter()
            .zip(legs)
            .map(|(&q, l)| self.gas.model.hop(self.graph.pool(q), l.ticks_crossed))
            .sum()
    }

    fn worth(&self, out: U256, units: u64) -> SignedAmount {
        if self.gas.is_free() {
            SignedAmount::positive(out)
        } else {
            net(out, self.gas.cost(units))
        }
    }

    /// The state after running `paths` with `alloc` in order (zero shares skipped), skipping
    /// path `except`; None if a leg fails.
    fn state_after(
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
    fn run(&self, paths: &[usize], alloc: &[U256]) -> Option<(U256, u64)> {
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

    fn value(&self, paths: &[usize], alloc: &[U256]) -> Option<SignedAmount> {
        self.run(paths, alloc).map(|(o, u)| self.worth(o, u))
    }

    /// Greedy start: the input in `SLICES` slices, each to the path that pays most for it at the
    /// state the earlier slices left (a path not used yet paying its hops' gas). Where a slice
    /// fits no path (the paths are near their capacity) the rest goes in halves, down to
    /// 1/2^GREEDY_HALVINGS of a slice; None if even that fits no path.
    fn greedy(&self, paths: &[usize], slices: u64) -> Option<Split> {
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
            let mut choice: Option<(usize, Vec<super::pool::Leg>, SignedAmount)> = None;
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
    fn refine(&self, s: &mut Split, iters: usize) {
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

    /// Gives each path of the split that got nothing the best share of a geometric ladder
    /// (1/8 of the largest share down to 1/2^24 of it, taken from that share), run first or
    /// last where paths share a pool. Coarse starts (table parts, greedy slices) never give a
    /// path less than a whole part, yet a path that drains a thin pool, or one that pays well
    /// only when it runs before another through a shared pool, can be worth a small share; and
    /// a set whose start leaves a path empty would be screened out unseen.
    fn probe(&self, s: &mut Split, shared: bool) {
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

    /// Two paths through a shared pool, on a coarse grid of shares in both orders: one can pay
    /// far more once the other has moved that pool's price (or fit only beside it), in one
    /// order only, which neither greedy slices nor the tables see. Where the grid steps from a
    /// share that runs to one that does not, the edge between them is bisected: the total often
    /// climbs right up to where a pool runs dry. Keeps the best split in `best`.
    fn pair_grid(&self, p: usize, q: usize, best: &mut Option<Split>) {
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
    fn saturated_grid(&self, set: &[usize], mut best: Split) -> Split {
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
                        let step = super::pool::from_f64(to_f64(width) * f)
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

    /// A starting allocation over the paths in `set` (in that order): the best of the greedy
    /// slices, the incumbent `warm` split (when its paths are all in the set) and every path
    /// of the set taking the whole input alone. Greedy slices can dead-end (a slice that fits
    /// no path once earlier slices used up a shared pool) where another start does not.
    fn start(&self, set: &[usize], warm: &Split, slices: u64) -> Option<Split> {
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
    fn screen(&self, set: &[usize], stride: usize) -> Option<Split> {
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

    /// The split's paths in the order (of up to 4 paths) that pays most for its amounts.
    fn best_order(&self, s: Split) -> Split {
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

    /// The best split using at most `k` of the candidates.
    fn select(&self, k: usize, incumbent: &Split) -> Split {
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

    /// The best paths for `amount` over the state the split leaves, added as candidates
    /// (ranked after those found before); true if one is new.
    fn discover(&mut self, s: &Split, amount: U256, keep: usize) -> bool {
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

/// Drops paths that got nothing.
fn tidy(mut s: Split) -> Split {
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

/// Runs the paths in order with their amounts over shared state; None if a leg fails.
fn evaluate(
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

pub fn split_route(
    graph: &PoolGraph,
    src: u32,
    dst: u32,
    amount_in: U256,
    opts: &RouteOptions,
    max_splits: usize,
) -> RouteResult<SplitRoute> {
    let single = best_route_in(graph, graph, src, dst, amount_in, opts, true)?;
    let gas = pricing(graph, dst, opts);
    let single_split = SplitRoute {
        amount_out: single.amount_out(),
        gas_estimate: single.gas_estimate,
        gas_cost: single.gas_cost,
        amount_out_net: single.amount_out_net,
        routes: vec![single.clone()],
    };
    if max_splits <= 1 || amount_in < U256::from(2u8) {
        return Ok(single_split);
    }
    let mut ctx = Ctx {
        graph,
        src,
        dst,
        amount: amount_in,
        opts,
        gas,
        cands: Vec::new(),
        tables: Vec::new(),
        small: Vec::new(),
        saturated: simulate_path(
            graph,
            &single.pools,
            &single.directions,
            amount_in >> 1usize,
        )
        .and_then(|legs| legs.last().map(|l| l.amount_out))
        .is_some_and(|half| {
            let whole = single.amount_out();
            whole - whole.min(half) < whole / U256::from(1_000_000u32)
        }),
    };
    ctx.add(Path::of(&single));
    // Candidates: the best few paths at the whole input and at parts of it (a path with the
    // best price but little depth wins on a part), ranked by their output per unit of input
    // at the size where it is best.
    let mut ranked: Vec<(f64, Path)> = Vec::new();
    for shift in [0usize, 2, 4] {
        let x = amount_in >> shift;
        if x.is_zero() {
            break;
        }
        let scale = to_f64(amount_in) / to_f64(x);
        for r in top_routes_layered(graph, graph, src, dst, x, opts, TOP_PATHS, false) {
            let v = signed_f64(&r.amount_out_net) * scale;
            let p = Path::of(&r);
            match ranked.iter_mut().find(|(_, q)| *q == p) {
                Some(e) => e.0 = e.0.max(v),
                None => ranked.push((v, p)),
            }
        }
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, p) in ranked.into_iter().take(BASE_CANDIDATES) {
        ctx.add(p);
    }
    let mut best = Split {
        paths: vec![0],
        alloc: vec![amount_in],
        value: single.amount_out_net,
    };
    best = ctx.select(max_splits, &best);
    for _ in 0..ROUNDS {
        // Partners: the best paths for a new share once the chosen paths have run at the rest
        // (a path that pays well only next to them, avoiding the pools they use).
        let m = best.paths.len() as u64;
        let share = amount_in / U256::from(m + 1);
        let scaled = Split {
            paths: best.paths.clone(),
            alloc: best
                .alloc
                .iter()
                .map(|a| *a - *a / U256::from(m + 1))
                .collect(),
            value: best.value,
        };
        if !ctx.discover(&scaled, share, PARTNERS) {
            break;
        }
        let before = best.paths.clone();
        best = ctx.select(max_splits, &best);
        if best.paths == before {
            break;
        }
    }
    // The paths' order matters where they share pools: keep the best order.
    let m = best.paths.len();
    let top = ctx.best_order(best.clone());
    if top.paths != best.paths {
        best = top;
        ctx.refine(&mut best, EXCHANGES_PER_PATH * m);
        best = tidy(best);
    }
    let paths: Vec<&Path> = best.paths.iter().map(|&k| &ctx.cands[k]).collect();
    match evaluate(graph, src, &paths, &best.alloc, &ctx.gas) {
        Some(s)
            if signed_cmp(&s.amount_out_net, &single_split.amount_out_net)
                == std::cmp::Ordering::Greater =>
        {
            Ok(s)
        }
        _ => Ok(single_split),
    }
}
