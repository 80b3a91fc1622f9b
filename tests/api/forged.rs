//! Input that does not come from Teams or Slack as they really send it is refused with 401 and
//! changes nothing; the same real delivery twice has one effect.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use crate::app::TestApp;
use doorman::sim::keys::SigningKey;
use doorman::sim::teams::{bot_account_id, personal_conversation_id, teams_user_id};

/// A personal message activity from `upn`, shaped as the Bot Connector sends it.
pub fn activity(app: &TestApp, upn: &str, id: &str, text: &str) -> Value {
    let (oid, name) = {
        let directory = app.sim.state.directory();
        let user = directory.user(upn).expect("a tenant user");
        (
            user.id.clone(),
            user.props
                .get("displayName")
                .cloned()
                .unwrap_or(Value::Null),
        )
    };
    let tenant = app.sim.tenant_id();
    json!({
        "type": "message",
        "id": id,
        "timestamp": Utc::now().to_rfc3339(),
        "serviceUrl": app.sim.state.teams_service_url(),
        "channelId": "msteams",
        "from": {"id": teams_user_id(&tenant, &oid), "name": name, "aadObjectId": oid},
        "conversation": {"id": personal_conversation_id(&tenant, &oid), "conversationType": "personal", "tenantId": tenant},
        "recipient": {"id": bot_account_id(&app.sim.state.registration.client_id), "name": "Doorman"},
        "text": text,
        "channelData": {"tenant": {"id": tenant}},
    })
}

pub fn connector_claims(app: &TestApp) -> Value {
    let now = Utc::now().timestamp();
    json!({
        "serviceurl": app.sim.state.teams_service_url(),
        "nbf": now,
        "exp": now + 3600,
        "iss": "https://api.botframework.com",
        "aud": app.sim.state.registration.client_id,
    })
}

pub async fn post_activity(app: &TestApp, activity: &Value, token: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("{}/api/messages", app.bot_url))
        .json(activity);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    request
        .send()
        .await
        .expect("the bot answers")
        .status()
        .as_u16()
}

#[tokio::test]
async fn forged_teams_activities_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let upn = "tom.becker@contoso.com";
    let real = activity(&app, upn, "1001", "hello");
    let bot_framework = &app.sim.state.teams.key;
    let stranger = SigningKey::generate().expect("a key");
    let mut wrong_audience = connector_claims(&app);
    wrong_audience["aud"] = json!("another-bot");
    let mut expired = connector_claims(&app);
    expired["exp"] = json!(Utc::now().timestamp() - 3600);
    expired["nbf"] = json!(Utc::now().timestamp() - 7200);
    let mut other_service = connector_claims(&app);
    other_service["serviceurl"] = json!("https://evil.example/teams/");
    let mut wrong_issuer = connector_claims(&app);
    wrong_issuer["iss"] = json!("https://sts.windows.net/attacker/");
    let cases: Vec<(&str, Option<String>, Value)> = vec![
        ("no token", None, real.clone()),
        (
            "garbage",
            Some("eyJhbGciOiJSUzI1NiJ9.e30.c2ln".to_owned()),
            real.clone(),
        ),
        (
            "another key",
            Some(stranger.sign(&connector_claims(&app))),
            real.clone(),
        ),
        (
            "wrong audience",
            Some(bot_framework.sign(&wrong_audience)),
            real.clone(),
        ),
        ("expired", Some(bot_framework.sign(&expired)), real.clone()),
        (
            "serviceUrl mismatch",
            Some(bot_framework.sign(&other_service)),
            real.clone(),
        ),
        (
            "wrong issuer",
            Some(bot_framework.sign(&wrong_issuer)),
            real.clone(),
        ),
        (
            "Entra's key instead of the Bot Framework's",
            Some(app.sim.state.keys.sign(&connector_claims(&app))),
            real.clone(),
        ),
    ];
    for (why, token, body) in &cases {
        assert_eq!(
            post_activity(&app, body, token.as_deref()).await,
            401,
            "{why}"
        );
    }
    let mut foreign = real.clone();
    foreign["conversation"]["tenantId"] = json!("00000000-0000-0000-0000-0000000000ff");
    foreign["channelData"]["tenant"]["id"] = json!("00000000-0000-0000-0000-0000000000ff");
    assert_eq!(
        post_activity(
            &app,
            &foreign,
            Some(&bot_framework.sign(&connector_claims(&app)))
        )
        .await,
        401,
        "foreign tenant"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        app.teams_seen(upn).await.is_empty(),
        "nothing was processed"
    );
    assert_eq!(
        post_activity(
            &app,
            &real,
            Some(&bot_framework.sign(&connector_claims(&app)))
        )
        .await,
        200,
        "the genuine activity passes"
    );
}

