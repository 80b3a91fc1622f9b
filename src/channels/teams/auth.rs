//! Inbound authentication: the Bot Connector's JWT on every activity, checked as the Bot
//! Framework requires, plus the tenant allow-list.
//!
//! Owns [`Authenticator`] and [`Authenticated`], the only way to get an activity the rest of the
//! channel may act on. Must not: accept any algorithm but RS256, skip a check for any
//! configuration, or put the token (or a part of it) into an error or a log line.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::HeaderValue;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::keys::{BotKey, KeyError, SigningKeys};
use super::wire::Activity;

/// The issuer of every Bot Connector token.
pub(super) const BOT_FRAMEWORK_ISSUER: &str = "https://api.botframework.com";

/// The clock skew the Bot Framework allows on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 300;

/// An activity whose token passed every check and whose tenant is allowed. Only
/// [`Authenticator::verify`] makes one.
#[derive(Debug)]
pub(super) struct Authenticated {
    activity: Activity,
    tenant: String,
    service_url: String,
}

/// Why an activity was refused. None of the messages holds the token.
#[derive(Debug, thiserror::Error)]
pub(super) enum AuthError {
    #[error("no authorization header")]
    MissingToken,
    #[error("the authorization header is not a bearer token")]
    NotBearer,
    #[error("the token header is unreadable: {0}")]
    UnreadableHeader(jsonwebtoken::errors::Error),
    #[error("the token is signed with {0:?}, not RS256")]
    Algorithm(Algorithm),
    #[error("the token names no key id")]
    MissingKeyId,
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("the token was rejected: {0}")]
    Rejected(jsonwebtoken::errors::Error),
    #[error("the activity has no serviceUrl")]
    MissingServiceUrl,
    #[error("the token's serviceurl claim does not match the activity's serviceUrl")]
    ServiceUrlMismatch,
    #[error("the signing key is not endorsed for channel {channel:?}")]
    NotEndorsed { channel: String },
    #[error("the activity names no tenant")]
    MissingTenant,
    #[error("tenant {tenant} is not allowed")]
    TenantNotAllowed { tenant: String },
}

impl AuthError {
    /// What the log says about this refusal. Before the token's signature is checked, anything
    /// it or the body says is anyone's text, so those refusals are described without it (the
    /// header's parse error can quote the header, an unknown key id is the sender's to choose);
    /// the rest are escaped and cut short, since a signed token still does not vouch for every
    /// field of the body.
    pub(super) fn for_log(&self) -> String {
        match self {
            AuthError::UnreadableHeader(_) => "the token header is unreadable".to_owned(),
            AuthError::Key(KeyError::Unknown { .. }) => {
                "the token names a signing key the bot framework does not publish".to_owned()
            }
            other => crate::telemetry::untrusted(&other.to_string()).to_string(),
        }
    }
}

pub(super) struct Authenticator {
    keys: SigningKeys,
    validation: Validation,
    allowed_tenants: Vec<String>,
    /// Tokens whose signature and claims were checked, by the SHA-256 of the token. The Bot
    /// Connector sends one token with every activity until it nears expiry, and checking an
    /// RS256 signature cost more than the rest of authentication: a token seen before is
    /// checked again only for what can change (its time window, its key still published).
    verified: Mutex<HashMap<[u8; 32], Verified>>,
    /// How many tokens were checked in full, signature and all: the cache's misses.
    #[cfg(test)]
    pub(super) full_checks: std::sync::atomic::AtomicUsize,
}

/// What a checked token said, kept while it is valid.
#[derive(Clone)]
struct Verified {
    kid: String,
    /// The key that checked the signature: a hit counts only while the keys published under
    /// `kid` are still this very key (a refresh makes new ones, so a token is checked in full
    /// again after each refresh, and never against material republished under an old id).
    key: Arc<BotKey>,
    serviceurl: Option<String>,
    /// `exp` and `nbf`, in seconds since the epoch.
    expires: u64,
    not_before: Option<u64>,
}

/// How many checked tokens are kept; past it, the expired ones go, and if none has, all do.
const VERIFIED_TOKENS: usize = 1024;

/// The claim checked here rather than by `jsonwebtoken` (which checks `iss`, `aud`, `exp` and
/// `nbf`; Bot Framework spells `serviceurl` in lower case), and the time window `jsonwebtoken`
/// checked, kept for the cache. `exp` and `nbf` are read as numbers of any form, as
/// `jsonwebtoken` reads them, so that their absence or form is its check's failure, not this
/// struct's.
#[derive(Deserialize)]
struct ConnectorClaims {
    #[serde(default)]
    serviceurl: Option<String>,
    #[serde(default)]
    exp: Option<f64>,
    #[serde(default)]
    nbf: Option<f64>,
}

