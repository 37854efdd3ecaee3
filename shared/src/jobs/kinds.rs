//! The job kinds and their params as data (`GET /jobs/kinds`), which the console builds its forms
//! from. The defaults shown are not written here: they are what [`Kind::parse`] fills in, and the
//! tests below hold each kind's listed params, bounds and choices to what it accepts.

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::spec::Kind;

/// The aggregates a bucket can be reduced with (`query::Agg`).
const AGGS: &[&str] = &["mean", "min", "max", "sum", "count", "first", "last"];

#[derive(Debug, Serialize)]
pub struct KindInfo {
    pub kind: &'static str,
    pub description: &'static str,
    /// How many series it takes.
    pub series: SeriesBounds,
    pub params: Vec<ParamInfo>,
}

#[derive(Debug, Serialize)]
pub struct SeriesBounds {
    pub min: usize,
    pub max: usize,
}

#[derive(Debug, Serialize)]
pub struct ParamInfo {
    pub name: &'static str,
    /// `integer`, `number`, `string` or `duration` (such as `1h`).
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub choices: Option<&'static [&'static str]>,
    /// What the job records when the param is left out (null: nothing, or computed per job).
    pub default: Value,
    pub required: bool,
    /// Inclusive bounds, whole numbers for an `integer`.
    pub min: Option<Value>,
    pub max: Option<Value>,
    pub description: &'static str,
}

struct Param {
    name: &'static str,
    ty: &'static str,
    choices: Option<&'static [&'static str]>,
    required: bool,
    min: Option<f64>,
    max: Option<f64>,
    description: &'static str,
}

const fn p(name: &'static str, ty: &'static str, description: &'static str) -> Param {
    Param {
        name,
        ty,
        choices: None,
        required: false,
        min: None,
        max: None,
        description,
    }
}

impl Param {
    const fn range(mut self, min: f64, max: f64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }
    const fn choices(mut self, c: &'static [&'static str]) -> Self {
        self.choices = Some(c);
        self
    }
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

/// Each kind: what it does and its params, in the order of [`KINDS`](super::spec::KINDS).
const CATALOGUE: &[(&str, &str, &[Param])] = &[
    (
        "plot",
        "A line chart of up to 8 series, as a PNG or SVG image.",
        &[
            p("format", "string", "Image format.").choices(&["png", "svg"]),
            p("width", "integer", "Image width in pixels.").range(200.0, 4000.0),
            p("height", "integer", "Image height in pixels.").range(150.0, 3000.0),
            p(
                "title",
                "string",
                "Chart title, at most 200 characters; the series ids when left out.",
            ),
        ],
    ),
    (
        "summary",
        "Count, mean, spread, extremes and percentiles of a series.",
        &[],
    ),
    (
        "histogram",
        "How the values are distributed: counts in equal-width bins.",
        &[
            p("bins", "integer", "Number of bins.").range(1.0, 1000.0),
            p(
                "min",
                "number",
                "Lower edge of the first bin; the least value when left out.",
            ),
            p(
                "max",
                "number",
                "Upper edge of the last bin; the greatest value when left out.",
            ),
        ],
    ),
    (
        "rolling",
        "A rolling mean, median or standard deviation over a window of points.",
        &[
            p("window", "integer", "Points in the window.").range(2.0, 10000.0),
            p("stat", "string", "The statistic over each window.")
                .choices(&["mean", "median", "std"]),
        ],
    ),
    (
        "resample",
        "The series in time buckets of equal width, each reduced to one value.",
        &[
            p("every", "duration", "Bucket width, such as 15m, 1h or 1d.").required(),
            p("agg", "string", "How a bucket's points become one value.").choices(AGGS),
        ],
    ),
    (
        "trend",
        "A least-squares line: slope per day and per year, intercept and r².",
        &[],
    ),
    (
        "anomalies",
        "Points far from the rolling median, by a robust z-score (median absolute deviation).",
        &[
            p(
                "window",
                "integer",
                "Points in the window the median is taken over.",
            )
            .range(3.0, 10000.0),
            p(
                "threshold",
                "number",
                "The |z| above which a point is an anomaly (> 0).",
            ),
        ],
    ),
    (
        "correlation",
        "Pearson correlation of two series, aligned on shared time buckets.",
        &[
            p(
                "every",
                "duration",
                "Bucket width the two series are aligned on.",
            ),
            p("agg", "string", "How a bucket's points become one value.").choices(AGGS),
        ],
    ),
    (
        "spectrum",
        "The frequencies an evenly spaced series holds (discrete Fourier transform), with its dominant periods.",
        &[
            p("window", "string", "Taper applied before the transform.").choices(&["hann", "none"]),
            p(
                "detrend",
                "string",
                "What is removed first: the mean, or the least-squares line.",
            )
            .choices(&["mean", "linear"]),
            p(
                "every",
                "duration",
                "Resample to buckets this wide first (needed when the series is not evenly spaced).",
            ),
            p("top", "integer", "How many dominant periods to list.").range(1.0, 20.0),
        ],
    ),
];

/// Example values for required params, used to obtain the defaults of the others.
fn example(ty: &str) -> Value {
    match ty {
        "duration" => json!("1h"),
        "integer" | "number" => json!(1),
        _ => json!(""),
    }
}

