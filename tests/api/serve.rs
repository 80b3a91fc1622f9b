//! `doorman serve`'s own endpoints, with the app built in-process on free ports.

use doorman::app::App;
use doorman::config::Config;
use tokio::sync::oneshot;

use crate::cli::TestConfig;
use crate::helpers::TestSim;

async fn start(config: &TestConfig) -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    start_with(config, Vec::new()).await
}

/// Starts the daemon with `DOORMAN__...` overrides.
async fn start_with(
    config: &TestConfig,
    overrides: Vec<(String, String)>,
) -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let loaded = Config::load(&config.path, overrides).expect("config");
    let app = App::build(loaded).await.expect("app builds");
    let url = format!("http://{}", app.address());
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
        .expect("app runs");
    });
    (url, stop, running)
}

/// Overrides that point the daemon's Microsoft side (Entra, Graph, Exchange) at `sim`.
pub fn microsoft_of(sim: &TestSim) -> Vec<(String, String)> {
    let registration = &sim.state.registration;
    vec![
        ("DOORMAN__MICROSOFT__AUTHORITY".into(), sim.url.clone()),
        ("DOORMAN__EXCHANGE__URL".into(), sim.url.clone()),
        (
            "DOORMAN__MICROSOFT__GRAPH_URL".into(),
            sim.graph_base().to_string(),
        ),
        ("DOORMAN__MICROSOFT__TENANT_ID".into(), sim.tenant_id()),
        (
            "DOORMAN__MICROSOFT__CLIENT_ID".into(),
            registration.client_id.clone(),
        ),
        (
            "DOORMAN__MICROSOFT__CLIENT_SECRET".into(),
            registration.client_secret.clone(),
        ),
    ]
}

/// Asks `/readyz` until it answers 200 (up to 20 s); returns the body.
pub async fn ready_body(url: &str) -> serde_json::Value {
    for _ in 0..200 {
        let answer = reqwest::get(format!("{url}/readyz")).await.expect("readyz");
        if answer.status() == 200 {
            return answer.json().await.expect("json");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("/readyz did not turn 200 within 20 s");
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let sim = TestSim::start().await;
    let config = TestConfig::new();
    let (url, stop, running) = start_with(&config, microsoft_of(&sim)).await;
    let health = reqwest::get(format!("{url}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let body = ready_body(&url).await;
    assert_eq!(body["status"], "ready");
    let metrics = reqwest::get(format!("{url}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(metrics.contains("doorman_build_info"), "{metrics}");
    assert!(
        metrics.contains(
            "doorman_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    let missing = reqwest::get(format!("{url}/nothing-here"))
        .await
        .expect("answers");
    assert_eq!(missing.status(), 404);
    let _ = stop.send(());
    running.await.expect("stops");
    assert!(!config.storage().join("admin.token").exists());
}

/// A policy file with a problem leaves the daemon up but not ready, and `/readyz` says where.
#[tokio::test]
async fn readiness_fails_while_the_policy_file_is_invalid() {
    let files: [(&str, &[&str]); 2] = [
        ("[global\nmax_duration = ", &["not valid TOML"]),
        (
            "[[target]]\nname = \"all\"\nmatch = {}\nmax_access = \"root\"\n",
            &[":4:", "max_access", "unknown access level \\\"root\\\""],
        ),
    ];
    for (text, fragments) in files {
        let broken = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(broken.path(), text).expect("write");
        let config = TestConfig::with_extra(&format!(
            "[policy]\nfile = \"{}\"\n",
            broken.path().display()
        ));
        let (url, stop, running) = start(&config).await;
        let ready = reqwest::get(format!("{url}/readyz")).await.expect("readyz");
        assert_eq!(ready.status(), 503);
        let body: serde_json::Value = ready.json().await.expect("json");
        assert_eq!(body["status"], "not ready");
        let checks = body["checks"].to_string();
        for fragment in fragments {
            assert!(checks.contains(fragment), "{fragment} in {body}");
        }
        assert_eq!(
            reqwest::get(format!("{url}/healthz"))
                .await
                .expect("healthz")
                .status(),
            200,
            "the process is still up"
        );
        let _ = stop.send(());
        running.await.expect("stops");
    }
}

#[tokio::test]
async fn shutdown_signs_the_audit_chains_head() {
    let config = TestConfig::new();
    config.write_records(&["R-1"]);
    let loaded = Config::load(&config.path, Vec::new()).expect("config");
    let app = App::build(loaded).await.expect("app builds");
    let audit = app.audit();
    audit
        .append(doorman::audit::NewRecord {
            request_id: None,
            kind: doorman::audit::AuditKind::SignedIn,
            actor: "tom.becker@contoso.com".into(),
            data: serde_json::json!({}),
        })
        .expect("append");
    app.run_until(async {}).await.expect("runs and stops");
    let report = audit.verify().expect("verify");
    assert!(report.is_ok());
    assert_eq!(report.last_signed_seq, 2, "the head at shutdown is signed");
}
