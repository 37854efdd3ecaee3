//! What a job asks for: the kind with its validated params, the series and the time range.
//! Parsed from the body of `POST /jobs` (every mistake is a 400 naming the field, at submit time)
//! and stored with the job as JSON.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::analysis::{anomalies, correlation, histogram, resample, rolling, summary, trend};
use crate::error::{Error, Result};
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
];

fn params<T: for<'de> Deserialize<'de>>(v: Value) -> Result<T> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        // An unknown field is named in the message, not the path.
        let field = match msg.split('`').nth(1) {
            Some(f) if msg.starts_with("unknown field") => format!("params.{f}"),
            _ if path != "." => format!("params.{path}"),
            _ => "params".to_owned(),
        };
        Error::invalid(field, format!("invalid params: {msg}"))
    })
}

impl Kind {
    pub fn parse(kind: &str, p: Value) -> Result<Self> {
        if !p.is_object() {
            return Err(Error::invalid("params", "params must be a JSON object"));
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
        };
        v.unwrap_or(Value::Null)
    }

    /// How many series the kind takes (inclusive bounds).
    fn series_bounds(&self) -> (usize, usize) {
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
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Stamp {
    Text(String),
    Int(i64),
    Num(f64),
}

impl Stamp {
    fn ms(self, field: &str) -> Result<i64> {
        match self {
            Stamp::Text(s) => time::parse(&s),
            Stamp::Int(n) => time::from_epoch_int(n),
            Stamp::Num(n) => time::from_epoch_number(n),
        }
        .map_err(|m| Error::invalid(field, m))
    }
}

/// The body of `POST /jobs`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Submission {
    kind: String,
    series: OneOrMany,
    #[serde(default)]
    from: Option<Stamp>,
    #[serde(default)]
    to: Option<Stamp>,
    #[serde(default)]
    params: Option<Value>,
}

impl JobSpec {
    /// Parses and validates a submission body.
    pub fn from_submission(body: &[u8]) -> Result<Self> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::invalid(
                "body",
                "request body is empty: send {\"kind\": ..., \"series\": ...}",
            ));
        }
        let raw: Value = serde_json::from_slice(body)
            .map_err(|e| Error::invalid("body", format!("malformed JSON: {e}")))?;
        for required in ["kind", "series"] {
            if raw.get(required).is_none() {
                return Err(Error::invalid(
                    required,
                    format!("missing field `{required}`"),
                ));
            }
        }
        let sub: Submission = serde_json::from_value(raw).map_err(|e| {
            let msg = e.to_string();
            let field = msg
                .split('`')
                .nth(1)
                .filter(|_| msg.contains("field"))
                .unwrap_or("body")
                .to_owned();
            Error::invalid(field, format!("invalid job: {msg}"))
        })?;
        let kind = Kind::parse(&sub.kind, sub.params.unwrap_or_else(|| json!({})))?;
        let names = match sub.series {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        };
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
        let from = sub.from.map(|s| s.ms("from")).transpose()?;
        let to = sub.to.map(|s| s.ms("to")).transpose()?;
        Ok(JobSpec {
            kind,
            series,
            range: Range::new(from, to)?,
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
        })
    }
}
