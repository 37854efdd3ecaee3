//! The conformance suite: the behaviour every store backend and runtime must share, written once
//! against the HTTP API. A backend's test file calls `conformance_tests!(start)` where `start`
//! returns a fresh `Server`; each check below becomes one `#[test]`.
#![allow(dead_code)]

use crate::support::{json, rfc, Server, Value};

#[macro_export]
macro_rules! conformance_tests {
    ($start:expr) => {
        $crate::conformance_tests!(@each $start;
            series_crud, series_list_counts, write_formats, range_query_bounds_and_order,
            pagination_over_pages, bucket_aggregates, bucket_pagination, single_points,
            delete_range, stats_values, idempotent_rewrites, not_found_errors,
            write_errors_name_the_spot, rejected_bulk_writes_write_nothing, query_errors,
            routing_errors, timestamps_forms);
    };
    (@each $start:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let server = $start();
                $crate::conformance::$name(&server);
            }
        )*
    };
}

pub fn series_crud(s: &Server) {
    let meta = json!({"name": "Room temp", "unit": "degC", "description": "office", "labels": {"room": "a1"}});
    let v = s.put_json("/series/room.a1", &meta).expect(201);
    assert_eq!(v["id"], "room.a1");
    assert_eq!(v["unit"], "degC");
    assert_eq!(v["labels"]["room"], "a1");
    assert_eq!(v["count"], 0);
    assert_eq!(v["first"], Value::Null);
    let v = s
        .put_json("/series/room.a1", &json!({"name": "Room A1", "unit": "K"}))
        .expect(200);
    assert_eq!(v["name"], "Room A1");
    assert_eq!(v["unit"], "K");
    assert_eq!(v["labels"], json!({}), "PUT replaces the metadata");
    let v = s.get("/series/room.a1").expect(200);
    assert_eq!(v["name"], "Room A1");
    s.delete("/series/room.a1").expect(204);
    s.get("/series/room.a1").expect_error(404, None);
    s.delete("/series/room.a1").expect_error(404, None);
}

pub fn series_list_counts(s: &Server) {
    s.write("b", &[(100, 1.0), (200, 2.0), (300, 3.0)]);
    s.write("a", &[(50, 1.0)]);
    s.put_json("/series/c", &json!({})).expect(201);
    let v = s.get("/series").expect(200);
    let list = v["series"].as_array().expect("series array");
    let ids: Vec<&str> = list.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(list[1]["count"], 3);
    assert_eq!(list[1]["first"], rfc(100));
    assert_eq!(list[1]["last"], rfc(300));
    assert_eq!(list[2]["count"], 0);
    assert_eq!(list[2]["last"], Value::Null);
}

fn all_points(s: &Server, series: &str) -> Vec<(String, f64)> {
    let v = s
        .get(&format!("/series/{series}/points?limit=10000"))
        .expect(200);
    v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["t"].as_str().unwrap().to_owned(),
                p["v"].as_f64().unwrap(),
            )
        })
        .collect()
}

pub fn write_formats(s: &Server) {
    let r = s.send(
        "POST",
        "/series/f/points",
        Some("application/json"),
        r#"[{"t":"1970-01-01T00:00:01Z","v":1},[2,2.5]]"#,
    );
    let v = r.expect(201);
    assert_eq!(v["written"], 2);
    assert_eq!(v["created"], true);
    let r = s.send(
        "POST",
        "/series/f/points",
        Some("application/x-ndjson"),
        "{\"t\":3,\"v\":3}\n{\"t\":\"1970-01-01T00:00:04.000Z\",\"v\":-4}\n",
    );
    assert_eq!(r.expect(200)["written"], 2);
    let r = s.send(
        "POST",
        "/series/f/points",
        Some("text/csv"),
        "t,v\n5,5e0\n1970-01-01T00:00:06+00:00,6\n",
    );
    assert_eq!(r.expect(200)["written"], 2);
    // Without a content type the format is sniffed from the body.
    s.send("POST", "/series/f/points", None, "t,v\n7,7\n")
        .expect(200);
    s.send("POST", "/series/f/points", None, "[[8,8]]")
        .expect(200);
    let pts = all_points(s, "f");
    let want: Vec<(String, f64)> = [
        (1, 1.0),
        (2, 2.5),
        (3, 3.0),
        (4, -4.0),
        (5, 5.0),
        (6, 6.0),
        (7, 7.0),
        (8, 8.0),
    ]
    .iter()
    .map(|&(t, v)| (rfc(t), v))
    .collect();
    assert_eq!(pts, want);
}

