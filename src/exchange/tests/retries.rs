//! Retries: throttling with `Retry-After`, 5xx and timeouts, and flagging uncertain attempts.

use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{
    TENANT, TestResult, answer, app_token, client_for, cmdlet_error, fast_policy, header,
    person_token, received, settings_for,
};
use crate::config::TrustedRoots;
use crate::exchange::{ActingAs, ExchangeClient, ExchangeError, ExchangeSettings, Outcome};
use crate::graph::RetryPolicy;

const SHARED: &str = "support@contoso.com";
const TOM: &str = "tom.becker@contoso.com";

fn throttled(retry_after: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("Retry-After", retry_after)
        .set_body_json(
            json!({"error": {"code": "TooManyRequests", "message": "Too many requests"}}),
        )
}

fn already_a_member() -> ResponseTemplate {
    cmdlet_error(
        400,
        "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException",
        "The recipient \"tom\" is already a member of the group \"Sales\".",
    )
}

async fn first_then(server: &MockServer, first: ResponseTemplate, then: ResponseTemplate) {
    Mock::given(method("POST"))
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .respond_with(then)
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_throttled_call_waits_out_retry_after_then_succeeds_under_the_same_id() -> TestResult {
    let server = MockServer::start().await;
    first_then(&server, throttled("1"), answer(json!([]))).await;
    let client = client_for(&server)?;
    let started = Instant::now();
    let done = client.add_full_access(&person_token(), SHARED, TOM).await?;
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 must be waited out, waited {:?}",
        started.elapsed()
    );
    assert_eq!(done.value, Outcome::Done);
    assert!(!done.after_uncertain_attempt, "a 429 was not carried out");
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    assert_eq!(
        header(&requests[0], "client-request-id"),
        header(&requests[1], "client-request-id")
    );
    assert_eq!(
        header(&requests[1], "client-request-id"),
        Some(done.client_request_id.as_str())
    );
    Ok(())
}

#[tokio::test]
async fn retry_after_beyond_the_budget_gives_up_at_once_as_throttled() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(throttled("120"))
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let started = Instant::now();
    let outcome = client.list_members(&app_token(), "sales@contoso.com").await;
    assert!(started.elapsed() < Duration::from_secs(1));
    match outcome {
        Err(error @ ExchangeError::Throttled { .. }) => {
            assert!(error.is_transient());
            let ExchangeError::Throttled { retry_after, .. } = error else {
                unreachable!("matched above")
            };
            assert_eq!(retry_after, Some(Duration::from_secs(120)));
        }
        other => return Err(format!("expected Throttled, got {other:?}").into()),
    }
    assert_eq!(received(&server).await.len(), 1);
    Ok(())
}

#[tokio::test]
async fn already_there_after_a_gateway_timeout_is_flagged_as_maybe_our_own() -> TestResult {
    let server = MockServer::start().await;
    first_then(&server, ResponseTemplate::new(504), already_a_member()).await;
    let client = client_for(&server)?;
    let done = client
        .add_list_member(&person_token(), "sales@contoso.com", TOM, ActingAs::Admin)
        .await?;
    assert_eq!(done.value, Outcome::AlreadyThere);
    assert!(
        done.after_uncertain_attempt,
        "the 504'd attempt may have added them"
    );
    assert_eq!(received(&server).await.len(), 2);
    Ok(())
}

#[tokio::test]
async fn already_there_at_the_first_attempt_is_first_hand() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(already_a_member())
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let done = client
        .add_list_member(&person_token(), "sales@contoso.com", TOM, ActingAs::Admin)
        .await?;
    assert_eq!(done.value, Outcome::AlreadyThere);
    assert!(!done.after_uncertain_attempt);
    Ok(())
}

#[tokio::test]
async fn a_timed_out_write_is_retried_and_its_success_flagged_uncertain() -> TestResult {
    let server = MockServer::start().await;
    first_then(
        &server,
        answer(json!([])).set_delay(Duration::from_millis(800)),
        answer(json!([])),
    )
    .await;
    let client = client_for(&server)?.with_request_timeout(Duration::from_millis(150));
    let done = client.add_send_as(&person_token(), SHARED, TOM).await?;
    assert_eq!(done.value, Outcome::Done);
    assert!(done.after_uncertain_attempt);
    assert_eq!(received(&server).await.len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_failure_after_an_uncertain_attempt_says_so() -> TestResult {
    let server = MockServer::start().await;
    first_then(
        &server,
        ResponseTemplate::new(502),
        ResponseTemplate::new(403),
    )
    .await;
    let client = client_for(&server)?;
    let outcome = client
        .remove_full_access(&person_token(), SHARED, TOM)
        .await;
    match outcome {
        Err(error @ ExchangeError::Forbidden(_)) => assert!(!error.is_first_hand()),
        other => return Err(format!("expected Forbidden, got {other:?}").into()),
    }
    Ok(())
}

#[tokio::test]
async fn an_always_unavailable_exchange_gives_up_within_the_budget() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).insert_header("request-id", "down-id"))
        .mount(&server)
        .await;
    let policy = RetryPolicy {
        max_attempts: 1_000,
        max_elapsed: Duration::from_millis(300),
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
    };
    let client = client_for(&server)?.with_retry_policy(policy);
    let started = Instant::now();
    let outcome = client.get_mailbox(&app_token(), SHARED).await;
    assert!(started.elapsed() < Duration::from_millis(800));
    match outcome {
        Err(error @ ExchangeError::Unavailable(_)) => {
            assert_eq!(error.request_id(), Some("down-id"));
            assert!(error.is_first_hand(), "503 means not carried out");
        }
        other => return Err(format!("expected Unavailable, got {other:?}").into()),
    }
    assert!(received(&server).await.len() > 1);
    Ok(())
}

#[tokio::test]
async fn a_cmdlets_verdict_is_not_retried_whatever_its_status() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(cmdlet_error(
            500,
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            "The operation couldn't be performed because object 'nobody' couldn't be found.",
        ))
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let outcome = client.recipient(&app_token(), "nobody").await;
    assert!(
        matches!(outcome, Err(ExchangeError::NotFound(_))),
        "{outcome:?}"
    );
    assert_eq!(received(&server).await.len(), 1);
    Ok(())
}

#[tokio::test]
async fn an_unreachable_exchange_is_a_network_error_within_the_budget() -> TestResult {
    // Bind and drop a listener so the port is known to be closed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    drop(listener);
    let settings = ExchangeSettings {
        url: url::Url::parse(&format!("http://127.0.0.1:{port}"))?,
        ..ExchangeSettings::default()
    };
    let client = ExchangeClient::new(
        ExchangeClient::http_client(&TrustedRoots::default())?,
        settings,
        TENANT,
    )?
    .with_retry_policy(RetryPolicy {
        max_elapsed: Duration::from_millis(500),
        ..fast_policy()
    });
    let started = Instant::now();
    let outcome = client.list_members(&app_token(), "sales@contoso.com").await;
    assert!(
        matches!(outcome, Err(ExchangeError::Network(_))),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    Ok(())
}

#[tokio::test]
async fn a_redirect_is_not_followed() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("Location", "https://attacker.example/steal"),
        )
        .mount(&server)
        .await;
    let http = ExchangeClient::http_client(&TrustedRoots::default())?;
    let client = ExchangeClient::new(http, settings_for(&server)?, TENANT)?;
    let outcome = client.get_mailbox(&app_token(), SHARED).await;
    assert!(
        matches!(outcome, Err(ExchangeError::Other(_))),
        "{outcome:?}"
    );
    assert_eq!(received(&server).await.len(), 1);
    Ok(())
}
