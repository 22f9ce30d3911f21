//! Pool-level tests of the swap loop and of update_position.

use std::collections::BTreeMap;

use proptest::prelude::*;
use ruint::aliases::U256;

use super::swap_math::compute_swap_step;
use super::tick_math::*;
use super::{V3Pool, V3SwapResult};
use crate::amm::{AmmError, SignedAmount};

const E18: u128 = 1_000_000_000_000_000_000;

fn q96() -> U256 {
    U256::from(1u8) << 96usize
}
fn pos(x: u128) -> SignedAmount {
    SignedAmount::positive(U256::from(x))
}
fn neg(x: u128) -> SignedAmount {
    SignedAmount::negative(U256::from(x))
}
fn ratio(t: i32) -> U256 {
    get_sqrt_ratio_at_tick(t).unwrap()
}
fn one() -> U256 {
    U256::from(1u8)
}

/// A pool at `tick`'s price with the given positions (lower, upper, liquidity), built with
/// update_position from an empty pool (so liquidityGross is tracked).
fn pool_with(tick: i32, fee: u32, spacing: i32, positions: &[(i32, i32, i128)]) -> V3Pool {
    let mut p = V3Pool::new(ratio(tick), tick, 0, fee, spacing, BTreeMap::new()).unwrap();
    for &(l, u, liq) in positions {
        p.update_position(l, u, liq).unwrap();
    }
    p
}

fn revert_reason(e: AmmError) -> String {
    match e {
        AmmError::Revert(m) => m,
        other => panic!("expected a revert, got {other:?}"),
    }
}

/// One step at a time with computeSwapStep between the given boundaries (a swap's expected
/// path spelled out by hand): returns (total in incl. fee, total out, final price).
fn manual_steps(
    start: U256,
    targets: &[U256],
    liquidities: &[u128],
    amount: SignedAmount,
    fee: u32,
) -> (U256, U256, U256) {
    let (mut price, mut total_in, mut total_out) = (start, U256::ZERO, U256::ZERO);
    let mut remaining = amount;
    for (&target, &l) in targets.iter().zip(liquidities) {
        if remaining.magnitude.is_zero() {
            break;
        }
        let s = compute_swap_step(price, target, l, remaining, fee).unwrap();
        price = s.sqrt_ratio_next_x96;
        total_in += s.amount_in + s.fee_amount;
        total_out += s.amount_out;
        remaining = if amount.negative {
            SignedAmount::negative(remaining.magnitude - s.amount_out)
        } else {
            SignedAmount::positive(remaining.magnitude - s.amount_in - s.fee_amount)
        };
    }
    (total_in, total_out, price)
}

#[test]
fn zero_liquidity_moves_to_the_limit_for_nothing() {
    let p = V3Pool::new(q96(), 0, 0, 3000, 60, BTreeMap::new()).unwrap();
    // A limit between ticks: the final tick is recomputed from the price.
    let limit = ratio(-1000) + U256::from(12345u32);
    let r = p.swap(true, pos(E18), Some(limit)).unwrap();
    assert_eq!(
        (r.amount0, r.amount1),
        (SignedAmount::ZERO, SignedAmount::ZERO)
    );
    assert_eq!(r.sqrt_price_x96, limit);
    assert_eq!(r.tick, -1000);
    assert_eq!(r.ticks_crossed, 0);
    // A limit exactly on a word boundary (uninitialized): zero for one ends one tick below it.
    let r = p.swap(true, neg(5), Some(ratio(-60 * 256))).unwrap();
    assert_eq!(r.sqrt_price_x96, ratio(-60 * 256));
    assert_eq!(r.tick, -60 * 256 - 1);
    assert_eq!(
        (r.amount0, r.amount1),
        (SignedAmount::ZERO, SignedAmount::ZERO)
    );
    // All the way with the default limits.
    let r = p.swap(true, pos(1), None).unwrap();
    assert_eq!(r.sqrt_price_x96, MIN_SQRT_RATIO + one());
    assert_eq!(r.tick, MIN_TICK);
    let r = p.swap(false, pos(1), None).unwrap();
    assert_eq!(r.sqrt_price_x96, MAX_SQRT_RATIO - one());
    assert_eq!(r.tick, MAX_TICK - 1);
    assert_eq!(
        (r.amount0, r.amount1),
        (SignedAmount::ZERO, SignedAmount::ZERO)
    );
}

