//! The Uniswap V3 swap in Rust alone, on the pool and amounts of bench/test_amm_bench.py: what
//! the math costs without the Python call around it, beside its Rust peer, the crate
//! `uniswap_v3_math` (the port amms-rs builds on) driven by the UniswapV3Pool.swap loop written
//! here. bench/report_amm.py sets these beside the per-call figures from Python, so RESULTS.md
//! shows how much of a call is math and how much is the boundary.

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::I256;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use ruint::aliases::U256;
use uniswap_v3_math as peer;
use zippifi_core::amm::v3::{get_sqrt_ratio_at_tick, V3Pool, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK};
use zippifi_core::amm::SignedAmount;

// The pool of bench/test_amm_bench.py: a full-range position and one position per initialized
// tick from -10 down to -1200, so a zero-for-one swap crosses -10, -20, ... in turn.
const SPACING: i32 = 10;
const FEE: u32 = 3000;
const TICKS: i32 = 120;
const FULL_RANGE: i32 = 887_270;
const START_TICK: i32 = 5;
const SWAPS: usize = 256;

fn initial_ticks() -> (BTreeMap<i32, i128>, u128) {
    let base: i128 = 10i128.pow(24);
    let step: i128 = 10i128.pow(21);
    let mut ticks = BTreeMap::from([
        (-FULL_RANGE, base),
        (FULL_RANGE, -base - step * i128::from(TICKS)),
    ]);
    for k in 1..=TICKS {
        ticks.insert(-SPACING * k, step);
    }
    (ticks, (base + step * i128::from(TICKS)) as u128)
}

fn fresh_pool() -> V3Pool {
    let (ticks, liquidity) = initial_ticks();
    let price = get_sqrt_ratio_at_tick(START_TICK).expect("tick in range");
    V3Pool::new(price, START_TICK, liquidity, FEE, SPACING, ticks).expect("valid pool")
}

/// The same pool for the peer: the contract's word bitmap and liquidityNet mappings.
struct PeerPool {
    bitmap: HashMap<i16, U256>,
    nets: HashMap<i32, i128>,
    sqrt_price: U256,
    liquidity: u128,
}

impl PeerPool {
    fn new() -> PeerPool {
        let (ticks, liquidity) = initial_ticks();
        let mut bitmap = HashMap::new();
        for &t in ticks.keys() {
            peer::tick_bitmap::flip_tick(&mut bitmap, t, SPACING).expect("tick on spacing");
        }
        PeerPool {
            bitmap,
            nets: ticks.into_iter().collect(),
            sqrt_price: peer::tick_math::get_sqrt_ratio_at_tick(START_TICK).expect("tick"),
            liquidity,
        }
    }

    /// UniswapV3Pool.swap, exact input, zero for one, no price limit, on the peer's math:
    /// (amount0 in, amount1 out, sqrt price, tick, liquidity, ticks crossed).
    fn swap(&self, amount_in: U256) -> (U256, U256, U256, i32, u128, u32) {
        let limit = MIN_SQRT_RATIO + U256::from(1u8);
        let mut remaining = I256::from_raw(amount_in);
        let mut out = U256::ZERO;
        let (mut price, mut tick, mut liquidity) = (self.sqrt_price, START_TICK, self.liquidity);
        let mut crossed = 0;
        while !remaining.is_zero() && price != limit {
            let start = price;
            let (next, initialized) = peer::tick_bitmap::next_initialized_tick_within_one_word(
                &self.bitmap,
                tick,
                SPACING,
                true,
            )
            .expect("tick search");
            let next = next.clamp(MIN_TICK, MAX_TICK);
            let next_price = peer::tick_math::get_sqrt_ratio_at_tick(next).expect("tick");
            let target = next_price.max(limit);
            let (new_price, step_in, step_out, fee) =
                peer::swap_math::compute_swap_step(price, target, liquidity, remaining, FEE)
                    .expect("swap step");
            remaining -= I256::from_raw(step_in + fee);
            out += step_out;
            price = new_price;
            if price == next_price {
                if initialized {
                    let net = self.nets[&next];
                    liquidity =
                        peer::liquidity_math::add_delta(liquidity, -net).expect("liquidity");
                    crossed += 1;
                }
                tick = next - 1;
            } else if price != start {
                tick = peer::tick_math::get_tick_at_sqrt_ratio(price).expect("price");
            }
        }
        let paid = amount_in - remaining.into_raw();
        (paid, out, price, tick, liquidity, crossed)
    }
}

