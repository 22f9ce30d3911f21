//! TickBitmap.nextInitializedTickWithinOneWord over a sorted map of initialized ticks.
//!
//! The contract keeps one bit per spaced tick (`compressed = floor(tick / tickSpacing)`) in
//! 256-bit words (`word = compressed >> 8`) and only ever searches the current word: when no
//! initialized tick lies between the start and the word's edge, the result is the edge itself,
//! uninitialized. A BTreeMap range query over the word's tick interval gives the same answer.

use std::collections::BTreeMap;

/// The next initialized tick at or left of `tick` (`lte`), or strictly right of it, without leaving
/// the bitmap word; `(tick, initialized)`. When the word has none, the word's edge tick
/// (`initialized == false`), which may lie beyond MIN_TICK/MAX_TICK (the pool clamps it).
///
/// `ticks` holds only ticks that are multiples of `tick_spacing`; `tick_spacing` must be positive
/// (a non-positive spacing returns `(tick, false)` rather than dividing by zero).
pub fn next_initialized_tick_within_one_word<V>(
    ticks: &BTreeMap<i32, V>,
    tick: i32,
    tick_spacing: i32,
    lte: bool,
) -> (i64, bool) {
    if tick_spacing <= 0 {
        return (i64::from(tick), false);
    }
    let (lo, hi) = word_range(tick, tick_spacing, lte);
    let mut found = ticks
        .range(clamp_i32(lo)..=clamp_i32(hi))
        .map(|(&t, _)| i64::from(t));
    let hit = if lte { found.next_back() } else { found.next() };
    match hit {
        Some(t) => (t, true),
        None => (if lte { lo } else { hi }, false),
    }
}

/// The ticks [lo, hi] the contract's one-word search covers from `tick` (`tick_spacing` > 0):
/// with `lte`, from the word's first tick up to `tick` rounded down to the spacing, taking the
/// greatest initialized one, else `lo`; otherwise from the next spaced tick up to the word's
/// last, taking the least, else `hi`. The bounds may lie beyond MIN_TICK/MAX_TICK.
pub(crate) fn word_range(tick: i32, tick_spacing: i32, lte: bool) -> (i64, i64) {
    let spacing = i64::from(tick_spacing);
    // Rounds toward negative infinity, like the contract's `compressed--` for negative remainders.
    let compressed = i64::from(tick).div_euclid(spacing);
    if lte {
        // Bits at or right of bitPos in word `compressed >> 8`.
        (((compressed >> 8) << 8) * spacing, compressed * spacing)
    } else {
        // Start from the next compressed tick; bits at or left of its bitPos.
        let start = compressed + 1;
        (start * spacing, (((start >> 8) << 8) + 255) * spacing)
    }
}