#[test]
fn word_boundary_ends_a_step() {
    // Liquidity from -20000 to 20000 (spacing 1): from tick 0 a zero-for-one swap steps at 0
    // (the word's own edge, a zero step), -256, -512, ... even though nothing is initialized there.
    let l = 10 * E18;
    let p = pool_with(0, 3000, 1, &[(-20000, 20000, l as i128)]);
    let amount = pos(E18 / 5);
    let r = p.swap(true, amount, None).unwrap();
    let targets: Vec<U256> = (0..80).map(|k| ratio(-256 * k)).collect();
    let (total_in, total_out, price) = manual_steps(q96(), &targets, &[l; 80], amount, 3000);
    assert_eq!(r.amount0, SignedAmount::positive(total_in));
    assert_eq!(r.amount1, SignedAmount::negative(total_out));
    assert_eq!(r.sqrt_price_x96, price);
    assert_eq!(r.tick, get_tick_at_sqrt_ratio(price).unwrap());
    assert!(r.tick < -256, "crossed a word: {}", r.tick);
    assert_eq!(r.ticks_crossed, 0);
    // One step straight to the price would round differently: the boundaries matter.
    let one_step = compute_swap_step(q96(), ratio(-19999), l, amount, 3000).unwrap();
    assert_ne!(one_step.amount_out, total_out);

    // One for zero: the first step ends at 255 (the end of word 0), then 511, ...
    let r = p.swap(false, amount, None).unwrap();
    let targets: Vec<U256> = (0..80).map(|k| ratio(256 * k + 255)).collect();
    let (total_in, total_out, price) = manual_steps(q96(), &targets, &[l; 80], amount, 3000);
    assert_eq!(r.amount1, SignedAmount::positive(total_in));
    assert_eq!(r.amount0, SignedAmount::negative(total_out));
    assert_eq!(r.sqrt_price_x96, price);
}

#[test]
fn liquidity_net_zero_tick_ends_a_step_and_is_crossed() {
    let l = 3 * E18;
    // Two positions meeting at -120 with equal liquidity: liquidityNet(-120) == 0, still initialized.
    let p = pool_with(
        0,
        500,
        10,
        &[(-120, 600, l as i128), (-2000, -120, l as i128)],
    );
    assert_eq!(p.ticks().get(&-120), Some(&0));
    assert_eq!(p.liquidity_gross(-120), Some(2 * l));
    let amount = pos(E18 / 50);
    let r = p.swap(true, amount, None).unwrap();
    assert!(r.tick < -120);
    assert_eq!(r.liquidity, l);
    assert_eq!(r.ticks_crossed, 1);
    // Steps: 0 (word edge, zero), -120 (initialized, net 0), then -2560 (word edge) ...
    let targets = [q96(), ratio(-120), ratio(-2000)];
    let (total_in, total_out, price) = manual_steps(q96(), &targets, &[l; 3], amount, 500);
    assert_eq!(r.amount0, SignedAmount::positive(total_in));
    assert_eq!(r.amount1, SignedAmount::negative(total_out));
    assert_eq!(r.sqrt_price_x96, price);
}

#[test]
fn crossing_changes_liquidity_both_ways() {
    let l = 2 * E18;
    let p = pool_with(
        0,
        3000,
        60,
        &[(-600, 600, l as i128), (-1200, -600, (l / 2) as i128)],
    );
    assert_eq!(p.liquidity(), l);
    let r = p.swap(true, pos(E18), None).unwrap();
    // Crossed -600 (liquidity l -> l/2) and -1200 (l/2 -> 0), then ran out of liquidity.
    assert_eq!(r.ticks_crossed, 2);
    assert_eq!(r.liquidity, 0);
    assert_eq!(r.sqrt_price_x96, MIN_SQRT_RATIO + one());
    assert!(r.amount0.magnitude < U256::from(E18));
    // Exact output beyond what the pool holds: drains to the limit, gets what there was.
    let r2 = p.swap(true, neg(10 * E18), None).unwrap();
    assert_eq!(r2.amount1, r.amount1);
    assert_eq!(r2.sqrt_price_x96, r.sqrt_price_x96);
    // Back up from below: crossing -1200 and -600 left to right adds liquidity back.
    let mut q = p.clone();
    let down = q.swap(true, pos(E18), Some(ratio(-900))).unwrap();
    assert_eq!(down.tick, -900);
    assert_eq!(down.liquidity, l / 2);
    q.apply(&down).unwrap();
    assert_eq!(
        (q.sqrt_price_x96(), q.tick(), q.liquidity()),
        (ratio(-900), -900, l / 2)
    );
    let up = q.swap(false, pos(E18 / 10), Some(ratio(100))).unwrap();
    assert_eq!(up.liquidity, l);
    assert_eq!(up.ticks_crossed, 1);
    assert_eq!(up.tick, 100);
}

#[test]
fn limit_on_an_initialized_tick_crosses_it() {
    let l = 2 * E18;
    let p = pool_with(
        0,
        3000,
        60,
        &[(-600, 600, l as i128), (-1200, -600, (l / 2) as i128)],
    );
    // Stopping exactly at -600's price from above crosses -600: tick -601, liquidity l/2.
    let r = p.swap(true, pos(E18), Some(ratio(-600))).unwrap();
    assert_eq!(r.sqrt_price_x96, ratio(-600));
    assert_eq!(r.tick, -601);
    assert_eq!(r.liquidity, l / 2);
    assert_eq!(r.ticks_crossed, 1);
    // From that state a one-for-zero swap first crosses -600 back for nothing.
    let mut q = p.clone();
    q.apply(&r).unwrap();
    let V3Pool { .. } = q.clone();
    let back = q.swap(false, pos(1000), None).unwrap();
    assert!(back.ticks_crossed >= 1);
    // ... and a zero-for-one swap continues from -601 without crossing -600 again.
    let further = q.swap(true, pos(1000), None).unwrap();
    assert_eq!(further.ticks_crossed, 0);
    assert_eq!(further.liquidity, l / 2);
    // A limit inside a range: tick from the price.
    let lim = ratio(-300) + U256::from(1u8);
    let r = p.swap(true, pos(E18), Some(lim)).unwrap();
    assert_eq!((r.sqrt_price_x96, r.tick, r.liquidity), (lim, -300, l));
    // The pool constructor accepts that boundary state as the contract keeps it.
    let s = V3Pool::new(ratio(-600), -601, l / 2, 3000, 60, p.ticks().to_nets()).unwrap();
    assert_eq!(s.swap(true, pos(1000), None).unwrap(), further);
}

