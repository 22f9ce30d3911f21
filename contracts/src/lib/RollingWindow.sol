// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title RollingWindow
/// @notice A truly rolling 24-hour spending cap: every spend is kept as its own (timestamp,
/// amount) entry in a ring of MAX_ENTRIES slots; a spend made at time t counts while
/// now < t + WINDOW and no longer counts from now == t + WINDOW on. Expired entries are
/// dropped on write (`admit`), oldest first, so gas is bounded by MAX_ENTRIES; when the ring is
/// full of live entries a new spend is refused (WindowFull) until the oldest one expires.
library RollingWindow {
    uint256 internal constant WINDOW = 24 hours;
    uint256 internal constant MAX_ENTRIES = 64;
    uint256 internal constant MAX_AMOUNT = type(uint192).max;

    struct Spend {
        uint64 time;
        uint192 amount;
    }

    struct Window {
        uint64 head; // slot of the oldest entry
        uint64 count; // entries in the ring
        uint256 sum; // sum of the entries' amounts
        Spend[MAX_ENTRIES] ring;
    }

    error DailyCapExceeded(address token, uint256 spentInWindow, uint256 amountIn, uint256 dailyCapIn);
    error WindowFull(address token, uint256 entries);

    /// Drops the spends that expired by `now`, then reverts unless `amount` more stays within
    /// `cap` and there is a free slot to record it.
    function admit(Window storage w, address token, uint256 amount, uint256 cap, uint256 now_) internal {
        uint256 head = w.head;
        uint256 count = w.count;
        uint256 sum = w.sum;
        while (count > 0) {
            Spend memory s = w.ring[head];
            if (uint256(s.time) + WINDOW > now_) break;
            sum -= s.amount;
            head = (head + 1) % MAX_ENTRIES;
            count--;
        }
        (w.head, w.count, w.sum) = (uint64(head), uint64(count), sum);
        if (sum + amount > cap) revert DailyCapExceeded(token, sum, amount, cap);
        if (count == MAX_ENTRIES) revert WindowFull(token, count);
    }

    /// Appends a spend (after `admit`, in the same transaction). Zero spends are not kept.
    function record(Window storage w, uint256 amount, uint256 now_) internal {
        if (amount == 0) return;
        uint256 slot = (uint256(w.head) + w.count) % MAX_ENTRIES;
        w.ring[slot] = Spend(uint64(now_), uint192(amount));
        w.count += 1;
        w.sum += amount;
    }

    /// The sum and number of entries that still count at `now_` (a read; nothing is dropped).
    function live(Window storage w, uint256 now_) internal view returns (uint256 sum, uint256 entries) {
        uint256 count = w.count;
        for (uint256 i = 0; i < count; i++) {
            Spend memory s = w.ring[(uint256(w.head) + i) % MAX_ENTRIES];
            if (uint256(s.time) + WINDOW > now_) {
                sum += s.amount;
                entries++;
            }
        }
    }
}
