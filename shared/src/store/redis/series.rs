//! Series: the `tsfn:series` index of ids and one hash per series; metadata writes and deletes
//! are Lua scripts, reads one pipelined round trip.

use redis::{Script, Value};

use super::codec::{chunks_key, points_key, series_key, SERIES_INDEX};
use super::conn::{redis_err, reply_err, Conn};
use crate::chunk::Chunk;
use crate::error::{Error, Result};
use crate::model::{SeriesId, SeriesInfo, SeriesMeta};
use crate::store::SeriesPut;

const PUT_SERIES: &str = include_str!("lua/put_series.lua");
const DELETE_SERIES: &str = include_str!("lua/delete_series.lua");

pub(super) struct Series {
    conn: Conn,
    put_series: Script,
    delete_series: Script,
}

impl Series {
    pub(super) fn new(conn: Conn) -> Self {
        Series {
            conn,
            put_series: Script::new(PUT_SERIES),
            delete_series: Script::new(DELETE_SERIES),
        }
    }

    async fn info(&self, ids: &[String]) -> Result<Vec<Option<SeriesInfo>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("HMGET")
                .arg(series_key(id))
                .arg(&["meta", "created", "updated", "n"]);
            // The first chunk's score is its first time; the last chunk's header has the last.
            pipe.cmd("ZRANGE")
                .arg(chunks_key(id))
                .arg(0)
                .arg(0)
                .arg("WITHSCORES");
            pipe.cmd("ZRANGE").arg(chunks_key(id)).arg(-1).arg(-1);
        }
        let replies: Vec<Value> = pipe
            .query_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        let mut out = Vec::with_capacity(ids.len());
        for (id, r) in ids.iter().zip(replies.chunks(3)) {
            let (meta, created, updated, count): (
                Option<String>,
                Option<i64>,
                Option<i64>,
                Option<u64>,
            ) = redis::from_redis_value_ref(&r[0]).map_err(reply_err)?;
            let Some(meta) = meta else {
                out.push(None);
                continue;
            };
            let first: Vec<(Vec<u8>, f64)> =
                redis::from_redis_value_ref(&r[1]).map_err(reply_err)?;
            let last: Vec<Vec<u8>> = redis::from_redis_value_ref(&r[2]).map_err(reply_err)?;
            let meta: SeriesMeta = serde_json::from_str(&meta)
                .map_err(|e| Error::Internal(format!("corrupt metadata of {id}: {e}")))?;
            out.push(Some(SeriesInfo {
                id: SeriesId::parse(id)?,
                meta,
                count: count.unwrap_or(0),
                first: first.first().map(|(_, s)| *s as i64),
                last: last
                    .into_iter()
                    .next()
                    .map(|c| Chunk::from_bytes(c).map(|c| c.end()))
                    .transpose()?,
                created: created.unwrap_or(0),
                updated: updated.unwrap_or(0),
            }));
        }
        Ok(out)
    }

    pub(super) async fn list(&self) -> Result<Vec<SeriesInfo>> {
        let ids: Vec<String> = redis::cmd("ZRANGE")
            .arg(SERIES_INDEX)
            .arg(0)
            .arg(-1)
            .query_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        // A series deleted between the two round trips is simply left out.
        Ok(self.info(&ids).await?.into_iter().flatten().collect())
    }

    pub(super) async fn get(&self, id: &SeriesId) -> Result<Option<SeriesInfo>> {
        Ok(self.info(&[id.as_str().to_owned()]).await?.pop().flatten())
    }

    pub(super) async fn put(
        &self,
        id: &SeriesId,
        meta: &SeriesMeta,
        now: i64,
    ) -> Result<SeriesPut> {
        let json = serde_json::to_string(meta).map_err(|e| Error::Internal(e.to_string()))?;
        let created: i64 = self
            .put_series
            .key(series_key(id.as_str()))
            .key(SERIES_INDEX)
            .arg(id.as_str())
            .arg(json)
            .arg(now)
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        let info = self
            .get(id)
            .await?
            .ok_or_else(|| Error::Conflict("series deleted concurrently".into()))?;
        Ok(SeriesPut {
            info,
            created: created == 1,
        })
    }

    /// Deletes the series and its points; false when it did not exist.
    pub(super) async fn delete(&self, id: &SeriesId) -> Result<bool> {
        let n: i64 = self
            .delete_series
            .key(series_key(id.as_str()))
            .key(chunks_key(id.as_str()))
            .key(SERIES_INDEX)
            .key(points_key(id.as_str()))
            .arg(id.as_str())
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        Ok(n == 1)
    }
}
