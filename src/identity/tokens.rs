//! Delegated access tokens on demand: from a cache while fresh, otherwise by redeeming the
//! person's refresh token, one refresh at a time per person, with the rotated refresh token
//! saved before the new access token is handed out. A token the identity platform refuses means
//! the person must sign in again; Doorman never falls back to another identity.
//!
//! Every change to what is held for a person (a refresh, a sign-in kept, a sign-out) happens
//! under that person's lock, so a sign-out that arrives while a refresh is in flight waits for
//! it and then removes what it saved: a rotated token can never resurrect a signed-out grant.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};

use super::oauth::{OAuth, OAuthError, Tokens};
use super::scopes::Role;
use super::vault::{StoredGrant, TokenVault, VaultError};
use crate::graph::DelegatedToken;

/// Refresh an access token this long before it expires.
const EARLY_REFRESH: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The person has no usable token (never signed in, signed out, revoked, or it lacks the
    /// permissions this role needs): ask them to sign in.
    #[error("a new sign-in is needed: {0}")]
    NeedsSignIn(String),
    #[error("the identity platform is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

struct Cached {
    token: SecretString,
    scopes: Vec<String>,
    fresh_until: Instant,
}

pub struct TokenBroker {
    vault: TokenVault,
    oauth: Arc<OAuth>,
    cache: Mutex<HashMap<String, Cached>>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl TokenBroker {
    pub fn new(vault: TokenVault, oauth: Arc<OAuth>) -> Self {
        TokenBroker {
            vault,
            oauth,
            cache: Mutex::new(HashMap::new()),
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// An access token for `object_id` good for `role`.
    pub async fn access_token(
        &self,
        object_id: &str,
        role: Role,
    ) -> Result<DelegatedToken, TokenError> {
        let lock = self.lock_for(object_id);
        let _one_at_a_time = lock.lock().await;
        if let Some(token) = self.cached(object_id, role) {
            return Ok(token);
        }
        let grant = self
            .vault
            .get(object_id)?
            .ok_or_else(|| TokenError::NeedsSignIn("no sign-in on record".into()))?;
        if !role.covered_by(&grant.scopes) {
            return Err(TokenError::NeedsSignIn(format!(
                "{role:?} permissions were not granted at sign-in"
            )));
        }
        match self
            .oauth
            .refresh(&grant.refresh_token, &grant.scopes)
            .await
        {
            Ok(tokens) => {
                self.keep_locked(object_id, tokens, grant.scopes, grant.upn)?;
                self.cached(object_id, role)
                    .ok_or_else(|| TokenError::Unavailable("no access token in the answer".into()))
            }
            Err(OAuthError::InvalidGrant(reason)) => {
                self.forget_locked(object_id)?;
                Err(TokenError::NeedsSignIn(reason))
            }
            Err(other) => Err(TokenError::Unavailable(other.to_string())),
        }
    }

    /// Keeps what a sign-in returned: the refresh token in the vault (flushed first), the
    /// access token in memory. Waits for a refresh of the same person in flight.
    ///
    /// A sign-in never narrows what is on record: when the person already granted more (an
    /// approver who consented to changing owners, then linked a Slack account as a requester),
    /// the broader grant stays, and the new access token serves only while it lasts. Otherwise
    /// a later, narrower sign-in would leave grants that person made without anyone able to
    /// take them away.
    pub async fn keep(
        &self,
        object_id: &str,
        tokens: Tokens,
        previous_scopes: Vec<String>,
        upn: Option<String>,
    ) -> Result<(), TokenError> {
        let lock = self.lock_for(object_id);
        let _held = lock.lock().await;
        if self.would_narrow(object_id, &tokens.scopes) {
            self.cache(
                object_id,
                tokens.access_token,
                tokens.scopes,
                tokens.expires_in,
            );
            return Ok(());
        }
        self.keep_locked(object_id, tokens, previous_scopes, upn)
    }

    /// Keeps a refresh token alone (a sign-in confirmed later, whose access token is gone).
    pub async fn keep_refresh_token(
        &self,
        object_id: &str,
        refresh_token: SecretString,
        scopes: Vec<String>,
        upn: Option<String>,
    ) -> Result<(), VaultError> {
        let lock = self.lock_for(object_id);
        let _held = lock.lock().await;
        if self.would_narrow(object_id, &scopes) {
            // As for `keep`: the broader grant on record stays.
            return Ok(());
        }
        self.lock_cache().remove(object_id);
        self.vault.put(
            object_id,
            &StoredGrant {
                refresh_token,
                scopes,
                upn,
                updated: Utc::now(),
            },
        )
    }

    /// Whether a refresh token is on record.
    pub fn has_grant(&self, object_id: &str) -> bool {
        matches!(self.vault.get(object_id), Ok(Some(_)))
    }

    /// Drops everything held for `object_id`, after any refresh of theirs in flight has saved
    /// what it got (which is then dropped too).
    pub async fn forget(&self, object_id: &str) -> Result<(), TokenError> {
        let lock = self.lock_for(object_id);
        let _held = lock.lock().await;
        self.forget_locked(object_id)
    }

    /// [`TokenBroker::keep`], for a caller that holds the person's lock.
    fn keep_locked(
        &self,
        object_id: &str,
        tokens: Tokens,
        previous_scopes: Vec<String>,
        upn: Option<String>,
    ) -> Result<(), TokenError> {
        let scopes = if tokens.scopes.is_empty() {
            previous_scopes
        } else {
            tokens.scopes
        };
        if let Some(refresh_token) = tokens.refresh_token {
            self.vault.put(
                object_id,
                &StoredGrant {
                    refresh_token,
                    scopes: scopes.clone(),
                    upn,
                    updated: Utc::now(),
                },
            )?;
        }
        self.cache(object_id, tokens.access_token, scopes, tokens.expires_in);
        Ok(())
    }

    /// Whether keeping a grant of `scopes` would replace one on record that covers more.
    /// An unreadable vault is not a reason to keep a stale grant: it does not narrow.
    fn would_narrow(&self, object_id: &str, scopes: &[String]) -> bool {
        match self.vault.get(object_id) {
            Ok(Some(stored)) => !stored
                .scopes
                .iter()
                .all(|had| scopes.iter().any(|has| has.eq_ignore_ascii_case(had))),
            _ => false,
        }
    }

    /// Holds an access token in memory until shortly before it expires.
    fn cache(
        &self,
        object_id: &str,
        token: SecretString,
        scopes: Vec<String>,
        expires_in: Duration,
    ) {
        let fresh_until = Instant::now() + expires_in.saturating_sub(EARLY_REFRESH);
        self.lock_cache().insert(
            object_id.to_owned(),
            Cached {
                token,
                scopes,
                fresh_until,
            },
        );
    }

    /// [`TokenBroker::forget`], for a caller that holds the person's lock.
    fn forget_locked(&self, object_id: &str) -> Result<(), TokenError> {
        self.lock_cache().remove(object_id);
        self.vault.remove(object_id)?;
        Ok(())
    }

    fn cached(&self, object_id: &str, role: Role) -> Option<DelegatedToken> {
        let cache = self.lock_cache();
        let cached = cache.get(object_id).filter(|cached| {
            cached.fresh_until > Instant::now() && role.covered_by(&cached.scopes)
        })?;
        Some(DelegatedToken::new(cached.token.expose_secret().to_owned()))
    }

    fn lock_for(&self, object_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(locks.entry(object_id.to_owned()).or_default())
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
