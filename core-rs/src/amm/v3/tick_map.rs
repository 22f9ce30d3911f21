//! A pool's initialized ticks (tick -> liquidityNet), in sorted vectors, and what repeated swaps
//! over them can reuse.
//!
//! A swap step that ends on an initialized tick needs the tick's price (getSqrtRatioAtTick, a
//! dozen 256-bit multiplications), and a step that runs all the way to an initialized tick
//! depends only on its start price, that tick's price, the liquidity and the fee (see
//! [`FullStep`]). A [`Memo`] keeps both per tick so that a later swap over the same range adds
//! up amounts instead of redoing the 512-bit arithmetic. It is built by the second swap that
//! reads the map: a pool built for one swap, or one that is only updated, never pays for it.

use std::collections::BTreeMap;
use std::ops::{Bound, RangeBounds};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use ruint::aliases::U256;

use super::tick_bitmap::word_range;
use super::tick_math::{get_sqrt_ratio_at_tick, MAX_TICK, MIN_TICK};
use crate::amm::error::invalid;
use crate::amm::AmmResult;

/// A computeSwapStep that reached its target: with the target reached, the contract's amounts
/// are the same for exact input and exact output (amountIn rounded up, amountOut down, the fee
/// mulDivRoundingUp(amountIn, fee, 1e6 - fee)), so they depend on nothing but the start price,
/// the target, the liquidity and the pool's fee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FullStep {
    pub start: U256,
    pub liquidity: u128,
    pub amount_in: U256,
    pub amount_out: U256,
    pub fee_amount: U256,
    /// The least exact-input amount remaining that reaches the target:
    /// mulDiv(r, 1e6 - fee, 1e6) >= amount_in exactly when r >= ceil(amount_in * 1e6 / (1e6 - fee)).
    /// None if that exceeds uint256 (then the caller computes the contract's test).
    pub min_exact_in: Option<U256>,
}

type Slot = OnceLock<Box<FullStep>>;

/// Per initialized tick (same order as the map): its sqrt price, and the first full step (after
/// a swap's first, whose start price is arbitrary) that reached it from above (a zero-for-one
/// swap) and from below. A slot is filled once; a step with another start price or liquidity
/// simply does not use it.
#[derive(Debug)]
pub struct Memo {
    sqrt_price_x96: Vec<U256>,
    from_above: Vec<Slot>,
    from_below: Vec<Slot>,
}

impl Memo {
    fn build(ticks: &[i32]) -> Memo {
        Memo {
            // In range: TickMap only holds ticks in [MIN_TICK, MAX_TICK].
            sqrt_price_x96: ticks
                .iter()
                .map(|&t| get_sqrt_ratio_at_tick(t).unwrap_or_default())
                .collect(),
            from_above: ticks.iter().map(|_| Slot::new()).collect(),
            from_below: ticks.iter().map(|_| Slot::new()).collect(),
        }
    }

    /// getSqrtRatioAtTick of the k-th initialized tick.
    pub fn sqrt_price_x96(&self, k: usize) -> U256 {
        self.sqrt_price_x96[k]
    }

    fn slot(&self, k: usize, zero_for_one: bool) -> &Slot {
        if zero_for_one {
            &self.from_above[k]
        } else {
            &self.from_below[k]
        }
    }

    /// The remembered step onto the k-th tick from `start` at `liquidity`, if there is one.
    pub fn full_step(
        &self,
        k: usize,
        zero_for_one: bool,
        start: U256,
        liquidity: u128,
    ) -> Option<&FullStep> {
        self.slot(k, zero_for_one)
            .get()
            .map(|s| s.as_ref())
            .filter(|s| s.start == start && s.liquidity == liquidity)
    }

    /// True if no step onto the k-th tick from that side is remembered yet.
    pub fn vacant(&self, k: usize, zero_for_one: bool) -> bool {
        self.slot(k, zero_for_one).get().is_none()
    }

    /// Remembers a step that reached the k-th tick (kept only if none is remembered yet).
    pub fn remember(&self, k: usize, zero_for_one: bool, step: FullStep) {
        let _ = self.slot(k, zero_for_one).set(Box::new(step));
    }
}

