//! Whole conversations through the simulator: Slack and Teams users, sign-in once, links that
//! survive restarts, refusals of the wrong account, duplicates with one effect.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::app::{TestApp, until_said, words};

/// Gives the bot a moment, then returns what `seen()` holds.
async fn after_a_moment<F, Fut>(seen: F) -> Vec<Value>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Vec<Value>>,
{
    tokio::time::sleep(Duration::from_millis(800)).await;
    seen().await
}

#[tokio::test]
async fn a_slack_user_signs_in_once_and_their_waiting_message_is_answered_also_after_a_restart() {
    let mut app = TestApp::spawn().await;
    app.slack("U04TOM", "who am I").await;
    let prompt = app.more_than(0, || app.slack_seen("U04TOM")).await;
    let links = app.sign_in_links(&prompt);
    assert_eq!(links.len(), 1, "one sign-in link: {prompt:?}");
    let (status, page) = app.follow(&links[0]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("tom.becker@contoso.com"), "{page}");
    let seen = until_said(
        || app.slack_seen("U04TOM"),
        "You're Tom Becker (tom.becker@contoso.com, Marketing)",
    )
    .await;
    assert!(
        seen.iter()
            .any(|m| words(m).contains("you're signed in as tom.becker@contoso.com")),
        "{seen:?}"
    );
    let count = seen.len();
    app.slack("U04TOM", "help").await;
    let later = app.more_than(count, || app.slack_seen("U04TOM")).await;
    assert!(
        app.sign_in_links(&later[count..]).is_empty(),
        "no new sign-in prompt: {:?}",
        &later[count..]
    );
    assert!(words(&later[count]).contains("What Doorman does"));

    app.restart().await;
    let count = app.slack_seen("U04TOM").await.len();
    app.slack("U04TOM", "who am I").await;
    let after = until_said(|| app.slack_seen("U04TOM"), "You're Tom Becker").await;
    assert!(
        app.sign_in_links(&after[count..]).is_empty(),
        "the link survived the restart"
    );
}

#[tokio::test]
async fn a_teams_user_is_answered_at_once_and_signs_in_only_when_their_token_is_needed() {
    let app = TestApp::spawn().await;
    app.teams("maria.garcia@contoso.com", "help").await;
    let seen = app
        .more_than(0, || app.teams_seen("maria.garcia@contoso.com"))
        .await;
    assert!(words(&seen[0]).contains("What Doorman does"), "{seen:?}");
    assert!(app.sign_in_links(&seen).is_empty(), "help needs no sign-in");

    app.teams("maria.garcia@contoso.com", "who am I").await;
    let seen = until_said(|| app.teams_seen("maria.garcia@contoso.com"), "/auth/start").await;
    let links = app.sign_in_links(&seen);
    let (status, page) = app.follow(&links[0]).await;
    assert_eq!(status, 200, "{page}");
    until_said(
        || app.teams_seen("maria.garcia@contoso.com"),
        "you're signed in as maria.garcia@contoso.com",
    )
    .await;
    app.teams("maria.garcia@contoso.com", "who am I").await;
    until_said(
        || app.teams_seen("maria.garcia@contoso.com"),
        "You're Maria Garcia (maria.garcia@contoso.com, Marketing)",
    )
    .await;
}

#[tokio::test]
async fn signing_in_as_another_entra_user_than_the_teams_sender_links_nothing() {
    let app = TestApp::spawn().await;
    app.teams("maria.garcia@contoso.com", "sign in").await;
    let seen = until_said(|| app.teams_seen("maria.garcia@contoso.com"), "/auth/start").await;
    let link = app.sign_in_links(&seen).remove(0);
    let (status, page, _) = app.follow_as(&link, "tom.becker@contoso.com").await;
    assert_eq!(status, 403, "{page}");
    assert!(
        page.contains("Nothing was linked") && page.contains("tom.becker@contoso.com"),
        "{page}"
    );
    let count = app.teams_seen("maria.garcia@contoso.com").await.len();
    app.teams("maria.garcia@contoso.com", "who am I").await;
    until_said(
        || app.teams_seen("maria.garcia@contoso.com"),
        "sign in again",
    )
    .await;
    let after = app
        .more_than(count + 1, || app.teams_seen("maria.garcia@contoso.com"))
        .await;
    assert!(
        !app.sign_in_links(&after[count..]).is_empty(),
        "maria is asked to sign in again"
    );
}

