//! The Bot Connector's token-signing keys: the shared [`crate::signing_keys`] cache, reading
//! each key with the Bot Framework's `endorsements`.
//!
//! Owns what a Bot Framework key is. Must not: verify tokens (that is [`super::auth`]).

use std::time::Duration;

use jsonwebtoken::DecodingKey;
use serde_json::Value;
use url::Url;

pub(super) use crate::signing_keys::KeyError;

/// The Bot Connector's keys, fetched from the Bot Framework's OpenID metadata.
pub(super) type SigningKeys = crate::signing_keys::SigningKeys<BotKey>;

/// One signing key and the channels it may sign for.
pub(super) struct BotKey {
    pub decoding: DecodingKey,
    /// Bot Framework's non-standard `endorsements`: the channel ids (`msteams`, ...) whose
    /// activities this key may vouch for.
    pub endorsements: Vec<String>,
}

/// The Bot Connector's key cache for `metadata_url`.
pub(super) fn signing_keys(
    http: reqwest::Client,
    metadata_url: Url,
    refetch_interval: Duration,
    max_age: Duration,
) -> SigningKeys {
    SigningKeys::new(http, metadata_url, refetch_interval, max_age, parse_key)
}

/// One JWK, read from the raw JSON because `endorsements` is not a standard member. Keys that
/// are not RSA signing keys, or are malformed, are skipped.
fn parse_key(raw: &Value) -> Option<(String, BotKey)> {
    let (kid, decoding) = crate::signing_keys::rsa_signing_key(raw)?;
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
        kid,
        BotKey {
            decoding,
            endorsements,
        },
    ))
}
