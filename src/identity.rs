//! Who people are, and the delegated tokens that let Doorman act as them.
//!
//! A person signs in once through Doorman's OAuth2 authorization-code flow with PKCE
//! ([`routes`]): `GET /auth/start` redirects to the identity platform, `GET /auth/callback`
//! redeems the code, verifies the ID token (signature, issuer, audience, nonce, tenant) and then:
//! for Teams, requires the signed-in `oid` to be the Teams sender's; for Slack, links the Slack
//! account to the Entra account only when the signed-in mail or UPN is the Slack profile's email,
//! and otherwise asks the person to confirm on a page naming both accounts. A sign-in `state` is
//! single-use, bound to the chat user it was sent to, and expires in minutes.
//!
//! Refresh tokens live encrypted in the [`vault`]; [`tokens`] hands out access tokens and
//! rotates refresh tokens. This module never logs a code, a token or a secret, and audits each
//! sign-in without them.

mod links;
mod oauth;
mod oidc;
mod routes;
mod scopes;
mod signin;
mod step_up;
mod tokens;
mod vault;

use std::sync::Arc;

use secrecy::SecretString;
use serde_json::json;
use tokio::sync::mpsc;
use url::Url;

use crate::audit::{AuditKind, AuditLog, NewRecord};
use crate::config::Config;
use crate::domain::chat::{ChatUser, EntraUser};
use crate::graph::{AppTokenSource, GraphClient, RetryPolicy};
use crate::store::{Store, StoreError};
pub use links::{Link, Links};
pub use scopes::{ExchangeScopes, Role, Service};
pub use signin::{Expectation, SIGN_IN_LIFETIME_MINUTES};
pub use step_up::{StepUpOutcome, SteppedUp};
pub use tokens::TokenError;
pub use vault::{TokenVault, VaultError};

/// A completed sign-in, announced so the conversation can carry on with waiting messages.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub chat_user: ChatUser,
    pub entra: EntraUser,
}

/// What the browser side of sign-in announces.
#[derive(Debug, Clone)]
pub enum Signal {
    /// Someone signed in: their waiting messages carry on.
    SignedIn(SignedIn),
    /// A step-up sign-in ended: the request waiting for it carries on.
    SteppedUp(SteppedUp),
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("identity setup failed: {0}")]
    Setup(String),
}

pub struct Identity {
    public_url: Url,
    oauth: Arc<oauth::OAuth>,
    verifier: oidc::IdTokenVerifier,
    signins: signin::SignIns,
    links: Links,
    vault: TokenVault,
    broker: tokens::TokenBroker,
    exchange: ExchangeScopes,
    graph: GraphClient,
    app_tokens: AppTokenSource,
    audit: Arc<AuditLog>,
    signed_in: mpsc::UnboundedSender<Signal>,
    /// The authentication context a step-up sign-in asks for.
    step_up_context: String,
}

