//! The bot's own token for the Bot Connector, by client credentials against `[teams] token_url`.
//!
//! Owns [`BotTokenSource`] (one fetch at a time, cached until five minutes before expiry) and
//! [`BotToken`]. Must not: print the token or the app password through `Debug`, `Display` or an
//! error, or keep a token body it could not read.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

/// The scope of a token for the Bot Connector.
pub(super) const BOT_FRAMEWORK_SCOPE: &str = "https://api.botframework.com/.default";

/// A cached token is renewed once less than this much of its lifetime remains, so it never
/// expires in the middle of a retried call.
const RENEWAL_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A bearer token for the Bot Connector.
#[derive(Clone)]
pub(super) struct BotToken(SecretString);

/// Why no bot token could be had. Messages carry the endpoint's error code, never a secret.
#[derive(Debug, thiserror::Error)]
pub(super) enum TokenError {
    #[error("token endpoint unreachable: {0}")]
    Unreachable(String),
    #[error("token endpoint refused the request ({status}): {code}")]
    Refused { status: u16, code: String },
    #[error("token endpoint answered with an unreadable response")]
    Unreadable,
}

pub(super) struct BotTokenSource {
    http: reqwest::Client,
    token_url: Url,
    app_id: String,
    app_password: SecretString,
    /// Held while a token is fetched, so concurrent callers share one fetch.
    cached: Mutex<Option<(BotToken, Instant)>>,
}

impl BotToken {
    /// The raw token, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for BotToken {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("BotToken(..)")
    }
}

impl BotTokenSource {
    pub fn new(
        http: reqwest::Client,
        token_url: Url,
        app_id: String,
        app_password: SecretString,
    ) -> Self {
        BotTokenSource {
            http,
            token_url,
            app_id,
            app_password,
            cached: Mutex::new(None),
        }
    }

    /// A token valid for at least [`RENEWAL_MARGIN`], from the cache when it has one.
    pub async fn token(&self) -> Result<BotToken, TokenError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, renew_at)) = cached.as_ref() {
            if Instant::now() < *renew_at {
                return Ok(token.clone());
            }
        }
        let (token, lifetime) = self.fetch().await?;
        let renew_at = Instant::now() + lifetime.saturating_sub(RENEWAL_MARGIN);
        *cached = Some((token.clone(), renew_at));
        Ok(token)
    }

    /// Drops the cached token, after the connector refused it.
    pub async fn forget(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(&self) -> Result<(BotToken, Duration), TokenError> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.app_id.as_str()),
            ("client_secret", self.app_password.expose_secret()),
            ("scope", BOT_FRAMEWORK_SCOPE),
        ];
        let response = self
            .http
            .post(self.token_url.clone())
            .form(&form)
            .send()
            .await
            .map_err(|error| TokenError::Unreachable(error.without_url().to_string()))?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|_| TokenError::Unreadable)?;
        if !status.is_success() {
            let code = body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no error code")
                .to_owned();
            return Err(TokenError::Refused {
                status: status.as_u16(),
                code,
            });
        }
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|token| !token.is_empty())
            .ok_or(TokenError::Unreadable)?;
        // Entra sends a number; some proxies send the number as a string.
        let lifetime = match body.get("expires_in") {
            Some(Value::Number(seconds)) => seconds.as_u64(),
            Some(Value::String(seconds)) => seconds.parse().ok(),
            _ => None,
        }
        .ok_or(TokenError::Unreadable)?;
        Ok((
            BotToken(SecretString::from(token.to_owned())),
            Duration::from_secs(lifetime),
        ))
    }
}
