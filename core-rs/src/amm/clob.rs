//! Central limit order books: sweep cost, average and worst price, slippage and depth, in f64
//! (CEX books are quoted in floating point; on-chain amounts never pass through here).

use super::error::{invalid, AmmError, AmmResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Take liquidity from the asks.
    Buy,
    /// Take liquidity from the bids.
    Sell,
}

impl Side {
    pub fn parse(text: &str) -> AmmResult<Side> {
        match text {
            "buy" => Ok(Side::Buy),
            "sell" => Ok(Side::Sell),
            other => Err(invalid(format!(
                "side: expected \"buy\" or \"sell\", got {other:?}"
            ))),
        }
    }
}

/// One side's levels with running totals, so a fill is a binary search, not a walk.
#[derive(Clone, Debug)]
struct Ladder {
    prices: Vec<f64>,
    /// cum_size[k] = size of levels 0..k (exclusive); cum_cost likewise, summed in walk order.
    cum_size: Vec<f64>,
    cum_cost: Vec<f64>,
}

impl Ladder {
    fn new(levels: &[(f64, f64)], name: &str, descending: bool) -> AmmResult<Ladder> {
        let mut prices = Vec::with_capacity(levels.len());
        let mut cum_size = vec![0.0];
        let mut cum_cost = vec![0.0];
        let mut last_price: Option<f64> = None;
        for (k, &(price, size)) in levels.iter().enumerate() {
            if !price.is_finite() || price <= 0.0 {
                return Err(book_err(format!(
                    "{name}[{k}]: price must be finite and positive, got {price}"
                )));
            }
            if !size.is_finite() || size < 0.0 {
                return Err(book_err(format!(
                    "{name}[{k}]: size must be finite and non-negative, got {size}"
                )));
            }
            if let Some(prev) = last_price {
                let sorted = if descending {
                    price < prev
                } else {
                    price > prev
                };
                if !sorted {
                    let order = if descending {
                        "strictly descending"
                    } else {
                        "strictly ascending"
                    };
                    return Err(book_err(format!(
                        "{name}[{k}]: prices must be {order}; {price} follows {prev}"
                    )));
                }
            }
            last_price = Some(price);
            // An empty level trades nothing: it must not count as touched or set the worst price.
            if size > 0.0 {
                let total = cum_size.len() - 1;
                prices.push(price);
                cum_size.push(cum_size[total] + size);
                cum_cost.push(cum_cost[total] + size * price);
            }
        }
        Ok(Ladder {
            prices,
            cum_size,
            cum_cost,
        })
    }

    /// The best price with size behind it.
    fn best(&self) -> Option<f64> {
        self.prices.first().copied()
    }

    fn total(&self) -> f64 {
        self.cum_size.last().copied().unwrap_or(0.0)
    }

    fn fill(&self, quantity: f64, reference: f64, sign: f64) -> Fill {
        let n = self.prices.len();
        // Levels fully taken: the largest k with cum_size[k] <= quantity (k levels consumed whole).
        let whole = self
            .cum_size
            .partition_point(|&c| c <= quantity)
            .saturating_sub(1)
            .min(n);
        let (filled, cost, levels, worst) = if whole == n {
            (
                self.total(),
                self.cum_cost[n],
                n,
                self.prices.last().copied(),
            )
        } else {
            let rest = quantity - self.cum_size[whole];
            let price = self.prices[whole];
            if rest > 0.0 {
                (
                    quantity,
                    self.cum_cost[whole] + rest * price,
                    whole + 1,
                    Some(price),
                )
            } else {
                let worst = whole.checked_sub(1).map(|k| self.prices[k]);
                (self.cum_size[whole], self.cum_cost[whole], whole, worst)
            }
        };
        let average = if filled > 0.0 {
            cost / filled
        } else {
            f64::NAN
        };
        let slippage_bps = if filled > 0.0 {
            sign * (average - reference) / reference * 1e4
        } else {
            0.0
        };
        Fill {
            filled,
            cost,
            average_price: average,
            worst_price: worst.filter(|_| filled > 0.0).unwrap_or(f64::NAN),
            levels: levels as u64,
            slippage_bps,
        }
    }
}

fn book_err(msg: String) -> AmmError {
    AmmError::InvalidBook(msg)
}

/// The outcome of sweeping one side. A fill larger than the book is partial: `filled` < quantity.
/// With nothing filled, the prices are NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fill {
    pub filled: f64,
    pub cost: f64,
    pub average_price: f64,
    pub worst_price: f64,
    /// Number of levels touched (fully or partly).
    pub levels: u64,
    /// Average price against the mid (or the walked side's best price when the other side is
    /// empty), in basis points, positive when worse for the taker.
    pub slippage_bps: f64,
}

#[derive(Clone, Debug)]
pub struct OrderBook {
    bids: Ladder,
    asks: Ladder,
}

impl OrderBook {
    /// `bids` descending and `asks` ascending, as (price, size). Crossed books are rejected.
    pub fn new(bids: &[(f64, f64)], asks: &[(f64, f64)]) -> AmmResult<OrderBook> {
        let bids = Ladder::new(bids, "bids", true)?;
        let asks = Ladder::new(asks, "asks", false)?;
        if let (Some(bid), Some(ask)) = (bids.best(), asks.best()) {
            if bid >= ask {
                return Err(book_err(format!(
                    "crossed book: best bid {bid} >= best ask {ask}"
                )));
            }
        }
        Ok(OrderBook { bids, asks })
    }

    pub fn mid(&self) -> Option<f64> {
        match (self.bids.best(), self.asks.best()) {
            (Some(b), Some(a)) => Some((a + b) / 2.0),
            _ => None,
        }
    }

