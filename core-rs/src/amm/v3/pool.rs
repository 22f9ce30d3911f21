//! UniswapV3Pool.swap (v3-core 1.0) over an in-memory pool state, and the tick/liquidity effect of
//! Mint and Burn.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use ruint::aliases::U256;

use super::full_math::{mul_div, mul_div_rounding_up};
use super::int256::{add_delta, I256};
use super::sqrt_price_math::U160_MAX;
use super::swap_math::{compute_step_i256, compute_swap_step_i256, SwapStep};
use super::tick_map::{FullStep, Memo, TickMap};
use super::tick_math::{
    get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio, MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO,
    MIN_TICK,
};
use crate::amm::error::{invalid, revert};
use crate::amm::{AmmError, AmmResult, SignedAmount};

/// What a swap did, from the pool's side: positive amounts are paid into the pool, negative ones
/// paid out. `sqrt_price_x96`, `tick` and `liquidity` are the pool's state afterwards;
/// `ticks_crossed` counts the initialized ticks crossed (each one a `Tick.cross` in the contract).
/// `origin` says which pool state it was computed from: [`V3Pool::apply`] takes it only there.
/// Two results are equal when they describe the same swap, wherever they came from.
#[derive(Clone, Debug)]
pub struct V3SwapResult {
    pub amount0: SignedAmount,
    pub amount1: SignedAmount,
    pub sqrt_price_x96: U256,
    pub tick: i32,
    pub liquidity: u128,
    pub ticks_crossed: u32,
    pub origin: SwapOrigin,
}

impl PartialEq for V3SwapResult {
    fn eq(&self, other: &Self) -> bool {
        (
            self.amount0,
            self.amount1,
            self.sqrt_price_x96,
            self.tick,
            self.liquidity,
            self.ticks_crossed,
        ) == (
            other.amount0,
            other.amount1,
            other.sqrt_price_x96,
            other.tick,
            other.liquidity,
            other.ticks_crossed,
        )
    }
}

impl Eq for V3SwapResult {}

/// The pool and the state a swap was computed from. Both are stamps drawn from one
/// process-wide counter: a pool's identity when it is built (a clone keeps it, being the same
/// pool), its state's whenever its price, tick, liquidity or ticks change. A clone in the same
/// state shares the state stamp (a result computed on either is right for both); once either
/// moves it draws a fresh one, so two states that ever differed never share a stamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwapOrigin {
    pool: u64,
    state: u64,
}

/// 2**64 stamps: at a billion changes a second, five centuries.
static NEXT_STAMP: AtomicU64 = AtomicU64::new(1);

fn fresh_stamp() -> u64 {
    NEXT_STAMP.fetch_add(1, Ordering::Relaxed)
}

/// What a swap pays and takes, without the state it leaves (see [`V3Pool::quote`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V3Quote {
    pub amount0: SignedAmount,
    pub amount1: SignedAmount,
    pub ticks_crossed: u32,
}

/// A Uniswap V3 pool's swap-relevant state: slot0's price and tick, the active liquidity, the fee
/// (pips) and tick spacing, and every initialized tick with its liquidityNet. liquidityGross is
/// kept for the ticks where it is known (see [`V3Pool::update_position`]).
#[derive(Clone, Debug)]
pub struct V3Pool {
    sqrt_price_x96: U256,
    tick: i32,
    liquidity: u128,
    fee: u32,
    tick_spacing: i32,
    /// Shared between clones (the route kernel clones pools to simulate split routes); a swap
    /// only reads it, and Mint/Burn copy it first if it is shared.
    ticks: Arc<TickMap>,
    gross: BTreeMap<i32, u128>,
    /// Set by the first swap from the current state; the second one fills `opening`.
    swapped_here: OnceLock<()>,
    /// Per direction (index: zero_for_one), the full step from the current price to the first
    /// target a swap from this state steps towards. It depends on the state only, so a pool
    /// quoted many times between updates (route sizing, a simulation's candidate trades)
    /// decides each swap's first step with one comparison. Emptied whenever the state changes.
    /// Shared by clones (a clone of an unchanged pool opens its swaps the same way).
    opening: [OnceLock<Arc<Opening>>; 2],
    /// This pool and its current state (see [`SwapOrigin`]), carried by every swap result.
    origin: SwapOrigin,
}

