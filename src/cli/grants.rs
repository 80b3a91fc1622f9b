//! `doorman grants list --config FILE`: the grants Doorman made and holds as active, and
//! `doorman grants revoke --config FILE ID`: one ended now. Both go through the running
//! daemon's admin listener when one holds the store, otherwise to the store itself (a grant
//! revoked then is marked for removal, which the daemon carries out when it starts).

use std::path::Path;
use std::sync::Arc;

use super::{Outcome, load_config};
use crate::admin::{AdminClient, AdminError};
use crate::config::LogFormat;
use crate::requests::{RequestRecord, active_grants, mark_revoking};
use crate::store::{SledStore, Store};

pub async fn list(config_path: &Path, json: bool) -> Outcome {
    crate::telemetry::init(LogFormat::Text);
    let config = match load_config(config_path) {
        Ok(config) => config,
        Err(outcome) => return outcome,
    };
    let through_daemon = match AdminClient::discover(&config.storage.path) {
        Ok(Some(client)) => match client.grants().await {
            Err(AdminError::Unreachable(_)) => None,
            answer => Some(answer.map_err(|error| error.to_string())),
        },
        Ok(None) => None,
        Err(error) => Some(Err(error.to_string())),
    };
    let grants = match through_daemon {
        Some(answer) => answer,
        None => SledStore::open(&config.storage.path)
            .map_err(|error| error.to_string())
            .and_then(|store| {
                let store: Arc<dyn Store> = Arc::new(store);
                active_grants(store.as_ref()).map_err(|error| error.to_string())
            }),
    };
    match grants {
        Ok(grants) => {
            for grant in &grants {
                if json {
                    println!(
                        "{}",
                        serde_json::to_string(&summary(grant)).unwrap_or_default()
                    );
                } else {
                    println!("{}", line(grant));
                }
            }
            if !json {
                eprintln!(
                    "{} active grant{}",
                    grants.len(),
                    if grants.len() == 1 { "" } else { "s" }
                );
            }
            Outcome::Success
        }
        Err(message) => {
            eprintln!("doorman grants list: {message}");
            Outcome::Unavailable
        }
    }
}

fn summary(grant: &RequestRecord) -> serde_json::Value {
    serde_json::json!({
        "request": grant.id,
        "requester": grant.requester.upn,
        "resource": grant.resource,
        "access": grant.access,
        "ends_at": grant.ends_at,
        "made_by": grant.made_by,
        "approved_by": grant.stages.iter().filter_map(|stage| stage.decided_by.clone()).collect::<Vec<_>>(),
    })
}

fn line(grant: &RequestRecord) -> String {
    let until = grant
        .ends_at
        .map(|end| end.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "no end".to_owned());
    format!(
        "{}  {}  {} on {} ({})  until {until}  made by {}",
        grant.id,
        grant.requester.upn,
        grant.access,
        grant.resource.name,
        grant.resource.kind,
        grant.made_by.as_deref().unwrap_or("-")
    )
}

pub async fn revoke(config_path: &Path, request: &str) -> Outcome {
    crate::telemetry::init(LogFormat::Text);
    let config = match load_config(config_path) {
        Ok(config) => config,
        Err(outcome) => return outcome,
    };
    let id = request.trim().to_uppercase();
    let through_daemon = match AdminClient::discover(&config.storage.path) {
        Ok(Some(client)) => match client.revoke(&id).await {
            Err(AdminError::Unreachable(_)) => None,
            Err(AdminError::Refused { status, message }) if status == 404 || status == 409 => {
                eprintln!("doorman grants revoke: {message}");
                return Outcome::Failure;
            }
            answer => Some(answer.map_err(|error| error.to_string())),
        },
        Ok(None) => None,
        Err(error) => Some(Err(error.to_string())),
    };
    let (record, now) = match through_daemon {
        Some(Ok(record)) => (record, true),
        Some(Err(message)) => {
            eprintln!("doorman grants revoke: {message}");
            return Outcome::Unavailable;
        }
        None => {
            let store = match SledStore::open(&config.storage.path) {
                Ok(store) => store,
                Err(error) => {
                    eprintln!("doorman grants revoke: {error}");
                    return Outcome::Unavailable;
                }
            };
            match mark_revoking(&store, &id) {
                Ok(record) => (record, false),
                Err(refused) => {
                    eprintln!("doorman grants revoke: {}", refused.sentence(&id));
                    return Outcome::Failure;
                }
            }
        }
    };
    if now {
        println!(
            "{}: removing now; its requester is told when it is gone",
            line(&record)
        );
    } else {
        println!(
            "{}: marked for removal; the daemon removes it when it starts",
            line(&record)
        );
    }
    Outcome::Success
}