pub fn range_query_bounds_and_order(s: &Server) {
    s.write(
        "r",
        &(0..10).map(|i| (i * 10, i as f64)).collect::<Vec<_>>(),
    );
    // from inclusive, to exclusive.
    let v = s
        .get(&format!("/series/r/points?from={}&to={}", rfc(20), rfc(50)))
        .expect(200);
    let ts: Vec<&str> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["t"].as_str().unwrap())
        .collect();
    assert_eq!(ts, [rfc(20), rfc(30), rfc(40)]);
    assert_eq!(v["next_cursor"], Value::Null);
    let v = s.get("/series/r/points?order=desc&limit=3").expect(200);
    let vs: Vec<f64> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["v"].as_f64().unwrap())
        .collect();
    assert_eq!(vs, [9.0, 8.0, 7.0]);
    assert!(v["next_cursor"].is_string());
    // Epoch numbers work as bounds too.
    let v = s.get("/series/r/points?from=85&to=1000").expect(200);
    assert_eq!(v["points"].as_array().unwrap().len(), 1);
    let v = s.get("/series/r/points?from=20&to=20").expect(200);
    assert_eq!(v["points"], json!([]));
}

fn collect_pages(s: &Server, first: &str) -> (Vec<f64>, usize) {
    let mut out = Vec::new();
    let mut pages = 0;
    let mut url = first.to_owned();
    loop {
        let v = s.get(&url).expect(200);
        pages += 1;
        out.extend(
            v["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["v"].as_f64().unwrap()),
        );
        match v["next_cursor"].as_str() {
            Some(c) => url = format!("{first}&cursor={c}"),
            None => return (out, pages),
        }
        assert!(pages < 100, "pagination does not end");
    }
}

pub fn pagination_over_pages(s: &Server) {
    let pts: Vec<(i64, f64)> = (0..2500).map(|i| (1_000_000 + i * 60, i as f64)).collect();
    s.write("p", &pts);
    let (vals, pages) = collect_pages(s, "/series/p/points?limit=1000");
    assert_eq!(pages, 3);
    assert_eq!(vals, (0..2500).map(|i| i as f64).collect::<Vec<_>>());
    let (vals, pages) = collect_pages(s, "/series/p/points?limit=700&order=desc");
    assert_eq!(pages, 4);
    assert_eq!(vals, (0..2500).rev().map(|i| i as f64).collect::<Vec<_>>());
    // A sub-range keeps its bounds across pages.
    let (vals, _) = collect_pages(
        s,
        &format!(
            "/series/p/points?limit=100&from={}&to={}",
            rfc(1_000_000 + 60 * 10),
            rfc(1_000_000 + 60 * 260)
        ),
    );
    assert_eq!(vals, (10..260).map(|i| i as f64).collect::<Vec<_>>());
    // Exactly one full page has no cursor.
    let v = s
        .get(&format!(
            "/series/p/points?limit=10&to={}",
            rfc(1_000_000 + 600)
        ))
        .expect(200);
    assert_eq!(v["points"].as_array().unwrap().len(), 10);
    assert_eq!(v["next_cursor"], Value::Null);
}

/// Points at 00:00=1, 00:30=3, 01:00=10, 01:15=20, 01:45=30, 03:00=5 (of 2024-01-01).
fn bucket_fixture(s: &Server) -> i64 {
    let base = 1_704_067_200; // 2024-01-01T00:00:00Z
    s.write(
        "bk",
        &[
            (base, 1.0),
            (base + 1800, 3.0),
            (base + 3600, 10.0),
            (base + 4500, 20.0),
            (base + 6300, 30.0),
            (base + 10800, 5.0),
        ],
    );
    base
}

pub fn bucket_aggregates(s: &Server) {
    let base = bucket_fixture(s);
    let cases: [(&str, [f64; 3]); 7] = [
        ("mean", [2.0, 20.0, 5.0]),
        ("min", [1.0, 10.0, 5.0]),
        ("max", [3.0, 30.0, 5.0]),
        ("sum", [4.0, 60.0, 5.0]),
        ("count", [2.0, 3.0, 1.0]),
        ("first", [1.0, 10.0, 5.0]),
        ("last", [3.0, 30.0, 5.0]),
    ];
    for (agg, want) in cases {
        let v = s
            .get(&format!("/series/bk/points?every=1h&agg={agg}"))
            .expect(200);
        assert_eq!(v["agg"], agg);
        assert_eq!(v["every"], "1h");
        let pts = v["points"].as_array().unwrap();
        let ts: Vec<&str> = pts.iter().map(|p| p["t"].as_str().unwrap()).collect();
        assert_eq!(
            ts,
            [rfc(base), rfc(base + 3600), rfc(base + 10800)],
            "{agg}"
        );
        let vs: Vec<f64> = pts.iter().map(|p| p["v"].as_f64().unwrap()).collect();
        assert_eq!(vs, want, "{agg}");
        // Descending order reverses buckets but not what first/last mean.
        let v = s
            .get(&format!("/series/bk/points?every=1h&agg={agg}&order=desc"))
            .expect(200);
        let vs: Vec<f64> = v["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["v"].as_f64().unwrap())
            .collect();
        assert_eq!(
            vs,
            want.iter().rev().copied().collect::<Vec<_>>(),
            "{agg} desc"
        );
    }
    // mean is the default aggregate; a 2h bucket merges the first two hours.
    let v = s.get("/series/bk/points?every=2h").expect(200);
    let vs: Vec<f64> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["v"].as_f64().unwrap())
        .collect();
    assert_eq!(vs, [64.0 / 5.0, 5.0]);
    // from/to restrict the points before bucketing.
    let v = s
        .get(&format!(
            "/series/bk/points?every=1h&agg=count&from={}",
            rfc(base + 4000)
        ))
        .expect(200);
    let vs: Vec<f64> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["v"].as_f64().unwrap())
        .collect();
    assert_eq!(vs, [2.0, 1.0]);
}

