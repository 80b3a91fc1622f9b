//! `doorman serve --config FILE`.

use std::path::Path;

use super::{Outcome, load_config};
use crate::app::{App, AppError};

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