/// Initialized ticks (tick -> liquidityNet), sorted; read-only views give `(&tick, &net)` like a
/// `BTreeMap<i32, i128>`. Kept as sorted vectors: a swap searches the ticks once per step and
/// maps change only on Mint and Burn, so binary search over a contiguous array beats a tree walk,
/// and inserting into a few hundred ticks is cheap.
#[derive(Debug, Default)]
pub struct TickMap {
    ticks: Vec<i32>,
    nets: Vec<i128>,
    /// Set by the first swap that reads the map; the second builds the memo.
    swapped: AtomicBool,
    memo: OnceLock<Box<Memo>>,
}

impl Clone for TickMap {
    /// A copy of the ticks, without the memo (a copy is made to be changed: Mint or Burn).
    fn clone(&self) -> TickMap {
        TickMap {
            ticks: self.ticks.clone(),
            nets: self.nets.clone(),
            swapped: AtomicBool::new(false),
            memo: OnceLock::new(),
        }
    }
}

fn check_tick(tick: i32) -> AmmResult<()> {
    if (MIN_TICK..=MAX_TICK).contains(&tick) {
        Ok(())
    } else {
        Err(invalid(format!(
            "ticks: tick {tick} is outside [{MIN_TICK}, {MAX_TICK}]"
        )))
    }
}

impl TickMap {
    /// Ticks must lie in [MIN_TICK, MAX_TICK].
    pub fn from_nets(nets: &BTreeMap<i32, i128>) -> AmmResult<TickMap> {
        for &t in nets.keys() {
            check_tick(t)?;
        }
        Ok(TickMap {
            ticks: nets.keys().copied().collect(),
            nets: nets.values().copied().collect(),
            ..TickMap::default()
        })
    }

    pub fn len(&self) -> usize {
        self.ticks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ticks.is_empty()
    }

    fn index(&self, tick: i32) -> Result<usize, usize> {
        self.ticks.binary_search(&tick)
    }

    pub fn get(&self, tick: &i32) -> Option<&i128> {
        self.index(*tick).ok().map(|k| &self.nets[k])
    }

