//! Delegated access tokens on demand: from a cache while fresh, otherwise by redeeming the
//! person's refresh token, one refresh at a time per person, with the rotated refresh token
//! saved before the new access token is handed out. A token the identity platform refuses means
//! the person must sign in again; Doorman never falls back to another identity.
//!
//! Every change to what is held for a person (a refresh, a sign-in kept, a sign-out) happens
//! under that person's lock, so a sign-out that arrives while a refresh is in flight waits for
//! it and then removes what it saved: a rotated token can never resurrect a signed-out grant.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::oauth::{OAuth, OAuthError, Tokens};
use super::scopes::{ExchangeScopes, Role, Service};
use super::vault::{StoredGrant, TokenVault, VaultError};
use crate::audit::{AuditKind, AuditLog, NewRecord};
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
    exchange: ExchangeScopes,
    /// Access tokens by person and the resource they are for.
    cache: Mutex<HashMap<(String, Service), Cached>>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Where an unreadable stored sign-in is recorded (none in tests of the broker alone).
    audit: Option<Arc<AuditLog>>,
    /// People whose unreadable sign-in was already recorded since start, so that each is
    /// recorded once, not at every use, until they sign in again.
    unreadable_reported: Mutex<HashSet<String>>,
}

/// Why a person with an unreadable stored sign-in is asked to sign in: what the log and the
/// audit record say (never the token).
const UNREADABLE: &str =
    "the stored sign-in cannot be decrypted with [security] token_key or previous_token_keys";

impl TokenBroker {
    pub fn new(vault: TokenVault, oauth: Arc<OAuth>, exchange: ExchangeScopes) -> Self {
        TokenBroker {
            vault,
            oauth,
            exchange,
            cache: Mutex::new(HashMap::new()),
            locks: Mutex::new(HashMap::new()),
            audit: None,
            unreadable_reported: Mutex::new(HashSet::new()),
        }
    }

    /// Records in `audit` each person whose stored sign-in no configured key opens.
    pub fn auditing(mut self, audit: Arc<AuditLog>) -> Self {
        self.audit = Some(audit);
        self
    }

    /// A Graph access token for `object_id` good for `role`.
    pub async fn access_token(
        &self,
        object_id: &str,
        role: Role,
    ) -> Result<DelegatedToken, TokenError> {
        self.access_token_for(object_id, role, Service::Graph).await
    }

    /// An access token for `service` for `object_id`, good for `role`. Every resource's token is
    /// redeemed from the one refresh token the person's sign-in consented with; the rotated
    /// refresh token keeps everything consented, whichever resource it was redeemed for.
    pub async fn access_token_for(
        &self,
        object_id: &str,
        role: Role,
        service: Service,
    ) -> Result<DelegatedToken, TokenError> {
        let lock = self.lock_for(object_id);
        let _one_at_a_time = lock.lock().await;
        if let Some(token) = self.cached(object_id, role, service) {
            return Ok(token);
        }
        let grant = match self.vault.get(object_id) {
            Ok(Some(grant)) => grant,
            Ok(None) => return Err(TokenError::NeedsSignIn("no sign-in on record".into())),
            Err(VaultError::Undecryptable) => return Err(self.unreadable(object_id)),
            Err(other) => return Err(other.into()),
        };
        if !role.covered_by(service, &grant.scopes, &self.exchange) {
            return Err(TokenError::NeedsSignIn(format!(
                "{role:?} permissions for {service:?} were not granted at sign-in"
            )));
        }
        let asked = self.asked(service, role, &grant.scopes);
        match self.oauth.refresh(&grant.refresh_token, &asked).await {
            Ok(tokens) => {
                self.keep_refreshed(object_id, service, tokens, grant)?;
                self.cached(object_id, role, service)
                    .ok_or_else(|| TokenError::Unavailable("no access token in the answer".into()))
            }
            Err(OAuthError::InvalidGrant(reason))
                if service == Service::Exchange && consent_missing(&reason) =>
            {
                // The person never consented to Exchange (a sign-in from before it was asked
                // for): their Graph grant still stands.
                Err(TokenError::NeedsSignIn(reason))
            }
            Err(OAuthError::InvalidGrant(reason)) => {
                self.forget_locked(object_id)?;
                Err(TokenError::NeedsSignIn(reason))
            }
            Err(other) => Err(TokenError::Unavailable(other.to_string())),
        }
    }

