//! The policy engine through its doors: `doorman policy check|explain|test` as an identity team
//! runs them, and the decision as a requester reads it in Teams and Slack.

use std::path::Path;
use std::process::Output;

use doorman::audit::{AuditLog, ExportFilter};
use doorman::config::SecretKey;
use doorman::store::{SledStore, Store};
use serde_json::Value;
use tokio::process::Command;

use crate::app::{EXAMPLE_POLICY, TestApp, until_said};
use crate::helpers::TestSim;

const EXAMPLE_CASES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/deploy/policy.example.cases.toml"
);

async fn doorman(arguments: &[&str], storage: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(arguments)
        .env("DOORMAN__STORAGE__PATH", storage)
        .env_remove("RUST_LOG")
        .output()
        .await
        .expect("doorman runs")
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn check_accepts_the_shipped_policy() {
    let dir = tempfile::tempdir().expect("dir");
    let output = doorman(&["policy", "check", "--policy", EXAMPLE_POLICY], dir.path()).await;
    assert!(output.status.success(), "{}", said(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("valid; 14 target rules (2 denying)"),
        "{stdout}"
    );
}

/// A dozen and more broken files: each is refused with exit 1, naming the line and the key.
#[tokio::test]
async fn check_names_the_line_and_key_of_each_problem() {
    let target = "[[target]]\nname = \"t\"\nmatch = { kind = \"group\" }\n";
    let cases: Vec<(String, usize, &str, &str)> = vec![
        (
            "[global]\nmax_duration = \"60d\"\n\n[[target]]\nname = \"x\"\nmatch = { kind = \"group\" }\nmax_access = \"superuser\"\napproval = []\n".into(),
            7,
            "max_access",
            "unknown access level \"superuser\"",
        ),
        ("[globals]\nmax_duration = \"90d\"\n".into(), 1, "globals", "unknown section"),
        (format!("{target}maxaccess = \"member\"\n"), 4, "maxaccess", "unknown key"),
        ("[global]\nmax_duration = \"30 days\"\n".into(), 2, "max_duration", "whole number"),
        ("[tenant]\ndefault_duration = \"3y\"\n".into(), 2, "default_duration", "followed by s, m, h, d or w"),
        (format!("{target}approval = [\"owner\", \"boss\"]\n"), 4, "approval", "unknown approver kind \"boss\""),
        (format!("{target}approval = [\"manager\"]\nacting = \"approver\"\n"), 5, "acting", "no owner stage"),
        (format!("{target}\n[[department]]\ntargets = [\"t\", \"nope\"]\nallow = [\"Finance\"]\n"), 6, "targets", "no [[target]] is named \"nope\""),
        ("[[target]]\nname = \"t\"\nmatch = { kind = \"group\", colour = \"red\" }\n".into(), 3, "colour", "unknown match key"),
        ("[[target]]\nname = \"t\"\nmatch = { kind = \"sharepoint\" }\n".into(), 3, "kind", "unknown kind \"sharepoint\""),
        (format!("{target}max_access = \"edit\"\n"), 4, "max_access", "edit is not a level of a group"),
        ("[[action]]\naction = \"delete_everything\"\napproval = []\n".into(), 2, "action", "unknown action"),
        ("[runtime]\nchange_window = { days = \"Mon-Fri\", hours = \"07:00-19:00\", tz = \"Mars/Olympus\" }\n".into(), 2, "tz", "unknown time zone"),
        ("[runtime]\nchange_window = { days = \"Mon-Fry\", hours = \"7-19\", tz = \"UTC\" }\n".into(), 2, "days", "cannot read days"),
        ("[global]\nrequire_reason = \"yes\"\n".into(), 2, "require_reason", "true or false"),
        (format!("{target}\n{target}"), 6, "name", "already has this name"),
        ("[global]\nmax_duration = \"90d\n".into(), 2, "syntax", "not valid TOML"),
        (format!("{target}escalate_to = [\"the boss\"]\n"), 4, "escalate_to", "unknown approver kind"),
        (format!("{target}approval = [{{ stage = \"owner\", quorum = 0 }}]\n"), 4, "quorum", "greater than zero"),
        (format!("{target}approval = [{{ quorum = 2 }}]\n"), 4, "approval", "needs stage"),
        (format!("{target}approval = [{{ stage = \"owner\", count = 2 }}]\n"), 4, "count", "unknown key of a stage"),
        (format!("{target}approval = [\"owner\", {{ stage = \"owner\", quorum = 2 }}]\n"), 4, "approval", "listed twice"),
        ("[[target]]\nname = \"m\"\nmatch = { kind = \"mailbox\" }\napproval = [\"owner\"]\nacting = \"approver\"\n".into(), 5, "acting", "Exchange admin role"),
        ("[[action]]\naction = \"forward_mail\"\nmax_access = \"read\"\n".into(), 3, "max_access", "caps calendar sharing"),
        ("[[action]]\naction = \"share_calendar\"\nmax_access = \"member\"\n".into(), 3, "max_access", "not a calendar level"),
        ("[[action]]\naction = \"share_calendar\"\nverify = [\"mfa\"]\n".into(), 3, "verify", "applies to account recovery"),
        ("[[action]]\naction = \"reset_password\"\nverify = [\"mfa\", \"fingerprint\"]\n".into(), 3, "verify", "unknown way to verify \"fingerprint\""),
    ];
    assert!(cases.len() >= 12);
    let dir = tempfile::tempdir().expect("dir");
    for (number, (text, line, key, words)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("broken-{number}.toml"));
        std::fs::write(&path, text).expect("write");
        let output = doorman(
            &["policy", "check", "--policy", &path.display().to_string()],
            dir.path(),
        )
        .await;
        let said = said(&output);
        assert_eq!(output.status.code(), Some(1), "{text}\n{said}");
        let expected = format!("broken-{number}.toml:{line}:");
        let named = said
            .lines()
            .any(|row| row.contains(&expected) && row.contains(key) && row.contains(words));
        assert!(
            named,
            "expected line {line}, key {key}, \"{words}\" for\n{text}\ngot:\n{said}"
        );
    }

    // Every problem in one run, not only the first.
    let path = dir.path().join("many.toml");
    std::fs::write(
        &path,
        format!("[global]\nmax_duration = \"soon\"\n\n{target}max_access = \"root\"\nacting = \"boss\"\n"),
    )
    .expect("write");
    let output = doorman(
        &["policy", "check", "--policy", &path.display().to_string()],
        dir.path(),
    )
    .await;
    let said = said(&output);
    for (line, key) in [(2, "max_duration"), (7, "max_access"), (8, "acting")] {
        assert!(
            said.contains(&format!("many.toml:{line}:")) && said.contains(key),
            "{said}"
        );
    }
    assert!(said.contains("3 problems"), "{said}");
}

/// The sim and a config wired to it, for the commands that read the tenant.
async fn tenant() -> (TestSim, tempfile::TempDir, String) {
    let sim = TestSim::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let config = sim.write_config(dir.path()).await;
    (sim, dir, config.display().to_string())
}

#[tokio::test]
async fn the_shipped_cases_pass_and_a_wrong_expectation_fails() {
    let (sim, dir, config) = tenant().await;
    let output = doorman(
        &[
            "policy",
            "test",
            "--config",
            &config,
            "--policy",
            EXAMPLE_POLICY,
            "--cases",
            EXAMPLE_CASES,
        ],
        dir.path(),
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", said(&output));
    assert!(
        stdout.trim_end().ends_with("29 passed, 0 failed"),
        "{stdout}"
    );

    let wrong = dir.path().join("wrong.jsonl");
    std::fs::write(
        &wrong,
        concat!(
            "{\"as\": \"tom.becker@contoso.com\", \"text\": \"add me to Helpdesk Admins\", \"expect\": {\"outcome\": \"deny\", \"layer\": \"global\"}}\n",
            "{\"as\": \"tom.becker@contoso.com\", \"text\": \"add me to GRP-FINANCE-BI-READ\", \"expect\": {\"outcome\": \"allow\"}}\n",
        ),
    )
    .expect("write");
    let output = doorman(
        &[
            "policy",
            "test",
            "--config",
            &config,
            "--policy",
            EXAMPLE_POLICY,
            "--cases",
            &wrong.display().to_string(),
        ],
        dir.path(),
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{}", said(&output));
    assert!(
        stdout.contains("FAIL add me to GRP-FINANCE-BI-READ"),
        "{stdout}"
    );
    assert!(
        stdout.contains("outcome: expected \"allow\", got \"deny\""),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("1 passed, 1 failed"),
        "{stdout}"
    );
    drop(sim);
}

#[tokio::test]
async fn explain_prints_one_document_with_its_trail_and_changes_nothing() {
    let (sim, dir, config) = tenant().await;
    let output = doorman(
        &[
            "policy",
            "explain",
            "--config",
            &config,
            "--policy",
            EXAMPLE_POLICY,
            "--as",
            "tom.becker@contoso.com",
            "--text",
            "I need full control of the marketing site for 120 days",
        ],
        dir.path(),
    )
    .await;
    assert!(output.status.success(), "{}", said(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.trim().lines().count(), 1, "{stdout}");
    let decision: Value = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(decision["outcome"], "allow");
    assert_eq!(decision["access"], "edit");
    assert_eq!(decision["requested_access"], "owner");
    assert_eq!(
        decision["duration_days"], 90,
        "capped by the global maximum"
    );
    assert_eq!(decision["stages"], serde_json::json!(["owner"]));
    assert_eq!(decision["acting"], "approver");
    assert_eq!(decision["service"], "graph");
    assert_eq!(decision["target"], "sites");
    let layers: Vec<&str> = decision["trail"]
        .as_array()
        .expect("trail")
        .iter()
        .filter_map(|step| step["layer"].as_str())
        .collect();
    assert!(
        layers.contains(&"target") && layers.contains(&"runtime"),
        "{layers:?}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("allow: edit (asked owner)"), "{stderr}");
    assert_eq!(sim.writes(), 0, "explain changes nothing");
}

#[tokio::test]
async fn teams_says_what_policy_decided_and_why() {
    let app = TestApp::spawn().await;
    let tom = "tom.becker@contoso.com";
    app.teams(tom, "I need full control of the marketing site")
        .await;
    until_said(
        || app.teams_seen(tom),
        "it would be granted as edit instead of owner",
    )
    .await;
    until_said(
        || app.teams_seen(tom),
        "approval from the owner (maria.garcia@contoso.com)",
    )
    .await;

    let jordan = "jordan.lee@contoso.com";
    app.teams(jordan, "join the Marketing team please").await;
    until_said(
        || app.teams_seen(jordan),
        "Policy allows it for 30d without approval",
    )
    .await;
    app.teams(jordan, "I need edit access to the Atlas site")
        .await;
    let seen = until_said(
        || app.teams_seen(jordan),
        "granted through the Project Atlas group, and policy for that group says: Contractor accounts cannot request",
    )
    .await;
    // The refusal says nothing was changed (the first request's own news may come after it).
    assert!(
        seen.iter()
            .filter_map(|message| message["text"].as_str())
            .filter(|text| text.contains("granted through the Project Atlas group"))
            .all(|text| text.ends_with("Nothing has been changed.")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_persons_directory_facts_are_read_once_for_requests_close_together() {
    let app = TestApp::spawn().await;
    let tom = "tom.becker@contoso.com";
    app.teams(tom, "I need full control of the marketing site")
        .await;
    until_said(
        || app.teams_seen(tom),
        "approval from the owner (maria.garcia@contoso.com)",
    )
    .await;
    app.teams(tom, "please add me to GRP-FINANCE-BI-READ").await;
    until_said(|| app.teams_seen(tom), "Only people in Finance can request").await;

    let reads_of = |tail: &str| {
        app.sim
            .state
            .graph_log
            .entries()
            .iter()
            .filter(|entry| {
                let path = entry.path.split('?').next().unwrap_or_default();
                entry.method == "GET"
                    && path
                        .replace("%40", "@")
                        .eq_ignore_ascii_case(&format!("/users/{tom}{tail}"))
            })
            .count()
    };
    assert_eq!(reads_of(""), 1, "Tom is read once for both requests");
    assert_eq!(reads_of("/manager"), 1, "and so is his manager");
}

#[tokio::test]
async fn every_decision_is_audited_with_its_trail() {
    let mut app = TestApp::spawn().await;
    let tom = "tom.becker@contoso.com";
    app.teams(tom, "please add me to GRP-FINANCE-BI-READ").await;
    until_said(|| app.teams_seen(tom), "Only people in Finance can request").await;
    app.stop().await;
    let store: std::sync::Arc<dyn Store> =
        std::sync::Arc::new(SledStore::open(&app.storage_path()).expect("store"));
    let key = SecretKey::from_base64(&app.sim.state.doorman_audit_key).expect("key");
    let audit = AuditLog::open(store, &key).expect("audit");
    let mut lines = Vec::new();
    audit
        .export(&ExportFilter::default(), &mut lines)
        .expect("export");
    let decided: Vec<Value> = String::from_utf8(lines)
        .expect("utf-8")
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("JSON line"))
        .filter(|record| record["kind"] == "decided")
        .map(|record| record["data"].clone())
        .collect();
    assert_eq!(decided.len(), 1, "{decided:?}");
    assert_eq!(decided[0]["outcome"], "deny");
    assert_eq!(decided[0]["layer"], "department");
    assert_eq!(decided[0]["resource"]["name"], "GRP-FINANCE-BI-READ");
    assert!(
        decided[0]["trail"]
            .as_array()
            .is_some_and(|trail| trail.len() >= 3)
    );
}

#[tokio::test]
async fn the_rate_limit_counts_requests_across_restarts() {
    let policy = std::fs::read_to_string(EXAMPLE_POLICY)
        .expect("example policy")
        .replace("max_requests_per_hour = 20", "max_requests_per_hour = 2");
    let mut app = TestApp::spawn_with_policy(&policy).await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(jordan, "join the Marketing team please").await;
    app.teams(jordan, "add me to VPN Users").await;
    until_said(
        || app.teams_seen(jordan),
        "Membership of the VPN Users group",
    )
    .await;
    app.restart().await;
    app.teams(jordan, "join the Marketing team please").await;
    until_said(
        || app.teams_seen(jordan),
        "You have made 2 requests in the last hour, the most policy allows",
    )
    .await;
}

#[tokio::test]
async fn self_service_answers_say_what_policy_allows() {
    let app = TestApp::spawn().await;
    let alex = "alex.kim@contoso.com";
    app.teams(alex, "please forward my mail to alex.private@gmail.com")
        .await;
    until_said(
        || app.teams_seen(alex),
        "Mail can be forwarded only to people inside the organisation. Nothing has been changed.",
    )
    .await;
    app.teams(alex, "I forgot my password").await;
    until_said(
        || app.teams_seen(alex),
        "First, verify it's you: I've sent you a sign-in link in our direct chat.",
    )
    .await;
}

#[tokio::test]
async fn a_teams_tenant_the_policy_does_not_list_is_refused() {
    let policy = std::fs::read_to_string(EXAMPLE_POLICY)
        .expect("example policy")
        .replace(
            "tenant_ids = [\"7a1c0e52-3f0b-4c7e-9d1e-2b6f4a0c1d11\"]",
            "tenant_ids = [\"00000000-0000-4000-8000-000000000000\"]",
        );
    let app = TestApp::spawn_with_policy(&policy).await;
    let jordan = "jordan.lee@contoso.com";
    app.teams(jordan, "join the Marketing team please").await;
    until_said(
        || app.teams_seen(jordan),
        "Your organisation is not one this Doorman serves.",
    )
    .await;
}
