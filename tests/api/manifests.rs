//! The app manifests Doorman ships (`bot-manifests/`) fit the vendors' official schemas and point
//! at routes Doorman really serves.

use std::path::Path;

use serde_json::Value;

use crate::helpers::shared_dir;

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    // Microsoft's schema file starts with a byte-order mark.
    serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn schema(name: &str) -> Value {
    read_json(&shared_dir().join("reference/schemas").join(name))
}

fn manifest(path: &str) -> Value {
    read_json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("bot-manifests")
            .join(path),
    )
}

fn problems(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

#[test]
fn the_teams_manifest_fits_the_v1_30_schema_and_ships_its_icons() {
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema("teams-manifest-1.30.schema.json"))
        .expect("the Teams schema compiles");
    let manifest = manifest("teams/manifest.json");
    let errors = problems(&validator, &manifest);
    assert!(errors.is_empty(), "{errors:#?}");
    for icon in ["color", "outline"] {
        let file = manifest["icons"][icon].as_str().expect("icon path");
        let bytes = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("bot-manifests/teams")
                .join(file),
        )
        .expect("icon file");
        assert!(bytes.starts_with(b"\x89PNG"), "{file} is a PNG");
        let (width, height) = (
            u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]),
            u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]),
        );
        let expected = if icon == "color" { 192 } else { 32 };
        assert_eq!((width, height), (expected, expected), "{file}");
    }
    assert_eq!(
        manifest["bots"][0]["botId"], manifest["id"],
        "the app and the bot share one registration"
    );
}

#[test]
fn the_slack_manifest_fits_its_schema_and_points_at_doormans_routes() {
    let validator = jsonschema::options()
        .build(&schema("slack-manifest-1.0.0.schema.json"))
        .expect("the Slack schema compiles");
    let manifest = manifest("slack/manifest.json");
    let errors = problems(&validator, &manifest);
    assert!(errors.is_empty(), "{errors:#?}");
    let events = manifest["settings"]["event_subscriptions"]["request_url"]
        .as_str()
        .unwrap_or_default();
    let interactions = manifest["settings"]["interactivity"]["request_url"]
        .as_str()
        .unwrap_or_default();
    assert!(events.ends_with("/slack/events"), "{events}");
    assert!(
        interactions.ends_with("/slack/interactions"),
        "{interactions}"
    );
    let scopes: Vec<&str> = manifest["oauth_config"]["scopes"]["bot"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for needed in [
        "chat:write",
        "im:history",
        "im:write",
        "users:read",
        "users:read.email",
        "app_mentions:read",
    ] {
        assert!(scopes.contains(&needed), "the bot needs {needed}");
    }
}

/// Runs `doorman teams-package` on `config`; its exit status, stdout and stderr.
fn teams_package(config: &Path, out: &Path) -> (Option<i32>, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_doorman"))
        .args(["teams-package", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .output()
        .expect("doorman runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_teams_package_carries_this_deployments_ids_and_host_and_fits_the_schema() {
    let sim = crate::helpers::TestSim::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = sim.write_config(dir.path()).await;
    let config: toml::Table = std::fs::read_to_string(&config_path)
        .expect("config")
        .parse()
        .expect("TOML");
    let app_id = config["teams"]["app_id"]
        .as_str()
        .expect("app id")
        .to_owned();
    let client_id = config["microsoft"]["client_id"]
        .as_str()
        .expect("client id");
    let public_url =
        url::Url::parse(config["server"]["public_url"].as_str().expect("url")).expect("public url");
    let host = public_url.host_str().expect("host");

    let out = dir.path().join("doorman-teams.zip");
    let (status, stdout, stderr) = teams_package(&config_path, &out);
    assert_eq!(status, Some(0), "{stdout}{stderr}");
    let mut package =
        zip::ZipArchive::new(std::fs::File::open(&out).expect("zip written")).expect("a zip");
    let mut names: Vec<String> = package.file_names().map(str::to_owned).collect();
    names.sort();
    assert_eq!(names, ["color.png", "manifest.json", "outline.png"]);
    let manifest: Value = {
        let file = package.by_name("manifest.json").expect("manifest");
        serde_json::from_reader(file).expect("manifest JSON")
    };
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema("teams-manifest-1.30.schema.json"))
        .expect("the Teams schema compiles");
    let errors = problems(&validator, &manifest);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(manifest["id"], app_id.to_lowercase());
    assert_eq!(manifest["bots"][0]["botId"], app_id.to_lowercase());
    assert_eq!(manifest["validDomains"], serde_json::json!([host]));
    assert_eq!(
        manifest["webApplicationInfo"]["id"],
        client_id.to_lowercase()
    );
    assert_eq!(
        manifest["webApplicationInfo"]["resource"],
        format!("api://{host}/{}", client_id.to_lowercase())
    );
    for icon in ["color.png", "outline.png"] {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut package.by_name(icon).expect("icon"), &mut bytes)
            .expect("icon read");
        let shipped = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("bot-manifests/teams")
                .join(icon),
        )
        .expect("shipped icon");
        assert_eq!(bytes, shipped, "{icon} is the shipped icon");
    }
}

#[tokio::test]
async fn no_teams_package_is_made_without_a_teams_bot_or_with_an_app_id_teams_would_refuse() {
    let sim = crate::helpers::TestSim::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = sim.write_config(dir.path()).await;
    let text = std::fs::read_to_string(&config_path).expect("config");
    let mut table: toml::Table = text.parse().expect("TOML");
    let out = dir.path().join("package.zip");

    let mut not_a_guid = table.clone();
    not_a_guid["teams"]["app_id"] = toml::Value::String("doorman-bot".to_owned());
    std::fs::write(&config_path, toml::to_string(&not_a_guid).expect("TOML")).expect("written");
    let (status, _, stderr) = teams_package(&config_path, &out);
    assert_eq!(status, Some(64), "{stderr}");
    assert!(stderr.contains("[teams] app_id must be a GUID"), "{stderr}");

    table.remove("teams");
    std::fs::write(&config_path, toml::to_string(&table).expect("TOML")).expect("written");
    let (status, _, stderr) = teams_package(&config_path, &out);
    assert_eq!(status, Some(64), "{stderr}");
    assert!(stderr.contains("no [teams] section"), "{stderr}");
    assert!(!out.exists(), "no package is left behind");
}
