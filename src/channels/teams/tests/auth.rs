//! Inbound JWT checks: every failure is a 401 with no effect; good tokens pass once.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::{
    APP_PASSWORD, FOREIGN_TENANT, Harness, TENANT, TestResult, capture_logs, eventually,
    fast_tuning, lock,
};
use crate::domain::chat::{ChatPort, Message};
use crate::sim::keys::SigningKey;
use crate::store::{Domain, Table};

/// A token with `header` and `claims` and whatever `signature` says.
fn assembled(header: &Value, claims: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn with_claim(claims: &Value, name: &str, value: Value) -> Value {
    let mut claims = claims.clone();
    claims[name] = value;
    claims
}

fn without_claim(claims: &Value, name: &str) -> Value {
    let mut claims = claims.clone();
    if let Some(fields) = claims.as_object_mut() {
        fields.remove(name);
    }
    claims
}

/// An `Authorization` header with a good token whose time window is `exp` and `nbf`.
fn bearer_within(harness: &Harness, exp: Value, nbf: Value) -> String {
    let claims = with_claim(&harness.claims(), "exp", exp);
    let claims = with_claim(&claims, "nbf", nbf);
    format!("Bearer {}", harness.key.sign(&claims))
}

fn stored_conversations(harness: &Harness) -> Result<usize, Box<dyn std::error::Error>> {
    let table: Table<String, Value> =
        Table::open(harness.store.as_ref(), Domain::TeamsConversations)?;
    Ok(table.len())
}

#[tokio::test]
async fn every_failed_check_is_a_401_that_records_and_hands_on_nothing() -> TestResult {
    let (captured, _guard) = capture_logs();
    let harness = Harness::start().await?;
    let activity = harness.personal_message("msg-1", "I need access to Finance");
    let claims = harness.claims();
    let now = Utc::now().timestamp();
    let good = harness.key.sign(&claims);
    let stranger = SigningKey::generate()?;
    let unendorsed = SigningKey::generate()?;
    harness
        .cloud
        .publish(unendorsed.jwk(&[("endorsements", json!(["emulator"]))]));
    let good_parts: Vec<&str> = good.split('.').collect();
    let stranger_token = stranger.sign(&claims);
    let stranger_signature = stranger_token.rsplit('.').next().unwrap_or_default();
    let kid = harness.key.kid();
    let hs256 = jsonwebtoken::encode(
        &Header {
            kid: Some(kid.to_owned()),
            ..Header::new(Algorithm::HS256)
        },
        &claims,
        &EncodingKey::from_secret(kid.as_bytes()),
    )?;
    let mut foreign = activity.clone();
    foreign["conversation"]["tenantId"] = json!(FOREIGN_TENANT);
    foreign["channelData"]["tenant"]["id"] = json!(FOREIGN_TENANT);
    let mut other_channel = activity.clone();
    other_channel["channelId"] = json!("slack");

    let bearer = |token: &str| Some(format!("Bearer {token}"));
    let signed = |claims: Value| bearer(&harness.key.sign(&claims));
    let forged = format!("{}.{}.{stranger_signature}", good_parts[0], good_parts[1]);
    let none = assembled(
        &json!({"alg": "none", "typ": "JWT", "kid": kid}),
        &claims,
        "",
    );
    let evil_service = json!("https://evil.example/amer/");
    // (case, Authorization header, activity, what the refusal says)
    let cases: Vec<(&str, Option<String>, &Value, &str)> = vec![
        ("no header", None, &activity, "no authorization header"),
        (
            "basic",
            Some("Basic dXNlcjpwYXNz".into()),
            &activity,
            "not a bearer token",
        ),
        (
            "empty bearer",
            Some("Bearer ".into()),
            &activity,
            "not a bearer token",
        ),
        (
            "garbage",
            bearer("not.a.jwt"),
            &activity,
            "header is unreadable",
        ),
        (
            "forged signature",
            bearer(&forged),
            &activity,
            "InvalidSignature",
        ),
        (
            "unknown kid",
            bearer(&stranger_token),
            &activity,
            "a signing key the bot framework does not publish",
        ),
        ("alg none", bearer(&none), &activity, "header is unreadable"),
        (
            "HS256",
            bearer(&hs256),
            &activity,
            "signed with HS256, not RS256",
        ),
        (
            "wrong issuer",
            signed(with_claim(
                &claims,
                "iss",
                json!("https://sts.windows.net/x/"),
            )),
            &activity,
            "InvalidIssuer",
        ),
        (
            "wrong audience",
            signed(with_claim(&claims, "aud", json!("someone-else"))),
            &activity,
            "InvalidAudience",
        ),
        (
            "no audience",
            signed(without_claim(&claims, "aud")),
            &activity,
            "claim: aud",
        ),
        (
            "expired beyond the leeway",
            signed(with_claim(&claims, "exp", json!(now - 400))),
            &activity,
            "ExpiredSignature",
        ),
        (
            "no expiry",
            signed(without_claim(&claims, "exp")),
            &activity,
            "claim: exp",
        ),
        (
            "not yet valid",
            signed(with_claim(&claims, "nbf", json!(now + 400))),
            &activity,
            "ImmatureSignature",
        ),
        (
            "another service url",
            signed(with_claim(&claims, "serviceurl", evil_service)),
            &activity,
            "serviceurl claim does not match",
        ),
        (
            "no service url claim",
            signed(without_claim(&claims, "serviceurl")),
            &activity,
            "serviceurl claim does not match",
        ),
        (
            "a key not endorsed for msteams",
            bearer(&unendorsed.sign(&claims)),
            &activity,
            "not endorsed for channel \"msteams\"",
        ),
        (
            "a channel the key is not endorsed for",
            bearer(&good),
            &other_channel,
            "not endorsed for channel \"slack\"",
        ),
        (
            "a foreign tenant",
            bearer(&good),
            &foreign,
            "is not allowed",
        ),
    ];
    for (case, authorization, activity, reason) in cases {
        let logged_before = captured.text().len();
        let (status, _) = harness.post(activity, authorization.as_deref()).await?;
        assert_eq!(status, 401, "{case}");
        let logged = captured.text()[logged_before..].to_owned();
        assert!(
            logged.contains("refused a teams activity") && logged.contains(reason),
            "{case}: expected a warning saying {reason:?}, logged {logged:?}"
        );
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(harness.handler.message_count(), 0, "no handler call");
    assert_eq!(stored_conversations(&harness)?, 0, "no conversation stored");

    // The ledger has no entry either: the same activity with a good token is handled.
    let (status, _) = harness.deliver(&activity).await?;
    assert_eq!(status, 200);
    assert_eq!(eventually(1, || harness.handler.message_count()).await, 1);
    Ok(())
}

#[tokio::test]
async fn a_token_four_minutes_past_expiry_passes_within_the_leeway() -> TestResult {
    let harness = Harness::start().await?;
    let now = Utc::now().timestamp();
    let header = bearer_within(&harness, json!(now - 240), json!(now - 3600));
    let activity = harness.personal_message("msg-late", "hello");
    let (status, _) = harness.post(&activity, Some(&header)).await?;
    assert_eq!(status, 200);
    assert_eq!(eventually(1, || harness.handler.message_count()).await, 1);
    Ok(())
}

#[tokio::test]
async fn a_token_checked_before_is_refused_once_it_expires_and_still_binds_its_service_url()
-> TestResult {
    let harness = Harness::start().await?;
    let now = Utc::now().timestamp();
    // Six seconds short of the leeway's end: good now, expired in seven seconds.
    let header = bearer_within(&harness, json!(now - 294), json!(now - 3600));
    let first = harness.personal_message("msg-cached-1", "hello");
    assert_eq!(harness.post(&first, Some(&header)).await?.0, 200);
    assert_eq!(eventually(1, || harness.handler.message_count()).await, 1);

    // The same token on an activity from another service URL: the claim binds it still.
    let mut elsewhere = harness.personal_message("msg-cached-2", "hello");
    elsewhere["serviceUrl"] = json!("https://evil.example/");
    assert_eq!(harness.post(&elsewhere, Some(&header)).await?.0, 401);

    // Seen before, and within its window: a second activity with it passes.
    let second = harness.personal_message("msg-cached-4", "hello again");
    assert_eq!(harness.post(&second, Some(&header)).await?.0, 200);
    assert_eq!(eventually(2, || harness.handler.message_count()).await, 2);
    let checks = || {
        harness
            .teams
            .auth
            .full_checks
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    assert_eq!(
        checks(),
        1,
        "the signature was checked once, then the token was known"
    );

    tokio::time::sleep(Duration::from_secs(7)).await;
    let later = harness.personal_message("msg-cached-3", "hello");
    assert_eq!(harness.post(&later, Some(&header)).await?.0, 401);
    assert_eq!(
        checks(),
        2,
        "an expired token is checked in full again, and refused"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(harness.handler.message_count(), 2);
    Ok(())
}

#[tokio::test]
async fn times_written_as_decimals_pass_as_jsonwebtoken_reads_them() -> TestResult {
    let harness = Harness::start().await?;
    let now = Utc::now().timestamp() as f64;
    let header = bearer_within(&harness, json!(now + 3600.5), json!(now - 60.25));
    for id in ["msg-decimal-1", "msg-decimal-2"] {
        let activity = harness.personal_message(id, "hello");
        assert_eq!(harness.post(&activity, Some(&header)).await?.0, 200);
    }
    assert_eq!(eventually(2, || harness.handler.message_count()).await, 2);
    Ok(())
}

#[tokio::test]
async fn a_good_activity_is_handed_on_once_however_often_it_is_delivered() -> TestResult {
    let harness = Harness::start().await?;
    let activity = harness.personal_message("msg-dup", "I need access to Finance");
    for _ in 0..3 {
        let (status, body) = harness.deliver(&activity).await?;
        assert_eq!((status, body.as_str()), (200, ""));
    }
    assert_eq!(eventually(1, || harness.handler.message_count()).await, 1);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(harness.handler.message_count(), 1);
    Ok(())
}

#[tokio::test]
async fn an_unknown_key_id_refetches_the_keys_at_most_once_a_minute() -> TestResult {
    let harness = Harness::start().await?;
    let (status, _) = harness
        .deliver(&harness.personal_message("msg-a", "hi"))
        .await?;
    assert_eq!(status, 200);
    assert_eq!(harness.cloud.metadata_fetches(), 1);
    let stranger = SigningKey::generate()?;
    for id in ["msg-b", "msg-c"] {
        let header = format!("Bearer {}", stranger.sign(&harness.claims()));
        let (status, _) = harness
            .post(&harness.personal_message(id, "hi"), Some(&header))
            .await?;
        assert_eq!(status, 401);
    }
    assert_eq!(
        harness.cloud.metadata_fetches(),
        1,
        "no refetch within a minute"
    );
    Ok(())
}

#[tokio::test]
async fn a_key_published_later_is_picked_up_by_the_refetch_an_unknown_key_id_causes() -> TestResult
{
    let mut tuning = fast_tuning();
    tuning.key_refetch_interval = Duration::ZERO;
    let harness = Harness::with_tuning(tuning).await?;
    let (status, _) = harness
        .deliver(&harness.personal_message("msg-a", "hi"))
        .await?;
    assert_eq!(status, 200);
    let rotated = SigningKey::generate()?;
    let header = format!("Bearer {}", rotated.sign(&harness.claims()));
    let activity = harness.personal_message("msg-b", "hi");
    let (status, _) = harness.post(&activity, Some(&header)).await?;
    assert_eq!(status, 401, "refetched, and still unknown");
    assert_eq!(harness.cloud.metadata_fetches(), 2);
    harness
        .cloud
        .publish(rotated.jwk(&[("endorsements", json!(["msteams"]))]));
    let (status, _) = harness.post(&activity, Some(&header)).await?;
    assert_eq!(status, 200, "the new key is found after a refetch");
    assert_eq!(harness.cloud.metadata_fetches(), 3);
    assert_eq!(eventually(2, || harness.handler.message_count()).await, 2);
    Ok(())
}

#[tokio::test]
async fn no_log_line_or_debug_output_carries_a_token_or_the_app_password() -> TestResult {
    let (captured, _guard) = capture_logs();

    let harness = Harness::start().await?;
    let token = harness.token();
    let expired = harness.key.sign(&with_claim(
        &harness.claims(),
        "exp",
        json!(Utc::now().timestamp() - 4000),
    ));
    let activity = harness.personal_message("msg-log", "my secret reason");
    let (status, _) = harness
        .post(&activity, Some(&format!("Bearer {expired}")))
        .await?;
    assert_eq!(status, 401);
    let (status, _) = harness
        .post(&activity, Some(&format!("Bearer {token}")))
        .await?;
    assert_eq!(status, 200);
    assert_eq!(eventually(1, || harness.handler.message_count()).await, 1);
    let place = lock(&harness.handler.messages)[0].place.clone();
    harness.teams.send(&place, &Message::text("hello")).await?;

    let logs = captured.text();
    assert!(
        logs.contains("refused a teams activity"),
        "the refusal is logged: {logs}"
    );
    for secret in [
        token.as_str(),
        expired.as_str(),
        APP_PASSWORD,
        "bot-token-1",
    ] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
    for part in token.split('.').chain(expired.split('.')) {
        assert!(!logs.contains(part), "a token part reached the logs");
    }
    assert!(
        !logs.contains("my secret reason"),
        "message text is not logged"
    );
    let debug = format!("{:?}", harness.teams);
    assert!(!debug.contains(APP_PASSWORD) && debug.contains("Teams"));
    assert!(
        logs.contains(TENANT),
        "activities are logged with their tenant"
    );
    Ok(())
}
