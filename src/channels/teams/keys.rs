//! The Bot Connector's token-signing keys: fetched from the OpenID metadata's `jwks_uri`, cached,
//! refetched daily and when a token names a key id the cache does not hold.
//!
//! Owns the key cache and the fetch schedule. Must not: verify tokens (that is [`super::auth`]),
//! fetch more than once per refetch interval however many unknown key ids arrive (an attacker
//! could otherwise make every forged token cost a round trip), or drop keys it holds because a
//! refresh failed.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::DecodingKey;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

/// One signing key and the channels it may sign for.
pub(super) struct BotKey {
    pub decoding: DecodingKey,
    /// Bot Framework's non-standard `endorsements`: the channel ids (`msteams`, ...) whose
    /// activities this key may vouch for.
    pub endorsements: Vec<String>,
}

/// Why no key could be had for a key id.
#[derive(Debug, thiserror::Error)]
pub(super) enum KeyError {
    #[error("no signing key has id {kid:?}")]
    Unknown { kid: String },
    #[error("signing keys are unavailable: {reason}")]
    Unavailable { reason: String },
}

pub(super) struct SigningKeys {
    http: reqwest::Client,
    metadata_url: Url,
    refetch_interval: Duration,
    max_age: Duration,
    /// Read on every request; a std lock, because it is never held across an await.
    current: RwLock<KeySet>,
    /// Held while fetching, so concurrent requests wait for one fetch instead of each starting
    /// their own; it also remembers when the last fetch began.
    fetching: Mutex<Option<Instant>>,
}

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, Arc<BotKey>>,
    fetched_at: Option<Instant>,
}

impl SigningKeys {
    pub fn new(
        http: reqwest::Client,
        metadata_url: Url,
        refetch_interval: Duration,
        max_age: Duration,
    ) -> Self {
        SigningKeys {
            http,
            metadata_url,
            refetch_interval,
            max_age,
            current: RwLock::new(KeySet::default()),
            fetching: Mutex::new(None),
        }
    }

    /// The key with id `kid`, fetching the key set first when it is older than the maximum age
    /// or does not hold `kid` (at most once per refetch interval).
    pub async fn key(&self, kid: &str) -> Result<Arc<BotKey>, KeyError> {
        if let (Some(key), true) = self.lookup(kid) {
            return Ok(key);
        }
        let mut last_fetch = self.fetching.lock().await;
        // Another request may have fetched while this one waited for the lock.
        if let (Some(key), true) = self.lookup(kid) {
            return Ok(key);
        }
        let may_fetch = last_fetch.is_none_or(|at| at.elapsed() >= self.refetch_interval);
        let mut failure = None;
        if may_fetch {
            *last_fetch = Some(Instant::now());
            match self.fetch().await {
                Ok(keys) => {
                    tracing::info!(keys = keys.len(), "fetched bot framework signing keys");
                    self.replace(keys);
                }
                Err(reason) => {
                    tracing::warn!(%reason, "could not fetch bot framework signing keys");
                    failure = Some(reason);
                }
            }
        }
        // A stale key is still better than none when the refresh failed: keys rotate slowly.
        match self.lookup(kid) {
            (Some(key), _) => Ok(key),
            _ if self.is_empty() => Err(KeyError::Unavailable {
                reason: failure.unwrap_or_else(|| "no key set fetched yet".to_owned()),
            }),
            _ => Err(KeyError::Unknown {
                kid: kid.to_owned(),
            }),
        }
    }

    /// The cached key, and whether the cache is still fresh.
    fn lookup(&self, kid: &str) -> (Option<Arc<BotKey>>, bool) {
        match self.current.read() {
            Ok(set) => {
                let fresh = set.fetched_at.is_some_and(|at| at.elapsed() < self.max_age);
                (set.keys.get(kid).cloned(), fresh)
            }
            Err(_) => (None, false),
        }
    }

    fn is_empty(&self) -> bool {
        self.current.read().map_or(true, |set| set.keys.is_empty())
    }

    fn replace(&self, keys: HashMap<String, Arc<BotKey>>) {
        if let Ok(mut set) = self.current.write() {
            *set = KeySet {
                keys,
                fetched_at: Some(Instant::now()),
            };
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<BotKey>>, String> {
        let metadata = self.get_json(self.metadata_url.clone()).await?;
        let jwks_uri = metadata
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or("the openid metadata has no jwks_uri")?;
        let jwks_uri =
            Url::parse(jwks_uri).map_err(|error| format!("jwks_uri is not a url: {error}"))?;
        if !matches!(jwks_uri.scheme(), "http" | "https") {
            return Err("jwks_uri is not an http url".to_owned());
        }
        let jwks = self.get_json(jwks_uri).await?;
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or("the key set has no keys array")?;
        let parsed: HashMap<String, Arc<BotKey>> = keys.iter().filter_map(parse_key).collect();
        if parsed.is_empty() {
            return Err("the key set holds no usable rsa signing key".to_owned());
        }
        Ok(parsed)
    }

    async fn get_json(&self, url: Url) -> Result<Value, String> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|error| format!("request failed: {error}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("answered {status}"));
        }
        response
            .json()
            .await
            .map_err(|error| format!("unreadable json: {error}"))
    }
}

/// One JWK, read from the raw JSON because `endorsements` is not a standard member. Keys that
/// are not RSA signing keys, or are malformed, are skipped.
fn parse_key(raw: &Value) -> Option<(String, Arc<BotKey>)> {
    let kid = raw.get("kid")?.as_str()?;
    if raw.get("kty").and_then(Value::as_str) != Some("RSA") {
        return None;
    }
    if raw
        .get("use")
        .and_then(Value::as_str)
        .is_some_and(|usage| usage != "sig")
    {
        return None;
    }
    let modulus = raw.get("n")?.as_str()?;
    let exponent = raw.get("e")?.as_str()?;
    let decoding = DecodingKey::from_rsa_components(modulus, exponent).ok()?;
    let endorsements = raw
        .get("endorsements")
        .and_then(Value::as_array)
        .map(|channels| {
            channels
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Some((
        kid.to_owned(),
        Arc::new(BotKey {
            decoding,
            endorsements,
        }),
    ))
}
