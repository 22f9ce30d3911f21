//! A pool's initialized ticks: liquidityNet per tick, with each tick's sqrt price kept beside it.
//!
//! A swap step that ends on an initialized tick needs both its price (getSqrtRatioAtTick, a
//! dozen 256-bit multiplications) and its liquidityNet. The price of a tick never changes, so it
//! is computed once when the tick enters the map and read in the same lookup as the net.
//!
//! A step that runs all the way to an initialized tick depends only on its start price, that
//! tick's price, the liquidity and the fee: the entry also remembers the amounts of the step
//! that last reached it from each side (see [`FullStep`]), so a later swap over the same range
//! adds them up instead of redoing the 512-bit arithmetic.

use std::collections::BTreeMap;
use std::ops::{Bound, RangeBounds};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use ruint::aliases::U256;

use super::tick_math::get_sqrt_ratio_at_tick;
use crate::amm::AmmResult;

#[derive(Debug)]
pub struct TickEntry {
    pub net: i128,
    /// getSqrtRatioAtTick(tick).
    pub sqrt_price_x96: U256,
    /// A step (after a swap's first) that ended on this tick coming from above (a zero-for-one
    /// swap) and from below: the second one to get here, so that a pool built for a single
    /// swap pays one flag per tick, not an allocation. Filled once; a step with another start
    /// price or liquidity simply does not use it.
    from_above: OnceLock<Arc<FullStep>>,
    from_below: OnceLock<Arc<FullStep>>,
    /// Bit 0: a step reached this tick from above; bit 1: from below.
    reached: AtomicU8,
}

impl Clone for TickEntry {
    fn clone(&self) -> TickEntry {
        TickEntry {
            net: self.net,
            sqrt_price_x96: self.sqrt_price_x96,
            from_above: self.from_above.clone(),
            from_below: self.from_below.clone(),
            reached: AtomicU8::new(self.reached.load(Ordering::Relaxed)),
        }
    }
}

/// A computeSwapStep that reached its target: with the target reached, the contract's amounts
/// are the same for exact input and exact output (amountIn rounded up, amountOut down, the fee
/// mulDivRoundingUp(amountIn, fee, 1e6 - fee)), so they depend on nothing but the start price,
/// the target, the liquidity and the pool's fee.
#[derive(Debug, PartialEq, Eq)]
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

impl TickEntry {
    fn new(net: i128, sqrt_price_x96: U256) -> TickEntry {
        TickEntry {
            net,
            sqrt_price_x96,
            from_above: OnceLock::new(),
            from_below: OnceLock::new(),
            reached: AtomicU8::new(0),
        }
    }

    fn slot(&self, zero_for_one: bool) -> &OnceLock<Arc<FullStep>> {
        if zero_for_one {
            &self.from_above
        } else {
            &self.from_below
        }
    }

    /// The remembered step onto this tick from `start` at `liquidity`, if there is one.
    pub fn full_step(&self, zero_for_one: bool, start: U256, liquidity: u128) -> Option<&FullStep> {
        self.slot(zero_for_one)
            .get()
            .map(|s| s.as_ref())
            .filter(|s| s.start == start && s.liquidity == liquidity)
    }

    /// Notes that a full step reached this tick from that side; true if one had before and
    /// none is remembered yet (then [`TickEntry::remember`] the step).
    pub fn worth_remembering(&self, zero_for_one: bool) -> bool {
        let bit = if zero_for_one { 1 } else { 2 };
        let before = self.reached.fetch_or(bit, Ordering::Relaxed);
        before & bit != 0 && self.slot(zero_for_one).get().is_none()
    }

    /// Remembers a step that reached this tick (kept only if none is remembered yet).
    pub fn remember(&self, zero_for_one: bool, step: FullStep) {
        let _ = self.slot(zero_for_one).set(Arc::new(step));
    }
}

/// Initialized ticks (tick -> liquidityNet), sorted; read-only views give `(&tick, &net)` like a
/// `BTreeMap<i32, i128>`. Kept as two sorted vectors (ticks, entries): a swap searches the ticks
/// once per step and maps change only on Mint and Burn, so binary search over a contiguous array
/// beats a tree walk, and inserting into a few hundred ticks is cheap.
#[derive(Clone, Debug, Default)]
pub struct TickMap {
    ticks: Vec<i32>,
    entries: Vec<TickEntry>,
}

impl TickMap {
    /// Ticks must lie in [MIN_TICK, MAX_TICK] (getSqrtRatioAtTick's "T" revert otherwise).
    pub fn from_nets(nets: &BTreeMap<i32, i128>) -> AmmResult<TickMap> {
        let mut map = TickMap {
            ticks: Vec::with_capacity(nets.len()),
            entries: Vec::with_capacity(nets.len()),
        };
        for (&t, &net) in nets {
            map.ticks.push(t);
            map.entries.push(entry(t, net)?);
        }
        Ok(map)
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
        self.index(*tick).ok().map(|k| &self.entries[k].net)
    }

