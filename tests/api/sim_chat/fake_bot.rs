//! A stand-in for Doorman's chat endpoints: it records every request with its raw body and
//! answers as a quiet bot would (an invoke gets a refreshed card back), so tests can check what
//! the simulator delivered byte for byte.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::helpers::{CONTOSO, TestSim};

/// The card the fake bot answers every card action with.
pub fn refreshed_card() -> Value {
    json!({
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": "You approved this request."}],
    })
}

/// One request the fake bot received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

type Inbox = Arc<Mutex<Vec<Received>>>;

pub struct FakeBot {
    pub url: url::Url,
    inbox: Inbox,
}

impl FakeBot {
    pub async fn start() -> FakeBot {
        let inbox = Inbox::default();
        let app = Router::new()
            .route("/api/messages", post(teams))
            .route("/slack/events", post(slack))
            .route("/slack/interactions", post(slack))
            .with_state(Arc::clone(&inbox));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let address = listener.local_addr().expect("bound");
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeBot {
            url: url::Url::parse(&format!("http://{address}")).expect("url"),
            inbox,
        }
    }

    /// What arrived at `path`, oldest first.
    pub fn received(&self, path: &str) -> Vec<Received> {
        self.inbox
            .lock()
            .expect("inbox")
            .iter()
            .filter(|request| request.path == path)
            .cloned()
            .collect()
    }

    /// The one request that arrived at `path`.
    pub fn only(&self, path: &str) -> Received {
        let mut received = self.received(path);
        assert_eq!(received.len(), 1, "one request at {path}");
        received.remove(0)
    }
}

/// A simulator of the Contoso tenant wired to a fresh fake bot.
pub async fn sim_with_bot() -> (TestSim, FakeBot) {
    let bot = FakeBot::start().await;
    let sim = TestSim::start_for_bot(CONTOSO, bot.url.clone()).await;
    (sim, bot)
}

fn record(inbox: &Inbox, uri: &Uri, headers: HeaderMap, body: Bytes) {
    inbox.lock().expect("inbox").push(Received {
        path: uri.path().to_owned(),
        headers,
        body,
    });
}

async fn teams(State(inbox): State<Inbox>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let is_invoke =
        serde_json::from_slice::<Value>(&body).is_ok_and(|activity| activity["type"] == "invoke");
    record(&inbox, &uri, headers, body);
    if is_invoke {
        Json(json!({
            "statusCode": 200,
            "type": "application/vnd.microsoft.card.adaptive",
            "value": refreshed_card(),
        }))
        .into_response()
    } else {
        ().into_response()
    }
}

async fn slack(State(inbox): State<Inbox>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    record(&inbox, &uri, headers, body);
    ().into_response()
}