#[tokio::test]
async fn a_slack_account_with_another_email_is_linked_only_after_the_person_confirms() {
    let app = TestApp::spawn().await;
    app.slack("U04TOM", "help").await;
    let prompt = app.more_than(0, || app.slack_seen("U04TOM")).await;
    let link = app.sign_in_links(&prompt).remove(0);
    let (status, page, _) = app.follow_as(&link, "alex.kim@contoso.com").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("alex.kim@contoso.com") && page.contains("tom.becker@contoso.com"),
        "both accounts are named: {page}"
    );
    assert!(
        page.contains("Tom Becker") && page.contains("user U04TOM in workspace T0CONTOSO"),
        "the Slack account is named by its name, user id and workspace: {page}"
    );
    let seen = after_a_moment(|| app.slack_seen("U04TOM")).await;
    assert!(
        !seen.iter().any(|m| words(m).contains("signed in as")),
        "nothing is linked before confirming"
    );
    let id = page
        .split("name=\"confirmation\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a confirmation id");
    let (status, page) = app
        .post_form("/auth/confirm", &[("confirmation", id)])
        .await;
    assert_eq!(status, 200, "{page}");
    until_said(|| app.slack_seen("U04TOM"), "What Doorman does").await;
    let (again, _) = app
        .post_form("/auth/confirm", &[("confirmation", id)])
        .await;
    assert_eq!(again, 400, "a confirmation is single-use");
}

#[tokio::test]
async fn a_used_sign_in_state_cannot_be_replayed() {
    let app = TestApp::spawn().await;
    app.slack("U06ALEX", "sign in").await;
    let prompt = app.more_than(0, || app.slack_seen("U06ALEX")).await;
    let link = app.sign_in_links(&prompt).remove(0);
    let (status, _, callback) = app.follow_as(&link, "alex.kim@contoso.com").await;
    assert_eq!(status, 200);
    let (replayed, page) = app.follow(&callback).await;
    assert_eq!(replayed, 400, "{page}");
    assert!(page.contains("expired or was already used"), "{page}");
    let (restarted, _) = app.follow(&link).await;
    assert_eq!(restarted, 400, "the link is used up too");
}

#[tokio::test]
async fn sign_out_forgets_the_link_and_the_tokens() {
    let app = TestApp::spawn().await;
    app.slack("U06ALEX", "help").await;
    let prompt = app.more_than(0, || app.slack_seen("U06ALEX")).await;
    app.follow(&app.sign_in_links(&prompt)[0]).await;
    until_said(|| app.slack_seen("U06ALEX"), "What Doorman does").await;
    app.slack("U06ALEX", "sign out").await;
    let seen = until_said(|| app.slack_seen("U06ALEX"), "You're signed out").await;
    let count = seen.len();
    app.slack("U06ALEX", "who am I").await;
    let after = app.more_than(count, || app.slack_seen("U06ALEX")).await;
    assert!(
        !app.sign_in_links(&after[count..]).is_empty(),
        "signed out: asked to sign in again"
    );
}

#[tokio::test]
async fn a_revoked_refresh_token_makes_doorman_ask_for_a_new_sign_in() {
    let mut app = TestApp::spawn().await;
    app.teams("priya.nair@contoso.com", "sign in").await;
    let seen = until_said(|| app.teams_seen("priya.nair@contoso.com"), "/auth/start").await;
    app.follow(&app.sign_in_links(&seen)[0]).await;
    until_said(|| app.teams_seen("priya.nair@contoso.com"), "signed in as").await;
    // Priya revokes her sessions (as an admin or a password change would).
    let token = app
        .sim
        .access_token("priya.nair@contoso.com", "User.RevokeSessions.All")
        .await;
    assert_eq!(
        app.sim
            .graph(&token, Method::POST, "/me/revokeSignInSessions", None)
            .await
            .status,
        200
    );
    // A restart drops the cached access token, so the next use must redeem the refresh token.
    app.restart().await;
    app.teams("priya.nair@contoso.com", "who am I").await;
    let seen = until_said(|| app.teams_seen("priya.nair@contoso.com"), "sign in again").await;
    assert!(!app.sign_in_links(&seen).is_empty());
}

