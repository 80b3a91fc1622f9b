//! Rotating `[security] token_key` and `audit_key` as docs/operating.md says: people who signed
//! in before keep being served when the old token key is listed, are asked (plainly) to sign in
//! again when it is not, and `doorman audit verify` accepts heads signed by a listed previous
//! audit key and names the head it cannot verify.

use std::process::{Command, Output};
use std::sync::Arc;

use doorman::audit::{AuditKind, AuditLog, NewRecord};
use doorman::config::SecretKey;
use doorman::store::{SledStore, Store};
use serde_json::{Value, json};

use crate::app::{TestApp, until_said, words};
use crate::cli::{AUDIT_KEY, TestConfig, doorman};

const PERSON: &str = "priya.nair@contoso.com";
/// What only the answer to "who am I" says: the person's UPN in brackets.
const PROFILE: &str = "(priya.nair@contoso.com";
const TROUBLE: &str = "something went wrong";

/// The messages `upn` was sent after the first `count`, once one of them contains `needle`.
async fn said_after(app: &TestApp, upn: &str, count: usize, needle: &str) -> Vec<Value> {
    until_said(
        move || async move {
            let mut seen = app.teams_seen(upn).await;
            if seen.len() > count {
                seen.split_off(count)
            } else {
                Vec::new()
            }
        },
        needle,
    )
    .await
}

/// Priya signs in on Teams; returns how many messages she has been sent.
async fn signed_in(app: &TestApp) -> usize {
    app.teams(PERSON, "sign in").await;
    let seen = until_said(|| app.teams_seen(PERSON), "/auth/start").await;
    let (status, page) = app.follow(&app.sign_in_links(&seen)[0]).await;
    assert_eq!(status, 200, "{page}");
    until_said(|| app.teams_seen(PERSON), "signed in as")
        .await
        .len()
}

/// Restarts the bot with a new `token_key` and these `previous_token_keys`.
async fn restart_with_token_keys(app: &mut TestApp, current: &str, previous: &[&str]) {
    let previous = serde_json::to_string(previous).expect("json");
    app.set_override("DOORMAN__SECURITY__TOKEN_KEY", current);
    app.set_override("DOORMAN__SECURITY__PREVIOUS_TOKEN_KEYS", &previous);
    app.restart().await;
}

#[tokio::test]
async fn with_the_old_token_key_listed_a_person_signed_in_before_the_rotation_is_still_served() {
    let mut app = TestApp::spawn().await;
    let old = app.sim.state.doorman_token_key.clone();
    let count = signed_in(&app).await;
    let new = SecretKey::generate_base64();
    restart_with_token_keys(&mut app, &new, &[&old]).await;

    app.teams(PERSON, "who am I").await;
    let after = said_after(&app, PERSON, count, PROFILE).await;
    assert!(
        app.sign_in_links(&after).is_empty(),
        "no new sign-in: {after:?}"
    );

    // Her token was sealed again under the new key: the old one can now be dropped.
    let count = app.teams_seen(PERSON).await.len();
    restart_with_token_keys(&mut app, &new, &[]).await;
    app.teams(PERSON, "who am I").await;
    let after = said_after(&app, PERSON, count, PROFILE).await;
    assert!(
        app.sign_in_links(&after).is_empty(),
        "still no new sign-in: {after:?}"
    );
}

#[tokio::test]
async fn without_the_old_token_key_a_person_is_asked_to_sign_in_again_not_told_of_trouble() {
    let mut app = TestApp::spawn().await;
    let old = app.sim.state.doorman_token_key.clone();
    let count = signed_in(&app).await;
    restart_with_token_keys(&mut app, &SecretKey::generate_base64(), &[]).await;

    app.teams(PERSON, "who am I").await;
    said_after(&app, PERSON, count, "sign in again").await;
    let after = said_after(&app, PERSON, count, "/auth/start").await;
    assert!(
        !after.iter().any(|message| words(message).contains(TROUBLE)),
        "{after:?}"
    );
    let links = app.sign_in_links(&after);
    assert!(!links.is_empty(), "a sign-in link: {after:?}");

    let export = app.cli(&["audit", "export"]).await;
    let records = String::from_utf8_lossy(&export.stdout).into_owned();
    let unreadable: Vec<&str> = records
        .lines()
        .filter(|line| line.contains("\"token_unreadable\""))
        .collect();
    assert_eq!(unreadable.len(), 1, "recorded once: {records}");
    assert!(!unreadable[0].contains(&old), "{}", unreadable[0]);

    // Signing in again replaces the unreadable token, and she is served.
    let (status, page) = app.follow(&links[links.len() - 1]).await;
    assert_eq!(status, 200, "{page}");
    let count = app.teams_seen(PERSON).await.len();
    app.teams(PERSON, "who am I").await;
    said_after(&app, PERSON, count, PROFILE).await;
}

