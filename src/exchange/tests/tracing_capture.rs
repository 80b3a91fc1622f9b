//! What the client logs: one span per call with the cmdlet and correlation ids, never a token or
//! a cmdlet's parameters.

use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

use super::support::{PERSON_TOKEN_VALUE, TestResult, answer_warning, client_for, person_token};
use crate::graph::tests::tracing_capture::CapturedLog;

#[tokio::test]
async fn calls_are_traced_by_cmdlet_and_ids_without_token_or_parameters() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer_warning(json!([]), &["answer-warning-marker"]))
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let log = CapturedLog::default();
    let guard = tracing::subscriber::set_default(log.clone());
    let done = client
        .add_full_access(
            &person_token(),
            "mailbox-marker@contoso.com",
            "user-marker@contoso.com",
        )
        .await?;
    drop(guard);
    let captured = log.contents();
    for expected in [
        "exchange_call",
        "cmdlet=\"Add-MailboxPermission\"",
        "route=\"invoke\"",
        "token_kind=\"delegated\"",
        "attempt=1",
        &format!("client_request_id=\"{}\"", done.client_request_id),
        "request_id=\"2f1e1a33-1c7b-4c25-9f0b-exchange0001\"",
        "status=200",
    ] {
        assert!(
            captured.contains(expected),
            "missing {expected} in:\n{captured}"
        );
    }
    for secret in [
        PERSON_TOKEN_VALUE,
        "mailbox-marker",
        "user-marker",
        "answer-warning-marker",
    ] {
        assert!(
            !captured.contains(secret),
            "{secret} leaked into:\n{captured}"
        );
    }
    Ok(())
}
