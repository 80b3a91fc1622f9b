//! `doorman intent --config FILE --as UPN --text "..."`: the intent JSON of DESIGN.md section 7
//! for one message, resolved against the configured tenant's catalog.
//!
//! The catalog is read from Graph with the app-only token (no person need be signed in) and the
//! catalog file applied, exactly as the daemon does; nothing is written and the store is not
//! opened, so the command works beside a running daemon. Slack mentions of colleagues
//! (`<@U0456>`) are named by address through the configured Slack workspace, as the daemon does
//! before it understands a Slack message. Exactly one JSON document goes to standard output;
//! logs and errors go to standard error.

use std::path::Path;

use super::{Outcome, load_config, read_catalog};
use crate::channels::slack::SlackWeb;
use crate::config::LogFormat;
use crate::conversation::name_slack_mentions;
use crate::intent::{Asker, understand};

pub async fn run(config_path: &Path, upn: &str, text: &str) -> Outcome {
    crate::telemetry::init(LogFormat::Text);
    let config = match load_config(config_path) {
        Ok(config) => config,
        Err(outcome) => return outcome,
    };
    let catalog = match read_catalog(&config, "intent").await {
        Ok(catalog) => catalog,
        Err(outcome) => return outcome,
    };
    let named;
    let text = match &config.slack {
        Some(slack) if text.contains("<@") => {
            match SlackWeb::new(slack, &config.security.ca_file) {
                Ok(web) => {
                    named = name_slack_mentions(text, &slack.team_id, web.as_ref()).await;
                    named.as_str()
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot reach slack to name the people mentioned");
                    text
                }
            }
        }
        _ => text,
    };
    let intent = understand(
        text,
        Asker {
            upn,
            now: chrono::Utc::now(),
        },
        &catalog,
    );
    println!("{}", intent.to_json());
    Outcome::Success
}