pub fn bucket_pagination(s: &Server) {
    bucket_fixture(s);
    let (vals, pages) = collect_pages(s, "/series/bk/points?every=1h&agg=sum&limit=2");
    assert_eq!(pages, 2);
    assert_eq!(vals, [4.0, 60.0, 5.0]);
    let (vals, pages) = collect_pages(s, "/series/bk/points?every=1h&agg=sum&limit=1&order=desc");
    assert_eq!(pages, 3);
    assert_eq!(vals, [5.0, 60.0, 4.0]);
}

pub fn single_points(s: &Server) {
    s.write("one", &[(1000, 1.0)]);
    let t = rfc(1000);
    let v = s.get(&format!("/series/one/points/{t}")).expect(200);
    assert_eq!(v, json!({"t": t, "v": 1.0}));
    // Any accepted timestamp form addresses the same point.
    assert_eq!(s.get("/series/one/points/1000").expect(200)["v"], 1.0);
    assert_eq!(
        s.get("/series/one/points/1970-01-01T00:16:40Z").expect(200)["v"],
        1.0
    );
    let v = s
        .put_json(&format!("/series/one/points/{t}"), &json!({"v": 2.5}))
        .expect(200);
    assert_eq!(v["v"], 2.5);
    assert_eq!(s.get("/series/one/points/1000").expect(200)["v"], 2.5);
    s.put_json("/series/one/points/2000", &json!({"v": 7}))
        .expect(200);
    assert_eq!(s.get("/series/one").expect(200)["count"], 2);
    s.delete("/series/one/points/1000").expect(204);
    s.get("/series/one/points/1000").expect_error(404, None);
    s.delete("/series/one/points/1000").expect_error(404, None);
    // PUT on a point of a missing series creates the series.
    s.put_json("/series/fresh/points/5", &json!({"v": 1}))
        .expect(200);
    assert_eq!(s.get("/series/fresh").expect(200)["count"], 1);
    s.put_json("/series/one/points/3000", &json!({"v": "x"}))
        .expect_error(400, None);
    s.put_json("/series/one/points/3000", &json!({"w": 1}))
        .expect_error(400, None);
    s.put_json("/series/one/points/soon", &json!({"v": 1}))
        .expect_error(400, Some("t"));
}

pub fn delete_range(s: &Server) {
    s.write(
        "d",
        &(0..10).map(|i| (i * 10, i as f64)).collect::<Vec<_>>(),
    );
    let v = s
        .delete(&format!("/series/d/points?from={}&to={}", rfc(20), rfc(50)))
        .expect(200);
    assert_eq!(v["deleted"], 3);
    let v = s
        .delete(&format!("/series/d/points?from={}&to={}", rfc(20), rfc(50)))
        .expect(200);
    assert_eq!(v["deleted"], 0);
    let v = s
        .delete(&format!("/series/d/points?to={}", rfc(10)))
        .expect(200);
    assert_eq!(v["deleted"], 1);
    assert_eq!(s.get("/series/d").expect(200)["count"], 6);
    s.delete("/series/d/points").expect_error(400, Some("from"));
    s.delete("/series/nope/points?from=0")
        .expect_error(404, None);
}

