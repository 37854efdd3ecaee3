//! Point reads over plain RESP connections of their own.
//!
//! A range reply is an array of 16-byte members, thousands at a time. redis-rs parses every
//! element through its generic, resumable reply parser (about 250 ns each: three quarters of a
//! 100k-point scan); this reader knows the reply's exact shape (`*N`, then N times `$16` and 16
//! bytes) and decodes it straight into points, 20x faster. Everything else stays on the shared
//! multiplexed connection.
//!
//! One connection carries every concurrent read, pipelined: a writer task batches waiting
//! commands into one write, a reader task hands replies back in order. It is opened lazily and
//! replaced after any failure; a read whose connection turns out closed (it was opened before it
//! was asked) is retried once on a new one (reads are idempotent), so a Redis restart between two
//! requests costs no failed request. A read that gets no reply is not retried: Redis is hung or
//! overloaded, and a second try would only double the wait. The whole read, connecting included,
//! is bounded by the shared connection's reply timeout, and failures map to the same
//! `Error::Unavailable` (503).

use std::path::PathBuf;
use std::sync::Mutex;

use redis::{ConnectionAddr, ConnectionInfo};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::codec::member_point;
use super::conn::Timeouts;
use crate::error::{Error, Result};
use crate::model::Point;

/// Bytes of one array element: `$16\r\n`, the member, `\r\n`.
const ELEMENT: usize = 5 + 16 + 2;
/// Largest reply accepted (points); a range page is far smaller.
const MAX_REPLY: usize = 1 << 24;
/// Commands written in one go when several are waiting.
const BATCH_BYTES: usize = 64 * 1024;

enum Addr {
    Tcp(String, u16),
    Unix(PathBuf),
}

type Reply = std::result::Result<Vec<Point>, Failure>;

struct Request {
    command: Vec<u8>,
    reply: oneshot::Sender<Reply>,
}

/// The live connection: its driver tasks end when the last sender is dropped or it fails.
#[derive(Clone)]
struct Pipe {
    tx: mpsc::UnboundedSender<Request>,
}

pub(super) struct PointReader {
    addr: Addr,
    /// AUTH and SELECT, packed, sent on every new connection (empty when neither is needed).
    handshake: Vec<u8>,
    replies: usize,
    pipe: Mutex<Option<Pipe>>,
    timeouts: Timeouts,
    /// Serialises reconnects, so a burst of requests opens one connection, not one each.
    connecting: tokio::sync::Mutex<()>,
}

/// Why a read failed.
enum Failure {
    /// The connection is at fault: retried once on a fresh one.
    Io(String),
    /// No reply in time: not retried (the request has had its one wait).
    Timeout,
    /// Redis answered with an error; the connection is fine.
    Server(Error),
    /// The reply is not what a range returns; the stream position is lost with it.
    Corrupt(String),
}

impl PointReader {
    pub(super) fn new(info: &ConnectionInfo, timeouts: Timeouts) -> Result<Self> {
        let addr = match info.addr() {
            ConnectionAddr::Tcp(host, port) => Addr::Tcp(host.clone(), *port),
            ConnectionAddr::Unix(path) => Addr::Unix(path.clone()),
            other => {
                return Err(Error::invalid(
                    "TSFN_STORE",
                    format!("unsupported redis address {other} (TLS is not built in)"),
                ))
            }
        };
        let settings = info.redis_settings();
        let mut handshake = Vec::new();
        let mut replies = 0;
        if let Some(password) = settings.password() {
            let mut args: Vec<&[u8]> = vec![b"AUTH"];
            if let Some(user) = settings.username() {
                args.push(user.as_bytes());
            }
            args.push(password.as_bytes());
            pack(&mut handshake, &args);
            replies += 1;
        }
        if settings.db() != 0 {
            pack(
                &mut handshake,
                &[b"SELECT", settings.db().to_string().as_bytes()],
            );
            replies += 1;
        }
        Ok(PointReader {
            addr,
            handshake,
            replies,
            pipe: Mutex::new(None),
            timeouts,
            connecting: tokio::sync::Mutex::new(()),
        })
    }

