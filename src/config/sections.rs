//! The sections of the config file, one struct each, with their defaults and checks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::{AuditPublicKey, ConfigError, SecretKey};
use crate::domain::duration::{format_duration, parse_duration};

/// `[server]`: where the daemon listens and how it is reached from outside.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// The URL people and chat services use to reach this daemon (sign-in links, callbacks).
    pub public_url: Url,
    #[serde(default)]
    pub log_format: LogFormat,
    /// Whether the public listener serves `/metrics` as well as the admin listener. Off by
    /// default: the counts say who is busy with what, which is the operator's to know.
    #[serde(default, deserialize_with = "deserialize_flag")]
    pub public_metrics: bool,
}

/// How log lines are written (always to standard error).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl ServerConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        require_http("server.public_url", &self.public_url)
    }
}

/// `[storage]`: the folder that holds the store (sled admits one process at a time).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    pub path: PathBuf,
}

/// `[microsoft]`: the Entra app registration and the Microsoft endpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MicrosoftConfig {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// The identity platform's base URL; the tenant goes after it.
    #[serde(default = "default_authority")]
    pub authority: Url,
    /// Graph's versioned base URL, `https://graph.microsoft.com/v1.0` in the global cloud.
    #[serde(default = "default_graph_url")]
    pub graph_url: Url,
    /// The UPN of the helpdesk account whose delegated token carries out auto-approved grants.
    #[serde(default)]
    pub operator: Option<String>,
    /// The UPN of the account holding Privileged Authentication Administrator that recovers
    /// administrators' accounts (an Authentication Administrator may not); none means such
    /// recoveries are refused.
    #[serde(default)]
    pub privileged_operator: Option<String>,
}

fn default_authority() -> Url {
    Url::parse("https://login.microsoftonline.com").expect("a constant URL parses")
}

fn default_graph_url() -> Url {
    Url::parse("https://graph.microsoft.com/v1.0").expect("a constant URL parses")
}

impl MicrosoftConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if uuid::Uuid::parse_str(&self.tenant_id).is_err() {
            return Err(ConfigError::invalid(
                "microsoft.tenant_id",
                "must be the tenant's id (a GUID), as in the tid claim of its tokens",
            ));
        }
        if self.client_id.trim().is_empty() {
            return Err(ConfigError::invalid(
                "microsoft.client_id",
                "must not be empty",
            ));
        }
        require_http("microsoft.authority", &self.authority)?;
        require_http("microsoft.graph_url", &self.graph_url)?;
        for (key, account) in [
            ("microsoft.operator", &self.operator),
            ("microsoft.privileged_operator", &self.privileged_operator),
        ] {
            if account.as_ref().is_some_and(|upn| !upn.contains('@')) {
                return Err(ConfigError::invalid(key, "must be a user principal name"));
            }
        }
        Ok(())
    }

    /// `{authority}/{tenant}` with no trailing slash.
    pub fn tenant_authority(&self) -> String {
        format!(
            "{}/{}",
            self.authority.as_str().trim_end_matches('/'),
            self.tenant_id
        )
    }
}

/// `[policy]`: the policy file. With none configured, every request is denied.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    #[serde(default)]
    pub file: Option<PathBuf>,
}

/// `[catalog]`: what can be requested. The catalog is synced from Graph every `refresh`; the
/// optional catalog file adds aliases and tags and declares what Graph cannot list.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogConfig {
    /// The catalog file (TOML); see `catalog::file` for its format.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// How often the catalog is synced from Graph, written like `"15m"`.
    #[serde(
        default = "default_catalog_refresh",
        deserialize_with = "deserialize_duration"
    )]
    pub refresh: Duration,
}

/// A directory of thousands of groups takes a while to read; syncing more often than this would
/// mostly add throttling.
pub const MINIMUM_CATALOG_REFRESH: Duration = Duration::from_secs(60);

fn default_catalog_refresh() -> Duration {
    Duration::from_secs(15 * 60)
}

