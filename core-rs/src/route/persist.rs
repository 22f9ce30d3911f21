//! `PoolGraph` to bytes and back, so a daemon restarts without re-reading chains. The bytes are
//! a magic tag, a format version, then a postcard-encoded snapshot; loading rebuilds the graph
//! through the same validating `add_*` calls as live use, so corrupt input is an error, never a
//! bad graph.

use std::collections::BTreeMap;

use ruint::aliases::U256;
use serde::{Deserialize, Serialize};

use super::error::{RouteError, RouteResult};
use super::gas::GasModel;
use super::graph::{Addr, PoolGraph, PoolView};
use super::pool::PoolKind;
use crate::amm::v3::V3Pool;

const MAGIC: &[u8; 4] = b"ZPGR";
const VERSION: u16 = 1;

type Word = [u64; 4];

fn word(x: U256) -> Word {
    *x.as_limbs()
}

fn unword(w: Word) -> U256 {
    U256::from_limbs(w)
}

#[derive(Serialize, Deserialize)]
struct TokenRec {
    address: Addr,
    decimals: Option<u8>,
    fee_on_transfer: bool,
}

#[derive(Serialize, Deserialize)]
enum PoolRec {
    V2 {
        address: Addr,
        tokens: [Addr; 2],
        reserves: [Word; 2],
        fee_bps: u32,
    },
    V3 {
        address: Addr,
        tokens: [Addr; 2],
        sqrt_price_x96: Word,
        tick: i32,
        liquidity: u128,
        fee: u32,
        tick_spacing: i32,
        ticks: Vec<(i32, i128)>,
        gross: Vec<(i32, u128)>,
    },
    Stable {
        address: Addr,
        tokens: Vec<Addr>,
        balances: Vec<Word>,
        amp: Word,
        fee: Word,
        rates: Option<Vec<Word>>,
    },
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    wrapped_native: Option<Addr>,
    gas_model: [u64; 5],
    tokens: Vec<TokenRec>,
    pools: Vec<PoolRec>,
}

pub fn to_bytes(graph: &PoolGraph) -> Vec<u8> {
    let addr = |t: u32| graph.token(t).address;
    let pools = graph
        .pools()
        .map(|(id, _)| {
            let p = graph.pool(id);
            match &p.kind {
                PoolKind::V2 { reserves, fee_bps } => PoolRec::V2 {
                    address: p.address,
                    tokens: [addr(p.tokens[0]), addr(p.tokens[1])],
                    reserves: [word(reserves[0]), word(reserves[1])],
                    fee_bps: *fee_bps,
                },
                PoolKind::V3(v) => PoolRec::V3 {
                    address: p.address,
                    tokens: [addr(p.tokens[0]), addr(p.tokens[1])],
                    sqrt_price_x96: word(v.sqrt_price_x96()),
                    tick: v.tick(),
                    liquidity: v.liquidity(),
                    fee: v.fee(),
                    tick_spacing: v.tick_spacing(),
                    ticks: v.ticks().iter().map(|(&t, &n)| (t, n)).collect(),
                    gross: v
                        .ticks()
                        .keys()
                        .filter_map(|&t| v.liquidity_gross(t).map(|g| (t, g)))
                        .collect(),
                },
                PoolKind::Stable {
                    balances,
                    amp,
                    fee,
                    rates,
                } => PoolRec::Stable {
                    address: p.address,
                    tokens: p.tokens.iter().map(|&t| addr(t)).collect(),
                    balances: balances.iter().map(|b| word(*b)).collect(),
                    amp: word(*amp),
                    fee: word(*fee),
                    rates: rates.as_ref().map(|r| r.iter().map(|x| word(*x)).collect()),
                },
            }
        })
        .collect();
    let m = graph.gas_model();
    let snapshot = Snapshot {
        wrapped_native: graph.wrapped_native().map(addr),
        gas_model: [m.base, m.v2_hop, m.v3_hop, m.v3_tick, m.stable_hop],
        tokens: graph
            .tokens()
            .iter()
            .map(|t| TokenRec {
                address: t.address,
                decimals: t.decimals,
                fee_on_transfer: t.fee_on_transfer,
            })
            .collect(),
        pools,
    };
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend(postcard::to_stdvec(&snapshot).expect("a snapshot always serialises"));
    out
}

fn corrupt(msg: impl Into<String>) -> RouteError {
    RouteError::Corrupt(msg.into())
}

pub fn from_bytes(bytes: &[u8]) -> RouteResult<PoolGraph> {
    if bytes.len() < 6 || &bytes[..4] != MAGIC {
        return Err(corrupt("data: not a PoolGraph snapshot (bad magic bytes)"));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != VERSION {
        return Err(corrupt(format!(
            "data: snapshot format version {version}, this build reads version {VERSION}"
        )));
    }
    let (s, rest): (Snapshot, &[u8]) = postcard::take_from_bytes(&bytes[6..])
        .map_err(|e| corrupt(format!("data: snapshot does not decode: {e}")))?;
    if !rest.is_empty() {
        return Err(corrupt(format!(
            "data: {} unexpected bytes after the snapshot",
            rest.len()
        )));
    }
    let mut g = PoolGraph::new(s.wrapped_native);
    let [base, v2_hop, v3_hop, v3_tick, stable_hop] = s.gas_model;
    g.set_gas_model(GasModel {
        base,
        v2_hop,
        v3_hop,
        v3_tick,
        stable_hop,
    });
    for t in &s.tokens {
        g.set_token(t.address, t.decimals, t.fee_on_transfer);
    }
    let bad = |e: RouteError| corrupt(format!("data: snapshot holds an invalid pool: {e}"));
    for p in s.pools {
        match p {
            PoolRec::V2 {
                address,
                tokens,
                reserves,
                fee_bps,
            } => {
                g.add_v2_pool(
                    address,
                    tokens[0],
                    tokens[1],
                    unword(reserves[0]),
                    unword(reserves[1]),
                    fee_bps,
                )
                .map_err(bad)?;
            }
            PoolRec::V3 {
                address,
                tokens,
                sqrt_price_x96,
                tick,
                liquidity,
                fee,
                tick_spacing,
                ticks,
                gross,
            } => {
                let map: BTreeMap<i32, i128> = ticks.into_iter().collect();
                let mut pool = V3Pool::new(
                    unword(sqrt_price_x96),
                    tick,
                    liquidity,
                    fee,
                    tick_spacing,
                    map,
                )
                .map_err(|e| bad(e.into()))?;
                for (t, gv) in gross {
                    pool.set_liquidity_gross(t, gv).map_err(|e| bad(e.into()))?;
                }
                g.add_v3_pool(address, tokens[0], tokens[1], pool)
                    .map_err(bad)?;
            }
            PoolRec::Stable {
                address,
                tokens,
                balances,
                amp,
                fee,
                rates,
            } => {
                g.add_stable_pool(
                    address,
                    &tokens,
                    balances.into_iter().map(unword).collect(),
                    unword(amp),
                    unword(fee),
                    rates.map(|r| r.into_iter().map(unword).collect()),
                )
                .map_err(bad)?;
            }
        }
    }
    Ok(g)
}