    /// Runs `args` (a ZRANGEBYSCORE-like command) and decodes its array of points.
    pub(super) async fn points(&self, args: &[&[u8]]) -> Result<Vec<Point>> {
        let mut command = Vec::with_capacity(96);
        pack(&mut command, args);
        // One deadline for the whole read: however it goes (waiting for another request's
        // connect, connecting, a retry), a request waits at most one reply timeout.
        let deadline = Instant::now() + self.timeouts.reply;
        let (pipe, fresh) = self.pipe(deadline).await?;
        let reply = match self.send(&pipe, command.clone(), deadline).await {
            // The connection may have died since its last use (a Redis restart): reads are
            // idempotent, so one more try on a new connection.
            Err(Failure::Io(_)) if !fresh => {
                let (pipe, _) = self.pipe(deadline).await?;
                self.send(&pipe, command, deadline).await
            }
            other => other,
        };
        reply.map_err(|f| match f {
            Failure::Io(e) => unreachable(e),
            Failure::Timeout => unreachable(timed_out(self.timeouts.reply)),
            Failure::Server(e) => e,
            Failure::Corrupt(e) => Error::Internal(format!("unexpected redis reply: {e}")),
        })
    }

    async fn send(&self, pipe: &Pipe, command: Vec<u8>, deadline: Instant) -> Reply {
        let (tx, rx) = oneshot::channel();
        let reply = if pipe.tx.send(Request { command, reply: tx }).is_err() {
            Err(closed())
        } else {
            match tokio::time::timeout_at(deadline, rx).await {
                Ok(Ok(reply)) => reply,
                Ok(Err(_)) => Err(closed()),
                Err(_) => Err(Failure::Timeout),
            }
        };
        // Replies come in order: one that is late holds up every later one, so a timeout
        // retires the connection too.
        if matches!(reply, Err(Failure::Io(_) | Failure::Timeout)) {
            self.forget(pipe);
        }
        reply
    }

    /// Drops `pipe` as the live connection (its tasks end once in-flight requests let go).
    fn forget(&self, pipe: &Pipe) {
        let mut current = self.pipe.lock().unwrap();
        if current
            .as_ref()
            .is_some_and(|p| p.tx.same_channel(&pipe.tx))
        {
            *current = None;
        }
    }

    /// The live connection, opening one when there is none; and whether it was just opened.
    /// Gives up at `deadline`, also while another request is connecting.
    async fn pipe(&self, deadline: Instant) -> Result<(Pipe, bool)> {
        if let Some(p) = self.live() {
            return Ok((p, false));
        }
        let opened = tokio::time::timeout_at(deadline, async {
            let _guard = self.connecting.lock().await;
            if let Some(p) = self.live() {
                return Ok(p);
            }
            let pipe = self.connect().await?;
            *self.pipe.lock().unwrap() = Some(pipe.clone());
            Ok(pipe)
        })
        .await;
        match opened {
            Ok(p) => p.map(|p| (p, true)),
            Err(_) => Err(unreachable(timed_out(self.timeouts.reply))),
        }
    }

    fn live(&self) -> Option<Pipe> {
        let current = self.pipe.lock().unwrap();
        current.as_ref().filter(|p| !p.tx.is_closed()).cloned()
    }