#[tokio::test]
async fn a_redelivered_slack_event_gets_one_answer_even_across_a_restart() {
    let mut app = TestApp::spawn().await;
    let first = app
        .sim
        .control(
            Method::POST,
            "slack/message",
            Some(json!({"user": "U03MARIA", "text": "hello"})),
        )
        .await;
    let event_id = first.body["event_id"]
        .as_str()
        .expect("an event id")
        .to_owned();
    app.more_than(0, || app.slack_seen("U03MARIA")).await;
    for retry in [1, 2] {
        let again = app.sim.control(Method::POST, "slack/message", Some(json!({"user": "U03MARIA", "text": "hello", "event_id": event_id, "retry": retry}))).await;
        assert_eq!(again.body["status"], 200);
    }
    // Dropped retries are counted for the operator, not logged one line each.
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("doorman_deliveries_redelivered_total 2"),
        "{metrics}"
    );
    app.restart().await;
    let again = app
        .sim
        .control(
            Method::POST,
            "slack/message",
            Some(json!({"user": "U03MARIA", "text": "hello", "event_id": event_id, "retry": 3})),
        )
        .await;
    assert_eq!(again.body["status"], 200);
    let seen = after_a_moment(|| app.slack_seen("U03MARIA")).await;
    assert_eq!(seen.len(), 1, "one answer for one event: {seen:?}");
}

/// Small talk is answered and counted; the trail keeps what was understood or disclosed.
#[tokio::test]
async fn a_message_asking_for_nothing_known_is_counted_not_audited_but_a_suggestion_is_audited() {
    let app = TestApp::spawn().await;
    let person = "tom.becker@contoso.com";
    app.teams(person, "hey bot, how are you today? 48213").await;
    until_said(|| app.teams_seen(person), "couldn't find").await;
    app.teams(person, "give me access to the finance budgets thing")
        .await;
    until_said(|| app.teams_seen(person), "Did you mean").await;

    let metrics = app.metrics().await;
    assert!(
        metrics.contains("doorman_messages_not_understood_total 1\n"),
        "{metrics}"
    );
    // The record is in the chain before the answer goes out, and the export reads the
    // daemon's chain through its admin listener.
    let export = app.cli(&["audit", "export"]).await;
    let understood: Vec<String> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .filter(|line| line.contains("\"kind\":\"understood\""))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        understood.len(),
        1,
        "only the message that got a suggestion: {understood:?}"
    );
    assert!(understood[0].contains("Finance"), "{}", understood[0]);
    assert!(understood[0].contains(person), "{}", understood[0]);
}

