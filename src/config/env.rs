//! `DOORMAN__SECTION__KEY=value` overrides, applied to the parsed TOML table before it is typed.
//!
//! Values are strings, except that a value starting with `[` is read as a TOML array
//! (`DOORMAN__TEAMS__ALLOWED_TENANTS='["t1","t2"]'`), which is the only non-string shape a
//! config key takes.

use super::{ConfigError, ENV_PREFIX};

pub(super) fn apply_overrides(
    table: &mut toml::Table,
    environment: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let mut overrides: Vec<(String, String)> = environment
        .into_iter()
        .filter(|(name, _)| name.starts_with(ENV_PREFIX))
        .collect();
    // Sorted so that the result never depends on the order the environment happens to have.
    overrides.sort();
    for (name, value) in overrides {
        let path = &name[ENV_PREFIX.len()..];
        let Some((section, key)) = path.split_once("__") else {
            return Err(ConfigError::invalid(
                name.clone(),
                "environment overrides take the form DOORMAN__SECTION__KEY",
            ));
        };
        if section.is_empty() || key.is_empty() || key.contains("__") {
            return Err(ConfigError::invalid(
                name.clone(),
                "environment overrides take the form DOORMAN__SECTION__KEY",
            ));
        }
        let section = section.to_ascii_lowercase();
        let key = key.to_ascii_lowercase();
        let entry = table
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(section_table) = entry else {
            return Err(ConfigError::invalid(section, "must be a table"));
        };
        section_table.insert(
            key.clone(),
            parse_value(&value, &format!("{section}.{key}"))?,
        );
    }
    Ok(())
}

fn parse_value(value: &str, key: &str) -> Result<toml::Value, ConfigError> {
    if !value.trim_start().starts_with('[') {
        return Ok(toml::Value::String(value.to_owned()));
    }
    let wrapped = format!("value = {value}");
    let parsed: toml::Table = wrapped.parse().map_err(|_| {
        ConfigError::invalid(
            key,
            "an array override must be written as a TOML array, like [\"a\", \"b\"]",
        )
    })?;
    parsed
        .get("value")
        .cloned()
        .ok_or_else(|| ConfigError::invalid(key, "empty override"))
}