fn bound(ty: &str, x: f64) -> Value {
    if ty == "integer" {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// Every kind with its params.
pub fn catalogue() -> Vec<KindInfo> {
    CATALOGUE
        .iter()
        .map(|(kind, description, params)| {
            let given: Map<String, Value> = params
                .iter()
                .filter(|p| p.required)
                .map(|p| (p.name.to_owned(), example(p.ty)))
                .collect();
            let parsed = Kind::parse(kind, Value::Object(given)).expect("a catalogued kind");
            let defaults = parsed.params_json();
            let (min, max) = parsed.series_bounds();
            KindInfo {
                kind,
                description,
                series: SeriesBounds { min, max },
                params: params
                    .iter()
                    .map(|p| ParamInfo {
                        name: p.name,
                        ty: p.ty,
                        choices: p.choices,
                        default: if p.required {
                            Value::Null
                        } else {
                            defaults.get(p.name).cloned().unwrap_or(Value::Null)
                        },
                        required: p.required,
                        min: p.min.map(|x| bound(p.ty, x)),
                        max: p.max.map(|x| bound(p.ty, x)),
                        description: p.description,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The kinds in the order of [`KINDS`](super::spec::KINDS).
pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|(k, _, _)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::spec::KINDS;

    fn submit(kind: &str, params: Value) -> Result<Kind, String> {
        Kind::parse(kind, params).map_err(|e| match e {
            crate::error::Error::Invalid { field, .. } => field,
            other => panic!("{other}"),
        })
    }

    /// The catalogue lists every kind, and exactly the params each records.
    #[test]
    fn lists_every_kind_and_exactly_its_params() {
        assert_eq!(names().collect::<Vec<_>>(), KINDS);
        for k in catalogue() {
            let required: Map<String, Value> = k
                .params
                .iter()
                .filter(|p| p.required)
                .map(|p| (p.name.to_owned(), example(p.ty)))
                .collect();
            let recorded = Kind::parse(k.kind, Value::Object(required.clone()))
                .unwrap()
                .params_json();
            let mut listed: Vec<&str> = k.params.iter().map(|p| p.name).collect();
            listed.sort();
            let mut known: Vec<String> = recorded.as_object().unwrap().keys().cloned().collect();
            // Optional params without a default are not recorded when absent.
            for p in &k.params {
                if !known.iter().any(|n| n == p.name) {
                    let mut one = required.clone();
                    one.insert(p.name.to_owned(), sample(p));
                    assert!(
                        submit(k.kind, Value::Object(one)).is_ok(),
                        "{}.{}",
                        k.kind,
                        p.name
                    );
                    known.push(p.name.to_owned());
                }
            }
            known.sort();
            assert_eq!(listed, known, "{}", k.kind);
            // A param not listed is refused.
            let mut extra = required.clone();
            extra.insert("nonsense".into(), json!(1));
            assert!(submit(k.kind, Value::Object(extra)).is_err(), "{}", k.kind);
            // Required params are required.
            for p in k.params.iter().filter(|p| p.required) {
                let mut without = required.clone();
                without.remove(p.name);
                assert_eq!(
                    submit(k.kind, Value::Object(without)).err(),
                    Some(format!("params.{}", p.name)),
                );
            }
        }
    }

    fn sample(p: &ParamInfo) -> Value {
        match (p.choices, &p.min) {
            (Some(c), _) => json!(c[0]),
            (None, Some(min)) => min.clone(),
            _ => example(p.ty),
        }
    }

    /// Bounds and choices are what the kind accepts: both ends pass, one past them fails naming
    /// the param, every choice passes and another value fails.
    #[test]
    fn bounds_and_choices_are_enforced() {
        for k in catalogue() {
            let base: Map<String, Value> = k
                .params
                .iter()
                .filter(|p| p.required)
                .map(|p| (p.name.to_owned(), example(p.ty)))
                .collect();
            let with = |name: &str, v: Value| {
                let mut m = base.clone();
                m.insert(name.to_owned(), v);
                submit(k.kind, Value::Object(m))
            };
            for p in &k.params {
                let field = format!("params.{}", p.name);
                if let (Some(lo), Some(hi)) = (&p.min, &p.max) {
                    let (lo, hi) = (lo.as_f64().unwrap(), hi.as_f64().unwrap());
                    assert!(with(p.name, bound(p.ty, lo)).is_ok(), "{field} = {lo}");
                    assert!(with(p.name, bound(p.ty, hi)).is_ok(), "{field} = {hi}");
                    assert_eq!(
                        with(p.name, bound(p.ty, lo - 1.0)).err(),
                        Some(field.clone())
                    );
                    assert_eq!(
                        with(p.name, bound(p.ty, hi + 1.0)).err(),
                        Some(field.clone())
                    );
                }
                if let Some(choices) = p.choices {
                    for c in choices {
                        assert!(with(p.name, json!(c)).is_ok(), "{field} = {c}");
                    }
                    assert_eq!(with(p.name, json!("nonsense")).err(), Some(field.clone()));
                }
            }
        }
    }
}
