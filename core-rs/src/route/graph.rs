//! The pool graph: tokens, pools and per-token adjacency, updated in place as pool events arrive.
//! Pool ids are slots that stay stable while the pool lives, so an update touches only its pool.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use ruint::aliases::U256;

use super::error::{invalid, RouteResult};
use super::gas::GasModel;
use super::pool::{apply_tick_deltas, Leg, Pool, PoolKind};
use crate::amm::v3::V3Pool;
use crate::amm::{stable, v2};

pub type Addr = [u8; 20];

/// What the graph knows of a token besides its address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    pub address: Addr,
    pub decimals: Option<u8>,
    pub fee_on_transfer: bool,
}

/// One direction through a pool, from the adjacency list of its input token: coin `i` of `pool`
/// in, coin `j` (graph token `to`) out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub pool: u32,
    pub to: u32,
    pub i: u8,
    pub j: u8,
}

/// Read access to pool state: the graph itself, or an overlay of simulated changes on it.
pub trait PoolView: Sync {
    fn pool(&self, id: u32) -> &Pool;
    /// The graph itself when this view has no changes of its own (its derived data may then
    /// be cached on the graph).
    fn as_graph(&self) -> Option<&PoolGraph> {
        None
    }
}

/// Per-target search bounds (rate products and capacities by hops left), cached on the graph
/// until its next change.
pub type TargetBounds = Arc<(Vec<Vec<f64>>, Vec<Vec<f64>>)>;
const BOUNDS_CACHE: usize = 64;

/// The graph's mid prices of every token per wei of the wrapped native token, along the deepest
/// path (the one whose shallowest pool holds the most, valued in native units) of up to
/// `NATIVE_PRICE_HOPS` pools. Cached until the next change.
const NATIVE_PRICE_HOPS: usize = 3;

#[derive(Debug, Default)]
pub struct PoolGraph {
    tokens: Vec<TokenInfo>,
    token_index: HashMap<Addr, u32>,
    pools: Vec<Option<Pool>>,
    free_slots: Vec<u32>,
    pool_index: HashMap<Addr, u32>,
    adjacency: Vec<Vec<Edge>>,
    wrapped_native: Option<u32>,
    gas_model: GasModel,
    native_prices: Mutex<Option<Arc<Vec<f64>>>>,
    target_bounds: Mutex<HashMap<(u32, usize), TargetBounds>>,
}

impl Clone for PoolGraph {
    fn clone(&self) -> PoolGraph {
        PoolGraph {
            tokens: self.tokens.clone(),
            token_index: self.token_index.clone(),
            pools: self.pools.clone(),
            free_slots: self.free_slots.clone(),
            pool_index: self.pool_index.clone(),
            adjacency: self.adjacency.clone(),
            wrapped_native: self.wrapped_native,
            gas_model: self.gas_model,
            native_prices: Mutex::new(None),
            target_bounds: Mutex::new(HashMap::new()),
        }
    }
}

impl PoolView for PoolGraph {
    fn pool(&self, id: u32) -> &Pool {
        self.pools[id as usize]
            .as_ref()
            .expect("adjacency only names live pools")
    }
    fn as_graph(&self) -> Option<&PoolGraph> {
        Some(self)
    }
}

fn hex_addr(a: &Addr) -> String {
    crate::sign::address::Address(*a).to_checksum()
}

impl PoolGraph {
    pub fn new(wrapped_native: Option<Addr>) -> PoolGraph {
        let mut g = PoolGraph::default();
        if let Some(w) = wrapped_native {
            let id = g.intern(w);
            g.wrapped_native = Some(id);
        }
        g
    }

    pub fn pool_count(&self) -> usize {
        self.pool_index.len()
    }

    pub fn token_count(&self) -> usize {
        self.tokens.len()
    }

    pub fn tokens(&self) -> &[TokenInfo] {
        &self.tokens
    }

    pub fn token(&self, id: u32) -> &TokenInfo {
        &self.tokens[id as usize]
    }

    pub fn token_id(&self, address: &Addr) -> Option<u32> {
        self.token_index.get(address).copied()
    }

    pub fn wrapped_native(&self) -> Option<u32> {
        self.wrapped_native
    }

    pub fn gas_model(&self) -> GasModel {
        self.gas_model
    }

    pub fn set_gas_model(&mut self, model: GasModel) {
        self.gas_model = model;
    }

    pub fn edges(&self, token: u32) -> &[Edge] {
        &self.adjacency[token as usize]
    }

    pub fn pool_id(&self, address: &Addr) -> Option<u32> {
        self.pool_index.get(address).copied()
    }

