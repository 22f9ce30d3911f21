//! The fast exact search behind `best_route`: best-first, layer by layer (one hop per layer),
//! with prunings that never drop the optimum.
//!
//! - Bounds: a candidate leg is skipped when an upper bound of what it can still deliver, net
//!   of the least gas still due, is below the best route found. The bound of amount y at token
//!   u with r hops left is min(y * R_r(u), C_r(u)): R the best product of spot-rate bounds to
//!   the target, C the most any r-hop path's pools can pay out (outputs never exceed a pool's
//!   holdings). Candidates run in decreasing bound order, so the first one below the best
//!   route ends the layer. A V3 leg whose input surely exceeds the pool's liquidity is refused
//!   without simulating it.
//! - Last legs: the partial paths that can end through one pool are tried in decreasing
//!   amount; the first that goes through pays at least what any smaller input can (every AMM
//!   output is non-decreasing in its input), so smaller ones are simulated only if their lower
//!   gas could still win.
//! - An early, beam-limited dive from the strongest first hops finds a good route before the
//!   exhaustive layers start, so the bounds bite from the beginning; it decides nothing itself.

use ruint::aliases::U256;

use super::error::RouteResult;
use super::gas::GasPricing;
use super::graph::{PoolGraph, PoolView};
use super::path::{
    net, not_found, pricing, rate_bounds, signed_cmp, signed_f64, Route, RouteOptions,
};
use super::pool::to_f64;
use crate::amm::SignedAmount;

const NO_PARENT: u32 = u32::MAX;
/// How many first hops the early dive starts from, and how many legs it follows at each step.
const DIVE_STARTS: usize = 8;
const DIVE_BEAM: usize = 3;

#[derive(Clone, Copy)]
struct Node {
    parent: u32,
    pool: u32,
    dir: (u8, u8),
    token: u32,
    amount: U256,
    ticks: u32,
}

#[derive(Clone, Copy)]
struct Label {
    token: u32,
    amount: U256,
    amount_f: f64,
    gas: u64,
    node: u32,
}

/// `caps[r][t]`: the most any path of at most r pools from t to the target can pay out.
fn cap_bounds<V: PoolView>(
    graph: &PoolGraph,
    view: &V,
    target: u32,
    rates: &[Vec<f64>],
) -> Vec<Vec<f64>> {
    let n = graph.token_count();
    let max_r = rates.len() - 1;
    let mut caps = vec![vec![0.0f64; n]; max_r + 1];
    caps[0][target as usize] = f64::INFINITY;
    for r in 1..=max_r {
        let (prev, rest) = caps.split_at_mut(r);
        let (prev, cur) = (&prev[r - 1], &mut rest[0]);
        cur.copy_from_slice(prev);
        let prev_rate = &rates[r - 1];
        for (u, &cu) in prev.iter().enumerate() {
            if cu <= 0.0 {
                continue;
            }
            for e in graph.edges(u as u32) {
                let pool = view.pool(e.pool);
                // The route uses t -> u, the reverse of the edge u -> t.
                let d = pool.direction(e.j as usize, e.i as usize);
                let c = (pool.cap_out[d] * prev_rate[u]).min(cu);
                let t = e.to as usize;
                if c > cur[t] {
                    cur[t] = c;
                }
            }
        }
    }
    caps
}

struct Layered<'a, V: PoolView> {
    graph: &'a PoolGraph,
    view: &'a V,
    src: u32,
    dst: u32,
    max_hops: usize,
    gas: GasPricing,
    allow_fot: bool,
    bounds: super::graph::TargetBounds,
    nodes: Vec<Node>,
    best: Option<(u32, u64, SignedAmount, usize)>,
    best_f: f64,
    /// How many routes to keep: 1 for `best_route`; more for [`top_routes_layered`], which
    /// then prunes against the worst route kept instead of the best.
    keep: usize,
    /// The best `keep` routes on distinct paths (node, gas units, net), best first.
    top: Vec<(u32, u64, SignedAmount)>,
    floor_f: f64,
}

