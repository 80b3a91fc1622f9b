//! `doorman teams-package --config FILE [--out FILE]`: the Teams app package an administrator
//! uploads — `manifest.json` with this deployment's bot id, host and app registration filled
//! in, and both icons — as one zip, ready for the Teams admin center.
//!
//! The manifest's shape comes from `bot-manifests/teams/manifest.json` (checked against
//! Microsoft's schema by the tests); this command only puts the deployment's own values in it:
//! - `id` and `bots[0].botId`: `[teams] app_id`, the bot's Microsoft App ID;
//! - `validDomains`: the host of `[server] public_url`, where the sign-in pages are;
//! - `webApplicationInfo`: `[microsoft] client_id` and `api://{host}/{client_id}`, so Teams can
//!   single-sign-on where the registration exposes that API (the sign-in link stays the
//!   fallback).

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

use super::{Outcome, load_config};
use crate::config::Config;

const MANIFEST: &str = include_str!("../../bot-manifests/teams/manifest.json");
const COLOR_ICON: &[u8] = include_bytes!("../../bot-manifests/teams/color.png");
const OUTLINE_ICON: &[u8] = include_bytes!("../../bot-manifests/teams/outline.png");

/// Why no package could be made.
#[derive(Debug, thiserror::Error)]
enum PackageError {
    #[error("the config has no [teams] section: there is no bot to package")]
    NoTeams,
    #[error("{key} must be a GUID (the Teams manifest requires one), not {value:?}")]
    NotGuid { key: &'static str, value: String },
    #[error("[server] public_url has no host")]
    NoHost,
    #[error("the manifest template is invalid: {0}")]
    Template(#[from] serde_json::Error),
    #[error("cannot write the package: {0}")]
    Write(#[from] std::io::Error),
    #[error("cannot write the package: {0}")]
    Zip(#[from] zip::result::ZipError),
}

pub fn run(config_path: &Path, out: &Path) -> Outcome {
    let config = match load_config(config_path) {
        Ok(config) => config,
        Err(outcome) => return outcome,
    };
    let manifest = match manifest_for(&config) {
        Ok(manifest) => manifest,
        Err(error) => {
            eprintln!("doorman teams-package: {error}");
            return Outcome::BadConfig;
        }
    };
    match write_package(&manifest, out) {
        Ok(()) => {
            println!(
                "{}: manifest for bot {} at {}, with both icons; upload it in the Teams admin center",
                out.display(),
                manifest["id"].as_str().unwrap_or_default(),
                manifest["validDomains"][0].as_str().unwrap_or_default(),
            );
            Outcome::Success
        }
        Err(error) => {
            eprintln!("doorman teams-package: {}: {error}", out.display());
            Outcome::Unavailable
        }
    }
}

/// The template with this deployment's ids and host.
fn manifest_for(config: &Config) -> Result<Value, PackageError> {
    let teams = config.teams.as_ref().ok_or(PackageError::NoTeams)?;
    let app_id = guid("[teams] app_id", &teams.app_id)?;
    let client_id = guid("[microsoft] client_id", &config.microsoft.client_id)?;
    let host = config
        .server
        .public_url
        .host_str()
        .ok_or(PackageError::NoHost)?
        .to_owned();
    let mut manifest: Value = serde_json::from_str(MANIFEST.trim_start_matches('\u{feff}'))?;
    manifest["id"] = json!(app_id);
    if let Some(bot) = manifest["bots"].get_mut(0) {
        bot["botId"] = json!(app_id);
    }
    manifest["validDomains"] = json!([host]);
    manifest["webApplicationInfo"] = json!({
        "id": client_id,
        "resource": format!("api://{host}/{client_id}"),
    });
    Ok(manifest)
}

/// `value` as the lowercase GUID the manifest's pattern admits.
fn guid(key: &'static str, value: &str) -> Result<String, PackageError> {
    uuid::Uuid::parse_str(value)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| PackageError::NotGuid {
            key,
            value: value.to_owned(),
        })
}

/// The zip Teams takes: the three files at its root.
fn write_package(manifest: &Value, out: &Path) -> Result<(), PackageError> {
    let file = std::fs::File::create(out)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default();
    let files: [(&str, &[u8]); 3] = [
        ("manifest.json", &serde_json::to_vec_pretty(manifest)?),
        ("color.png", COLOR_ICON),
        ("outline.png", OUTLINE_ICON),
    ];
    for (name, bytes) in files {
        zip.start_file(name, options)?;
        zip.write_all(bytes)?;
    }
    zip.finish()?;
    Ok(())
}
