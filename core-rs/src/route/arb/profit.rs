//! A cycle's exact profit at an input, and the bookkeeping of the best input seen: what every
//! sizing search evaluates and compares.

use ruint::aliases::U256;

use super::Candidate;
use crate::amm::SignedAmount;
use crate::route::graph::{PoolGraph, PoolView};
use crate::route::path::{self, net};

/// Exact output of the cycle for `x` (None if a leg fails).
fn output(graph: &PoolGraph, c: &Candidate, x: U256) -> Option<U256> {
    if x.is_zero() {
        return None;
    }
    // The sizing searches call this hundreds of times per cycle: no Vec of legs.
    let mut amount = x;
    for (&p, &(i, j)) in c.pools.iter().zip(&c.dirs) {
        amount = graph
            .pool(p)
            .quote_in(i as usize, j as usize, amount)?
            .amount_out;
    }
    Some(amount)
}

pub(super) fn profit_at(graph: &PoolGraph, c: &Candidate, x: U256) -> Option<SignedAmount> {
    output(graph, c, x).map(|y| net(y, x))
}

pub(super) fn gt(a: &Option<SignedAmount>, b: &Option<SignedAmount>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => path::signed_cmp(a, b) == std::cmp::Ordering::Greater,
        (Some(_), None) => true,
        _ => false,
    }
}

pub(super) type Best = Option<(U256, SignedAmount)>;

/// Records `x` as the best input if it profits strictly more than the best so far.
pub(super) fn note(x: U256, p: &Option<SignedAmount>, best: &mut Best) {
    if let Some(p) = p {
        if best
            .as_ref()
            .is_none_or(|b| path::signed_cmp(p, &b.1) == std::cmp::Ordering::Greater)
        {
            *best = Some((x, *p));
        }
    }
}

/// `p + e < g` on signed amounts.
pub(super) fn below_by(p: &SignedAmount, e: U256, g: &SignedAmount) -> bool {
    let lifted = if !p.negative {
        SignedAmount::positive(p.magnitude.saturating_add(e))
    } else {
        net(e, p.magnitude)
    };
    path::signed_cmp(&lifted, g) == std::cmp::Ordering::Less
}
