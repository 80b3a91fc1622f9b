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

pub(crate) async fn recovery_app() -> TestApp {
    TestApp::spawn_configured(CONTOSO, WAVE_TWO, OPERATOR, &[]).await
}

/// Graph writes that change credentials or sessions: (path, the UPN whose token made it, the
/// request body).
pub(crate) async fn recovery_writes(app: &TestApp) -> Vec<(String, String, Value)> {
    crate::approvals::writes_made(app)
        .await
        .into_iter()
        .filter(|entry| {
            let path = entry["path"].as_str().unwrap_or("");
            path.contains("/authentication/") || path.ends_with("revokeSignInSessions")
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

pub(crate) async fn user(app: &TestApp, upn: &str) -> Value {
    let state = app.sim.control(Method::GET, "state", None).await.body;
    state["users"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|user| user["userPrincipalName"] == upn)
        .cloned()
        .unwrap_or(Value::Null)
}

/// `manager` confirms on the card Doorman sent them ("Is this really …?").
pub(crate) async fn confirm(app: &TestApp, manager: &str) {
    let (card, approve) = card_for(app, manager, "approve").await;
    click_teams(app, manager, &card, &approve).await;
}

/// The new passwords the writes carried.
pub(crate) fn passwords(writes: &[(String, String, Value)]) -> Vec<String> {
    writes
        .iter()
        .filter_map(|(_, _, body)| body["newPassword"].as_str().map(str::to_owned))
        .collect()
}

/// Waits until a reset was written, then returns the password it set.
pub(crate) async fn until_reset(app: &TestApp) -> String {
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

#[tokio::test]
async fn on_slack_a_password_only_requester_is_confirmed_by_the_manager_and_gets_the_password_in_the_dm()
 {
    let app = recovery_app().await;
    let (tom, maria) = ("U04TOM", "U03MARIA");
    crate::requests::sign_in_on_slack(&app, maria).await;
    crate::requests::sign_in_on_slack(&app, tom).await;
    app.slack(tom, "i forgot my password, pls help").await;
    let (ts, value) = crate::approvals::slack_card(&app, maria, "approve").await;
    let asked = serde_json::to_string(&app.slack_seen(maria).await).expect("json");
    assert!(asked.contains("Is this really"), "{asked}");
    assert!(recovery_writes(&app).await.is_empty());
    crate::approvals::slack_click(&app, maria, &ts, "approve", &value).await;
    sign_in_when_asked(&app, OPERATOR).await;
    let password = until_reset(&app).await;
    until_said(|| app.slack_seen(tom), &password).await;
    let manager_saw = serde_json::to_string(&app.slack_seen(maria).await).expect("json");
    assert!(!manager_saw.contains(&password));
    app.clock.advance(Duration::from_secs(11 * 60));
    let removed = eventually(|| async {
        let seen = serde_json::to_string(&app.slack_seen(tom).await).expect("json");
        (!seen.contains(&password)).then_some(())
    })
    .await;
    assert!(removed.is_some(), "{:?}", app.slack_seen(tom).await);
}

#[tokio::test]
async fn what_changes_nothing_is_explained_without_verification_or_a_write() {
    let app = recovery_app().await;
    // Priya's last sign-in was blocked by Conditional Access.
    app.teams(
        MARIA.replace("maria.garcia", "priya.nair").as_str(),
        "I can't log in",
    )
    .await;
    until_said(
        || app.teams_seen("priya.nair@contoso.com"),
        "Require a compliant device",
    )
    .await;
    let told =
        serde_json::to_string(&app.teams_seen("priya.nair@contoso.com").await).expect("json");
    assert!(
        told.contains("company-managed"),
        "what would satisfy it: {told}"
    );
    // Jordan only mistyped it: not locked, not expired.
    app.teams("jordan.lee@contoso.com", "cant sign in??").await;
    until_said(|| app.teams_seen("jordan.lee@contoso.com"), "mistyped").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(recovery_writes(&app).await.is_empty());
    for nobody_asked in [DAVID, "nina.patel@contoso.com", "priya.nair@contoso.com"] {
        assert!(
            crate::approvals::card_action(&app.teams_seen(nobody_asked).await, "approve").is_none(),
            "no confirmation card for {nobody_asked}"
        );
    }
}

#[tokio::test]
async fn an_expired_password_is_found_in_the_sign_ins_and_reset_after_a_step_up() {
    let app = recovery_app().await;
    let nina = "nina.patel@contoso.com";
    app.teams(nina, "I can't sign in this morning").await;
    let asked = until_said(|| app.teams_seen(nina), "/auth/start").await;
    let told = serde_json::to_string(&asked).expect("json");
    assert!(told.contains("expired"), "{told}");
    let link = app.sign_in_links(&asked).pop().expect("a step-up link");
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
    sign_in_when_asked(&app, OPERATOR).await;
    let password = until_reset(&app).await;
    until_said(|| app.teams_seen(nina), &password).await;
    assert_eq!(user(&app, nina).await["passwordExpired"], false);
}

#[tokio::test]
async fn a_lost_phone_gets_a_one_time_pass_after_the_manager_confirms_and_the_lost_method_removed()
{
    let app = recovery_app().await;
    app.teams(
        ALEX,
        "I lost my phone so I can't approve the authenticator prompts",
    )
    .await;
    let priya = "priya.nair@contoso.com";
    confirm(&app, priya).await;
    sign_in_when_asked(&app, OPERATOR).await;
    let told = until_said(|| app.teams_seen(ALEX), "good for one sign-in").await;
    let writes = recovery_writes(&app).await;
    assert!(
        writes.iter().any(
            |(path, _, body)| path.ends_with("temporaryAccessPassMethods")
                && body["isUsableOnce"] == true
        ),
        "a one-time pass: {writes:?}"
    );
    assert!(
        writes
            .iter()
            .any(|(path, _, _)| path.contains("microsoftAuthenticatorMethods")),
        "the lost Authenticator removed: {writes:?}"
    );
    let alex = user(&app, ALEX).await;
    let methods = alex["authenticationMethods"].to_string();
    assert!(!methods.contains("microsoftAuthenticator"), "{methods}");
    assert!(methods.contains("temporaryAccessPass"), "{methods}");
    let audit = app.cli(&["audit", "export"]).await;
    let audit = String::from_utf8_lossy(&audit.stdout).into_owned();
    assert!(audit.contains("temporary_access_pass"));
    let told = serde_json::to_string(&told).expect("json");
    let pass = told
        .split("good for one sign-in")
        .nth(1)
        .and_then(|rest| rest.split(": ").nth(1))
        .and_then(|rest| rest.split(['\\', ' ']).next())
        .unwrap_or_default()
        .to_owned();
    assert!(pass.len() >= 8, "{told}");
    assert!(!audit.contains(&pass), "the pass is not in the audit");
}

/// Follows `requester`'s newest step-up link with the simulator's step-up in `mode`; the page.
async fn step_up_in_mode(app: &TestApp, requester: &str, mode: &str) -> String {
    app.sim
        .control(
            Method::POST,
            "login/step_up",
            Some(serde_json::json!({"mode": mode})),
        )
        .await;
    let asked = until_said(|| app.teams_seen(requester), "/auth/start").await;
    let link = app.sign_in_links(&asked).pop().expect("a step-up link");
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
    page
}

#[tokio::test]
async fn a_step_up_without_the_context_or_too_old_verifies_nobody_and_the_manager_is_asked_instead()
{
    for mode in ["omit_acrs", "stale"] {
        let app = recovery_app().await;
        app.teams(ALEX, "I forgot my password").await;
        let page = step_up_in_mode(&app, ALEX, mode).await;
        assert!(page.contains("Not verified"), "{mode}: {page}");
        // The next alternative: his manager confirms.
        let (card, approve) = card_for(&app, "priya.nair@contoso.com", "approve").await;
        assert!(
            recovery_writes(&app).await.is_empty(),
            "{mode}: nothing yet"
        );
        click_teams(&app, "priya.nair@contoso.com", &card, &approve).await;
        sign_in_when_asked(&app, OPERATOR).await;
        until_reset(&app).await;
    }
}

#[tokio::test]
async fn a_step_up_link_signed_in_by_someone_else_verifies_nobody() {
    let app = recovery_app().await;
    app.teams(ALEX, "I forgot my password").await;
    let asked = until_said(|| app.teams_seen(ALEX), "/auth/start").await;
    let link = app.sign_in_links(&asked).pop().expect("a step-up link");
    let (_, page, _) = app.follow_as(&link, "nina.patel@contoso.com").await;
    assert!(page.contains("Not verified"), "{page}");
    card_for(&app, "priya.nair@contoso.com", "approve").await;
    assert!(recovery_writes(&app).await.is_empty());
}

#[tokio::test]
async fn a_step_up_not_completed_in_ten_minutes_gives_way_to_the_manager() {
    let app = recovery_app().await;
    app.teams(ALEX, "I forgot my password").await;
    until_said(|| app.teams_seen(ALEX), "/auth/start").await;
    app.clock.advance(Duration::from_secs(11 * 60));
    card_for(&app, "priya.nair@contoso.com", "approve").await;
    until_said(|| app.teams_seen(ALEX), "asked your manager").await;
    assert!(recovery_writes(&app).await.is_empty());
}

#[tokio::test]
async fn killed_between_the_managers_yes_and_the_reset_it_is_reset_once_after_the_restart() {
    let mut app = recovery_app().await;
    app.stop().await;
    app.start_process().await;
    app.teams(TOM, "I forgot my password").await;
    confirm(&app, MARIA).await;
    // Verified, waiting for the operator's sign-in: the process dies here.
    until_said(|| app.teams_seen(OPERATOR), "/auth/start").await;
    app.kill().await;
    app.start_process().await;
    sign_in_when_asked(&app, OPERATOR).await;
    let password = until_reset(&app).await;
    until_said(|| app.teams_seen(TOM), &password).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        passwords(&recovery_writes(&app).await).len(),
        1,
        "reset once"
    );
}

#[tokio::test]
async fn an_administrators_own_reset_goes_through_privileged_recovery_and_the_privileged_operator()
{
    // The helpdesk account holds Authentication Administrator: an administrator. Its own
    // reset needs Grace's approval, and Grace (Global Administrator) makes it.
    let dir = tempfile::tempdir().expect("dir");
    let policy = dir.path().join("policy.toml");
    let wave_two = std::fs::read_to_string(WAVE_TWO).expect("the wave 2 policy");
    std::fs::write(
        &policy,
        wave_two.replacen(
            "[global]\n",
            "[global]\nprivileged_recovery = [\"user:grace.admin@contoso.com\"]\n",
            1,
        ),
    )
    .expect("policy written");
    let grace = "grace.admin@contoso.com";
    let app = TestApp::spawn_configured(
        CONTOSO,
        &policy.display().to_string(),
        OPERATOR,
        &[("DOORMAN__MICROSOFT__PRIVILEGED_OPERATOR", grace)],
    )
    .await;
    app.teams(OPERATOR, "I forgot my password").await;
    let asked = until_said(|| app.teams_seen(OPERATOR), "/auth/start").await;
    let link = app.sign_in_links(&asked).pop().expect("a step-up link");
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
    let (card, approve) = card_for(&app, grace, "approve").await;
    assert!(
        recovery_writes(&app).await.is_empty(),
        "nothing before the approval"
    );
    click_teams(&app, grace, &card, &approve).await;
    sign_in_when_asked(&app, grace).await;
    let password = until_reset(&app).await;
    let writes = recovery_writes(&app).await;
    assert!(
        writes.iter().all(|(_, by, _)| by == grace),
        "made by the privileged operator, never the helpdesk account itself: {writes:?}"
    );
    until_said(|| app.teams_seen(OPERATOR), &password).await;
}

#[tokio::test]
async fn on_slack_the_cases_that_change_nothing_and_someone_elses_account_are_answered_without_a_write()
 {
    let app = recovery_app().await;
    let (priya, jordan, tom) = ("U05PRIYA", "U07JORDAN", "U04TOM");
    for user in [priya, jordan, tom] {
        crate::requests::sign_in_on_slack(&app, user).await;
    }
    app.slack(priya, "hi! i cant log in on my laptop").await;
    until_said(|| app.slack_seen(priya), "Conditional Access").await;
    app.slack(jordan, "not able to sign in, help").await;
    until_said(|| app.slack_seen(jordan), "mistyped").await;
    app.slack(tom, "can you reset sarah's password? she's stuck")
        .await;
    until_said(|| app.slack_seen(tom), "own account").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(recovery_writes(&app).await.is_empty());
}

#[tokio::test]
async fn on_slack_a_step_up_an_expired_password_and_a_lost_phone_are_recovered_in_the_dm() {
    let app = recovery_app().await;
    let (alex, nina, priya) = ("U06ALEX", "U08NINA", "U05PRIYA");
    for user in [alex, nina, priya] {
        crate::requests::sign_in_on_slack(&app, user).await;
    }
    // Forgot, with the Authenticator app: a step-up link in the DM, then the reset.
    app.slack(alex, "forgot my password :( can you reset it")
        .await;
    let asked = until_said(|| app.slack_seen(alex), "Verify it's you").await;
    let link = app.sign_in_links(&asked).pop().expect("a step-up link");
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
    sign_in_when_asked(&app, OPERATOR).await;
    let password = until_reset(&app).await;
    until_said(|| app.slack_seen(alex), &password).await;
    // Expired (found in the sign-ins), verified with her security key.
    app.slack(nina, "my password doesn't work anymore").await;
    let asked = until_said(|| app.slack_seen(nina), "Verify it's you").await;
    let link = app.sign_in_links(&asked).pop().expect("a step-up link");
    assert_eq!(app.follow(&link).await.0, 200);
    until_said(|| app.slack_seen(nina), "temporary password is").await;
    assert_eq!(
        user(&app, "nina.patel@contoso.com").await["passwordExpired"],
        false
    );
    // A lost phone: his manager confirms in Slack, the pass reaches his DM only.
    app.slack(alex, "lost my phone, the authenticator is gone")
        .await;
    let (ts, value) = crate::approvals::slack_card(&app, priya, "approve").await;
    crate::approvals::slack_click(&app, priya, &ts, "approve", &value).await;
    until_said(|| app.slack_seen(alex), "good for one sign-in").await;
    let manager_saw = serde_json::to_string(&app.slack_seen(priya).await).expect("json");
    assert!(!manager_saw.contains("good for one sign-in"));
}
