//! Account recovery pushed where the happy paths do not go (DESIGN.md section 10): lost answers,
//! failures after the change, kills mid-reset, hostile callbacks and clicks, two asks at once, a
//! channel, an administrator with nobody to recover them, and the daemon's debug log.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::app::{OPERATOR, TestApp, eventually, until_said};
use crate::approvals::{card_for, sign_in_when_asked};
use crate::helpers::CONTOSO;
use crate::recovery::{confirm, passwords, recovery_app, recovery_writes, until_reset, user};
use crate::requests::click_teams;

const WAVE_TWO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/contoso-policy-wave2.toml"
);
const SARAH: &str = "sarah.chen@contoso.com";
const DAVID: &str = "david.okafor@contoso.com";
const ALEX: &str = "alex.kim@contoso.com";
const PRIYA: &str = "priya.nair@contoso.com";
const TOM: &str = "tom.becker@contoso.com";
const MARIA: &str = "maria.garcia@contoso.com";
const GRACE: &str = "grace.admin@contoso.com";

fn text(messages: &[Value]) -> String {
    serde_json::to_string(messages).expect("json")
}

/// A step-up that fails early gives way to the manager; the manager's confirmation must not be
/// cut off by the step-up's own ten-minute time-out, which was scheduled for the same stage slot.
#[tokio::test]
async fn a_manager_asked_after_a_failed_step_up_is_not_timed_out_by_the_step_ups_timer() {
    let app = recovery_app().await;
    app.sim
        .control(
            Method::POST,
            "login/step_up",
            Some(json!({"mode": "omit_acrs"})),
        )
        .await;
    app.teams(ALEX, "I forgot my password").await;
    let asked = until_said(|| app.teams_seen(ALEX), "/auth/start").await;
    let link = app.sign_in_links(&asked).pop().expect("a step-up link");
    let (_, page) = app.follow(&link).await;
    assert!(page.contains("Not verified"), "{page}");
    let (card, approve) = card_for(&app, PRIYA, "approve").await;
    // The manager is in a meeting; she answers eleven minutes after the link was sent.
    app.clock.advance(Duration::from_secs(11 * 60));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let told = text(&app.teams_seen(ALEX).await);
    assert!(
        !told.contains("timed out") && !told.contains("expired"),
        "the manager's confirmation was ended by the step-up's timer: {told}"
    );
    click_teams(&app, PRIYA, &card, &approve).await;
    sign_in_when_asked(&app, OPERATOR).await;
    let password = until_reset(&app).await;
    until_said(|| app.teams_seen(ALEX), &password).await;
}

/// The reset's answer is lost (carried out, the connection dropped): it is made once and never
/// again, and the requester is told that it may have been made (their old password may no
/// longer work), not only that it failed.
#[tokio::test]
async fn a_lost_answer_on_the_reset_is_made_once_and_the_requester_told_it_may_have_been_made() {
    let app = recovery_app().await;
    app.teams(SARAH, "I'm locked out of my account").await;
    confirm(&app, DAVID).await;
    app.sim
        .control(Method::POST, "faults", Some(json!({"lose_next_writes": 1})))
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    // The password Doorman chose is hers either way: she gets it, with the doubt said.
    let told = until_said(|| app.teams_seen(SARAH), "may or may not have been reset").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sarah = user(&app, SARAH).await;
    assert_eq!(sarah["passwordChanged"], 1, "reset exactly once: {sarah}");
    let told = text(&told);
    assert!(
        told.contains("may") || told.contains("might"),
        "Sarah's password was changed, but she is told only that it failed: {told}"
    );
}

