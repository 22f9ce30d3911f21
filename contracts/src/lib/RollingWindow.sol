// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title RollingWindow
/// @notice A truly rolling 24-hour spending cap: every second with spends is kept as its own
/// (timestamp, amount) entry in a ring of MAX_ENTRIES slots; a spend made at time t counts while
/// now < t + WINDOW and no longer counts from now == t + WINDOW on. Spends made in the same second
/// (several swaps of one block, or of one batch) share that second's entry: they expire together.
/// Expired entries are dropped on write (`admit`), oldest first, so gas is bounded by
/// MAX_ENTRIES; when the ring is full of live entries a spend in a new second is refused
/// (WindowFull) until the oldest one expires.
///
/// Gas: the header (sum, oldest and newest entry time, head, count) is one slot, so a swap whose
/// oldest spend has not expired reads one slot and writes it back, plus the one entry it writes.
/// No slot returns to zero once written (each carries a `used` marker), so after its first use,
/// or after `prime`, writing it costs a non-zero-to-non-zero SSTORE, not a fresh one.
library RollingWindow {
    uint256 internal constant WINDOW = 24 hours;
    uint256 internal constant MAX_ENTRIES = 64;
    /// Caps and amounts fit 128 bits, so the sum of the live entries always does (each admitted
    /// spend keeps it within a cap of at most MAX_AMOUNT).
    uint256 internal constant MAX_AMOUNT = type(uint128).max;

    struct Spend {
        uint40 time;
        uint128 amount;
        bool used; // keeps a written slot non-zero
    }

    /// One slot.
    struct Header {
        uint128 sum; // sum of the live entries' amounts
        uint40 oldest; // time of the entry at `head` (when count > 0)
        uint40 newest; // time of the latest entry (when count > 0)
        uint8 head; // slot of the oldest entry
        uint8 count; // entries in the ring
        bool used; // keeps the slot non-zero once written (as the entries' marker)
    }

    struct Window {
        Header header;
        Spend[MAX_ENTRIES] ring;
    }

    error DailyCapExceeded(address token, uint256 spentInWindow, uint256 amountIn, uint256 dailyCapIn);
    error WindowFull(address token, uint256 entries);

    /// Drops the spends that expired by `now_` (in the returned header, written by `record`),
    /// then reverts unless `amount` more stays within `cap` and there is room to record it.
    function admit(Window storage w, address token, uint256 amount, uint256 cap, uint256 now_)
        internal
        view
        returns (Header memory h)
    {
        h = w.header;
        if (h.count > 0 && uint256(h.oldest) + WINDOW <= now_) {
            uint256 head = h.head;
            uint256 count = h.count;
            uint256 sum = h.sum;
            Spend memory s = w.ring[head];
            while (true) {
                // s is the oldest entry, and it has expired
                sum -= s.amount;
                head = (head + 1) % MAX_ENTRIES;
                count--;
                if (count == 0) break;
                s = w.ring[head];
                if (uint256(s.time) + WINDOW > now_) break;
            }
            (h.head, h.count, h.sum) = (uint8(head), uint8(count), uint128(sum));
            h.oldest = count > 0 ? s.time : 0;
        }
        if (uint256(h.sum) + amount > cap) revert DailyCapExceeded(token, h.sum, amount, cap);
        if (h.count == MAX_ENTRIES && h.newest != now_) revert WindowFull(token, h.count);
    }

    /// Records a spend of `amount` at `now_` on the header `admit` returned (same transaction,
    /// nothing recorded in between) and writes the header back. A zero spend keeps no entry.
    function record(Window storage w, Header memory h, uint256 amount, uint256 now_) internal {
        if (amount > 0) {
            if (h.count > 0 && h.newest == now_) {
                // same second as the latest entry: it grows
                w.ring[(uint256(h.head) + h.count - 1) % MAX_ENTRIES].amount += uint128(amount);
            } else {
                w.ring[(uint256(h.head) + h.count) % MAX_ENTRIES] = Spend(uint40(now_), uint128(amount), true);
                if (h.count == 0) h.oldest = uint40(now_);
                h.newest = uint40(now_);
                h.count += 1;
            }
            h.sum += uint128(amount);
        }
        h.used = true;
        w.header = h;
    }

    /// Writes the `used` marker into the header and every ring slot still zero, so that no
    /// swap pays for a fresh slot later. Harmless to repeat: a slot already written is left as
    /// it is.
    function prime(Window storage w) internal returns (uint256 primed) {
        if (!w.header.used) {
            w.header.used = true;
            primed++;
        }
        for (uint256 i = 0; i < MAX_ENTRIES; i++) {
            if (!w.ring[i].used) {
                w.ring[i].used = true;
                primed++;
            }
        }
    }

    /// The sum and number of entries that still count at `now_` (a read; nothing is dropped).
    function live(Window storage w, uint256 now_) internal view returns (uint256 sum, uint256 entries) {
        Header memory h = w.header;
        for (uint256 i = 0; i < h.count; i++) {
            Spend memory s = w.ring[(uint256(h.head) + i) % MAX_ENTRIES];
            if (uint256(s.time) + WINDOW > now_) {
                sum += s.amount;
                entries++;
            }
        }
    }
}
