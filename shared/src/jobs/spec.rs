//! What a job asks for: the kind with its validated params, the series and the time range.
//! Parsed from the body of `POST /jobs` (every mistake is a 400 naming the field, at submit time)
//! and stored with the job as JSON.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::analysis::{
    anomalies, correlation, histogram, resample, rolling, spectrum, summary, trend,
};
use crate::error::{Error, Result};
use crate::json;
use crate::model::{Range, SeriesId};
use crate::plot::PlotParams;
use crate::time;

/// An analysis kind with its params.
#[derive(Debug, Clone)]
pub enum Kind {
    Plot(PlotParams),
    Summary(summary::SummaryParams),
    Histogram(histogram::HistogramParams),
    Rolling(rolling::RollingParams),
    Resample(resample::ResampleParams),
    Trend(trend::TrendParams),
    Anomalies(anomalies::AnomaliesParams),
    Correlation(correlation::CorrelationParams),
    Spectrum(spectrum::SpectrumParams),
}

pub const KINDS: &[&str] = &[
    "plot",
    "summary",
    "histogram",
    "rolling",
    "resample",
    "trend",
    "anomalies",
    "correlation",
    "spectrum",
];

fn params<T: DeserializeOwned>(v: Value) -> Result<T> {
    json::from_value(v, "params")
}

impl Kind {
    pub fn parse(kind: &str, p: Value) -> Result<Self> {
        if !p.is_object() {
            return Err(Error::invalid(
                "params",
                format!("params must be a JSON object, got {}", json::describe(&p)),
            ));
        }
        let k = match kind {
            "plot" => Kind::Plot(params(p)?),
            "summary" => Kind::Summary(params(p)?),
            "histogram" => Kind::Histogram(params(p)?),
            "rolling" => Kind::Rolling(params(p)?),
            "resample" => Kind::Resample(params(p)?),
            "trend" => Kind::Trend(params(p)?),
            "anomalies" => Kind::Anomalies(params(p)?),
            "correlation" => Kind::Correlation(params(p)?),
            "spectrum" => Kind::Spectrum(params(p)?),
            _ => {
                return Err(Error::invalid(
                    "kind",
                    format!("unknown kind {kind:?}: use one of {}", KINDS.join(", ")),
                ))
            }
        };
        k.validate()?;
        Ok(k)
    }

