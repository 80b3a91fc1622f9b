//! The simulated Microsoft Teams, as a bot sees it through the Bot Framework (DESIGN.md
//! section 8; reference/chat-protocols.md part A).
//!
//! Inbound, the control API ([`control`]) builds activities exactly as Teams does and delivers
//! them to `{bot}/api/messages` under a JWT signed with the Bot Framework's own key, which
//! [`metadata`] publishes with its `endorsements`. Outbound, the Bot Connector ([`connector`])
//! under `{sim}/teams/` accepts the bot's sends, replies, updates, deletes and proactive
//! conversations, for any tenant user (the app counts as installed tenant-wide), and
//! [`records`] keeps what each conversation shows. Nothing here touches Graph or its log.
//!
//! Ids are stable for a tenant across runs: a person's `29:` id and personal conversation id
//! are digests of the tenant and their Entra object id, so a bot restarted against a fresh
//! simulator still finds the people it stored.

mod activity;
mod connector;
mod control;
mod metadata;
mod records;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::SimState;
use super::directory::{Directory, User};
use super::keys::{KeyError, SigningKey};
use records::Records;
pub use records::{ConversationKind, LogEntry, SentActivity};

/// The bot's display name, as the Azure Bot registration would give it.
pub const BOT_NAME: &str = "Doorman";

/// The channel id Teams puts on every activity, and the endorsement its keys carry.
pub const CHANNEL_ID: &str = "msteams";

/// The issuer of the Bot Connector's tokens to bots.
pub const BOT_FRAMEWORK_ISSUER: &str = "https://api.botframework.com";

/// Teams' half of the simulator state.
pub struct TeamsState {
    /// The Bot Framework's signing key: not Entra's, as in the real services, so a bot that
    /// checks inbound activities against Entra's keys fails here too.
    pub key: SigningKey,
    records: Mutex<Records>,
}

impl TeamsState {
    pub fn new() -> Result<Self, KeyError> {
        Ok(TeamsState {
            key: SigningKey::generate()?,
            records: Mutex::new(Records::default()),
        })
    }

    /// The conversations and the delivery log. Held only for synchronous work, never across an
    /// await, and never while the directory's lock is held.
    pub(crate) fn records(&self) -> MutexGuard<'_, Records> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A tenant user as Teams shows them to the bot.
#[derive(Debug, Clone)]
pub struct TeamsUser {
    pub object_id: String,
    pub upn: String,
    pub name: String,
    /// The app-scoped `29:` id.
    pub teams_id: String,
    /// Their personal (1:1) conversation with the bot.
    pub conversation_id: String,
    pub enabled: bool,
}

/// A person's app-scoped Teams id: `29:1` and a digest of the tenant and their object id.
pub fn teams_user_id(tenant_id: &str, object_id: &str) -> String {
    format!("29:1{}", digest("teams-user", tenant_id, object_id))
}

/// The id of a person's 1:1 conversation with the bot: `a:1` and a digest.
pub fn personal_conversation_id(tenant_id: &str, object_id: &str) -> String {
    format!("a:1{}", digest("teams-personal", tenant_id, object_id))
}

/// The bot's account id in Teams.
pub fn bot_account_id(app_id: &str) -> String {
    format!("28:{app_id}")
}

fn digest(kind: &str, tenant_id: &str, object_id: &str) -> String {
    let hash = Sha256::digest(
        format!(
            "{kind}\u{0}{}\u{0}{}",
            tenant_id.to_ascii_lowercase(),
            object_id.to_ascii_lowercase()
        )
        .as_bytes(),
    );
    URL_SAFE_NO_PAD.encode(hash)
}

impl SimState {
    /// The Bot Connector's base URL, as activities carry it in `serviceUrl` (trailing slash).
    pub fn teams_service_url(&self) -> String {
        format!("{}/teams/", self.base_url)
    }

    /// The tenant user named by a UPN, an object id or a `29:` id. Shared mailboxes are not
    /// Teams users.
    pub fn teams_user(&self, who: &str) -> Option<TeamsUser> {
        let directory = self.directory();
        let tenant_id = directory.tenant.id.clone();
        let found = directory.user(who).or_else(|| {
            who.starts_with("29:").then_some(())?;
            directory
                .users
                .iter()
                .find(|user| teams_user_id(&tenant_id, &user.id) == who)
        });
        found
            .filter(|user| user.mailbox.is_none())
            .map(|user| describe(&directory, user))
    }

    /// The tenant user whose 1:1 conversation with the bot has this id.
    pub fn teams_user_by_conversation(&self, conversation_id: &str) -> Option<TeamsUser> {
        if !conversation_id.starts_with("a:") {
            return None;
        }
        let directory = self.directory();
        let tenant_id = directory.tenant.id.clone();
        directory
            .users
            .iter()
            .filter(|user| user.mailbox.is_none())
            .find(|user| personal_conversation_id(&tenant_id, &user.id) == conversation_id)
            .map(|user| describe(&directory, user))
    }
}

fn describe(directory: &Directory, user: &User) -> TeamsUser {
    let tenant_id = &directory.tenant.id;
    TeamsUser {
        object_id: user.id.clone(),
        upn: user.upn.clone(),
        name: user
            .props
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or(&user.upn)
            .to_owned(),
        teams_id: teams_user_id(tenant_id, &user.id),
        conversation_id: personal_conversation_id(tenant_id, &user.id),
        enabled: user.props.get("accountEnabled").and_then(Value::as_bool) != Some(false),
    }
}

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .merge(metadata::routes())
        .merge(connector::routes())
        .merge(control::routes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_for_a_tenant_and_differ_between_people_and_tenants() {
        let one = teams_user_id("t1", "u1");
        assert_eq!(one, teams_user_id("T1", "U1"));
        assert!(one.starts_with("29:1"));
        assert_ne!(one, teams_user_id("t1", "u2"));
        assert_ne!(one, teams_user_id("t2", "u1"));
        let conversation = personal_conversation_id("t1", "u1");
        assert!(conversation.starts_with("a:1"));
        assert_ne!(&conversation[3..], &one[4..]);
        assert_eq!(bot_account_id("app"), "28:app");
    }
}
