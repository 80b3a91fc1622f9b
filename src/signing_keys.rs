//! The token-signing keys an OpenID provider publishes: fetched from its metadata's `jwks_uri`,
//! cached, refetched when older than a maximum age and when a token names a key id the cache
//! does not hold.
//!
//! Shared by the Teams channel (the Bot Connector's keys) and identity (the tenant's ID-token
//! keys); each says how to read one key. Owns the cache and the fetch schedule. Must not: verify
//! tokens, fetch more than once per refetch interval however many unknown key ids arrive (an
//! attacker could otherwise make every forged token cost a round trip), or drop keys it holds
//! because a refetch failed (keys rotate slowly, so a stale key is better than none).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::DecodingKey;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

/// Reads one published key (a JWK) into its id and what the caller keeps of it; `None` skips a
/// key that is not for signing or is malformed.
pub type ParseKey<K> = fn(&Value) -> Option<(String, K)>;

/// Why no key could be had for a key id.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no signing key has id {kid:?}")]
    Unknown { kid: String },
    #[error("signing keys are unavailable: {reason}")]
    Unavailable { reason: String },
}

pub struct SigningKeys<K> {
    http: reqwest::Client,
    metadata_url: Url,
    refetch_interval: Duration,
    max_age: Duration,
    parse: ParseKey<K>,
    /// Read on every request; a std lock, because it is never held across an await.
    current: RwLock<KeySet<K>>,
    /// Held while fetching, so concurrent requests wait for one fetch instead of each starting
    /// their own; it also remembers when the last fetch began.
    fetching: Mutex<Option<Instant>>,
}

struct KeySet<K> {
    keys: HashMap<String, Arc<K>>,
    /// The metadata's `issuer`, fetched with the keys.
    issuer: Option<String>,
    fetched_at: Option<Instant>,
}

impl<K> Default for KeySet<K> {
    fn default() -> Self {
        KeySet {
            keys: HashMap::new(),
            issuer: None,
            fetched_at: None,
        }
    }
}

impl<K> SigningKeys<K> {
    pub fn new(
        http: reqwest::Client,
        metadata_url: Url,
        refetch_interval: Duration,
        max_age: Duration,
        parse: ParseKey<K>,
    ) -> Self {
        SigningKeys {
            http,
            metadata_url,
            refetch_interval,
            max_age,
            parse,
            current: RwLock::new(KeySet::default()),
            fetching: Mutex::new(None),
        }
    }

    /// The key with id `kid`, fetching the key set first when it is older than the maximum age
    /// or does not hold `kid` (at most once per refetch interval). When a fetch fails, the keys
    /// already held are kept and used.
    pub async fn key(&self, kid: &str) -> Result<Arc<K>, KeyError> {
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
                Ok((keys, issuer)) => {
                    tracing::info!(keys = keys.len(), url = %self.metadata_url, "fetched signing keys");
                    self.replace(keys, issuer);
                }
                Err(reason) => {
                    tracing::warn!(%reason, url = %self.metadata_url, "could not fetch signing keys, keeping the ones held");
                    failure = Some(reason);
                }
            }
        }
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

    /// The `issuer` of the provider's metadata, once the keys were fetched.
    pub fn issuer(&self) -> Option<String> {
        self.current.read().ok()?.issuer.clone()
    }

    /// The cached key, and whether the cache is still fresh.
    fn lookup(&self, kid: &str) -> (Option<Arc<K>>, bool) {
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

    fn replace(&self, keys: HashMap<String, Arc<K>>, issuer: Option<String>) {
        if let Ok(mut set) = self.current.write() {
            *set = KeySet {
                keys,
                issuer,
                fetched_at: Some(Instant::now()),
            };
        }
    }

    async fn fetch(&self) -> Result<(HashMap<String, Arc<K>>, Option<String>), String> {
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
        let parsed: HashMap<String, Arc<K>> = keys
            .iter()
            .filter_map(self.parse)
            .map(|(kid, key)| (kid, Arc::new(key)))
            .collect();
        if parsed.is_empty() {
            return Err("the key set holds no usable rsa signing key".to_owned());
        }
        let issuer = metadata
            .get("issuer")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok((parsed, issuer))
    }

    async fn get_json(&self, url: Url) -> Result<Value, String> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|error| format!("request failed: {}", error.without_url()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("answered {status}"));
        }
        response
            .json()
            .await
            .map_err(|error| format!("unreadable json: {}", error.without_url()))
    }
}

/// An RSA signing key (`kty: RSA`, `use` absent or `sig`) with its id: what both providers
/// publish.
pub fn rsa_signing_key(raw: &Value) -> Option<(String, DecodingKey)> {
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
    Some((kid.to_owned(), decoding))
}