/// A remembered first step: the target it reached, and its amounts from the pool's price at
/// the pool's liquidity (both in `step`, checked on use).
#[derive(Clone, Debug)]
struct Opening {
    target: U256,
    step: FullStep,
}

/// From this many amounts on, `quote_many` spreads the work over rayon's threads.
const PARALLEL_QUOTES: usize = 64;

impl V3Pool {
    /// A pool from its on-chain state. Validates: `fee < 1_000_000`; `0 < tick_spacing < 16384`;
    /// `MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO`; `MIN_TICK <= tick <= MAX_TICK` and
    /// `tick` consistent with the price as the contract keeps it (`tick ==
    /// getTickAtSqrtRatio(price)`, or `price == getSqrtRatioAtTick(tick + 1)` after a
    /// zero-for-one swap stopped on a tick boundary); every key of `ticks` (tick -> liquidityNet of
    /// an initialized tick) a multiple of `tick_spacing` within [MIN_TICK, MAX_TICK]. Errors name
    /// the offending argument or tick. liquidityGross is unknown for these ticks until
    /// [`V3Pool::set_liquidity_gross`] gives it.
    pub fn new(
        sqrt_price_x96: U256,
        tick: i32,
        liquidity: u128,
        fee: u32,
        tick_spacing: i32,
        ticks: BTreeMap<i32, i128>,
    ) -> AmmResult<V3Pool> {
        if fee >= 1_000_000 {
            return Err(invalid(format!("fee: {fee} must be below 1000000 pips")));
        }
        if !(1..16384).contains(&tick_spacing) {
            return Err(invalid(format!(
                "tick_spacing: {tick_spacing} must be in [1, 16383]"
            )));
        }
        if sqrt_price_x96 < MIN_SQRT_RATIO || sqrt_price_x96 >= MAX_SQRT_RATIO {
            return Err(invalid(format!(
                "sqrt_price_x96: {sqrt_price_x96} must be in [MIN_SQRT_RATIO, MAX_SQRT_RATIO)"
            )));
        }
        if !(MIN_TICK..=MAX_TICK).contains(&tick) {
            return Err(invalid(format!(
                "tick: {tick} must be in [{MIN_TICK}, {MAX_TICK}]"
            )));
        }
        let price_tick = get_tick_at_sqrt_ratio(sqrt_price_x96)?;
        let on_upper_boundary =
            tick < MAX_TICK && get_sqrt_ratio_at_tick(tick + 1)? == sqrt_price_x96;
        if price_tick != tick && !on_upper_boundary {
            return Err(invalid(format!(
                "tick: {tick} does not match sqrt_price_x96 {sqrt_price_x96}, whose tick is \
                 {price_tick}"
            )));
        }
        for &t in ticks.keys() {
            if !(MIN_TICK..=MAX_TICK).contains(&t) {
                return Err(invalid(format!(
                    "ticks: tick {t} is outside [{MIN_TICK}, {MAX_TICK}]"
                )));
            }
            if t % tick_spacing != 0 {
                return Err(invalid(format!(
                    "ticks: tick {t} is not a multiple of tick_spacing {tick_spacing}"
                )));
            }
        }
        Ok(V3Pool {
            sqrt_price_x96,
            tick,
            liquidity,
            fee,
            tick_spacing,
            ticks: Arc::new(TickMap::from_nets(&ticks)?),
            gross: BTreeMap::new(),
            swapped_here: OnceLock::new(),
            opening: Default::default(),
            origin: SwapOrigin {
                pool: fresh_stamp(),
                state: fresh_stamp(),
            },
        })
    }

    pub fn sqrt_price_x96(&self) -> U256 {
        self.sqrt_price_x96
    }
    pub fn tick(&self) -> i32 {
        self.tick
    }
    pub fn liquidity(&self) -> u128 {
        self.liquidity
    }
    pub fn fee(&self) -> u32 {
        self.fee
    }
    pub fn tick_spacing(&self) -> i32 {
        self.tick_spacing
    }
    /// Initialized ticks and their liquidityNet.
    pub fn ticks(&self) -> &TickMap {
        &self.ticks
    }
    /// liquidityGross of an initialized tick, where known.
    pub fn liquidity_gross(&self, tick: i32) -> Option<u128> {
        self.gross.get(&tick).copied()
    }