impl<V: PoolView> Layered<'_, V> {
    /// Whether the path ending at `node` already visits `token` or uses `pool` (a pool of 3+
    /// coins could otherwise serve two legs, simulated as if the first had not moved it).
    fn path_has(&self, mut node: u32, token: u32, pool: u32) -> bool {
        while node != NO_PARENT {
            let n = &self.nodes[node as usize];
            if n.token == token || n.pool == pool {
                return true;
            }
            node = n.parent;
        }
        self.src == token
    }

    /// Whether two nodes end the same sequence of pools.
    fn same_path(&self, mut a: u32, mut b: u32) -> bool {
        while a != NO_PARENT && b != NO_PARENT {
            let (x, y) = (&self.nodes[a as usize], &self.nodes[b as usize]);
            if x.pool != y.pool || x.token != y.token {
                return false;
            }
            a = x.parent;
            b = y.parent;
        }
        a == b
    }

    fn consider(&mut self, node: u32, gas_units: u64, out: U256, hops: usize) {
        let cost = self.gas.cost(gas_units);
        let candidate = net(out, cost);
        if self.keep > 1 && !self.top.iter().any(|t| self.same_path(t.0, node)) {
            let at = self
                .top
                .iter()
                .position(|t| signed_cmp(&candidate, &t.2) == std::cmp::Ordering::Greater)
                .unwrap_or(self.top.len());
            if at < self.keep {
                self.top.insert(at, (node, gas_units, candidate));
                self.top.truncate(self.keep);
                if self.top.len() == self.keep {
                    self.floor_f = signed_f64(&self.top[self.keep - 1].2);
                }
            }
        }
        let better = match &self.best {
            None => true,
            Some((_, _, b, bh)) => match signed_cmp(&candidate, b) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Equal => hops < *bh,
                std::cmp::Ordering::Less => false,
            },
        };
        if better {
            self.best_f = signed_f64(&candidate);
            self.best = Some((node, gas_units, candidate, hops));
        }
    }

    /// The upper bound of a leg from `lab` through `e` (see the module doc), or None where the
    /// leg cannot lead to the target within the hops left.
    fn leg_bound(&self, lab: &Label, e: &super::graph::Edge, h: usize) -> Option<f64> {
        let graph = self.graph;
        let u = e.to;
        let remaining = self.max_hops - h;
        let (rate_rest, cap_rest) = if u == self.dst {
            (1.0, f64::INFINITY)
        } else {
            if remaining == 0 {
                return None;
            }
            (
                self.bounds.0[remaining][u as usize],
                self.bounds.1[remaining][u as usize],
            )
        };
        if rate_rest <= 0.0
            || (!self.allow_fot && graph.token(u).fee_on_transfer)
            || self.path_has(lab.node, u, e.pool)
        {
            return None;
        }
        let pool = self.view.pool(e.pool);
        let d = pool.direction(e.i as usize, e.j as usize);
        let rate = pool.rate_ub[d];
        if rate <= 0.0 || lab.amount_f > pool.cap_in_max[d] {
            return None;
        }
        // Integer rounding can beat a marginal rate by a unit or two per leg.
        let y = (lab.amount_f * rate + 2.0 * (remaining + 1) as f64).min(pool.cap_out[d]);
        let later = if u == self.dst {
            0
        } else {
            self.gas.model.min_hop()
        };
        let gas_lb = lab.gas + self.gas.model.hop(pool, 0) + later;
        Some(((y * rate_rest) + 2.0).min(cap_rest) - self.gas.cost_f64(gas_lb) * (1.0 - 1e-9))
    }

    /// Simulates a leg; a new node and, unless it reached the target, a new label.
    fn extend(&mut self, lab: &Label, e: &super::graph::Edge, h: usize) -> Option<Option<Label>> {
        let pool = self.view.pool(e.pool);
        let leg = pool.quote_in(e.i as usize, e.j as usize, lab.amount)?;
        let gas = lab.gas + self.gas.model.hop(pool, leg.ticks_crossed);
        self.nodes.push(Node {
            parent: lab.node,
            pool: e.pool,
            dir: (e.i, e.j),
            token: e.to,
            amount: leg.amount_out,
            ticks: leg.ticks_crossed,
        });
        let node = (self.nodes.len() - 1) as u32;
        if e.to == self.dst {
            self.consider(node, gas, leg.amount_out, h);
            Some(None)
        } else {
            Some(Some(Label {
                token: e.to,
                amount: leg.amount_out,
                amount_f: to_f64(leg.amount_out),
                gas,
                node,
            }))
        }
    }

    /// A quick beam-limited dive from a label, only to find a good route early so the exact
    /// search prunes from the start (it decides nothing itself).
    fn dive(&mut self, lab: Label, h: usize) {
        let graph = self.graph;
        let mut options: Vec<(f64, super::graph::Edge)> = graph
            .edges(lab.token)
            .iter()
            .filter_map(|e| self.leg_bound(&lab, e, h).map(|ub| (ub, *e)))
            .filter(|(ub, _)| !self.pruned(*ub))
            .collect();
        options.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
        for (ub, e) in options.into_iter().take(DIVE_BEAM) {
            if self.pruned(ub) {
                break;
            }
            if let Some(Some(next)) = self.extend(&lab, &e, h) {
                if h < self.max_hops {
                    self.dive(next, h + 1);
                }
            }
        }
    }

    /// The legs into the target: per pool, inputs in decreasing amount. The first that goes
    /// through pays the most any smaller input can (outputs are non-decreasing in the input),
    /// so smaller ones are tried only where less gas spent so far could still win.
    fn finish_layer(
        &mut self,
        layer: &[Label],
        mut finals: Vec<(U256, f64, usize, super::graph::Edge)>,
        h: usize,
    ) {
        finals.sort_unstable_by(|a, b| {
            (a.3.pool, a.3.i)
                .cmp(&(b.3.pool, b.3.i))
                .then(b.0.cmp(&a.0))
        });
        let mut k = 0;
        while k < finals.len() {
            let key = (finals[k].3.pool, finals[k].3.i);
            let mut got: Option<f64> = None;
            while k < finals.len() && (finals[k].3.pool, finals[k].3.i) == key {
                let (_, ub, li, e) = finals[k];
                k += 1;
                let lab = layer[li];
                let ub = match got {
                    None => ub,
                    Some(_) if self.gas.is_free() && self.keep == 1 => continue,
                    Some(y) => {
                        let pool = self.view.pool(e.pool);
                        y - self.gas.cost_f64(lab.gas + self.gas.model.hop(pool, 0)) * (1.0 - 1e-9)
                    }
                };
                if self.pruned(ub) {
                    continue;
                }
                let before = self.nodes.len();
                if self.extend(&lab, &e, h).is_some() {
                    got = Some(to_f64(self.nodes[before].amount) + 1.0);
                }
            }
        }
    }

    fn pruned(&self, ub: f64) -> bool {
        if self.keep > 1 {
            return ub + 1.0 + self.floor_f.abs() * 1e-9 < self.floor_f;
        }
        self.best.is_some() && ub + 1.0 + self.best_f.abs() * 1e-9 < self.best_f
    }

    fn run(&mut self, amount_in: U256) {
        let graph = self.graph;
        let mut layer = vec![Label {
            token: self.src,
            amount: amount_in,
            amount_f: to_f64(amount_in),
            gas: self.gas.model.base,
            node: NO_PARENT,
        }];
        for h in 1..=self.max_hops {
            let mut cands: Vec<(f64, usize, super::graph::Edge)> = Vec::new();
            let mut finals: Vec<(U256, f64, usize, super::graph::Edge)> = Vec::new();
            let hops_left = self.max_hops - h + 1;
            for (li, lab) in layer.iter().enumerate() {
                // A label whose whole future is bounded below the best route is dropped
                // before its edges are even looked at.
                if lab.node != NO_PARENT {
                    let t = lab.token as usize;
                    let ub = (lab.amount_f * self.bounds.0[hops_left][t] + 2.0 * hops_left as f64)
                        .min(self.bounds.1[hops_left][t])
                        - self.gas.cost_f64(lab.gas + self.gas.model.min_hop()) * (1.0 - 1e-9);
                    if self.bounds.0[hops_left][t] <= 0.0 || self.pruned(ub) {
                        continue;
                    }
                }
                for e in graph.edges(lab.token) {
                    let Some(ub) = self.leg_bound(lab, e, h) else {
                        continue;
                    };
                    if self.pruned(ub) {
                        continue;
                    }
                    if e.to == self.dst {
                        finals.push((lab.amount, ub, li, *e));
                    } else {
                        cands.push((ub, li, *e));
                    }
                }
            }
            self.finish_layer(&layer, finals, h);
            // Seed the best route early: dive from the strongest labels after the first hop.
            if h == 1 && self.max_hops >= 2 {
                let mut order: Vec<usize> = (0..cands.len()).collect();
                order.sort_unstable_by(|&a, &b| cands[b].0.total_cmp(&cands[a].0));
                for &k in order.iter().take(DIVE_STARTS) {
                    let (_, li, e) = cands[k];
                    let lab = layer[li];
                    if let Some(Some(next)) = self.extend(&lab, &e, h) {
                        self.dive(next, h + 1);
                    }
                }
            }
            cands.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
            let mut next: Vec<Label> = Vec::new();
            for (ub, li, e) in cands {
                if self.pruned(ub) {
                    break;
                }
                let lab = layer[li];
                if let Some(Some(l)) = self.extend(&lab, &e, h) {
                    next.push(l);
                }
            }
            if next.is_empty() {
                break;
            }
            layer = next;
        }
    }

    fn route(
        &self,
        node: u32,
        gas_units: u64,
        amount_out_net: SignedAmount,
        amount_in: U256,
    ) -> Route {
        let mut chain = Vec::new();
        let mut k = node;
        while k != NO_PARENT {
            chain.push(self.nodes[k as usize]);
            k = self.nodes[k as usize].parent;
        }
        chain.reverse();
        let mut tokens = vec![self.src];
        let mut amounts = vec![amount_in];
        for n in &chain {
            tokens.push(n.token);
            amounts.push(n.amount);
        }
        Route {
            pools: chain.iter().map(|n| n.pool).collect(),
            directions: chain.iter().map(|n| n.dir).collect(),
            tokens,
            amounts,
            ticks_crossed: chain.iter().map(|n| n.ticks).collect(),
            gas_estimate: gas_units,
            gas_cost: self.gas.cost(gas_units),
            amount_out_net,
        }
    }
}

