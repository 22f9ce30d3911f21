//! How `PoolGraph`'s queries run: token lookup, per-query options, `best_routes`' batch
//! parsing, and the single-path search dispatch (GIL released).

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use ruint::aliases::U256;

use super::args::{addr_arg, amount_arg, amount_or_zero, bad, count_arg, flag_arg, gas_model_arg};
use super::graph::PyPoolGraph;
use super::results::{checksum, PyRoute};
use crate::py::errors::{no_panic, route_err};
use crate::route::{self as kernel, RouteOptions};

/// Which search a single-path query runs.
#[derive(Clone, Copy)]
pub(super) enum Mode {
    ExactIn,
    ExactOut,
    /// Exact input by simulating every simple path (no pruning).
    Exhaustive,
}

impl PyPoolGraph {
    /// A query's token id; a token in no pool means no route (`RouteNotFound`).
    pub(super) fn token(&self, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<u32> {
        let a = addr_arg(obj, name)?;
        self.graph.token_id(&a).ok_or_else(|| {
            crate::py::errors::RouteNotFound::new_err(format!(
                "no route: {name} {} is in no pool of the graph",
                checksum(&a)
            ))
        })
    }

    /// The per-query options; `max_hops` is (the argument, its default for this query).
    pub(super) fn options(
        &self,
        max_hops: (Option<&Bound<'_, PyAny>>, usize),
        gas_price_wei: Option<&Bound<'_, PyAny>>,
        gas_model: Option<&Bound<'_, PyAny>>,
        allow_fee_on_transfer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RouteOptions> {
        let max_hops = count_arg(
            max_hops.0,
            "max_hops",
            max_hops.1,
            1,
            kernel::MAX_HOPS_LIMIT,
        )?;
        let allow_fee_on_transfer = flag_arg(allow_fee_on_transfer, "allow_fee_on_transfer")?;
        Ok(RouteOptions {
            max_hops,
            gas_price: amount_or_zero(gas_price_wei, "gas_price_wei")?,
            gas_model: Some(gas_model_arg(self.graph.gas_model(), gas_model)?),
            allow_fee_on_transfer,
        })
    }

    /// `best_routes`' queries, each checked and named in errors by its index: (source, target,
    /// amount) ids, or None where no route can exist (a token in no pool, or source == target).
    pub(super) fn batch_queries(
        &self,
        queries: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Option<(u32, u32, U256)>>> {
        let mut parsed = Vec::new();
        for (k, q) in queries
            .try_iter()
            .map_err(|_| {
                bad("queries: expected a sequence of (token_in, token_out, amount_in)".into())
            })?
            .enumerate()
        {
            let q = q?;
            let t = q.cast::<PyTuple>().map_err(|_| {
                bad(format!(
                    "queries[{k}]: expected a tuple (token_in, token_out, amount_in)"
                ))
            })?;
            if t.len() != 3 {
                return Err(bad(format!(
                    "queries[{k}]: expected 3 items, got {}",
                    t.len()
                )));
            }
            let a = addr_arg(&t.get_item(0)?, &format!("queries[{k}].token_in"))?;
            let b = addr_arg(&t.get_item(1)?, &format!("queries[{k}].token_out"))?;
            let x = amount_arg(&t.get_item(2)?, &format!("queries[{k}].amount_in"))?;
            if x.is_zero() {
                return Err(bad(format!("queries[{k}].amount_in: must be positive")));
            }
            parsed.push(match (self.graph.token_id(&a), self.graph.token_id(&b)) {
                (Some(a), Some(b)) if a != b => Some((a, b, x)),
                _ => None,
            });
        }
        Ok(parsed)
    }

    /// `best_route`, `best_route_exhaustive` and `best_route_exact_out`: one path, searched
    /// with the GIL released.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn route_query(
        &self,
        py: Python<'_>,
        token_in: &Bound<'_, PyAny>,
        token_out: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
        max_hops: Option<&Bound<'_, PyAny>>,
        gas_price_wei: Option<&Bound<'_, PyAny>>,
        gas_model: Option<&Bound<'_, PyAny>>,
        allow_fee_on_transfer: Option<&Bound<'_, PyAny>>,
        mode: Mode,
    ) -> PyResult<PyRoute> {
        let name = match mode {
            Mode::ExactOut => "amount_out",
            _ => "amount_in",
        };
        let x = amount_arg(amount, name)?;
        let src = self.token(token_in, "token_in")?;
        let dst = self.token(token_out, "token_out")?;
        let opts = self.options(
            (max_hops, 3),
            gas_price_wei,
            gas_model,
            allow_fee_on_transfer,
        )?;
        let g = &self.graph;
        let r = no_panic(|| {
            py.detach(|| match mode {
                Mode::ExactIn => kernel::best_route_in(g, g, src, dst, x, &opts, true),
                Mode::Exhaustive => kernel::best_route_in(g, g, src, dst, x, &opts, false),
                Mode::ExactOut => kernel::best_route_out(g, g, src, dst, x, &opts, true),
            })
            .map_err(route_err)
        })?;
        Ok(PyRoute::new(g, r))
    }
}
