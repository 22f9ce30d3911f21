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
use std::ops::RangeBounds;
use std::sync::{Arc, OnceLock};

use ruint::aliases::U256;

use super::tick_math::get_sqrt_ratio_at_tick;
use crate::amm::AmmResult;

#[derive(Clone, Debug)]
pub struct TickEntry {
    pub net: i128,
    /// getSqrtRatioAtTick(tick).
    pub sqrt_price_x96: U256,
    /// The first step (after a swap's first) that ended on this tick coming from above (a
    /// zero-for-one swap) and from below. Filled once; a step with another start price or
    /// liquidity simply does not use it.
    from_above: OnceLock<Arc<FullStep>>,
    from_below: OnceLock<Arc<FullStep>>,
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

    /// Remembers a step that reached this tick (kept only if none is remembered yet).
    pub fn remember(&self, zero_for_one: bool, step: FullStep) {
        let _ = self.slot(zero_for_one).set(Arc::new(step));
    }
}

/// Initialized ticks (tick -> liquidityNet), sorted; read-only views give `(&tick, &net)` like a
/// `BTreeMap<i32, i128>`.
#[derive(Clone, Debug, Default)]
pub struct TickMap {
    entries: BTreeMap<i32, TickEntry>,
}

impl TickMap {
    /// Ticks must lie in [MIN_TICK, MAX_TICK] (getSqrtRatioAtTick's "T" revert otherwise).
    pub fn from_nets(nets: &BTreeMap<i32, i128>) -> AmmResult<TickMap> {
        let mut entries = BTreeMap::new();
        for (&t, &net) in nets {
            entries.insert(t, entry(t, net)?);
        }
        Ok(TickMap { entries })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, tick: &i32) -> Option<&i128> {
        self.entries.get(tick).map(|e| &e.net)
    }

    pub fn contains_key(&self, tick: &i32) -> bool {
        self.entries.contains_key(tick)
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &i32> + '_ {
        self.entries.keys()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&i32, &i128)> + '_ {
        self.entries.iter().map(|(t, e)| (t, &e.net))
    }

    pub fn range<R: RangeBounds<i32>>(
        &self,
        range: R,
    ) -> impl DoubleEndedIterator<Item = (&i32, &i128)> + '_ {
        self.entries.range(range).map(|(t, e)| (t, &e.net))
    }

    /// The ticks and their liquidityNet as a plain map.
    pub fn to_nets(&self) -> BTreeMap<i32, i128> {
        self.iter().map(|(&t, &n)| (t, n)).collect()
    }

    /// The map the swap loop searches (the bitmap walk returns the entry it lands on).
    pub(crate) fn entries(&self) -> &BTreeMap<i32, TickEntry> {
        &self.entries
    }

    /// The entry `tick` would hold with liquidityNet `net` (its sqrt price reused if it is
    /// initialized, computed otherwise); [`TickMap::put`] stores it. Two steps so that callers
    /// can fail before changing anything.
    pub(crate) fn prepare(&self, tick: i32, net: i128) -> AmmResult<TickEntry> {
        match self.entries.get(&tick) {
            Some(e) => Ok(TickEntry::new(net, e.sqrt_price_x96)),
            None => entry(tick, net),
        }
    }

    /// Forgets every remembered step: after a Mint or Burn they would rarely match again.
    pub(crate) fn forget_steps(&mut self) {
        for e in self.entries.values_mut() {
            *e = TickEntry::new(e.net, e.sqrt_price_x96);
        }
    }

    pub(crate) fn put(&mut self, tick: i32, entry: TickEntry) {
        self.entries.insert(tick, entry);
    }

    pub(crate) fn remove(&mut self, tick: &i32) {
        self.entries.remove(tick);
    }
}

fn entry(tick: i32, net: i128) -> AmmResult<TickEntry> {
    Ok(TickEntry::new(net, get_sqrt_ratio_at_tick(tick)?))
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn ticks_outside_the_range_are_refused() {
        let nets = BTreeMap::from([(MAX_TICK + 1, 1i128)]);
        assert!(TickMap::from_nets(&nets).is_err());
        assert!(TickMap::default().prepare(MIN_TICK - 1, 1).is_err());
    }
}
