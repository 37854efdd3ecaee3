//! The storage contract. Every backend implements [`Store`]; handlers and workers only see
//! `Arc<dyn Store>`, so behaviour is the same whichever backend `TSFN_STORE` selects.
//!
//! Contract details every backend must honour (the conformance suite checks them):
//! - points are unique per `(series, t)`: writing an existing `t` replaces its value;
//! - `write_points` receives points sorted by `t` without duplicates and creates the series when
//!   missing; a failed write leaves nothing behind (all or nothing);
//! - reads of a missing series return `Error::NotFound`, never an empty success.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::model::{Order, Point, Range, SeriesId, SeriesInfo, SeriesMeta};

#[cfg(feature = "sqlite")]
pub mod sqlite;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Short backend name for logs and `/ready`.
    fn backend(&self) -> &'static str;

    /// Cheap reachability check used by `/ready`.
    async fn ping(&self) -> Result<()>;

    /// Every series, ordered by id.
    async fn list_series(&self) -> Result<Vec<SeriesInfo>>;

    async fn get_series(&self, id: &SeriesId) -> Result<Option<SeriesInfo>>;

    /// Creates the series or replaces its metadata. Returns the series and whether it was created.
    async fn put_series(
        &self,
        id: &SeriesId,
        meta: &SeriesMeta,
        now: i64,
    ) -> Result<(SeriesInfo, bool)>;

    /// Deletes the series and all its points. Returns false when it did not exist.
    async fn delete_series(&self, id: &SeriesId) -> Result<bool>;

    /// Upserts points (sorted by `t`, unique), creating the series when missing.
    /// Returns whether the series was created.
    async fn write_points(&self, id: &SeriesId, points: Vec<Point>, now: i64) -> Result<bool>;

    /// At most `limit` points of `range` in `order`.
    async fn query_points(
        &self,
        id: &SeriesId,
        range: Range,
        order: Order,
        limit: usize,
    ) -> Result<Vec<Point>>;

    async fn get_point(&self, id: &SeriesId, t: i64) -> Result<Option<Point>>;

    /// Deletes the points in `range`; returns how many there were.
    async fn delete_points(&self, id: &SeriesId, range: Range) -> Result<u64>;
}

pub type DynStore = Arc<dyn Store>;

/// Opens the store named by a `TSFN_STORE` URL.
pub async fn open(url: &str) -> Result<DynStore> {
    #[cfg(feature = "sqlite")]
    if let Some(rest) = url.strip_prefix("sqlite:") {
        return Ok(Arc::new(sqlite::SqliteStore::open(rest).await?));
    }
    let scheme = url.split(':').next().unwrap_or(url);
    Err(Error::invalid(
        "TSFN_STORE",
        format!(
            "unsupported store {scheme:?} in this build (built with: {})",
            compiled_backends().join(", ")
        ),
    ))
}

pub fn compiled_backends() -> Vec<&'static str> {
    [("sqlite", cfg!(feature = "sqlite"))]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| name)
        .collect()
}

pub(crate) fn not_found(id: &SeriesId) -> Error {
    Error::NotFound(format!("series {:?}", id.as_str()))
}
