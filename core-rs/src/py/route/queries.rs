//! How `PoolGraph`'s queries run: their options (parsed once per query into one
//! `RouteOptions`), token lookup, and the single-path search dispatch (GIL released).

use pyo3::prelude::*;
use ruint::aliases::U256;

use super::graph::PyPoolGraph;
use super::results::{checksum, PyRoute};
use crate::py::args::{read_args, GasOverrides, ROUTE};
use crate::py::errors::{no_panic, route_err, RouteNotFound};
use crate::route::{self as kernel, Addr, RouteOptions, MAX_HOPS_LIMIT};

/// Which search a single-path query runs.
#[derive(Clone, Copy)]
pub(super) enum Mode {
    ExactIn,
    ExactOut,
    /// Exact input by simulating every simple path (no pruning).
    Exhaustive,
}

/// An optional count (`max_hops`, `max_splits`): an int in [lo, hi], `default` when left out.
pub(super) fn count(
    obj: Option<&Bound<'_, PyAny>>,
    name: &str,
    default: usize,
    (lo, hi): (usize, usize),
) -> PyResult<usize> {
    let Some(v) = ROUTE.opt::<i64>(obj, name)? else {
        return Ok(default);
    };
    usize::try_from(v)
        .ok()
        .filter(|v| (lo..=hi).contains(v))
        .ok_or_else(|| ROUTE.error(name, format!("must be in [{lo}, {hi}], got {v}")))
}

impl PyPoolGraph {
    /// A query's token id; a token in no pool means no route (`RouteNotFound`).
    pub(super) fn token_id(&self, a: &Addr, name: &str) -> PyResult<u32> {
        self.graph.token_id(a).ok_or_else(|| {
            RouteNotFound::new_err(format!(
                "no route: {name} {} is in no pool of the graph",
                checksum(a)
            ))
        })
    }

    /// A query's options, parsed once: `max_hops` defaults to `default_hops`, the gas price to
    /// 0 (gas not priced), the gas model to the graph's (`gas_model`'s keys override it), and
    /// fee-on-transfer tokens are left out unless allowed.
    pub(super) fn options(
        &self,
        default_hops: usize,
        max_hops: Option<&Bound<'_, PyAny>>,
        gas_price_wei: Option<&Bound<'_, PyAny>>,
        gas_model: Option<&Bound<'_, PyAny>>,
        allow_fee_on_transfer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RouteOptions> {
        let max_hops = count(max_hops, "max_hops", default_hops, (1, MAX_HOPS_LIMIT))?;
        read_args!(ROUTE; gas_price_wei: Option<U256>);
        read_args!(ROUTE; gas_model: Option<GasOverrides>, allow_fee_on_transfer: Option<bool>);
        let model = self.graph.gas_model();
        Ok(RouteOptions {
            max_hops,
            gas_price: gas_price_wei.unwrap_or(U256::ZERO),
            gas_model: Some(gas_model.map_or(model, |o| o.apply(model))),
            allow_fee_on_transfer: allow_fee_on_transfer.unwrap_or(false),
        })
    }

    /// `best_route`, `best_route_exhaustive` and `best_route_exact_out`: one path from
    /// `token_in` to `token_out` for `amount` (in or out by `mode`), searched with the GIL
    /// released.
    pub(super) fn single_path(
        &self,
        py: Python<'_>,
        mode: Mode,
        (token_in, token_out, x): (Addr, Addr, U256),
        opts: &RouteOptions,
    ) -> PyResult<PyRoute> {
        let src = self.token_id(&token_in, "token_in")?;
        let dst = self.token_id(&token_out, "token_out")?;
        let g = &self.graph;
        let r = no_panic(|| {
            py.detach(|| match mode {
                Mode::ExactIn => kernel::best_route_in(g, g, src, dst, x, opts, true),
                Mode::Exhaustive => kernel::best_route_in(g, g, src, dst, x, opts, false),
                Mode::ExactOut => kernel::best_route_out(g, g, src, dst, x, opts, true),
            })
            .map_err(route_err)
        })?;
        Ok(PyRoute::new(g, r))
    }
}
