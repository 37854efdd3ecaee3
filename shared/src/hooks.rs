//! Signed inbound webhooks (`POST /hooks/{source}`): each source's secret (`TSFN_HOOK_SECRETS`)
//! and the check of a request's signature, GitHub's scheme: `X-Hub-Signature-256: sha256=HEX`,
//! the HMAC-SHA256 of the raw body with the source's secret. With `X-Tsfn-Timestamp: UNIX_SECONDS`
//! the MAC covers `"{ts}.{body}"` instead, and a timestamp more than five minutes away from now is
//! refused, so a captured request cannot be replayed later.

use std::fmt;

use subtle::ConstantTimeEq;

use crate::error::{Error, Result};

pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";
pub const TIMESTAMP_HEADER: &str = "x-tsfn-timestamp";
/// How far a signed timestamp may be from now, either way (seconds).
pub const MAX_SKEW_SECS: i64 = 300;

/// The sources allowed to push, each with its secret.
#[derive(Clone, Default)]
pub struct HookSecrets(Vec<(String, Vec<u8>)>);

// Never shows a secret (settings are printed by `tsfn gather` and debug logs).
impl fmt::Debug for HookSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|(n, _)| n.as_str()).collect();
        write!(f, "HookSecrets({names:?})")
    }
}

impl HookSecrets {
    /// `SOURCE:SECRET` entries separated by `;` or line breaks; a source is letters, digits,
    /// `-`, `_` and `.`; the secret is everything after the first `:`.
    pub fn parse(text: &str) -> Result<HookSecrets, String> {
        let mut out: Vec<(String, Vec<u8>)> = Vec::new();
        for entry in text
            .split([';', '\n'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let Some((name, secret)) = entry.split_once(':') else {
                return Err("each entry must be SOURCE:SECRET, separated by `;`".into());
            };
            let name = name.trim();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(format!(
                    "source {name:?}: use letters, digits, '-', '_' and '.'"
                ));
            }
            // Not echoed: the value is a secret.
            if secret.len() < 16 {
                return Err(format!(
                    "source {name:?}: its secret must be 16 characters or more"
                ));
            }
            if out.iter().any(|(n, _)| n == name) {
                return Err(format!("source {name:?} is named twice"));
            }
            out.push((name.to_owned(), secret.as_bytes().to_vec()));
        }
        Ok(HookSecrets(out))
    }

    pub fn secret(&self, source: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(n, _)| n == source)
            .map(|(_, s)| s.as_slice())
    }
}

/// Checks a request's signature of `body` with `secret`: `signature` is the value of
/// `X-Hub-Signature-256`, `timestamp` of `X-Tsfn-Timestamp`, `now_secs` the current Unix time.
pub fn verify(
    secret: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<()> {
    let bad = |field: &'static str, message: String| Error::BadSignature { field, message };
    let Some(sig) = signature else {
        return Err(bad(
            SIGNATURE_HEADER,
            "missing X-Hub-Signature-256: sign the body with the source's secret (sha256=HEX of its HMAC-SHA256)".into(),
        ));
    };
    let given = sig
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .filter(|d| d.len() == 32)
        .ok_or_else(|| {
            bad(
                SIGNATURE_HEADER,
                "X-Hub-Signature-256 must be sha256= followed by 64 hex digits".into(),
            )
        })?;
    let prefix = match timestamp {
        None => None,
        Some(t) => {
            let ts: i64 = t.trim().parse().map_err(|_| {
                bad(
                    TIMESTAMP_HEADER,
                    format!("X-Tsfn-Timestamp must be whole Unix seconds, got {t:?}"),
                )
            })?;
            if (now_secs - ts).abs() > MAX_SKEW_SECS {
                return Err(bad(
                    TIMESTAMP_HEADER,
                    format!(
                        "X-Tsfn-Timestamp {ts} is more than {MAX_SKEW_SECS} s from now ({now_secs}): refused as a possible replay"
                    ),
                ));
            }
            Some(ts.to_string())
        }
    };
    let want = crate::notify::mac(secret, prefix.as_deref(), body);
    if bool::from(want.ct_eq(&given)) {
        Ok(())
    } else {
        Err(bad(
            SIGNATURE_HEADER,
            "X-Hub-Signature-256 does not match the body (HMAC-SHA256 with the source's secret, over \"{timestamp}.{body}\" when X-Tsfn-Timestamp is sent)".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef";

    fn sig(prefix: Option<&str>, body: &[u8]) -> String {
        format!("sha256={}", crate::notify::mac_hex(SECRET, prefix, body))
    }

    #[test]
    fn parses_sources() {
        let h = HookSecrets::parse("a:0123456789abcdef; b-2:x:0123456789abcdef\n").unwrap();
        assert_eq!(h.secret("a"), Some(&b"0123456789abcdef"[..]));
        assert_eq!(h.secret("b-2"), Some(&b"x:0123456789abcdef"[..]));
        assert_eq!(h.secret("c"), None);
        assert!(!format!("{h:?}").contains("0123"));
        for bad in [
            "a",
            "a:short",
            "a b:0123456789abcdef",
            "a:0123456789abcdef;a:0123456789abcdef",
        ] {
            assert!(HookSecrets::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn verifies() {
        let body = b"[[1,2]]";
        assert!(verify(SECRET, Some(&sig(None, body)), None, body, 0).is_ok());
        assert!(verify(SECRET, Some(&sig(None, body)), None, b"[[1,3]]", 0).is_err());
        assert!(verify(SECRET, None, None, body, 0).is_err());
        assert!(verify(SECRET, Some("sha256=zz"), None, body, 0).is_err());
        let s = sig(Some("1000"), body);
        assert!(verify(SECRET, Some(&s), Some("1000"), body, 1000 + MAX_SKEW_SECS).is_ok());
        let stale = verify(SECRET, Some(&s), Some("1000"), body, 1001 + MAX_SKEW_SECS);
        assert!(matches!(
            stale,
            Err(Error::BadSignature {
                field: TIMESTAMP_HEADER,
                ..
            })
        ));
        // The timestamp is covered: another one with the same MAC fails.
        assert!(verify(SECRET, Some(&s), Some("1001"), body, 1001).is_err());
        // And a timestamped MAC is not valid without its timestamp.
        assert!(verify(SECRET, Some(&s), None, body, 1000).is_err());
    }
}
