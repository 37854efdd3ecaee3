//! The conformance suite: the behaviour every store backend and runtime must share, written once
//! against the HTTP API. A backend's test file calls `conformance_tests!(start)` where `start`
//! returns a fresh `Server`; each check below becomes one `#[test]`. Behind a gateway that routes
//! requests to the functions itself, `conformance_tests!(behind_a_gateway start)`.
#![allow(dead_code)]

use crate::support::{eventually, json, rfc, Server, Value};

/// `start(extra_env)` starts a fresh server of the backend under test.
pub type Start = fn(&[(&str, &str)]) -> Server;

#[macro_export]
macro_rules! conformance_tests {
    (behind_a_gateway $start:expr) => { $crate::conformance_tests!(@all $start; gateway); };
    ($start:expr) => { $crate::conformance_tests!(@all $start; each); };
    (@all $start:expr; $mode:ident) => {
        $crate::conformance_tests!(@$mode $start;
            series_crud, series_list_counts, write_formats, range_query_bounds_and_order,
            pagination_over_pages, bucket_aggregates, bucket_pagination, single_points,
            delete_range, stats_values, idempotent_rewrites, not_found_errors,
            write_errors_name_the_spot, rejected_bulk_writes_write_nothing, query_errors,
            routing_errors, timestamps_forms, values_round_trip_bit_for_bit,
            fractional_epochs_exact, buckets_stay_in_range, rejected_bodies_write_nothing,
            concurrent_writers_last_wins_per_point, updated_tracks_metadata,
            job_lifecycle, job_validation, job_kinds, job_plots, job_big_result,
            bodies_must_be_objects, wrong_types_name_the_field, histogram_edges,
            svg_text_is_xml, job_params_record_defaults, drawing_queries,
            drawing_errors, job_kinds_as_data, console_files, line_protocol_writes,
            line_protocol_errors_write_nothing, line_protocol_gzip, series_filters, csv_out,
            spectrum_job, multi_series_buckets);
        $crate::conformance_tests!(@with_start $start;
            job_queue_without_workers, series_retention);
        $crate::conformance_tests!(@settings $mode $start; job_expiry, job_queue_limit);
    };
    // Tests that start their server with settings of their own (a job TTL, a queue limit).
    (@settings each $start:expr; $($name:ident),*) => {
        $crate::conformance_tests!(@with_start $start; $($name),*);
    };
    // The shared emulator's functions read their settings once, when it starts, for every test
    // that takes a turn on it: a test needing other settings is listed there, not run.
    (@settings gateway $start:expr; $($name:ident),*) => {
        $(
            #[test]
            #[ignore = "the shared emulator runs every function with the default settings"]
            fn $name() {
                $crate::conformance::$name($start);
            }
        )*
    };
    (@each $start:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let server = $start(&[]);
                $crate::conformance::$name(&server);
            }
        )*
    };
    (@with_start $start:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::$name($start);
            }
        )*
    };
    // Behind a gateway (`cargo lambda watch`, API Gateway on AWS), a path or method that no
    // function has is answered by the gateway, not by tsfn's router: `routing_errors` is that
    // router's contract, so there it is ignored (listed, not run); every other test runs.
    (@gateway $start:expr; $($name:ident),*) => {
        $crate::conformance_tests!(@gateway $start; []; $($name),*);
    };
    (@gateway $start:expr; [$($kept:ident),*]; routing_errors $(, $rest:ident)*) => {
        #[test]
        #[ignore = "behind a gateway, the gateway answers paths and methods no function has"]
        fn routing_errors() {
            let server = $start(&[]);
            $crate::conformance::routing_errors(&server);
        }
        $crate::conformance_tests!(@gateway $start; [$($kept),*]; $($rest),*);
    };
    // cargo lambda's emulator answers a gzip-encoded request body with its own 500 before any
    // function runs (API Gateway hands it to the function base64-encoded, which lambda_http
    // decodes): not run there, listed.
    (@gateway $start:expr; [$($kept:ident),*]; line_protocol_gzip $(, $rest:ident)*) => {
        #[test]
        #[ignore = "cargo lambda's emulator answers gzip-encoded bodies with a 500 of its own"]
        fn line_protocol_gzip() {
            let server = $start(&[]);
            $crate::conformance::line_protocol_gzip(&server);
        }
        $crate::conformance_tests!(@gateway $start; [$($kept),*]; $($rest),*);
    };
    (@gateway $start:expr; [$($kept:ident),*]; $next:ident $(, $rest:ident)*) => {
        $crate::conformance_tests!(@gateway $start; [$($kept,)* $next]; $($rest),*);
    };
    (@gateway $start:expr; [$($kept:ident),*];) => {
        $crate::conformance_tests!(@each $start; $($kept),*);
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

// ---- jobs ----

/// Polls a job until it has finished (bounded) and returns its record.
pub fn wait_job(s: &Server, id: &str) -> Value {
    let what = format!("job {id} to finish");
    eventually(std::time::Duration::from_secs(120), &what, || {
        let v = s.get(&format!("/jobs/{id}")).expect(200);
        if v["status"] == "succeeded" || v["status"] == "failed" {
            Ok(v)
        } else {
            Err(v)
        }
    })
}

/// Submits a job, asserts 202 + Location, and returns its id.
pub fn submit(s: &Server, body: Value) -> String {
    let r = s.post_json("/jobs", &body);
    let v = r.expect(202);
    let id = v["id"].as_str().expect("job id").to_owned();
    assert_eq!(v["status"], "queued");
    let location = r
        .headers
        .get("location")
        .expect("Location header")
        .to_str()
        .unwrap();
    assert_eq!(location, format!("/jobs/{id}"));
    id
}

/// Submits, waits for success, and returns (job record, result body).
pub fn run_job(s: &Server, body: Value) -> (Value, crate::support::Resp) {
    let id = submit(s, body.clone());
    let job = wait_job(s, &id);
    assert_eq!(job["status"], "succeeded", "{body} -> {job}");
    let r = s.get(&format!("/jobs/{id}/result"));
    assert_eq!(r.status, 200, "{}", r.text());
    (job, r)
}

pub fn job_lifecycle(s: &Server) {
    let vals = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
    s.write(
        "jl",
        &vals
            .iter()
            .enumerate()
            .map(|(i, &v)| (1_000 + i as i64, v))
            .collect::<Vec<_>>(),
    );
    let (job, r) = run_job(s, json!({"kind": "summary", "series": "jl"}));
    assert_eq!(job["kind"], "summary");
    assert_eq!(job["series"], json!(["jl"]));
    assert_eq!(job["attempts"], 1);
    assert_eq!(job["progress"], 100);
    assert!(
        job["worker"].as_str().is_some_and(|w| !w.is_empty()),
        "{job}"
    );
    assert!(
        job["started"].is_string() && job["finished"].is_string(),
        "{job}"
    );
    assert_eq!(
        job["result_url"],
        format!("/jobs/{}/result", job["id"].as_str().unwrap())
    );
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(job["result_size"], r.body.len());
    let v = r.json();
    assert_eq!(v["count"], 8);
    assert_eq!(v["mean"], 5.0);
    assert_eq!(v["stddev"], 2.0);
    let id = job["id"].as_str().unwrap();
    // Listed, filterable by status.
    let list = s.get("/jobs?status=succeeded").expect(200);
    assert!(list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|j| j["id"] == id));
    let list = s.get("/jobs?status=failed").expect(200);
    assert!(!list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|j| j["id"] == id));
    // A range narrows the data.
    let (_, r) = run_job(
        s,
        json!({"kind": "summary", "series": "jl", "from": 1_004, "to": "1970-01-01T00:16:47Z"}),
    );
    assert_eq!(r.json()["count"], 3);
    // Over no points a summary agrees with the stats route: count and sum 0, the rest null.
    let (_, r) = run_job(
        s,
        json!({"kind": "summary", "series": "jl", "from": 9_000_000}),
    );
    let stats = s.get("/series/jl/stats?from=9000000").expect(200);
    let summary = r.json();
    for field in ["count", "sum", "mean", "min", "stddev", "first"] {
        assert_eq!(
            summary[field], stats[field],
            "{field}: {summary} vs {stats}"
        );
    }
    assert_eq!(
        (summary["count"].clone(), summary["sum"].clone()),
        (json!(0), json!(0.0))
    );
    assert!(
        summary["mean"].is_null() && summary["percentiles"].is_null(),
        "{summary}"
    );
    // Deleting a finished job removes it and its result.
    s.delete(&format!("/jobs/{id}")).expect(204);
    s.get(&format!("/jobs/{id}")).expect_error(404, None);
    s.get(&format!("/jobs/{id}/result")).expect_error(404, None);
    s.delete(&format!("/jobs/{id}")).expect_error(404, None);
    // A series that does not exist is a 404 at submit time, naming it, one of two included.
    for series in [json!("nowhere"), json!(["jl", "nowhere"])] {
        let kind = if series.is_array() {
            "correlation"
        } else {
            "trend"
        };
        let v = s
            .post_json("/jobs", &json!({"kind": kind, "series": series}))
            .expect_error(404, None);
        assert_eq!(v["error"]["code"], "not_found", "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("\"nowhere\""),
            "{v}"
        );
    }
    // A job that cannot be computed (a trend over one point) fails with a readable message,
    // and its result is a 409 carrying it.
    let id = submit(
        s,
        json!({"kind": "trend", "series": "jl", "from": 1_004, "to": 1_005}),
    );
    let job = wait_job(s, &id);
    assert_eq!(job["status"], "failed");
    assert!(
        job["error"].as_str().unwrap().contains("1 in range"),
        "{job}"
    );
    let v = s.get(&format!("/jobs/{id}/result")).expect_error(409, None);
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("failed") && message.contains("1 in range"),
        "{v}"
    );
}

pub fn job_validation(s: &Server) {
    let cases = [
        (json!({"series": "a"}), "kind"),
        (json!({"kind": "plot"}), "series"),
        (json!({"kind": "fft", "series": "a"}), "kind"),
        (json!({"kind": "summary", "series": "A!"}), "series"),
        (json!({"kind": "summary", "series": ["a", "b"]}), "series"),
        (json!({"kind": "correlation", "series": "a"}), "series"),
        (
            json!({"kind": "plot", "series": ["a","b","c","d","e","f","g","h","i"]}),
            "series",
        ),
        (
            json!({"kind": "summary", "series": "a", "from": "2024-02-01", "to": "2024-01-01"}),
            "from",
        ),
        (
            json!({"kind": "summary", "series": "a", "from": "soon"}),
            "from",
        ),
        (
            json!({"kind": "summary", "series": "a", "color": "red"}),
            "color",
        ),
        (
            json!({"kind": "summary", "series": "a", "params": []}),
            "params",
        ),
        (
            json!({"kind": "histogram", "series": "a", "params": {"bins": 0}}),
            "params.bins",
        ),
        (
            json!({"kind": "histogram", "series": "a", "params": {"buckets": 3}}),
            "params.buckets",
        ),
        (
            json!({"kind": "rolling", "series": "a", "params": {"window": 1}}),
            "params.window",
        ),
        (
            json!({"kind": "rolling", "series": "a", "params": {"stat": "mode"}}),
            "params.stat",
        ),
        (
            json!({"kind": "resample", "series": "a", "params": {"every": "1y"}}),
            "params.every",
        ),
        (
            json!({"kind": "resample", "series": "a", "params": {"every": "1d", "agg": "median"}}),
            "params.agg",
        ),
        (
            json!({"kind": "anomalies", "series": "a", "params": {"threshold": -1}}),
            "params.threshold",
        ),
        (
            json!({"kind": "plot", "series": "a", "params": {"format": "gif"}}),
            "params.format",
        ),
        (
            json!({"kind": "plot", "series": "a", "params": {"width": 10}}),
            "params.width",
        ),
    ];
    for (body, field) in cases {
        let r = s.post_json("/jobs", &body);
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert_eq!(r.json()["error"]["field"], field, "{body}: {}", r.text());
    }
    s.send("POST", "/jobs", Some("application/json"), "{")
        .expect_error(400, Some("body"));
    s.send("POST", "/jobs", Some("application/json"), "")
        .expect_error(400, Some("body"));
    s.get("/jobs/not-a-uuid").expect_error(400, Some("id"));
    s.get("/jobs/00000000-0000-4000-8000-00000000abcd")
        .expect_error(404, None);
    s.get("/jobs?status=done").expect_error(400, Some("status"));
    s.get("/jobs?limit=0").expect_error(400, Some("limit"));
    s.get("/jobs?cursor=zz").expect_error(400, Some("cursor"));
    // Nothing was queued by the rejected submissions.
    assert_eq!(s.get("/jobs").expect(200)["jobs"], json!([]));
}

