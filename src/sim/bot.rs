//! The simulator's side of the wire to the bot: it delivers what Teams and Slack would send
//! (`POST {bot}/api/messages`, `/slack/events`, `/slack/interactions`) and reports what the bot
//! answered.
//!
//! It never retries on its own: a test that wants a redelivery asks for one through the control
//! API, so every delivery the bot sees is one the test caused.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde_json::Value;
use url::Url;

/// How long a delivery may take. Teams gives up after 15 s and Slack after 3 s, but the
/// simulator reports a slow answer instead of hiding it behind a timeout, so it waits longer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// The simulator's HTTP client for the bot at `--bot`.
pub struct BotClient {
    base: String,
    http: reqwest::Client,
}

/// What the bot answered: its status, and its body as JSON (a string when it was not JSON,
/// null when it was empty).
#[derive(Debug, Clone)]
pub struct BotAnswer {
    pub status: u16,
    pub body: Value,
}

/// Why the simulator could not build its client for the bot.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the client for the bot: {0}")]
pub struct ClientError(#[source] reqwest::Error);

/// Why a delivery got no answer from the bot.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach the bot at {url}: {reason}")]
pub struct Unreachable {
    pub url: String,
    pub reason: String,
}

/// One request to the bot: a path under its base URL, a content type, extra headers, a body.
pub struct Delivery<'a> {
    pub path: &'a str,
    pub content_type: &'static str,
    pub headers: Vec<(HeaderName, String)>,
    pub body: Vec<u8>,
}

impl BotClient {
    pub fn new(bot_url: &Url) -> Result<Self, ClientError> {
        // Redirects are not followed: a real chat service does not follow a bot's redirect
        // with a signed body, and neither should its stand-in.
        let http = reqwest::Client::builder()
            .user_agent("Microsoft-SkypeBotApi (Microsoft-BotFramework-doorman-sim)")
            .redirect(reqwest::redirect::Policy::none())
            .timeout(DELIVERY_TIMEOUT)
            .build()
            .map_err(ClientError)?;
        Ok(BotClient {
            base: bot_url.as_str().trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// POSTs `delivery` to the bot and reads its whole answer.
    pub async fn post(&self, delivery: Delivery<'_>) -> Result<BotAnswer, Unreachable> {
        let url = format!("{}{}", self.base, delivery.path);
        let mut request = self
            .http
            .post(&url)
            .header(CONTENT_TYPE, delivery.content_type)
            .body(delivery.body);
        for (name, value) in delivery.headers {
            match HeaderValue::from_str(&value) {
                Ok(value) => request = request.header(name, value),
                Err(error) => {
                    return Err(Unreachable {
                        url,
                        reason: format!("header {name} is not sendable: {error}"),
                    });
                }
            }
        }
        let unreachable = |error: reqwest::Error| Unreachable {
            url: url.clone(),
            reason: describe(&error),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(unreachable)?;
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(BotAnswer { status, body })
    }
}

/// A reqwest error with its causes, which say whether the port was closed or the bot too slow.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