#[tokio::test]
async fn a_greeting_is_answered_with_what_doorman_is() {
    let app = TestApp::spawn().await;
    app.teams("tom.becker@contoso.com", "hello").await;
    let seen = until_said(|| app.teams_seen("tom.becker@contoso.com"), "I'm Doorman").await;
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn a_requesters_sign_in_asks_for_no_write_permission() {
    let app = TestApp::spawn().await;
    app.slack("U06ALEX", "sign in").await;
    let prompt = app.more_than(0, || app.slack_seen("U06ALEX")).await;
    let link = app.sign_in_links(&prompt).remove(0);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let start = no_redirects.get(&link).send().await.expect("start");
    let authorize =
        url::Url::parse(start.headers()["location"].to_str().expect("location")).expect("URL");
    let param = |name: &str| {
        authorize
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let scope = param("scope");
    assert!(
        scope.contains("offline_access") && scope.contains("User.Read"),
        "{scope}"
    );
    assert!(
        !scope.contains("ReadWrite"),
        "a requester is never asked for a write permission: {scope}"
    );
    assert_eq!(param("code_challenge_method"), "S256");
    assert_eq!(
        param("login_hint"),
        "alex.kim@contoso.com",
        "the Slack profile's email"
    );
    assert!(!param("nonce").is_empty() && !param("state").is_empty());
}

#[tokio::test]
async fn no_sign_in_page_can_be_framed_by_another_site() {
    let app = TestApp::spawn().await;
    app.slack("U06ALEX", "sign in").await;
    let prompt = app.more_than(0, || app.slack_seen("U06ALEX")).await;
    let link = app.sign_in_links(&prompt).remove(0);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let bot = &app.bot_url;
    let answers = [
        http.get(&link).send().await,
        http.get(format!("{bot}/auth/start")).send().await,
        http.get(format!("{bot}/auth/start?state=nope"))
            .send()
            .await,
        http.get(format!("{bot}/auth/callback?state=nope&code=x"))
            .send()
            .await,
        http.post(format!("{bot}/auth/confirm"))
            .form(&[("confirmation", "nope")])
            .send()
            .await,
    ];
    for answer in answers {
        let answer = answer.expect("answers");
        let status = answer.status();
        let header = |name: &str| {
            answer
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("x-frame-options"), "DENY", "{status}");
        assert!(
            header("content-security-policy").contains("frame-ancestors 'none'"),
            "{status}: {}",
            header("content-security-policy")
        );
    }
}

#[tokio::test]
async fn a_sign_in_link_opened_twice_keeps_the_first_flow_and_refuses_the_second() {
    let app = TestApp::spawn().await;
    app.slack("U06ALEX", "sign in").await;
    let prompt = app.more_than(0, || app.slack_seen("U06ALEX")).await;
    let link = app.sign_in_links(&prompt).remove(0);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let first = no_redirects.get(&link).send().await.expect("start");
    assert_eq!(first.status(), 302);
    let authorize = first.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let (again, page) = app.follow(&link).await;
    assert_eq!(again, 409, "{page}");
    assert!(
        page.contains("already opened") && page.contains("Ask Doorman for a new one"),
        "{page}"
    );
    // The first browser still finishes: its PKCE verifier was not replaced.
    let (status, page) = app.follow(&authorize).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Signed in as alex.kim@contoso.com"), "{page}");
}

#[tokio::test]
async fn a_slack_message_accepted_but_not_handled_before_a_crash_is_answered_once_after_it() {
    use doorman::channels::Deliveries;
    use doorman::domain::chat::{Channel, ChatMessage, ChatUser, Inbound, Place, Sender};
    use doorman::store::{SledStore, Store};

    let mut app = TestApp::spawn().await;
    app.stop().await;
    // What a crash between acknowledging the event and handling it leaves in the ledger.
    {
        let store: std::sync::Arc<dyn Store> =
            std::sync::Arc::new(SledStore::open(&app.storage_path()).expect("the store"));
        let deliveries = Deliveries::open(store, &app.storage_path()).expect("the ledger");
        let slack = &app.sim.state.slack;
        let hello = Inbound::Message(ChatMessage {
            id: "Ev0CRASHED".into(),
            sender: Sender {
                user: ChatUser {
                    channel: Channel::Slack,
                    tenant: slack.team_id.clone(),
                    id: "U03MARIA".into(),
                },
                entra: None,
                display_name: None,
            },
            place: Place {
                channel: Channel::Slack,
                reference: json!({"channel": slack.dm_id("U03MARIA")}),
            },
            text: "hello".into(),
            received_at: chrono::Utc::now(),
        });
        let accepted = deliveries.accept("slack:Ev0CRASHED", &hello).await;
        assert!(accepted.expect("recorded"), "a new delivery");
    }
    app.start().await;
    app.more_than(0, || app.slack_seen("U03MARIA")).await;
    // Slack's retry of the same event after the restart is not handled besides.
    let retried = app
        .sim
        .control(
            Method::POST,
            "slack/message",
            Some(
                json!({"user": "U03MARIA", "text": "hello", "event_id": "Ev0CRASHED", "retry": 1}),
            ),
        )
        .await;
    assert_eq!(retried.body["status"], 200);
    app.restart().await;
    let seen = after_a_moment(|| app.slack_seen("U03MARIA")).await;
    assert_eq!(
        seen.len(),
        1,
        "one answer, also after another restart: {seen:?}"
    );
}

#[tokio::test]
async fn a_slack_mention_in_a_channel_is_understood_and_answered_privately() {
    let app = TestApp::spawn().await;
    let general = || async {
        let answer = app
            .sim
            .control(Method::GET, "slack/messages?channel=general", None)
            .await;
        answer.body.as_array().cloned().unwrap_or_default()
    };
    // Tom has never spoken to Doorman: his first words are a mention in #general.
    let posted = app
        .sim
        .control(
            Method::POST,
            "slack/message",
            Some(json!({"user": "U04TOM", "text": "what access do I have?", "mention": true})),
        )
        .await;
    assert_eq!(posted.status, 200, "{}", posted.text);
    let prompt = app.more_than(0, || app.slack_seen("U04TOM")).await;
    let links = app.sign_in_links(&prompt);
    assert_eq!(links.len(), 1, "the sign-in link is in his DM: {prompt:?}");
    let in_channel = app.more_than(0, general).await;
    assert!(
        app.sign_in_links(&in_channel).is_empty(),
        "no link where others read: {in_channel:?}"
    );
    assert!(words(&in_channel[0]).contains("direct message with a sign-in link"));

    let (status, page) = app.follow(&links[0]).await;
    assert_eq!(status, 200, "{page}");
    until_said(|| app.slack_seen("U04TOM"), "no access granted through me").await;
    let in_channel = until_said(general, "I'll answer you in our direct chat").await;
    assert!(
        in_channel
            .iter()
            .all(|message| !words(message).contains("access granted")),
        "what he can reach is not said in the channel: {in_channel:?}"
    );
}
