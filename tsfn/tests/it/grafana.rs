//! The Grafana dashboard in `docs/grafana/` (Infinity data source): every request its panels
//! make, built from its JSON as Grafana does (`${tsfn}` the server, `${__from}` and `${__to}`
//! the time range in epoch milliseconds), answered by tsfn with CSV whose columns are the ones
//! the panels read, inside the range and within `max_points`, over the dashboard's default range
//! and a zoomed one. Grafana itself cannot run here; these are the exact URLs it would send.

use crate::support::{in_process, workspace_root, Value};

fn epoch_ms(rfc: &str) -> i64 {
    tsfn_shared::time::parse(rfc).unwrap()
}

#[test]
fn the_dashboards_requests_are_answered() {
    let s = in_process::start("sqlite::memory:", &[]);
    let raw =
        std::fs::read_to_string(workspace_root().join("docs/grafana/tsfn-dashboard.json")).unwrap();
    let dash: Value = serde_json::from_str(&raw).unwrap();
    let default = (
        epoch_ms(dash["time"]["from"].as_str().unwrap()),
        epoch_ms(dash["time"]["to"].as_str().unwrap()),
    );
    // A drag-zoom onto 1990 in Grafana sends this range.
    let zoomed = (
        epoch_ms("1990-01-01T00:00:00Z"),
        epoch_ms("1991-01-01T00:00:00Z"),
    );
    let mut asked = 0;
    for panel in dash["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            assert_eq!(target["type"], "csv", "{target}");
            let columns: Vec<&str> = target["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["selector"].as_str().unwrap())
                .collect();
            for (from, to) in [default, zoomed] {
                let path = target["url"].as_str().unwrap().replace("${tsfn}", "");
                let params: Vec<String> = target["url_options"]["params"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        let v = p["value"]
                            .as_str()
                            .unwrap()
                            .replace("${__from}", &from.to_string())
                            .replace("${__to}", &to.to_string());
                        format!("{}={v}", p["key"].as_str().unwrap())
                    })
                    .collect();
                let max_points: usize = target["url_options"]["params"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["key"] == "max_points")
                    .and_then(|p| p["value"].as_str()?.parse().ok())
                    .expect("the panel asks for a bounded number of points");
                let url = format!("{path}?{}", params.join("&"));
                let r = s.get(&url);
                assert_eq!(r.status, 200, "{url}: {}", r.text());
                assert!(
                    r.headers["content-type"]
                        .to_str()
                        .unwrap()
                        .starts_with("text/csv"),
                    "{url}"
                );
                let text = r.text();
                let mut lines = text.lines();
                let header: Vec<&str> = lines.next().unwrap().split(',').collect();
                assert_eq!(header, columns, "{url}: the columns the panel reads");
                let rows: Vec<(i64, f64)> = lines
                    .map(|l| {
                        let (t, v) = l.split_once(',').unwrap();
                        (epoch_ms(t), v.parse().unwrap())
                    })
                    .collect();
                // Each bundled series has points in the dashboard's default range.
                assert!(
                    (from, to) != default || !rows.is_empty(),
                    "{url}: no points"
                );
                assert!(rows.len() <= max_points, "{url}: {} points", rows.len());
                assert!(
                    rows.iter().all(|(t, _)| (from..to).contains(t)),
                    "{url}: a point outside the range"
                );
                asked += 1;
            }
        }
    }
    assert_eq!(asked, 6, "three targets, two ranges each");
}
