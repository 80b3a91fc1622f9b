//! One typed [`Config`], loaded from a TOML file and then overridden by `DOORMAN__SECTION__KEY`
//! environment variables (DESIGN.md section 7). Each secret may instead be read from a file
//! named by its `_file` key (`client_secret_file`), for systemd credentials and mounted secrets.
//!
//! Everything is parsed into domain types here, at the edge, so the rest of the daemon never
//! sees an unchecked string: addresses are `SocketAddr`s, URLs are `Url`s, keys are 32 bytes,
//! durations are `Duration`s. Every error names the key it is about. Secrets are wrapped so that
//! `Debug` prints `[REDACTED]`. This is the only module that reads the environment, and it does
//! so through an iterator the caller passes in, so tests never mutate the process environment.

mod env;
mod key;
mod secret_files;
mod sections;
mod trust;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use key::{AuditPublicKey, SecretKey};
pub use sections::{
    AdminConfig, CatalogConfig, IdentityConfig, LifecycleConfig, LogFormat, MicrosoftConfig,
    PolicyConfig, ProvisionConfig, SecurityConfig, ServerConfig, SlackConfig, StorageConfig,
    TeamsConfig,
};
pub use trust::TrustedRoots;

/// `[exchange]`: Exchange Online's admin API (DESIGN.md section 10), read as the client takes it.
pub use crate::exchange::ExchangeSettings as ExchangeConfig;

/// The prefix of environment overrides: `DOORMAN__SERVER__LISTEN=127.0.0.1:8080`.
pub const ENV_PREFIX: &str = "DOORMAN__";

/// The whole configuration of one Doorman daemon.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub microsoft: MicrosoftConfig,
    /// Absent when the deployment does not use Teams.
    #[serde(default)]
    pub teams: Option<TeamsConfig>,
    /// Absent when the deployment does not use Slack.
    #[serde(default)]
    pub slack: Option<SlackConfig>,
    #[serde(default)]
    pub policy: PolicyConfig,
    #[serde(default)]
    pub catalog: CatalogConfig,
    pub security: SecurityConfig,
    #[serde(default)]
    pub admin: AdminConfig,
    #[serde(default)]
    pub lifecycle: LifecycleConfig,
    #[serde(default)]
    pub provision: ProvisionConfig,
    #[serde(default)]
    pub exchange: ExchangeConfig,
    #[serde(default)]
    pub identity: IdentityConfig,
}

/// Why a configuration was refused. The message is one line that names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("invalid config: {key}: {message}")]
    Invalid { key: String, message: String },
}

impl ConfigError {
    pub(crate) fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl Config {
    /// Reads `path`, applies the `DOORMAN__SECTION__KEY` overrides found in `environment`
    /// (pass `std::env::vars()` in production) and checks every key.
    pub fn load(
        path: &Path,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, environment).map_err(|error| match error {
            ConfigError::Syntax { message, .. } => ConfigError::Syntax {
                path: path.to_owned(),
                message,
            },
            other => other,
        })
    }

    /// Like [`Config::load`], from TOML text.
    pub fn from_toml(
        text: &str,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table: toml::Table =
            text.parse()
                .map_err(|error: toml::de::Error| ConfigError::Syntax {
                    path: PathBuf::new(),
                    message: one_line(error.message()),
                })?;
        env::apply_overrides(&mut table, environment)?;
        secret_files::read_secret_files(&mut table)?;
        let config: Config =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|error| {
                let path = error.path().to_string();
                describe_type_error(path, &error.into_inner().to_string())
            })?;
        config.validate()?;
        Ok(config)
    }

    /// The tenants whose Teams activities are accepted: `[teams] allowed_tenants`, or the
    /// deployment's own tenant when the list is empty.
    pub fn teams_allowed_tenants(&self) -> Vec<String> {
        match &self.teams {
            Some(teams) if !teams.allowed_tenants.is_empty() => teams.allowed_tenants.clone(),
            _ => vec![self.microsoft.tenant_id.clone()],
        }
    }

    /// Checks that hold between keys or go beyond a key's type.
    fn validate(&self) -> Result<(), ConfigError> {
        self.server.validate()?;
        self.microsoft.validate()?;
        if let Some(teams) = &self.teams {
            teams.validate()?;
            // Sign-in is single-tenant: a Teams user of another tenant could talk to Doorman
            // but never sign in, so accepting their activities would only strand them.
            let foreign = teams
                .allowed_tenants
                .iter()
                .find(|tenant| !tenant.eq_ignore_ascii_case(&self.microsoft.tenant_id));
            if let Some(foreign) = foreign {
                return Err(ConfigError::invalid(
                    "teams.allowed_tenants",
                    format!(
                        "{foreign} is not microsoft.tenant_id; sign-in is single-tenant, so only that tenant may be listed"
                    ),
                ));
            }
        }
        if let Some(slack) = &self.slack {
            slack.validate()?;
        }
        self.catalog.validate()?;
        self.admin.validate()?;
        self.identity.validate()?;
        self.exchange
            .check()
            .map_err(|message| ConfigError::invalid("exchange", message))?;
        Ok(())
    }
}

/// Turns a deserializer's message into `key: what is wrong`, naming a missing key in full.
fn describe_type_error(path: String, message: &str) -> ConfigError {
    let message = one_line(message);
    // The TOML deserializer appends " in `key`", which the key prefix already says.
    let message = match message.rfind(" in `") {
        Some(at) if message.ends_with('`') => message[..at].to_owned(),
        _ => message,
    };
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        let key = if path == "." || path.is_empty() {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        };
        return ConfigError::invalid(key, "is required");
    }
    ConfigError::invalid(path, message)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
