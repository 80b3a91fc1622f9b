//! The Microsoft Teams channel: Bot Framework activities in, Bot Connector calls out.
//!
//! Owns [`Teams`], which verifies inbound activities (`POST /api/messages`, see [`routes`]),
//! turns them into the neutral chat model for the [`InboundHandler`], and implements the
//! [`ChatPort`](crate::domain::chat::ChatPort) for Teams. Must not: act on an activity whose
//! token failed any check, take identity from message text or card data, send the bot's token
//! to a service URL that no authenticated activity (or the configuration) vouched for, or print
//! a token or the app password anywhere.
//!
//! The parts: [`keys`] and [`auth`] check inbound JWTs, [`wire`] holds the Bot Framework DTOs,
//! [`inbound`] interprets activities, [`conversations`] stores conversation references,
//! [`token`] and [`connector`] talk to the Bot Connector, [`outbound`] implements the port, and
//! [`cards`] renders Adaptive Cards from the templates in `adaptive-cards/`.

mod auth;
mod cards;
mod connector;
mod conversations;
mod inbound;
mod keys;
mod outbound;
mod routes;
mod token;
mod wire;

#[cfg(test)]
mod tests;

/// The activity `message` is sent as, its card's refresh addressed to one person: what the
/// test of every card checks.
#[cfg(test)]
pub(crate) fn activity_for_test(message: &crate::domain::chat::Message) -> serde_json::Value {
    match &message.card {
        Some(card) => serde_json::json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": cards::render(card, &message.text, &["29:1-test".to_owned()]),
            }],
        }),
        None => serde_json::json!({"type": "message", "text": message.text}),
    }
}

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::channels::Deliveries;
use crate::config::{Config, TeamsConfig, TrustedRoots};
use crate::domain::chat::InboundHandler;
use crate::graph::RetryPolicy;
use crate::store::{Store, StoreError};

pub use routes::routes;

/// The Teams adapter: one per daemon, shared by the route and the conversation (as its
/// [`ChatPort`](crate::domain::chat::ChatPort)).
pub struct Teams {
    bot_id: String,
    auth: auth::Authenticator,
    conversations: conversations::Conversations,
    connector: connector::Connector,
    deliveries: Deliveries,
    handler: Arc<dyn InboundHandler>,
    typing: outbound::TypingThrottle,
    invoke_budget: Duration,
    /// `[microsoft] tenant_id`: the tenant whose people Doorman reaches by object id.
    home_tenant: String,
}

/// Why the Teams adapter could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TeamsError {
    #[error("the [teams] section is not configured")]
    NotConfigured,
    #[error("cannot open the teams conversation store: {0}")]
    Store(#[from] StoreError),
    #[error("cannot build the http client: {0}")]
    Http(String),
}

/// Limits that production takes from [`Tuning::default`] and tests shrink.
#[derive(Debug, Clone, Copy)]
struct Tuning {
    /// Backoff for Bot Connector calls.
    retry: RetryPolicy,
    /// The shortest time between two fetches of the signing keys caused by unknown key ids.
    key_refetch_interval: Duration,
    /// How long signing keys are used before they are fetched again.
    key_max_age: Duration,
    /// How long an invoke waits for the handler before answering that work goes on; Teams
    /// gives up on an invoke after about 15 seconds.
    invoke_budget: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            retry: RetryPolicy {
                max_attempts: 5,
                max_elapsed: Duration::from_secs(30),
                base_delay: Duration::from_millis(250),
                max_delay: Duration::from_secs(8),
            },
            key_refetch_interval: Duration::from_secs(60),
            key_max_age: Duration::from_secs(24 * 60 * 60),
            invoke_budget: Duration::from_secs(10),
        }
    }
}

/// The tenants the adapter serves: the one whose people it reaches by object id, and the ones
/// whose activities it accepts.
struct Tenants {
    home: String,
    allowed: Vec<String>,
}

impl Teams {
    /// Builds the adapter from `[teams]` (an error when the section is absent), accepting
    /// activities from [`Config::teams_allowed_tenants`].
    pub fn new(
        config: &Config,
        store: Arc<dyn Store>,
        deliveries: Deliveries,
        handler: Arc<dyn InboundHandler>,
    ) -> Result<Arc<Teams>, TeamsError> {
        let section = config.teams.as_ref().ok_or(TeamsError::NotConfigured)?;
        Teams::assemble(
            section,
            &config.security.ca_file,
            Tenants {
                home: config.microsoft.tenant_id.clone(),
                allowed: config.teams_allowed_tenants(),
            },
            store,
            deliveries,
            handler,
            Tuning::default(),
        )
    }

    fn assemble(
        section: &TeamsConfig,
        roots: &TrustedRoots,
        tenants: Tenants,
        store: Arc<dyn Store>,
        deliveries: Deliveries,
        handler: Arc<dyn InboundHandler>,
        tuning: Tuning,
    ) -> Result<Arc<Teams>, TeamsError> {
        let http = http_client(roots)?;
        let keys = keys::signing_keys(
            http.clone(),
            section.openid_metadata_url.clone(),
            tuning.key_refetch_interval,
            tuning.key_max_age,
        );
        let auth = auth::Authenticator::new(keys, section.app_id.clone(), tenants.allowed);
        let conversations =
            conversations::Conversations::open(store, section.service_url.as_str())?;
        let tokens = token::BotTokenSource::new(
            http.clone(),
            section.token_url.clone(),
            section.app_id.clone(),
            section.app_password.clone(),
        );
        let connector = connector::Connector::new(http, tokens, tuning.retry);
        Ok(Arc::new(Teams {
            bot_id: format!("28:{}", section.app_id),
            auth,
            conversations,
            connector,
            deliveries,
            handler,
            typing: outbound::TypingThrottle::default(),
            invoke_budget: tuning.invoke_budget,
            home_tenant: tenants.home,
        }))
    }
}

impl fmt::Debug for Teams {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Teams")
            .field("bot_id", &self.bot_id)
            .finish_non_exhaustive()
    }
}

/// One client for the key endpoints, the token endpoint and the Bot Connector. Redirects are not
/// followed, so a bearer token can never be carried to a host nobody vouched for.
fn http_client(roots: &TrustedRoots) -> Result<reqwest::Client, TeamsError> {
    roots
        .http_client()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|error| TeamsError::Http(error.to_string()))
}