pub fn stats_values(s: &Server) {
    let vals = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
    s.write(
        "st",
        &vals
            .iter()
            .enumerate()
            .map(|(i, &v)| (i as i64 * 100, v))
            .collect::<Vec<_>>(),
    );
    let v = s.get("/series/st/stats").expect(200);
    assert_eq!(v["count"], 8);
    assert_eq!(v["mean"], 5.0);
    assert_eq!(v["min"], 2.0);
    assert_eq!(v["max"], 9.0);
    assert_eq!(v["sum"], 40.0);
    assert_eq!(v["stddev"], 2.0);
    assert_eq!(v["first"], json!({"t": rfc(0), "v": 2.0}));
    assert_eq!(v["last"], json!({"t": rfc(700), "v": 9.0}));
    let v = s
        .get(&format!(
            "/series/st/stats?from={}&to={}",
            rfc(100),
            rfc(400)
        ))
        .expect(200);
    assert_eq!(v["count"], 3);
    assert_eq!(v["mean"], 4.0);
    assert_eq!(v["stddev"], 0.0);
    let v = s
        .get(&format!("/series/st/stats?from={}", rfc(10_000)))
        .expect(200);
    assert_eq!(v["count"], 0);
    assert_eq!(v["mean"], Value::Null);
    // Enough points to span several store pages.
    let many: Vec<(i64, f64)> = (0..40_000).map(|i| (i, (i % 100) as f64)).collect();
    s.write("st2", &many);
    let v = s.get("/series/st2/stats").expect(200);
    assert_eq!(v["count"], 40_000);
    assert!((v["mean"].as_f64().unwrap() - 49.5).abs() < 1e-9);
    assert_eq!(v["max"], 99.0);
}

pub fn idempotent_rewrites(s: &Server) {
    let pts: Vec<(i64, f64)> = (0..100).map(|i| (i, i as f64)).collect();
    s.write("idem", &pts);
    s.write("idem", &pts);
    assert_eq!(s.get("/series/idem").expect(200)["count"], 100);
    s.write("idem", &[(5, 55.0)]);
    assert_eq!(s.get("/series/idem/points/5").expect(200)["v"], 55.0);
    assert_eq!(s.get("/series/idem").expect(200)["count"], 100);
    // Within one body the last duplicate wins.
    s.write("idem", &[(7, 1.0), (7, 2.0)]);
    assert_eq!(s.get("/series/idem/points/7").expect(200)["v"], 2.0);
}

pub fn not_found_errors(s: &Server) {
    for path in [
        "/series/ghost",
        "/series/ghost/points",
        "/series/ghost/stats",
        "/series/ghost/points/0",
    ] {
        let v = s.get(path).expect_error(404, None);
        assert_eq!(v["error"]["code"], "not_found", "{path}");
    }
    s.write("here", &[(1, 1.0)]);
    s.get("/series/here/points/2").expect_error(404, None);
}

