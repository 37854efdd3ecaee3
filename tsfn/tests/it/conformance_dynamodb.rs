//! The conformance suite on the DynamoDB backend, against moto's server mode, each test with
//! tables of its own.

use crate::conformance;
use crate::support;

mod dynamodb {
    crate::conformance_tests!(crate::support::Server::dynamodb);
}

/// Reads that span several DynamoDB pages (a Query answers at most 1 MB): with a 120-character
/// series id every item is about 150 bytes, so 12,000 points are about 1.8 MB, and one API page
/// of 10,000 points needs two Query pages. Counts, pages, stats and a job must all see every
/// point exactly once.
#[test]
fn reads_across_dynamodb_pages() {
    use support::{json, Value};
    let s = support::Server::dynamodb(&[]);
    let id = format!("p{}", "x".repeat(119));
    s.put_json(&format!("/series/{id}"), &json!({"unit": "V"}))
        .expect(201);
    let n = 12_000i64;
    let points: Vec<(i64, f64)> = (0..n)
        .map(|i| (1_700_000_000 + i * 60, i as f64 + 0.123_456_789))
        .collect();
    s.write(&id, &points);

    let first = s
        .get(&format!("/series/{id}/points?limit=10000"))
        .expect(200);
    let page = first["points"].as_array().unwrap();
    assert_eq!(page.len(), 10_000);
    let values: Vec<f64> = page.iter().map(|p| p["v"].as_f64().unwrap()).collect();
    assert!(values
        .iter()
        .enumerate()
        .all(|(i, v)| *v == i as f64 + 0.123_456_789));
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let rest = s
        .get(&format!("/series/{id}/points?limit=10000&cursor={cursor}"))
        .expect(200);
    assert_eq!(rest["points"].as_array().unwrap().len(), 2_000);
    assert_eq!(rest["points"][0]["v"], 10_000.123_456_789);
    assert_eq!(rest["next_cursor"], Value::Null);

    let info = s.get(&format!("/series/{id}")).expect(200);
    assert_eq!(info["count"], n);
    let stats = s.get(&format!("/series/{id}/stats")).expect(200);
    assert_eq!(stats["count"], n);
    assert_eq!(stats["max"], (n - 1) as f64 + 0.123_456_789);
    let buckets = s
        .get(&format!("/series/{id}/points?every=1d&agg=count"))
        .expect(200);
    let total: f64 = buckets["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["v"].as_f64().unwrap())
        .sum();
    assert_eq!(total, n as f64);
    let job = s
        .post_json("/jobs", &json!({"kind": "summary", "series": id}))
        .expect(202);
    let done = conformance::wait_job(&s, job["id"].as_str().unwrap());
    assert_eq!(done["status"], "succeeded", "{done}");
    let result = s
        .get(&format!("/jobs/{}/result", job["id"].as_str().unwrap()))
        .expect(200);
    assert_eq!(result["count"], n);
}
