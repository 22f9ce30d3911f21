//! FullMath's division against ruint's generic `div_rem`, on operand shapes the Uniswap V3 swap
//! loop produces: the measurement behind `amm::v3::wide_div`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ruint::aliases::U256;
use ruint::Uint;
use zippifi_core::amm::v3::wide_div::div_rem_512_by_256;
use zippifi_core::amm::v3::{div_rounding_up, mul_div};

type U512 = Uint<512, 8>;

fn u(hex: &str) -> U256 {
    U256::from_str_radix(&hex.replace('_', ""), 16).expect("hex literal")
}

/// (name, a, b, denominator), each a mulDiv call SqrtPriceMath or SwapMath makes.
fn cases() -> Vec<(&'static str, U256, U256, U256)> {
    let q96 = U256::from(1u8) << 96;
    let liquidity = u("1d8c_5f0e_7b3a_9c41_2e6d_0f88"); // ~2^92
    let sqrt_a = u("5_4a3c_8b2f_11d0_7e99_c3a1_4f2b_8e61"); // ~2^98 (price ~ 20)
    let sqrt_b = u("5_9f12_0c6e_a3b4_5d77_e210_98cc_3f05");
    let amount = u("3_8ac7_2304_89e8_0000"); // 65 ETH in wei
    let l96 = liquidity << 96;
    vec![
        // getAmount0Delta: mulDiv(liquidity << 96, sqrtB - sqrtA, sqrtB).
        ("amount0_delta", l96, sqrt_b - sqrt_a, sqrt_b),
        // getNextSqrtPriceFromAmount0RoundingUp: mulDiv(l96, sqrtP, l96 + amount * sqrtP).
        ("next_price_amount0", l96, sqrt_a, l96 + amount * sqrt_a),
        // getAmount1Delta: mulDiv(liquidity, sqrtB - sqrtA, Q96).
        ("amount1_delta", liquidity, sqrt_b - sqrt_a, q96),
        // computeSwapStep: mulDiv(amountRemaining, 1e6 - fee, 1e6); the product fits 256 bits.
        (
            "fee_256",
            amount,
            U256::from(997_000u32),
            U256::from(1_000_000u32),
        ),
        // Worst shape: 8-limb product over a 4-limb denominator.
        (
            "max_width",
            U256::MAX - U256::from(12345u32),
            U256::MAX >> 1,
            U256::MAX - U256::from(7u8),
        ),
    ]
}

fn den_limbs(d: U256) -> [u64; 4] {
    *d.as_limbs()
}

fn bench_div_512(c: &mut Criterion) {
    let mut group = c.benchmark_group("div_512_by_256");
    for (name, a, b, d) in cases() {
        let product: U512 = a.widening_mul(b);
        let d512 = U512::from_limbs({
            let [d0, d1, d2, d3] = den_limbs(d);
            [d0, d1, d2, d3, 0, 0, 0, 0]
        });
        // Both must agree before their speeds mean anything.
        let (q, r) = product.div_rem(d512);
        let (wq, wr) = div_rem_512_by_256(product.as_limbs(), &den_limbs(d)).expect("nonzero");
        assert_eq!(&wq, q.as_limbs(), "{name}");
        assert_eq!(wr, !r.is_zero(), "{name}");

        group.bench_function(format!("ruint/{name}"), |bench| {
            bench.iter(|| black_box(product).div_rem(black_box(d512)))
        });
        group.bench_function(format!("wide_div/{name}"), |bench| {
            bench.iter(|| {
                div_rem_512_by_256(black_box(product.as_limbs()), black_box(&den_limbs(d)))
            })
        });
    }
    group.finish();
}

/// Numerator and denominator both within 256 bits: mulDiv's short path and divRoundingUp.
fn bench_div_256(c: &mut Criterion) {
    let mut group = c.benchmark_group("div_256_by_256");
    let shapes = [
        (
            "4_by_1",
            U256::MAX - U256::from(99u8),
            U256::from(1_000_000u32),
        ),
        (
            "4_by_3",
            U256::MAX >> 3,
            u("5_9f12_0c6e_a3b4_5d77_e210_98cc_3f05"),
        ),
        (
            "2_by_2",
            u("3_8ac7_2304_89e8_0000_1d8c_5f0e_7b3a"),
            u("1d8c_5f0e_7b3a_9c41_2e6d_0f88"),
        ),
    ];
    for (name, x, y) in shapes {
        let mut num = [0u64; 8];
        num[..4].copy_from_slice(x.as_limbs());
        let (q, r) = x.div_rem(y);
        let (wq, wr) = div_rem_512_by_256(&num, &den_limbs(y)).expect("nonzero");
        assert_eq!(&wq[..4], q.as_limbs(), "{name}");
        assert_eq!(wr, !r.is_zero(), "{name}");

        group.bench_function(format!("ruint/{name}"), |bench| {
            bench.iter(|| black_box(x).div_rem(black_box(y)))
        });
        group.bench_function(format!("wide_div/{name}"), |bench| {
            bench.iter(|| div_rem_512_by_256(black_box(&num), black_box(&den_limbs(y))))
        });
        group.bench_function(format!("div_rounding_up/{name}"), |bench| {
            bench.iter(|| div_rounding_up(black_box(x), black_box(y)))
        });
    }
    group.finish();
}

/// mulDiv as full_math did it before wide_div (ruint's U512 div_rem throughout): the baseline,
/// timed in the same run as the current one.
fn mul_div_ruint(a: U256, b: U256, d: U256) -> Option<U256> {
    if d.is_zero() {
        return None;
    }
    let product: U512 = a.widening_mul(b);
    let [l0, l1, l2, l3, h0, h1, h2, h3] = *product.as_limbs();
    if h0 | h1 | h2 | h3 == 0 {
        return Some(U256::from_limbs([l0, l1, l2, l3]) / d);
    }
    if d <= U256::from_limbs([h0, h1, h2, h3]) {
        return None;
    }
    let [d0, d1, d2, d3] = den_limbs(d);
    let q = product / U512::from_limbs([d0, d1, d2, d3, 0, 0, 0, 0]);
    let [q0, q1, q2, q3, ..] = *q.as_limbs();
    Some(U256::from_limbs([q0, q1, q2, q3]))
}

fn bench_mul_div(c: &mut Criterion) {
    let mut group = c.benchmark_group("mul_div");
    for (name, a, b, d) in cases() {
        assert_eq!(mul_div(a, b, d).ok(), mul_div_ruint(a, b, d), "{name}");
        group.bench_function(format!("ruint/{name}"), |bench| {
            bench.iter(|| mul_div_ruint(black_box(a), black_box(b), black_box(d)))
        });
        group.bench_function(format!("full_math/{name}"), |bench| {
            bench.iter(|| mul_div(black_box(a), black_box(b), black_box(d)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_div_512, bench_div_256, bench_mul_div);
criterion_main!(benches);
