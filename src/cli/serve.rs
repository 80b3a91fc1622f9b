//! `doorman serve --config FILE`, and `doorman serve --check-config --config FILE`, which checks
//! what `serve` reads before it starts and starts nothing.

use std::path::Path;

use super::{Outcome, load_config};
use crate::app::{App, AppError};
use crate::catalog::file::CatalogFile;
use crate::config::Config;
use crate::policy::Policy;

pub async fn run(
    config_path: &Path,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Outcome {
    let config = match load_config(config_path) {
        Ok(config) => config,
        Err(outcome) => return outcome,
    };
    crate::telemetry::init(config.server.log_format);
    let app = match App::build(config).await {
        Ok(app) => app,
        Err(error @ AppError::CatalogFile(_)) => {
            eprintln!("doorman: {error}");
            return Outcome::BadConfig;
        }
        Err(error) => {
            tracing::error!(%error, "doorman cannot start");
            eprintln!("doorman: {error}");
            return Outcome::Unavailable;
        }
    };
    match app.run_until(shutdown).await {
        Ok(()) => Outcome::Success,
        Err(error) => {
            eprintln!("doorman: {error}");
            Outcome::Unavailable
        }
    }
}

/// `doorman serve --check-config`: loads the config (environment overrides, secret files and
/// the CA file included), the catalog file and the policy file as `serve` would, and prints
/// what it found. It binds no port, opens no store and calls no service, so it can run before
/// a deployment, in CI, or beside a running daemon.
///
/// Exit statuses follow `serve` and `policy check`: 64 when `serve` would refuse to start (the
/// config or the catalog file), 1 when the policy file is invalid (`serve` would start but stay
/// unready and deny every request), 0 otherwise. A missing catalog file or no policy file is a
/// warning on standard error.
pub fn check_config(config_path: &Path) -> Outcome {
    let config = match load_config(config_path) {
        Ok(config) => config,
        Err(outcome) => return outcome,
    };
    println!("{}: valid", config_path.display());
    println!("{}", listeners(&config));
    println!("{}", channels(&config));
    let catalog = match check_catalog_file(&config) {
        Ok(line) => line,
        Err(outcome) => return outcome,
    };
    println!("{catalog}");
    match check_policy_file(&config) {
        Ok(line) => {
            println!("{line}");
            Outcome::Success
        }
        Err(outcome) => outcome,
    }
}

fn listeners(config: &Config) -> String {
    format!(
        "listens on {} as {}; admin listener on {}; store in {}",
        config.server.listen,
        config.server.public_url,
        config.admin.listen,
        config.storage.path.display()
    )
}

fn channels(config: &Config) -> String {
    let on_or_off = |configured: bool| if configured { "on" } else { "off" };
    format!(
        "teams: {}; slack: {}",
        on_or_off(config.teams.is_some()),
        on_or_off(config.slack.is_some())
    )
}

fn check_catalog_file(config: &Config) -> Result<String, Outcome> {
    let Some(path) = &config.catalog.file else {
        return Ok("catalog file: none configured".to_owned());
    };
    match CatalogFile::load_if_present(path) {
        Ok(Some(file)) => Ok(format!(
            "catalog file {}: valid; {} entries",
            path.display(),
            file.len()
        )),
        Ok(None) => {
            eprintln!(
                "doorman: warning: the catalog file {} does not exist; serve will use what Graph lists, with no aliases, tags or declared resources",
                path.display()
            );
            Ok(format!("catalog file {}: absent", path.display()))
        }
        Err(error) => {
            eprintln!("doorman: {error}");
            Err(Outcome::BadConfig)
        }
    }
}

fn check_policy_file(config: &Config) -> Result<String, Outcome> {
    let Some(path) = &config.policy.file else {
        eprintln!("doorman: warning: no policy file is configured: every request will be denied");
        return Ok("policy file: none configured".to_owned());
    };
    match Policy::load(path) {
        Ok(policy) => Ok(format!(
            "policy file {}: valid; {}",
            path.display(),
            super::policy::summary(&policy)
        )),
        Err(error) => {
            eprintln!("{error}");
            let count = error.problems.len();
            eprintln!(
                "doorman: the policy file {} is invalid ({count} problem{}): serve would start unready and deny every request",
                path.display(),
                if count == 1 { "" } else { "s" }
            );
            Err(Outcome::Failure)
        }
    }
}
