//! Tests of the Teams channel against a fake Bot Framework (OpenID metadata, keys, token
//! endpoint and Bot Connector) on one free loopback port, with the route served on another.
//! No network beyond loopback; tokens are signed here with generated keys.

mod auth;
mod cards;
mod cloud;
mod connector;
mod inbound;
mod props;

use std::error::Error;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use tracing::subscriber::DefaultGuard;
use url::Url;

use cloud::{FakeCloud, Scripted, serve};

use super::{Teams, Tuning};
use crate::channels::Deliveries;
use crate::config::TeamsConfig;
use crate::domain::chat::{
    BoxFuture, ChatAction, ChatMessage, InboundHandler, Message, Place, Sender,
};
use crate::graph::RetryPolicy;
use crate::sim::keys::SigningKey;
use crate::store::{SledStore, Store};

pub(super) type TestResult = Result<(), Box<dyn Error>>;

pub(super) const APP_ID: &str = "c0ffee00-0000-4000-8000-000000000b07";
pub(super) const BOT_ID: &str = "28:c0ffee00-0000-4000-8000-000000000b07";
pub(super) const TENANT: &str = "7a1c0e52-3f0b-4c7e-9d1e-2b6f4a0c1d11";
pub(super) const FOREIGN_TENANT: &str = "0e0e0e0e-1111-4222-8333-444444444444";
/// Ana's Entra object id and her `29:` id for this bot.
pub(super) const ANA: &str = "87d349ed-44d7-43e1-9a83-5f2406dee5bd";
pub(super) const ANA_MRI: &str = "29:1ana-scoped-to-the-bot";
pub(super) const APP_PASSWORD: &str = "app-password-that-must-never-show";

/// Reads a mutex even if a failed test poisoned it.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Formatted log lines of the current thread (tests run on a current-thread runtime, so the
/// servers' tasks log here too).
#[derive(Clone, Default)]
pub(super) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&lock(&self.0)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        lock(&self.0).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures every log line of this thread until the guard is dropped.
pub(super) fn capture_logs() -> (Captured, DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// Records what the channel hands on, and answers clicks with `reply`.
#[derive(Default)]
pub(super) struct RecordingHandler {
    pub messages: Mutex<Vec<ChatMessage>>,
    pub actions: Mutex<Vec<ChatAction>>,
    pub installs: Mutex<Vec<(Sender, Place)>>,
    pub reply: Mutex<Option<Message>>,
}

impl InboundHandler for RecordingHandler {
    fn message(&self, message: ChatMessage) -> BoxFuture<'_, ()> {
        Box::pin(async move { lock(&self.messages).push(message) })
    }

    fn action(&self, action: ChatAction) -> BoxFuture<'_, Option<Message>> {
        Box::pin(async move {
            lock(&self.actions).push(action);
            lock(&self.reply).clone()
        })
    }

    fn installed(&self, sender: Sender, place: Place) -> BoxFuture<'_, ()> {
        Box::pin(async move { lock(&self.installs).push((sender, place)) })
    }
}

impl RecordingHandler {
    pub fn message_count(&self) -> usize {
        lock(&self.messages).len()
    }
}

