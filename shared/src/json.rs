//! Reading JSON request bodies and job params: the body must be an object, a mistake is a 400
//! naming the field, and serde's messages are put in a user's words, since they speak of Rust
//! types (`expected u32`, `expected struct SeriesMeta`) that mean nothing to a client.

use serde::de::{Deserialize, DeserializeOwned, Deserializer};
use serde_json::Value;

use crate::error::{Error, Result};

/// Parses a body that must be one JSON object into `T`. Fields are named by their path
/// (`name`, `labels.room`); an empty, malformed or non-object body is `body`.
pub fn object<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid(
            "body",
            "request body is empty: send a JSON object",
        ));
    }
    // serde's derive also reads a struct from an array (`["n", "u"]` as name and unit), so the
    // shape is checked first.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Ok(_) => {
                    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
                    Error::invalid(
                        "body",
                        format!("the body must be a JSON object, got {}", describe(&v)),
                    )
                }
                Err(e) => Error::invalid("body", format!("malformed JSON: {e}")),
            },
        );
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            return Error::invalid("body", format!("malformed JSON: {inner}"));
        }
        let (field, message) = field_error(&e.path().to_string(), &inner.to_string());
        Error::invalid(field.unwrap_or_else(|| "body".to_owned()), message)
    })?;
    de.end()
        .map_err(|e| Error::invalid("body", format!("malformed JSON: {e}")))?;
    Ok(parsed)
}

/// Deserializes `T` from a JSON value (job params), naming the field as `prefix.NAME`.
pub fn from_value<T: DeserializeOwned>(v: Value, prefix: &str) -> Result<T> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let (field, message) = field_error(&e.path().to_string(), &e.inner().to_string());
        let field = match field {
            Some(f) => format!("{prefix}.{f}"),
            None => prefix.to_owned(),
        };
        Error::invalid(field, message)
    })
}

/// The field a data error is about (`None` for the whole value) and its message in plain words.
fn field_error(path: &str, msg: &str) -> (Option<String>, String) {
    let msg = without_position(msg);
    // An unknown, missing or repeated field is named in the message; the path is its parent.
    for start in ["unknown field `", "missing field `", "duplicate field `"] {
        if let Some(rest) = msg.strip_prefix(start) {
            if let Some((name, _)) = rest.split_once('`') {
                // The path may or may not already end at the named field.
                let field = if path == "." {
                    name.to_owned()
                } else if path.rsplit('.').next() == Some(name) {
                    path.to_owned()
                } else {
                    format!("{path}.{name}")
                };
                return (Some(field), msg.to_owned());
            }
        }
    }
    let field = (path != ".").then(|| path.to_owned());
    (field, plain(msg))
}

/// serde_json appends ` at line L column C`; the field name says more.
fn without_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains(" column ") => &msg[..i],
        _ => msg,
    }
}

/// serde's wording for a value of the wrong type or out of range, in plain words:
/// `invalid type: integer `5`, expected a string` becomes `must be a string, got 5`.
pub(crate) fn plain(msg: &str) -> String {
    let msg = without_position(msg);
    for (start, out_of_range) in [("invalid type: ", false), ("invalid value: ", true)] {
        if let Some((got, want)) = msg
            .strip_prefix(start)
            .and_then(|rest| rest.rsplit_once(", expected "))
        {
            let want = expected(want);
            let got = unexpected(got);
            // An integer that parsed but does not fit: saying "must be a whole number" of -5
            // would be wrong.
            if out_of_range && want == "a whole number" {
                return format!("{got} is out of range");
            }
            return format!("must be {want}, got {got}");
        }
    }
    if let Some((got, want)) = msg
        .strip_prefix("unknown variant ")
        .and_then(|rest| rest.rsplit_once(", expected "))
    {
        return format!("must be {want}, got {got}");
    }
    msg.to_owned()
}

