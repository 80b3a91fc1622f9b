//! The identity platform's endpoints: authorize (auth code + PKCE), token (authorization code,
//! refresh token, client credentials for Graph, Exchange Online and the Bot Connector), OpenID
//! metadata and JWKS.
//!
//! Sign-ins are multi-resource, as Entra's are: `/authorize` consents to Graph and Exchange
//! Online permissions together, while the token endpoint issues an access token for one
//! resource per request (the one its `scope` names), and a refresh token stays bound to
//! everything consented.
//!
//! Behaviour follows Microsoft's v2.0 endpoint, with two deliberate differences: the user is
//! never asked anything (consent is automatic for the user named by `login_hint`), and refresh
//! tokens are single-use, which is stricter than Entra so that a bot that loses or races its
//! rotation is caught in tests.

mod authorize;
mod scopes;
mod step_up;
mod token;
mod tokens;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use url::Url;

use super::SimState;
pub use scopes::{
    APP_READ_ROLES, DELEGATED_SCOPES, EXCHANGE_APP_ROLES, EXCHANGE_DELEGATED_SCOPES,
    EXCHANGE_RESOURCE, RequestedScopes, Resource,
};
pub use step_up::StepUpMode;
pub(crate) use tokens::graph_issuer;
pub use tokens::{AccessClaims, BOT_CONNECTOR_AUDIENCE, GRAPH_AUDIENCES};

/// The Entra app registration the simulator hands to the bot in `/_sim/doorman.toml`.
#[derive(Clone)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: String,
    /// The only redirect URI registered: `{bot}/auth/callback`.
    pub redirect_uri: String,
    /// The object id of the app's service principal (the `oid` of app-only tokens).
    pub service_principal_id: String,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("redirect_uri", &self.redirect_uri)
            .field("service_principal_id", &self.service_principal_id)
            .finish()
    }
}

impl Registration {
    pub fn new(bot_url: &Url) -> Self {
        Registration {
            client_id: uuid::Uuid::new_v4().to_string(),
            client_secret: random_token(32),
            redirect_uri: format!("{}/auth/callback", bot_url.as_str().trim_end_matches('/')),
            service_principal_id: uuid::Uuid::new_v4().to_string(),
        }
    }
}

/// Codes and refresh tokens in flight. `Debug` shows how many, never which.
#[derive(Default)]
pub struct LoginState {
    codes: HashMap<String, AuthorizationCode>,
    redeemed_codes: HashSet<String>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    /// How step-up sign-ins are answered (`POST /_sim/login/step_up`).
    pub step_up: StepUpMode,
}

impl std::fmt::Debug for LoginState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginState")
            .field("codes", &self.codes.len())
            .field("redeemed_codes", &self.redeemed_codes.len())
            .field("refresh_tokens", &self.refresh_tokens.len())
            .field("step_up", &self.step_up)
            .finish()
    }
}

#[derive(Clone)]
struct AuthorizationCode {
    user_id: String,
    client_id: String,
    redirect_uri: String,
    /// What the user consented to, every resource together.
    scopes: RequestedScopes,
    /// The S256 form of the PKCE challenge.
    code_challenge: String,
    /// What the ID token says about this sign-in.
    authentication: Authentication,
    expires: DateTime<Utc>,
}

/// What an ID token says about the sign-in behind it, besides who signed in.
#[derive(Clone, Debug, Default)]
struct Authentication {
    nonce: Option<String>,
    /// The authentication contexts satisfied (`acrs`), for a step-up.
    acrs: Vec<String>,
    /// When the user authenticated (`auth_time`), for a step-up or `prompt=login`.
    auth_time: Option<DateTime<Utc>>,
}

#[derive(Clone)]
struct RefreshGrant {
    user_id: String,
    client_id: String,
    /// Everything consented: a refresh may ask for any of it, whatever the last one asked.
    scopes: RequestedScopes,
    issued: DateTime<Utc>,
    used: bool,
}

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize::authorize))
        .route("/{tenant}/oauth2/v2.0/token", post(token::token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(tokens::openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(tokens::jwks))
}

/// `n` random bytes as base64url: codes, refresh tokens, secrets.
pub(crate) fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let random: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
}

/// Whether `tenant` in a login URL names this tenant (its id or domain, or a multi-tenant alias).
fn names_tenant(state: &SimState, tenant: &str) -> bool {
    let directory = state.directory();
    tenant.eq_ignore_ascii_case(&directory.tenant.id)
        || tenant.eq_ignore_ascii_case(&directory.tenant.domain)
        || tenant.eq_ignore_ascii_case("organizations")
        || tenant.eq_ignore_ascii_case("common")
}
