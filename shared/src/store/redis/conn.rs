//! The shared connection: one multiplexed connection per process carries every request
//! concurrently and reconnects after Redis restarts. Its timeouts bound every call, and Redis
//! errors map to ours: an unreachable, restarting or full Redis is `Error::Unavailable` (503).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Client;

use crate::error::{Error, Result};

/// How long to wait for a connection, and for any reply, before answering 503
/// (`TSFN_REDIS_CONNECT_TIMEOUT_MS`, `TSFN_REDIS_TIMEOUT_MS`).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub reply: Duration,
}

/// Cheap to clone: clones share the connection.
#[derive(Clone)]
pub(super) struct Conn {
    client: Client,
    manager: ConnectionManager,
    timeouts: Timeouts,
}

impl Conn {
    /// `url` is the whole `redis://HOST:PORT/DB` URL.
    pub(super) fn open(url: &str, timeouts: Timeouts) -> Result<Self> {
        let client = Client::open(url)
            .map_err(|e| Error::invalid("TSFN_STORE", format!("bad redis URL: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeouts.connect))
            .set_response_timeout(Some(timeouts.reply))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        // Lazy: the process starts even while Redis is down, answers 503, and recovers by itself.
        let manager =
            ConnectionManager::new_lazy_with_config(client.clone(), config).map_err(redis_err)?;
        Ok(Conn {
            client,
            manager,
            timeouts,
        })
    }

    pub(super) fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// A handle on the shared connection.
    pub(super) fn get(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// Maps an error of a call on this connection, naming the reply timeout when it ran out.
    pub(super) fn err(&self, e: redis::RedisError) -> Error {
        if e.is_timeout() {
            return Error::Unavailable(format!(
                "redis unreachable: no reply within {:?}",
                self.timeouts.reply
            ));
        }
        redis_err(e)
    }

    /// The client, for connections of their own (point ranges, blocking queue reads).
    pub(super) fn client(&self) -> &Client {
        &self.client
    }
}

pub(super) fn redis_err(e: redis::RedisError) -> Error {
    if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal() {
        Error::Unavailable(format!("redis unreachable: {e}"))
    } else {
        match e.kind() {
            // maxmemory reached: writes fail until memory is freed or the limit raised.
            _ if e.code() == Some("OOM") => {
                Error::Unavailable(format!("redis is out of memory (maxmemory): {e}"))
            }
            redis::ErrorKind::Server(
                redis::ServerErrorKind::BusyLoading
                | redis::ServerErrorKind::TryAgain
                | redis::ServerErrorKind::ClusterDown,
            ) => Error::Unavailable(format!("redis not ready: {e}")),
            _ => Error::Internal(format!("redis: {e}")),
        }
    }
}

pub(super) fn reply_err(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("unexpected redis reply: {e}"))
}
