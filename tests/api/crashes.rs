//! The bot killed outright (SIGKILL, as a crash or an OOM kill would) while a request waits for
//! approval, and again in the middle of a Graph write: after each restart the request goes on
//! where it was, the change is made once, and the audit chain still verifies.

use serde_json::{Value, json};

use crate::app::{TestApp, request_id, until_said};
use crate::approvals::{card_for, story, writes};
use crate::requests::click_teams;

/// Waits until the Graph log shows a write to `path_end` by `user`: Graph has made it, and (with
/// latency on) has not answered yet.
async fn landed(app: &TestApp, path_end: &str, user: &str) {
    for _ in 0..300 {
        let log = app
            .sim
            .control(reqwest::Method::GET, "graph/log", None)
            .await
            .body;
        let made = log.as_array().into_iter().flatten().any(|entry| {
            entry["method"] == "POST"
                && entry["path"]
                    .as_str()
                    .is_some_and(|path| path.ends_with(path_end))
                && entry["user"] == user
        });
        if made {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no write to {path_end} by {user} reached Graph");
}

#[tokio::test]
async fn a_bot_killed_awaiting_approval_and_mid_write_makes_the_grant_once() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    app.start_process().await;
    let tom = "tom.becker@contoso.com";
    let nina = "nina.patel@contoso.com";
    app.teams(tom, "please add me to VPN Users for remote work")
        .await;
    until_said(|| app.teams_seen(tom), "I've sent the approval request").await;
    let (card, approve) = card_for(&app, nina, "approve").await;

    // Killed while the request waits: the card still works after the restart.
    app.kill().await;
    app.start_process().await;
    let answered = click_teams(&app, nina, &card, &approve).await;
    assert!(
        answered
            .to_string()
            .contains("Approved by nina.patel@contoso.com"),
        "{answered}"
    );
    let asked = until_said(|| app.teams_seen(nina), "/auth/start").await;
    let link = app.sign_in_links(&asked).pop().expect("a sign-in link");

    // Killed again after Graph made the membership but before its answer came back.
    app.sim.faults(json!({"latency_ms": 4000})).await;
    let (status, page) = app.follow(&link).await;
    assert_eq!(status, 200, "{page}");
    landed(&app, "/members/$ref", nina).await;
    app.kill().await;
    app.sim.faults(json!({"latency_ms": 0})).await;
    app.start_process().await;

    until_said(
        || app.teams_seen(tom),
        "done. You now have membership on VPN Users",
    )
    .await;
    let members = app.sim.members("VPN Users").await;
    assert_eq!(
        members.iter().filter(|member| *member == tom).count(),
        1,
        "{members:?}"
    );
    let told = Value::Array(app.teams_seen(tom).await).to_string();
    assert_eq!(told.matches("done. You now have").count(), 1, "{told}");
    // Every write, before and after the crash, was Nina's own: the approver policy named.
    let made = writes(&app).await;
    assert!(!made.is_empty());
    assert!(made.iter().all(|(_, _, user)| user == nina), "{made:?}");

    app.stop().await;
    let verified = app.cli(&["audit", "verify"]).await;
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let id = request_id(&app.teams_seen(tom).await);
    let kinds: Vec<String> = story(&app, &id)
        .iter()
        .map(|record| record["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        kinds.iter().filter(|kind| *kind == "verified").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(kinds.first().map(String::as_str), Some("received"));
}