    /// Live pools as (id, pool), in slot order.
    pub fn pools(&self) -> impl Iterator<Item = (u32, &Pool)> {
        self.pools
            .iter()
            .enumerate()
            .filter_map(|(k, p)| p.as_ref().map(|p| (k as u32, p)))
    }

    fn intern(&mut self, address: Addr) -> u32 {
        if let Some(&id) = self.token_index.get(&address) {
            return id;
        }
        let id = self.tokens.len() as u32;
        self.tokens.push(TokenInfo {
            address,
            decimals: None,
            fee_on_transfer: false,
        });
        self.token_index.insert(address, id);
        self.adjacency.push(Vec::new());
        id
    }

    fn changed(&mut self) {
        *self
            .native_prices
            .get_mut()
            .unwrap_or_else(|e| e.into_inner()) = None;
        self.target_bounds
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The cached bounds for (target, hops), computed by `make` on a miss.
    pub fn target_bounds(
        &self,
        target: u32,
        max_r: usize,
        make: impl FnOnce() -> (Vec<Vec<f64>>, Vec<Vec<f64>>),
    ) -> TargetBounds {
        if let Some(b) = self
            .target_bounds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(target, max_r))
        {
            return Arc::clone(b);
        }
        let b = Arc::new(make());
        let mut cache = self.target_bounds.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= BOUNDS_CACHE {
            cache.clear();
        }
        cache.insert((target, max_r), Arc::clone(&b));
        b
    }

    /// Sets a token's decimals and fee-on-transfer flag (adding the token if new).
    pub fn set_token(&mut self, address: Addr, decimals: Option<u8>, fee_on_transfer: bool) {
        let id = self.intern(address);
        let t = &mut self.tokens[id as usize];
        t.decimals = decimals;
        t.fee_on_transfer = fee_on_transfer;
    }

    fn insert_pool(&mut self, address: Addr, tokens: &[Addr], kind: PoolKind) -> RouteResult<u32> {
        if self.pool_index.contains_key(&address) {
            return Err(invalid(format!(
                "address: pool {} is already in the graph (update it, or remove it first)",
                hex_addr(&address)
            )));
        }
        for (k, t) in tokens.iter().enumerate() {
            if tokens[..k].contains(t) {
                return Err(invalid(format!(
                    "tokens: {} appears twice in pool {}",
                    hex_addr(t),
                    hex_addr(&address)
                )));
            }
        }
        let ids: Vec<u32> = tokens.iter().map(|t| self.intern(*t)).collect();
        let pool = Pool::new(address, ids.clone(), kind);
        let id = match self.free_slots.pop() {
            Some(slot) => {
                self.pools[slot as usize] = Some(pool);
                slot
            }
            None => {
                self.pools.push(Some(pool));
                (self.pools.len() - 1) as u32
            }
        };
        for (i, &a) in ids.iter().enumerate() {
            for (j, &b) in ids.iter().enumerate() {
                if i != j {
                    self.adjacency[a as usize].push(Edge {
                        pool: id,
                        to: b,
                        i: i as u8,
                        j: j as u8,
                    });
                }
            }
        }
        self.pool_index.insert(address, id);
        self.changed();
        Ok(id)
    }

    pub fn add_v2_pool(
        &mut self,
        address: Addr,
        token0: Addr,
        token1: Addr,
        reserve0: U256,
        reserve1: U256,
        fee_bps: u32,
    ) -> RouteResult<u32> {
        if fee_bps >= 10_000 {
            return Err(invalid(format!(
                "fee_bps: must be below 10000, got {fee_bps}"
            )));
        }
        check_v2_reserves(reserve0, reserve1)?;
        self.insert_pool(
            address,
            &[token0, token1],
            PoolKind::V2 {
                reserves: [reserve0, reserve1],
                fee_bps,
            },
        )
    }

    pub fn add_v3_pool(
        &mut self,
        address: Addr,
        token0: Addr,
        token1: Addr,
        pool: V3Pool,
    ) -> RouteResult<u32> {
        self.insert_pool(address, &[token0, token1], PoolKind::V3(Box::new(pool)))
    }

    pub fn add_stable_pool(
        &mut self,
        address: Addr,
        tokens: &[Addr],
        balances: Vec<U256>,
        amp: U256,
        fee: U256,
        rates: Option<Vec<U256>>,
    ) -> RouteResult<u32> {
        check_stable(tokens.len(), &balances, amp, fee, rates.as_deref())?;
        self.insert_pool(
            address,
            tokens,
            PoolKind::Stable {
                balances,
                amp,
                fee,
                rates,
            },
        )
    }

    fn live_pool_mut(&mut self, address: &Addr) -> RouteResult<&mut Pool> {
        let id = self.pool_id(address).ok_or_else(|| {
            invalid(format!(
                "address: no pool {} in the graph",
                hex_addr(address)
            ))
        })?;
        Ok(self.pools[id as usize]
            .as_mut()
            .expect("the index only names live pools"))
    }

