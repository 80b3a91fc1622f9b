//! The simulated Slack workspace, as a Slack app sees it (DESIGN.md section 8;
//! reference/chat-protocols.md part B).
//!
//! Inbound, the control API ([`control`]) builds Events API callbacks, `block_actions` and
//! `view_submission` interaction payloads as Slack does ([`payloads`]) and delivers them to the
//! bot signed with the app's signing secret. Outbound, the Web API ([`web_api`], [`methods`]) under
//! `{sim}/slack/api/{method}` accepts the bot's messages, updates, DMs, user look-ups and modals,
//! and [`records`] keeps what each DM shows. A `response_url` from an interaction works too
//! ([`respond`]). Blocks are held to Slack's Block Kit limits ([`block_kit`]), and the bot's own
//! IM posts come back to it as events ([`echo`]), as Slack's do. Nothing here touches Graph or
//! its log.
//!
//! The workspace's people are the tenant's users that have a Slack id; their profile email is
//! their mail (else their UPN). Secrets are fresh for every run; the workspace id comes from the
//! tenant file, and DM ids are digests of it and the user, so they are stable across runs.

pub mod block_kit;
mod control;
mod echo;
mod methods;
mod payloads;
mod records;
mod respond;
mod web_api;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::SimState;
use super::directory::{Directory, User};
use records::Records;

/// The Slack app's id, as the sim hands it out in `[slack] app_id`.
pub const APP_ID: &str = "A0DOORMAN";
/// The bot user's id: what `auth.test` answers and `authorizations` name.
pub const BOT_USER_ID: &str = "U0DOORMAN";
/// The bot's id (bots have one beside their user id).
pub const BOT_ID: &str = "B0DOORMAN";
/// #general: the one channel of the workspace, every person and the bot in it.
pub const GENERAL_CHANNEL: &str = "C0GENERAL";

/// Slack's half of the simulator state.
pub struct SlackState {
    pub signing_secret: String,
    pub bot_token: String,
    /// The legacy verification token Slack still puts in payloads; bots should ignore it.
    pub verification_token: String,
    pub team_id: String,
    pub team_name: String,
    /// The workspace's subdomain, `{domain}.slack.com`.
    pub team_domain: String,
    records: Mutex<Records>,
}

impl std::fmt::Debug for SlackState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackState")
            .field("signing_secret", &"[REDACTED]")
            .field("bot_token", &"[REDACTED]")
            .field("team_id", &self.team_id)
            .finish_non_exhaustive()
    }
}

impl SlackState {
    /// A workspace for the tenant: its `slackTeamId`, else a `T…` id derived from the tenant id.
    pub fn new(directory: &Directory) -> Self {
        let tenant = &directory.tenant;
        let team_id = tenant
            .slack_team_id
            .clone()
            .unwrap_or_else(|| format!("T{}", short_id("team", &tenant.id, "")));
        let team_domain: String = tenant
            .display_name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        SlackState {
            signing_secret: random_hex(16),
            bot_token: format!(
                "xoxb-{}-{}-{}",
                random_digits(12),
                random_digits(13),
                random_alphanumerics(24)
            ),
            verification_token: super::login::random_token(18),
            team_id,
            team_name: tenant.display_name.clone(),
            team_domain: if team_domain.is_empty() {
                "workspace".to_owned()
            } else {
                team_domain
            },
            records: Mutex::new(Records::default()),
        }
    }

    /// The DMs, events, triggers and response URLs. Held only for synchronous work, never across
    /// an await, and never while the directory's lock is held.
    pub(crate) fn records(&self) -> MutexGuard<'_, Records> {
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The id of the bot's DM with a user: `D` and a digest of the workspace and the user.
    pub fn dm_id(&self, user_id: &str) -> String {
        format!("D{}", short_id("im", &self.team_id, user_id))
    }
}

/// A tenant user as Slack shows them.
#[derive(Debug, Clone)]
pub struct SlackUser {
    pub id: String,
    pub upn: String,
    /// The username: the UPN's local part.
    pub name: String,
    pub real_name: String,
    pub email: String,
    /// A disabled Entra account shows as a deactivated Slack account.
    pub deleted: bool,
}

impl SimState {
    /// The Slack user with this Slack id, or the one whose UPN this is.
    pub fn slack_user(&self, who: &str) -> Option<SlackUser> {
        self.slack_user_by_id(who).or_else(|| {
            let directory = self.directory();
            directory.user(who).and_then(describe)
        })
    }

    /// The Slack user with exactly this Slack id.
    pub fn slack_user_by_id(&self, id: &str) -> Option<SlackUser> {
        let directory = self.directory();
        directory
            .users
            .iter()
            .find(|user| user.slack_user_id.as_deref() == Some(id))
            .and_then(describe)
    }

    /// The Slack user whose profile email is `email` (case-insensitive).
    pub fn slack_user_by_email(&self, email: &str) -> Option<SlackUser> {
        let directory = self.directory();
        directory
            .users
            .iter()
            .filter_map(describe)
            .find(|user| user.email.eq_ignore_ascii_case(email))
    }

    /// The Slack user whose DM with the bot has this id.
    pub fn slack_user_by_dm(&self, channel: &str) -> Option<SlackUser> {
        if !channel.starts_with('D') {
            return None;
        }
        let directory = self.directory();
        directory
            .users
            .iter()
            .filter_map(describe)
            .find(|user| self.slack.dm_id(&user.id) == channel)
    }
}

fn describe(user: &User) -> Option<SlackUser> {
    let id = user.slack_user_id.clone()?;
    let prop = |name: &str| user.props.get(name).and_then(Value::as_str);
    Some(SlackUser {
        id,
        upn: user.upn.clone(),
        name: user
            .upn
            .split('@')
            .next()
            .unwrap_or(&user.upn)
            .to_ascii_lowercase(),
        real_name: prop("displayName").unwrap_or(&user.upn).to_owned(),
        email: prop("mail").unwrap_or(&user.upn).to_owned(),
        deleted: user.props.get("accountEnabled").and_then(Value::as_bool) == Some(false),
    })
}

/// Ten uppercase alphanumerics derived from the inputs, the shape of Slack's ids.
fn short_id(kind: &str, scope: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("{kind}\u{0}{scope}\u{0}{name}").as_bytes());
    hex::encode_upper(&digest[..5])
}

fn random_hex(bytes: usize) -> String {
    let random: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    hex::encode(random)
}

fn random_alphanumerics(count: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..count)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

fn random_digits(count: usize) -> String {
    (0..count)
        .map(|_| char::from(b'0' + rand::random_range(0..10_u8)))
        .collect()
}

pub(super) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .merge(web_api::routes())
        .merge(respond::routes())
        .merge(control::routes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_slacks_shape() {
        let id = short_id("im", "T1", "U1");
        assert_eq!(id.len(), 10);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert_ne!(id, short_id("im", "T1", "U2"));
        assert_eq!(random_digits(12).len(), 12);
        assert_eq!(random_hex(16).len(), 32);
        assert!(
            random_alphanumerics(24)
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
        );
    }
}