#[test]
fn exact_output_and_round_trip() {
    let l = 5 * E18;
    let p = pool_with(
        100,
        3000,
        10,
        &[(-5000, 5000, l as i128), (-100, 300, l as i128)],
    );
    for zfo in [true, false] {
        let want = E18 / 3;
        let r = p.swap(zfo, neg(want), None).unwrap();
        let (paid, got) = if zfo {
            (r.amount0, r.amount1)
        } else {
            (r.amount1, r.amount0)
        };
        assert_eq!(got, SignedAmount::negative(U256::from(want)));
        assert!(!paid.negative);
        // Paying that much as exact input buys at least the amount.
        let back = p
            .swap(zfo, SignedAmount::positive(paid.magnitude), None)
            .unwrap();
        let got_back = if zfo { back.amount1 } else { back.amount0 };
        assert!(got_back.magnitude >= U256::from(want));
    }
}

#[test]
fn reverts_and_invalid_inputs() {
    let p = pool_with(0, 3000, 60, &[(-600, 600, E18 as i128)]);
    assert!(revert_reason(p.swap(true, SignedAmount::ZERO, None).unwrap_err()).starts_with("AS"));
    let negative_zero = SignedAmount {
        negative: true,
        magnitude: U256::ZERO,
    };
    assert!(revert_reason(p.swap(true, negative_zero, None).unwrap_err()).starts_with("AS"));
    for (zfo, limit) in [
        (true, q96()),
        (true, q96() + one()),
        (true, MIN_SQRT_RATIO),
        (true, U256::ZERO),
        (false, q96()),
        (false, q96() - one()),
        (false, MAX_SQRT_RATIO),
    ] {
        let e = p.swap(zfo, pos(1), Some(limit)).unwrap_err();
        assert!(revert_reason(e).starts_with("SPL"), "{zfo} {limit}");
    }
    // Limits one inside the bounds are fine.
    assert!(p.swap(true, pos(1), Some(MIN_SQRT_RATIO + one())).is_ok());
    assert!(p.swap(false, pos(1), Some(MAX_SQRT_RATIO - one())).is_ok());
    // Not encodable as uint160 / int256.
    let e = p
        .swap(false, pos(1), Some(U256::from(1u8) << 160usize))
        .unwrap_err();
    assert!(matches!(e, AmmError::InvalidInput(m) if m.starts_with("sqrt_price_limit_x96")));
    let two_255 = U256::from(1u8) << 255usize;
    let e = p
        .swap(true, SignedAmount::positive(two_255), None)
        .unwrap_err();
    assert!(matches!(e, AmmError::InvalidInput(m) if m.starts_with("amount_specified")));
    // int256.min is a valid amountSpecified (exact output of 2**255): drains to the limit.
    let r = p.swap(true, SignedAmount::negative(two_255), None).unwrap();
    assert_eq!(r.sqrt_price_x96, MIN_SQRT_RATIO + one());
    let r = p
        .swap(true, SignedAmount::positive(two_255 - one()), None)
        .unwrap();
    assert_eq!(r.sqrt_price_x96, MIN_SQRT_RATIO + one());
    // Crossing a tick whose liquidityNet exceeds the active liquidity: "LS".
    let mut ticks = BTreeMap::new();
    ticks.insert(-60, 100i128);
    let bad = V3Pool::new(q96(), 0, 10, 3000, 60, ticks).unwrap();
    assert!(revert_reason(bad.swap(true, pos(E18), None).unwrap_err()).starts_with("LS"));
    // ... and "LA" going up through a huge one.
    let mut ticks = BTreeMap::new();
    ticks.insert(60, i128::MAX);
    let bad = V3Pool::new(q96(), 0, u128::MAX - 5, 3000, 60, ticks).unwrap();
    let huge = SignedAmount::positive(U256::from(1u8) << 200usize);
    assert!(revert_reason(bad.swap(false, huge, None).unwrap_err()).starts_with("LA"));
}