/// `doorman audit ...` against `config`'s store with this `audit_key` and these previous
/// public keys.
fn audit_with_keys(config: &TestConfig, command: &str, key: &str, previous: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["audit", command, "--config", config.arg()])
        .env("DOORMAN__SECURITY__AUDIT_KEY", key)
        .env(
            "DOORMAN__SECURITY__PREVIOUS_AUDIT_PUBLIC_KEYS",
            serde_json::to_string(previous).expect("json"),
        )
        .env_remove("RUST_LOG")
        .output()
        .expect("doorman runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Appends one record and signs the head with `key`, as a daemon configured with it would.
fn append_signed(config: &TestConfig, key: &str) {
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&config.storage()).expect("store"));
    let audit =
        AuditLog::open(store, &SecretKey::from_base64(key).expect("key")).expect("audit opens");
    audit
        .append(NewRecord {
            request_id: Some("R-after-rotation".into()),
            kind: AuditKind::Received,
            actor: "tom.becker@contoso.com".into(),
            data: json!({"text": "add me to VPN Users"}),
        })
        .expect("append");
    audit.sign_head().expect("sign");
}

#[test]
fn heads_signed_by_a_listed_previous_audit_key_verify_and_an_unlisted_one_is_named() {
    let config = TestConfig::new();
    // Two records whose head is signed with key A.
    config.write_records(&["R-1", "R-2"]);
    let old_public = stdout(&doorman(&["audit", "public-key", "--config", config.arg()]));
    assert_eq!(old_public.len(), 64, "{old_public}");

    // Rotated to key B: the next head is signed with B.
    let new_key = SecretKey::generate_base64();
    append_signed(&config, &new_key);
    let new_public = stdout(&audit_with_keys(&config, "public-key", &new_key, &[]));
    assert_ne!(new_public, old_public);

    let verify = audit_with_keys(&config, "verify", &new_key, &[&old_public]);
    let report = stdout(&verify);
    assert!(verify.status.success(), "{report}");
    assert!(
        report.starts_with("audit chain ok: 3 records, 2 signed heads"),
        "{report}"
    );
    assert!(
        report.contains(&format!("1 by [security] audit_key {new_public}"))
            && report.contains(&format!("1 by previous key {old_public}")),
        "which key signed which heads: {report}"
    );

    let verify = audit_with_keys(&config, "verify", &new_key, &[]);
    let report = stdout(&verify);
    assert_eq!(verify.status.code(), Some(1), "{report}");
    assert!(
        report.contains("the signed head at seq 2 does not verify") && report.contains(&old_public),
        "names the head and the key it claims: {report}"
    );

    // The old key alone does not vouch for the new head either.
    let verify = audit_with_keys(&config, "verify", AUDIT_KEY, &[]);
    assert_eq!(verify.status.code(), Some(1), "{}", stdout(&verify));
    assert!(
        stdout(&verify).contains("the signed head at seq 3 does not verify"),
        "{}",
        stdout(&verify)
    );
}

#[test]
fn a_previous_audit_public_key_that_is_not_one_is_refused_naming_the_key() {
    let config = TestConfig::new();
    let verify = audit_with_keys(&config, "verify", AUDIT_KEY, &["not-a-key"]);
    assert_eq!(verify.status.code(), Some(64));
    let message = String::from_utf8_lossy(&verify.stderr).into_owned();
    assert!(
        message.contains("security.previous_audit_public_keys"),
        "{message}"
    );
}
