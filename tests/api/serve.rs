//! `doorman serve`'s own endpoints, with the app built in-process on free ports.

use doorman::app::App;
use doorman::config::Config;
use tokio::sync::oneshot;

use crate::cli::TestConfig;
use crate::helpers::TestSim;

/// A daemon running in this process: its public and admin base URLs, and how to stop it.
struct Served {
    url: String,
    admin: String,
    stop: oneshot::Sender<()>,
    running: tokio::task::JoinHandle<()>,
}

impl Served {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.running.await.expect("stops");
    }
}

async fn start(config: &TestConfig) -> Served {
    start_with(config, Vec::new()).await
}

/// Starts the daemon with `DOORMAN__...` overrides.
async fn start_with(config: &TestConfig, overrides: Vec<(String, String)>) -> Served {
    let loaded = Config::load(&config.path, overrides).expect("config");
    let app = App::build(loaded).await.expect("app builds");
    let url = format!("http://{}", app.address());
    let admin = format!("http://{}", app.admin_address());
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
        .expect("app runs");
    });
    Served {
        url,
        admin,
        stop,
        running,
    }
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

async fn text_of(url: String) -> (u16, String) {
    let answer = reqwest::get(url).await.expect("answers");
    let status = answer.status().as_u16();
    (status, answer.text().await.expect("text"))
}

#[tokio::test]
async fn health_readiness_and_metrics_answer_with_the_details_on_the_admin_listener() {
    let sim = TestSim::start().await;
    let config = TestConfig::new();
    let daemon = start_with(&config, microsoft_of(&sim)).await;
    let health = reqwest::get(format!("{}/healthz", daemon.url))
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let body = ready_body(&daemon.url).await;
    assert_eq!(
        body,
        serde_json::json!({"status": "ready"}),
        "the public side says ready and nothing more"
    );
    let (status, detailed) = text_of(format!("{}/readyz", daemon.admin)).await;
    assert_eq!(status, 200, "{detailed}");
    let storage = config.storage().display().to_string();
    assert!(detailed.contains(&storage), "{detailed}");
    let (status, _) = text_of(format!("{}/metrics", daemon.url)).await;
    assert_eq!(status, 404, "no metrics on the public listener by default");
    let (status, metrics) = text_of(format!("{}/metrics", daemon.admin)).await;
    assert_eq!(
        status, 200,
        "the admin listener serves them without its token"
    );
    assert!(metrics.contains("doorman_build_info"), "{metrics}");
    assert!(
        metrics.contains(
            "doorman_http_requests_total{route=\"/readyz\",method=\"GET\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    let (status, _) = text_of(format!("{}/nothing-here", daemon.url)).await;
    assert_eq!(status, 404);
    daemon.stop().await;
    assert!(!config.storage().join("admin.token").exists());
}

#[tokio::test]
async fn public_metrics_serves_them_on_the_public_listener_too() {
    let config = TestConfig::new();
    let daemon = start_with(
        &config,
        vec![(
            "DOORMAN__SERVER__PUBLIC_METRICS".to_owned(),
            "true".to_owned(),
        )],
    )
    .await;
    let (status, metrics) = text_of(format!("{}/metrics", daemon.url)).await;
    assert_eq!(status, 200);
    assert!(metrics.contains("doorman_build_info"), "{metrics}");
    let (status, _) = text_of(format!("{}/metrics", daemon.admin)).await;
    assert_eq!(status, 200);
    daemon.stop().await;
}

/// Made-up methods and random paths, as a scanner or an attacker sends them, are counted in a
/// few fixed series: the registry (and the daemon's memory) stays the size it was.
#[tokio::test]
async fn made_up_methods_and_paths_do_not_grow_the_metrics() {
    let config = TestConfig::new();
    let daemon = start(&config).await;
    let client = reqwest::Client::new();
    let mut seed: u64 = 0x5eed_0001;
    let mut next = move || {
        // xorshift64: the same requests on every run.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..600 {
        let method = format!("M{:016X}", next());
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a token");
        let path = format!("/{:x}/{:x}", next(), next());
        let routes = ["/healthz", "/readyz", "/api/messages", path.as_str()];
        let route = routes[(next() % routes.len() as u64) as usize];
        let answer = client
            .request(method, format!("{}{route}", daemon.url))
            .send()
            .await
            .expect("answers");
        assert!(answer.status().is_client_error(), "{}", answer.status());
    }
    let (_, metrics) = text_of(format!("{}/metrics", daemon.admin)).await;
    let series = metrics
        .lines()
        .filter(|line| line.starts_with("doorman_http_requests_total{"))
        .count();
    assert!(series <= 10, "{series} series:\n{metrics}");
    assert!(
        metrics.contains("method=\"other\""),
        "made-up methods are counted as other: {metrics}"
    );
    assert!(
        !metrics.contains("M0") && !metrics.contains("route=\"/0"),
        "no made-up method or path became a label"
    );
    assert!(metrics.len() < 16 * 1024, "{} bytes", metrics.len());
    daemon.stop().await;
}

/// A policy file with a problem leaves the daemon up but not ready; the admin listener's
/// `/readyz` says where, the public one does not name the file.
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
        let daemon = start(&config).await;
        let (status, public) = text_of(format!("{}/readyz", daemon.url)).await;
        assert_eq!(status, 503);
        let body: serde_json::Value = serde_json::from_str(&public).expect("json");
        assert_eq!(body, serde_json::json!({"status": "not ready"}));
        let (status, detailed) = text_of(format!("{}/readyz", daemon.admin)).await;
        assert_eq!(status, 503);
        let body: serde_json::Value = serde_json::from_str(&detailed).expect("json");
        assert_eq!(body["status"], "not ready");
        let checks = body["checks"].to_string();
        for fragment in fragments {
            assert!(checks.contains(fragment), "{fragment} in {body}");
        }
        assert_eq!(
            reqwest::get(format!("{}/healthz", daemon.url))
                .await
                .expect("healthz")
                .status(),
            200,
            "the process is still up"
        );
        daemon.stop().await;
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