    fn validate(&self) -> Result<()> {
        match self {
            Kind::Plot(p) => p.validate(),
            Kind::Summary(p) => p.validate(),
            Kind::Histogram(p) => p.validate(),
            Kind::Rolling(p) => p.validate(),
            Kind::Resample(p) => p.validate(),
            Kind::Trend(p) => p.validate(),
            Kind::Anomalies(p) => p.validate(),
            Kind::Correlation(p) => p.validate(),
            Kind::Spectrum(p) => p.validate(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Kind::Plot(_) => "plot",
            Kind::Summary(_) => "summary",
            Kind::Histogram(_) => "histogram",
            Kind::Rolling(_) => "rolling",
            Kind::Resample(_) => "resample",
            Kind::Trend(_) => "trend",
            Kind::Anomalies(_) => "anomalies",
            Kind::Correlation(_) => "correlation",
            Kind::Spectrum(_) => "spectrum",
        }
    }

    /// The params with every default filled in, as shown in the job record.
    pub fn params_json(&self) -> Value {
        let v = match self {
            Kind::Plot(p) => serde_json::to_value(p),
            Kind::Summary(p) => serde_json::to_value(p),
            Kind::Histogram(p) => serde_json::to_value(p),
            Kind::Rolling(p) => serde_json::to_value(p),
            Kind::Resample(p) => serde_json::to_value(p),
            Kind::Trend(p) => serde_json::to_value(p),
            Kind::Anomalies(p) => serde_json::to_value(p),
            Kind::Correlation(p) => serde_json::to_value(p),
            Kind::Spectrum(p) => serde_json::to_value(p),
        };
        v.unwrap_or(Value::Null)
    }

    /// How many series the kind takes (inclusive bounds).
    pub(crate) fn series_bounds(&self) -> (usize, usize) {
        match self {
            Kind::Plot(_) => (1, 8),
            Kind::Correlation(_) => (2, 2),
            _ => (1, 1),
        }
    }
}

#[derive(Debug, Clone)]
pub struct JobSpec {
    pub kind: Kind,
    pub series: Vec<SeriesId>,
    pub range: Range,
    /// The `x-request-id` of the request that submitted it, so its worker's log lines can be
    /// joined with that request's.
    pub request_id: Option<String>,
    /// Where to POST the job record when it ends, and how that went (`notify` of a submission).
    /// Stored with the spec: the job's one JSON value every store already keeps, so no store
    /// grows a column or attribute for it.
    pub notify: Option<Notify>,
}

/// The delivery of a job's notification: its URL, and how far the worker got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notify {
    pub url: String,
    /// `pending` until the job ends and delivery is over, then `delivered` or `failed`.
    pub status: NotifyStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyStatus {
    Pending,
    Delivered,
    Failed,
}

/// What the settings allow of a submission's `notify` (`TSFN_NOTIFY_ALLOW_HTTP`,
/// `TSFN_NOTIFY_ALLOW_PRIVATE`, whether `TSFN_NOTIFY_SECRET` is set).
#[derive(Debug, Clone, Copy, Default)]
pub struct NotifyRules {
    pub allow_http: bool,
    pub allow_private: bool,
    pub have_secret: bool,
}

/// Whether an address is one a notification may go to without `TSFN_NOTIFY_ALLOW_PRIVATE`:
/// not this host, a private network, a link-local address (cloud metadata endpoints such as
/// 169.254.169.254 among them), shared address space, multicast or unspecified. A job's
/// submitter must not make the workers call what only they can reach.
pub fn public_address(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                // 100.64.0.0/10, carrier-grade NAT; 198.18.0.0/15, benchmarking; 240/4 reserved.
                || (a == 100 && (b & 0xc0) == 64)
                || (a == 198 && (b & 0xfe) == 18)
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local, 2001:db8::/32 documentation.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8))
        }
    }
}

/// Why a URL's host is refused without `TSFN_NOTIFY_ALLOW_PRIVATE`: `localhost` names and
/// address literals that are not public. Other names are checked again when a worker resolves
/// them (`crate::notify`), since a name can point anywhere.
pub fn private_host(host: &str) -> Option<String> {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    if h == "localhost" || h.ends_with(".localhost") {
        return Some(format!("{host} is this host"));
    }
    let literal = h.trim_start_matches('[').trim_end_matches(']');
    match literal.parse::<std::net::IpAddr>() {
        Ok(ip) if !public_address(ip) => Some(format!("{ip} is not a public address")),
        _ => None,
    }
}

impl Notify {
    /// The `notify` field of a submission: an absolute `https` URL (or `http` when
    /// `allow_http`) whose host is public (unless `allow_private`), accepted only when a
    /// signing secret is configured.
    pub fn parse(v: Value, rules: NotifyRules) -> Result<Notify> {
        let NotifyRules {
            allow_http,
            allow_private,
            have_secret,
        } = rules;
        let Value::String(url) = v else {
            return Err(Error::invalid(
                "notify",
                format!("notify must be a URL string, got {}", json::describe(&v)),
            ));
        };
        let schemes = if allow_http { "https or http" } else { "https" };
        let uri: lambda_http::http::Uri = url.parse().map_err(|e| {
            Error::invalid(
                "notify",
                format!("notify is not a valid URL ({e}): {url:?}"),
            )
        })?;
        let scheme_ok = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => allow_http,
            _ => false,
        };
        if !scheme_ok || uri.host().is_none_or(str::is_empty) {
            return Err(Error::invalid(
                "notify",
                format!("notify must be an absolute {schemes} URL with a host, got {url:?}"),
            ));
        }
        if let Some(why) = uri.host().filter(|_| !allow_private).and_then(private_host) {
            return Err(Error::invalid(
                "notify",
                format!(
                    "notify must reach a public address: {why} (TSFN_NOTIFY_ALLOW_PRIVATE=1 allows it)"
                ),
            ));
        }
        if !have_secret {
            return Err(Error::invalid(
                "notify",
                "notify needs a signing secret, and this server has none: set TSFN_NOTIFY_SECRET",
            ));
        }
        Ok(Notify {
            url,
            status: NotifyStatus::Pending,
            attempts: 0,
            last_error: None,
        })
    }
}

