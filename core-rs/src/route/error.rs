//! Errors of the route kernels.

use thiserror::Error;

use crate::amm::AmmError;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RouteError {
    /// An argument the graph cannot accept (unknown pool, malformed address, bad pool state);
    /// the message names it. The graph is unchanged.
    #[error("{0}")]
    InvalidInput(String),
    /// No path of at most `max_hops` pools turns the input into a positive output.
    #[error("{0}")]
    NotFound(String),
    /// Bytes given to `PoolGraph::from_bytes` that are not a graph this version wrote.
    #[error("{0}")]
    Corrupt(String),
}

pub type RouteResult<T> = Result<T, RouteError>;

pub fn invalid(msg: impl Into<String>) -> RouteError {
    RouteError::InvalidInput(msg.into())
}

impl From<AmmError> for RouteError {
    fn from(e: AmmError) -> RouteError {
        RouteError::InvalidInput(e.to_string())
    }
}
