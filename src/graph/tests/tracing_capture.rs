//! What the client logs: one span per call with its correlation fields, never a token or body.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{PERSON_TOKEN_VALUE, TestResult, client_for, fast_policy, person_token};

/// Collects every span name, field and event of the calling thread as text (the Exchange
/// client's tests use it too).
#[derive(Clone, Default)]
pub(crate) struct CapturedLog {
    text: Arc<Mutex<String>>,
    next_span: Arc<AtomicU64>,
}

struct FieldWriter<'a>(&'a mut String);

impl Visit for FieldWriter<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl CapturedLog {
    fn append(&self, write: impl FnOnce(&mut String)) {
        if let Ok(mut text) = self.text.lock() {
            write(&mut text);
            text.push('\n');
        }
    }

    pub(crate) fn contents(&self) -> String {
        self.text
            .lock()
            .map(|text| text.clone())
            .unwrap_or_default()
    }
}

impl Subscriber for CapturedLog {
    fn enabled(&self, _metadata: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.append(|text| {
            text.push_str(span.metadata().name());
            span.record(&mut FieldWriter(text));
        });
        Id::from_u64(self.next_span.fetch_add(1, Ordering::SeqCst) + 1)
    }

    fn record(&self, _span: &Id, values: &Record<'_>) {
        self.append(|text| values.record(&mut FieldWriter(text)));
    }

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        self.append(|text| event.record(&mut FieldWriter(text)));
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

#[tokio::test]
async fn calls_are_traced_with_correlation_fields_but_no_token_or_body() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("request-id", "traced-request-id")
                .set_body_json(json!({ "id": "rule-1", "displayName": "answer-body-marker" })),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    let log = CapturedLog::default();
    let guard = tracing::subscriber::set_default(log.clone());
    client
        .create_forward_rule(&person_token(), "request-body-marker", "jo@contoso.com")
        .await?;
    drop(guard);
    let captured = log.contents();
    assert!(captured.contains("graph_call"), "{captured}");
    for expected in [
        "method=POST",
        "path=/v1.0/me/mailFolders/inbox/messageRules",
        "token_kind=\"delegated\"",
        "attempt=1",
        "client_request_id=",
        "request_id=\"traced-request-id\"",
        "status=201",
    ] {
        assert!(
            captured.contains(expected),
            "missing {expected} in:\n{captured}"
        );
    }
    for secret in [
        PERSON_TOKEN_VALUE,
        "request-body-marker",
        "answer-body-marker",
        "jo@contoso.com",
    ] {
        assert!(
            !captured.contains(secret),
            "{secret} leaked into:\n{captured}"
        );
    }
    Ok(())
}
