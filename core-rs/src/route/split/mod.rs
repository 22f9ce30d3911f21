//! Split routes: one input spread over up to `max_splits` paths to maximise the total output net
//! of gas. Paths run one after another against shared pool state, so two paths through one pool
//! never count its liquidity twice.
//!
//! Two parts, alternated for a few rounds:
//!
//! - Candidate paths. Besides the best few single routes (at the whole input, a quarter and a
//!   sixteenth of it), every round asks the exact search on the state the current split leaves
//!   for the best paths for a new share of the input once the chosen paths have run at the rest
//!   (partners: paths that avoid, or tolerate, the pools the others already use). A path that
//!   only pays well next to the others is found this way even when it is never the best route
//!   on its own.
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

mod allocate;
mod candidates;
mod grids;
mod select;
mod simulate;
mod starts;

use ruint::aliases::U256;

use super::best_route_in;
use super::error::RouteResult;
use super::gas::GasPricing;
use super::graph::PoolGraph;
use super::layered::top_routes_layered;
use super::path::{pricing, signed_cmp, signed_f64, simulate_path, Route, RouteOptions};
use super::pool::to_f64;
use crate::amm::SignedAmount;
use select::tidy;
use simulate::evaluate;

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