#[test]
fn constructor_validation() {
    let t = BTreeMap::new();
    let ok = |fee, spacing, price, tick, ticks: &BTreeMap<i32, i128>| {
        V3Pool::new(price, tick, 1, fee, spacing, ticks.clone())
    };
    let name = |r: Result<V3Pool, AmmError>| match r {
        Err(AmmError::InvalidInput(m)) => m.split(':').next().unwrap_or("").to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(name(ok(1_000_000, 60, q96(), 0, &t)), "fee");
    assert_eq!(name(ok(3000, 0, q96(), 0, &t)), "tick_spacing");
    assert_eq!(name(ok(3000, 16384, q96(), 0, &t)), "tick_spacing");
    assert_eq!(name(ok(3000, 60, MAX_SQRT_RATIO, 0, &t)), "sqrt_price_x96");
    assert_eq!(
        name(ok(3000, 60, MIN_SQRT_RATIO - one(), 0, &t)),
        "sqrt_price_x96"
    );
    assert_eq!(name(ok(3000, 60, q96(), 5, &t)), "tick");
    assert_eq!(name(ok(3000, 60, q96(), MAX_TICK + 1, &t)), "tick");
    let mut bad = BTreeMap::new();
    bad.insert(61, 1i128);
    assert_eq!(name(ok(3000, 60, q96(), 0, &bad)), "ticks");
    let mut bad = BTreeMap::new();
    bad.insert(MAX_TICK + 1, 1i128);
    assert_eq!(name(ok(3000, 1, q96(), 0, &bad)), "ticks");
    assert!(ok(999_999, 16383, MIN_SQRT_RATIO, MIN_TICK, &t).is_ok());
    assert!(ok(0, 1, MAX_SQRT_RATIO - one(), MAX_TICK - 1, &t).is_ok());
    // tick == t - 1 at exactly ratio(t): the state a zero-for-one swap leaves on a boundary.
    assert!(ok(3000, 60, q96(), -1, &t).is_ok());
    assert_eq!(name(ok(3000, 60, q96(), -2, &t)), "tick");
}

#[test]
fn extreme_ticks() {
    // Full-range liquidity at the edges of the tick range, spacing 1 and 200.
    for spacing in [1, 200, 16383] {
        let lo = (MIN_TICK / spacing) * spacing;
        let hi = (MAX_TICK / spacing) * spacing;
        let l = 1_000_000_000i128;
        let near_top = hi - 3;
        let p = pool_with(near_top, 10000, spacing, &[(lo, hi, l)]);
        let r = p.swap(false, pos(u128::MAX), None).unwrap();
        assert_eq!(r.sqrt_price_x96, MAX_SQRT_RATIO - one());
        assert_eq!(r.tick, MAX_TICK - 1);
        assert_eq!(r.liquidity, if hi == MAX_TICK { l as u128 } else { 0 });
        let p = pool_with(lo + 3, 100, spacing, &[(lo, hi, l)]);
        let r = p.swap(true, neg(u128::MAX), None).unwrap();
        assert_eq!(r.sqrt_price_x96, MIN_SQRT_RATIO + one());
        assert_eq!(r.tick, MIN_TICK);
        let r2 = p.swap(true, pos(u128::MAX), None).unwrap();
        assert_eq!(r2.amount1, r.amount1);
    }
}

#[test]
fn update_position_tracks_ticks_like_the_contract() {
    let mut p = V3Pool::new(q96(), 0, 0, 3000, 60, BTreeMap::new()).unwrap();
    p.update_position(-120, 120, 1000).unwrap();
    assert_eq!(p.liquidity(), 1000);
    p.update_position(120, 240, 500).unwrap(); // above the price: no active change
    assert_eq!(p.liquidity(), 1000);
    assert_eq!(p.ticks().get(&120), Some(&(-500)));
    assert_eq!(p.liquidity_gross(120), Some(1500));
    // Burning the first position: 120 keeps its other position (net 500), -120 goes.
    p.update_position(-120, 120, -1000).unwrap();
    assert_eq!(p.liquidity(), 0);
    assert_eq!(p.ticks().get(&-120), None);
    assert_eq!(p.ticks().get(&120), Some(&500));
    // Net 0 with gross > 0 stays.
    p.update_position(0, 120, 500).unwrap();
    assert_eq!(p.ticks().get(&120), Some(&0));
    assert_eq!(p.liquidity_gross(120), Some(2000 - 1000));
    assert_eq!(p.liquidity(), 500);
    // Reverts, each leaving the pool unchanged.
    let before = format!("{p:?}");
    for (l, u, d, reason) in [
        (120, 120, 1, "TLU"),
        (MIN_TICK - 1, 0, 1, "TLM"),
        (0, MAX_TICK + 1, 1, "TUM"),
        (-60, 60, -1, "LS"), // burning on uninitialized ticks
        (0, 120, -501, "LS"),
    ] {
        let e = p.update_position(l, u, d).unwrap_err();
        assert!(revert_reason(e).starts_with(reason), "{reason}");
        assert_eq!(format!("{p:?}"), before);
    }
    let e = p.update_position(0, 61, 5).unwrap_err();
    assert!(revert_reason(e).contains("flipTick"));
    assert_eq!(format!("{p:?}"), before);
    let max = p.max_liquidity_per_tick();
    let e = p.update_position(-60, 60, (max + 1) as i128).unwrap_err();
    assert!(revert_reason(e).starts_with("LO"));
    assert!(p.update_position(-60, 60, i128::MIN).is_err());
    assert_eq!(format!("{p:?}"), before);
    p.update_position(-60, 60, 0).unwrap();
    assert_eq!(format!("{p:?}"), before);

    // Unknown liquidityGross (ticks loaded without it): removal guessed from liquidityNet 0,
    // exact once liquidityGross is given.
    let mut ticks = BTreeMap::new();
    ticks.insert(-60, 700i128);
    ticks.insert(60, -700i128);
    let mut q = V3Pool::new(q96(), 0, 700, 3000, 60, ticks.clone()).unwrap();
    q.update_position(-60, 60, -700).unwrap();
    assert!(q.ticks().is_empty());
    assert_eq!(q.liquidity(), 0);
    let mut q = V3Pool::new(q96(), 0, 700, 3000, 60, ticks).unwrap();
    q.set_liquidity_gross(-60, 900).unwrap(); // another 200 position starts and ends at -60
    assert!(q.set_liquidity_gross(60, 600).is_err()); // below |net|
    assert!(q.set_liquidity_gross(120, 1).is_err()); // not initialized
    q.update_position(-60, 60, -700).unwrap();
    assert_eq!(q.ticks().get(&-60), Some(&0));
    assert_eq!(q.liquidity_gross(-60), Some(200));
    assert_eq!(q.ticks().get(&60), None);
}

/// The pool and state of a result's origin, and whether apply takes it.
fn mismatch(e: AmmError) -> String {
    match e {
        AmmError::ResultMismatch(m) => m,
        other => panic!("expected a result mismatch, got {other:?}"),
    }
}

#[test]
fn apply_takes_only_a_result_of_this_pools_current_state() {
    let l = 2 * E18;
    let mut p = pool_with(0, 3000, 60, &[(-600, 600, l as i128)]);
    let before = (p.sqrt_price_x96(), p.tick(), p.liquidity());
    // Another pool, even one built the same way.
    let twin = pool_with(0, 3000, 60, &[(-600, 600, l as i128)]);
    let foreign = twin.swap(true, pos(E18 / 100), None).unwrap();
    assert!(mismatch(p.apply(&foreign).unwrap_err()).contains("another pool"));
    assert_eq!((p.sqrt_price_x96(), p.tick(), p.liquidity()), before);
    // Two quotes from one state: the first applies, the second is stale, and so is the first
    // applied again.
    let first = p.swap(true, pos(E18 / 100), None).unwrap();
    let second = p.swap(false, pos(E18 / 100), None).unwrap();
    p.apply(&first).unwrap();
    let after = (p.sqrt_price_x96(), p.tick(), p.liquidity());
    assert!(mismatch(p.apply(&second).unwrap_err()).contains("stale"));
    assert!(mismatch(p.apply(&first).unwrap_err()).contains("stale"));
    assert_eq!((p.sqrt_price_x96(), p.tick(), p.liquidity()), after);
    // set_state and update_position move the state too; a failed update does not.
    let quoted = p.swap(true, pos(1000), None).unwrap();
    assert!(p.update_position(7, 60, 1).is_err());
    p.apply(&quoted).unwrap();
    let quoted = p.swap(true, pos(1000), None).unwrap();
    p.update_position(-60, 60, 1).unwrap();
    assert!(mismatch(p.apply(&quoted).unwrap_err()).contains("stale"));
    let quoted = p.swap(true, pos(1000), None).unwrap();
    p.set_state(p.sqrt_price_x96(), p.tick(), p.liquidity())
        .unwrap();
    assert!(mismatch(p.apply(&quoted).unwrap_err()).contains("stale"));
}

#[test]
fn a_clone_shares_results_until_either_moves() {
    let l = 2 * E18;
    let p = pool_with(0, 3000, 60, &[(-600, 600, l as i128)]);
    let r = p.swap(true, pos(E18 / 100), None).unwrap();
    let (mut a, mut b) = (p.clone(), p.clone());
    // Same pool, same state: the original's result is right for both clones.
    a.apply(&r).unwrap();
    // b moves another way; a's next result must not apply to b, though both are one apply
    // away from p.
    let other = b.swap(false, pos(E18 / 100), None).unwrap();
    b.apply(&other).unwrap();
    let from_a = a.swap(true, pos(1000), None).unwrap();
    assert!(mismatch(b.apply(&from_a).unwrap_err()).contains("stale"));
    // Results compare by what the swap did, not by where they came from.
    assert_eq!(p.clone().swap(true, pos(1000), None).unwrap(), {
        let q = pool_with(0, 3000, 60, &[(-600, 600, l as i128)]);
        q.swap(true, pos(1000), None).unwrap()
    });
}

proptest! {
    /// Any sequence of swaps and applies over a pool, its clone and an identical but separate
    /// pool: apply takes a result exactly when it came from the same pool (a clone is the same
    /// pool) in the state the target is in now, and a refusal changes nothing.
    #[test]
    fn apply_takes_exactly_the_results_of_the_current_state(
        ops in prop::collection::vec((0usize..3, any::<bool>(), 1u64..1u64 << 50, any::<bool>(), 0usize..64), 1..40),
    ) {
        let l = 2 * E18;
        let original = pool_with(0, 3000, 60, &[(-600, 600, l as i128), (-1200, 1200, l as i128)]);
        let mut pools = [original.clone(), original, pool_with(0, 3000, 60, &[(-600, 600, l as i128), (-1200, 1200, l as i128)])];
        // The model: a pool's identity and a label for its state (clones start in one state).
        let identity = [0, 0, 1];
        let mut label = [0u32, 0, 1];
        let mut next_label = 2;
        let mut kept: Vec<(usize, u32, V3SwapResult)> = Vec::new();
        for (p, zfo, amount, apply, k) in ops {
            if !apply || kept.is_empty() {
                if let Ok(r) = pools[p].swap(zfo, pos(u128::from(amount)), None) {
                    kept.push((identity[p], label[p], r));
                }
                continue;
            }
            let (from, at, r) = kept[k % kept.len()].clone();
            let before = (pools[p].sqrt_price_x96(), pools[p].tick(), pools[p].liquidity());
            let applied = pools[p].apply(&r);
            if from == identity[p] && at == label[p] {
                prop_assert!(applied.is_ok());
                prop_assert_eq!((pools[p].sqrt_price_x96(), pools[p].tick(), pools[p].liquidity()), (r.sqrt_price_x96, r.tick, r.liquidity));
                label[p] = next_label;
                next_label += 1;
            } else {
                prop_assert!(matches!(applied, Err(AmmError::ResultMismatch(_))));
                prop_assert_eq!((pools[p].sqrt_price_x96(), pools[p].tick(), pools[p].liquidity()), before);
            }
        }
    }
}

#[test]
fn quote_many_matches_swap() {
    let p = pool_with(
        0,
        500,
        10,
        &[(-1000, 1000, (7 * E18) as i128), (-50, 80, E18 as i128)],
    );
    let amounts: Vec<U256> = (0..130u128)
        .map(|i| U256::from(i * i * 1_000_000_000_000_000))
        .collect();
    for zfo in [true, false] {
        let quotes = p.quote_many(zfo, &amounts);
        assert_eq!(quotes.len(), amounts.len());
        for (a, q) in amounts.iter().zip(&quotes) {
            match p.swap(zfo, SignedAmount::positive(*a), None) {
                Ok(r) => {
                    let out = if zfo { r.amount1 } else { r.amount0 };
                    assert_eq!(q.as_ref().unwrap(), &out.magnitude);
                }
                Err(e) => assert_eq!(q.as_ref().unwrap_err(), &e),
            }
        }
        assert!(quotes[0].is_err()); // zero amount: "AS"
        let short = p.quote_many(zfo, &amounts[..5]);
        assert_eq!(&short[..], &quotes[..5]);
    }
}

/// Arbitrary pools: spacing, liquidity, ticks (aligned, in range), a consistent price/tick.
fn any_pool() -> impl Strategy<Value = V3Pool> {
    (
        prop_oneof![Just(1i32), Just(10), Just(60), Just(200), 1i32..16384],
        0u32..1_000_000,
        any::<u128>(),
        prop::collection::vec((any::<i32>(), any::<i128>(), any::<bool>()), 0..12),
        any::<i32>(),
        any::<u64>(),
    )
        .prop_map(
            |(spacing, fee, liquidity, raw_ticks, raw_tick, price_frac)| {
                let max_c = MAX_TICK / spacing;
                let mut ticks = BTreeMap::new();
                let tick = raw_tick.rem_euclid(MAX_TICK - MIN_TICK) + MIN_TICK;
                for (t, net, near) in raw_ticks {
                    let c = if near {
                        tick.div_euclid(spacing) + t.rem_euclid(600) - 300
                    } else {
                        t.rem_euclid(2 * max_c + 1) - max_c
                    };
                    let c = c.clamp(-max_c, max_c);
                    let net = if t % 3 == 0 {
                        net >> (t.rem_euclid(120) as u32)
                    } else {
                        net
                    };
                    ticks.insert(c * spacing, if t % 7 == 0 { 0 } else { net });
                }
                let lo = ratio(tick);
                let hi = ratio(tick + 1);
                let price =
                    lo + (hi - lo) * U256::from(price_frac) / (U256::from(u64::MAX) + one());
                let liquidity = liquidity >> (price_frac % 100) as u32;
                V3Pool::new(price, tick, liquidity, fee, spacing, ticks).unwrap()
            },
        )
}

fn any_amount() -> impl Strategy<Value = SignedAmount> {
    (any::<[u64; 4]>(), 0usize..=255, any::<bool>()).prop_map(|(limbs, bits, negative)| {
        let m = U256::from_limbs(limbs) >> (255 - bits);
        if negative {
            SignedAmount::negative(m)
        } else {
            SignedAmount::positive(m)
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(debug_assertions) { 200 } else { 2000 }))]

    #[test]
    fn swap_never_panics(pool in any_pool(), zfo in any::<bool>(), amount in any_amount(), limit in any::<Option<[u64; 3]>>()) {
        let limit = limit.map(|l| U256::from_limbs([l[0], l[1], l[2], 0]) >> (l[0] % 64) as usize);
        let _ = pool.swap(zfo, amount, limit);
        let mut p = pool.clone();
        if let Ok(r) = pool.swap(zfo, amount, None) {
            p.apply(&r).unwrap();
            let _ = p.swap(!zfo, amount, None);
        }
        let _ = p.update_position(limit.map_or(0, |l| l.as_limbs()[0] as i32), amount.magnitude.as_limbs()[0] as i32, amount.magnitude.as_limbs()[1] as i128);
    }

    /// quote pays and takes exactly what swap does (or fails where it fails), either way.
    #[test]
    fn quote_equals_swap(pool in any_pool(), zfo in any::<bool>(), amount in any_amount()) {
        let swapped = pool.swap(zfo, amount, None).map(|r| (r.amount0, r.amount1, r.ticks_crossed));
        let quoted = pool.quote(zfo, amount).map(|q| (q.amount0, q.amount1, q.ticks_crossed));
        prop_assert_eq!(swapped.is_ok(), quoted.is_ok());
        if let (Ok(s), Ok(q)) = (swapped, quoted) {
            prop_assert_eq!(s, q);
        }
    }

    /// The swap result's state is consistent, and exact input then exact output of what came
    /// out gives that amount and (short of flat regions) never needs more input.
    #[test]
    fn round_trip(pool in any_pool(), zfo in any::<bool>(), amount in 1u128..=u128::MAX) {
        let Ok(r) = pool.swap(zfo, pos(amount), None) else { return Ok(()); };
        check_state(&pool, &r, zfo);
        let (paid, got) = if zfo { (r.amount0, r.amount1) } else { (r.amount1, r.amount0) };
        prop_assert!(!paid.negative && paid.magnitude <= U256::from(amount));
        prop_assert!(got.negative || got.magnitude.is_zero());
        if got.magnitude.is_zero() {
            return Ok(());
        }
        if let Ok(back) = pool.swap(zfo, SignedAmount::negative(got.magnitude), None) {
            check_state(&pool, &back, zfo);
            let (paid2, got2) = if zfo { (back.amount0, back.amount1) } else { (back.amount1, back.amount0) };
            prop_assert_eq!(got2, got);
            // Where the output is flat in the price (a wei of it worth a lot of input), exact output
            // may legitimately run past where exact input stopped, as the contract does; short of
            // that it never needs more input.
            let not_past = if zfo { back.sqrt_price_x96 >= r.sqrt_price_x96 } else { back.sqrt_price_x96 <= r.sqrt_price_x96 };
            if not_past {
                prop_assert!(paid2.magnitude <= paid.magnitude, "{} > {}", paid2.magnitude, paid.magnitude);
            }
        }
    }
}

/// The same pool without remembered steps (TickMap keeps none after construction).
fn cold(p: &V3Pool) -> V3Pool {
    V3Pool::new(
        p.sqrt_price_x96(),
        p.tick(),
        p.liquidity(),
        p.fee(),
        p.tick_spacing(),
        p.ticks().to_nets(),
    )
    .unwrap()
}

/// Pools with many positions around the price, consistent with their liquidity, so that swaps
/// cross many initialized ticks (and bitmap word edges at small spacings).
fn ladder_pool() -> impl Strategy<Value = V3Pool> {
    (
        prop_oneof![Just(1i32), Just(10), Just(60)],
        prop_oneof![
            Just(100u32),
            Just(500),
            Just(3000),
            Just(10000),
            0u32..1_000_000
        ],
        -2000i32..2000,
        prop::collection::vec((-40i32..40, 1i32..30, 1u64..u64::MAX), 1..16),
    )
        .prop_map(|(spacing, fee, tick, positions)| {
            let c = tick.div_euclid(spacing);
            let positions: Vec<(i32, i32, i128)> = positions
                .into_iter()
                .map(|(lo, w, l)| {
                    (
                        (c + lo) * spacing,
                        (c + lo + w) * spacing,
                        i128::from(l) << 20,
                    )
                })
                .collect();
            pool_with(tick, fee, spacing, &positions)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(debug_assertions) { 64 } else { 600 }))]

    /// The remembered threshold decides "the input reaches the target" as the contract's
    /// mulDiv(remaining, 1e6 - fee, 1e6) >= amountIn does.
    #[test]
    fn least_exact_input_matches_the_contract_test(a in any::<[u64; 4]>(), r in any::<[u64; 4]>(), shift in 0usize..256, fee in 0u32..1_000_000) {
        let a = U256::from_limbs(a) >> shift;
        let r = U256::from_limbs(r) >> 1usize; // int256's positive range
        let c = U256::from(1_000_000 - fee);
        let contract = crate::amm::v3::mul_div(r, c, U256::from(1_000_000)).unwrap() >= a;
        if let Ok(least) = crate::amm::v3::mul_div_rounding_up(a, U256::from(1_000_000), c) {
            prop_assert_eq!(r >= least, contract);
        } else {
            prop_assert!(!contract);
        }
    }

    /// Swaps reusing remembered full steps give exactly what a pool that never saw a swap
    /// gives: repeated swaps over the same ranges (state kept, or moved by `apply` between them),
    /// both directions, exact input and output, with and without a price limit.
    #[test]
    fn remembered_steps_change_nothing(
        pool in ladder_pool(),
        swaps in prop::collection::vec((any::<bool>(), 1u64..u64::MAX, 0u32..120, any::<bool>(), any::<bool>(), any::<u8>()), 1..24),
    ) {
        let mut warm = pool;
        for (zfo, mantissa, shift, exact_out, apply, limit_at) in swaps {
            // Log-uniform sizes from dust to 2**128: swaps that stop within the first range
            // (a remembered first step's short branch) as well as ones crossing every tick.
            let m = ((U256::from(mantissa) << 64usize) >> shift as usize).max(U256::from(1u8));
            let amount = if exact_out { SignedAmount::negative(m) } else { SignedAmount::positive(m) };
            // A limit on some tick's price now and then (a step that stops on an initialized
            // tick through the limit must not be taken for a remembered full step).
            let limit = (limit_at % 4 == 0).then(|| {
                let t = warm.tick() + if zfo { -i32::from(limit_at) } else { i32::from(limit_at) + 1 } * warm.tick_spacing();
                ratio(t.clamp(MIN_TICK + 1, MAX_TICK - 1))
            });
            let fresh = cold(&warm);
            let got = warm.swap(zfo, amount, limit);
            let want = fresh.swap(zfo, amount, limit);
            prop_assert_eq!(&got.as_ref().map_err(|e| e.to_string()), &want.as_ref().map_err(|e| e.to_string()));
            let quoted = warm.quote(zfo, amount).map(|q| (q.amount0, q.amount1, q.ticks_crossed)).map_err(|e| e.to_string());
            let expected = fresh.quote(zfo, amount).map(|q| (q.amount0, q.amount1, q.ticks_crossed)).map_err(|e| e.to_string());
            prop_assert_eq!(quoted, expected);
            if let (true, Ok(r)) = (apply, got) {
                warm.apply(&r).unwrap();
            }
        }
    }
}