/// `best_route`'s search (see the module doc); equal to the exhaustive optimum.
pub fn best_route_layered<V: PoolView>(
    graph: &PoolGraph,
    view: &V,
    src: u32,
    dst: u32,
    amount_in: U256,
    opts: &RouteOptions,
) -> RouteResult<Route> {
    let s = layered_with(graph, view, src, dst, amount_in, opts, false, 1);
    match s.best {
        Some((node, gas_units, n, _)) => Ok(s.route(node, gas_units, n, amount_in)),
        None => Err(not_found(
            graph,
            src,
            dst,
            opts.max_hops,
            "that absorbs the whole input",
        )),
    }
}

/// The `keep` best routes on distinct paths (best first), by the same search pruned against
/// the worst route kept: candidate paths for split routing. With `graph_bounds` the search
/// runs over `view` (a few pools moved from `graph`'s state, as a split's earlier paths leave
/// them) but prunes with `graph`'s cached bounds instead of computing bounds of the view. A
/// moved pool pays less than its bound in the direction it was traded but can pay more in the
/// other, so a route gaining from such a reversal may be missed; and a path that reaches the
/// target through the same last pool as a kept one with a smaller input may be skipped. A
/// heuristic, fine for candidates that split routing then simulates exactly.
#[allow(clippy::too_many_arguments)]
pub fn top_routes_layered<V: PoolView>(
    graph: &PoolGraph,
    view: &V,
    src: u32,
    dst: u32,
    amount_in: U256,
    opts: &RouteOptions,
    keep: usize,
    graph_bounds: bool,
) -> Vec<Route> {
    let s = layered_with(
        graph,
        view,
        src,
        dst,
        amount_in,
        opts,
        graph_bounds,
        keep.max(2),
    );
    s.top
        .iter()
        .map(|&(node, gas_units, n)| s.route(node, gas_units, n, amount_in))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn layered_with<'a, V: PoolView>(
    graph: &'a PoolGraph,
    view: &'a V,
    src: u32,
    dst: u32,
    amount_in: U256,
    opts: &RouteOptions,
    graph_bounds: bool,
    keep: usize,
) -> Layered<'a, V> {
    let gas = pricing(graph, dst, opts);
    let max_r = opts.max_hops - 1;
    let bounds = if graph_bounds {
        graph.target_bounds(dst, max_r, || {
            let rates = rate_bounds(graph, graph, dst, max_r, false);
            let caps = cap_bounds(graph, graph, dst, &rates);
            (rates, caps)
        })
    } else {
        let make = || {
            let rates = rate_bounds(graph, view, dst, max_r, false);
            let caps = cap_bounds(graph, view, dst, &rates);
            (rates, caps)
        };
        match view.as_graph() {
            Some(g) => g.target_bounds(dst, max_r, make),
            None => std::sync::Arc::new(make()),
        }
    };
    let mut s = Layered {
        graph,
        view,
        src,
        dst,
        max_hops: opts.max_hops,
        gas,
        allow_fot: opts.allow_fee_on_transfer,
        bounds,
        nodes: Vec::new(),
        best: None,
        best_f: f64::NEG_INFINITY,
        keep,
        top: Vec::new(),
        floor_f: f64::NEG_INFINITY,
    };
    s.run(amount_in);
    s
}
