//! Who may call what: API keys with scopes, and rate limits per caller.
//!
//! Keys are configured as SHA-256 hashes (`TSFN_API_KEYS`, `TSFN_API_KEYS_FILE`), so neither the
//! environment nor a file holds a usable key; `TSFN_API_KEY` (the key itself) keeps working as a
//! key with every scope. A request's key is hashed once and compared with every configured hash
//! in constant time (`subtle`), all of them, so timing says nothing about which nearly matched.
//! SHA-256 and not a slow password hash: keys are long random strings (`tsfn key new`), which a
//! fast hash protects as well, and a slow one would cost milliseconds on every request.
//!
//! Scopes: `read` (GET and HEAD), `write` (writing and deleting points, series metadata, jobs),
//! `admin` (deleting a whole series, `/metrics`) which includes the other two. Which a route needs
//! is decided in one place, [`scope_for`].

use std::fmt;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// Paths anyone may call, with or without keys: the probes (InfluxDB clients' `/ping` too), the
/// console and the API's description, none of which holds data. Exact paths: a suffix test would
/// also open `/series/health`.
pub fn is_open(path: &str) -> bool {
    matches!(
        path,
        "/health" | "/ready" | "/ping" | "/" | "/openapi.json" | "/docs"
    ) || path.starts_with("/console/")
        || path.starts_with("/docs/")
}

/// The scope a request needs, from its method and its route's template; `None` for open routes.
pub fn scope_for(method: &str, template: &str, path: &str) -> Option<Scope> {
    if is_open(path) {
        return None;
    }
    // Signed webhooks carry their own proof (an HMAC of the body by the source's secret,
    // checked by their handler), so no API key; unlike the open routes they stay rate limited.
    if path.starts_with("/hooks/") {
        return None;
    }
    Some(match (method, template) {
        ("GET" | "HEAD", "/metrics") => Scope::Admin,
        // Dropping a series and all its points: more than an ingest key should be able to do.
        ("DELETE", "/series/{series}") => Scope::Admin,
        ("GET" | "HEAD", _) => Scope::Read,
        _ => Scope::Write,
    })
}

/// One configured key: its name (what logs and limits show), scopes and hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub scopes: Vec<Scope>,
    hash: [u8; 32],
}

impl Key {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes
            .iter()
            .any(|s| *s == scope || *s == Scope::Admin)
    }
}

// Never prints the hash: settings are logged and gathered.
impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scopes: Vec<_> = self.scopes.iter().map(|s| s.as_str()).collect();
        write!(f, "{}:{}:<redacted>", self.name, scopes.join(","))
    }
}