/// The fields of a `POST /jobs` body.
const FIELDS: &[&str] = &["kind", "series", "from", "to", "params", "notify"];

/// `from` or `to` of a submission: an RFC 3339 string or an epoch number; null is open.
fn stamp(v: Option<Value>, field: &str) -> Result<Option<i64>> {
    let ms = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => time::parse(&s),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => time::from_epoch_int(i),
            None => time::from_epoch_number(n.as_f64().unwrap_or(f64::NAN)),
        },
        Some(other) => {
            return Err(Error::invalid(
                field,
                format!(
                    "{field} must be a timestamp (an RFC 3339 string or an epoch number), got {}",
                    json::describe(&other)
                ),
            ))
        }
    };
    ms.map(Some).map_err(|m| Error::invalid(field, m))
}

/// `series` of a submission: one id or a list of ids.
fn series_names(v: Value) -> Result<Vec<String>> {
    let wrong = |got: &Value| {
        Error::invalid(
            "series",
            format!(
                "series must be a series id or a list of series ids, got {}",
                json::describe(got)
            ),
        )
    };
    match v {
        Value::String(s) => Ok(vec![s]),
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Ok(s),
                other => Err(wrong(&other)),
            })
            .collect(),
        other => Err(wrong(&other)),
    }
}

impl JobSpec {
    /// Parses and validates a submission body without `notify` settings (a `notify` is refused).
    pub fn from_submission(body: &[u8]) -> Result<Self> {
        Self::parse_submission(body, NotifyRules::default())
    }