pub fn write_errors_name_the_spot(s: &Server) {
    let p = "/series/w/points";
    s.send("POST", p, Some("application/json"), "[{\"t\":1,\"v\":1},")
        .expect_error(400, Some("body"));
    s.send(
        "POST",
        p,
        Some("application/json"),
        r#"[{"t":1,"v":1},{"t":"nope","v":1}]"#,
    )
    .expect_error(400, Some("points[1]"));
    s.send("POST", p, Some("application/json"), r#"[{"t":1,"v":null}]"#)
        .expect_error(400, Some("points[0]"));
    s.send("POST", p, Some("application/json"), r#"[{"t":1}]"#)
        .expect_error(400, Some("points[0]"));
    s.send(
        "POST",
        p,
        Some("application/x-ndjson"),
        "{\"t\":1,\"v\":1}\n{\"t\":2,\"v\":1e999}\n",
    )
    .expect_error(400, Some("line 2"));
    s.send("POST", p, Some("text/csv"), "t,v\n1,1\n2,NaN\n")
        .expect_error(400, Some("line 3"));
    s.send("POST", p, Some("text/csv"), "t,v\n1,1\n2,-inf\n")
        .expect_error(400, Some("line 3"));
    s.send("POST", p, Some("text/csv"), "t,v\n2024-02-30,1\n")
        .expect_error(400, Some("line 2"));
    s.send("POST", p, Some("text/csv"), "time,value\n1,1\n")
        .expect_error(400, Some("line 1"));
    s.send("POST", p, Some("text/csv"), "")
        .expect_error(400, Some("body"));
    s.send("POST", p, Some("application/xml"), "<x/>")
        .expect_error(415, None);
    s.send(
        "POST",
        "/series/Bad%20Id/points",
        Some("text/csv"),
        "t,v\n1,1\n",
    )
    .expect_error(400, Some("series"));
    s.put_json("/series/-x", &json!({}))
        .expect_error(400, Some("series"));
    s.put_json("/series/x", &json!({"color": "red"}))
        .expect_error(400, Some("color"));
    s.send("PUT", "/series/x", Some("application/json"), "{")
        .expect_error(400, Some("body"));
}

pub fn rejected_bulk_writes_write_nothing(s: &Server) {
    s.write("atomic", &[(1, 1.0)]);
    // The bad line is last: nothing before it may be stored.
    let mut csv = String::from("t,v\n");
    for i in 10..1010 {
        csv.push_str(&format!("{i},{i}\n"));
    }
    csv.push_str("2000,oops\n");
    s.send("POST", "/series/atomic/points", Some("text/csv"), csv)
        .expect_error(400, Some("line 1002"));
    assert_eq!(s.get("/series/atomic").expect(200)["count"], 1);
    // A rejected write does not create a missing series either.
    s.send(
        "POST",
        "/series/never/points",
        Some("text/csv"),
        "t,v\n1,x\n",
    )
    .expect_error(400, Some("line 2"));
    s.get("/series/never").expect_error(404, None);
}

pub fn query_errors(s: &Server) {
    s.write("q", &[(1, 1.0)]);
    let cases = [
        ("from=2024-01-02&to=2024-01-01", "from"),
        ("from=yesterday", "from"),
        ("to=1e999", "to"),
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=ten", "limit"),
        ("cursor=%21%21", "cursor"),
        ("cursor=eDox", "cursor"),
        ("order=up", "order"),
        ("every=1h&agg=median", "agg"),
        ("every=1y", "every"),
        ("every=0s", "every"),
        ("agg=mean", "agg"),
        ("limt=5", "limt"),
        ("limit=1&limit=2", "limit"),
    ];
    for (qs, field) in cases {
        s.get(&format!("/series/q/points?{qs}"))
            .expect_error(400, Some(field));
    }
    // A cursor from a descending page does not fit an ascending query.
    s.write("q", &[(2, 2.0), (3, 3.0)]);
    let c = s.get("/series/q/points?order=desc&limit=1").expect(200)["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    s.get(&format!("/series/q/points?cursor={c}"))
        .expect_error(400, Some("cursor"));
    s.get("/series/q/stats?from=5&to=1")
        .expect_error(400, Some("from"));
    s.get("/series/q/stats?bogus=1")
        .expect_error(400, Some("bogus"));
}

pub fn routing_errors(s: &Server) {
    s.get("/nope").expect_error(404, None);
    s.get("/series/a/b/c/d").expect_error(404, None);
    let r = s.send("POST", "/series/x", None, "");
    r.expect_error(405, None);
    let allow = r
        .headers
        .get("allow")
        .expect("Allow header")
        .to_str()
        .unwrap()
        .to_owned();
    for m in ["GET", "PUT", "DELETE"] {
        assert!(allow.contains(m), "{allow}");
    }
    assert_eq!(s.get("/health").expect(200)["status"], "ok");
    assert_eq!(s.get("/ready").expect(200)["status"], "ready");
}

pub fn timestamps_forms(s: &Server) {
    // Seconds, milliseconds, microseconds, nanoseconds and RFC 3339 with an offset: one instant.
    let forms = [
        "1700000000",
        "1700000000000",
        "1700000000000000",
        "1700000000000000000",
        "2023-11-14T23:13:20%2B01:00",
    ];
    for (i, f) in forms.iter().enumerate() {
        s.put_json(&format!("/series/ts/points/{f}"), &json!({"v": i}))
            .expect(200);
    }
    let v = s.get("/series/ts/points").expect(200);
    assert_eq!(
        v["points"],
        json!([{"t": "2023-11-14T22:13:20.000Z", "v": 4.0}])
    );
    // Fractions of a second are kept to the millisecond.
    s.put_json("/series/ts/points/1700000000.125", &json!({"v": 1}))
        .expect(200);
    assert_eq!(
        s.get("/series/ts/points/2023-11-14T22:13:20.125Z")
            .expect(200)["v"],
        1.0
    );
}