fn check_state(pool: &V3Pool, r: &V3SwapResult, zfo: bool) {
    let t = get_tick_at_sqrt_ratio(r.sqrt_price_x96).unwrap();
    assert!(r.tick == t || (r.tick == t - 1 && ratio(t) == r.sqrt_price_x96));
    if zfo {
        assert!(r.sqrt_price_x96 <= pool.sqrt_price_x96());
    } else {
        assert!(r.sqrt_price_x96 >= pool.sqrt_price_x96());
    }
    // The result is a valid pool state.
    V3Pool::new(
        r.sqrt_price_x96,
        r.tick,
        r.liquidity,
        pool.fee(),
        pool.tick_spacing(),
        pool.ticks().to_nets(),
    )
    .unwrap();
}

/// `cargo test --release --lib amm::v3::pool_tests::speed -- --ignored --nocapture`
#[test]
#[ignore]
fn speed() {
    // Positions every 20 ticks (spacing 10): a swap crossing ten initialized ticks in one word.
    let positions: Vec<(i32, i32, i128)> = (1..=40)
        .map(|k| (-20 * k, 20 * k, (E18 / 10) as i128))
        .collect();
    let p = pool_with(5, 500, 10, &positions);
    let amount = 4 * E18 / 100;
    let r = p.swap(true, pos(amount), None).unwrap();
    println!("ticks crossed: {}, final tick {}", r.ticks_crossed, r.tick);
    assert!((8..=14).contains(&r.ticks_crossed));
    for (name, zfo, a) in [
        ("exact in ", true, pos(amount)),
        ("exact out", true, neg(amount / 2)),
        ("1 for 0  ", false, pos(amount)),
    ] {
        let n = 200_000u32;
        let t0 = std::time::Instant::now();
        for i in 0..n {
            let a = SignedAmount {
                negative: a.negative,
                magnitude: a.magnitude + U256::from(i),
            };
            std::hint::black_box(p.swap(zfo, std::hint::black_box(a), None).unwrap());
        }
        println!(
            "{name}: {:.3} us per swap",
            t0.elapsed().as_secs_f64() * 1e6 / f64::from(n)
        );
    }
    let n = 1_000_000u32;
    let t0 = std::time::Instant::now();
    for i in 0..n {
        std::hint::black_box(
            get_sqrt_ratio_at_tick(std::hint::black_box((i as i32 % 1_700_000) - 850_000)).unwrap(),
        );
    }
    println!(
        "getSqrtRatioAtTick: {:.1} ns",
        t0.elapsed().as_secs_f64() * 1e9 / f64::from(n)
    );
    let t0 = std::time::Instant::now();
    for i in 0..n {
        let price = q96() + U256::from(i) * U256::from(1_000_000_000_000u64);
        std::hint::black_box(get_tick_at_sqrt_ratio(std::hint::black_box(price)).unwrap());
    }
    println!(
        "getTickAtSqrtRatio: {:.1} ns",
        t0.elapsed().as_secs_f64() * 1e9 / f64::from(n)
    );
}
