//! Shared helpers: clients pointed at a mock server, tokens, and Exchange's answer shapes.

use std::time::Duration;

use serde_json::{Value, json};
use url::Url;
use wiremock::{MockServer, Request, ResponseTemplate};

use crate::config::TrustedRoots;
use crate::exchange::{ExchangeClient, ExchangeSettings};
use crate::graph::{AppToken, DelegatedToken, RetryPolicy};

/// What every test returns, so failures propagate with `?` instead of `unwrap`.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const TENANT: &str = "0550b473-9fd2-4dbb-a058-a1640b4bf458";

/// Token values that tests look for in logs, errors and debug output.
pub const PERSON_TOKEN_VALUE: &str = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImV4Y2hhbmdlLXBlcnNvbiJ9";
pub const APP_TOKEN_VALUE: &str = "eyJ0eXAiOiJKV1QiLCJub25jZSI6ImV4Y2hhbmdlLWFwcCJ9";

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

/// The default settings with the mock server as Exchange's origin.
pub fn settings_for(server: &MockServer) -> Result<ExchangeSettings, url::ParseError> {
    Ok(ExchangeSettings {
        url: Url::parse(&server.uri())?,
        ..ExchangeSettings::default()
    })
}

pub fn client_for(server: &MockServer) -> Result<ExchangeClient, Box<dyn std::error::Error>> {
    let http = ExchangeClient::http_client(&TrustedRoots::default())?;
    Ok(ExchangeClient::new(http, settings_for(server)?, TENANT)?.with_retry_policy(fast_policy()))
}

pub fn invoke_path() -> String {
    format!("/adminapi/beta/{TENANT}/InvokeCommand")
}

pub fn v2_path(endpoint: &str) -> String {
    format!("/adminapi/v2.0/{TENANT}/{endpoint}")
}

/// A success answer as Exchange sends it, with a `request-id` header.
pub fn answer(values: Value) -> ResponseTemplate {
    answer_warning(values, &[])
}

/// A success answer with `@adminapi.warnings`.
pub fn answer_warning(values: Value, warnings: &[&str]) -> ResponseTemplate {
    let mut body = json!({
        "@odata.context": "https://outlook.office365.com/adminapi/beta/$metadata#Collection(Exchange.GenericHashTable)",
        "value": values,
    });
    if !warnings.is_empty() {
        body["@adminapi.warnings"] = json!(warnings);
    }
    ResponseTemplate::new(200)
        .insert_header("request-id", "2f1e1a33-1c7b-4c25-9f0b-exchange0001")
        .set_body_json(body)
}

/// A cmdlet failure as Exchange sends it: a generic `error.message`, and the exception's full
/// type name between `|` in the detail message.
pub fn cmdlet_error(status: u16, exception: &str, reason: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("request-id", "9d3c0b7e-failed-request")
        .set_body_json(json!({
            "error": {
                "code": "InternalServerError",
                "message": "Error executing cmdlet",
                "details": [{
                    "code": "Context",
                    "target": "",
                    "message": format!("Ex6F9304|{exception}|{reason}")
                }]
            }
        }))
}

/// One object every model decodes from, for tests about requests rather than answers.
pub fn any_object() -> Value {
    json!({
        "Name": "support",
        "DisplayName": "Support",
        "PrimarySmtpAddress": "support@contoso.com",
        "User": "tom.becker@contoso.com",
        "Trustee": "tom.becker@contoso.com",
        "AccessRights": ["FullAccess"],
        "DomainName": "contoso.com"
    })
}

pub fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
}

pub fn body_json(request: &Request) -> Result<Value, serde_json::Error> {
    serde_json::from_slice(&request.body)
}

pub async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}
