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
