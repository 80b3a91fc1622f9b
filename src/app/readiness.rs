//! What `/readyz` reports: one named check per precondition of serving.

use serde::Serialize;

use crate::config::Config;

/// One precondition and whether it holds.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// The daemon is ready when every check holds.
#[derive(Debug, Serialize)]
pub struct Readiness {
    checks: Vec<Check>,
}

impl Readiness {
    /// Checks made once at start: the store is open by the time this runs, and the config was
    /// typed and validated by loading it. Until the policy engine exists, a configured policy
    /// file must at least be valid TOML.
    pub fn evaluate(config: &Config) -> Self {
        let mut checks = vec![
            Check {
                name: "store",
                ok: true,
                detail: format!("open at {}", config.storage.path.display()),
            },
            Check {
                name: "config",
                ok: true,
                detail: "valid".into(),
            },
        ];
        checks.push(match &config.policy.file {
            None => Check {
                name: "policy",
                ok: true,
                detail: "no policy file: every request will be denied".into(),
            },
            Some(path) => match std::fs::read_to_string(path) {
                Err(error) => Check {
                    name: "policy",
                    ok: false,
                    detail: format!("cannot read {}: {error}", path.display()),
                },
                Ok(text) => match text.parse::<toml::Table>() {
                    Ok(_) => Check {
                        name: "policy",
                        ok: true,
                        detail: format!("{} parses", path.display()),
                    },
                    Err(error) => Check {
                        name: "policy",
                        ok: false,
                        detail: format!(
                            "{} is not valid TOML: {}",
                            path.display(),
                            error.message()
                        ),
                    },
                },
            },
        });
        Readiness { checks }
    }

    pub fn is_ready(&self) -> bool {
        self.checks.iter().all(|check| check.ok)
    }

    pub fn checks(&self) -> &[Check] {
        &self.checks
    }
}
