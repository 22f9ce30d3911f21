//! A pool's initialized ticks: liquidityNet per tick, with each tick's sqrt price kept beside it.
//!
//! A swap step that ends on an initialized tick needs both its price (getSqrtRatioAtTick, a
//! dozen 256-bit multiplications) and its liquidityNet. The price of a tick never changes, so it
//! is computed once when the tick enters the map and read in the same lookup as the net.

use std::collections::BTreeMap;
use std::ops::RangeBounds;

use ruint::aliases::U256;

use super::tick_math::get_sqrt_ratio_at_tick;
use crate::amm::AmmResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickEntry {
    pub net: i128,
    /// getSqrtRatioAtTick(tick).
    pub sqrt_price_x96: U256,
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
            Some(e) => Ok(TickEntry { net, ..*e }),
            None => entry(tick, net),
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
    Ok(TickEntry {
        net,
        sqrt_price_x96: get_sqrt_ratio_at_tick(tick)?,
    })
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
