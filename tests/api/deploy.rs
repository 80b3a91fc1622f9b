//! The operator's kit, used as an operator uses it: `doorman serve --check-config` on the
//! shipped examples and on broken files, `doorman healthcheck` against a running daemon, and a
//! catalog file that does not exist.

use std::path::Path;
use std::process::{Command, Output};

use doorman::metrics::{AgeLabels, EndLabels};

use super::cli::{AUDIT_KEY, Daemon, TOKEN_KEY, TestConfig, doorman};

const EXAMPLE_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/doorman.example.toml");
const EXAMPLE_CATALOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/catalog.example.toml");
const EXAMPLE_POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/policy.example.toml");

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `doorman serve --check-config` on `config`, with `environment` set.
fn check_config(config: &str, environment: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["serve", "--check-config", "--config", config])
        .envs(environment.iter().copied())
        .env_remove("RUST_LOG")
        .output()
        .expect("doorman runs")
}

/// Appends `text` to the test config's file.
fn append(config: &TestConfig, text: &str) {
    let mut content = std::fs::read_to_string(&config.path).expect("read");
    content.push_str(text);
    std::fs::write(&config.path, content).expect("write");
}

#[test]
fn the_shipped_example_config_checks_out_with_its_secrets_from_the_environment() {
    let storage = tempfile::tempdir().expect("temp dir");
    let store = storage.path().join("store");
    let store_path = store.display().to_string();
    let output = check_config(
        EXAMPLE_CONFIG,
        &[
            ("DOORMAN__MICROSOFT__CLIENT_SECRET", "not-a-real-secret"),
            ("DOORMAN__TEAMS__APP_PASSWORD", "not-a-real-password"),
            (
                "DOORMAN__SLACK__SIGNING_SECRET",
                "not-a-real-signing-secret",
            ),
            ("DOORMAN__SLACK__BOT_TOKEN", "xoxb-not-a-real-token"),
            ("DOORMAN__SECURITY__TOKEN_KEY", TOKEN_KEY),
            ("DOORMAN__SECURITY__AUDIT_KEY", AUDIT_KEY),
            ("DOORMAN__STORAGE__PATH", &store_path),
            ("DOORMAN__POLICY__FILE", EXAMPLE_POLICY),
            ("DOORMAN__CATALOG__FILE", EXAMPLE_CATALOG),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let said = stdout(&output);
    assert!(said.contains("doorman.example.toml: valid"), "{said}");
    assert!(said.contains("teams: on; slack: on"), "{said}");
    assert!(
        said.contains("catalog.example.toml: valid; 6 entries"),
        "{said}"
    );
    assert!(said.contains("policy.example.toml: valid"), "{said}");
    for secret in ["not-a-real", "xoxb-", TOKEN_KEY, AUDIT_KEY] {
        assert!(
            !said.contains(secret) && !stderr(&output).contains(secret),
            "a secret was printed: {secret}"
        );
    }
    assert!(!store.exists(), "checking a config opens no store");
}

#[test]
fn the_example_config_without_its_secrets_is_refused_naming_the_first_missing_one() {
    let output = check_config(EXAMPLE_CONFIG, &[]);
    assert_eq!(output.status.code(), Some(64), "{}", stdout(&output));
    let message = stderr(&output);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(
        message.contains("microsoft.client_secret: is required"),
        "{message}"
    );
}

#[test]
fn a_broken_config_is_refused_with_one_line_naming_the_key_and_nothing_is_bound() {
    let config = TestConfig::new();
    let text = std::fs::read_to_string(&config.path)
        .expect("read")
        .replace(AUDIT_KEY, "c2hvcnQ=");
    std::fs::write(&config.path, text).expect("write");
    let output = check_config(config.arg(), &[]);
    assert_eq!(output.status.code(), Some(64));
    let message = stderr(&output);
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    assert!(message.contains("security.audit_key"), "{message}");
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    assert!(!config.storage().exists(), "no store was made");
}

#[test]
fn an_invalid_policy_or_catalog_file_fails_the_check_and_names_the_line() {
    let config = TestConfig::new();
    let policy = config.dir.path().join("policy.toml");
    std::fs::write(&policy, "[global]\nmax_duraton = \"30d\"\n").expect("write");
    append(
        &config,
        &format!("[policy]\nfile = \"{}\"\n", policy.display()),
    );
    let output = check_config(config.arg(), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(message.contains("max_duraton"), "{message}");
    assert!(message.contains("is invalid (1 problem)"), "{message}");

    let config = TestConfig::new();
    let catalog = config.dir.path().join("catalog.toml");
    std::fs::write(&catalog, "[[resource]]\naliases = [\"x\"]\n").expect("write");
    append(
        &config,
        &format!("[catalog]\nfile = \"{}\"\n", catalog.display()),
    );
    let output = check_config(config.arg(), &[]);
    assert_eq!(output.status.code(), Some(64), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(
        message.contains("catalog file") && message.contains("line 1"),
        "{message}"
    );
}

#[test]
fn a_missing_catalog_file_is_a_warning_and_serve_starts_without_it() {
    let config = TestConfig::new();
    let missing = config.dir.path().join("no-such-catalog.toml");
    append(
        &config,
        &format!("[catalog]\nfile = \"{}\"\n", missing.display()),
    );
    let output = check_config(config.arg(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("warning: the catalog file"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).contains("absent"), "{}", stdout(&output));

    let log_path = config.dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let daemon = Daemon::start_logging_to(&config, log.into());
    let healthz = format!("http://127.0.0.1:{}/healthz", config.listen);
    let healthy = doorman(&["healthcheck", "--url", &healthz]);
    assert!(healthy.status.success(), "{}", stderr(&healthy));
    assert!(daemon.terminate().success());
    let logged = std::fs::read_to_string(&log_path).expect("read log");
    assert!(
        logged.contains("the catalog file does not exist"),
        "{logged}"
    );
}

#[test]
fn the_healthcheck_fails_when_nothing_answers_or_the_answer_is_not_ok() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let output = doorman(&[
        "healthcheck",
        "--url",
        &format!("http://127.0.0.1:{closed}/healthz"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("doorman healthcheck"),
        "{}",
        stderr(&output)
    );

    let config = TestConfig::new();
    let _daemon = Daemon::start(&config);
    // Not ready: Graph is unreachable in tests, so /readyz answers 503.
    let output = doorman(&[
        "healthcheck",
        "--url",
        &format!("http://127.0.0.1:{}/readyz", config.listen),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("503"), "{}", stderr(&output));
}

/// Every series name the daemon exposes: each metric family's name with the suffixes its type
/// adds (`_total` for a counter; `_bucket`, `_sum`, `_count` for a histogram). Labelled
/// families are exposed once they hold a series, so one of each is made first.
fn exposed_series() -> Vec<String> {
    let metrics = doorman::metrics::Metrics::new();
    metrics.observe_http(
        "/healthz",
        &axum::http::Method::GET,
        200,
        std::time::Duration::from_millis(1),
    );
    metrics
        .approvals_pending
        .get_or_create(&AgeLabels {
            age: "under_1h".into(),
        })
        .set(1);
    metrics
        .grants_ended
        .get_or_create(&EndLabels {
            cause: "expired".into(),
        })
        .inc();
    let text = metrics.encode();
    let mut series = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some("#"), Some("TYPE"), Some(name), Some(kind)) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            continue;
        };
        let suffixes: &[&str] = match kind {
            "counter" => &["_total"],
            "histogram" => &["_bucket", "_sum", "_count"],
            "info" => &["_info"],
            _ => &[""],
        };
        series.extend(suffixes.iter().map(|suffix| format!("{name}{suffix}")));
    }
    series
}

/// The `doorman_...` names a monitoring file uses.
fn series_named_in(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .unwrap_or_else(|error| panic!("{file}: {error}"));
    let mut names: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("doorman_"))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_alert_rules_and_the_dashboard_use_only_metrics_the_daemon_exposes() {
    let exposed = exposed_series();
    assert!(exposed.contains(&"doorman_ready".to_owned()), "{exposed:?}");
    for file in [
        "deploy/prometheus-rules.yaml",
        "deploy/grafana-dashboard.json",
    ] {
        let named = series_named_in(file);
        assert!(named.len() >= 5, "{file} names few metrics: {named:?}");
        for name in named {
            assert!(
                exposed.contains(&name),
                "{file} uses {name}, which the daemon does not expose"
            );
        }
    }
}
