//! Account recovery through the doors a person uses (DESIGN.md section 10): "I can't log in"
//! in chat, investigated, the requester verified (a step-up sign-in or their manager's card),
//! the change made by the operator, and the secret only in the requester's 1:1 chat, removed
//! after ten minutes. What changes nothing is answered without verification.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::app::{OPERATOR, TestApp, eventually, until_said};
use crate::approvals::{card_for, sign_in_when_asked};
use crate::helpers::CONTOSO;
use crate::requests::click_teams;

const WAVE_TWO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/contoso-policy-wave2.toml"
);
const SARAH: &str = "sarah.chen@contoso.com";
const DAVID: &str = "david.okafor@contoso.com";
const ALEX: &str = "alex.kim@contoso.com";
const TOM: &str = "tom.becker@contoso.com";
const MARIA: &str = "maria.garcia@contoso.com";

async fn recovery_app() -> TestApp {
    TestApp::spawn_configured(CONTOSO, WAVE_TWO, OPERATOR, &[]).await
}

/// Graph writes that change credentials or sessions: (path, the UPN whose token made it, the
/// request body).
async fn recovery_writes(app: &TestApp) -> Vec<(String, String, Value)> {
    let log = app.sim.control(Method::GET, "graph/log", None).await.body;
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|entry| {
            let path = entry["path"].as_str().unwrap_or("");
            entry["method"] != "GET"
                && entry["status"].as_u64().unwrap_or(500) < 300
                && (path.contains("/authentication/") || path.ends_with("revokeSignInSessions"))
        })
        .map(|entry| {
            (
                entry["path"].as_str().unwrap_or("").to_owned(),
                entry["user"].as_str().unwrap_or("").to_owned(),
                entry["request"].clone(),
            )
        })
        .collect()
}

async fn user(app: &TestApp, upn: &str) -> Value {
    let state = app.sim.control(Method::GET, "state", None).await.body;
    state["users"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|user| user["userPrincipalName"] == upn)
        .cloned()
        .unwrap_or(Value::Null)
}

/// The new passwords the writes carried.
fn passwords(writes: &[(String, String, Value)]) -> Vec<String> {
    writes
        .iter()
        .filter_map(|(_, _, body)| body["newPassword"].as_str().map(str::to_owned))
        .collect()
}

/// Waits until a reset was written, then returns the password it set.
async fn until_reset(app: &TestApp) -> String {
    let found = eventually(|| async { passwords(&recovery_writes(app).await).pop() }).await;
    match found {
        Some(password) => password,
        None => panic!("no reset was made: {:?}", recovery_writes(app).await),
    }
}

#[tokio::test]
async fn a_locked_out_account_is_unlocked_once_the_manager_confirms_and_the_password_reaches_only_the_requester()
 {
    let app = recovery_app().await;
    app.teams(SARAH, "I'm locked out of my account").await;
    let (card, approve) = card_for(&app, DAVID, "approve").await;
    let asked = serde_json::to_string(&app.teams_seen(DAVID).await).expect("json");
    assert!(
        asked.contains("Is this really") && asked.contains("unlock"),
        "the manager is told plainly what they confirm: {asked}"
    );
    assert!(
        recovery_writes(&app).await.is_empty(),
        "nothing before the manager confirms"
    );
    click_teams(&app, DAVID, &card, &approve).await;
    sign_in_when_asked(&app, OPERATOR).await;
    let password = until_reset(&app).await;
    let writes = recovery_writes(&app).await;
    assert!(
        writes.iter().all(|(_, by, _)| by == OPERATOR),
        "made with the operator's token: {writes:?}"
    );
    assert!(
        writes
            .iter()
            .any(|(path, _, _)| path.ends_with("revokeSignInSessions")),
        "old sessions are signed out: {writes:?}"
    );
    assert!(
        password
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    );
    let sarah = user(&app, SARAH).await;
    assert_eq!(sarah["lockedOut"], false, "{sarah}");
    until_said(|| app.teams_seen(SARAH), &password).await;
    let manager_saw = serde_json::to_string(&app.teams_seen(DAVID).await).expect("json");
    assert!(
        !manager_saw.contains(&password),
        "the manager never sees it"
    );
    let audit = app.cli(&["audit", "export"]).await;
    let audit = String::from_utf8_lossy(&audit.stdout);
    assert!(
        audit.contains("password"),
        "the audit says a password was delivered"
    );
    assert!(
        !audit.contains(&password),
        "the password is not in the audit"
    );
    // Ten minutes later the message says "(removed)".
    app.clock.advance(Duration::from_secs(11 * 60));
    let removed = eventually(|| async {
        let seen = serde_json::to_string(&app.teams_seen(SARAH).await).expect("json");
        (!seen.contains(&password) && seen.contains("(removed)")).then_some(())
    })
    .await;
    assert!(removed.is_some(), "{:?}", app.teams_seen(SARAH).await);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_only_after_a_step_up_sign_in() {
    let app = recovery_app().await;
    app.teams(ALEX, "forgot my pw, can u reset it pls").await;
    let asked = until_said(|| app.teams_seen(ALEX), "/auth/start").await;
    assert!(
        recovery_writes(&app).await.is_empty(),
        "nothing before the step-up"
    );
    let link = app.sign_in_links(&asked).pop().expect("a step-up link");
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Verified"), "{page}");
    // The same link again does nothing more.
    let (_, again) = app.follow(&link).await;
    assert!(!again.contains("Verified"), "{again}");
    sign_in_when_asked(&app, OPERATOR).await;
    let password = until_reset(&app).await;
    until_said(|| app.teams_seen(ALEX), &password).await;
    assert_eq!(
        passwords(&recovery_writes(&app).await).len(),
        1,
        "reset once"
    );
}

#[tokio::test]
async fn a_requester_without_a_passwordless_method_is_confirmed_by_their_manager() {
    let app = recovery_app().await;
    app.teams(TOM, "I forgot my password").await;
    let (card, approve) = card_for(&app, MARIA, "approve").await;
    let told = serde_json::to_string(&app.teams_seen(TOM).await).expect("json");
    assert!(
        !told.contains("/auth/start"),
        "no step-up he could not finish: {told}"
    );
    click_teams(&app, MARIA, &card, &approve).await;
    sign_in_when_asked(&app, OPERATOR).await;
    let password = until_reset(&app).await;
    until_said(|| app.teams_seen(TOM), &password).await;
}

#[tokio::test]
async fn someone_elses_password_and_an_administrators_own_are_refused_without_a_write() {
    let app = recovery_app().await;
    app.teams(TOM, "please reset the password for sarah.chen@contoso.com")
        .await;
    until_said(|| app.teams_seen(TOM), "own account").await;
    app.teams("grace.admin@contoso.com", "I forgot my password")
        .await;
    until_said(
        || app.teams_seen("grace.admin@contoso.com"),
        "administrator role",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(recovery_writes(&app).await.is_empty());
    let audit = app.cli(&["audit", "export"]).await;
    let audit = String::from_utf8_lossy(&audit.stdout);
    assert!(
        audit.contains("sarah.chen@contoso.com"),
        "the refusal is audited"
    );
}