#[tokio::test]
async fn a_redelivered_teams_activity_gets_one_answer_even_across_a_restart() {
    let mut app = TestApp::spawn().await;
    let upn = "nina.patel@contoso.com";
    // The person's chat exists once they have talked to the bot.
    app.teams(upn, "hello").await;
    app.more_than(0, || app.teams_seen(upn)).await;
    let repeated = activity(&app, upn, "2002", "help");
    for _ in 0..2 {
        let token = app.sim.state.teams.key.sign(&connector_claims(&app));
        assert_eq!(post_activity(&app, &repeated, Some(&token)).await, 200);
    }
    app.restart().await;
    let token = app.sim.state.teams.key.sign(&connector_claims(&app));
    assert_eq!(post_activity(&app, &repeated, Some(&token)).await, 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let seen = app.teams_seen(upn).await;
    assert_eq!(seen.len(), 2, "a greeting and one help answer: {seen:?}");
}

#[tokio::test]
async fn forged_slack_requests_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let slack = &app.sim.state.slack;
    let body = json!({
        "type": "event_callback", "team_id": slack.team_id, "api_app_id": "A0DOORMAN", "event_id": "EvForged1",
        "event": {"type": "message", "channel_type": "im", "user": "U03MARIA", "text": "help", "channel": "D1", "ts": "1.1"},
    })
    .to_string();
    let sign = |timestamp: &str| {
        use hmac_sign::sign;
        sign(&slack.signing_secret, timestamp, body.as_bytes())
    };
    let now = Utc::now().timestamp().to_string();
    let stale = (Utc::now().timestamp() - 600).to_string();
    let cases = [
        (
            "bad signature",
            now.clone(),
            format!("v0={}", "0".repeat(64)),
        ),
        ("stale timestamp", stale.clone(), sign(&stale)),
        ("signed for another body", now.clone(), {
            let other = body.replace("help", "sign out");
            hmac_sign::sign(&slack.signing_secret, &now, other.as_bytes())
        }),
    ];
    let client = reqwest::Client::new();
    for (why, timestamp, signature) in &cases {
        let status = client
            .post(format!("{}/slack/events", app.bot_url))
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", timestamp)
            .header("x-slack-signature", signature)
            .body(body.clone())
            .send()
            .await
            .expect("answers")
            .status()
            .as_u16();
        assert_eq!(status, 401, "{why}");
    }
    let unsigned = client
        .post(format!("{}/slack/events", app.bot_url))
        .body(body.clone())
        .send()
        .await
        .expect("answers");
    assert_eq!(unsigned.status().as_u16(), 401, "no signature at all");
    let interaction = client
        .post(format!("{}/slack/interactions", app.bot_url))
        .header("x-slack-request-timestamp", &now)
        .header("x-slack-signature", format!("v0={}", "1".repeat(64)))
        .form(&[("payload", "{}")])
        .send()
        .await
        .expect("answers");
    assert_eq!(interaction.status().as_u16(), 401, "a forged click");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        app.slack_seen("U03MARIA").await.is_empty(),
        "nothing was processed"
    );
}

/// Slack's signature: `v0=` + hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}")).
pub mod hmac_sign {
    pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
        let mut message = format!("v0:{timestamp}:").into_bytes();
        message.extend_from_slice(body);
        format!(
            "v0={}",
            hex::encode(aws_lc_rs::hmac::sign(&key, &message).as_ref())
        )
    }
}

#[tokio::test]
async fn installing_the_app_greets_the_person_once() {
    let app = TestApp::spawn().await;
    let upn = "alex.kim@contoso.com";
    app.teams(upn, "help").await;
    app.more_than(0, || app.teams_seen(upn)).await;
    let mut added = activity(&app, upn, "3003", "");
    added["type"] = json!("conversationUpdate");
    added["membersAdded"] = json!([{"id": added["recipient"]["id"].clone()}]);
    let mut installed = activity(&app, upn, "3004", "");
    installed["type"] = json!("installationUpdate");
    installed["action"] = json!("add");
    for event in [&added, &installed] {
        let token = app.sim.state.teams.key.sign(&connector_claims(&app));
        assert_eq!(post_activity(&app, event, Some(&token)).await, 200);
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let greetings = app
        .teams_seen(upn)
        .await
        .iter()
        .filter(|m| m.to_string().contains("I'm Doorman"))
        .count();
    let texts: Vec<String> = app
        .teams_seen(upn)
        .await
        .iter()
        .map(|m| m["text"].to_string())
        .collect();
    assert_eq!(greetings, 1, "one install, one greeting: {texts:?}");
}