    /// Tick.tickSpacingToMaxLiquidityPerTick: the most liquidityGross one tick may hold ("LO").
    pub fn max_liquidity_per_tick(&self) -> u128 {
        let s = self.tick_spacing.max(1);
        let min_tick = (MIN_TICK / s) * s;
        let max_tick = (MAX_TICK / s) * s;
        let num_ticks = ((max_tick - min_tick) / s) as u32 + 1;
        u128::MAX / u128::from(num_ticks)
    }

    /// Records the liquidityGross of an initialized tick (from `ticks(int24)` or TickLens), which
    /// lets [`V3Pool::update_position`] remove the tick exactly when the contract does. It must be
    /// positive, at least |liquidityNet| and at most [`V3Pool::max_liquidity_per_tick`].
    pub fn set_liquidity_gross(&mut self, tick: i32, liquidity_gross: u128) -> AmmResult<()> {
        let Some(&net) = self.ticks.get(&tick) else {
            return Err(invalid(format!(
                "tick: {tick} is not an initialized tick of this pool"
            )));
        };
        if liquidity_gross == 0 || liquidity_gross < net.unsigned_abs() {
            return Err(invalid(format!(
                "liquidity_gross: {liquidity_gross} for tick {tick} must be positive and at least \
                 |liquidityNet| = {}",
                net.unsigned_abs()
            )));
        }
        if liquidity_gross > self.max_liquidity_per_tick() {
            return Err(invalid(format!(
                "liquidity_gross: {liquidity_gross} for tick {tick} exceeds maxLiquidityPerTick {}",
                self.max_liquidity_per_tick()
            )));
        }
        self.gross.insert(tick, liquidity_gross);
        Ok(())
    }

    /// UniswapV3Pool.swap: `amount_specified` positive = exact input, negative = exact output;
    /// the result's amounts are from the pool's side (positive = paid into the pool). `None` as
    /// the limit means MIN_SQRT_RATIO + 1 (zero for one) or MAX_SQRT_RATIO - 1. Reverts ("AS",
    /// "SPL", "LS"/"LA", ...) exactly where the contract would; `self` is not changed.
    pub fn swap(
        &self,
        zero_for_one: bool,
        amount_specified: SignedAmount,
        sqrt_price_limit_x96: Option<U256>,
    ) -> AmmResult<V3SwapResult> {
        let amount_specified = I256::from_amount(amount_specified, "amount_specified")?;
        let limit = match sqrt_price_limit_x96 {
            Some(limit) if limit > U160_MAX => {
                return Err(invalid(format!(
                    "sqrt_price_limit_x96: {limit} does not fit uint160"
                )))
            }
            Some(limit) => limit,
            None if zero_for_one => MIN_SQRT_RATIO + U256::from(1u8),
            None => MAX_SQRT_RATIO - U256::from(1u8),
        };
        self.swap_inner(zero_for_one, amount_specified, limit, true)
    }

    /// The amounts of [`V3Pool::swap`] with no price limit, for callers that never apply the
    /// result (route sizing quotes a pool hundreds of times): it skips the final
    /// getTickAtSqrtRatio, which only the resulting state needs.
    pub fn quote(&self, zero_for_one: bool, amount_specified: SignedAmount) -> AmmResult<V3Quote> {
        let amount_specified = I256::from_amount(amount_specified, "amount_specified")?;
        let limit = if zero_for_one {
            MIN_SQRT_RATIO + U256::from(1u8)
        } else {
            MAX_SQRT_RATIO - U256::from(1u8)
        };
        let r = self.swap_inner(zero_for_one, amount_specified, limit, false)?;
        Ok(V3Quote {
            amount0: r.amount0,
            amount1: r.amount1,
            ticks_crossed: r.ticks_crossed,
        })
    }

