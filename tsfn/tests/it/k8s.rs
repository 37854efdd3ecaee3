//! The Kubernetes manifests: both overlays render with `kubectl kustomize` and pass
//! `kubernetes-validate --strict`; they carry what operations need (probes, resources, the
//! Downward API worker id, Redis with AOF on a volume, HPA, PDB, labels, pinned prod tags); and
//! the API and worker containers' exact command, args and environment run here as local processes
//! against a local redis-server: the API answers and a plot job submitted over HTTP succeeds on
//! the worker. compose.yaml runs the same commands with the same environment.
//! Needs `kubectl` and `kubernetes-validate` (scripts/test.sh installs both into .venv).

use crate::support;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Deserialize;
use support::{eventually, json, workspace_root, Value};

fn tool(name: &str) -> std::path::PathBuf {
    support::which(name).unwrap_or_else(|| {
        panic!("{name} not found: run ./scripts/test.sh (it installs it into .venv)")
    })
}

fn yaml_docs(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).expect("YAML"))
        .filter(|v| !v.is_null())
        .collect()
}

/// `kubectl kustomize infra/k8s/overlays/NAME`, validated, as JSON documents.
fn render(overlay: &str) -> Vec<Value> {
    let dir = workspace_root().join("infra/k8s/overlays").join(overlay);
    let out = Command::new(tool("kubectl"))
        .arg("kustomize")
        .arg(&dir)
        .output()
        .expect("kubectl");
    assert!(
        out.status.success(),
        "kubectl kustomize {overlay}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &out.stdout).unwrap();
    let check = Command::new(tool("kubernetes-validate"))
        .args(["--strict", "--quiet"])
        .arg(file.path())
        .output()
        .expect("kubernetes-validate");
    assert!(
        check.status.success(),
        "kubernetes-validate {overlay}: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    yaml_docs(&String::from_utf8(out.stdout).unwrap())
}

fn find<'a>(docs: &'a [Value], kind: &str, suffix: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no {kind} *{suffix}"))
}

fn container(workload: &Value) -> &Value {
    &workload["spec"]["template"]["spec"]["containers"][0]
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// A container's environment as the kubelet would build it (ConfigMap first, then `env`);
/// `podIP` stands in for `status.podIP`; optional secrets that do not exist are left out.
fn environment(docs: &[Value], c: &Value, pod_ip: &str) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for from in c["envFrom"].as_array().into_iter().flatten() {
        let name = from["configMapRef"]["name"].as_str().expect("configMapRef");
        let cm = docs
            .iter()
            .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("ConfigMap {name} is not in the manifests"));
        for (k, v) in cm["data"].as_object().unwrap() {
            env.insert(k.clone(), v.as_str().unwrap().to_owned());
        }
    }
    for e in c["env"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().unwrap().to_owned();
        if let Some(v) = e["value"].as_str() {
            env.insert(name, v.to_owned());
        } else if e["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP" {
            env.insert(name, pod_ip.to_owned());
        } else {
            assert_eq!(
                e["valueFrom"]["secretKeyRef"]["optional"], true,
                "{name}: only optional secrets may be missing here"
            );
        }
    }
    env
}

#[test]
fn overlays_render_validate_and_carry_operations_settings() {
    let mut replicas = Vec::new();
    for overlay in ["test", "prod"] {
        let docs = render(overlay);
        for d in &docs {
            let labels = &d["metadata"]["labels"];
            assert_eq!(labels["env"], overlay, "{}", d["metadata"]);
            if d["kind"] != "Namespace" && d["kind"] != "ConfigMap" {
                assert!(labels["app"].is_string(), "app label: {}", d["metadata"]);
            }
            if d["kind"] != "Namespace" {
                assert_eq!(d["metadata"]["namespace"], format!("tsfn-{overlay}"));
                let name = d["metadata"]["name"].as_str().unwrap();
                assert!(name.starts_with(&format!("{overlay}-")), "{name}");
            }
            let pod = &d["spec"]["template"];
            if pod.is_object() {
                assert_eq!(pod["metadata"]["labels"]["env"], overlay);
                assert!(pod["metadata"]["labels"]["app"].is_string());
                for c in pod["spec"]["containers"].as_array().unwrap() {
                    let image = c["image"].as_str().unwrap();
                    let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
                    assert!(!tag.is_empty() && !tag.contains('/'), "{image}: no tag");
                    if overlay == "prod" {
                        assert_ne!(tag, "latest", "{image}");
                    }
                    assert!(c["resources"]["requests"].is_object(), "{image}: requests");
                    assert!(c["resources"]["limits"].is_object(), "{image}: limits");
                }
            }
        }
        let api = find(&docs, "Deployment", "tsfn-api");
        let c = container(api);
        assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/ready");
        assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/health");
        assert!(api["spec"]["replicas"].as_u64().unwrap() >= 2);
        let worker = find(&docs, "Deployment", "tsfn-worker");
        let wc = container(worker);
        assert!(wc["env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "WORKER_ID"
                && e["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"));
        // Room for a worker to finish (20 s) or release its job after SIGTERM.
        assert!(
            worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
                .as_u64()
                .unwrap()
                > 20
        );
        // Both kinds of pod are scraped on the port their metrics listener binds.
        for workload in [api, worker] {
            let annotations = &workload["spec"]["template"]["metadata"]["annotations"];
            assert_eq!(annotations["prometheus.io/scrape"], "true");
            assert_eq!(annotations["prometheus.io/path"], "/metrics");
            let port = annotations["prometheus.io/port"].as_str().unwrap();
            let c = container(workload);
            assert!(
                c["ports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["name"] == "metrics"
                        && p["containerPort"].as_u64() == port.parse().ok()),
                "a metrics port {port}: {}",
                c["ports"]
            );
            let env = environment(&docs, c, "10.0.0.1");
            assert_eq!(env["TSFN_METRICS_BIND"], format!("0.0.0.0:{port}"));
        }
        let redis = find(&docs, "StatefulSet", "tsfn-redis");
        let args = strings(&container(redis)["args"]).join(" ");
        assert!(args.contains("--appendonly yes"), "{args}");
        assert_eq!(
            redis["spec"]["volumeClaimTemplates"][0]["metadata"]["name"],
            container(redis)["volumeMounts"][0]["name"]
        );
        let hpa = find(&docs, "HorizontalPodAutoscaler", "tsfn-api");
        assert_eq!(
            hpa["spec"]["scaleTargetRef"]["name"],
            api["metadata"]["name"]
        );
        let pdb = find(&docs, "PodDisruptionBudget", "tsfn-api");
        assert_eq!(
            pdb["spec"]["selector"]["matchLabels"],
            api["spec"]["selector"]["matchLabels"]
        );
        // The store URL names this overlay's Redis Service.
        let env = environment(&docs, c, "10.0.0.1");
        let svc = find(&docs, "Service", "tsfn-redis")["metadata"]["name"]
            .as_str()
            .unwrap();
        assert_eq!(env["TSFN_STORE"], format!("redis://{svc}:6379/0"));
        replicas.push((
            api["spec"]["replicas"].clone(),
            worker["spec"]["replicas"].clone(),
        ));
    }
    assert_ne!(replicas[0], replicas[1], "test and prod size differently");
}

/// A child process that is killed if the test fails before it stops it.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The rendered commands as local processes: store and bind address are the only substitutions
/// (the cluster's Redis Service and 0.0.0.0 become a local redis-server and 127.0.0.1:0).
#[test]
fn rendered_commands_run_locally_against_redis() {
    let docs = render("test");
    let redis = support::RedisProc::start();
    let localize = |mut env: BTreeMap<String, String>| {
        assert!(env["TSFN_STORE"].starts_with("redis://"));
        env.insert("TSFN_STORE".into(), redis.url());
        if env.contains_key("TSFN_BIND") {
            env.insert("TSFN_BIND".into(), "127.0.0.1:0".into());
        }
        if env.contains_key("TSFN_METRICS_BIND") {
            let port = support::emulator::free_port();
            env.insert("TSFN_METRICS_BIND".into(), format!("127.0.0.1:{port}"));
        }
        env.insert("RUST_LOG".into(), "warn".into());
        env
    };
    let command = |c: &Value, env: &BTreeMap<String, String>| {
        let argv: Vec<String> = strings(&c["command"])
            .into_iter()
            .chain(strings(&c["args"]))
            .collect();
        assert_eq!(argv[0], "tsfn", "the image's binary");
        let mut cmd = Command::new(support::tsfn_bin());
        cmd.args(&argv[1..])
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit());
        cmd
    };

    let api = container(find(&docs, "Deployment", "tsfn-api"));
    let api_env = localize(environment(&docs, api, "127.0.0.1"));
    assert_eq!(api_env["TSFN_WORKERS"], "0", "the API runs no jobs itself");
    let server = support::Server::spawn(command(api, &api_env), &redis.url());
    let ready = server.get("/ready").expect(200);
    assert_eq!(ready["store"], "redis");

    let wc = container(find(&docs, "Deployment", "tsfn-worker"));
    let worker_env = localize(environment(&docs, wc, "127.0.0.1"));
    let mut worker = Reaped(
        command(wc, &worker_env)
            .stdout(Stdio::null())
            .spawn()
            .expect("worker"),
    );

    // The test overlay loads the bundled dataset (TSFN_SEED=1).
    let job = server
        .post_json(
            "/jobs",
            &json!({"kind": "plot", "series": "co2", "from": "1990-01-01"}),
        )
        .expect(202);
    let id = job["id"].as_str().unwrap();
    let done = eventually(Duration::from_secs(60), "the job to finish", || {
        let v = server.get(&format!("/jobs/{id}")).expect(200);
        if v["status"] == "succeeded" || v["status"] == "failed" {
            Ok(v)
        } else {
            Err(v)
        }
    });
    assert_eq!(done["status"], "succeeded", "{done}");
    // Each of the process's worker tasks records WORKER_ID plus its slot.
    let ran_on = done["worker"].as_str().unwrap();
    assert!(
        ran_on.starts_with("127.0.0.1/"),
        "WORKER_ID from the pod IP: {ran_on}"
    );
    let png = support::client()
        .get(server.url(&format!("/jobs/{id}/result")))
        .send()
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));

    // What Prometheus scrapes from each pod, without a key: the worker's count of the job, the
    // API's count of the submit.
    let scrape = |env: &BTreeMap<String, String>, wanted: &str| {
        let url = format!("http://{}/metrics", env["TSFN_METRICS_BIND"]);
        eventually(Duration::from_secs(20), wanted, || {
            let text = support::client().get(&url).send().ok()?.text().ok()?;
            text.contains(wanted).then_some(text)
        })
    };
    let wm = scrape(
        &worker_env,
        r#"tsfn_jobs_finished_total{kind="plot",outcome="succeeded"} 1"#,
    );
    assert!(
        wm.contains(r#"tsfn_job_duration_seconds_count{kind="plot"} 1"#),
        "{wm}"
    );
    assert!(wm.contains("# HELP tsfn_jobs_finished_total"), "{wm}");
    scrape(
        &api_env,
        r#"tsfn_http_requests_total{route="/jobs",method="POST",status="202"} 1"#,
    );

    support::unsafe_kill(worker.0.id(), "TERM");
    let status =
        support::wait_exit(&mut worker.0, Duration::from_secs(30)).expect("worker ignored SIGTERM");
    assert!(status.success(), "worker exit: {status}");
}

/// compose.yaml's API and worker: the Kubernetes commands and environment, with the store on the
/// compose network's Redis and the pod-IP worker id left to the container's host name.
#[test]
fn compose_matches_the_kubernetes_commands() {
    let docs = render("test");
    let text = std::fs::read_to_string(workspace_root().join("infra/docker/compose.yaml")).unwrap();
    let compose = &yaml_docs(&text)[0]["services"];
    for (service, deployment) in [("api", "tsfn-api"), ("worker", "tsfn-worker")] {
        let c = container(find(&docs, "Deployment", deployment));
        let mut k8s = environment(&docs, c, "");
        k8s.remove("WORKER_ID");
        k8s.insert("TSFN_STORE".into(), "redis://redis:6379/0".into());
        let s = &compose[service];
        let env: BTreeMap<String, String> = s["environment"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(env, k8s, "{service}: environment");
        let argv: Vec<String> = strings(&c["command"])
            .into_iter()
            .chain(strings(&c["args"]))
            .collect();
        assert_eq!(strings(&s["command"]), argv, "{service}: command");
    }
    let redis_args = strings(&compose["redis"]["command"]).join(" ");
    assert!(redis_args.contains("--appendonly yes"));
}
