//! The `doorman` binary, run as an operator runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use doorman::audit::{AuditKind, AuditLog, NewRecord};
use doorman::config::SecretKey;
use doorman::store::{Domain, SledStore, Store, TableKey};
use serde_json::{Value, json};

use crate::app::free_port;

pub const AUDIT_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
pub const TOKEN_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub fn doorman(arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(arguments)
        .env_remove("RUST_LOG")
        .output()
        .expect("doorman runs")
}

/// A config in a temporary folder; the store lives beside it.
pub struct TestConfig {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub listen: u16,
}

impl TestConfig {
    pub fn new() -> Self {
        Self::with_extra("")
    }

    pub fn with_extra(extra: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let listen = free_port();
        let admin = free_port();
        let text = format!(
            r#"[server]
listen = "127.0.0.1:{listen}"
public_url = "http://127.0.0.1:{listen}"
[storage]
path = "{storage}"
[microsoft]
tenant_id = "7a1c0e52-3f0b-4c7e-9d1e-2b6f4a0c1d11"
client_id = "doorman-tests"
client_secret = "not-a-real-secret"
# Nothing listens on port 1: the daemon's catalog sync fails at once instead of reaching (and
# sending this secret to) Microsoft.
authority = "http://127.0.0.1:1"
graph_url = "http://127.0.0.1:1/v1.0"
[security]
token_key = "{TOKEN_KEY}"
audit_key = "{AUDIT_KEY}"
[admin]
listen = "127.0.0.1:{admin}"
{extra}"#,
            storage = dir.path().join("data").display(),
        );
        let path = dir.path().join("doorman.toml");
        std::fs::write(&path, text).expect("write config");
        TestConfig { dir, path, listen }
    }

    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn arg(&self) -> &str {
        self.path.to_str().expect("utf-8 path")
    }

