//! The app-only token source: client credentials, caching, renewal, shared fetches, secrecy.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::TestResult;
use crate::graph::{AppTokenError, AppTokenSource};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT_SECRET: &str = "Qx8Q~client-secret-value~not-for-logs";
const ISSUED_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhcHAiOiJ0b2tlbi1mcm9tLWVudHJhIn0";

fn token_answer(expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "Bearer",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": ISSUED_TOKEN
    }))
}

fn source_for(server: &MockServer) -> Result<AppTokenSource, Box<dyn std::error::Error>> {
    Ok(AppTokenSource::new(
        &Url::parse(&server.uri())?,
        TENANT,
        "11111111-2222-3333-4444-555555555555".to_owned(),
        SecretString::from(CLIENT_SECRET),
    )?)
}

async fn token_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .map_or(0, |requests| requests.len())
}

#[tokio::test]
async fn app_token_is_fetched_with_client_credentials_in_the_body() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains(
            "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
        ))
        .and(body_string_contains(
            "client_id=11111111-2222-3333-4444-555555555555",
        ))
        .and(body_string_contains("client_secret="))
        .respond_with(token_answer(3599))
        .mount(&server)
        .await;
    let source = source_for(&server)?;
    let token = source.token().await?;
    assert_eq!(token.expose(), ISSUED_TOKEN);
    let requests = server.received_requests().await.unwrap_or_default();
    assert!(
        requests[0].headers.get("authorization").is_none(),
        "secret goes in the body"
    );
    Ok(())
}

#[tokio::test]
async fn app_token_is_cached_while_more_than_five_minutes_remain() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token_answer(3599))
        .mount(&server)
        .await;
    let source = source_for(&server)?;
    source.token().await?;
    source.token().await?;
    assert_eq!(token_requests(&server).await, 1);
    Ok(())
}

#[tokio::test]
async fn app_token_is_renewed_when_less_than_five_minutes_remain() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token_answer(240))
        .mount(&server)
        .await;
    let source = source_for(&server)?;
    source.token().await?;
    source.token().await?;
    assert_eq!(token_requests(&server).await, 2);
    Ok(())
}

#[tokio::test]
async fn concurrent_callers_share_one_token_fetch() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(token_answer(3599).set_delay(Duration::from_millis(100)))
        .mount(&server)
        .await;
    let source = std::sync::Arc::new(source_for(&server)?);
    let mut callers = Vec::new();
    for _ in 0..10 {
        let source = std::sync::Arc::clone(&source);
        callers.push(tokio::spawn(async move { source.token().await }));
    }
    for caller in callers {
        caller.await??;
    }
    assert_eq!(token_requests(&server).await, 1);
    Ok(())
}

#[tokio::test]
async fn refused_client_credentials_never_reveal_the_secret() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.",
            "error_codes": [7000215]
        })))
        .mount(&server)
        .await;
    let source = source_for(&server)?;
    let outcome = source.token().await;
    match &outcome {
        Err(AppTokenError::Refused { error, description }) => {
            assert_eq!(error, "invalid_client");
            assert!(
                description
                    .as_deref()
                    .unwrap_or_default()
                    .starts_with("AADSTS7000215")
            );
        }
        other => panic!("expected Refused, got {other:?}"),
    }
    if let Err(error) = outcome {
        assert!(!format!("{error:?}").contains(CLIENT_SECRET));
        assert!(!format!("{error}").contains(CLIENT_SECRET));
    }
    assert!(!format!("{source:?}").contains(CLIENT_SECRET));
    Ok(())
}

#[tokio::test]
async fn unreadable_token_answers_do_not_echo_their_body() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": ISSUED_TOKEN, "token_type": 7 })),
        )
        .mount(&server)
        .await;
    let source = source_for(&server)?;
    let outcome = source.token().await;
    assert!(
        matches!(outcome, Err(AppTokenError::UnreadableResponse)),
        "{outcome:?}"
    );
    if let Err(error) = outcome {
        assert!(!format!("{error:?}{error}").contains(ISSUED_TOKEN));
    }
    Ok(())
}

#[test]
fn tenants_that_could_change_the_token_url_are_refused() -> TestResult {
    let authority = Url::parse("https://login.microsoftonline.com")?;
    for tenant in ["", "contoso.com/../evil", "a?b", "a#b"] {
        let outcome = AppTokenSource::new(
            &authority,
            tenant,
            "client".to_owned(),
            SecretString::from("secret"),
        );
        assert!(
            matches!(outcome, Err(AppTokenError::InvalidTenant { .. })),
            "{tenant}"
        );
    }
    Ok(())
}