/// What serde says it expected (a Rust type or a phrase) as a user would say it.
fn expected(want: &str) -> String {
    let w = want.trim();
    let integer = [
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
    ];
    if integer.contains(&w) {
        "a whole number".into()
    } else if w == "f32" || w == "f64" {
        "a number".into()
    } else if w == "a boolean" {
        "true or false".into()
    } else if w == "a map" || w == "map" || w.starts_with("struct ") {
        "a JSON object".into()
    } else if w == "a sequence" || w.starts_with("tuple") {
        "a list".into()
    } else if w.starts_with("enum ") || w == "string or map" || w.contains("variant") {
        "a string".into()
    } else {
        w.to_owned()
    }
}

/// serde's description of the value it got (`integer `5``, `string "x"`) as JSON shows it.
fn unexpected(got: &str) -> String {
    let g = got.trim();
    for prefix in ["integer ", "floating point ", "boolean "] {
        if let Some(v) = g.strip_prefix(prefix) {
            return v.trim_matches('`').to_owned();
        }
    }
    if let Some(s) = g.strip_prefix("string ") {
        return s.to_owned();
    }
    match g {
        "sequence" => "a list".into(),
        "map" => "an object".into(),
        "unit value" | "unit" | "null" => "null".into(),
        other => other.to_owned(),
    }
}

/// A JSON value as a message quotes it: short values as they are, lists and objects by kind.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        Value::String(s) if s.chars().count() > 40 => {
            format!("{:?}", s.chars().take(40).collect::<String>() + "…")
        }
        other => other.to_string(),
    }
}

/// Bounds of an integer param's type, for [`whole`].
pub trait IntBounds: TryFrom<i128> {
    const LOW: Self;
    const HIGH: Self;
}

impl IntBounds for u32 {
    const LOW: Self = u32::MIN;
    const HIGH: Self = u32::MAX;
}

impl IntBounds for usize {
    const LOW: Self = usize::MIN;
    const HIGH: Self = usize::MAX;
}

