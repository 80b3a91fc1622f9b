//! What the client logs: one span per call with the cmdlet and correlation ids, never a token or
//! a cmdlet's parameters.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

use super::support::{PERSON_TOKEN_VALUE, TestResult, answer_warning, client_for, person_token};

/// Collects every span name, field and event of the calling thread as text.
#[derive(Clone, Default)]
struct CapturedLog {
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

    fn contents(&self) -> String {
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
