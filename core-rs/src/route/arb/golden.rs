//! The golden-section search over a bracket, which also reports how far its comparisons can be
//! trusted against rounding noise (the width the sizing then proves a window below).

use ruint::aliases::U256;

use super::profit::{below_by, gt, note, profit_at, Best};
use super::Candidate;
use crate::amm::SignedAmount;
use crate::route::graph::PoolGraph;

/// Golden-section search (one evaluation per step) over the concave exact profit on [lo, hi],
/// noting every input tried, down to a bracket of a few inputs. Returns the width of the bracket
/// when the two inner points first came within `2e` of each other: comparisons before that
/// cannot have been flipped by rounding, later ones may have been. A failed leg (None) lies
/// outside the range that works, on the side away from the best input seen. Once noise has
/// shown up, it stops as soon as the bracket is narrower than `stop_below`.
pub(super) fn golden(
    graph: &PoolGraph,
    c: &Candidate,
    best: &mut Best,
    mut lo: U256,
    mut hi: U256,
    e: U256,
    stop_below: U256,
) -> (U256, U256, U256) {
    let one = U256::from(1u8);
    let three = U256::from(3u8);
    let two_e = e.saturating_mul(U256::from(2u8));
    let eval = |x: U256, best: &mut Best| {
        let v = profit_at(graph, c, x);
        note(x, &v, best);
        (x, v)
    };
    let mut trusted: Option<U256> = None;
    let mut p1: Option<(U256, Option<SignedAmount>)> = None;
    let mut p2: Option<(U256, Option<SignedAmount>)> = None;
    for _ in 0..1024 {
        if hi - lo <= three {
            break;
        }
        if let Some(w) = trusted {
            if hi - lo < stop_below {
                return (w, lo, hi);
            }
        }
        // Reuse the surviving inner point; its mirror image in [lo, hi] is the other one.
        let (q1, q2) = match (p1.take(), p2.take()) {
            (Some(a), None) if lo + hi - a.0 > a.0 && lo + hi - a.0 < hi => {
                let b = eval(lo + hi - a.0, best);
                (a, b)
            }
            (None, Some(b)) if lo + hi - b.0 < b.0 && lo + hi - b.0 > lo => {
                let a = eval(lo + hi - b.0, best);
                (a, b)
            }
            _ => {
                let w = hi - lo;
                // 0.382 of the width: the golden section's short side.
                let d = (w >> 10usize) * U256::from(391u32)
                    + (((w & U256::from(1023u32)) * U256::from(391u32)) >> 10usize);
                let m1 = (lo + d).max(lo + one);
                let m2 = (lo + hi - m1).max(m1 + one).min(hi - one);
                if m1 >= m2 {
                    break;
                }
                (eval(m1, best), eval(m2, best))
            }
        };
        let ((m1, v1), (m2, v2)) = (q1, q2);
        match (&v1, &v2) {
            (Some(a), Some(b)) => {
                if trusted.is_none() && !below_by(b, two_e, a) && !below_by(a, two_e, b) {
                    trusted = Some(hi - lo);
                }
                // The surviving inner point sits at the other golden position of the new bracket.
                if gt(&v1, &v2) {
                    hi = m2;
                    p2 = Some((m1, v1));
                } else {
                    lo = m1;
                    p1 = Some((m2, v2));
                }
            }
            (Some(_), None) => hi = m2,
            (None, Some(_)) => lo = m1,
            (None, None) => match best.as_ref().map(|b| b.0) {
                Some(a) if m2 <= a => lo = m1,
                Some(a) if m1 >= a => hi = m2,
                _ => {
                    lo = m1;
                    hi = m2;
                }
            },
        }
    }
    if hi - lo <= three {
        let mut x = lo;
        while x <= hi {
            eval(x, best);
            x += one;
        }
    }
    (trusted.unwrap_or(hi - lo), lo, hi)
}