    /// Appends records to the chain directly, as the daemon would.
    pub fn write_records(&self, requests: &[&str]) {
        let store: Arc<dyn Store> = Arc::new(SledStore::open(&self.storage()).expect("store"));
        let audit =
            AuditLog::open(store, &SecretKey::from_base64(AUDIT_KEY).expect("key")).expect("audit");
        for request in requests {
            audit
                .append(NewRecord {
                    request_id: Some((*request).to_owned()),
                    kind: AuditKind::Received,
                    actor: "tom.becker@contoso.com".into(),
                    data: json!({"text": "add me to VPN Users"}),
                })
                .expect("append");
        }
        audit.sign_head().expect("sign");
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn verify_on_a_fresh_store_reports_an_empty_chain_that_holds() {
    let config = TestConfig::new();
    let output = doorman(&["audit", "verify", "--config", config.arg()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("audit chain ok: 0 records"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_tampered_record_makes_verify_fail_and_name_it() {
    let config = TestConfig::new();
    config.write_records(&["R-1", "R-2", "R-3", "R-4"]);
    assert!(
        doorman(&["audit", "verify", "--config", config.arg()])
            .status
            .success()
    );
    {
        let store = SledStore::open(&config.storage()).expect("store");
        let tree = store.tree(Domain::Audit).expect("tree");
        let key = 3_u64.to_key();
        let mut record: Value =
            serde_json::from_slice(&tree.get(&key).expect("read").expect("record 3"))
                .expect("json");
        record["data"]["text"] = json!("add me to Helpdesk Admins");
        tree.insert(&key, &serde_json::to_vec(&record).expect("encode"))
            .expect("tamper");
        store.flush().expect("flush");
    }
    let output = doorman(&["audit", "verify", "--config", config.arg()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("broken at seq 3"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn export_writes_json_lines_filtered_by_request_and_time() {
    let config = TestConfig::new();
    config.write_records(&["R-1", "R-2", "R-1"]);
    let output = doorman(&[
        "audit",
        "export",
        "--config",
        config.arg(),
        "--request",
        "R-1",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines.iter().all(|line| line["request_id"] == "R-1"
            && line["hash"].as_str().is_some_and(|h| h.len() == 64))
    );
    let future = doorman(&[
        "audit",
        "export",
        "--config",
        config.arg(),
        "--since",
        "2999-01-01",
    ]);
    assert!(future.status.success());
    assert!(stdout(&future).is_empty());
    let bad = doorman(&[
        "audit",
        "export",
        "--config",
        config.arg(),
        "--since",
        "yesterday",
    ]);
    assert_eq!(bad.status.code(), Some(64));
}

#[test]
fn an_invalid_config_prints_one_line_naming_the_key_and_exits_64() {
    let config = TestConfig::with_extra("");
    let text = std::fs::read_to_string(&config.path)
        .expect("read")
        .replace(AUDIT_KEY, "c2hvcnQ=");
    std::fs::write(&config.path, text).expect("write");
    for command in [
        vec!["serve", "--config", config.arg()],
        vec!["audit", "verify", "--config", config.arg()],
    ] {
        let output = doorman(&command);
        assert_eq!(output.status.code(), Some(64), "{command:?}");
        let message = stderr(&output);
        assert_eq!(message.trim().lines().count(), 1, "{message}");
        assert!(message.contains("security.audit_key"), "{message}");
    }
    let foreign_tenant = TestConfig::with_extra(
        r#"[teams]
app_id = "bot"
app_password = "p"
token_url = "http://127.0.0.1:9/token"
allowed_tenants = ["0e0e0e0e-1111-4222-8333-444444444444"]
"#,
    );
    let output = doorman(&["serve", "--config", foreign_tenant.arg()]);
    assert_eq!(output.status.code(), Some(64));
    let message = stderr(&output);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("teams.allowed_tenants"), "{message}");
    let missing = doorman(&["serve", "--config", "/nonexistent/doorman.toml"]);
    assert_eq!(missing.status.code(), Some(64));
    let overridden = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["audit", "verify", "--config", config.arg()])
        .env("DOORMAN__SECURITY__AUDIT_KEY", AUDIT_KEY)
        .output()
        .expect("runs");
    assert!(
        overridden.status.success(),
        "an environment override fixes the key: {}",
        stderr(&overridden)
    );
}

/// A `doorman serve` process, stopped with SIGTERM when dropped.
pub struct Daemon {
    child: std::process::Child,
}

impl Daemon {
    pub fn start(config: &TestConfig) -> Self {
        Self::start_logging_to(config, std::process::Stdio::null())
    }

    pub fn start_logging_to(config: &TestConfig, stderr: std::process::Stdio) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_doorman"))
            .args(["serve", "--config", config.arg()])
            .env("RUST_LOG", "debug")
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("serve starts");
        let daemon = Daemon { child };
        let token_file = config.storage().join("admin.token");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !(token_file.exists()
            && std::net::TcpStream::connect(("127.0.0.1", config.listen)).is_ok())
        {
            assert!(Instant::now() < deadline, "serve did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
        daemon
    }

    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("serve exits")
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_file_mode(storage: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(storage.join("admin.token"))
        .expect("token file")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn audit_commands_work_while_serve_holds_the_store() {
    let config = TestConfig::new();
    config.write_records(&["R-1", "R-2"]);
    let daemon = Daemon::start(&config);
    assert_eq!(
        token_file_mode(&config.storage()),
        0o600,
        "the admin token file is the owner's alone"
    );
    let verify = doorman(&["audit", "verify", "--config", config.arg()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert!(
        stdout(&verify).starts_with("audit chain ok: 2 records"),
        "{}",
        stdout(&verify)
    );
    let export = doorman(&[
        "audit",
        "export",
        "--config",
        config.arg(),
        "--request",
        "R-2",
    ]);
    assert!(export.status.success(), "{}", stderr(&export));
    assert_eq!(stdout(&export).lines().count(), 1);
    let status = daemon.terminate();
    assert!(status.success(), "serve exits cleanly on SIGTERM");
    assert!(
        !config.storage().join("admin.token").exists(),
        "the token file goes with the daemon"
    );
}

#[test]
fn a_stale_token_file_from_a_killed_daemon_does_not_block_the_commands() {
    let config = TestConfig::new();
    config.write_records(&["R-1"]);
    Daemon::start(&config).kill();
    assert!(
        config.storage().join("admin.token").exists(),
        "kill -9 leaves the token file behind"
    );
    let verify = doorman(&["audit", "verify", "--config", config.arg()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert!(stdout(&verify).starts_with("audit chain ok: 1 records"));
}

#[test]
fn the_admin_listener_refuses_requests_without_the_token() {
    let config = TestConfig::new();
    let _daemon = Daemon::start(&config);
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(config.storage().join("admin.token")).expect("token file"),
    )
    .expect("json");
    let address = file["address"].as_str().expect("address");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let status = runtime.block_on(async {
        reqwest::get(format!("http://{address}/admin/audit/verify"))
            .await
            .expect("answers")
            .status()
            .as_u16()
    });
    assert_eq!(status, 401);
}

#[test]
fn json_logs_are_one_object_per_line_and_never_carry_secrets() {
    let config = TestConfig::with_extra("");
    let text = std::fs::read_to_string(&config.path)
        .expect("read")
        .replace(
            &format!("public_url = \"http://127.0.0.1:{}\"", config.listen),
            &format!(
                "public_url = \"http://127.0.0.1:{}\"\nlog_format = \"json\"",
                config.listen
            ),
        );
    std::fs::write(&config.path, text).expect("write");
    let log_path = config.dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let daemon = Daemon::start_logging_to(&config, log.into());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let url = format!(
            "http://127.0.0.1:{}/readyz?code=secret-code-123",
            config.listen
        );
        // Not ready: Graph is unreachable here, so the catalog never syncs.
        assert_eq!(reqwest::get(url).await.expect("readyz").status(), 503);
    });
    assert!(daemon.terminate().success());
    let logged = std::fs::read_to_string(&log_path).expect("read log");
    assert!(logged.lines().count() >= 2, "{logged}");
    for line in logged.lines() {
        let entry: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}"));
        assert!(entry.get("level").is_some(), "{line}");
    }
    for secret in ["not-a-real-secret", AUDIT_KEY, TOKEN_KEY, "secret-code-123"] {
        assert!(
            !logged.contains(secret),
            "a secret reached the log: {secret}"
        );
    }
}

#[test]
fn verifying_through_a_daemon_trusts_only_the_commands_own_key() {
    let config = TestConfig::new();
    config.write_records(&["R-1", "R-2"]);
    let _daemon = Daemon::start(&config);
    let other_key = "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=";
    let output = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["audit", "verify", "--config", config.arg()])
        .env("DOORMAN__SECURITY__AUDIT_KEY", other_key)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).contains("audit_key"), "{}", stdout(&output));
}

#[test]
fn the_simulator_refuses_to_listen_beyond_loopback() {
    let output = doorman(&[
        "sim",
        "--listen",
        "0.0.0.0:0",
        "--tenant",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/contoso.json"),
    ]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("loopback"), "{}", stderr(&output));
}

#[test]
fn the_token_files_debug_output_hides_the_token() {
    let file = doorman::admin::TokenFile {
        address: "127.0.0.1:9797".parse().expect("address"),
        token: "very-secret-token".into(),
    };
    assert!(!format!("{file:?}").contains("very-secret-token"));
}

/// `doorman demo` on free ports: the printed lines work as printed.
#[tokio::test]
async fn the_demo_answers_a_request_as_its_printed_lines_say() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let mut demo = tokio::process::Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["demo", "--sim-port", "0", "--bot-port", "0"])
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("demo starts");
    let stderr = demo.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut sim = None;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while sim.is_none() && tokio::time::Instant::now() < deadline {
        let Ok(Ok(Some(line))) =
            tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line()).await
        else {
            break;
        };
        if let Some(url) = line
            .trim()
            .strip_prefix("simulated Microsoft 365, Teams and Slack")
        {
            sim = Some(url.trim().to_owned());
        }
    }
    let sim = sim.expect("the demo prints the simulator's address");
    // Keep reading the demo's logs so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let http = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..150 {
        let posted = http
            .post(format!("{sim}/_sim/teams/message"))
            .json(&serde_json::json!({
                "from": "sarah.chen@contoso.com",
                "text": "can I get read access to the finance site? need to check the Q3 numbers",
            }))
            .send()
            .await
            .expect("the simulator answers");
        let answer: serde_json::Value = posted.json().await.expect("json");
        if answer["status"] == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "the bot takes the message");
    let mut said = String::new();
    for _ in 0..150 {
        said = http
            .get(format!(
                "{sim}/_sim/teams/conversations/sarah.chen@contoso.com"
            ))
            .send()
            .await
            .expect("the simulator answers")
            .text()
            .await
            .unwrap_or_default();
        if said.contains("Read access to the Finance site") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(said.contains("Read access to the Finance site"), "{said}");
    // The demo runs the shipped policy: the Finance site's owner approves.
    assert!(
        said.contains("with approval from the owner (david.okafor@contoso.com)"),
        "{said}"
    );
    let _ = demo.kill().await;
}