/// Card clicks that name another request or come from the requester decide nothing.
#[tokio::test]
async fn tampered_and_own_card_clicks_decide_nothing() {
    let app = recovery_app().await;
    app.teams(SARAH, "I'm locked out").await;
    let (david_card, david_approve) = card_for(&app, DAVID, "approve").await;
    app.teams(TOM, "I forgot my password").await;
    let (_, maria_approve) = card_for(&app, MARIA, "approve").await;
    // David clicks his own card, with the data of Tom's request.
    let mut tampered = david_approve.clone();
    tampered["data"] = maria_approve["data"].clone();
    let _ = app
        .sim
        .control(
            Method::POST,
            "teams/invoke",
            Some(json!({"from": DAVID, "replyToId": david_card, "action": tampered})),
        )
        .await;
    // Sarah clicks "approve" for her own request from her own chat.
    let own = app.teams_seen(SARAH).await;
    let any_activity = own
        .iter()
        .rev()
        .find_map(|m| m["id"].as_str().map(str::to_owned))
        .expect("an activity in Sarah's chat");
    let _ = app
        .sim
        .control(
            Method::POST,
            "teams/invoke",
            Some(json!({"from": SARAH, "replyToId": any_activity, "action": david_approve})),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let operator_asked = text(&app.teams_seen(OPERATOR).await);
    assert!(
        !operator_asked.contains("/auth/start"),
        "nothing was approved: {operator_asked}"
    );
    assert!(recovery_writes(&app).await.is_empty());
}

/// Asked in a Teams channel (where his manager also reads): the password goes only to the 1:1
/// chat; never into the channel, the manager's chat, the audit, or the status answer.
#[tokio::test]
async fn a_password_asked_for_in_a_channel_reaches_only_the_one_to_one_chat() {
    let app = recovery_app().await;
    let answer = app
        .sim
        .control(
            Method::POST,
            "teams/message",
            Some(json!({"from": TOM, "text": "reset my password, I'm sarah.chen@contoso.com", "mention": true})),
        )
        .await;
    assert!(answer.status < 300, "{}", answer.text);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let answer = app
        .sim
        .control(
            Method::POST,
            "teams/message",
            Some(json!({"from": TOM, "text": "I forgot my password", "mention": true})),
        )
        .await;
    assert!(answer.status < 300, "{}", answer.text);
    confirm(&app, MARIA).await;
    sign_in_when_asked(&app, OPERATOR).await;
    let password = until_reset(&app).await;
    until_said(|| app.teams_seen(TOM), &password).await;
    assert!(!text(&app.teams_seen(MARIA).await).contains(&password));
    app.teams(TOM, "status").await;
    app.teams(TOM, "what access do I have?").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let audit = app.cli(&["audit", "export"]).await;
    assert!(!String::from_utf8_lossy(&audit.stdout).contains(&password));
    let metrics = app.follow(&format!("{}/metrics", app.admin_url())).await.1;
    assert!(!metrics.contains(&password));
    let log = app.sim.control(Method::GET, "teams/log", None).await.body;
    let carrying: Vec<&Value> = log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| {
            serde_json::to_string(entry)
                .unwrap_or_default()
                .contains(&password)
        })
        .collect();
    assert_eq!(
        carrying.len(),
        1,
        "the password was sent once: {carrying:?}"
    );
    let tom_ids: Vec<String> = app
        .teams_seen(TOM)
        .await
        .iter()
        .filter_map(|m| m["id"].as_str().map(str::to_owned))
        .collect();
    assert!(
        carrying[0]["activityId"]
            .as_str()
            .is_some_and(|id| tom_ids.iter().any(|t| t == id)),
        "the password went to a conversation other than Tom's 1:1: {carrying:?}"
    );
    // Ten minutes on, it is gone from everywhere the connector shows.
    app.clock.advance(Duration::from_secs(11 * 60));
    let removed = eventually(|| async {
        (!text(&app.teams_seen(TOM).await).contains(&password)).then_some(())
    })
    .await;
    assert!(removed.is_some());
}

/// An administrator with privileged_recovery stages but no privileged operator: refused, and
/// the ordinary operator never writes to the admin's account.
#[tokio::test]
async fn an_administrator_without_a_privileged_operator_gets_nothing_from_the_ordinary_operator() {
    let dir = tempfile::tempdir().expect("dir");
    let policy = dir.path().join("policy.toml");
    let wave_two = std::fs::read_to_string(WAVE_TWO).expect("the wave 2 policy");
    std::fs::write(
        &policy,
        wave_two.replacen(
            "[global]\n",
            "[global]\nprivileged_recovery = [\"user:david.okafor@contoso.com\"]\n",
            1,
        ),
    )
    .expect("policy written");
    let app =
        TestApp::spawn_configured(CONTOSO, &policy.display().to_string(), OPERATOR, &[]).await;
    app.teams(GRACE, "I forgot my password").await;
    // Refused at once: nobody is asked to verify or approve what nobody may carry out.
    until_said(|| app.teams_seen(GRACE), "privileged_operator").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let seen = text(&app.teams_seen(GRACE).await);
    assert!(!seen.contains("/auth/start"), "{seen}");
    assert!(
        crate::approvals::card_action(&app.teams_seen(DAVID).await, "approve").is_none(),
        "David is not asked"
    );
    assert!(
        recovery_writes(&app).await.is_empty(),
        "{:?}",
        recovery_writes(&app).await
    );
    let grace = user(&app, GRACE).await;
    assert_eq!(grace["passwordChanged"], 0, "{grace}");
}