    pub fn update_v2_reserves(
        &mut self,
        address: &Addr,
        reserve0: U256,
        reserve1: U256,
    ) -> RouteResult<()> {
        check_v2_reserves(reserve0, reserve1)?;
        let pool = self.live_pool_mut(address)?;
        match &mut pool.kind {
            PoolKind::V2 { reserves, .. } => *reserves = [reserve0, reserve1],
            _ => return Err(wrong_kind(address, "a V2")),
        }
        pool.refresh_rates();
        self.changed();
        Ok(())
    }

    /// slot0's price and tick and the active liquidity, as after a Swap event.
    pub fn update_v3_state(
        &mut self,
        address: &Addr,
        sqrt_price_x96: U256,
        tick: i32,
        liquidity: u128,
    ) -> RouteResult<()> {
        let pool = self.live_pool_mut(address)?;
        let PoolKind::V3(p) = &mut pool.kind else {
            return Err(wrong_kind(address, "a V3"));
        };
        p.set_state(sqrt_price_x96, tick, liquidity)?;
        pool.refresh_rates();
        self.changed();
        Ok(())
    }

    /// liquidityNet changes by tick (`Some(delta)`), or removal of a tick (`None`).
    pub fn update_v3_ticks(
        &mut self,
        address: &Addr,
        deltas: &BTreeMap<i32, Option<i128>>,
    ) -> RouteResult<()> {
        let pool = self.live_pool_mut(address)?;
        let PoolKind::V3(p) = &mut pool.kind else {
            return Err(wrong_kind(address, "a V3"));
        };
        let next = apply_tick_deltas(p, deltas).map_err(invalid)?;
        **p = next;
        pool.refresh_rates();
        self.changed();
        Ok(())
    }

    /// A Mint (`liquidity_delta > 0`) or Burn (< 0) of a position, with the contract's effect on
    /// ticks and active liquidity.
    pub fn update_v3_position(
        &mut self,
        address: &Addr,
        tick_lower: i32,
        tick_upper: i32,
        liquidity_delta: i128,
    ) -> RouteResult<()> {
        let pool = self.live_pool_mut(address)?;
        let PoolKind::V3(p) = &mut pool.kind else {
            return Err(wrong_kind(address, "a V3"));
        };
        p.update_position(tick_lower, tick_upper, liquidity_delta)?;
        pool.refresh_rates();
        self.changed();
        Ok(())
    }

    pub fn update_stable_balances(
        &mut self,
        address: &Addr,
        balances: Vec<U256>,
    ) -> RouteResult<()> {
        let pool = self.live_pool_mut(address)?;
        let n = pool.tokens.len();
        match &mut pool.kind {
            PoolKind::Stable {
                balances: b,
                amp,
                fee,
                rates,
            } => {
                check_stable(n, &balances, *amp, *fee, rates.as_deref())?;
                *b = balances;
            }
            _ => return Err(wrong_kind(address, "a StableSwap")),
        }
        pool.refresh_rates();
        self.changed();
        Ok(())
    }

    pub fn remove_pool(&mut self, address: &Addr) -> RouteResult<()> {
        let id = self.pool_id(address).ok_or_else(|| {
            invalid(format!(
                "address: no pool {} in the graph",
                hex_addr(address)
            ))
        })?;
        let pool = self.pools[id as usize]
            .take()
            .expect("indexed pools are live");
        for &t in &pool.tokens {
            self.adjacency[t as usize].retain(|e| e.pool != id);
        }
        self.pool_index.remove(address);
        self.free_slots.push(id);
        self.changed();
        Ok(())
    }

    /// Applies an exact-input leg to a pool in place (chained simulation of executed trades).
    pub fn apply_leg(&mut self, pool: u32, i: usize, j: usize, leg: &Leg) {
        if let Some(p) = self.pools[pool as usize].as_mut() {
            p.apply_in(i, j, leg);
            self.changed();
        }
    }

    /// Mid price of every token in raw units per wei of the wrapped native token (0 where no
    /// path of up to three pools reaches it), along each token's deepest path.
    pub fn native_prices(&self) -> Option<Arc<Vec<f64>>> {
        let native = self.wrapped_native?;
        let mut cache = self.native_prices.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = cache.as_ref() {
            return Some(Arc::clone(p));
        }
        let prices = Arc::new(self.compute_native_prices(native));
        *cache = Some(Arc::clone(&prices));
        Some(prices)
    }