    /// `final_tick`: compute the tick of a price that ends between ticks. A step that ends
    /// there has used up the amount (or reached the limit), so the loop never reads that tick:
    /// without it the result's `tick` is stale, and only [`V3Pool::quote`] passes false.
    fn swap_inner(
        &self,
        zero_for_one: bool,
        amount_specified: I256,
        limit: U256,
        final_tick: bool,
    ) -> AmmResult<V3SwapResult> {
        if amount_specified.is_zero() {
            return Err(revert("AS: amountSpecified is zero"));
        }
        let price_start = self.sqrt_price_x96;
        let limit_ok = if zero_for_one {
            limit < price_start && limit > MIN_SQRT_RATIO
        } else {
            limit > price_start && limit < MAX_SQRT_RATIO
        };
        if !limit_ok {
            return Err(revert(format!(
                "SPL: price limit {limit} out of range for a {} swap from sqrt price {price_start}",
                if zero_for_one {
                    "zeroForOne"
                } else {
                    "oneForZero"
                }
            )));
        }

        let exact_input = !amount_specified.is_negative();
        let mut remaining = amount_specified;
        let mut calculated = I256::ZERO;
        let mut price = price_start;
        let mut tick = self.tick;
        let mut liquidity = self.liquidity;
        let mut ticks_crossed = 0u32;
        let mut steps = 0usize;
        let mut hint = None;
        let memo = self.ticks.memo_for_swap();

        while !remaining.is_zero() && price != limit {
            let step_start = price;
            let (next, found, split) =
                self.ticks
                    .next_initialized_from(tick, self.tick_spacing, zero_for_one, hint);
            hint = Some(split);
            // The bitmap knows nothing of the tick range: clamp.
            let tick_next = next.clamp(i64::from(MIN_TICK), i64::from(MAX_TICK)) as i32;
            let price_next = match (found, memo) {
                (Some(k), Some(m)) => m.sqrt_price_x96(k),
                _ => get_sqrt_ratio_at_tick(tick_next)?,
            };
            let target =
                if (zero_for_one && price_next < limit) || (!zero_for_one && price_next > limit) {
                    limit
                } else {
                    price_next
                };
            let step = match (found, memo) {
                _ if steps == 0 => self.opening_step(zero_for_one, target, remaining)?,
                (Some(k), Some(m)) if target == price_next => {
                    self.step_onto_tick(m, k, zero_for_one, price, liquidity, remaining, steps)?
                }
                _ => compute_swap_step_i256(price, target, liquidity, remaining, self.fee)?,
            };
            steps += 1;
            price = step.sqrt_ratio_next_x96;

            // amountIn + feeAmount is an unchecked uint256 sum, then SafeCast.toInt256; the
            // remaining amount is updated unchecked, the calculated one with LowGasSafeMath.
            if exact_input {
                let spent = I256::from_uint(step.amount_in.wrapping_add(step.fee_amount))?;
                remaining = remaining.wrapping_sub(spent);
                calculated = calculated.safe_sub(I256::from_uint(step.amount_out)?)?;
            } else {
                remaining = remaining.wrapping_add(I256::from_uint(step.amount_out)?);
                let paid = I256::from_uint(step.amount_in.wrapping_add(step.fee_amount))?;
                calculated = calculated.safe_add(paid)?;
            }
            // Fee growth (FullMath.mulDiv(feeAmount, Q128, liquidity)) cannot revert: a step's fee
            // is below liquidity * 2**85, far from liquidity * 2**128. Protocol fees and oracle
            // writes do not change amounts, prices or liquidity.

            if price == price_next {
                if let Some(k) = found {
                    let net = self.ticks.net_at(k);
                    // Unchecked negation in 0.7: int128.min stays int128.min.
                    let net = if zero_for_one {
                        net.wrapping_neg()
                    } else {
                        net
                    };
                    liquidity = add_delta(liquidity, net)?;
                    ticks_crossed = ticks_crossed.saturating_add(1);
                }
                tick = if zero_for_one {
                    tick_next - 1
                } else {
                    tick_next
                };
            } else if final_tick && price != step_start {
                // Not on a tick boundary (or a boundary already transitioned): recompute.
                tick = get_tick_at_sqrt_ratio(price)?;
            }
        }

        let specified_used = amount_specified.wrapping_sub(remaining);
        let (amount0, amount1) = if zero_for_one == exact_input {
            (specified_used, calculated)
        } else {
            (calculated, specified_used)
        };
        Ok(V3SwapResult {
            amount0: amount0.to_amount(),
            amount1: amount1.to_amount(),
            sqrt_price_x96: price,
            tick,
            liquidity,
            ticks_crossed,
            origin: self.origin,
        })
    }