impl Identity {
    /// Builds the service; the receiver yields every completed sign-in.
    pub fn new(
        config: &Config,
        store: Arc<dyn Store>,
        audit: Arc<AuditLog>,
    ) -> Result<(Arc<Self>, mpsc::UnboundedReceiver<Signal>), IdentityError> {
        let roots = &config.security.ca_file;
        let http = roots
            .http_client()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|error| IdentityError::Setup(error.to_string()))?;
        let oauth = Arc::new(
            oauth::OAuth::new(config, http.clone())
                .map_err(|error| IdentityError::Setup(error.to_string()))?,
        );
        let vault = TokenVault::open(
            Arc::clone(&store),
            &config.security.token_key,
            &config.security.previous_token_keys,
        )?;
        let microsoft = &config.microsoft;
        let app_tokens = AppTokenSource::new_trusting(
            &microsoft.authority,
            &microsoft.tenant_id,
            microsoft.client_id.clone(),
            microsoft.client_secret.clone(),
            roots,
        )
        .map_err(|error| IdentityError::Setup(error.to_string()))?;
        let graph =
            GraphClient::new_trusting(microsoft.graph_url.clone(), RetryPolicy::default(), roots)
                .map_err(|error| IdentityError::Setup(error.to_string()))?;
        let (signed_in, events) = mpsc::unbounded_channel();
        let exchange = ExchangeScopes {
            invoke: config.exchange.invoke_scope.clone(),
            v2: config.exchange.v2_scope.clone(),
        };
        let identity = Identity {
            public_url: config.server.public_url.clone(),
            verifier: oidc::IdTokenVerifier::new(
                http,
                &microsoft.tenant_authority(),
                &microsoft.client_id,
                &microsoft.tenant_id,
            )
            .map_err(|error| IdentityError::Setup(error.to_string()))?,
            broker: tokens::TokenBroker::new(vault.clone(), Arc::clone(&oauth), exchange.clone())
                .auditing(Arc::clone(&audit)),
            exchange,
            oauth,
            signins: signin::SignIns::open(Arc::clone(&store))?,
            links: Links::open(store)?,
            vault,
            graph,
            app_tokens,
            audit,
            signed_in,
            step_up_context: config.identity.step_up_context.clone(),
        };
        Ok((Arc::new(identity), events))
    }

    /// The Entra user behind a chat user, when known: Teams senders carry it; Slack users once
    /// they have linked their account.
    pub fn entra_of(&self, user: &ChatUser) -> Result<Option<EntraUser>, IdentityError> {
        if user.channel.names_the_entra_account() {
            return Ok(Some(EntraUser {
                id: user.id.clone(),
                upn: None,
            }));
        }
        Ok(self.links.get(user)?.map(|link| link.entra))
    }

    /// A single-use sign-in link for `user`, to be sent to them and only them.
    pub fn sign_in_link(
        &self,
        user: &ChatUser,
        expect: Expectation,
        role: Role,
        login_hint: Option<String>,
    ) -> Result<Url, IdentityError> {
        let state = self.signins.create(user, expect, role, login_hint, None)?;
        self.link_for(&state)
    }

    /// A single-use step-up sign-in link for the requester of request `request`, whose Entra
    /// object id is `entra_id`: it asks for the `[identity] step_up_context` with
    /// `prompt=login`, and its answer verifies them for that request (it links nothing).
    pub fn step_up_link(
        &self,
        user: &ChatUser,
        entra_id: &str,
        login_hint: Option<String>,
        request: &str,
    ) -> Result<Url, IdentityError> {
        let step_up = signin::StepUpAsked {
            request: request.to_owned(),
            context: self.step_up_context.clone(),
        };
        let expect = Expectation::EntraObject {
            id: entra_id.to_owned(),
        };
        let state =
            self.signins
                .create(user, expect, Role::Requester, login_hint, Some(step_up))?;
        self.link_for(&state)
    }

    fn link_for(&self, state: &str) -> Result<Url, IdentityError> {
        let mut link = self
            .public_url
            .join("auth/start")
            .map_err(|error| IdentityError::Setup(error.to_string()))?;
        link.query_pairs_mut().append_pair("state", state);
        Ok(link)
    }

    /// The UPN of an Entra user, read with the app-only token (no person is behind this read).
    pub async fn upn_of(&self, object_id: &str) -> Option<String> {
        let token = self.app_tokens.token().await.ok()?;
        let user = self
            .graph
            .user(&token, object_id, &["userPrincipalName"])
            .await
            .ok()?;
        user.value.user_principal_name
    }

    /// What a sign-in through `pending` asks for: what its role needs, and everything the
    /// person granted before (so a sign-in for one role never takes away another's: a group's
    /// owner who is asked to sign in as a list's owner keeps what changing the group needs).
    fn scopes_for(&self, pending: &signin::PendingSignIn) -> Vec<String> {
        let mut scopes = pending.role.requested_scopes(&self.exchange);
        let entra_id = match &pending.expect {
            Expectation::EntraObject { id } => Some(id.clone()),
            Expectation::ChatEmail { .. } => self
                .links
                .get(&pending.chat_user)
                .ok()
                .flatten()
                .map(|link| link.entra.id),
        };
        let before = entra_id
            .and_then(|id| self.vault.get(&id).ok().flatten())
            .map(|grant| grant.scopes)
            .unwrap_or_default();
        for scope in before {
            if !scopes.iter().any(|have| have.eq_ignore_ascii_case(&scope)) {
                scopes.push(scope);
            }
        }
        scopes
    }

    /// Whether Doorman holds a refresh token for this person.
    pub fn is_signed_in(&self, object_id: &str) -> bool {
        self.broker.has_grant(object_id)
    }

    /// A delegated access token for this person, good for `role`.
    pub async fn delegated_token(
        &self,
        object_id: &str,
        role: Role,
    ) -> Result<crate::graph::DelegatedToken, TokenError> {
        self.broker.access_token(object_id, role).await
    }

    /// A delegated access token for this person for `service`, good for `role`.
    pub async fn delegated_token_for(
        &self,
        object_id: &str,
        role: Role,
        service: Service,
    ) -> Result<crate::graph::DelegatedToken, TokenError> {
        self.broker.access_token_for(object_id, role, service).await
    }

    /// The person's own profile, read with their own delegated token: proof that their sign-in
    /// still works.
    pub async fn me(&self, object_id: &str) -> Result<crate::graph::model::User, TokenError> {
        let token = self.delegated_token(object_id, Role::Requester).await?;
        let select = ["displayName", "userPrincipalName", "department"];
        match self.graph.user(&token, object_id, &select).await {
            Ok(answer) => Ok(answer.value),
            // A token Graph refuses is as good as no token: the person signs in again.
            Err(crate::graph::GraphError::Unauthorized(_)) => {
                let _ = self.broker.forget(object_id).await;
                Err(TokenError::NeedsSignIn("Graph refused the token".into()))
            }
            Err(error) => Err(TokenError::Unavailable(error.to_string())),
        }
    }

    /// Forgets a person's link and tokens (after any refresh of theirs in flight).
    pub async fn sign_out(
        &self,
        user: &ChatUser,
        entra: Option<&EntraUser>,
    ) -> Result<(), IdentityError> {
        if !user.channel.names_the_entra_account() {
            self.links.remove(user)?;
        }
        if let Some(entra) = entra {
            self.broker
                .forget(&entra.id)
                .await
                .map_err(|error| IdentityError::Setup(error.to_string()))?;
        }
        Ok(())
    }

    /// Drops expired sign-ins and confirmations.
    pub fn sweep(&self) -> Result<usize, IdentityError> {
        Ok(self.signins.sweep()?)
    }

    /// Records a completed sign-in: tokens kept, account linked (Slack), audited, announced.
    async fn complete(
        &self,
        chat_user: &ChatUser,
        entra: &EntraUser,
        obtained: Obtained,
    ) -> Result<(), IdentityError> {
        let (scopes, confirmed) = match obtained {
            Obtained::Fresh(tokens) => {
                let scopes = tokens.scopes.clone();
                self.broker
                    .keep(&entra.id, tokens, Vec::new(), entra.upn.clone())
                    .await
                    .map_err(|error| IdentityError::Setup(error.to_string()))?;
                (scopes, false)
            }
            Obtained::Confirmed {
                refresh_token,
                scopes,
            } => {
                self.broker
                    .keep_refresh_token(&entra.id, refresh_token, scopes.clone(), entra.upn.clone())
                    .await?;
                (scopes, true)
            }
        };
        if !chat_user.channel.names_the_entra_account() {
            self.links.put(chat_user, entra)?;
        }
        let actor = entra.upn.clone().unwrap_or_else(|| entra.id.clone());
        let record = NewRecord {
            request_id: None,
            kind: AuditKind::SignedIn,
            actor,
            data: json!({"chat_user": chat_user.key(), "entra_id": entra.id, "scopes": scopes, "confirmed_by_person": confirmed}),
        };
        if let Err(error) = self.audit.append(record) {
            tracing::error!(%error, "could not audit a sign-in");
        }
        let _ = self.signed_in.send(Signal::SignedIn(SignedIn {
            chat_user: chat_user.clone(),
            entra: entra.clone(),
        }));
        Ok(())
    }

    /// Announces how a step-up sign-in for `request` ended.
    fn stepped_up(&self, request: &str, outcome: StepUpOutcome) {
        let _ = self.signed_in.send(Signal::SteppedUp(SteppedUp {
            request: request.to_owned(),
            outcome,
        }));
    }
}

/// What a completed sign-in produced.
enum Obtained {
    /// Straight from the code exchange.
    Fresh(oauth::Tokens),
    /// Kept sealed while the person confirmed the link.
    Confirmed {
        refresh_token: SecretString,
        scopes: Vec<String>,
    },
}

/// The sign-in routes (`/auth/start`, `/auth/callback`, `/auth/confirm`).
pub fn router(identity: Arc<Identity>) -> axum::Router {
    routes::router(identity)
}