/// Waits up to two seconds for `count()` to reach `expected` (messages are handled on a spawned
/// task), then returns what it is.
pub(super) async fn eventually(expected: usize, count: impl Fn() -> usize) -> usize {
    for _ in 0..200 {
        if count() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    count()
}

/// A running Teams channel with its fakes.
pub(super) struct Harness {
    pub teams: Arc<Teams>,
    pub cloud: FakeCloud,
    pub key: SigningKey,
    pub handler: Arc<RecordingHandler>,
    pub store: Arc<dyn Store>,
    pub bot_url: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub(super) fn fast_tuning() -> Tuning {
    Tuning {
        retry: RetryPolicy {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(5),
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        },
        invoke_budget: Duration::from_secs(2),
        ..Tuning::default()
    }
}

impl Harness {
    pub async fn start() -> Result<Harness, Box<dyn Error>> {
        Harness::with_tuning(fast_tuning()).await
    }

    pub async fn with_tuning(tuning: Tuning) -> Result<Harness, Box<dyn Error>> {
        let cloud = FakeCloud::start().await?;
        let key = SigningKey::generate()?;
        cloud.publish(key.jwk(&[("endorsements", json!(["msteams", "skype"]))]));
        let dir = tempfile::tempdir()?;
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path())?);
        let deliveries = Deliveries::open(Arc::clone(&store), dir.path())?;
        let handler = Arc::new(RecordingHandler::default());
        let section = TeamsConfig {
            app_id: APP_ID.to_owned(),
            app_password: APP_PASSWORD.into(),
            openid_metadata_url: Url::parse(&format!("{}/openid", cloud.url))?,
            token_url: Url::parse(&format!("{}/token", cloud.url))?,
            service_url: Url::parse(&format!("{}/teams/", cloud.url))?,
            allowed_tenants: vec![TENANT.to_owned()],
        };
        let teams = Teams::assemble(
            &section,
            &crate::config::TrustedRoots::default(),
            super::Tenants {
                home: TENANT.to_owned(),
                allowed: section.allowed_tenants.clone(),
            },
            Arc::clone(&store),
            deliveries,
            Arc::clone(&handler) as Arc<dyn InboundHandler>,
            tuning,
        )?;
        let bot_url = serve(super::routes(Arc::clone(&teams))).await?;
        Ok(Harness {
            teams,
            cloud,
            key,
            handler,
            store,
            bot_url,
            http: reqwest::Client::new(),
            _dir: dir,
        })
    }

    /// The service URL activities come from (not the configured one).
    pub fn service_url(&self) -> String {
        format!("{}/amer/", self.cloud.url)
    }

    /// Claims of a good connector token for this harness.
    pub fn claims(&self) -> Value {
        let now = Utc::now().timestamp();
        json!({
            "iss": "https://api.botframework.com",
            "aud": APP_ID,
            "exp": now + 3600,
            "nbf": now - 60,
            "serviceurl": self.service_url(),
        })
    }

    pub fn token(&self) -> String {
        self.key.sign(&self.claims())
    }

    /// Posts `activity` with `authorization` as the header (none when `None`).
    pub async fn post(
        &self,
        activity: &Value,
        authorization: Option<&str>,
    ) -> Result<(u16, String), Box<dyn Error>> {
        let mut request = self
            .http
            .post(format!("{}/api/messages", self.bot_url))
            .json(activity);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }

    /// Posts `activity` with a good token.
    pub async fn deliver(&self, activity: &Value) -> Result<(u16, String), Box<dyn Error>> {
        let header = format!("Bearer {}", self.token());
        self.post(activity, Some(&header)).await
    }

    /// A 1:1 message from Ana.
    pub fn personal_message(&self, id: &str, text: &str) -> Value {
        json!({
            "type": "message",
            "id": id,
            "serviceUrl": self.service_url(),
            "channelId": "msteams",
            "from": {"id": ANA_MRI, "name": "Ana Lopez", "aadObjectId": ANA},
            "recipient": {"id": BOT_ID, "name": "Doorman"},
            "conversation": {"id": "a:1ana-personal", "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}},
            "entities": [{"type": "clientInfo", "locale": "en-US"}],
            "text": text,
        })
    }

    /// A message from Ana in a team channel, with `entities`.
    pub fn channel_message(&self, id: &str, text: &str, entities: Value) -> Value {
        json!({
            "type": "message",
            "id": id,
            "serviceUrl": self.service_url(),
            "channelId": "msteams",
            "from": {"id": ANA_MRI, "name": "Ana Lopez", "aadObjectId": ANA},
            "recipient": {"id": BOT_ID, "name": "Doorman"},
            "conversation": {
                "id": "19:finance@thread.skype;messageid=1700000000000",
                "conversationType": "channel",
                "isGroup": true,
            },
            "channelData": {"tenant": {"id": TENANT}, "team": {"id": "19:team@thread.skype"}},
            "entities": entities,
            "text": text,
        })
    }

    /// Ana clicking an `Action.Execute` button on the card `reply_to` in her 1:1 chat.
    pub fn click(&self, id: &str, action: Value, reply_to: &str) -> Value {
        json!({
            "type": "invoke",
            "name": "adaptiveCard/action",
            "id": id,
            "serviceUrl": self.service_url(),
            "channelId": "msteams",
            "from": {"id": ANA_MRI, "name": "Ana Lopez", "aadObjectId": ANA},
            "recipient": {"id": BOT_ID, "name": "Doorman"},
            "conversation": {"id": "a:1ana-personal", "conversationType": "personal", "tenantId": TENANT},
            "replyToId": reply_to,
            "value": {"action": action, "trigger": "manual"},
        })
    }
}
