//! Shared helpers: a configured adapter over a temporary store, signed requests, and a handler
//! that records what it is handed and can be held up to show that Slack is answered first.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use secrecy::SecretString;
use tokio::sync::{Notify, mpsc};
use tower::ServiceExt;
use url::Url;

use crate::channels::Deliveries;
use crate::channels::slack::{Slack, routes};
use crate::config::SlackConfig;
use crate::domain::chat::{
    BoxFuture, ChatAction, ChatMessage, InboundHandler, Message, Place, Sender,
};
use crate::store::{SledStore, Store};

pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
pub const BOT_TOKEN: &str = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy";
pub const TEAM: &str = "T0DOORMAN";
pub const APP: &str = "A0DOORMAN";
pub const BOT_USER: &str = "UBOTDOOR";

/// What every test returns, so failures propagate with `?` instead of `unwrap`.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub fn config(api_url: &str) -> Result<SlackConfig, url::ParseError> {
    Ok(SlackConfig {
        signing_secret: SecretString::from(SIGNING_SECRET),
        bot_token: SecretString::from(BOT_TOKEN),
        api_url: Url::parse(api_url)?,
        team_id: TEAM.to_owned(),
        app_id: APP.to_owned(),
    })
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs() as i64)
        .unwrap_or_default()
}

/// Slack's signature of `body` at `timestamp`: `v0=` + hex(HMAC-SHA256(secret, "v0:ts:body")).
pub fn sign(body: &[u8], timestamp: i64) -> String {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA256, SIGNING_SECRET.as_bytes());
    let mut context = hmac::Context::with_key(&key);
    context.update(format!("v0:{timestamp}:").as_bytes());
    context.update(body);
    format!("v0={}", hex::encode(context.sign().as_ref()))
}

/// A request signed now, as Slack sends it.
pub fn signed(path: &str, body: &str) -> Request<Body> {
    signed_at(path, body, now())
}

pub fn signed_at(path: &str, body: &str, timestamp: i64) -> Request<Body> {
    request_with(
        path,
        body,
        &[
            ("x-slack-request-timestamp", timestamp.to_string()),
            ("x-slack-signature", sign(body.as_bytes(), timestamp)),
        ],
    )
}

pub fn request_with(path: &str, body: &str, headers: &[(&str, String)]) -> Request<Body> {
    let content_type = if path.ends_with("interactions") {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    let mut builder = Request::post(path).header("content-type", content_type);
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    builder
        .body(Body::from(body.to_owned()))
        .unwrap_or_default()
}

/// An interactivity form body: `payload=<json>`.
pub fn form(payload: &serde_json::Value) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish()
}

/// What the handler was handed.
#[derive(Debug)]
pub enum Inbound {
    Message(ChatMessage),
    Action(ChatAction),
}

/// Records every call; with [`Recorder::held`] each call waits for [`Harness::release`] before
/// it finishes.
pub struct Recorder {
    calls: mpsc::UnboundedSender<Inbound>,
    hold: Option<Arc<Notify>>,
    finished: Arc<AtomicUsize>,
    answer: Option<Message>,
}

impl Recorder {
    async fn record(&self, inbound: Inbound) {
        let _ = self.calls.send(inbound);
        if let Some(hold) = &self.hold {
            hold.notified().await;
        }
        self.finished.fetch_add(1, Ordering::SeqCst);
    }
}

impl InboundHandler for Recorder {
    fn message(&self, message: ChatMessage) -> BoxFuture<'_, ()> {
        Box::pin(self.record(Inbound::Message(message)))
    }

    fn action(&self, action: ChatAction) -> BoxFuture<'_, Option<Message>> {
        Box::pin(async move {
            self.record(Inbound::Action(action)).await;
            self.answer.clone()
        })
    }

    fn installed(&self, _sender: Sender, _place: Place) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// How the test handler behaves.
#[derive(Default)]
pub struct Behaviour {
    /// Each call waits for [`Harness::release`].
    pub held: Option<Arc<Notify>>,
    /// What `action` returns.
    pub answer: Option<Message>,
}

pub struct Harness {
    pub slack: Arc<Slack>,
    pub router: Router,
    pub calls: mpsc::UnboundedReceiver<Inbound>,
    pub finished: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// An adapter whose Web API is `api_url` (nothing listens there unless the test starts a
    /// fake Slack).
    pub fn start(
        api_url: &str,
        behaviour: Behaviour,
    ) -> Result<Harness, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path())?);
        let deliveries = Deliveries::open(store, dir.path())?;
        let (calls, received) = mpsc::unbounded_channel();
        let finished = Arc::new(AtomicUsize::new(0));
        let recorder = Recorder {
            calls,
            hold: behaviour.held,
            finished: Arc::clone(&finished),
            answer: behaviour.answer,
        };
        let slack = Slack::new(
            &config(api_url)?,
            &crate::config::TrustedRoots::default(),
            deliveries,
            Arc::new(recorder),
        )?;
        Ok(Harness {
            router: routes(Arc::clone(&slack)),
            slack,
            calls: received,
            finished,
            _dir: dir,
        })
    }

    pub fn quiet() -> Result<Harness, Box<dyn std::error::Error>> {
        Harness::start("http://127.0.0.1:9/api", Behaviour::default())
    }

    /// Sends one request through the routes; returns the status and the body.
    pub async fn send(
        &self,
        request: Request<Body>,
    ) -> Result<(StatusCode, String), Box<dyn std::error::Error>> {
        let response = self.router.clone().oneshot(request).await?;
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        Ok((status, String::from_utf8(body.to_vec())?))
    }

    /// The next thing the handler was handed, waiting up to two seconds.
    pub async fn next_call(&mut self) -> Option<Inbound> {
        tokio::time::timeout(Duration::from_secs(2), self.calls.recv())
            .await
            .ok()
            .flatten()
    }

    /// True when the handler is handed nothing more within a short while.
    pub async fn no_more_calls(&mut self) -> bool {
        tokio::time::timeout(Duration::from_millis(200), self.calls.recv())
            .await
            .is_err()
    }

    pub fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }
}
