//! Shared helpers: fast retry policies, clients pointed at a mock server, canned answers.

use std::time::Duration;

use serde_json::json;
use url::Url;
use wiremock::{MockServer, ResponseTemplate};

use crate::graph::{AppToken, DelegatedToken, GraphClient, RetryPolicy};

/// A token value that tests look for in logs, errors and debug output.
pub const PERSON_TOKEN_VALUE: &str = "eyJ0eXAiOiJKV1QiLCJub25jZSI6InBlcnNvbi10b2tlbi1zZWNyZXQifQ";
pub const APP_TOKEN_VALUE: &str = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImFwcC10b2tlbi1zZWNyZXQifQ";

pub fn person_token() -> DelegatedToken {
    DelegatedToken::new(PERSON_TOKEN_VALUE.to_owned())
}

pub fn app_token() -> AppToken {
    AppToken::new(APP_TOKEN_VALUE.to_owned())
}

/// Millisecond delays and a generous attempt count, so retry tests run fast.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        max_elapsed: Duration::from_secs(5),
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
    }
}

/// What every test returns, so failures propagate with `?` instead of `unwrap`.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The base URL a client uses against `server`: `{server}/v1.0`, as in production.
pub fn base_url_of(server: &MockServer) -> Result<Url, url::ParseError> {
    Url::parse(&format!("{}/v1.0", server.uri()))
}

pub fn client_for(
    server: &MockServer,
    policy: RetryPolicy,
) -> Result<GraphClient, Box<dyn std::error::Error>> {
    Ok(GraphClient::new(base_url_of(server)?, policy)?)
}

/// A Graph error answer with `request-id` in the header and in `innerError`, as Graph sends it.
pub fn graph_error(status: u16, code: &str, message: &str, request_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("request-id", request_id)
        .set_body_json(json!({
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": "2026-08-20T10:00:00",
                    "request-id": request_id,
                    "client-request-id": "00000000-0000-0000-0000-000000000000"
                }
            }
        }))
}

pub fn json_answer(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("request-id", "11111111-aaaa-bbbb-cccc-000000000001")
        .set_body_json(body)
}

pub fn user_body(id: &str) -> serde_json::Value {
    json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
        "id": id,
        "displayName": "Adele Vance",
        "userPrincipalName": "AdeleV@contoso.com"
    })
}
