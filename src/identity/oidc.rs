//! Verifying ID tokens from the identity platform: signature against the tenant's published
//! keys (fetched from its OpenID metadata, cached, refetched on an unknown key id), issuer,
//! audience (this app), lifetime, tenant and nonce.
//!
//! Access tokens for Graph are never verified here: they are not meant for Doorman.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

/// The claims Doorman reads from an ID token.
#[derive(Debug, Clone, Deserialize)]
pub struct IdClaims {
    pub oid: String,
    pub tid: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IdTokenError {
    #[error("cannot fetch the identity platform's signing keys: {0}")]
    Keys(String),
    #[error("the ID token is not valid: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
struct Metadata {
    issuer: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    kty: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

struct KeySet {
    issuer: String,
    keys: HashMap<String, DecodingKey>,
    fetched: Instant,
}

/// Don't refetch keys more often than this, however many unknown key ids arrive.
const REFETCH_AT_MOST_EVERY: Duration = Duration::from_secs(60);
/// Refetch keys at least this often, so rotated keys are picked up.
const KEYS_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

pub struct IdTokenVerifier {
    http: reqwest::Client,
    metadata_url: String,
    client_id: String,
    tenant_id: String,
    keys: Mutex<Option<KeySet>>,
}

impl IdTokenVerifier {
    /// `tenant_authority` is `{authority}/{tenant}`.
    pub fn new(
        http: reqwest::Client,
        tenant_authority: &str,
        client_id: &str,
        tenant_id: &str,
    ) -> Self {
        IdTokenVerifier {
            http,
            metadata_url: format!("{tenant_authority}/v2.0/.well-known/openid-configuration"),
            client_id: client_id.to_owned(),
            tenant_id: tenant_id.to_owned(),
            keys: Mutex::new(None),
        }
    }

    /// Verifies `token` and that it carries `nonce`.
    pub async fn verify(&self, token: &str, nonce: &str) -> Result<IdClaims, IdTokenError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|error| IdTokenError::Invalid(error.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(IdTokenError::Invalid("only RS256 is accepted".into()));
        }
        let kid = header
            .kid
            .ok_or_else(|| IdTokenError::Invalid("no key id".into()))?;
        let mut keys = self.keys.lock().await;
        let stale = keys
            .as_ref()
            .is_none_or(|set| set.fetched.elapsed() > KEYS_MAX_AGE);
        let unknown = keys.as_ref().is_some_and(|set| {
            !set.keys.contains_key(&kid) && set.fetched.elapsed() > REFETCH_AT_MOST_EVERY
        });
        if stale || unknown {
            *keys = Some(self.fetch().await?);
        }
        let set = keys
            .as_ref()
            .ok_or_else(|| IdTokenError::Keys("no keys".into()))?;
        let key = set
            .keys
            .get(&kid)
            .ok_or_else(|| IdTokenError::Invalid("signed with an unknown key".into()))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[self.client_id.as_str()]);
        validation.set_issuer(&[set.issuer.as_str()]);
        validation.validate_nbf = true;
        validation.leeway = 300;
        let claims: IdClaims = jsonwebtoken::decode(token, key, &validation)
            .map_err(|error| IdTokenError::Invalid(error.to_string()))?
            .claims;
        if !claims.tid.eq_ignore_ascii_case(&self.tenant_id) {
            return Err(IdTokenError::Invalid("issued for another tenant".into()));
        }
        let nonce_matches = claims.nonce.as_deref().is_some_and(|claimed| {
            aws_lc_rs::constant_time::verify_slices_are_equal(claimed.as_bytes(), nonce.as_bytes())
                .is_ok()
        });
        if !nonce_matches {
            return Err(IdTokenError::Invalid(
                "the nonce does not match this sign-in".into(),
            ));
        }
        Ok(claims)
    }

    async fn fetch(&self) -> Result<KeySet, IdTokenError> {
        let fetch_error =
            |error: reqwest::Error| IdTokenError::Keys(error.without_url().to_string());
        let metadata: Metadata = self
            .http
            .get(&self.metadata_url)
            .send()
            .await
            .map_err(fetch_error)?
            .error_for_status()
            .map_err(fetch_error)?
            .json()
            .await
            .map_err(fetch_error)?;
        let jwks: Jwks = self
            .http
            .get(&metadata.jwks_uri)
            .send()
            .await
            .map_err(fetch_error)?
            .error_for_status()
            .map_err(fetch_error)?
            .json()
            .await
            .map_err(fetch_error)?;
        let mut keys = HashMap::new();
        for jwk in jwks.keys {
            if let (Some(kid), Some("RSA"), Some(n), Some(e)) =
                (jwk.kid, jwk.kty.as_deref(), jwk.n, jwk.e)
            {
                if let Ok(key) = DecodingKey::from_rsa_components(&n, &e) {
                    keys.insert(kid, key);
                }
            }
        }
        Ok(KeySet {
            issuer: metadata.issuer,
            keys,
            fetched: Instant::now(),
        })
    }
}