/// Reads an integer param from any JSON integer. One beyond the field's type saturates to the
/// type's nearest end, which every integer param's bounds exclude, so `validate` rejects it
/// naming the bounds (`window must be from 2 to 10000 points`) rather than serde naming the type.
pub fn whole<'de, D: Deserializer<'de>, T: IntBounds>(d: D) -> std::result::Result<T, D::Error> {
    struct Whole<T>(std::marker::PhantomData<T>);
    impl<T: IntBounds> serde::de::Visitor<'_> for Whole<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> std::result::Result<T, E> {
            Ok(saturate(i128::from(n)))
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> std::result::Result<T, E> {
            Ok(saturate(i128::from(n)))
        }
    }
    fn saturate<T: IntBounds>(n: i128) -> T {
        T::try_from(n).unwrap_or(if n < 0 { T::LOW } else { T::HIGH })
    }
    // `deserialize_any`: asking serde_json for an integer makes `1.5` a syntax error.
    d.deserialize_any(Whole(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Words that would show a client the implementation rather than what to send.
    pub(crate) const RUST_WORDS: &[&str] = &[
        "OneOrMany",
        "Stamp",
        "enum",
        "struct",
        "variant",
        "u32",
        "usize",
        "i64",
        "i128",
        "f64",
        "sequence",
        "map",
        "unit value",
        "Option",
    ];

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        #[serde(default)]
        name: String,
        #[serde(default, deserialize_with = "whole")]
        count: u32,
        #[serde(default)]
        v: f64,
        #[serde(default)]
        labels: BTreeMap<String, String>,
    }

    fn err(body: &str) -> (String, String) {
        match object::<Sample>(body.as_bytes()) {
            Err(Error::Invalid { field, message }) => (field, message),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn bodies_must_be_objects() {
        for (body, got) in [
            (r#"["n","u"]"#, "a list"),
            ("[1,2]", "a list"),
            ("5", "5"),
            (r#""x""#, "\"x\""),
            ("null", "null"),
            ("true", "true"),
        ] {
            let (field, message) = err(body);
            assert_eq!(field, "body", "{body}");
            assert!(
                message.contains(&format!("JSON object, got {got}")),
                "{body}: {message}"
            );
        }
        assert_eq!(err("").0, "body");
        assert_eq!(err("{").0, "body");
        assert_eq!(err("[").0, "body");
        assert_eq!(err("{} x").0, "body");
        assert!(object::<Sample>(b" {\"name\": \"a\"} ").is_ok());
    }

    #[test]
    fn wrong_types_name_the_field_in_plain_words() {
        for (body, field, want) in [
            (r#"{"name": 5}"#, "name", "must be a string, got 5"),
            (r#"{"name": ["a"]}"#, "name", "must be a string, got a list"),
            (r#"{"name": {}}"#, "name", "must be a string, got an object"),
            (r#"{"name": null}"#, "name", "must be a string, got null"),
            (r#"{"v": "1"}"#, "v", r#"must be a number, got "1""#),
            (r#"{"v": true}"#, "v", "must be a number, got true"),
            (
                r#"{"count": 1.5}"#,
                "count",
                "must be a whole number, got 1.5",
            ),
            (
                r#"{"count": "3"}"#,
                "count",
                r#"must be a whole number, got "3""#,
            ),
            (
                r#"{"labels": []}"#,
                "labels",
                "must be a JSON object, got a list",
            ),
            (
                r#"{"labels": {"a": 1}}"#,
                "labels.a",
                "must be a string, got 1",
            ),
            (r#"{"colour": 1}"#, "colour", "unknown field `colour`"),
        ] {
            let (f, m) = err(body);
            assert_eq!(f, field, "{body}: {m}");
            assert!(m.starts_with(want), "{body}: {m}");
            for w in RUST_WORDS {
                assert!(!m.contains(w), "{body}: {m:?} mentions {w:?}");
            }
        }
    }

    #[test]
    fn integers_beyond_the_type_reach_validation() {
        let p: Sample = object(br#"{"count": -5}"#).unwrap();
        assert_eq!(p.count, 0);
        let p: Sample = object(br#"{"count": 99999999999999}"#).unwrap();
        assert_eq!(p.count, u32::MAX);
        let p: Sample = from_value(serde_json::json!({"count": -1}), "params").unwrap();
        assert_eq!(p.count, 0);
        let p: Sample = from_value(serde_json::json!({"count": 7}), "params").unwrap();
        assert_eq!(p.count, 7);
        let e = from_value::<Sample>(serde_json::json!({"count": 1e30}), "params").unwrap_err();
        assert_eq!(
            e,
            Error::invalid("params.count", "must be a whole number, got 1e+30")
        );
    }

    #[test]
    fn params_are_prefixed() {
        let e = from_value::<Sample>(serde_json::json!({"v": "x"}), "params").unwrap_err();
        assert_eq!(
            e,
            Error::invalid("params.v", r#"must be a number, got "x""#)
        );
        let e = from_value::<Sample>(serde_json::json!({"zz": 1}), "params").unwrap_err();
        assert!(
            matches!(e, Error::Invalid { ref field, .. } if field == "params.zz"),
            "{e:?}"
        );
    }

    #[test]
    fn plain_rewrites_every_rust_word() {
        for (msg, want) in [
            (
                "invalid type: integer `5`, expected u32",
                "must be a whole number, got 5",
            ),
            (
                "invalid value: integer `-5`, expected usize",
                "-5 is out of range",
            ),
            (
                "invalid type: string \"x\", expected f64",
                "must be a number, got \"x\"",
            ),
            (
                "invalid type: map, expected a sequence",
                "must be a list, got an object",
            ),
            (
                "invalid type: sequence, expected struct SeriesMeta",
                "must be a JSON object, got a list",
            ),
            (
                "invalid type: integer `5`, expected string or map",
                "must be a string, got 5",
            ),
            (
                "invalid type: unit value, expected a boolean",
                "must be true or false, got null",
            ),
            (
                "unknown variant `gif`, expected `png` or `svg`",
                "must be `png` or `svg`, got `gif`",
            ),
            (
                "unknown variant `x`, expected one of `a`, `b`, `c`",
                "must be one of `a`, `b`, `c`, got `x`",
            ),
            (
                "invalid type: floating point `2.5`, expected a whole number at line 1 column 9",
                "must be a whole number, got 2.5",
            ),
        ] {
            assert_eq!(plain(msg), want);
        }
    }
}