/// Hostile callbacks on a step-up state: a garbage code, then an error on a state that is not a
/// step-up. Neither verifies anyone nor writes anything.
#[tokio::test]
async fn hostile_callbacks_verify_nobody() {
    let app = recovery_app().await;
    app.teams(ALEX, "forgot my password").await;
    let asked = until_said(|| app.teams_seen(ALEX), "/auth/start").await;
    let link = app.sign_in_links(&asked).pop().expect("a step-up link");
    let state = url::Url::parse(&link)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    let _ = app.authorize_url(&link).await;
    let (status, page) = app
        .follow(&format!(
            "{}/auth/callback?state={state}&code=forged",
            app.bot_url
        ))
        .await;
    assert!(!page.contains("Thank you"), "{status} {page}");
    // And again: the state is gone.
    let (_, again) = app
        .follow(&format!(
            "{}/auth/callback?state={state}&code=forged",
            app.bot_url
        ))
        .await;
    assert!(!again.contains("Thank you"), "{again}");
    card_for(&app, PRIYA, "approve").await;
    let (_, weird) = app
        .follow(&format!(
            "{}/auth/callback?state=&error=interaction_required&error_description=%3Cscript%3E",
            app.bot_url
        ))
        .await;
    assert!(!weird.contains("<script>"), "{weird}");
    assert!(recovery_writes(&app).await.is_empty());
}

/// Two recovery requests at once (a double message): how many resets?
#[tokio::test]
async fn two_requests_at_once_reset_at_most_once() {
    let app = recovery_app().await;
    app.teams(TOM, "I forgot my password").await;
    app.teams(TOM, "I forgot my password!!").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen = app.teams_seen(MARIA).await;
    let cards = seen
        .iter()
        .filter(|m| text(std::slice::from_ref(m)).contains("Is this really"))
        .count();
    assert_eq!(cards, 1, "one confirmation for one recovery");
    until_said(|| app.teams_seen(TOM), "already under way").await;
    for message in seen.iter() {
        if let Some((card, approve)) =
            crate::approvals::card_action(std::slice::from_ref(message), "approve")
        {
            click_teams(&app, MARIA, &card, &approve).await;
        }
    }
    sign_in_when_asked(&app, OPERATOR).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let resets = passwords(&recovery_writes(&app).await);
    assert_eq!(resets.len(), 1, "Tom's password is reset exactly once");
}

/// The daemon as its own process at trace level: a whole locked-out recovery, and the new
/// password is in no line of Doorman's log.
#[tokio::test]
async fn a_recovery_leaves_the_password_out_of_the_daemons_trace_log() {
    let mut app = recovery_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("bot.log");
    app.stop().await;
    app.start_process_logging(&log, "trace").await;
    app.teams(SARAH, "I'm locked out").await;
    confirm(&app, DAVID).await;
    sign_in_when_asked(&app, OPERATOR).await;
    let password = until_reset(&app).await;
    until_said(|| app.teams_seen(SARAH), &password).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.lines().count() > 20, "{logged}");
    assert!(
        !logged.contains(&password),
        "the new password reached Doorman's log"
    );
}

/// The daemon dies while the reset is in flight (carried out, not yet answered): after the
/// restart the reset is not made again, and the requester is told.
#[tokio::test]
async fn a_crash_during_the_reset_resets_once_and_tells_the_requester() {
    let mut app = recovery_app().await;
    app.stop().await;
    app.start_process().await;
    app.teams(SARAH, "I'm locked out").await;
    confirm(&app, DAVID).await;
    app.sim
        .control(Method::POST, "faults", Some(json!({"latency_ms": 4000})))
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    // Wait until the reset was carried out (half the latency in), then kill.
    let carried =
        eventually(|| async { (user(&app, SARAH).await["passwordChanged"] == 1).then_some(()) })
            .await;
    assert!(carried.is_some());
    app.kill().await;
    app.sim
        .control(Method::POST, "faults", Some(json!({"latency_ms": 0})))
        .await;
    app.start_process().await;
    until_said(|| app.teams_seen(SARAH), "interrupted").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(user(&app, SARAH).await["passwordChanged"], 1, "reset once");
}

/// The reset is made and answered, then Graph fails (the read-back / the sign-out): the new
/// password exists only in Doorman's hands, and it is thrown away; the requester hears only
/// that recovery failed.
#[tokio::test]
async fn a_failure_after_the_reset_still_gives_the_requester_the_password_it_set() {
    let app = recovery_app().await;
    app.teams(SARAH, "I'm locked out").await;
    confirm(&app, DAVID).await;
    app.sim
        .control(Method::POST, "faults", Some(json!({"latency_ms": 3000})))
        .await;
    sign_in_when_asked(&app, OPERATOR).await;
    let carried =
        eventually(|| async { (user(&app, SARAH).await["passwordChanged"] == 1).then_some(()) })
            .await;
    assert!(carried.is_some());
    app.sim
        .control(
            Method::POST,
            "faults",
            Some(json!({"latency_ms": 0, "error_rate": 1.0})),
        )
        .await;
    let mut told = String::new();
    for _ in 0..120 {
        told = text(&app.teams_seen(SARAH).await);
        if told.contains("could not recover") || told.contains("new temporary password") {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let password = passwords(&recovery_writes(&app).await)
        .pop()
        .expect("a reset");
    assert_eq!(user(&app, SARAH).await["passwordChanged"], 1);
    assert!(
        told.contains(&password),
        "Sarah's password was changed to one only Doorman knew, and she was not given it: {told}"
    );
}