    /// A stored sign-in no configured key opens (a `token_key` rotated without the old key
    /// in `previous_token_keys`, or a damaged entry) is no sign-in: the person is asked to
    /// sign in again, which replaces it. Logged and audited once per person, without the token.
    /// The entry stays, so that putting the missing key back in the configuration recovers it.
    fn unreadable(&self, object_id: &str) -> TokenError {
        let first = self.lock_reported().insert(object_id.to_owned());
        if first {
            tracing::warn!(entra_id = %object_id, "{UNREADABLE}; asking the person to sign in again");
            if let Some(audit) = &self.audit {
                let record = NewRecord {
                    request_id: None,
                    kind: AuditKind::TokenUnreadable,
                    actor: "doorman".into(),
                    data: json!({"entra_id": object_id, "reason": UNREADABLE}),
                };
                if let Err(error) = audit.append(record) {
                    tracing::error!(%error, "could not audit an unreadable stored sign-in");
                }
            }
        }
        TokenError::NeedsSignIn(UNREADABLE.into())
    }

    /// The scopes a refresh for `service` asks for: one resource's only (the identity platform
    /// issues a token for one resource at a time), and `offline_access` for a new refresh token.
    fn asked(&self, service: Service, role: Role, consented: &[String]) -> Vec<String> {
        match service {
            Service::Graph => consented
                .iter()
                .filter(|scope| !self.exchange.names(scope))
                .cloned()
                .collect(),
            Service::Exchange => role
                .exchange_scopes(&self.exchange)
                .into_iter()
                .chain(["offline_access".to_owned()])
                .collect(),
        }
    }

    /// Keeps a refresh's answer: the rotated refresh token with everything the person
    /// consented to (an answer lists only its own resource's scopes), the access token for
    /// `service` in memory.
    fn keep_refreshed(
        &self,
        object_id: &str,
        service: Service,
        tokens: Tokens,
        grant: StoredGrant,
    ) -> Result<(), TokenError> {
        let token_scopes = if tokens.scopes.is_empty() {
            self.asked(service, Role::Requester, &grant.scopes)
        } else {
            tokens.scopes.clone()
        };
        let consented = match service {
            // A Graph answer says what Graph consent there is now; Exchange's is kept.
            Service::Graph if !tokens.scopes.is_empty() => merge(
                tokens.scopes.clone(),
                grant
                    .scopes
                    .iter()
                    .filter(|scope| self.exchange.names(scope)),
            ),
            _ => grant.scopes,
        };
        if let Some(refresh_token) = tokens.refresh_token {
            self.vault.put(
                object_id,
                &StoredGrant {
                    refresh_token,
                    scopes: consented.clone(),
                    upn: grant.upn,
                    updated: Utc::now(),
                },
            )?;
        }
        let held = match service {
            Service::Graph => token_scopes,
            // An Exchange answer names its scopes without the resource: what was asked is
            // what the token is good for.
            Service::Exchange => consented,
        };
        self.cache(
            object_id,
            service,
            tokens.access_token,
            held,
            tokens.expires_in,
        );
        Ok(())
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
                Service::Graph,
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
        self.forget_cached(object_id);
        self.vault.put(
            object_id,
            &StoredGrant {
                refresh_token,
                scopes,
                upn,
                updated: Utc::now(),
            },
        )?;
        self.lock_reported().remove(object_id);
        Ok(())
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
            self.lock_reported().remove(object_id);
        }
        self.cache(
            object_id,
            Service::Graph,
            tokens.access_token,
            scopes,
            tokens.expires_in,
        );
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
        service: Service,
        token: SecretString,
        scopes: Vec<String>,
        expires_in: Duration,
    ) {
        let fresh_until = Instant::now() + expires_in.saturating_sub(EARLY_REFRESH);
        self.lock_cache().insert(
            (object_id.to_owned(), service),
            Cached {
                token,
                scopes,
                fresh_until,
            },
        );
    }

    /// [`TokenBroker::forget`], for a caller that holds the person's lock.
    fn forget_locked(&self, object_id: &str) -> Result<(), TokenError> {
        self.forget_cached(object_id);
        self.vault.remove(object_id)?;
        Ok(())
    }

    /// Drops the person's access tokens for every resource.
    fn forget_cached(&self, object_id: &str) {
        self.lock_cache()
            .retain(|(holder, _), _| holder != object_id);
    }

    fn cached(&self, object_id: &str, role: Role, service: Service) -> Option<DelegatedToken> {
        let cache = self.lock_cache();
        let cached = cache
            .get(&(object_id.to_owned(), service))
            .filter(|cached| {
                cached.fresh_until > Instant::now()
                    && role.covered_by(service, &cached.scopes, &self.exchange)
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

    fn lock_reported(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.unreadable_reported
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<(String, Service), Cached>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;

/// `first`, then those of `more` it lacks.
fn merge<'a>(mut first: Vec<String>, more: impl Iterator<Item = &'a String>) -> Vec<String> {
    for scope in more {
        if !first.iter().any(|have| have.eq_ignore_ascii_case(scope)) {
            first.push(scope.clone());
        }
    }
    first
}

/// Whether the identity platform refused a refresh because a scope was never consented
/// (AADSTS65001), which leaves the refresh token itself good.
fn consent_missing(reason: &str) -> bool {
    reason.contains("65001")
}