    pub fn contains_key(&self, tick: &i32) -> bool {
        self.index(*tick).is_ok()
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &i32> + '_ {
        self.ticks.iter()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&i32, &i128)> + '_ {
        self.ticks.iter().zip(&self.nets)
    }

    pub fn range<R: RangeBounds<i32>>(
        &self,
        range: R,
    ) -> impl DoubleEndedIterator<Item = (&i32, &i128)> + '_ {
        let from = match range.start_bound() {
            Bound::Included(&t) => self.ticks.partition_point(|&k| k < t),
            Bound::Excluded(&t) => self.ticks.partition_point(|&k| k <= t),
            Bound::Unbounded => 0,
        };
        let to = match range.end_bound() {
            Bound::Included(&t) => self.ticks.partition_point(|&k| k <= t),
            Bound::Excluded(&t) => self.ticks.partition_point(|&k| k < t),
            Bound::Unbounded => self.ticks.len(),
        };
        let to = to.max(from);
        self.ticks[from..to].iter().zip(&self.nets[from..to])
    }

    /// The ticks and their liquidityNet as a plain map.
    pub fn to_nets(&self) -> BTreeMap<i32, i128> {
        self.iter().map(|(&t, &n)| (t, n)).collect()
    }

    /// liquidityNet of the k-th initialized tick.
    pub(crate) fn net_at(&self, k: usize) -> i128 {
        self.nets[k]
    }

    /// Called once per swap: None for the map's first swap, the memo (built now if need be)
    /// from the second on.
    pub(crate) fn memo_for_swap(&self) -> Option<&Memo> {
        if let Some(m) = self.memo.get() {
            return Some(m);
        }
        if !self.swapped.swap(true, Ordering::Relaxed) {
            return None;
        }
        Some(self.memo.get_or_init(|| Box::new(Memo::build(&self.ticks))))
    }

    /// TickBitmap.nextInitializedTickWithinOneWord (see [`super::tick_bitmap`], which states
    /// the same search over a BTreeMap): the next initialized tick at or left of `tick` (`lte`)
    /// or right of it, without leaving the bitmap word, with its index; else the word's edge
    /// tick and None. `tick_spacing` must be positive.
    pub fn next_initialized(
        &self,
        tick: i32,
        tick_spacing: i32,
        lte: bool,
    ) -> (i64, Option<usize>) {
        let (next, found, _) = self.next_initialized_from(tick, tick_spacing, lte, None);
        (next, found)
    }

    /// [`TickMap::next_initialized`], starting from a guess of the search's split point
    /// (`hint`, from the previous call of a swap: the loop walks the ticks in order); a wrong
    /// guess only costs the binary search. Also returns the split point for the next step,
    /// assuming it starts past the tick found.
    pub(crate) fn next_initialized_from(
        &self,
        tick: i32,
        tick_spacing: i32,
        lte: bool,
        hint: Option<usize>,
    ) -> (i64, Option<usize>, usize) {
        if tick_spacing <= 0 {
            return (i64::from(tick), None, 0);
        }
        let (lo, hi) = word_range(tick, tick_spacing, lte);
        if lte {
            // k = the number of ticks <= hi.
            let k = self.split(hint, |t| i64::from(t) <= hi);
            match k.checked_sub(1) {
                Some(c) if i64::from(self.ticks[c]) >= lo => (i64::from(self.ticks[c]), Some(c), c),
                _ => (lo, None, k),
            }
        } else {
            // k = the number of ticks < lo.
            let k = self.split(hint, |t| i64::from(t) < lo);
            match self.ticks.get(k) {
                Some(&t) if i64::from(t) <= hi => (i64::from(t), Some(k), k + 1),
                _ => (hi, None, k),
            }
        }
    }

    /// `partition_point(below)` over the sorted ticks, checking `hint` first.
    #[inline]
    fn split(&self, hint: Option<usize>, below: impl Fn(i32) -> bool) -> usize {
        if let Some(h) = hint {
            let left_ok = h == 0 || self.ticks.get(h - 1).is_some_and(|&t| below(t));
            let right_ok = self.ticks.get(h).is_none_or(|&t| !below(t));
            if h <= self.ticks.len() && left_ok && right_ok {
                return h;
            }
        }
        self.ticks.partition_point(|&t| below(t))
    }

    /// Sets a tick's liquidityNet, initializing it if new, and drops the memo (the liquidity of
    /// the ranges around it changed). The tick must lie in the tick range; on an error nothing
    /// changes.
    pub(crate) fn put(&mut self, tick: i32, net: i128) -> AmmResult<()> {
        check_tick(tick)?;
        match self.index(tick) {
            Ok(k) => self.nets[k] = net,
            Err(k) => {
                self.ticks.insert(k, tick);
                self.nets.insert(k, net);
            }
        }
        self.forget();
        Ok(())
    }

    /// Removes a tick (if initialized) and drops the memo.
    pub(crate) fn remove(&mut self, tick: &i32) {
        if let Ok(k) = self.index(*tick) {
            self.ticks.remove(k);
            self.nets.remove(k);
        }
        self.forget();
    }

    fn forget(&mut self) {
        self.memo = OnceLock::new();
        *self.swapped.get_mut() = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amm::v3::tick_bitmap::next_initialized_tick_within_one_word;
    use proptest::prelude::*;

    proptest! {
        /// Memo prices are getSqrtRatioAtTick of their ticks, through construction and updates,
        /// and the nets read back as given.
        #[test]
        fn prices_match_their_ticks(
            nets in proptest::collection::btree_map(MIN_TICK..=MAX_TICK, any::<i128>(), 0..20),
            updates in proptest::collection::vec((MIN_TICK..=MAX_TICK, any::<i128>()), 0..20),
        ) {
            let mut map = TickMap::from_nets(&nets).unwrap();
            let mut expected = nets.clone();
            for (t, n) in updates {
                map.put(t, n).unwrap();
                expected.insert(t, n);
            }
            prop_assert_eq!(map.to_nets(), expected.clone());
            prop_assert!(map.memo_for_swap().is_none());
            let memo = map.memo_for_swap().unwrap();
            for (k, &t) in expected.keys().enumerate() {
                prop_assert_eq!(memo.sqrt_price_x96(k), get_sqrt_ratio_at_tick(t).unwrap());
            }
        }

        /// The word-by-word search equals TickBitmap's, stated over a BTreeMap in tick_bitmap.rs;
        /// ranges equal BTreeMap ranges.
        #[test]
        fn searches_match_the_btreemap_statement(
            spacing in prop_oneof![Just(1i32), Just(10), Just(60), 1i32..16384],
            raw in proptest::collection::vec(any::<i32>(), 0..40),
            near in proptest::collection::vec(-600i32..600, 0..40),
            probes in proptest::collection::vec(any::<i32>(), 1..30),
            lo in any::<i32>(),
            hi in any::<i32>(),
        ) {
            let max_c = MAX_TICK / spacing;
            let nets: BTreeMap<i32, i128> = raw
                .iter()
                .map(|t| t.rem_euclid(2 * max_c + 1) - max_c)
                .chain(near.iter().copied().map(|c| c.clamp(-max_c, max_c)))
                .map(|c| (c * spacing, i128::from(c)))
                .collect();
            let map = TickMap::from_nets(&nets).unwrap();
            for p in probes {
                let tick = p.rem_euclid(MAX_TICK - MIN_TICK + 1) + MIN_TICK;
                for lte in [true, false] {
                    let (t, k) = map.next_initialized(tick, spacing, lte);
                    let want = next_initialized_tick_within_one_word(&nets, tick, spacing, lte);
                    prop_assert_eq!((t, k.is_some()), want);
                    if let Some(k) = k {
                        prop_assert_eq!(Some(&map.net_at(k)), nets.get(&(t as i32)));
                    }
                    // Any hint, right or wrong, gives the same answer.
                    let plain = map.next_initialized_from(tick, spacing, lte, None);
                    for h in [0, p as usize % (nets.len() + 2), plain.2, plain.2 + 1, usize::MAX] {
                        prop_assert_eq!(map.next_initialized_from(tick, spacing, lte, Some(h)), plain);
                    }
                }
            }
            let (lo, hi) = (lo.min(hi), lo.max(hi));
            let got: Vec<_> = map.range(lo..=hi).collect();
            prop_assert_eq!(got, nets.range(lo..=hi).collect::<Vec<_>>());
            let got: Vec<_> = map.range(lo..hi).rev().collect();
            prop_assert_eq!(got, nets.range(lo..hi).rev().collect::<Vec<_>>());
            let got: Vec<_> = map.range(..=lo).rev().collect();
            prop_assert_eq!(got, nets.range(..=lo).rev().collect::<Vec<_>>());
            let got: Vec<_> = map.range(hi..).collect();
            prop_assert_eq!(got, nets.range(hi..).collect::<Vec<_>>());
        }
    }

    #[test]
    fn ticks_outside_the_range_are_refused() {
        let nets = BTreeMap::from([(MAX_TICK + 1, 1i128)]);
        assert!(TickMap::from_nets(&nets).is_err());
        let mut map = TickMap::default();
        assert!(map.put(MIN_TICK - 1, 1).is_err());
        assert!(map.is_empty());
    }

    #[test]
    fn changes_drop_the_memo() {
        let mut map = TickMap::from_nets(&BTreeMap::from([(-60, 5i128), (60, -5)])).unwrap();
        assert!(map.memo_for_swap().is_none());
        assert!(map.memo_for_swap().is_some());
        map.put(120, 1).unwrap();
        assert!(map.memo_for_swap().is_none());
        let memo = map.memo_for_swap().unwrap();
        assert_eq!(memo.sqrt_price_x96(2), get_sqrt_ratio_at_tick(120).unwrap());
        let copy = map.clone();
        assert!(copy.memo_for_swap().is_none());
    }
}