impl Default for CatalogConfig {
    fn default() -> Self {
        CatalogConfig {
            file: None,
            refresh: default_catalog_refresh(),
        }
    }
}

impl CatalogConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.refresh < MINIMUM_CATALOG_REFRESH {
            return Err(ConfigError::invalid(
                "catalog.refresh",
                format!(
                    "must be at least {}, not {}",
                    format_duration(MINIMUM_CATALOG_REFRESH),
                    format_duration(self.refresh)
                ),
            ));
        }
        Ok(())
    }
}

/// Reads a duration the way every Doorman file writes one (`"30m"`, `"1h"`).
fn deserialize_duration<'de, D>(deserializer: D) -> Result<Duration, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

/// A yes-or-no key: a TOML boolean, or `true`/`false` as text, the only shape an environment
/// override (`DOORMAN__SERVER__PUBLIC_METRICS=true`) can take.
fn deserialize_flag<'de, D>(deserializer: D) -> Result<bool, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    match Flag::deserialize(deserializer)? {
        Flag::Bool(flag) => Ok(flag),
        Flag::Text(text) => match text.trim() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(serde::de::Error::custom("must be true or false")),
        },
    }
}

/// `[security]`: keys kept outside the store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// Encrypts delegated tokens at rest (AES-256-GCM).
    pub token_key: SecretKey,
    /// Earlier `token_key`s, used only to open tokens sealed before a rotation: a token one of
    /// them opens is sealed again under `token_key` when it is read.
    #[serde(default)]
    pub previous_token_keys: Vec<SecretKey>,
    /// Signs the head of the audit chain (Ed25519, from this 32-byte seed).
    pub audit_key: SecretKey,
    /// The public halves of earlier `audit_key`s (hex, as `doorman audit public-key` prints
    /// them), trusted only to verify heads signed before a rotation. Public keys, not seeds:
    /// verifying needs nothing that could sign.
    #[serde(default)]
    pub previous_audit_public_keys: Vec<AuditPublicKey>,
    /// Certificate authorities trusted for outbound HTTPS besides the usual roots (a PEM
    /// file, such as the one `doorman sim --tls` hands out).
    #[serde(default)]
    pub ca_file: super::TrustedRoots,
}

/// `[lifecycle]`: what happens around a grant's end.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleConfig {
    /// How long before a grant's end its requester is reminded (with an Extend button), like
    /// `"24h"`; a grant shorter than twice this is reminded halfway.
    #[serde(
        default = "default_remind_before",
        deserialize_with = "deserialize_duration"
    )]
    pub remind_before: Duration,
    /// How often Doorman's grants are compared with the tenant (drift repair), like `"15m"`.
    #[serde(
        default = "default_reconcile_every",
        deserialize_with = "deserialize_duration"
    )]
    pub reconcile_every: Duration,
}

fn default_remind_before() -> Duration {
    Duration::from_secs(24 * 3600)
}

fn default_reconcile_every() -> Duration {
    Duration::from_secs(15 * 60)
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        LifecycleConfig {
            remind_before: default_remind_before(),
            reconcile_every: default_reconcile_every(),
        }
    }
}

/// `[provision]`: carrying grants out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionConfig {
    /// How long a change is read back (through Graph's replication lag) before the request
    /// fails and what it made is undone, like `"2m"`.
    #[serde(
        default = "default_verify_within",
        deserialize_with = "deserialize_duration"
    )]
    pub verify_within: Duration,
}

fn default_verify_within() -> Duration {
    Duration::from_secs(120)
}

impl Default for ProvisionConfig {
    fn default() -> Self {
        ProvisionConfig {
            verify_within: default_verify_within(),
        }
    }
}

/// `[identity]`: how people prove who they are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// The Conditional Access authentication context a step-up sign-in asks for (the
    /// tenant's policy for it requires multi-factor authentication), like `"c1"`.
    #[serde(default = "default_step_up_context")]
    pub step_up_context: String,
}