pub fn sha256_hex(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The keys a deployment accepts. Empty: the API is open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys(pub Vec<Key>);

impl Keys {
    /// Entries `NAME:SCOPES:SHA256HEX` (scopes joined by `,`), separated by `;`, spaces or
    /// lines; `#` starts a comment to the end of its line (the file form).
    pub fn parse(text: &str) -> Result<Keys, String> {
        let mut keys = Vec::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            for entry in line
                .split(|c: char| c == ';' || c.is_whitespace())
                .filter(|e| !e.is_empty())
            {
                keys.push(Self::entry(entry)?);
            }
        }
        let mut names: Vec<&str> = keys.iter().map(|k: &Key| k.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("the key name {:?} is used twice", w[0]));
        }
        Ok(Keys(keys))
    }

    fn entry(entry: &str) -> Result<Key, String> {
        let shape =
            || format!("{entry:?} is not NAME:SCOPES:SHA256, such as grafana:read:<64 hex digits>");
        let mut parts = entry.split(':');
        let (Some(name), Some(scopes), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(shape());
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(format!(
                "key name {name:?}: use letters, digits, '-', '_' or '.'"
            ));
        }
        let scopes = scopes
            .split(',')
            .map(|s| {
                Scope::parse(s).ok_or_else(|| {
                    format!("key {name:?}: unknown scope {s:?} (use read, write or admin)")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hash.to_ascii_lowercase(), &mut bytes).map_err(|_| {
            format!(
                "key {name:?}: the hash must be 64 hex digits (the key's SHA-256: tsfn key new)"
            )
        })?;
        Ok(Key {
            name: name.to_owned(),
            scopes,
            hash: bytes,
        })
    }

    /// Adds `TSFN_API_KEY`, the key itself, as a key named `default` with every scope.
    pub fn with_plain(mut self, key: Option<&str>) -> Keys {
        if let Some(k) = key {
            self.0.push(Key {
                name: "default".into(),
                scopes: vec![Scope::Admin],
                hash: Sha256::digest(k.as_bytes()).into(),
            });
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The key whose hash matches `given`, comparing with every key whatever the outcome.
    pub fn find(&self, given: &str) -> Option<&Key> {
        let hash: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        let mut found = None;
        for k in &self.0 {
            if bool::from(k.hash.ct_eq(&hash)) {
                found = Some(k);
            }
        }
        found
    }

    /// Decides a request by the key it carries (already looked up with [`Keys::find`]): 401
    /// without a known key, 403 for a key without the scope; always Ok when no keys are set or
    /// the route is open (`need` is `None`).
    pub fn authorize(&self, key: Option<&Key>, need: Option<Scope>) -> Result<(), Error> {
        let Some(need) = need.filter(|_| !self.is_empty()) else {
            return Ok(());
        };
        let key = key.ok_or(Error::Unauthorized)?;
        if !key.allows(need) {
            return Err(Error::Forbidden {
                key: key.name.clone(),
                scope: need.as_str(),
            });
        }
        Ok(())
    }

    /// [`Keys::find`] then [`Keys::authorize`], with the key's name.
    pub fn check(&self, given: Option<&str>, need: Option<Scope>) -> Result<Option<String>, Error> {
        let key = given.and_then(|g| self.find(g));
        self.authorize(key, need)?;
        Ok(key.map(|k| k.name.clone()))
    }
}

/// A request rate: `N/s`, `N/min` or `N/h` (bursts of up to N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: NonZeroU32,
    pub per: Duration,
}

impl Rate {
    pub fn parse(s: &str) -> Option<Rate> {
        let (n, unit) = s.trim().split_once('/')?;
        let count = n.trim().parse::<NonZeroU32>().ok()?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return None,
        };
        Some(Rate { count, per })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "min",
            _ => "h",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// Per-caller limits (a key's name, else the client's address), in this process: each replica
/// and each Lambda sandbox counts on its own (docs/deploy.md says what that means on AWS).
pub struct Limiter {
    limiter: DefaultKeyedRateLimiter<Arc<str>>,
    checks: AtomicU64,
}

impl Limiter {
    pub fn new(rate: Rate) -> Limiter {
        let replenish = rate.per / rate.count.get();
        let quota = Quota::with_period(replenish)
            .unwrap_or_else(|| Quota::per_second(rate.count))
            .allow_burst(rate.count);
        Limiter {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        }
    }

    /// Ok, or how long until the caller may try again.
    pub fn check(&self, caller: &str) -> Result<(), Duration> {
        // Callers seen once stay in the map until cleared: every so often drop those whose
        // buckets are full again, so memory follows recent callers, not all callers ever.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.limiter.retain_recent();
        }
        let caller: Arc<str> = Arc::from(caller);
        self.limiter
            .check_key(&caller)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        let text = format!(
            "# comment\ngrafana:read:{}\n ingest:write:{} ; ops:admin:{}",
            sha256_hex("r-key"),
            sha256_hex("w-key"),
            sha256_hex("a-key").to_uppercase()
        );
        Keys::parse(&text).unwrap()
    }

    #[test]
    fn parses_and_checks() {
        let k = keys();
        assert_eq!(k.0.len(), 3);
        assert_eq!(
            k.check(Some("r-key"), Some(Scope::Read)),
            Ok(Some("grafana".into()))
        );
        assert!(matches!(
            k.check(Some("r-key"), Some(Scope::Write)),
            Err(Error::Forbidden { .. })
        ));
        assert_eq!(
            k.check(Some("w-key"), Some(Scope::Write)),
            Ok(Some("ingest".into()))
        );
        assert!(matches!(
            k.check(Some("w-key"), Some(Scope::Read)),
            Err(Error::Forbidden { .. })
        ));
        assert_eq!(
            k.check(Some("a-key"), Some(Scope::Read)),
            Ok(Some("ops".into()))
        );
        assert_eq!(
            k.check(Some("nope"), Some(Scope::Read)),
            Err(Error::Unauthorized)
        );
        assert_eq!(k.check(None, Some(Scope::Read)), Err(Error::Unauthorized));
        assert_eq!(k.check(None, None), Ok(None));
        assert_eq!(Keys::default().check(None, Some(Scope::Admin)), Ok(None));
        let plain = Keys::default().with_plain(Some("s3cret"));
        assert_eq!(
            plain.check(Some("s3cret"), Some(Scope::Admin)),
            Ok(Some("default".into()))
        );
        assert!(!format!("{k:?}").contains(&sha256_hex("r-key")));
    }

    #[test]
    fn rejects_bad_entries() {
        for bad in [
            "x",
            "a:read",
            "a:read:123",
            "a:reed:0000000000000000000000000000000000000000000000000000000000000000",
            ":read:0000000000000000000000000000000000000000000000000000000000000000",
            "a b:read:0000000000000000000000000000000000000000000000000000000000000000",
            "a:read:0000000000000000000000000000000000000000000000000000000000000000;a:write:0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert!(Keys::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scopes_by_route() {
        assert_eq!(scope_for("GET", "/series", "/series"), Some(Scope::Read));
        assert_eq!(
            scope_for("POST", "/series/{series}/points", "/series/a/points"),
            Some(Scope::Write)
        );
        assert_eq!(
            scope_for("DELETE", "/series/{series}", "/series/a"),
            Some(Scope::Admin)
        );
        assert_eq!(scope_for("GET", "/health", "/health"), None);
        assert_eq!(scope_for("GET", "/metrics", "/metrics"), Some(Scope::Admin));
        assert_eq!(
            scope_for("GET", "/series/{series}", "/series/health"),
            Some(Scope::Read)
        );
    }

    #[test]
    fn rates() {
        assert_eq!(Rate::parse("5/s").unwrap().count.get(), 5);
        assert_eq!(Rate::parse("100/min").unwrap().per, Duration::from_secs(60));
        assert!(Rate::parse("0/s").is_none());
        assert!(Rate::parse("5/day").is_none());
        let l = Limiter::new(Rate::parse("2/h").unwrap());
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        let wait = l.check("a").unwrap_err();
        assert!(wait > Duration::from_secs(60) && wait <= Duration::from_secs(1800));
        assert!(l.check("b").is_ok());
    }
}