    async fn connect(&self) -> Result<Pipe> {
        let open = async {
            match &self.addr {
                Addr::Tcp(host, port) => {
                    let s = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
                    s.set_nodelay(true)?;
                    let (r, w) = s.into_split();
                    Ok::<_, std::io::Error>(self.start(r, w))
                }
                Addr::Unix(path) => {
                    let (r, w) = tokio::net::UnixStream::connect(path).await?.into_split();
                    Ok(self.start(r, w))
                }
            }
        };
        let connect = self.timeouts.connect;
        let (pipe, ready) = match tokio::time::timeout(connect, open).await {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => return Err(unreachable(e.to_string())),
            Err(_) => return Err(unreachable(format!("no connection within {connect:?}"))),
        };
        match tokio::time::timeout(self.timeouts.reply, ready).await {
            Ok(Ok(Ok(()))) => Ok(pipe),
            Ok(Ok(Err(Failure::Server(e)))) => Err(e),
            Ok(Ok(Err(Failure::Io(e) | Failure::Corrupt(e)))) => Err(unreachable(e)),
            Ok(Ok(Err(Failure::Timeout))) => Err(unreachable(timed_out(self.timeouts.reply))),
            Ok(Err(_)) => Err(unreachable("connection closed".into())),
            Err(_) => Err(unreachable(timed_out(self.timeouts.reply))),
        }
    }

    /// Starts the connection's writer and reader tasks; the receiver tells when the handshake
    /// (AUTH, SELECT) is done.
    fn start<R, W>(&self, r: R, w: W) -> (Pipe, oneshot::Receiver<std::result::Result<(), Failure>>)
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let (tx, rx) = mpsc::unbounded_channel();
        let (pending_tx, pending_rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = oneshot::channel();
        let handshake = self.handshake.clone();
        let replies = self.replies;
        let reply_timeout = self.timeouts.reply;
        tokio::spawn(async move {
            let mut r = BufReader::with_capacity(64 * 1024, r);
            let mut w = w;
            let greeted = async {
                w.write_all(&handshake).await.map_err(io)?;
                for _ in 0..replies {
                    let line = read_line(&mut r).await?;
                    if line.first() != Some(&b'+') {
                        return Err(server_error(&line));
                    }
                }
                Ok(())
            }
            .await;
            let ok = greeted.is_ok();
            if ready_tx.send(greeted).is_err() || !ok {
                return;
            }
            tokio::spawn(write_loop(w, rx, pending_tx));
            read_loop(r, pending_rx, reply_timeout).await;
        });
        (Pipe { tx }, ready_rx)
    }
}

/// Writes waiting commands in batches, handing each reply slot to the reader in write order.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut w: W,
    mut rx: mpsc::UnboundedReceiver<Request>,
    pending: mpsc::UnboundedSender<oneshot::Sender<Reply>>,
) {
    let mut buf = Vec::with_capacity(BATCH_BYTES);
    while let Some(first) = rx.recv().await {
        // Under load other requests are about to be queued: one scheduler pass lets them join
        // this write, so Redis reads many commands per syscall instead of one.
        if rx.is_empty() {
            tokio::task::yield_now().await;
        }
        buf.clear();
        let mut next = Some(first);
        while let Some(req) = next {
            buf.extend_from_slice(&req.command);
            if let Err(e) = pending.send(req.reply) {
                // The reader is gone: the connection is dead.
                let _ = e.0.send(Err(closed()));
                fail_all(&mut rx);
                return;
            }
            next = if buf.len() < BATCH_BYTES {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if w.write_all(&buf).await.is_err() {
            // Dropping the write half shuts it down; the reader then sees the end and fails
            // whatever is waiting.
            fail_all(&mut rx);
            return;
        }
    }
}

fn fail_all(rx: &mut mpsc::UnboundedReceiver<Request>) {
    rx.close();
    while let Ok(req) = rx.try_recv() {
        let _ = req.reply.send(Err(closed()));
    }
}

/// Reads replies in order and hands each to the request waiting for it.
async fn read_loop<R: AsyncRead + Unpin>(
    mut r: BufReader<R>,
    mut pending: mpsc::UnboundedReceiver<oneshot::Sender<Reply>>,
    reply_timeout: std::time::Duration,
) {
    // Ends when the writer is gone (every sender dropped) and nothing is waiting.
    while let Some(slot) = pending.recv().await {
        let reply = match tokio::time::timeout(reply_timeout, read_reply(&mut r)).await {
            Ok(reply) => reply,
            // Its request has given up by now; a silent peer must not keep this task forever.
            Err(_) => Err(Failure::Timeout),
        };
        let broken = matches!(
            reply,
            Err(Failure::Io(_) | Failure::Timeout | Failure::Corrupt(_))
        );
        let _ = slot.send(reply);
        if broken {
            pending.close();
            while let Ok(slot) = pending.try_recv() {
                let _ = slot.send(Err(closed()));
            }
            return;
        }
    }
}

async fn read_reply<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> Reply {
    let header = read_line(r).await?;
    match header.first() {
        Some(b'*') => {}
        Some(b'-') => return Err(server_error(&header)),
        _ => return Err(protocol(&header)),
    }
    let n: usize = std::str::from_utf8(&header[1..])
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n <= MAX_REPLY)
        .ok_or_else(|| protocol(&header))?;
    let mut body = vec![0u8; n * ELEMENT];
    r.read_exact(&mut body).await.map_err(io)?;
    body.chunks_exact(ELEMENT)
        .map(|e| {
            if &e[..5] != b"$16\r\n" || &e[21..] != b"\r\n" {
                return Err(Failure::Corrupt("a member that is not a point".into()));
            }
            Ok(member_point(e[5..21].try_into().expect("16 bytes")))
        })
        .collect()
}

/// One CRLF-terminated line, without the CRLF.
async fn read_line<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
) -> std::result::Result<Vec<u8>, Failure> {
    let mut line = Vec::with_capacity(16);
    let n = r.read_until(b'\n', &mut line).await.map_err(io)?;
    if n == 0 || !line.ends_with(b"\r\n") {
        return Err(Failure::Io("connection closed by redis".into()));
    }
    line.truncate(line.len() - 2);
    Ok(line)
}