    /// Parses and validates a submission body; `rules` (from the settings) judge its `notify`.
    pub fn parse_submission(body: &[u8], rules: NotifyRules) -> Result<Self> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::invalid(
                "body",
                "request body is empty: send {\"kind\": ..., \"series\": ...}",
            ));
        }
        let raw: Value = serde_json::from_slice(body)
            .map_err(|e| Error::invalid("body", format!("malformed JSON: {e}")))?;
        let Value::Object(mut fields) = raw else {
            return Err(Error::invalid(
                "body",
                format!(
                    "the body must be a JSON object {{\"kind\": ..., \"series\": ...}}, got {}",
                    json::describe(&raw)
                ),
            ));
        };
        for required in ["kind", "series"] {
            if !fields.contains_key(required) {
                return Err(Error::invalid(
                    required,
                    format!("missing field `{required}`"),
                ));
            }
        }
        if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(Error::invalid(
                unknown.clone(),
                format!(
                    "unknown field `{unknown}`, expected one of `{}`",
                    FIELDS.join("`, `")
                ),
            ));
        }
        let kind = match fields.remove("kind") {
            Some(Value::String(k)) => k,
            other => {
                return Err(Error::invalid(
                    "kind",
                    format!(
                        "kind must be a string, one of {}; got {}",
                        KINDS.join(", "),
                        json::describe(&other.unwrap_or_default())
                    ),
                ))
            }
        };
        let params = match fields.remove("params") {
            None | Some(Value::Null) => json!({}),
            Some(p) => p,
        };
        let mut kind = Kind::parse(&kind, params)?;
        let names = series_names(fields.remove("series").unwrap_or_default())?;
        let series = names
            .iter()
            .map(|s| SeriesId::parse(s))
            .collect::<Result<Vec<_>>>()?;
        let (lo, hi) = kind.series_bounds();
        if series.len() < lo || series.len() > hi {
            let want = if lo == hi {
                format!("exactly {lo}")
            } else {
                format!("{lo} to {hi}")
            };
            return Err(Error::invalid(
                "series",
                format!("{} takes {want} series, got {}", kind.name(), series.len()),
            ));
        }
        if let Kind::Plot(p) = &mut kind {
            // Recorded, so the job shows the title it is drawn with.
            p.title.get_or_insert_with(|| {
                PlotParams::default_title(series.iter().map(SeriesId::as_str))
            });
        }
        let from = stamp(fields.remove("from"), "from")?;
        let to = stamp(fields.remove("to"), "to")?;
        let range = Range::new(from, to)?;
        let notify = match fields.remove("notify") {
            None | Some(Value::Null) => None,
            Some(v) => Some(Notify::parse(v, rules)?),
        };
        Ok(JobSpec {
            kind,
            series,
            range,
            request_id: None,
            notify,
        })
    }

    /// The stored form (ms timestamps).
    pub fn to_stored(&self) -> String {
        json!({
            "kind": self.kind.name(),
            "series": self.series.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "from": self.range.from,
            "to": self.range.to,
            "params": self.kind.params_json(),
            "request_id": self.request_id,
            "notify": self.notify,
        })
        .to_string()
    }

    pub fn from_stored(s: &str) -> Result<Self> {
        #[derive(Deserialize, Serialize)]
        struct Stored {
            kind: String,
            series: Vec<String>,
            from: Option<i64>,
            to: Option<i64>,
            params: Value,
            // Jobs stored before request ids have none.
            #[serde(default)]
            request_id: Option<String>,
            // Jobs stored before notifications have none.
            #[serde(default)]
            notify: Option<Notify>,
        }
        let st: Stored = serde_json::from_str(s)
            .map_err(|e| Error::Internal(format!("corrupt job spec: {e}")))?;
        Ok(JobSpec {
            kind: Kind::parse(&st.kind, st.params)?,
            series: st
                .series
                .iter()
                .map(|s| SeriesId::parse(s))
                .collect::<Result<_>>()?,
            range: Range {
                from: st.from,
                to: st.to,
            },
            request_id: st.request_id,
            notify: st.notify,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_addresses() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(public_address(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "192.0.2.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!public_address(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn private_hosts() {
        for h in [
            "localhost",
            "LOCALHOST.",
            "api.localhost",
            "127.0.0.1",
            "[::1]",
            "169.254.169.254",
        ] {
            assert!(private_host(h).is_some(), "{h}");
        }
        for h in [
            "example.com",
            "8.8.8.8",
            "[2606:4700::1111]",
            "localhost.example.com",
        ] {
            assert_eq!(private_host(h), None, "{h}");
        }
    }

    #[test]
    fn notify_rules() {
        let rules = NotifyRules {
            allow_http: true,
            allow_private: false,
            have_secret: true,
        };
        let refused = |url: &str, rules| {
            Notify::parse(Value::String(url.into()), rules)
                .map(|_| String::new())
                .unwrap_or_else(|e| e.to_string())
        };
        assert!(
            refused("http://127.0.0.1:9/x", rules).contains("127.0.0.1 is not a public address")
        );
        assert!(refused("https://[::1]/x", rules).contains("not a public address"));
        assert!(refused("https://localhost/x", rules).contains("localhost is this host"));
        assert!(refused("http://169.254.169.254/latest", rules).contains("public address"));
        assert_eq!(refused("https://hooks.example.com/x", rules), "");
        let private = NotifyRules {
            allow_private: true,
            ..rules
        };
        assert_eq!(refused("http://127.0.0.1:9/x", private), "");
    }
}
