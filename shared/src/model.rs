//! Domain types: series ids, series metadata, points, ranges. Validation lives with the type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A validated series id: `[a-z0-9][a-z0-9_.-]{0,127}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesId(String);

impl SeriesId {
    pub fn parse(s: &str) -> Result<Self> {
        let b = s.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= 128
            && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
            && b.iter().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'.' | b'-')
            });
        if ok {
            Ok(SeriesId(s.to_owned()))
        } else {
            Err(Error::invalid(
                "series",
                format!("invalid series id {s:?}: use 1-128 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SeriesId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// User-editable metadata of a series (the body of `PUT /series/{series}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// How long points are kept: the workers' sweep deletes points older than `now - retention`.
    /// `None` (absent or null) keeps every point. Stored with the rest of the metadata, so every
    /// backend keeps it as it keeps labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Retention>,
}

/// A series' retention period, in ms; written as a duration (`30d`, `12h`) in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(pub i64);

impl Retention {
    pub fn ms(self) -> i64 {
        self.0
    }

    /// Where the kept points start at `now`: points before it are past retention.
    pub fn cutoff(self, now: i64) -> i64 {
        now.saturating_sub(self.0)
    }
}

impl Serialize for Retention {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&crate::time::format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for Retention {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Retention;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration such as 30d, 12h or 90m")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Retention, E> {
                crate::time::parse_duration(v)
                    .map(Retention)
                    .map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

pub const MAX_META_TEXT: usize = 1024;
pub const MAX_LABELS: usize = 64;

impl SeriesMeta {
    pub fn validate(&self) -> Result<()> {
        for (field, v) in [
            ("name", &self.name),
            ("unit", &self.unit),
            ("description", &self.description),
        ] {
            if v.len() > MAX_META_TEXT {
                return Err(Error::invalid(
                    field,
                    format!("at most {MAX_META_TEXT} bytes"),
                ));
            }
        }
        if self.labels.len() > MAX_LABELS {
            return Err(Error::invalid(
                "labels",
                format!("at most {MAX_LABELS} labels"),
            ));
        }
        for (k, v) in &self.labels {
            if k.is_empty() || k.len() > 128 || v.len() > 256 {
                return Err(Error::invalid(
                    format!("labels.{k}"),
                    "label keys are 1-128 bytes, values at most 256 bytes",
                ));
            }
        }
        Ok(())
    }
}

/// A series as stored: metadata plus point statistics kept by the store.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesInfo {
    pub id: SeriesId,
    pub meta: SeriesMeta,
    pub count: u64,
    /// First and last timestamps (ms); `None` when the series has no points.
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub created: i64,
    pub updated: i64,
}

/// One observation: `t` in ms since the epoch, `v` finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub t: i64,
    pub v: f64,
}

/// A half-open time range `[from, to)` in ms; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Range {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Range {
    pub fn new(from: Option<i64>, to: Option<i64>) -> Result<Self> {
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(Error::invalid("from", "`from` must not be after `to`"));
            }
        }
        Ok(Range { from, to })
    }

    pub fn lo(&self) -> i64 {
        self.from.unwrap_or(i64::MIN)
    }

    /// Inclusive upper bound.
    pub fn hi(&self) -> i64 {
        self.to.map_or(i64::MAX, |t| t - 1)
    }

    pub fn is_empty(&self) -> bool {
        self.lo() > self.hi()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

impl Order {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "asc" => Ok(Order::Asc),
            "desc" => Ok(Order::Desc),
            _ => Err(Error::invalid(
                "order",
                format!("must be asc or desc, got {s:?}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_ids() {
        for ok in ["a", "co2", "0", "a.b-c_d", &"x".repeat(128)] {
            assert!(SeriesId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "A", "-a", ".a", "a b", "a/b", "é", &"x".repeat(129)] {
            assert!(SeriesId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges() {
        assert!(Range::new(Some(2), Some(1)).is_err());
        let r = Range::new(Some(1), Some(1)).unwrap();
        assert!(r.is_empty());
        assert_eq!(Range::default().lo(), i64::MIN);
        assert_eq!(Range::default().hi(), i64::MAX);
    }
}