/// Range bounds for i32 keys: saturating, which keeps `lo <= hi` and loses no key.
#[inline]
fn clamp_i32(x: i64) -> i32 {
    x.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ruint::aliases::U256;
    use std::collections::HashMap;

    /// A literal transcription of the contract's bitmap: words of 256 bits, masks, msb/lsb.
    struct Bitmap {
        words: HashMap<i64, U256>,
        spacing: i64,
    }

    impl Bitmap {
        fn new(ticks: &BTreeMap<i32, i128>, spacing: i32) -> Bitmap {
            let spacing = i64::from(spacing);
            let mut words: HashMap<i64, U256> = HashMap::new();
            for &t in ticks.keys() {
                let c = i64::from(t) / spacing;
                let word = c >> 8;
                let bit = (c & 0xff) as usize;
                let w = words.entry(word).or_insert(U256::ZERO);
                *w |= U256::from(1u8) << bit;
            }
            Bitmap { words, spacing }
        }

        fn next(&self, tick: i32, lte: bool) -> (i64, bool) {
            let tick = i64::from(tick);
            let mut compressed = tick / self.spacing;
            if tick < 0 && tick % self.spacing != 0 {
                compressed -= 1;
            }
            let one = U256::from(1u8);
            if lte {
                let (word, bit) = (compressed >> 8, (compressed & 0xff) as usize);
                let mask = (one << bit) - one + (one << bit);
                let masked = self.words.get(&word).copied().unwrap_or_default() & mask;
                if masked.is_zero() {
                    ((compressed - bit as i64) * self.spacing, false)
                } else {
                    let msb = masked.bit_len() as i64 - 1;
                    ((compressed - (bit as i64 - msb)) * self.spacing, true)
                }
            } else {
                let c = compressed + 1;
                let (word, bit) = (c >> 8, (c & 0xff) as usize);
                let mask = !((one << bit) - one);
                let masked = self.words.get(&word).copied().unwrap_or_default() & mask;
                if masked.is_zero() {
                    ((c + (255 - bit as i64)) * self.spacing, false)
                } else {
                    let lsb = masked.trailing_zeros() as i64;
                    ((c + (lsb - bit as i64)) * self.spacing, true)
                }
            }
        }
    }

    #[test]
    fn word_edges() {
        let mut ticks = BTreeMap::new();
        for t in [-200, -55, -4, 70, 78, 84, 139, 240, 535] {
            ticks.insert(t, 1i128);
        }
        // (v3-core TickBitmap tests, tick spacing 1)
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 78, 1, false),
            (84, true)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, -55, 1, false),
            (-4, true)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 77, 1, false),
            (78, true)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, -56, 1, false),
            (-55, true)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 255, 1, false),
            (511, false)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, -257, 1, false),
            (-200, true)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 340, 1, false),
            (511, false)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 328, 1, false),
            (511, false)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 508, 1, false),
            (511, false)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 78, 1, true),
            (78, true)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 79, 1, true),
            (78, true)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 258, 1, true),
            (256, false)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 256, 1, true),
            (256, false)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 72, 1, true),
            (70, true)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, -257, 1, true),
            (-512, false)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 1023, 1, true),
            (768, false)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&ticks, 900, 1, true),
            (768, false)
        );
        // Negative ticks round toward negative infinity.
        let mut t2 = BTreeMap::new();
        t2.insert(-60, 0i128);
        assert_eq!(
            next_initialized_tick_within_one_word(&t2, -1, 60, true),
            (-60, true)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&t2, -61, 60, false),
            (-60, true)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&t2, -60, 60, false),
            (60 * 255, false)
        );
        assert_eq!(
            next_initialized_tick_within_one_word(&t2, -61, 60, true),
            (-256 * 60, false)
        );
    }

    fn any_map() -> impl Strategy<Value = (BTreeMap<i32, i128>, i32)> {
        (
            1i32..16384,
            prop::collection::vec((any::<i32>(), 0u8..4), 0..40),
        )
            .prop_map(|(spacing, raw)| {
                let max = 887_272 / spacing;
                let mut m = BTreeMap::new();
                for (r, near) in raw {
                    // Cluster some ticks around zero and word edges so hits are frequent.
                    let c = match near {
                        0 => r.rem_euclid(2 * max + 1) - max,
                        1 => r.rem_euclid(1024) - 512,
                        _ => (r.rem_euclid(16) - 8) * 256 + (r >> 8).rem_euclid(3) - 1,
                    };
                    let c = c.clamp(-max, max);
                    m.insert(c * spacing, 1i128);
                }
                (m, spacing)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn matches_literal_bitmap((ticks, spacing) in any_map(), tick in -887_273i32..=887_272, near in any::<Option<usize>>(), lte in any::<bool>()) {
            let bitmap = Bitmap::new(&ticks, spacing);
            // Start on, next to, or between initialized ticks as well as anywhere.
            let tick = match near.and_then(|i| ticks.keys().nth(i % ticks.len().max(1))) {
                Some(&t) => t + (tick % 3),
                None => tick,
            };
            prop_assert_eq!(next_initialized_tick_within_one_word(&ticks, tick, spacing, lte), bitmap.next(tick, lte));
        }
    }
}
