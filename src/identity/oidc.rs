//! Verifying ID tokens from the identity platform: signature against the tenant's published
//! keys (fetched from its OpenID metadata by the shared [`crate::signing_keys`] cache, refetched
//! daily and on an unknown key id, kept when a refetch fails), issuer, audience (this app),
//! lifetime, tenant and nonce.
//!
//! Access tokens for Graph are never verified here: they are not meant for Doorman.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use url::Url;

use crate::signing_keys::{KeyError, SigningKeys, rsa_signing_key};

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
    /// The Conditional Access authentication contexts the sign-in satisfied (asked for with
    /// the `claims` parameter).
    #[serde(default)]
    pub acrs: Vec<String>,
    /// When the person last authenticated, in seconds since the epoch (an optional claim the
    /// app registration enables).
    #[serde(default)]
    pub auth_time: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum IdTokenError {
    #[error("cannot fetch the identity platform's signing keys: {0}")]
    Keys(String),
    #[error("the ID token is not valid: {0}")]
    Invalid(String),
}

/// Don't refetch keys more often than this, however many unknown key ids arrive.
const REFETCH_AT_MOST_EVERY: Duration = Duration::from_secs(60);
/// Refetch keys at least this often, so rotated keys are picked up.
const KEYS_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

pub struct IdTokenVerifier {
    client_id: String,
    tenant_id: String,
    keys: SigningKeys<DecodingKey>,
}

impl IdTokenVerifier {
    /// `tenant_authority` is `{authority}/{tenant}`.
    pub fn new(
        http: reqwest::Client,
        tenant_authority: &str,
        client_id: &str,
        tenant_id: &str,
    ) -> Result<Self, IdTokenError> {
        Self::with_schedule(
            http,
            tenant_authority,
            client_id,
            tenant_id,
            REFETCH_AT_MOST_EVERY,
            KEYS_MAX_AGE,
        )
    }

    /// Like [`IdTokenVerifier::new`], with the key refetch schedule given (tests shrink it).
    fn with_schedule(
        http: reqwest::Client,
        tenant_authority: &str,
        client_id: &str,
        tenant_id: &str,
        refetch_interval: Duration,
        max_age: Duration,
    ) -> Result<Self, IdTokenError> {
        let metadata_url = Url::parse(&format!(
            "{tenant_authority}/v2.0/.well-known/openid-configuration"
        ))
        .map_err(|error| IdTokenError::Keys(format!("the metadata url is invalid: {error}")))?;
        Ok(IdTokenVerifier {
            client_id: client_id.to_owned(),
            tenant_id: tenant_id.to_owned(),
            keys: SigningKeys::new(
                http,
                metadata_url,
                refetch_interval,
                max_age,
                rsa_signing_key,
            ),
        })
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
        // A refetch that fails keeps the keys held, so a token signed with one of them still
        // verifies while the identity platform's key endpoint is down.
        let key = self.keys.key(&kid).await.map_err(|error| match error {
            KeyError::Unknown { .. } => IdTokenError::Invalid("signed with an unknown key".into()),
            KeyError::Unavailable { reason } => IdTokenError::Keys(reason),
        })?;
        let issuer = self
            .keys
            .issuer()
            .ok_or_else(|| IdTokenError::Keys("the openid metadata names no issuer".into()))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[self.client_id.as_str()]);
        validation.set_issuer(&[issuer.as_str()]);
        validation.validate_nbf = true;
        validation.leeway = 300;
        let claims: IdClaims = jsonwebtoken::decode(token, &key, &validation)
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
}

#[cfg(test)]
mod tests;