/// A RESP array of bulk strings.
fn pack(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn closed() -> Failure {
    Failure::Io("connection closed".into())
}

fn io(e: std::io::Error) -> Failure {
    Failure::Io(e.to_string())
}

fn timed_out(reply: std::time::Duration) -> String {
    format!("no reply within {reply:?}")
}

fn unreachable(e: String) -> Error {
    Error::Unavailable(format!("redis unreachable: {e}"))
}

/// An error reply (`-CODE message`).
fn server_error(line: &[u8]) -> Failure {
    let text = String::from_utf8_lossy(line.strip_prefix(b"-").unwrap_or(line)).into_owned();
    // The same classification as the shared connection's errors.
    if ["LOADING", "TRYAGAIN", "CLUSTERDOWN"]
        .iter()
        .any(|c| text.starts_with(c))
    {
        Failure::Server(Error::Unavailable(format!("redis not ready: {text}")))
    } else {
        Failure::Server(Error::Internal(format!("redis: {text}")))
    }
}

fn protocol(line: &[u8]) -> Failure {
    Failure::Corrupt(String::from_utf8_lossy(line).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_commands_as_resp_arrays() {
        let mut out = Vec::new();
        pack(&mut out, &[b"SELECT", b"3"]);
        assert_eq!(out, b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n");
    }

    const TIMEOUTS: Timeouts = Timeouts {
        connect: std::time::Duration::from_secs(1),
        reply: std::time::Duration::from_secs(3),
    };

    #[test]
    fn handshake_carries_auth_and_db() {
        use redis::IntoConnectionInfo;
        let info = "redis://user:secret@127.0.0.1:6390/2"
            .into_connection_info()
            .unwrap();
        let r = PointReader::new(&info, TIMEOUTS).unwrap();
        assert_eq!(r.replies, 2);
        let text = String::from_utf8(r.handshake).unwrap();
        assert!(
            text.contains("AUTH\r\n$4\r\nuser\r\n$6\r\nsecret"),
            "{text}"
        );
        assert!(text.ends_with("SELECT\r\n$1\r\n2\r\n"), "{text}");
        let plain = "redis://127.0.0.1:6390".into_connection_info().unwrap();
        assert_eq!(PointReader::new(&plain, TIMEOUTS).unwrap().replies, 0);
    }
}