/// Each analysis kind through HTTP, checked against independently known values.
pub fn job_kinds(s: &Server) {
    // A perfect line: v = 2 + 0.5 per day, one point per day.
    let day = 86_400;
    s.write(
        "line",
        &(0..100)
            .map(|i| (1_700_006_400 + i * day, 2.0 + 0.5 * i as f64))
            .collect::<Vec<_>>(),
    );
    let (_, r) = run_job(s, json!({"kind": "trend", "series": "line"}));
    let v = r.json();
    assert!(
        (v["slope_per_day"].as_f64().unwrap() - 0.5).abs() < 1e-9,
        "{v}"
    );
    assert!(
        (v["slope_per_year"].as_f64().unwrap() - 0.5 * 365.25).abs() < 1e-6,
        "{v}"
    );
    assert!((v["r2"].as_f64().unwrap() - 1.0).abs() < 1e-12, "{v}");
    assert!((v["intercept"].as_f64().unwrap() - 2.0).abs() < 1e-9, "{v}");
    // Correlation of a series with itself and with its mirror.
    s.write(
        "mirror",
        &(0..100)
            .map(|i| (1_700_006_400 + i * day, -(2.0 + 0.5 * i as f64)))
            .collect::<Vec<_>>(),
    );
    let (_, r) = run_job(
        s,
        json!({"kind": "correlation", "series": ["line", "line"], "params": {"every": "1d"}}),
    );
    assert!((r.json()["r"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    let (_, r) = run_job(
        s,
        json!({"kind": "correlation", "series": ["line", "mirror"], "params": {"every": "1d"}}),
    );
    let v = r.json();
    assert!((v["r"].as_f64().unwrap() + 1.0).abs() < 1e-12, "{v}");
    assert_eq!(v["n"], 100);
    // Rolling mean of a constant is the constant.
    s.write(
        "flat",
        &(0..50).map(|i| (1_000 + i, 7.0)).collect::<Vec<_>>(),
    );
    let (_, r) = run_job(
        s,
        json!({"kind": "rolling", "series": "flat", "params": {"window": 5}}),
    );
    let v = r.json();
    let pts = v["points"].as_array().unwrap();
    assert_eq!(pts.len(), 46);
    assert!(pts.iter().all(|p| p["v"] == 7.0), "{v}");
    assert_eq!(pts[0]["t"], rfc(1_004));
    // Histogram of 0..100 in 4 bins.
    s.write(
        "ramp",
        &(0..100).map(|i| (1_000 + i, i as f64)).collect::<Vec<_>>(),
    );
    let (_, r) = run_job(
        s,
        json!({"kind": "histogram", "series": "ramp", "params": {"bins": 4, "min": 0, "max": 100}}),
    );
    let v = r.json();
    let counts: Vec<u64> = v["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [25, 25, 25, 25], "{v}");
    // Resample sums per 10 s: 0+..+9 = 45, 10+..+19 = 145, ...
    let (_, r) = run_job(
        s,
        json!({"kind": "resample", "series": "ramp", "from": 1_000, "to": 1_020, "params": {"every": "10s", "agg": "sum"}}),
    );
    let v = r.json();
    let sums: Vec<f64> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["v"].as_f64().unwrap())
        .collect();
    assert_eq!(sums, [45.0, 145.0], "{v}");
    // Anomalies: one spike in a gently wavy series is found, at its time.
    let mut wavy: Vec<(i64, f64)> = (0..300)
        .map(|i| (1_000 + i, 10.0 + ((i % 7) as f64) * 0.1))
        .collect();
    wavy[200].1 = 50.0;
    s.write("wavy", &wavy);
    let (_, r) = run_job(
        s,
        json!({"kind": "anomalies", "series": "wavy", "params": {"window": 30, "threshold": 5}}),
    );
    let v = r.json();
    let found: Vec<&str> = v["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["t"].as_str().unwrap())
        .collect();
    assert_eq!(found, [rfc(1_200)], "{v}");
    // Summary percentiles of 0..100 (linear interpolation): p50 = 49.5, p25 = 24.75.
    let (_, r) = run_job(s, json!({"kind": "summary", "series": "ramp"}));
    let v = r.json();
    assert_eq!(v["percentiles"]["p50"], 49.5, "{v}");
    assert_eq!(v["percentiles"]["p25"], 24.75, "{v}");
}

pub fn job_plots(s: &Server) {
    s.write(
        "wave",
        &(0..20_000)
            .map(|i| (1_700_000_000 + i * 60, (i as f64 / 300.0).sin()))
            .collect::<Vec<_>>(),
    );
    s.write(
        "wave2",
        &(0..20_000)
            .map(|i| (1_700_000_000 + i * 60, (i as f64 / 500.0).cos()))
            .collect::<Vec<_>>(),
    );
    let (job, r) = run_job(
        s,
        json!({"kind": "plot", "series": ["wave", "wave2"], "params": {"width": 800, "height": 400, "title": "Waves"}}),
    );
    assert_eq!(job["result_type"], "image/png");
    assert_eq!(r.headers["content-type"], "image/png");
    let decoder = png::Decoder::new(std::io::Cursor::new(&r.body));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (800, 400));
    let px = info.line_size / info.width as usize;
    let distinct: std::collections::HashSet<&[u8]> = buf[..info.buffer_size()].chunks(px).collect();
    assert!(
        distinct.len() > 10,
        "the image looks blank ({} colours)",
        distinct.len()
    );
    let (_, r) = run_job(
        s,
        json!({"kind": "plot", "series": "wave", "params": {"format": "svg", "title": "Wave <svg>"}}),
    );
    assert_eq!(r.headers["content-type"], "image/svg+xml");
    let text = r.text();
    let doc = roxmltree::Document::parse(&text).expect("SVG is XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert!(
        doc.descendants()
            .any(|n| n.text().is_some_and(|t| t.contains("Wave <svg>"))),
        "title is text in the SVG"
    );
}

/// Results larger than DynamoDB's 400 KB item limit work like any other.
pub fn job_big_result(s: &Server) {
    s.write(
        "long",
        &(0..30_000)
            .map(|i| (1_600_000_000 + i, (i % 1000) as f64 * 1.5))
            .collect::<Vec<_>>(),
    );
    let (job, r) = run_job(
        s,
        json!({"kind": "rolling", "series": "long", "params": {"window": 2}}),
    );
    assert!(r.body.len() > 400 * 1024, "only {} bytes", r.body.len());
    assert_eq!(job["result_size"], r.body.len());
    assert_eq!(r.json()["points"].as_array().unwrap().len(), 29_999);
}

/// With no workers, jobs stay queued: they can be listed page by page and cancelled.
pub fn job_queue_without_workers(start: Start) {
    let s = start(&[("TSFN_WORKERS", "0")]);
    s.write("x", &[(0, 1.0)]);
    let ids: Vec<String> = (0..5)
        .map(|_| submit(&s, json!({"kind": "summary", "series": "x"})))
        .collect();
    // A rejected submission (a series that does not exist) queues nothing: the listing below
    // holds exactly the five.
    s.post_json("/jobs", &json!({"kind": "summary", "series": "y"}))
        .expect_error(404, None);
    let mut seen = Vec::new();
    let mut url = "/jobs?limit=2&status=queued".to_owned();
    for page in 0.. {
        let v = s.get(&url).expect(200);
        seen.extend(
            v["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|j| j["id"].as_str().unwrap().to_owned()),
        );
        match v["next_cursor"].as_str() {
            Some(c) => url = format!("/jobs?limit=2&status=queued&cursor={c}"),
            None => break,
        }
        assert!(page < 5);
    }
    // Every job exactly once across the pages, newest first (ties within a millisecond in any order).
    let mut sorted_seen = seen.clone();
    sorted_seen.sort();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort();
    assert_eq!(sorted_seen, sorted_ids);
    let created: Vec<String> = seen
        .iter()
        .map(|id| {
            s.get(&format!("/jobs/{id}")).expect(200)["created"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    let v = s
        .get(&format!("/jobs/{}/result", ids[0]))
        .expect_error(409, None);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("queued"),
        "{v}"
    );
    s.delete(&format!("/jobs/{}", ids[0])).expect(204);
    s.get(&format!("/jobs/{}", ids[0])).expect_error(404, None);
    assert_eq!(
        s.get("/jobs").expect(200)["jobs"].as_array().unwrap().len(),
        4
    );
}

// ---- retention and limits ----

/// Every job the listing pages give (`limit` per page), following `next_cursor`.
fn listed_jobs(s: &Server, query: &str, limit: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut url = format!("/jobs?limit={limit}{query}");
    for _ in 0..100 {
        let v = s.get(&url).expect(200);
        seen.extend(
            v["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|j| j["id"].as_str().unwrap().to_owned()),
        );
        match v["next_cursor"].as_str() {
            Some(c) => url = format!("/jobs?limit={limit}{query}&cursor={c}"),
            None => return seen,
        }
    }
    panic!("more than 100 pages of jobs");
}

/// Milliseconds since the epoch on this machine's clock (the server's too).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// `TSFN_JOB_TTL`: a finished job and its result are there until the TTL has passed since it
/// finished, then 404 and out of every listing, on every store. The sweep does not run in
/// between (a day's interval): reads alone must hide an expired job, as they must while
/// DynamoDB's lazy TTL has not deleted it (the sweep's own part is in `job_transitions`).
pub fn job_expiry(start: Start) {
    let s = start(&[("TSFN_JOB_TTL", "3s"), ("TSFN_SWEEP_INTERVAL", "1d")]);
    s.write("x", &[(0, 1.0), (60, 2.0)]);
    let a = submit(&s, json!({"kind": "summary", "series": "x"}));
    let done = wait_job(&s, &a);
    assert_eq!(done["status"], "succeeded", "{done}");
    let finished = tsfn_shared::time::parse(done["finished"].as_str().unwrap()).unwrap();
    // Still there: the TTL counts from when it finished.
    let result = s.get(&format!("/jobs/{a}/result"));
    let listed = listed_jobs(&s, "", 1);
    if now_ms() < finished + 3000 {
        assert_eq!(result.expect(200)["count"], 2);
        assert_eq!(listed, std::slice::from_ref(&a));
    }
    eventually(
        std::time::Duration::from_secs(30),
        "the finished job to expire",
        || {
            let r = s.get(&format!("/jobs/{a}"));
            (r.status == 404).then_some(()).ok_or(r.status)
        },
    );
    assert!(
        now_ms() >= finished + 3000,
        "expired before its TTL: finished at {finished}, gone at {}",
        now_ms()
    );
    s.get(&format!("/jobs/{a}/result")).expect_error(404, None);
    s.delete(&format!("/jobs/{a}")).expect_error(404, None);
    // A job finished since is listed, alone, on every page size and status filter.
    let b = submit(&s, json!({"kind": "summary", "series": "x"}));
    assert_eq!(wait_job(&s, &b)["status"], "succeeded");
    let listed = listed_jobs(&s, "", 1);
    if !listed.is_empty() {
        assert_eq!(
            listed,
            std::slice::from_ref(&b),
            "only the job that has not expired"
        );
    }
    let listed = listed_jobs(&s, "&status=succeeded", 10);
    assert!(!listed.contains(&a), "{listed:?}");
    assert!(listed.len() <= 1, "{listed:?}");
}

/// `TSFN_MAX_QUEUED_JOBS`: at the limit a submission is refused with 503 `queue_full` and
/// `Retry-After`, and queues nothing; bad input is still 400; room made by a cancellation is
/// taken again.
pub fn job_queue_limit(start: Start) {
    let s = start(&[("TSFN_WORKERS", "0"), ("TSFN_MAX_QUEUED_JOBS", "2")]);
    s.write("x", &[(0, 1.0)]);
    let first = submit(&s, json!({"kind": "summary", "series": "x"}));
    submit(&s, json!({"kind": "summary", "series": "x"}));
    let r = s.post_json("/jobs", &json!({"kind": "summary", "series": "x"}));
    let v = r.expect_error(503, None);
    assert_eq!(v["error"]["code"], "queue_full", "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("TSFN_MAX_QUEUED_JOBS"), "{message}");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1, "{retry}");
    s.post_json("/jobs", &json!({"kind": "nope", "series": "x"}))
        .expect_error(400, Some("kind"));
    assert_eq!(listed_jobs(&s, "", 10).len(), 2, "nothing was queued");
    s.delete(&format!("/jobs/{first}")).expect(204);
    submit(&s, json!({"kind": "summary", "series": "x"}));
    assert_eq!(listed_jobs(&s, "&status=queued", 10).len(), 2);
    s.post_json("/jobs", &json!({"kind": "summary", "series": "x"}))
        .expect_error(503, None);
}

/// A series' `retention`: stored and shown with its metadata, validated (400 naming
/// `retention`, nothing written), and the sweep deletes exactly the points older than now minus
/// the retention, keeping counts exact; a series without retention keeps everything.
pub fn series_retention(start: Start) {
    let s = start(&[("TSFN_SWEEP_INTERVAL", "200ms")]);
    let now = now_ms() / 1000;
    let day = 86_400;
    let old = [(now - 40 * day, 1.0), (now - 31 * day, 2.0)];
    let new = [(now - 29 * day, 3.0), (now - day, 4.0), (now - 3600, 5.0)];
    let all: Vec<(i64, f64)> = old.iter().chain(&new).copied().collect();
    s.write("kept", &all);
    s.write("trimmed", &all);
    for bad in [json!("30x"), json!("0s"), json!(30), json!("")] {
        let v = s
            .put_json(
                "/series/trimmed",
                &json!({"unit": "W", "retention": bad.clone()}),
            )
            .expect_error(400, Some("retention"));
        assert!(v["error"]["message"].is_string(), "{bad}: {v}");
    }
    let v = s.get("/series/trimmed").expect(200);
    assert_eq!(v["unit"], "", "a rejected PUT writes nothing");
    assert_eq!(v["retention"], Value::Null);
    assert_eq!(v["count"], 5);
    let v = s
        .put_json(
            "/series/trimmed",
            &json!({"unit": "W", "retention": "720h"}),
        )
        .expect(200);
    assert_eq!(v["retention"], "30d", "{v}");
    let listed = s.get("/series").expect(200);
    let row = listed["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "trimmed")
        .unwrap()
        .clone();
    assert_eq!(row["retention"], "30d");
    eventually(
        std::time::Duration::from_secs(60),
        "the sweep to apply the retention",
        || {
            let v = s.get("/series/trimmed").expect(200);
            (v["count"] == 3).then_some(()).ok_or(v)
        },
    );
    let want: Vec<(String, f64)> = new.iter().map(|&(t, v)| (rfc(t), v)).collect();
    assert_eq!(all_points(&s, "trimmed"), want);
    let v = s.get("/series/trimmed").expect(200);
    assert_eq!(v["first"], rfc(new[0].0));
    assert_eq!(v["unit"], "W");
    let kept: Vec<(String, f64)> = all.iter().map(|&(t, v)| (rfc(t), v)).collect();
    assert_eq!(all_points(&s, "kept"), kept);
    assert_eq!(s.get("/series/kept").expect(200)["retention"], Value::Null);
    // Points written past the retention later go at a later sweep.
    s.write("trimmed", &old);
    eventually(
        std::time::Duration::from_secs(60),
        "the sweep to remove points written past the retention",
        || {
            let v = s.get("/series/trimmed").expect(200);
            (v["count"] == 3).then_some(()).ok_or(v)
        },
    );
    // PUT replaces the metadata: without `retention`, the series keeps every point again.
    let v = s
        .put_json("/series/trimmed", &json!({"unit": "W"}))
        .expect(200);
    assert_eq!(v["retention"], Value::Null);
    assert_eq!(
        s.get("/series/trimmed").expect(200)["retention"],
        Value::Null
    );
}

// ---- exactness ----

/// Deterministic pseudo-random numbers (xorshift64*), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Finite doubles that are hard to carry exactly: the edges of the range, subnormals, -0.0,
/// values whose shortest form has 17 digits, random bit patterns across every exponent, and
/// random walks with 4 decimals as sensors write them.
fn hard_doubles(n: usize, seed: u64) -> Vec<f64> {
    let mut out = vec![
        5e-324,
        -5e-324,
        2.2250738585072014e-308,
        2.225073858507201e-308,
        1.7976931348623157e308,
        -1.7976931348623157e308,
        -0.0,
        0.0,
        -13.567285807021179,
        123456789.12345679,
        1e-131,
        1e300,
        -1e300,
        1e126,
        1e-200,
        0.1,
        1.0 / 3.0,
        9007199254740993.0,
        f64::EPSILON,
    ];
    let mut rng = Rng(seed);
    let mut walk = 20.0f64;
    while out.len() < n {
        let r = rng.next();
        let v = match r % 3 {
            0 => f64::from_bits(rng.next()),
            1 => {
                (rng.next() >> 11) as f64 / (1u64 << 53) as f64
                    * 10f64.powi((r >> 8) as i32 % 40 - 20)
            }
            _ => {
                walk += ((rng.next() % 2001) as f64 - 1000.0) / 10_000.0;
                (walk * 10_000.0).round() / 10_000.0
            }
        };
        if v.is_finite() {
            out.push(v);
        }
    }
    out
}

/// Every value of `series` in time order, read page by page.
fn all_values(s: &Server, series: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let mut path = format!("/series/{series}/points?limit=10000");
    loop {
        let page = s.get(&path).expect(200);
        for p in page["points"].as_array().unwrap() {
            let v = p["v"]
                .as_f64()
                .unwrap_or_else(|| panic!("value is not a number: {p}"));
            out.push((p["t"].as_str().unwrap().to_owned(), v));
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/series/{series}/points?limit=10000&cursor={c}"),
            None => return out,
        }
    }
}

#[track_caller]
fn assert_bits(got: &[(String, f64)], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: point count");
    for (i, ((t, g), w)) in got.iter().zip(want).enumerate() {
        assert_eq!(
            g.to_bits(),
            w.to_bits(),
            "{what}: point {i} at {t}: wrote {w:e}, read back {g:e}"
        );
    }
}

/// Every finite double comes back bit for bit, whichever format wrote it (issue: JSON lost the
/// last digit of one double in ten; DynamoDB could not hold values outside its number range).
pub fn values_round_trip_bit_for_bit(s: &Server) {
    let n = 1500;
    let values = hard_doubles(n, 0x9e37_79b9_7f4a_7c15);
    let t = |i: usize| 1_700_000_000 + i as i64;
    let formats: [(&str, &str, String); 5] = [
        (
            "json-objects",
            "application/json",
            serde_json::to_string(
                &values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| json!({"t": t(i), "v": v}))
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
        ),
        (
            "json-pairs",
            "application/json",
            serde_json::to_string(
                &values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| json!([t(i), v]))
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
        ),
        (
            "ndjson",
            "application/x-ndjson",
            values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{}\n", json!({"t": t(i), "v": v})))
                .collect(),
        ),
        (
            // Plain decimals (5e-324 as 324 digits) and exponent form, alternately.
            "csv",
            "text/csv",
            std::iter::once("t,v\n".to_owned())
                .chain(values.iter().enumerate().map(|(i, v)| {
                    if i % 2 == 0 {
                        format!("{},{v}\n", t(i))
                    } else {
                        format!("{},{v:e}\n", t(i))
                    }
                }))
                .collect(),
        ),
        (
            // Hand-written JSON numbers in exponent form, which serializers also emit.
            "json-exponents",
            "application/json",
            format!(
                "[{}]",
                values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("[{},{v:e}]", t(i)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ),
    ];
    for (name, ct, body) in formats {
        let series = format!("exact.{name}");
        let r = s.send("POST", &format!("/series/{series}/points"), Some(ct), body);
        assert_eq!(r.status, 201, "{name}: {}", r.text());
        assert_bits(&all_values(s, &series), &values, name);
    }
    // One point at a time, and each read back on its own.
    for (i, v) in values.iter().take(40).enumerate() {
        s.put_json(
            &format!("/series/exact.single/points/{}", t(i)),
            &json!({"v": v}),
        )
        .expect(200);
        let got = s
            .get(&format!("/series/exact.single/points/{}", t(i)))
            .expect(200);
        assert_eq!(
            got["v"].as_f64().unwrap().to_bits(),
            v.to_bits(),
            "single {v:e}"
        );
    }
    // Statistics over values that reach the edges stay finite where they are defined.
    let stats = s.get("/series/exact.csv/stats").expect(200);
    assert_eq!(stats["max"].as_f64().unwrap(), 1.7976931348623157e308);
    assert_eq!(stats["min"].as_f64().unwrap(), -1.7976931348623157e308);
}

/// Fractional epoch seconds are read from their digits: 1.001 s is 1001 ms, in every place a
/// timestamp is accepted (issue: 1.001 became 1000 ms and 1.005 became 1004 ms).
pub fn fractional_epochs_exact(s: &Server) {
    let want = |ms: i64| tsfn_shared::time::format(ms);
    s.send("POST", "/series/frac.json/points", Some("application/json"),
        r#"[[1.001, 1], ["1.005", 2], {"t": 1.005, "v": 3.5}, [1.7e0, 4], [2.0049999, 5], [-1.001, 6], ["1700000000.123", 7], [1700000000123.9, 8]]"#)
        .expect(201);
    let got: Vec<String> = all_values(s, "frac.json")
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        got,
        [-1001, 1001, 1005, 1700, 2004, 1_700_000_000_123]
            .map(want)
            .to_vec(),
        "JSON body"
    );
    s.send(
        "POST",
        "/series/frac.ndjson/points",
        Some("application/x-ndjson"),
        "{\"t\":1.001,\"v\":1}\n{\"t\":\"0.29\",\"v\":2}\n{\"t\":1714521600.001,\"v\":3}\n",
    )
    .expect(201);
    let got: Vec<String> = all_values(s, "frac.ndjson")
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        got,
        [290, 1001, 1_714_521_600_001].map(want).to_vec(),
        "NDJSON body"
    );
    s.send(
        "POST",
        "/series/frac.csv/points",
        Some("text/csv"),
        "t,v\n1.001,1\n\"1.005\",2\n1714521600.999,3\n-0.0005,4\n",
    )
    .expect(201);
    let got: Vec<String> = all_values(s, "frac.csv")
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        got,
        [-1, 1001, 1005, 1_714_521_600_999].map(want).to_vec(),
        "CSV body"
    );
    // The `{t}` path part, and `from`/`to` in queries.
    s.put_json("/series/frac.path/points/1.005", &json!({"v": 1}))
        .expect(200);
    s.put_json("/series/frac.path/points/1.001", &json!({"v": 2}))
        .expect(200);
    assert_eq!(
        s.get("/series/frac.path/points/1970-01-01T00:00:01.005Z")
            .expect(200)["v"],
        1.0
    );
    assert_eq!(
        s.get("/series/frac.path/points/1.001").expect(200)["t"],
        want(1001)
    );
    let page = s
        .get("/series/frac.path/points?from=1.002&to=1.006")
        .expect(200);
    assert_eq!(page["points"], json!([{"t": want(1005), "v": 1.0}]));
    let page = s
        .get("/series/frac.path/points?from=1.001&to=1.005")
        .expect(200);
    assert_eq!(page["points"], json!([{"t": want(1001), "v": 2.0}]));
    // A job's `from` and `to` as epoch numbers with fractions, and the other epoch units.
    let job = s
        .post_json(
            "/jobs",
            &json!({"kind": "summary", "series": "frac.path", "from": 1.001, "to": "1.006"}),
        )
        .expect(202);
    assert_eq!(
        (job["from"].as_str(), job["to"].as_str()),
        (Some(want(1001).as_str()), Some(want(1006).as_str()))
    );
    s.send(
        "POST",
        "/series/frac.units/points",
        Some("text/csv"),
        "t,v
1714521600123.9,1
1714521600124999.9,2
1.7145216001259999e18,3
1.714521600127e9,4
",
    )
    .expect(201);
    let got: Vec<String> = all_values(s, "frac.units")
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        got,
        [
            1_714_521_600_123,
            1_714_521_600_124,
            1_714_521_600_125,
            1_714_521_600_127
        ]
        .map(want)
        .to_vec(),
        "ms, us and ns with fractions, seconds in exponent form"
    );
}

/// A timestamp tsfn prints is RFC 3339 in years 0000-9999: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
#[track_caller]
fn assert_rfc3339(t: &str) {
    let b = t.as_bytes();
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];
    assert!(
        b.len() == 24
            && digits.iter().all(|&i| b[i].is_ascii_digit())
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'.'
            && b[23] == b'Z',
        "not an RFC 3339 timestamp: {t:?}"
    );
}

/// Buckets never start outside years 0000-9999: a width whose epoch-aligned bucket would is a
/// 400 naming `every` (issue: year 0000 with every=1w printed "000/-12-30T...").
pub fn buckets_stay_in_range(s: &Server) {
    s.put_json("/series/edge/points/0000-01-01T00:00:00Z", &json!({"v": 1}))
        .expect(200);
    s.put_json(
        "/series/edge/points/0000-01-01T12:00:00.5Z",
        &json!({"v": 2}),
    )
    .expect(200);
    s.put_json(
        "/series/edge/points/9999-12-31T23:59:59.999Z",
        &json!({"v": 4}),
    )
    .expect(200);
    for every in [
        "1w",
        "1000000d",
        "7h",
        "9223372036854775807ms",
        "999999999999w",
    ] {
        let e = s
            .get(&format!("/series/edge/points?every={every}&agg=sum"))
            .expect_error(400, Some("every"));
        assert!(
            !e["error"]["message"].as_str().unwrap().contains("ms ms"),
            "{e}"
        );
    }
    // Widths that divide a day start every bucket on a day boundary, inside the range.
    for every in ["1d", "1h", "500ms"] {
        for order in ["asc", "desc"] {
            let page = s
                .get(&format!(
                    "/series/edge/points?every={every}&agg=sum&order={order}"
                ))
                .expect(200);
            let pts = page["points"].as_array().unwrap();
            assert!(pts.len() >= 2, "{page}");
            for p in pts {
                assert_rfc3339(p["t"].as_str().unwrap());
            }
        }
    }
    let page = s.get("/series/edge/points?every=1d&agg=sum").expect(200);
    assert_eq!(
        page["points"][0],
        json!({"t": "0000-01-01T00:00:00.000Z", "v": 3.0})
    );
    assert_eq!(page["points"][1]["t"], "9999-12-31T00:00:00.000Z");
    // The range in time stays as it was: a query over the last millisecond.
    let page = s
        .get("/series/edge/points?from=9999-12-31T23:59:59.999Z&every=1w&agg=sum")
        .expect(200);
    assert_eq!(page["points"][0]["t"], "9999-12-30T00:00:00.000Z");
    // A cursor cannot carry a time outside the range (it is only ever issued inside it).
    for raw in [
        "a:-9223372036854775808",
        "d:-9223372036854775808",
        "a:9223372036854775807",
    ] {
        use base64::Engine;
        let c = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        s.get(&format!(
            "/series/edge/points?cursor={c}&order={}",
            if raw.starts_with('a') { "asc" } else { "desc" }
        ))
        .expect_error(400, Some("cursor"));
    }
    // A resample job checks the same: it fails saying why, or succeeds with valid times.
    let id = submit(
        s,
        json!({"kind": "resample", "series": "edge", "params": {"every": "1w"}}),
    );
    let job = wait_job(s, &id);
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["error"].to_string().contains("every"), "{job}");
    let id = submit(
        s,
        json!({"kind": "resample", "series": "edge", "params": {"every": "1d", "agg": "sum"}}),
    );
    assert_eq!(wait_job(s, &id)["status"], "succeeded");
    let result = s.get(&format!("/jobs/{id}/result")).expect(200);
    assert_eq!(
        result["points"][0],
        json!({"t": "0000-01-01T00:00:00.000Z", "v": 3.0})
    );
    for p in result["points"].as_array().unwrap() {
        assert_rfc3339(p["t"].as_str().unwrap());
    }
}

/// Bodies that fail validation write nothing, whatever the format and wherever the bad point
/// is; values that are merely extreme are not rejected on any store.
pub fn rejected_bodies_write_nothing(s: &Server) {
    let good: Vec<Value> = (0..200)
        .map(|i| json!([1_700_000_000 + i, i as f64 * 1e300]))
        .collect();
    for (i, bad) in ["1e999", "\"x\"", "null", "true"].iter().enumerate() {
        let mut body: Vec<String> = good.iter().map(|p| p.to_string()).collect();
        body.insert(37 + i * 40, format!("[1800000000,{bad}]"));
        let series = format!("reject{i}");
        s.send(
            "POST",
            &format!("/series/{series}/points"),
            Some("application/json"),
            format!("[{}]", body.join(",")),
        )
        .expect_error(400, Some(&format!("points[{}]", 37 + i * 40)));
        let nd: String = body
            .iter()
            .map(|p| {
                let a: Value = serde_json::from_str(p).unwrap_or(Value::Null);
                if a.is_null() {
                    format!("{{\"t\":1800000000,\"v\":{bad}}}\n")
                } else {
                    format!("{{\"t\":{},\"v\":{}}}\n", a[0], a[1])
                }
            })
            .collect();
        s.send(
            "POST",
            &format!("/series/{series}/points"),
            Some("application/x-ndjson"),
            nd,
        )
        .expect_error(400, Some(&format!("line {}", 38 + i * 40)));
        s.get(&format!("/series/{series}")).expect_error(404, None);
    }
    for bad in ["1e999", "-1e400"] {
        s.send(
            "PUT",
            "/series/reject9/points/1",
            Some("application/json"),
            format!("{{\"v\": {bad}}}"),
        )
        .expect_error(400, Some("v"));
    }
    s.get("/series/reject9").expect_error(404, None);
    // The same body without the bad point is stored whole.
    s.post_json("/series/reject0/points", &Value::Array(good.clone()))
        .expect(201);
    assert_eq!(s.get("/series/reject0").expect(200)["count"], 200);
}

/// Sixteen bodies writing the same timestamps at once: every point holds a value one of them
/// wrote (last writer wins per point), none is lost; on SQLite and Redis each body is also
/// applied whole, so every point holds the same writer's value.
pub fn concurrent_writers_last_wins_per_point(s: &Server) {
    let n = 300;
    std::thread::scope(|scope| {
        for w in 0..16 {
            scope.spawn(move || {
                let body: Vec<Value> = (0..n)
                    .map(|i| json!([1_700_000_000 + i, w as f64 + i as f64 / 1000.0]))
                    .collect();
                let r = s.post_json("/series/race/points", &Value::Array(body));
                assert!(
                    r.status == 200 || r.status == 201,
                    "writer {w}: {}",
                    r.text()
                );
            });
        }
    });
    let got = all_values(s, "race");
    assert_eq!(got.len(), n as usize);
    let writers: Vec<i64> = got
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            let w = (v - i as f64 / 1000.0).round();
            assert!(
                (0.0..16.0).contains(&w) && (w + i as f64 / 1000.0) == *v,
                "point {i}: {v}"
            );
            w as i64
        })
        .collect();
    if !s.store.starts_with("dynamodb://") {
        assert!(
            writers.iter().all(|w| *w == writers[0]),
            "bodies interleaved: {writers:?}"
        );
    }
}

/// `updated` is when the metadata was last written: point writes and deletes leave it alone.
pub fn updated_tracks_metadata(s: &Server) {
    let v = s
        .put_json("/series/upd", &json!({"name": "first"}))
        .expect(201);
    let (created, updated) = (v["created"].clone(), v["updated"].clone());
    assert_eq!(created, updated);
    std::thread::sleep(std::time::Duration::from_millis(5));
    s.write("upd", &[(1, 1.0), (2, 2.0)]);
    s.delete("/series/upd/points?from=2").expect(200);
    s.put_json("/series/upd/points/3", &json!({"v": 3}))
        .expect(200);
    s.delete("/series/upd/points/3").expect(204);
    let v = s.get("/series/upd").expect(200);
    assert_eq!((&v["created"], &v["updated"]), (&created, &updated), "{v}");
    assert_eq!(v["count"], 1);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let v = s
        .put_json("/series/upd", &json!({"name": "second"}))
        .expect(200);
    assert_eq!(v["created"], created);
    assert!(
        v["updated"].as_str().unwrap() > updated.as_str().unwrap(),
        "{v}"
    );
    // A series created by a point write: created and updated are that write.
    s.write("upd2", &[(1, 1.0)]);
    let v = s.get("/series/upd2").expect(200);
    assert_eq!(v["created"], v["updated"]);
}

/// A body that must be an object rejects every other JSON value, naming `body`, and stores
/// nothing (serde would otherwise read `["n","u","d",{}]` as name, unit, description, labels).
pub fn bodies_must_be_objects(s: &Server) {
    let not_objects = [
        r#"["n","u","d",{}]"#,
        "[1]",
        "[1,2]",
        "[]",
        r#""x""#,
        "5",
        "true",
        "null",
    ];
    for body in not_objects {
        for path in ["/series/x", "/series/x/points/2024-05-01", "/jobs"] {
            let method = if path == "/jobs" { "POST" } else { "PUT" };
            let v = s
                .send(method, path, Some("application/json"), body)
                .expect_error(400, Some("body"));
            let msg = v["error"]["message"].as_str().unwrap();
            assert!(msg.contains("JSON object"), "{method} {path} {body}: {v}");
        }
    }
    s.get("/series/x").expect_error(404, None);
    assert_eq!(s.get("/jobs").expect(200)["jobs"], json!([]));
    // Objects still work, with the point's series created on the way.
    s.put_json("/series/x/points/2024-05-01", &json!({"v": 1}))
        .expect(200);
    assert_eq!(s.get("/series/x/points/2024-05-01").expect(200)["v"], 1.0);
    s.put_json("/series/x", &json!({"name": "n"})).expect(200);
}

/// Words that show a client the implementation instead of what to send.
const RUST_WORDS: &[&str] = &[
    "OneOrMany",
    "Stamp",
    "enum",
    "struct",
    "variant",
    "u32",
    "u64",
    "usize",
    "i64",
    "i128",
    "f64",
    "sequence",
    "map",
    "unit value",
    "Option",
    "Value",
];

/// A field of the wrong type, anywhere a JSON body is read, is a 400 naming that field in a
/// message that says what was expected in a user's words.
pub fn wrong_types_name_the_field(s: &Server) {
    s.write("a", &[(1, 1.0)]);
    s.write("b", &[(1, 1.0)]);
    // (body, field, words the message must hold)
    let meta = [
        (r#"{"name": 5}"#, "name", "must be a string, got 5"),
        (r#"{"name": null}"#, "name", "must be a string, got null"),
        (r#"{"unit": ["a"]}"#, "unit", "must be a string, got a list"),
        (
            r#"{"description": {}}"#,
            "description",
            "must be a string, got an object",
        ),
        (
            r#"{"labels": ["a"]}"#,
            "labels",
            "must be a JSON object, got a list",
        ),
        (r#"{"labels": "a"}"#, "labels", "must be a JSON object"),
        (
            r#"{"labels": {"k": 1}}"#,
            "labels.k",
            "must be a string, got 1",
        ),
    ];
    let point = [
        (r#"{"v": "1"}"#, "v", r#"must be a number, got "1""#),
        (r#"{"v": true}"#, "v", "must be a number, got true"),
        (r#"{"v": null}"#, "v", "must be a number, got null"),
        (r#"{"v": [1]}"#, "v", "must be a number, got a list"),
    ];
    let job = [
        (r#"{"kind": 5, "series": "a"}"#, "kind", "got 5"),
        (r#"{"kind": ["plot"], "series": "a"}"#, "kind", "got a list"),
        (r#"{"kind": "summary", "series": 5}"#, "series", "got 5"),
        (r#"{"kind": "summary", "series": [5]}"#, "series", "got 5"),
        (
            r#"{"kind": "summary", "series": {}}"#,
            "series",
            "got an object",
        ),
        (
            r#"{"kind": "summary", "series": "a", "from": true}"#,
            "from",
            "got true",
        ),
        (
            r#"{"kind": "summary", "series": "a", "to": []}"#,
            "to",
            "got a list",
        ),
        (
            r#"{"kind": "summary", "series": "a", "params": "x"}"#,
            "params",
            r#"got "x""#,
        ),
    ];
    // (kind, params, param, words the message must hold)
    let params = [
        (
            "plot",
            r#"{"format": 5}"#,
            "format",
            "must be a string, got 5",
        ),
        ("plot", r#"{"format": ["svg"]}"#, "format", "got a list"),
        (
            "plot",
            r#"{"format": "gif"}"#,
            "format",
            "must be `png` or `svg`",
        ),
        (
            "plot",
            r#"{"width": "800"}"#,
            "width",
            r#"must be a whole number, got "800""#,
        ),
        ("plot", r#"{"width": -5}"#, "width", "from 200 to 4000"),
        (
            "plot",
            r#"{"height": 1.5}"#,
            "height",
            "must be a whole number, got 1.5",
        ),
        (
            "plot",
            r#"{"title": 5}"#,
            "title",
            "must be a string, got 5",
        ),
        (
            "plot",
            r#"{"title": ["t"]}"#,
            "title",
            "must be a string, got a list",
        ),
        (
            "histogram",
            r#"{"bins": "5"}"#,
            "bins",
            "must be a whole number",
        ),
        (
            "histogram",
            r#"{"bins": 1e20}"#,
            "bins",
            "must be a whole number",
        ),
        (
            "histogram",
            r#"{"bins": 99999999999}"#,
            "bins",
            "from 1 to 1000",
        ),
        (
            "histogram",
            r#"{"min": "0"}"#,
            "min",
            r#"must be a number, got "0""#,
        ),
        (
            "histogram",
            r#"{"max": true}"#,
            "max",
            "must be a number, got true",
        ),
        (
            "rolling",
            r#"{"window": 2.5}"#,
            "window",
            "must be a whole number",
        ),
        ("rolling", r#"{"window": -1}"#, "window", "from 2 to 10000"),
        (
            "rolling",
            r#"{"stat": 5}"#,
            "stat",
            "must be a string, got 5",
        ),
        ("rolling", r#"{"stat": "mode"}"#, "stat", "`median`"),
        (
            "resample",
            r#"{"every": 5}"#,
            "every",
            "must be a string, got 5",
        ),
        (
            "resample",
            r#"{"every": "1h", "agg": ["sum"]}"#,
            "agg",
            "got a list",
        ),
        (
            "anomalies",
            r#"{"window": "30"}"#,
            "window",
            "must be a whole number",
        ),
        (
            "anomalies",
            r#"{"threshold": "3"}"#,
            "threshold",
            "must be a number",
        ),
        (
            "correlation",
            r#"{"every": 3600}"#,
            "every",
            "must be a string, got 3600",
        ),
        (
            "correlation",
            r#"{"agg": null}"#,
            "agg",
            "must be a string, got null",
        ),
        ("summary", r#"{"bins": 3}"#, "bins", "unknown field `bins`"),
        (
            "trend",
            r#"{"degree": "2"}"#,
            "degree",
            "unknown field `degree`",
        ),
    ];
    // (path, body, field, words)
    let mut cases: Vec<(&str, String, String, &str)> = Vec::new();
    for (path, table) in [
        ("/series/tx", &meta[..]),
        ("/series/tx/points/2024-05-01", &point[..]),
        ("/jobs", &job[..]),
    ] {
        for &(body, field, want) in table {
            cases.push((path, body.to_owned(), field.to_owned(), want));
        }
    }
    for (kind, p, param, want) in params {
        let series = if kind == "correlation" {
            r#"["a", "b"]"#
        } else {
            r#""a""#
        };
        let body = format!(r#"{{"kind": "{kind}", "series": {series}, "params": {p}}}"#);
        cases.push(("/jobs", body, format!("params.{param}"), want));
    }
    for (path, body, field, want) in cases {
        let method = if path == "/jobs" { "POST" } else { "PUT" };
        let r = s.send(method, path, Some("application/json"), body.clone());
        let v = r.expect_error(400, Some(&field));
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains(want), "{path} {body}: {msg:?} lacks {want:?}");
        for w in RUST_WORDS {
            assert!(!msg.contains(w), "{path} {body}: {msg:?} mentions {w:?}");
        }
    }
    // Nothing was stored by the rejected requests.
    s.get("/series/tx").expect_error(404, None);
    assert_eq!(s.get("/jobs").expect(200)["jobs"], json!([]));
}

/// Histogram bins as the guide describes them: equal values get one bin of width 1 centred on
/// them, and bin edges are numbers (never null) even when `max - min` overflows.
pub fn histogram_edges(s: &Server) {
    s.write(
        "same",
        &(0..30).map(|i| (1_000 + i, 5.0)).collect::<Vec<_>>(),
    );
    let (_, r) = run_job(s, json!({"kind": "histogram", "series": "same"}));
    let v = r.json();
    assert_eq!(
        v["bins"],
        json!([{"lo": 4.5, "hi": 5.5, "count": 30}]),
        "{v}"
    );
    assert_eq!(
        (v["min"].clone(), v["max"].clone()),
        (json!(4.5), json!(5.5))
    );
    let edges_are_numbers = |v: &Value| {
        let bins = v["bins"].as_array().unwrap();
        for b in bins {
            assert!(b["lo"].is_f64() && b["hi"].is_f64(), "{v}");
        }
        for w in bins.windows(2) {
            assert_eq!(w[0]["hi"], w[1]["lo"], "{v}");
            assert!(w[0]["lo"].as_f64() < w[1]["lo"].as_f64(), "{v}");
        }
        bins.iter()
            .map(|b| b["count"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    let (_, r) = run_job(
        s,
        json!({"kind": "histogram", "series": "same", "params": {"min": -1.7e308, "max": 1.7e308}}),
    );
    let v = r.json();
    let counts = edges_are_numbers(&v);
    assert_eq!(counts.len(), 20);
    // The middle edge is 0, so the values (5) are all in bin 10.
    assert_eq!(counts[10], 30, "{v}");
    assert_eq!(v["bins"][0]["lo"], -1.7e308);
    assert_eq!(v["bins"][19]["hi"], 1.7e308);
    // The data's own range that wide.
    s.write("wide", &[(1, -1.7e308), (2, 0.0), (3, 1.7e308)]);
    let (_, r) = run_job(
        s,
        json!({"kind": "histogram", "series": "wide", "params": {"bins": 4}}),
    );
    let v = r.json();
    assert_eq!(edges_are_numbers(&v), [1, 0, 1, 1], "{v}");
}

/// Any title, name or unit makes a well-formed SVG: XML forbids most control characters.
pub fn svg_text_is_xml(s: &Server) {
    s.write("ctl", &[(1, 1.0), (2, 2.0), (3, 1.5)]);
    s.write("ctl2", &[(1, 2.0), (2, 1.0)]);
    s.put_json(
        "/series/ctl",
        &json!({"name": "na\u{1}me\u{0}", "unit": "u\u{1b}[0m"}),
    )
    .expect(200);
    s.put_json("/series/ctl2", &json!({"unit": "m"}))
        .expect(200);
    let (job, r) = run_job(
        s,
        json!({"kind": "plot", "series": ["ctl", "ctl2"], "params": {"format": "svg", "title": "a\u{0}b\u{1}c\t<&>\u{ffff}"}}),
    );
    assert_eq!(job["params"]["title"], "a\u{0}b\u{1}c\t<&>\u{ffff}");
    let text = r.text();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("the SVG is not well-formed XML: {e}"));
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    for want in ["abc <&>", "name (u[0m)"] {
        assert!(
            texts.iter().any(|t| t.contains(want)),
            "{want:?} not in {texts:?}"
        );
    }
}

/// The params recorded on a job (in the submit answer and the record) have every default
/// filled in, for every kind; a plot's default title is recorded, and drawn.
pub fn job_params_record_defaults(s: &Server) {
    s.write("pa", &[(1, 1.0), (3_600, 2.0), (7_200, 3.0)]);
    s.write("pb", &[(1, 2.0), (3_600, 1.0), (7_200, 0.0)]);
    let cases = [
        (
            json!({"kind": "plot", "series": ["pa", "pb"]}),
            json!({"format": "png", "width": 1200, "height": 600, "title": "pa, pb"}),
        ),
        (
            json!({"kind": "plot", "series": "pa", "params": {"format": "svg", "width": 800}}),
            json!({"format": "svg", "width": 800, "height": 600, "title": "pa"}),
        ),
        (json!({"kind": "summary", "series": "pa"}), json!({})),
        (
            json!({"kind": "histogram", "series": "pa"}),
            json!({"bins": 20, "min": null, "max": null}),
        ),
        (
            json!({"kind": "rolling", "series": "pa", "params": {}}),
            json!({"window": 10, "stat": "mean"}),
        ),
        (
            json!({"kind": "resample", "series": "pa", "params": {"every": "1h"}}),
            json!({"every": "1h", "agg": "mean"}),
        ),
        (json!({"kind": "trend", "series": "pa"}), json!({})),
        (
            json!({"kind": "anomalies", "series": "pa", "params": null}),
            json!({"window": 50, "threshold": 3.5}),
        ),
        (
            json!({"kind": "correlation", "series": ["pa", "pb"]}),
            json!({"every": "1h", "agg": "mean"}),
        ),
    ];
    let mut svg_job = None;
    for (body, want) in cases {
        let r = s.post_json("/jobs", &body);
        let v = r.expect(202);
        assert_eq!(v["params"], want, "submit answer for {body}");
        let id = v["id"].as_str().unwrap().to_owned();
        let job = wait_job(s, &id);
        assert_eq!(job["params"], want, "record of {body}");
        if want["format"] == "svg" {
            svg_job = Some(id);
        }
    }
    // The recorded default title is the one drawn.
    let r = s.get(&format!("/jobs/{}/result", svg_job.unwrap()));
    let doc = roxmltree::Document::parse(std::str::from_utf8(&r.body).unwrap()).unwrap();
    assert!(
        doc.descendants()
            .any(|n| n.text().is_some_and(|t| t.trim() == "pa")),
        "the SVG has no title text \"pa\""
    );
    // Eight ids of 128 characters make a default title over the 200-character limit: it is
    // recorded cut to 200, and the job (read back from the store) still runs.
    let ids: Vec<String> = (0..8).map(|i| format!("{i}{}", "x".repeat(127))).collect();
    for id in &ids {
        s.put_json(&format!("/series/{id}"), &json!({})).expect(201);
    }
    let (job, _) = run_job(
        s,
        json!({"kind": "plot", "series": ids, "params": {"format": "svg"}}),
    );
    let title = job["params"]["title"].as_str().unwrap();
    assert_eq!(title.chars().count(), 200, "{title}");
    assert!(
        title.starts_with(&format!("{}, 1x", ids[0])) && title.ends_with('…'),
        "{title}"
    );
}

/// What `max_points` must answer, computed from the points written: `n/2` equal buckets from
/// `lo`, each its least and greatest point (the earliest of equal values), in time order.
fn drawn(points: &[(i64, f64)], lo: i64, hi: i64, max_points: i64) -> (i64, Vec<(i64, f64)>) {
    let buckets = (max_points / 2).max(1);
    let width = ((hi - lo + buckets - 1) / buckets).max(1);
    let mut out: Vec<(i64, f64)> = Vec::new();
    let inside: Vec<(i64, f64)> = points
        .iter()
        .copied()
        .filter(|&(t, _)| lo <= t && t < hi)
        .collect();
    for run in inside.chunk_by(|a, b| (a.0 - lo) / width == (b.0 - lo) / width) {
        let mut min = run[0];
        let mut max = run[0];
        for &p in run {
            if p.1 < min.1 {
                min = p;
            }
            if p.1 > max.1 {
                max = p;
            }
        }
        match min.0.cmp(&max.0) {
            std::cmp::Ordering::Less => out.extend([min, max]),
            std::cmp::Ordering::Equal => out.push(min),
            std::cmp::Ordering::Greater => out.extend([max, min]),
        }
    }
    (width, out)
}

/// `max_points`: the least and greatest point of each of `max_points/2` buckets, exactly, whether
/// a bucket holds whole chunks (read from their headers), parts of chunks or no point; every
/// point at deep zoom; the bounds drawn in the answer.
pub fn drawing_queries(s: &Server) {
    // 5,000 points 1 s apart over several chunks; values repeat (ties) and two spikes.
    let pts: Vec<(i64, f64)> = (0..5_000i64)
        .map(|i| {
            let v = match i {
                1_700 => 1e6,
                3_333 => -1e6,
                _ => ((i * 7_919) % 1_000) as f64 / 10.0 - 50.0,
            };
            (i * 1_000, v)
        })
        .collect();
    let secs: Vec<(i64, f64)> = pts.iter().map(|&(t, v)| (t / 1_000, v)).collect();
    s.write("draw", &secs);
    let ms = |t: i64| tsfn_shared::time::format(t);
    let check = |query: &str, lo: i64, hi: i64, n: i64| {
        let v = s.get(&format!("/series/draw/points?{query}")).expect(200);
        let (width, want) = drawn(&pts, lo, hi, n);
        assert_eq!(v["max_points"], n, "{query}");
        assert_eq!(v["bucket_ms"], width, "{query}");
        assert_eq!(v["from"], ms(lo), "{query}");
        assert_eq!(v["to"], ms(hi), "{query}");
        assert_eq!(v["next_cursor"], Value::Null, "{query}");
        let got = v["points"].as_array().unwrap();
        assert!(got.len() <= n as usize, "{query}: {} points", got.len());
        let want: Vec<Value> = want
            .iter()
            .map(|&(t, v)| json!({"t": ms(t), "v": v}))
            .collect();
        assert_eq!(got, &want, "{query}");
    };
    // The whole series (bounds from its first and last point): two buckets of 2,500 s, the
    // first holding two whole chunks, and both spikes found.
    check("max_points=4", 0, 4_999_001, 4);
    check("max_points=5", 0, 4_999_001, 5);
    check("max_points=200", 0, 4_999_001, 200);
    check("max_points=2000", 0, 4_999_001, 2000);
    // A range cut inside chunks, open at one end.
    check(
        &format!("from={}&to={}&max_points=6", rfc(1_500), rfc(4_200)),
        1_500_000,
        4_200_000,
        6,
    );
    check(
        &format!("from={}&max_points=10", rfc(3_000)),
        3_000_000,
        4_999_001,
        10,
    );
    check(
        &format!("to={}&max_points=10", rfc(2_000)),
        0,
        2_000_000,
        10,
    );
    // Deep zoom: buckets narrower than the spacing give every point of the range.
    let v = s
        .get(&format!(
            "/series/draw/points?from={}&to={}&max_points=100",
            rfc(100),
            rfc(120)
        ))
        .expect(200);
    assert_eq!(v["points"].as_array().unwrap().len(), 20);
    assert_eq!(v["bucket_ms"], 400);
    check(
        &format!("from={}&to={}&max_points=100", rfc(100), rfc(120)),
        100_000,
        120_000,
        100,
    );
    // Nothing in the range: no points, and nothing drawn when the bounds come from the series.
    let v = s
        .get(&format!(
            "/series/draw/points?from={}&to={}&max_points=10",
            rfc(9_000),
            rfc(9_100)
        ))
        .expect(200);
    assert_eq!(v["points"], json!([]));
    let v = s
        .get(&format!(
            "/series/draw/points?from={}&max_points=10",
            rfc(9_000)
        ))
        .expect(200);
    assert_eq!(
        (&v["points"], &v["from"], &v["to"]),
        (&json!([]), &Value::Null, &Value::Null)
    );
    s.put_json("/series/draw-empty", &json!({})).expect(201);
    let v = s.get("/series/draw-empty/points?max_points=10").expect(200);
    assert_eq!(v["points"], json!([]));
}

pub fn drawing_errors(s: &Server) {
    s.write("dre", &[(1, 1.0), (2, 2.0)]);
    for bad in ["1", "0", "-3", "abc", "100001", "2.5"] {
        s.get(&format!("/series/dre/points?max_points={bad}"))
            .expect_error(400, Some("max_points"));
    }
    for (other, value) in [
        ("limit", "5"),
        ("order", "desc"),
        ("every", "1h"),
        ("agg", "max"),
        ("cursor", "YToy"),
    ] {
        s.get(&format!("/series/dre/points?max_points=10&{other}={value}"))
            .expect_error(400, Some(other));
    }
    s.get("/series/dre/points?max_points=10&whatever=1")
        .expect_error(400, Some("whatever"));
    s.get("/series/nope/points?max_points=10")
        .expect_error(404, None);
    s.get(&format!(
        "/series/nope/points?from={}&to={}&max_points=10",
        rfc(5),
        rfc(5)
    ))
    .expect_error(404, None);
}

/// `GET /jobs/kinds`: every kind, and what it lists is what `POST /jobs` accepts and records.
pub fn job_kinds_as_data(s: &Server) {
    s.write(
        "ka",
        &(0..50)
            .map(|i| (i * 60, (i % 7) as f64))
            .collect::<Vec<_>>(),
    );
    s.write(
        "kb",
        &(0..50)
            .map(|i| (i * 60, (i % 5) as f64))
            .collect::<Vec<_>>(),
    );
    let v = s.get("/jobs/kinds").expect(200);
    let kinds = v["kinds"].as_array().unwrap();
    let names: Vec<&str> = kinds.iter().map(|k| k["kind"].as_str().unwrap()).collect();
    assert_eq!(names, tsfn_shared::jobs::spec::KINDS);
    for k in kinds {
        let kind = k["kind"].as_str().unwrap();
        assert!(!k["description"].as_str().unwrap().is_empty(), "{kind}");
        let series: Vec<&str> =
            ["ka", "kb"][..k["series"]["min"].as_u64().unwrap() as usize].to_vec();
        // Every param set to its listed default (or, when required, a valid value) is accepted
        // and recorded as given.
        let mut params = serde_json::Map::new();
        for p in k["params"].as_array().unwrap() {
            let name = p["name"].as_str().unwrap();
            let value = if p["required"] == true {
                assert_eq!(p["type"], "duration", "{kind}.{name}");
                json!("1h")
            } else {
                p["default"].clone()
            };
            if !value.is_null() {
                params.insert(name.to_owned(), value);
            }
        }
        let job = s
            .post_json(
                "/jobs",
                &json!({"kind": kind, "series": series, "params": params}),
            )
            .expect(202);
        for (name, value) in &params {
            assert_eq!(&job["params"][name], value, "{kind}.{name}");
        }
        // One past a bound is refused, naming the param.
        for p in k["params"].as_array().unwrap() {
            if let Some(max) = p["max"].as_f64() {
                let name = p["name"].as_str().unwrap();
                let mut over = params.clone();
                let past = if p["type"] == "integer" {
                    json!(max as i64 + 1)
                } else {
                    json!(max + 1.0)
                };
                over.insert(name.to_owned(), past);
                s.post_json(
                    "/jobs",
                    &json!({"kind": kind, "series": series, "params": over}),
                )
                .expect_error(400, Some(format!("params.{name}").as_str()));
            }
        }
    }
    s.get("/jobs/kinds?x=1").expect_error(400, Some("x"));
}

/// The console: its page names its files with their version; they are served compressed when
/// asked, with an ETag that answers 304, cached for good when asked by their version.
pub fn console_files(s: &Server) {
    let page = s.get("/");
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(page.headers["cache-control"], "no-cache");
    let html = page.text();
    let refs: Vec<String> = html
        .split('"')
        .filter(|p| p.starts_with("/console/"))
        .map(str::to_owned)
        .collect();
    for want in ["app.js", "app.css", "uPlot.iife.min.js", "uPlot.min.css"] {
        assert!(
            refs.iter()
                .any(|r| r.starts_with(&format!("/console/{want}?v="))),
            "the page names /console/{want} with its version: {refs:?}"
        );
    }
    for r in &refs {
        let plain = s.get(r);
        assert_eq!(plain.status, 200, "{r}");
        assert_eq!(
            plain.headers["cache-control"], "public, max-age=31536000, immutable",
            "{r}"
        );
        let etag = plain.headers["etag"].to_str().unwrap().to_owned();
        assert_eq!(
            etag.trim_matches('"'),
            r.split("?v=").nth(1).unwrap(),
            "{r}"
        );
        let gz = s.get_with(r, &[("accept-encoding", "gzip, deflate, br")]);
        assert_eq!(gz.headers["content-encoding"], "gzip", "{r}");
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&gz.body[..]),
            &mut unzipped,
        )
        .unwrap();
        assert_eq!(unzipped, plain.body, "{r}");
        assert!(gz.body.len() < plain.body.len(), "{r}");
        let again = s.get_with(r, &[("if-none-match", &etag)]);
        assert_eq!(again.status, 304, "{r}");
        assert!(again.body.is_empty(), "{r}");
        // Asked without its version (or an old one), it is revalidated each time.
        let path = r.split('?').next().unwrap();
        assert_eq!(s.get(path).headers["cache-control"], "no-cache", "{path}");
        assert_eq!(
            s.get(&format!("{path}?v=0000")).headers["cache-control"],
            "no-cache",
            "{path}"
        );
    }
    let etag = page.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(s.get_with("/", &[("if-none-match", &etag)]).status, 304);
    s.get("/console/nothing.js").expect_error(404, None);
    s.get("/console/index.html").expect_error(404, None);
    assert_eq!(s.get("/console/uPlot.LICENSE").status, 200);
}

/// Posts line protocol to `/write` or `/api/v2/write`; returns the response.
fn lines(s: &Server, path: &str, body: &str) -> crate::support::Resp {
    s.send(
        "POST",
        path,
        Some("text/plain; charset=utf-8"),
        body.as_bytes().to_vec(),
    )
}

/// `(t ms, v)` of a series, read through the API.
fn read_all(s: &Server, series: &str) -> Vec<(String, Value)> {
    let v = s
        .get(&format!("/series/{series}/points?limit=10000"))
        .expect(200);
    v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["t"].as_str().unwrap().to_owned(), p["v"].clone()))
        .collect()
}

/// InfluxDB line protocol on both write routes: series named by the template, tags as labels,
/// every value type, escapes, comments, precisions, gzip, and every finite double bit for bit.
pub fn line_protocol_writes(s: &Server) {
    let ms = |t: i64| tsfn_shared::time::format(t);
    let body = "# sensors\n\
                room,room=kitchen,floor=1 temp=21.5,humidity=40i,door=true,count=7u 1704067200000000123\n\
                \n\
                room,floor=1,room=kitchen temp=21.7 1704067201999999999\n\
                my\\ room\\,x,k\\=ey=v\\,al\\ x te\\ mp=-0 -1\n";
    let r = lines(
        s,
        "/write?db=Lab&precision=ns&rp=autogen&consistency=one",
        body,
    );
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());
    assert_eq!(
        read_all(s, "lab.room.temp"),
        vec![
            (ms(1_704_067_200_000), json!(21.5)),
            (ms(1_704_067_201_999), json!(21.7))
        ]
    );
    assert_eq!(
        read_all(s, "lab.room.humidity"),
        vec![(ms(1_704_067_200_000), json!(40.0))]
    );
    assert_eq!(
        read_all(s, "lab.room.door"),
        vec![(ms(1_704_067_200_000), json!(1.0))]
    );
    assert_eq!(
        read_all(s, "lab.room.count"),
        vec![(ms(1_704_067_200_000), json!(7.0))]
    );
    let v = s.get("/series/lab.room.temp").expect(200);
    assert_eq!(v["labels"], json!({"room": "kitchen", "floor": "1"}));
    // Escaped names, a negative zero and a timestamp before the epoch (floored).
    let odd = read_all(s, "lab.my_room_x.te_mp");
    assert_eq!(odd.len(), 1);
    assert_eq!(odd[0].0, ms(-1));
    assert!(odd[0].1.as_f64().unwrap().is_sign_negative());
    let v = s.get("/series/lab.my_room_x.te_mp").expect(200);
    assert_eq!(v["labels"], json!({"k=ey": "v,al x"}));
    // Every finite double, written as Rust prints it shortest, at each precision.
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut vals = vec![
        0.0,
        -0.0,
        5e-324,
        -5e-324,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        0.1,
    ];
    while vals.len() < 500 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let v = f64::from_bits(rng);
        if v.is_finite() {
            vals.push(v);
        }
    }
    for (precision, unit) in [
        ("s", 1_000i64),
        ("ms", 1),
        ("us", 1),
        ("ns", 1),
        ("m", 60_000),
        ("h", 3_600_000),
    ] {
        let scale = |i: i64| match precision {
            "us" => i * 1_000,
            "ns" => i * 1_000_000 + 999_999,
            _ => i,
        };
        let body: String = vals
            .iter()
            .enumerate()
            .map(|(i, v)| format!("exact v={v:e} {}\n", scale(1_000 + i as i64)))
            .collect();
        let bucket = format!("p{precision}");
        let r = lines(
            s,
            &format!("/api/v2/write?org=o&bucket={bucket}&precision={precision}"),
            &body,
        );
        assert_eq!(r.status, 204, "{precision}: {}", r.text());
        let back = read_all(s, &format!("{bucket}.exact.v"));
        assert_eq!(back.len(), vals.len(), "{precision}");
        for (i, ((t, v), want)) in back.iter().zip(&vals).enumerate() {
            assert_eq!(t, &ms((1_000 + i as i64) * unit), "{precision}");
            assert_eq!(
                v.as_f64().unwrap().to_bits(),
                want.to_bits(),
                "{precision}: {want:e}"
            );
        }
    }
    // A line without a timestamp takes the server's time.
    let before = tsfn_shared::app::now_ms();
    let r = lines(s, "/api/v2/write?bucket=now", "stamped v=3.25\n");
    assert_eq!(r.status, 204, "{}", r.text());
    let back = read_all(s, "now.stamped.v");
    assert_eq!(back.len(), 1);
    let t = tsfn_shared::time::parse(&back[0].0).unwrap();
    assert!(
        t >= before - 1 && t <= tsfn_shared::app::now_ms() + 1,
        "{back:?}"
    );
    // Writing again overwrites: the same points, nothing added.
    let r = lines(
        s,
        "/write?db=lab&precision=s",
        "room,room=kitchen,floor=1 temp=22 1704067200",
    );
    assert_eq!(r.status, 204);
    assert_eq!(read_all(s, "lab.room.temp")[0].1, json!(22.0));
    assert_eq!(s.get("/series/lab.room.temp").expect(200)["count"], 2);
    // The probe.
    let r = s.get("/ping");
    assert_eq!(r.status, 204);
    assert!(r.headers["x-influxdb-version"]
        .to_str()
        .unwrap()
        .starts_with("tsfn-"));
}

/// A bad body answers 400 in the shape of the API's clients, naming the line, and writes
/// nothing, not even the series of its good lines.
pub fn line_protocol_errors_write_nothing(s: &Server) {
    for (body, needle) in [
        ("good v=1 1\ngood v=\"text\" 2", "line 2"),
        ("good v=1 1\ngood v=9007199254740993i 2", "line 2"),
        ("good v=1 1\ngood v=1 12x", "line 2"),
        ("good v=1 1\ngood", "line 2"),
        ("good,host=a v=1 1\ngood,host=b v=1 2", "line 2"),
        ("good v=1 1\ngood v=nan 2", "line 2"),
        ("good v=1 99999999999999999", "line 1"),
    ] {
        let r = lines(s, "/write?db=bad&precision=s", body);
        assert_eq!(r.status, 400, "{body:?}: {}", r.text());
        let v = r.json();
        let msg = v["error"].as_str().unwrap_or_else(|| panic!("{v}"));
        assert!(msg.starts_with(needle), "{body:?}: {msg}");
        let r = lines(s, "/api/v2/write?bucket=bad&precision=s", body);
        assert_eq!(r.status, 400, "{body:?}");
        let v = r.json();
        assert_eq!(v["code"], "invalid", "{v}");
        assert!(v["message"].as_str().unwrap().starts_with(needle), "{v}");
    }
    s.get("/series/bad.good.v").expect_error(404, None);
    for (path, needle) in [
        ("/write", "db:"),
        ("/write?db=", "db:"),
        ("/api/v2/write?org=o", "bucket:"),
        ("/write?db=x&precision=fortnight", "precision:"),
        ("/write?db=x&nonsense=1", "nonsense:"),
    ] {
        let r = lines(s, path, "m v=1 1");
        assert_eq!(r.status, 400, "{path}");
        let v = r.json();
        let msg = v["error"]
            .as_str()
            .or(v["message"].as_str())
            .unwrap_or_else(|| panic!("{path}: {v}"));
        assert!(msg.starts_with(needle), "{path}: {msg}");
    }
    let r = lines(s, "/write?db=x", "\n# nothing\n");
    assert_eq!(r.status, 400);
    s.get("/series/x.m.v").expect_error(404, None);
}

/// Line protocol bodies compressed with gzip, as InfluxDB clients send them; one that is not
/// gzip is a 400 writing nothing.
pub fn line_protocol_gzip(s: &Server) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, b"zipped v=3.25 1000\nzipped v=-1 2000\n").unwrap();
    let r = s.send_with(
        "POST",
        "/api/v2/write?bucket=gz&precision=ms",
        &[("content-encoding", "gzip")],
        gz.finish().unwrap(),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    let ms = |t: i64| tsfn_shared::time::format(t);
    assert_eq!(
        read_all(s, "gz.zipped.v"),
        vec![(ms(1000), json!(3.25)), (ms(2000), json!(-1.0))]
    );
    let r = s.send_with(
        "POST",
        "/write?db=x",
        &[("content-encoding", "gzip")],
        b"m v=1 1".to_vec(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.json()["error"].as_str().unwrap().starts_with("body:"),
        "{}",
        r.text()
    );
    s.get("/series/x.m.v").expect_error(404, None);
}

/// `GET /series?label=K:V&q=TEXT`: every filter must match; labels exactly, text in the id or
/// the name, ignoring case.
pub fn series_filters(s: &Server) {
    for (id, name, labels) in [
        (
            "f.kitchen",
            "Kitchen temperature",
            json!({"room": "kitchen", "floor": "1"}),
        ),
        (
            "f.hall",
            "Hall temperature",
            json!({"room": "hall", "floor": "1"}),
        ),
        (
            "f.attic",
            "Attic HUMIDITY",
            json!({"room": "attic", "floor": "2:b"}),
        ),
    ] {
        s.put_json(
            &format!("/series/{id}"),
            &json!({"name": name, "labels": labels}),
        )
        .expect(201);
    }
    let ids = |query: &str| -> Vec<String> {
        s.get(&format!("/series?{query}")).expect(200)["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids("label=floor:1"), ["f.hall", "f.kitchen"]);
    assert_eq!(ids("label=floor:1&label=room:hall"), ["f.hall"]);
    assert_eq!(
        ids("label=floor:2:b"),
        ["f.attic"],
        "the value is all after the first colon"
    );
    assert_eq!(ids("label=floor:3"), Vec::<String>::new());
    assert_eq!(ids("label=nope:1"), Vec::<String>::new());
    assert_eq!(ids("q=TEMPERATURE"), ["f.hall", "f.kitchen"]);
    assert_eq!(ids("q=humidity"), ["f.attic"]);
    assert_eq!(ids("q=f.k"), ["f.kitchen"]);
    assert_eq!(ids("q=temperature&label=room:kitchen"), ["f.kitchen"]);
    assert_eq!(ids("").len(), 3);
    s.get("/series?label=floor")
        .expect_error(400, Some("label"));
    s.get("/series?label=:1").expect_error(400, Some("label"));
    s.get("/series?nope=1").expect_error(400, Some("nope"));
}

/// Ranges, buckets and drawings as CSV (`Accept: text/csv` or `format=csv`): `t,v` with exact
/// values that write back bit for bit, and the next page's cursor in a header.
pub fn csv_out(s: &Server) {
    let vals = [0.1, -0.0, 5e-324, f64::MAX, 1e-300, -123.456, 2.5, 1e21];
    let pts: Vec<(i64, f64)> = vals
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as i64 * 60, v))
        .collect();
    s.write("csv", &pts);
    let csv = |r: crate::support::Resp| -> (Vec<(String, f64)>, Option<String>) {
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let text = r.text();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("t,v"));
        let rows = lines
            .map(|l| {
                let (t, v) = l.split_once(',').unwrap();
                (t.to_owned(), v.parse::<f64>().unwrap())
            })
            .collect();
        let next = r
            .headers
            .get("x-next-cursor")
            .map(|c| c.to_str().unwrap().to_owned());
        (rows, next)
    };
    let (rows, next) = csv(s.get_with("/series/csv/points", &[("accept", "text/csv")]));
    assert_eq!(next, None);
    assert_eq!(rows.len(), vals.len());
    for ((t, v), (i, want)) in rows.iter().zip(vals.iter().enumerate()) {
        assert_eq!(t, &rfc(i as i64 * 60));
        assert_eq!(v.to_bits(), want.to_bits(), "{want:e}");
    }
    // It writes back exactly.
    let r = s.send(
        "POST",
        "/series/csv2/points",
        Some("text/csv"),
        s.get("/series/csv/points?format=csv").body,
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let (again, _) = csv(s.get("/series/csv2/points?format=csv"));
    assert_eq!(
        again
            .iter()
            .map(|(t, v)| (t.clone(), v.to_bits()))
            .collect::<Vec<_>>(),
        rows.iter()
            .map(|(t, v)| (t.clone(), v.to_bits()))
            .collect::<Vec<_>>()
    );
    // Pages: the cursor comes in a header and works as in JSON.
    let (first, next) = csv(s.get("/series/csv/points?format=csv&limit=3"));
    assert_eq!(first.len(), 3);
    let cursor = next.expect("a next page");
    let (second, _) = csv(s.get(&format!(
        "/series/csv/points?format=csv&limit=3&cursor={cursor}"
    )));
    assert_eq!(second[0].0, rfc(180));
    // Buckets and drawings.
    let (buckets, _) = csv(s.get("/series/csv/points?format=csv&every=4m&agg=count"));
    assert_eq!(buckets, vec![(rfc(0), 4.0), (rfc(240), 4.0)]);
    let (drawn, _) = csv(s.get("/series/csv/points?format=csv&max_points=4"));
    assert!(!drawn.is_empty() && drawn.len() <= 4);
    // JSON unless asked: JSON before CSV in Accept, or format=json.
    let r = s.get_with(
        "/series/csv/points",
        &[("accept", "application/json, text/csv")],
    );
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let r = s.get_with("/series/csv/points?format=json", &[("accept", "text/csv")]);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    s.get("/series/csv/points?format=xml")
        .expect_error(400, Some("format"));
}

/// `spectrum`: known periods and amplitudes found; a series that is not evenly spaced refused
/// at submit, naming `params.every`, and accepted with it.
pub fn spectrum_job(s: &Server) {
    let tau = std::f64::consts::TAU;
    // 60 days hourly: a daily sine of amplitude 2 and a 12-hour one of 0.5, on whole bins.
    let pts: Vec<(i64, f64)> = (0..24 * 60)
        .map(|i| {
            let h = i as f64;
            (
                i * 3600,
                7.0 + 2.0 * (tau * h / 24.0).sin() + 0.5 * (tau * h / 12.0).cos(),
            )
        })
        .collect();
    s.write("sp", &pts);
    let id = submit(
        s,
        json!({"kind": "spectrum", "series": "sp", "params": {"top": 2}}),
    );
    let job = wait_job(s, &id);
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(
        job["params"],
        json!({"window": "hann", "detrend": "mean", "top": 2})
    );
    let r = s.get(&format!("/jobs/{id}/result")).expect(200);
    assert_eq!(r["n"], 24 * 60);
    assert_eq!(r["spacing_ms"], 3_600_000);
    assert_eq!(r["frequencies"].as_array().unwrap().len(), 24 * 60 / 2 + 1);
    let d = r["dominant"].as_array().unwrap();
    assert_eq!(d.len(), 2);
    let close = |a: &Value, b: f64| (a.as_f64().unwrap() - b).abs() <= 1e-9 * b.abs().max(1.0);
    assert!(
        close(&d[0]["period_s"], 86_400.0) && close(&d[0]["magnitude"], 2.0),
        "{d:?}"
    );
    assert!(
        close(&d[1]["period_s"], 43_200.0) && close(&d[1]["magnitude"], 0.5),
        "{d:?}"
    );
    assert!(close(&d[0]["per_day"], 1.0), "{d:?}");
    // Not evenly spaced: refused at submit unless resampled.
    s.write(
        "sp-uneven",
        &[(0, 1.0), (60, 2.0), (120, 1.0), (240, 2.0), (300, 1.0)],
    );
    let e = s
        .post_json("/jobs", &json!({"kind": "spectrum", "series": "sp-uneven"}))
        .expect_error(400, Some("series"));
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("params.every"),
        "{e}"
    );
    let id = submit(
        s,
        json!({"kind": "spectrum", "series": "sp-uneven", "params": {"every": "1m", "window": "none"}}),
    );
    let job = wait_job(s, &id);
    assert_eq!(job["status"], "succeeded", "{job}");
    let r = s.get(&format!("/jobs/{id}/result")).expect(200);
    assert_eq!(
        (r["n"].as_u64(), r["every"].as_str()),
        (Some(6), Some("1m"))
    );
    // Too few points; bad params.
    s.write("sp-short", &[(0, 1.0), (60, 2.0), (120, 1.0)]);
    s.post_json("/jobs", &json!({"kind": "spectrum", "series": "sp-short"}))
        .expect_error(400, Some("series"));
    s.post_json(
        "/jobs",
        &json!({"kind": "spectrum", "series": "sp", "params": {"window": "cosine"}}),
    )
    .expect_error(400, None);
    s.post_json(
        "/jobs",
        &json!({"kind": "spectrum", "series": "sp", "params": {"top": 0}}),
    )
    .expect_error(400, Some("params.top"));
}

/// `GET /points`: several series on the same buckets, null where one has no value, each fill
/// mode over a bounded range, CSV columns in the order asked, and the errors.
pub fn multi_series_buckets(s: &Server) {
    // a: every 10 min for 2 h; b: two points, at 0:00 and 1:30.
    let a: Vec<(i64, f64)> = (0..12).map(|i| (i * 600, i as f64)).collect();
    s.write("ma", &a);
    s.write("mb", &[(0, 10.0), (5400, 40.0)]);
    let q = |extra: &str| s.get(&format!("/points?series=ma&series=mb&every=30m{extra}"));
    let v = q("").expect(200);
    assert_eq!(v["series"], json!(["ma", "mb"]));
    assert_eq!(
        (&v["every"], &v["agg"], &v["fill"]),
        (&json!("30m"), &json!("mean"), &Value::Null)
    );
    assert_eq!(
        v["points"],
        json!([
            {"t": rfc(0), "v": [1.0, 10.0]},
            {"t": rfc(1800), "v": [4.0, null]},
            {"t": rfc(3600), "v": [7.0, null]},
            {"t": rfc(5400), "v": [10.0, 40.0]},
        ])
    );
    let range = format!("&from={}&to={}", rfc(0), rfc(9000));
    let b_col = |fill: &str| -> Value {
        let v = q(&format!("{range}&fill={fill}&agg=max")).expect(200);
        assert_eq!(v["fill"], fill);
        assert_eq!(
            v["points"].as_array().unwrap().len(),
            5,
            "{fill}: every bucket of the range"
        );
        Value::Array(
            v["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["v"][1].clone())
                .collect(),
        )
    };
    assert_eq!(b_col("null"), json!([10.0, null, null, 40.0, null]));
    assert_eq!(b_col("zero"), json!([10.0, 0.0, 0.0, 40.0, 0.0]));
    assert_eq!(b_col("previous"), json!([10.0, 10.0, 10.0, 40.0, 40.0]));
    assert_eq!(b_col("linear"), json!([10.0, 20.0, 30.0, 40.0, null]));
    // CSV, columns in the order asked.
    let r = s.get_with(
        &format!("/points?series=mb&series=ma&every=1h&agg=count{range}"),
        &[("accept", "text/csv")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.text(),
        format!("t,mb,ma\n{},1.0,6.0\n{},1.0,6.0\n", rfc(0), rfc(3600))
    );
    // Errors.
    s.get("/points?every=1h").expect_error(400, Some("series"));
    s.get("/points?series=ma").expect_error(400, Some("every"));
    s.get("/points?series=ma&every=soon")
        .expect_error(400, Some("every"));
    s.get("/points?series=ma&every=1h&fill=nearest")
        .expect_error(400, Some("fill"));
    s.get(&format!(
        "/points?series=ma&every=1h&fill=zero&from={}",
        rfc(0)
    ))
    .expect_error(400, Some("fill"));
    s.get(&format!(
        "/points?series=ma&every=1ms&fill=zero&from={}&to={}",
        rfc(0),
        rfc(1000)
    ))
    .expect_error(400, Some("every"));
    s.get("/points?series=ma&series=nope&every=1h")
        .expect_error(404, None);
    s.get("/points?series=ma&every=1h&agg=median")
        .expect_error(400, Some("agg"));
    s.get("/points?series=BAD&every=1h")
        .expect_error(400, Some("series"));
}