/// The token0 in that takes the price exactly onto the n-th initialized tick below it.
fn amount_to_cross(pool: &V3Pool, n: i32) -> U256 {
    if n == 0 {
        return U256::ZERO;
    }
    let limit = get_sqrt_ratio_at_tick(-SPACING * n).expect("tick in range");
    let huge = SignedAmount::positive(U256::from(1u8) << 200);
    let r = pool
        .swap(true, huge, Some(limit))
        .expect("swap to the limit");
    assert_eq!(r.ticks_crossed, n as u32);
    r.amount0.magnitude
}

/// Distinct amounts strictly between the n-th and n+1-th tick, so each swap crosses n ticks.
fn amounts(pool: &V3Pool, n: i32) -> Vec<SignedAmount> {
    let (lo, hi) = (amount_to_cross(pool, n), amount_to_cross(pool, n + 1));
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ n as u64;
    (0..SWAPS)
        .map(|_| {
            // xorshift: varied inputs without a dependency
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let permille = U256::from(50 + state % 901);
            let amount = lo + (hi - lo) * permille / U256::from(1000u16) + U256::from(state >> 44);
            SignedAmount::positive(amount)
        })
        .collect()
}

fn bench_swap(c: &mut Criterion) {
    let template = fresh_pool();
    let peer_pool = PeerPool::new();
    for n in [0, 1, 10, 100] {
        let inputs = amounts(&template, n);
        // Both sides agree on every swap before their speeds mean anything.
        for a in &inputs {
            let r = template.swap(true, *a, None).expect("swap");
            assert_eq!(r.ticks_crossed, n as u32, "amount {:?}", a.magnitude);
            let got = (
                r.amount0.magnitude,
                r.amount1.magnitude,
                r.sqrt_price_x96,
                r.tick,
                r.liquidity,
                r.ticks_crossed,
            );
            assert!(!r.amount0.negative && r.amount1.negative);
            assert_eq!(got, peer_pool.swap(a.magnitude), "amount {:?}", a.magnitude);
        }

        let mut group = c.benchmark_group("v3_swap_peer");
        let mut k = 0;
        group.bench_function(format!("cross_{n}"), |b| {
            b.iter(|| {
                k = (k + 1) % SWAPS;
                peer_pool.swap(black_box(inputs[k].magnitude))
            })
        });
        group.finish();

        // One pool for every swap, as the Python rows 'one call per item' run it.
        let warm = fresh_pool();
        let mut group = c.benchmark_group("v3_swap_warm");
        let mut k = 0;
        group.bench_function(format!("cross_{n}"), |b| {
            b.iter(|| {
                k = (k + 1) % SWAPS;
                warm.swap(true, black_box(inputs[k]), None)
            })
        });
        group.finish();

        // A pool that never swapped for every swap (built outside the timing).
        let mut group = c.benchmark_group("v3_swap_cold");
        let mut k = 0;
        group.bench_function(format!("cross_{n}"), |b| {
            // by reference, so that dropping the pool stays outside the timing too
            b.iter_batched_ref(
                fresh_pool,
                |pool| {
                    k = (k + 1) % SWAPS;
                    pool.swap(true, black_box(inputs[k]), None)
                },
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(std::time::Duration::from_secs(3));
    targets = bench_swap
}
criterion_main!(benches);