    /// computeSwapStep towards the k-th initialized tick, reusing the amounts of an identical
    /// full step seen before. A step is remembered only when it starts where an earlier step of
    /// the same swap ended (a tick's price), so a swap's arbitrary starting price does not take
    /// the tick's one slot.
    #[allow(clippy::too_many_arguments)]
    fn step_onto_tick(
        &self,
        memo: &Memo,
        k: usize,
        zero_for_one: bool,
        price: U256,
        liquidity: u128,
        remaining: I256,
        steps_before: usize,
    ) -> AmmResult<SwapStep> {
        let to = memo.sqrt_price_x96(k);
        if let Some(full) = memo.full_step(k, zero_for_one, price, liquidity) {
            return self.step_with_full(full, to, remaining);
        }
        let step = compute_swap_step_i256(price, to, liquidity, remaining, self.fee)?;
        if steps_before > 0 && memo.vacant(k, zero_for_one) {
            // A swap that stops short of the tick computes the full step once, so that the next
            // one stopping in this range skips the amount to the tick.
            let full = if step.sqrt_ratio_next_x96 == to {
                Some(self.full_step(price, liquidity, &step))
            } else {
                self.full_step_to(price, to, liquidity)
            };
            if let Some(full) = full {
                memo.remember(k, zero_for_one, full);
            }
        }
        Ok(step)
    }

    /// A step that reached its target, as remembered: with the least exact input that reaches it.
    fn full_step(&self, start: U256, liquidity: u128, step: &SwapStep) -> FullStep {
        FullStep {
            start,
            liquidity,
            amount_in: step.amount_in,
            amount_out: step.amount_out,
            fee_amount: step.fee_amount,
            min_exact_in: mul_div_rounding_up(
                step.amount_in,
                U256::from(1_000_000),
                U256::from(1_000_000 - self.fee),
            )
            .ok(),
        }
    }

    /// The full step from `start` to `to`: what any input that reaches `to` pays and gets,
    /// computed with an input no step can use up (every amount to a target is below 2**225,
    /// while mulDiv(2**255 - 1, 1e6 - fee, 1e6) >= 2**235). It cannot fail; were it to, the
    /// swap goes on without it.
    fn full_step_to(&self, start: U256, to: U256, liquidity: u128) -> Option<FullStep> {
        let all = I256::from_uint(U256::MAX >> 1).ok()?;
        let step = compute_swap_step_i256(start, to, liquidity, all, self.fee).ok()?;
        (step.sqrt_ratio_next_x96 == to).then(|| self.full_step(start, liquidity, &step))
    }

    /// A swap's first step, from the pool's own price and liquidity towards `target`: from the
    /// second swap from this state on, decided against the remembered full step.
    fn opening_step(
        &self,
        zero_for_one: bool,
        target: U256,
        remaining: I256,
    ) -> AmmResult<SwapStep> {
        let (price, liquidity, fee) = (self.sqrt_price_x96, self.liquidity, self.fee);
        let slot = &self.opening[usize::from(zero_for_one)];
        let computed = || compute_swap_step_i256(price, target, liquidity, remaining, fee);
        let opening = match slot.get() {
            Some(o) => o,
            // The state's first swap only marks it; the second remembers the step.
            None if self.swapped_here.set(()).is_ok() => return computed(),
            None => match self.full_step_to(price, target, liquidity) {
                Some(step) => slot.get_or_init(|| Arc::new(Opening { target, step })),
                None => return computed(),
            },
        };
        let o = opening;
        if o.target == target && o.step.start == price && o.step.liquidity == liquidity {
            self.step_with_full(&o.step, target, remaining)
        } else {
            // Another target (a price limit) than the remembered one.
            computed()
        }
    }

    /// The step towards `to` from a full step's start and liquidity: its amounts if the
    /// remaining amount reaches `to` (the contract's test, on the amounts it would compute),
    /// else the step that stops short, without recomputing the amount to `to`.
    fn step_with_full(&self, full: &FullStep, to: U256, remaining: I256) -> AmmResult<SwapStep> {
        let reaches = if remaining.is_negative() {
            remaining.neg_as_uint() >= full.amount_out
        } else {
            match full.min_exact_in {
                Some(least) => remaining.as_uint() >= least,
                None => {
                    let fee_complement = U256::from(1_000_000 - self.fee);
                    mul_div(remaining.as_uint(), fee_complement, U256::from(1_000_000))?
                        >= full.amount_in
                }
            }
        };
        if reaches {
            Ok(SwapStep {
                sqrt_ratio_next_x96: to,
                amount_in: full.amount_in,
                amount_out: full.amount_out,
                fee_amount: full.fee_amount,
            })
        } else {
            compute_step_i256(full.start, to, full.liquidity, remaining, self.fee, true)
        }
    }