    fn ladder(&self, side: Side) -> (&Ladder, f64) {
        match side {
            Side::Buy => (&self.asks, 1.0),
            Side::Sell => (&self.bids, -1.0),
        }
    }

    fn reference(&self, side: Side) -> f64 {
        let (ladder, _) = self.ladder(side);
        self.mid().or_else(|| ladder.best()).unwrap_or(f64::NAN)
    }

    pub fn fill(&self, side: Side, quantity: f64) -> AmmResult<Fill> {
        if !quantity.is_finite() || quantity < 0.0 {
            return Err(invalid(format!(
                "quantity: must be finite and non-negative, got {quantity}"
            )));
        }
        let (ladder, sign) = self.ladder(side);
        Ok(ladder.fill(quantity, self.reference(side), sign))
    }

    pub fn fill_many(&self, side: Side, quantities: &[f64]) -> AmmResult<Vec<Fill>> {
        if let Some(k) = quantities.iter().position(|q| !q.is_finite() || *q < 0.0) {
            return Err(invalid(format!(
                "quantities[{k}]: must be finite and non-negative, got {}",
                quantities[k]
            )));
        }
        let (ladder, sign) = self.ladder(side);
        let reference = self.reference(side);
        Ok(quantities
            .iter()
            .map(|q| ladder.fill(*q, reference, sign))
            .collect())
    }

    /// Size available within `bps` of the mid (or of the side's best price without a mid).
    pub fn depth(&self, side: Side, bps: f64) -> AmmResult<f64> {
        if !bps.is_finite() || bps < 0.0 {
            return Err(invalid(format!(
                "bps: must be finite and non-negative, got {bps}"
            )));
        }
        let (ladder, sign) = self.ladder(side);
        let reference = self.reference(side);
        let bound = reference * (1.0 + sign * bps / 1e4);
        let inside = match side {
            Side::Buy => ladder.prices.partition_point(|&p| p <= bound),
            Side::Sell => ladder.prices.partition_point(|&p| p >= bound),
        };
        Ok(ladder.cum_size[inside])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> OrderBook {
        OrderBook::new(
            &[(99.0, 1.0), (98.0, 2.0)],
            &[(101.0, 1.0), (102.0, 2.0), (105.0, 1.0)],
        )
        .unwrap()
    }

    #[test]
    fn walks_levels() {
        let f = book().fill(Side::Buy, 2.0).unwrap();
        assert_eq!(
            (f.filled, f.cost, f.levels, f.worst_price),
            (2.0, 203.0, 2, 102.0)
        );
        assert!((f.average_price - 101.5).abs() < 1e-12);
        assert!((f.slippage_bps - 150.0).abs() < 1e-9);
        let exact = book().fill(Side::Buy, 1.0).unwrap();
        assert_eq!((exact.levels, exact.worst_price), (1, 101.0));
        let partial = book().fill(Side::Sell, 10.0).unwrap();
        assert_eq!(
            (partial.filled, partial.cost, partial.levels),
            (3.0, 295.0, 2)
        );
        let none = book().fill(Side::Buy, 0.0).unwrap();
        assert_eq!((none.filled, none.levels), (0.0, 0));
        assert!(none.average_price.is_nan());
    }

    #[test]
    fn empty_levels_trade_nothing() {
        let book = OrderBook::new(&[], &[(100.0, 1.0), (101.0, 0.0), (102.0, 1.0)]).unwrap();
        let f = book.fill(Side::Buy, 1.0).unwrap();
        assert_eq!((f.levels, f.worst_price), (1, 100.0));
        let f = book.fill(Side::Buy, 2.0).unwrap();
        assert_eq!((f.levels, f.worst_price, f.cost), (2, 102.0, 202.0));
    }

    #[test]
    fn depth_around_mid() {
        // mid 100; 200 bps -> asks up to 102 and bids down to 98
        assert_eq!(book().depth(Side::Buy, 200.0).unwrap(), 3.0);
        assert_eq!(book().depth(Side::Sell, 200.0).unwrap(), 3.0);
        assert_eq!(book().depth(Side::Sell, 50.0).unwrap(), 0.0);
    }

    #[test]
    fn rejects_bad_books() {
        assert!(OrderBook::new(&[(101.0, 1.0)], &[(100.0, 1.0)]).is_err());
        assert!(OrderBook::new(&[(98.0, 1.0), (99.0, 1.0)], &[]).is_err());
        assert!(OrderBook::new(&[(-1.0, 1.0)], &[]).is_err());
        assert!(OrderBook::new(&[(1.0, f64::NAN)], &[]).is_err());
        assert!(book().fill(Side::Buy, -1.0).is_err());
        assert!(Side::parse("long").is_err());
    }

    proptest::proptest! {
        #[test]
        fn matches_a_plain_walk(sizes in proptest::collection::vec(0.0f64..10.0, 1..20), q in 0.0f64..100.0) {
            let asks: Vec<(f64, f64)> = sizes.iter().enumerate().map(|(k, s)| (100.0 + k as f64, *s)).collect();
            let book = OrderBook::new(&[], &asks).unwrap();
            let f = book.fill(Side::Buy, q).unwrap();
            let (mut left, mut cost) = (q, 0.0);
            for (p, s) in &asks {
                let take = left.min(*s);
                cost += take * p;
                left -= take;
            }
            proptest::prop_assert!((f.filled - (q - left)).abs() <= 1e-9 * q.max(1.0));
            proptest::prop_assert!((f.cost - cost).abs() <= 1e-9 * cost.max(1.0));
        }
    }
}
