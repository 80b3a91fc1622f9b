//! ID-token checks against a fake identity platform whose key endpoint can fail.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::sim::keys::SigningKey;

const TENANT: &str = "7a1c0e52-3f0b-4c7e-9d1e-2b6f4a0c1d11";
const CLIENT: &str = "doorman-tests";

fn issuer(server: &MockServer) -> String {
    format!("{}/{TENANT}/v2.0", server.uri())
}

/// Publishes the metadata and `key` as the tenant's only key.
async fn publish(server: &MockServer, key: &SigningKey) {
    Mock::given(method("GET"))
        .and(path(format!(
            "/{TENANT}/v2.0/.well-known/openid-configuration"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": issuer(server),
            "jwks_uri": format!("{}/{TENANT}/discovery/v2.0/keys", server.uri()),
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/{TENANT}/discovery/v2.0/keys")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": [key.jwk(&[])]})))
        .mount(server)
        .await;
}

/// From now on, every request to the identity platform fails.
async fn go_down(server: &MockServer) {
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(server)
        .await;
}

fn id_token(server: &MockServer, key: &SigningKey, nonce: &str) -> String {
    let now = Utc::now().timestamp();
    let claims: Value = json!({
        "iss": issuer(server),
        "aud": CLIENT,
        "exp": now + 3600,
        "nbf": now - 60,
        "iat": now - 60,
        "tid": TENANT,
        "oid": "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
        "preferred_username": "ana@contoso.com",
        "nonce": nonce,
    });
    key.sign(&claims)
}

/// A verifier that considers its keys stale at once and may refetch at any time, so every
/// verification tries a refetch.
fn always_refetching(server: &MockServer) -> IdTokenVerifier {
    IdTokenVerifier::with_schedule(
        reqwest::Client::new(),
        &format!("{}/{TENANT}", server.uri()),
        CLIENT,
        TENANT,
        Duration::ZERO,
        Duration::ZERO,
    )
    .expect("a verifier")
}

#[tokio::test]
async fn a_failed_refetch_keeps_the_keys_already_held() {
    let server = MockServer::start().await;
    let key = SigningKey::generate().expect("key");
    publish(&server, &key).await;
    let verifier = always_refetching(&server);
    let claims = verifier
        .verify(&id_token(&server, &key, "n1"), "n1")
        .await
        .expect("verifies with fetched keys");
    assert_eq!(
        claims.preferred_username.as_deref(),
        Some("ana@contoso.com")
    );

    go_down(&server).await;
    let claims = verifier
        .verify(&id_token(&server, &key, "n2"), "n2")
        .await
        .expect("still verifies with the stale keys");
    assert_eq!(claims.tid, TENANT);
    let refetches = server.received_requests().await.unwrap_or_default();
    assert!(!refetches.is_empty(), "a refetch was tried");
}

#[tokio::test]
async fn an_unknown_key_after_a_failed_refetch_is_a_verification_error() {
    let server = MockServer::start().await;
    let key = SigningKey::generate().expect("key");
    publish(&server, &key).await;
    let verifier = always_refetching(&server);
    verifier
        .verify(&id_token(&server, &key, "n1"), "n1")
        .await
        .expect("verifies");
    go_down(&server).await;
    let stranger = SigningKey::generate().expect("key");
    let refused = verifier
        .verify(&id_token(&server, &stranger, "n2"), "n2")
        .await;
    assert!(
        matches!(&refused, Err(IdTokenError::Invalid(reason)) if reason.contains("unknown key")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn without_any_keys_the_identity_platform_is_reported_unavailable() {
    let server = MockServer::start().await;
    go_down(&server).await;
    let key = SigningKey::generate().expect("key");
    let verifier = always_refetching(&server);
    let refused = verifier.verify(&id_token(&server, &key, "n1"), "n1").await;
    assert!(matches!(refused, Err(IdTokenError::Keys(_))), "{refused:?}");
}