fn default_step_up_context() -> String {
    "c1".to_owned()
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            step_up_context: default_step_up_context(),
        }
    }
}

impl IdentityConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        // Entra's authentication context ids are c1 to c99.
        let valid = self
            .step_up_context
            .strip_prefix('c')
            .and_then(|number| number.parse::<u8>().ok())
            .is_some_and(|number| (1..=99).contains(&number));
        if valid {
            Ok(())
        } else {
            Err(ConfigError::invalid(
                "identity.step_up_context",
                "must be an authentication context id, c1 to c99",
            ))
        }
    }
}

/// `[admin]`: the loopback listener command-line tools use while `serve` holds the store.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    #[serde(default = "default_admin_listen")]
    pub listen: SocketAddr,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            listen: default_admin_listen(),
        }
    }
}

fn default_admin_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9797))
}

impl AdminConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        // The admin listener answers audit exports and grant revocations: it must never be
        // reachable from another machine, whatever the token file's permissions.
        if !self.listen.ip().is_loopback() {
            return Err(ConfigError::invalid(
                "admin.listen",
                "must be a loopback address",
            ));
        }
        Ok(())
    }
}

fn require_http(key: &str, url: &Url) -> Result<(), ConfigError> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(ConfigError::invalid(
            key,
            format!("must be an http or https URL, not {other}:"),
        )),
    }
}

/// `[teams]`: the Azure Bot registration and the Bot Framework endpoints. Absent: no Teams.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamsConfig {
    /// The bot's Microsoft App ID: the audience of inbound tokens.
    pub app_id: String,
    pub app_password: SecretString,
    /// Where the Bot Connector's signing keys are published.
    #[serde(default = "default_openid_metadata_url")]
    pub openid_metadata_url: Url,
    /// Where the bot gets its own token for the Bot Connector (client credentials).
    pub token_url: Url,
    /// The Bot Connector base URL for proactive messages to people Doorman has no conversation
    /// with yet.
    #[serde(default = "default_service_url")]
    pub service_url: Url,
    /// Tenants whose activities are accepted (default: `[microsoft] tenant_id`). Sign-in is
    /// single-tenant, so `[microsoft] tenant_id` is the only tenant it may list.
    #[serde(default)]
    pub allowed_tenants: Vec<String>,
}

fn default_openid_metadata_url() -> Url {
    Url::parse("https://login.botframework.com/v1/.well-known/openidconfiguration")
        .expect("a constant URL parses")
}

fn default_service_url() -> Url {
    Url::parse("https://smba.trafficmanager.net/teams/").expect("a constant URL parses")
}

impl TeamsConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.app_id.trim().is_empty() {
            return Err(ConfigError::invalid("teams.app_id", "must not be empty"));
        }
        require_http("teams.openid_metadata_url", &self.openid_metadata_url)?;
        require_http("teams.token_url", &self.token_url)?;
        require_http("teams.service_url", &self.service_url)
    }
}

/// `[slack]`: the Slack app. Absent: no Slack.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    pub signing_secret: SecretString,
    /// The bot token (`xoxb-...`).
    pub bot_token: SecretString,
    /// The Web API base, without a trailing slash.
    #[serde(default = "default_slack_api_url")]
    pub api_url: Url,
    /// The workspace whose events are accepted.
    pub team_id: String,
    /// The app whose events are accepted.
    pub app_id: String,
}

fn default_slack_api_url() -> Url {
    Url::parse("https://slack.com/api").expect("a constant URL parses")
}

impl SlackConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        require_http("slack.api_url", &self.api_url)?;
        if self.team_id.trim().is_empty() {
            return Err(ConfigError::invalid("slack.team_id", "must not be empty"));
        }
        if self.app_id.trim().is_empty() {
            return Err(ConfigError::invalid("slack.app_id", "must not be empty"));
        }
        Ok(())
    }
}
