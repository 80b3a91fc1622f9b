//! `doorman intent` through the real binary against the simulator: the catalog is read from
//! Graph with the app-only token, and the request corpus becomes its intent JSON. Every line of
//! both corpora runs in the parser's unit test (`src/intent/tests.rs`); here one line for each
//! action, kind and level, so the binary's path is proven for all of them at a few dozen runs.

use serde_json::Value;
use tokio::process::Command;

use crate::helpers::{FABRIKAM, TestSim};

const CONTOSO_REQUESTS: &str = include_str!("../fixtures/contoso-requests.jsonl");
const FABRIKAM_REQUESTS: &str = include_str!("../fixtures/fabrikam-requests.jsonl");

/// Runs `doorman intent` and returns its stdout as JSON, after checking it printed exactly one
/// document and nothing else there.
async fn intent(
    config: &std::path::Path,
    storage: &std::path::Path,
    upn: &str,
    text: &str,
) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["intent", "--config"])
        .arg(config)
        .args(["--as", upn, "--text", text])
        .env("DOORMAN__STORAGE__PATH", storage)
        .output()
        .await
        .expect("doorman runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "intent failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.trim().lines().count(), 1, "one document: {stdout}");
    serde_json::from_str(stdout.trim()).expect("stdout is JSON")
}

/// The acceptance check's comparison, for one case.
fn meets(got: &Value, expect: &Value) -> bool {
    let same = |a: &Value, b: &Value| {
        a.as_str().map(str::to_lowercase) == b.as_str().map(str::to_lowercase)
    };
    let resource = &got["resource"];
    got["action"] == expect["action"]
        && expect
            .get("kind")
            .is_none_or(|kind| resource["kind"] == *kind)
        && expect.get("id").is_none_or(|id| resource["id"] == *id)
        && expect
            .get("name")
            .is_none_or(|name| same(&resource["name"], name))
        && ["access", "with", "to", "for", "address"]
            .iter()
            .all(|key| expect.get(*key).is_none_or(|value| same(&got[*key], value)))
        && expect
            .get("duration_days")
            .and_then(Value::as_f64)
            .is_none_or(|days| {
                got["duration_seconds"]
                    .as_f64()
                    .is_some_and(|seconds| (seconds / 86_400.0 - days).abs() < 0.01)
            })
        && (expect.get("reason") != Some(&Value::Bool(true)) || got["reason"].is_string())
        && (expect.get("duration") != Some(&Value::Bool(true))
            || got["duration_seconds"].is_number())
}

/// The first line of the corpus for each (action, kind, access) it expects.
fn one_line_per_shape(corpus: &str) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    corpus
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str::<Value>(line).expect("corpus line"))
        .filter(|case| {
            let expect = &case["expect"];
            seen.insert((
                expect["action"].to_string(),
                expect["kind"].to_string(),
                expect["access"].to_string(),
            ))
        })
        .collect()
}

async fn corpus_through_the_binary(sim: &TestSim, corpus: &str) {
    let dir = tempfile::tempdir().expect("dir");
    let config = sim.write_config(dir.path()).await;
    let storage = dir.path().join("data");
    let cases = one_line_per_shape(corpus);
    assert!(cases.len() >= 20, "every shape of request: {}", cases.len());
    let mut misses = Vec::new();
    for case in cases {
        let got = intent(
            &config,
            &storage,
            case["as"].as_str().unwrap_or_default(),
            case["text"].as_str().unwrap_or_default(),
        )
        .await;
        if !meets(&got, &case["expect"]) {
            misses.push(format!("{} -> {got}", case["text"]));
        }
    }
    assert!(misses.is_empty(), "misses:\n{}", misses.join("\n"));
    assert!(
        !storage.exists(),
        "intent reads Graph only; it opens no store"
    );
}

#[tokio::test]
async fn every_shape_of_contoso_request_becomes_its_intent() {
    let sim = TestSim::start().await;
    corpus_through_the_binary(&sim, CONTOSO_REQUESTS).await;
    assert_eq!(sim.writes(), 0, "understanding a request changes nothing");
}

#[tokio::test]
async fn every_shape_of_fabrikam_request_becomes_its_intent() {
    let sim = TestSim::start_with(FABRIKAM).await;
    corpus_through_the_binary(&sim, FABRIKAM_REQUESTS).await;
}

#[tokio::test]
async fn an_unreachable_graph_fails_with_a_message_and_no_json() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("doorman.toml");
    let sim = TestSim::start().await;
    let text = sim
        .control(reqwest::Method::GET, "doorman.toml", None)
        .await
        .text;
    // Point Graph and login at a port nobody listens on.
    let port = sim.url.rsplit(':').next().unwrap_or_default().to_owned();
    std::fs::write(&config, text.replace(&port, "1")).expect("config written");
    let output = Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["intent", "--config"])
        .arg(&config)
        .args(["--as", "sarah.chen@contoso.com", "--text", "help"])
        .env("DOORMAN__STORAGE__PATH", dir.path().join("data"))
        .output()
        .await
        .expect("doorman runs");
    assert_eq!(output.status.code(), Some(69));
    assert!(output.stdout.is_empty(), "no JSON on failure");
    assert!(String::from_utf8_lossy(&output.stderr).contains("catalog"));
}