    /// The price, tick or liquidity changed: what was remembered of the old state goes, and
    /// results computed from it no longer apply.
    fn state_changed(&mut self) {
        self.swapped_here = OnceLock::new();
        self.opening = Default::default();
        self.origin.state = fresh_stamp();
    }

    /// Replaces slot0's price and tick and the active liquidity (what a Swap event reports),
    /// keeping the tick map; validated as in [`V3Pool::new`], unchanged on an error.
    pub fn set_state(&mut self, sqrt_price_x96: U256, tick: i32, liquidity: u128) -> AmmResult<()> {
        let checked = V3Pool::new(
            sqrt_price_x96,
            tick,
            liquidity,
            self.fee,
            self.tick_spacing,
            BTreeMap::new(),
        )?;
        self.sqrt_price_x96 = checked.sqrt_price_x96;
        self.tick = checked.tick;
        self.liquidity = checked.liquidity;
        self.state_changed();
        Ok(())
    }

    /// Moves the pool to a swap result's state (sqrt price, tick, active liquidity). The result
    /// must come from this pool's [`V3Pool::swap`] in its current state: one from another pool,
    /// or from a state this pool has since left (another result applied, [`V3Pool::set_state`],
    /// [`V3Pool::update_position`]), is refused with [`AmmError::ResultMismatch`] and the pool
    /// is unchanged. Applied, it would leave the pool where no swap leads.
    pub fn apply(&mut self, result: &V3SwapResult) -> AmmResult<()> {
        if result.origin.pool != self.origin.pool {
            return Err(AmmError::ResultMismatch(
                "result: comes from another pool's swap, not this pool's; swap on this pool and \
                 apply that result"
                    .into(),
            ));
        }
        if result.origin.state != self.origin.state {
            return Err(AmmError::ResultMismatch(
                "result: is stale: this pool has changed since the swap was computed (another \
                 result applied, or its state or ticks updated); swap again from the current \
                 state"
                    .into(),
            ));
        }
        self.sqrt_price_x96 = result.sqrt_price_x96;
        self.tick = result.tick;
        self.liquidity = result.liquidity;
        self.state_changed();
        Ok(())
    }

    /// Exact-input quotes with the default price limit: the output amount (positive) for each
    /// input, or the error the swap gives; one result per amount, in order.
    pub fn quote_many(&self, zero_for_one: bool, amounts_in: &[U256]) -> Vec<AmmResult<U256>> {
        let quote = |amount: &U256| -> AmmResult<U256> {
            let r = self.swap(zero_for_one, SignedAmount::positive(*amount), None)?;
            let out = if zero_for_one { r.amount1 } else { r.amount0 };
            // The output side is never positive (amountCalculated only decreases).
            Ok(if out.negative {
                out.magnitude
            } else {
                U256::ZERO
            })
        };
        if amounts_in.len() >= PARALLEL_QUOTES {
            amounts_in.par_iter().map(quote).collect()
        } else {
            amounts_in.iter().map(quote).collect()
        }
    }