    pub fn contains_key(&self, tick: &i32) -> bool {
        self.index(*tick).is_ok()
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &i32> + '_ {
        self.ticks.iter()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&i32, &i128)> + '_ {
        self.ticks.iter().zip(self.entries.iter().map(|e| &e.net))
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
        self.ticks[from..to]
            .iter()
            .zip(self.entries[from..to].iter().map(|e| &e.net))
    }

    /// The ticks and their liquidityNet as a plain map.
    pub fn to_nets(&self) -> BTreeMap<i32, i128> {
        self.iter().map(|(&t, &n)| (t, n)).collect()
    }

    /// TickBitmap.nextInitializedTickWithinOneWord (see [`super::tick_bitmap`], which states
    /// the same search over a BTreeMap): the next initialized tick at or left of `tick` (`lte`)
    /// or right of it, without leaving the bitmap word, with its entry; else the word's edge
    /// tick and None. `tick_spacing` must be positive.
    pub fn next_initialized(
        &self,
        tick: i32,
        tick_spacing: i32,
        lte: bool,
    ) -> (i64, Option<&TickEntry>) {
        let (next, found, _) = self.next_initialized_from(tick, tick_spacing, lte, None);
        (next, found.map(|k| &self.entries[k]))
    }

    /// [`TickMap::next_initialized`] with the initialized tick's index, starting from a guess
    /// of the search's split point (`hint`, from the previous call of a swap: the loop walks
    /// the ticks in order); a wrong guess only costs the binary search. Returns the split point
    /// for the next step, assuming it starts past the tick found.
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
        let spacing = i64::from(tick_spacing);
        let compressed = i64::from(tick).div_euclid(spacing);
        if lte {
            let lo = ((compressed >> 8) << 8) * spacing;
            let hi = compressed * spacing;
            // k = the number of ticks <= hi.
            let k = self.split(hint, |t| i64::from(t) <= hi);
            match k.checked_sub(1) {
                Some(c) if i64::from(self.ticks[c]) >= lo => (i64::from(self.ticks[c]), Some(c), c),
                _ => (lo, None, k),
            }
        } else {
            let start = compressed + 1;
            let lo = start * spacing;
            let hi = (((start >> 8) << 8) + 255) * spacing;
            // k = the number of ticks < lo.
            let k = self.split(hint, |t| i64::from(t) < lo);
            match self.ticks.get(k) {
                Some(&t) if i64::from(t) <= hi => (i64::from(t), Some(k), k + 1),
                _ => (hi, None, k),
            }
        }
    }

    pub(crate) fn entry_at(&self, k: usize) -> &TickEntry {
        &self.entries[k]
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

    /// The entry `tick` would hold with liquidityNet `net` (its sqrt price reused if it is
    /// initialized, computed otherwise); [`TickMap::put`] stores it. Two steps so that callers
    /// can fail before changing anything.
    pub(crate) fn prepare(&self, tick: i32, net: i128) -> AmmResult<TickEntry> {
        match self.index(tick) {
            Ok(k) => Ok(TickEntry::new(net, self.entries[k].sqrt_price_x96)),
            Err(_) => entry(tick, net),
        }
    }

    pub(crate) fn put(&mut self, tick: i32, entry: TickEntry) {
        match self.index(tick) {
            Ok(k) => self.entries[k] = entry,
            Err(k) => {
                self.ticks.insert(k, tick);
                self.entries.insert(k, entry);
            }
        }
    }

    pub(crate) fn remove(&mut self, tick: &i32) {
        if let Ok(k) = self.index(*tick) {
            self.ticks.remove(k);
            self.entries.remove(k);
        }
    }

    /// Forgets every remembered step: after a Mint or Burn they would rarely match again.
    pub(crate) fn forget_steps(&mut self) {
        for e in &mut self.entries {
            *e = TickEntry::new(e.net, e.sqrt_price_x96);
        }
    }

    #[cfg(test)]
    fn entries(&self) -> impl Iterator<Item = (&i32, &TickEntry)> + '_ {
        self.ticks.iter().zip(&self.entries)
    }
}

fn entry(tick: i32, net: i128) -> AmmResult<TickEntry> {
    Ok(TickEntry::new(net, get_sqrt_ratio_at_tick(tick)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amm::v3::tick_bitmap::next_initialized_tick_within_one_word;
    use crate::amm::v3::tick_math::{MAX_TICK, MIN_TICK};
    use proptest::prelude::*;

    proptest! {
        /// Every stored price is getSqrtRatioAtTick of its tick, through construction and
        /// updates, and the nets read back as given.
        #[test]
        fn prices_match_their_ticks(
            nets in proptest::collection::btree_map(MIN_TICK..=MAX_TICK, any::<i128>(), 0..20),
            updates in proptest::collection::vec((MIN_TICK..=MAX_TICK, any::<i128>()), 0..20),
        ) {
            let mut map = TickMap::from_nets(&nets).unwrap();
            let mut expected = nets.clone();
            for (t, n) in updates {
                let e = map.prepare(t, n).unwrap();
                map.put(t, e);
                expected.insert(t, n);
            }
            prop_assert_eq!(map.to_nets(), expected);
            for (&t, e) in map.entries() {
                prop_assert_eq!(e.sqrt_price_x96, get_sqrt_ratio_at_tick(t).unwrap());
            }
        }
    }

    proptest! {
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
                    let (t, e) = map.next_initialized(tick, spacing, lte);
                    let want = next_initialized_tick_within_one_word(&nets, tick, spacing, lte);
                    prop_assert_eq!((t, e.is_some()), want);
                    // Any hint, right or wrong, gives the same answer.
                    let plain = map.next_initialized_from(tick, spacing, lte, None);
                    for h in [0, p as usize % (nets.len() + 2), plain.2, plain.2 + 1, usize::MAX] {
                        prop_assert_eq!(map.next_initialized_from(tick, spacing, lte, Some(h)), plain);
                    }
                    if let Some(e) = e {
                        prop_assert_eq!(Some(&e.net), nets.get(&(t as i32)));
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
        assert!(TickMap::default().prepare(MIN_TICK - 1, 1).is_err());
    }
}