impl Authenticator {
    pub fn new(keys: SigningKeys, app_id: String, allowed_tenants: Vec<String>) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[BOT_FRAMEWORK_ISSUER]);
        validation.set_audience(&[app_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        Authenticator {
            keys,
            validation,
            allowed_tenants,
            verified: Mutex::new(HashMap::new()),
            #[cfg(test)]
            full_checks: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Runs every check on `activity` and the `Authorization` header it came with.
    pub async fn verify(
        &self,
        authorization: Option<&HeaderValue>,
        activity: Activity,
    ) -> Result<Authenticated, AuthError> {
        let token = bearer_token(authorization)?;
        let verified = self.token(token).await?;
        let key = &verified.key;
        let service_url = activity
            .service_url
            .clone()
            .ok_or(AuthError::MissingServiceUrl)?;
        if verified.serviceurl.as_deref() != Some(service_url.as_str()) {
            return Err(AuthError::ServiceUrlMismatch);
        }
        let channel = activity.channel_id.clone().unwrap_or_default();
        if !key.endorsements.contains(&channel) {
            return Err(AuthError::NotEndorsed { channel });
        }
        let tenant = activity
            .tenant()
            .ok_or(AuthError::MissingTenant)?
            .to_owned();
        if !self.allows_tenant(&tenant) {
            return Err(AuthError::TenantNotAllowed { tenant });
        }
        Ok(Authenticated {
            activity,
            tenant,
            service_url,
        })
    }
}

impl Authenticator {
    /// The checked claims of `token`: from the cache when it was checked before and is still
    /// within its time window, otherwise by checking its signature and claims in full.
    async fn token(&self, token: &str) -> Result<Verified, AuthError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = jsonwebtoken::get_current_timestamp();
        let known = self.cache().get(&digest).cloned();
        if let Some(verified) = known {
            // Whether or not the token was seen before, its key must still be published, as
            // the same key: one the Bot Framework has withdrawn vouches for nothing more.
            let published = self.keys.key(&verified.kid).await?;
            if verified.is_current(now) && Arc::ptr_eq(&published, &verified.key) {
                return Ok(verified);
            }
            self.cache().remove(&digest);
        }
        #[cfg(test)]
        self.full_checks
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let header = jsonwebtoken::decode_header(token).map_err(AuthError::UnreadableHeader)?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Algorithm(header.alg));
        }
        let kid = header.kid.ok_or(AuthError::MissingKeyId)?;
        let key = self.keys.key(&kid).await?;
        let claims =
            jsonwebtoken::decode::<ConnectorClaims>(token, &key.decoding, &self.validation)
                .map_err(AuthError::Rejected)?
                .claims;
        let verified = Verified {
            kid,
            key,
            serviceurl: claims.serviceurl,
            // Checked by `jsonwebtoken`, which rounds: a form it took but this cannot hold is
            // 0, never current, so that token is checked in full each time.
            expires: claims.exp.map(seconds).unwrap_or_default(),
            not_before: claims.nbf.map(seconds),
        };
        let mut cache = self.cache();
        if cache.len() >= VERIFIED_TOKENS {
            cache.retain(|_, kept| kept.is_current(now));
            if cache.len() >= VERIFIED_TOKENS {
                cache.clear();
            }
        }
        cache.insert(digest, verified.clone());
        Ok(verified)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Verified>> {
        self.verified.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether activities from `tenant` are accepted (and people there may be written to).
    pub fn allows_tenant(&self, tenant: &str) -> bool {
        self.allowed_tenants
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(tenant))
    }
}

/// Seconds since the epoch from a claim's number, rounded as `jsonwebtoken` rounds it; 0 for
/// what is not a time.
fn seconds(claim: f64) -> u64 {
    if claim.is_finite() && claim >= 0.0 {
        // In range: an `as` cast saturates, and no time of interest is near u64's end.
        claim.round() as u64
    } else {
        0
    }
}

impl Verified {
    /// Within its time window at `now`, with the leeway `jsonwebtoken` allowed when the token
    /// was first checked.
    fn is_current(&self, now: u64) -> bool {
        now.saturating_sub(LEEWAY_SECONDS) < self.expires
            && self
                .not_before
                .is_none_or(|nbf| nbf <= now.saturating_add(LEEWAY_SECONDS))
    }
}

impl Authenticated {
    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    /// The allowed tenant the activity came from.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The activity's `serviceUrl`, vouched for by the token's `serviceurl` claim.
    pub fn service_url(&self) -> &str {
        &self.service_url
    }
}

/// The token of `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 9110).
fn bearer_token(authorization: Option<&HeaderValue>) -> Result<&str, AuthError> {
    let value = authorization.ok_or(AuthError::MissingToken)?;
    let value = value.to_str().map_err(|_| AuthError::NotBearer)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::NotBearer)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::NotBearer);
    }
    Ok(token)
}