    fn compute_native_prices(&self, native: u32) -> Vec<f64> {
        let n = self.tokens.len();
        let mut price = vec![0.0f64; n];
        let mut depth = vec![0.0f64; n];
        price[native as usize] = 1.0;
        depth[native as usize] = f64::INFINITY;
        let mut frontier = vec![native];
        for _ in 0..NATIVE_PRICE_HOPS {
            // Synchronous layers: a layer only reads the previous one, so the hop limit holds.
            let snapshot: Vec<(u32, f64, f64)> = frontier
                .iter()
                .map(|&t| (t, price[t as usize], depth[t as usize]))
                .collect();
            let mut next = Vec::new();
            for (t, p_t, d_t) in snapshot {
                for e in &self.adjacency[t as usize] {
                    let pool = self.pool(e.pool);
                    let rate = pool.mid_rate(e.i as usize, e.j as usize);
                    if rate.is_nan() || rate <= 0.0 || !rate.is_finite() {
                        continue;
                    }
                    // The pool's depth on t's side, valued in native units.
                    let pool_depth = pool.depth(e.i as usize) / p_t;
                    let bottleneck = d_t.min(pool_depth);
                    let u = e.to as usize;
                    if bottleneck > depth[u] {
                        if depth[u] == 0.0 {
                            next.push(e.to);
                        }
                        depth[u] = bottleneck;
                        price[u] = p_t * rate;
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        price
    }
}

fn wrong_kind(address: &Addr, kind: &str) -> crate::route::RouteError {
    invalid(format!(
        "address: pool {} is not {kind} pool",
        hex_addr(address)
    ))
}

fn check_v2_reserves(reserve0: U256, reserve1: U256) -> RouteResult<()> {
    // Reserves are uint112 on chain.
    let max = (U256::from(1u8) << 112) - U256::from(1u8);
    if reserve0 > max || reserve1 > max {
        return Err(invalid(
            "reserves: V2 reserves are uint112 (at most 2**112 - 1)",
        ));
    }
    // A quote validates the rest (zero reserves simply quote nothing).
    let _ = v2::amount_out;
    Ok(())
}

fn check_stable(
    n: usize,
    balances: &[U256],
    amp: U256,
    fee: U256,
    rates: Option<&[U256]>,
) -> RouteResult<()> {
    if !(2..=stable::MAX_COINS).contains(&n) {
        return Err(invalid(format!(
            "tokens: a StableSwap pool has 2 to {} coins, got {n}",
            stable::MAX_COINS
        )));
    }
    if balances.len() != n {
        return Err(invalid(format!(
            "balances: {} balances for {n} tokens",
            balances.len()
        )));
    }
    if amp.is_zero() {
        return Err(invalid("amp: must be positive (A * A_PRECISION)"));
    }
    if fee >= U256::from(stable::FEE_DENOMINATOR) {
        return Err(invalid(format!(
            "fee: must be below 1e10 (100%), got {fee}"
        )));
    }
    if let Some(r) = rates {
        if r.len() != n {
            return Err(invalid(format!("rates: {} rates for {n} tokens", r.len())));
        }
        if let Some(k) = r.iter().position(|x| x.is_zero()) {
            return Err(invalid(format!("rates[{k}]: must be positive")));
        }
    }
    Ok(())
}

/// Simulated state changes over a graph: what a split route's earlier paths did to the pools a
/// later path shares, without touching the graph.
pub struct Overlay<'a> {
    pub graph: &'a PoolGraph,
    changed: HashMap<u32, Pool>,
    quotes_only: bool,
}

impl<'a> Overlay<'a> {
    /// An overlay that searches may run over: changed pools get fresh bounds.
    pub fn new(graph: &'a PoolGraph) -> Overlay<'a> {
        Overlay {
            graph,
            changed: HashMap::new(),
            quotes_only: false,
        }
    }

    /// An overlay only simulated through (quotes along given paths), never searched: changed
    /// pools skip recomputing their search bounds (see [`Pool::apply_in_for_quotes`]).
    pub fn for_quotes(graph: &'a PoolGraph) -> Overlay<'a> {
        Overlay {
            quotes_only: true,
            ..Overlay::new(graph)
        }
    }

    pub fn apply_leg(&mut self, pool: u32, i: usize, j: usize, leg: &Leg) {
        let graph = self.graph;
        let p = self
            .changed
            .entry(pool)
            .or_insert_with(|| graph.pool(pool).clone());
        if self.quotes_only {
            p.apply_in_for_quotes(i, j, leg);
        } else {
            p.apply_in(i, j, leg);
        }
    }
}

impl PoolView for Overlay<'_> {
    fn pool(&self, id: u32) -> &Pool {
        match self.changed.get(&id) {
            Some(p) => p,
            None => self.graph.pool(id),
        }
    }
}