    /// The tick-map and active-liquidity effect of a Mint (`liquidity_delta > 0`) or Burn (< 0) of
    /// the position [tick_lower, tick_upper), applied in place and atomically (on an error the
    /// pool is unchanged), with the contract's checks: "TLU", "TLM", "TUM"; liquidityGross
    /// "LS"/"LA" and "LO"; liquidityNet's int128 cast; an unspaced tick being initialized; the
    /// active liquidity's "LS"/"LA" when `tick_lower <= tick < tick_upper`.
    ///
    /// Tick removal follows liquidityGross, as the contract's bitmap does: a tick stays initialized
    /// while any position references it, even at liquidityNet 0. liquidityGross is tracked exactly
    /// for every tick initialized through this method and for every tick given to
    /// [`V3Pool::set_liquidity_gross`]: such a tick is removed exactly when its liquidityGross
    /// reaches 0. For a tick whose liquidityGross was never given (loaded by [`V3Pool::new`]
    /// alone) a Mint keeps it (liquidityGross stays positive), and a Burn keeps it unless its
    /// liquidityNet becomes 0, in which case it is removed: the one guess, so load
    /// liquidityGross for exact tick maps. A zero delta changes nothing (a Burn of 0 only pokes
    /// fees). `i128::MIN` is not a possible Mint/Burn amount.
    pub fn update_position(
        &mut self,
        tick_lower: i32,
        tick_upper: i32,
        liquidity_delta: i128,
    ) -> AmmResult<()> {
        if tick_lower >= tick_upper {
            return Err(revert(format!(
                "TLU: tick_lower {tick_lower} must be below tick_upper {tick_upper}"
            )));
        }
        if tick_lower < MIN_TICK {
            return Err(revert(format!(
                "TLM: tick_lower {tick_lower} is below MIN_TICK {MIN_TICK}"
            )));
        }
        if tick_upper > MAX_TICK {
            return Err(revert(format!(
                "TUM: tick_upper {tick_upper} is above MAX_TICK {MAX_TICK}"
            )));
        }
        if liquidity_delta == i128::MIN {
            return Err(invalid(
                "liquidity_delta: -2**127 is not a possible Mint or Burn amount (uint128 amounts \
                 must fit int128)",
            ));
        }
        if liquidity_delta == 0 {
            return Ok(());
        }
        let max_liquidity = self.max_liquidity_per_tick();
        let lower = self.tick_update(tick_lower, liquidity_delta, false, max_liquidity)?;
        let upper = self.tick_update(tick_upper, liquidity_delta, true, max_liquidity)?;
        // TickBitmap.flipTick: require(tick % tickSpacing == 0) when a tick is (un)initialized.
        for (t, u) in [(tick_lower, &lower), (tick_upper, &upper)] {
            if u.flipped && t % self.tick_spacing != 0 {
                return Err(revert(format!(
                    "TickBitmap.flipTick: tick {t} is not a multiple of tick spacing {} (the \
                     contract's require gives no reason string)",
                    self.tick_spacing
                )));
            }
        }
        let liquidity = if tick_lower <= self.tick && self.tick < tick_upper {
            add_delta(self.liquidity, liquidity_delta)?
        } else {
            self.liquidity
        };
        // Commit (both ticks are in range, checked above: the map takes them). The liquidity of
        // the ranges around them changed, so the map drops its memo.
        let ticks = Arc::make_mut(&mut self.ticks);
        for (t, u) in [(tick_lower, lower), (tick_upper, upper)] {
            if u.remove {
                ticks.remove(&t);
                self.gross.remove(&t);
            } else {
                ticks.put(t, u.net)?;
                match u.gross {
                    Some(g) => self.gross.insert(t, g),
                    None => self.gross.remove(&t),
                };
            }
        }
        self.liquidity = liquidity;
        // The ticks changed too (the first target may be another tick).
        self.state_changed();
        Ok(())
    }

    /// Tick.update without writing: the tick's new liquidityNet and liquidityGross (if known),
    /// whether it flips (initialized <-> uninitialized) and whether it leaves the map.
    fn tick_update(
        &self,
        tick: i32,
        delta: i128,
        upper: bool,
        max_liquidity: u128,
    ) -> AmmResult<TickUpdate> {
        let old_net = self.ticks.get(&tick).copied();
        // An uninitialized tick has liquidityGross 0.
        let old_gross = match old_net {
            None => Some(0u128),
            Some(_) => self.gross.get(&tick).copied(),
        };
        let new_gross = match old_gross {
            Some(g) => {
                let after = add_delta(g, delta)?;
                if after > max_liquidity {
                    return Err(revert(format!(
                        "LO: liquidityGross {after} of tick {tick} exceeds maxLiquidityPerTick \
                         {max_liquidity}"
                    )));
                }
                Some(after)
            }
            None => None,
        };
        let net = old_net.unwrap_or(0);
        let new_net = if upper {
            net.checked_sub(delta)
        } else {
            net.checked_add(delta)
        }
        .ok_or_else(|| {
            revert(format!(
                "SafeCast.toInt128: liquidityNet of tick {tick} overflows int128 (the contract's \
                 require gives no reason string)"
            ))
        })?;
        let initialized_after = match new_gross {
            Some(g) => g != 0,
            // Unknown liquidityGross: positive after a Mint; after a Burn, guessed from liquidityNet.
            None => delta > 0 || new_net != 0,
        };
        Ok(TickUpdate {
            net: new_net,
            gross: new_gross,
            flipped: old_net.is_some() != initialized_after,
            remove: !initialized_after,
        })
    }
}

struct TickUpdate {
    net: i128,
    gross: Option<u128>,
    flipped: bool,
    remove: bool,
}
