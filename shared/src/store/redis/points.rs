//! Points: one sorted set per series, score = t (ms), member = 16 bytes (t and v, big-endian).
//! Writes are Lua scripts, chunked and pipelined; ranges are read on connections of their own
//! with a reply decoder made for them (`reply`).

use redis::Script;

use super::codec::{encode_point, points_key, score, series_key, SERIES_INDEX};
use super::conn::{redis_err, Conn};
use super::reply::PointReader;
use crate::error::{Error, Result};
use crate::model::{Order, Point, Range, SeriesId, SeriesMeta};
use crate::store::not_found;

/// Points per write script, and scripts per pipelined round trip.
const WRITE_CHUNK: usize = 20_000;
const CHUNKS_PER_PIPELINE: usize = 5;

/// Upserts points; creates the series when missing. Appends (t above the current last point)
/// go straight to ZADD in chunks; earlier timestamps first drop the member stored at that t.
const WRITE_POINTS: &str = include_str!("lua/write_points.lua");

const DELETE_RANGE: &str = include_str!("lua/delete_range.lua");

pub(super) struct Points {
    conn: Conn,
    write_points: Script,
    delete_range: Script,
    /// Point ranges, on connections of their own with a reply decoder made for them.
    reader: PointReader,
}

impl Points {
    pub(super) fn new(conn: Conn) -> Result<Self> {
        let reader = PointReader::new(conn.client().get_connection_info(), conn.timeouts())?;
        Ok(Points {
            conn,
            write_points: Script::new(WRITE_POINTS),
            delete_range: Script::new(DELETE_RANGE),
            reader,
        })
    }

    /// Upserts `points` (sorted, unique), creating the series when missing; returns whether it
    /// was created.
    pub(super) async fn write(&self, id: &SeriesId, points: Vec<Point>, now: i64) -> Result<bool> {
        let meta = serde_json::to_string(&SeriesMeta::default()).expect("serializable");
        let (pts, ser) = (points_key(id.as_str()), series_key(id.as_str()));
        let hash = self.write_points.get_hash().to_owned();
        let chunks: Vec<&[Point]> = if points.is_empty() {
            vec![&[][..]]
        } else {
            points.chunks(WRITE_CHUNK).collect()
        };
        let (mut created, mut written) = (false, 0);
        // Chunks keep each script short (Redis stays responsive, replies stay within the
        // timeout); a few chunks travel per pipeline. Each chunk is atomic, so a body of at most
        // WRITE_CHUNK points is all or nothing; a larger one that fails part-way says how far it
        // got, and since rewriting points is idempotent the client simply sends it again.
        let partial = |e: Error, written: usize| {
            match e {
            Error::Unavailable(m) if points.len() > WRITE_CHUNK => Error::Unavailable(format!(
                "{m}; the first {written} of {} points (in time order) were written before the \
                 failure and the rest may or may not have been: sending the same body again is safe",
                points.len()
            )),
            e => e,
        }
        };
        for group in chunks.chunks(CHUNKS_PER_PIPELINE) {
            let mut loaded = false;
            loop {
                let mut pipe = redis::pipe();
                // Each chunk's own reply, so a failure part-way tells how many were written.
                pipe.ignore_errors();
                for chunk in group {
                    let c = pipe
                        .cmd("EVALSHA")
                        .arg(&hash)
                        .arg(3)
                        .arg(&pts)
                        .arg(&ser)
                        .arg(SERIES_INDEX);
                    c.arg(id.as_str()).arg(now).arg(&meta);
                    for p in *chunk {
                        c.arg(p.t).arg(&encode_point(p)[..]);
                    }
                }
                let replies: Vec<redis::RedisResult<i64>> = pipe
                    .query_async(&mut self.conn.get())
                    .await
                    .map_err(|e| partial(redis_err(e), written))?;
                let (mut in_order, mut failed) = (0, None);
                for (chunk, reply) in group.iter().zip(replies) {
                    match reply {
                        Ok(flag) => {
                            created |= flag == 1;
                            if failed.is_none() {
                                in_order += chunk.len();
                            }
                        }
                        Err(e) => {
                            failed.get_or_insert(e);
                        }
                    }
                }
                match failed {
                    None => {
                        written += in_order;
                        break;
                    }
                    // Redis restarted (script cache empty): load it and send the group again.
                    Some(e)
                        if !loaded
                            && e.kind()
                                == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
                    {
                        let _: String = redis::cmd("SCRIPT")
                            .arg("LOAD")
                            .arg(WRITE_POINTS)
                            .query_async(&mut self.conn.get())
                            .await
                            .map_err(|e| partial(redis_err(e), written))?;
                        loaded = true;
                    }
                    Some(e) => return Err(partial(redis_err(e), written + in_order)),
                }
            }
        }
        Ok(created)
    }

    pub(super) async fn range(
        &self,
        id: &SeriesId,
        lo: i64,
        hi: i64,
        order: Order,
        limit: usize,
    ) -> Result<Vec<Point>> {
        let key = points_key(id.as_str());
        let (lo, hi, limit) = (score(lo), score(hi), limit.to_string());
        let (command, start, stop) = match order {
            Order::Asc => ("ZRANGEBYSCORE", &lo, &hi),
            Order::Desc => ("ZREVRANGEBYSCORE", &hi, &lo),
        };
        let args: [&[u8]; 7] = [
            command.as_bytes(),
            key.as_bytes(),
            start.as_bytes(),
            stop.as_bytes(),
            b"LIMIT",
            b"0",
            limit.as_bytes(),
        ];
        let points = self.reader.points(&args).await?;
        if points.is_empty() {
            let exists: bool = redis::cmd("EXISTS")
                .arg(series_key(id.as_str()))
                .query_async(&mut self.conn.get())
                .await
                .map_err(redis_err)?;
            if !exists {
                return Err(not_found(id));
            }
        }
        Ok(points)
    }

    /// Deletes the points in `range`; returns how many there were.
    pub(super) async fn delete(&self, id: &SeriesId, range: Range) -> Result<u64> {
        let n: i64 = self
            .delete_range
            .key(series_key(id.as_str()))
            .key(points_key(id.as_str()))
            .arg(score(range.lo()))
            .arg(score(range.hi()))
            .invoke_async(&mut self.conn.get())
            .await
            .map_err(redis_err)?;
        if n < 0 {
            return Err(not_found(id));
        }
        Ok(n as u64)
    }
}
