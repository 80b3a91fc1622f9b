//! `<secret>_file` keys: every secret of the config may instead name a file that holds it, so
//! that secrets can come from systemd's `LoadCredential=` (`%d/client_secret`), a Kubernetes
//! Secret mounted as files, or Docker secrets (`/run/secrets/...`), and never sit in the config
//! file or the process environment.
//!
//! Applied to the parsed table after the environment overrides, so
//! `DOORMAN__MICROSOFT__CLIENT_SECRET_FILE=...` works as well as the key in the file. The file's
//! content, without its trailing line break, is the value. Only the secret keys below take a
//! `_file` form (a list of paths for a list of secrets); any other `_file` key is left for the
//! typed config to refuse as unknown.

use std::path::Path;

use super::ConfigError;

/// The keys that hold secrets, by section.
const SECRET_KEYS: &[(&str, &str)] = &[
    ("microsoft", "client_secret"),
    ("teams", "app_password"),
    ("slack", "signing_secret"),
    ("slack", "bot_token"),
    ("security", "token_key"),
    ("security", "audit_key"),
];

/// The keys that hold lists of secrets, by section: their `_file` form is a list of paths, one
/// secret per file (`previous_token_keys_file = ["/run/secrets/token_key_2025"]`).
const SECRET_LIST_KEYS: &[(&str, &str)] = &[("security", "previous_token_keys")];

/// Replaces each `<secret>_file = "PATH"` with `<secret> = "content of PATH"`, and each
/// `<secrets>_file = ["PATH", ...]` with `<secrets> = ["content of PATH", ...]`.
pub(super) fn read_secret_files(table: &mut toml::Table) -> Result<(), ConfigError> {
    for (section, key) in SECRET_KEYS {
        let Some((path, named)) = take_file_key(table, section, key)? else {
            continue;
        };
        let toml::Value::String(path) = path else {
            return Err(ConfigError::invalid(named, "must be a file path"));
        };
        let secret = read_secret(Path::new(&path))
            .map_err(|message| ConfigError::invalid(named.clone(), message))?;
        insert(table, section, key, toml::Value::String(secret));
    }
    for (section, key) in SECRET_LIST_KEYS {
        let Some((paths, named)) = take_file_key(table, section, key)? else {
            continue;
        };
        let toml::Value::Array(paths) = paths else {
            return Err(ConfigError::invalid(
                named,
                "must be a list of file paths, one secret per file",
            ));
        };
        let mut secrets = Vec::with_capacity(paths.len());
        for (index, path) in paths.iter().enumerate() {
            let named = format!("{named}[{index}]");
            let Some(path) = path.as_str() else {
                return Err(ConfigError::invalid(named, "must be a file path"));
            };
            let secret = read_secret(Path::new(path))
                .map_err(|message| ConfigError::invalid(named.clone(), message))?;
            secrets.push(toml::Value::String(secret));
        }
        insert(table, section, key, toml::Value::Array(secrets));
    }
    Ok(())
}

/// Removes `<key>_file` from `section` and returns its value with its full name, refusing it
/// beside `<key>` itself.
fn take_file_key(
    table: &mut toml::Table,
    section: &str,
    key: &str,
) -> Result<Option<(toml::Value, String)>, ConfigError> {
    let Some(toml::Value::Table(section_table)) = table.get_mut(section) else {
        return Ok(None);
    };
    let file_key = format!("{key}_file");
    let Some(value) = section_table.remove(&file_key) else {
        return Ok(None);
    };
    let named = format!("{section}.{file_key}");
    if section_table.contains_key(key) {
        return Err(ConfigError::invalid(
            named,
            format!("give {section}.{key} or {section}.{file_key}, not both"),
        ));
    }
    Ok(Some((value, named)))
}

/// Sets `section.key`, in a section [`take_file_key`] found.
fn insert(table: &mut toml::Table, section: &str, key: &str, value: toml::Value) {
    if let Some(toml::Value::Table(section_table)) = table.get_mut(section) {
        section_table.insert(key.to_owned(), value);
    }
}

/// The secret in `path`: its content without the line break editors and `echo` leave at the
/// end. The error names the file, never its content.
fn read_secret(path: &Path) -> Result<String, String> {
    let content = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let secret = content.trim_end_matches(['\r', '\n']);
    if secret.trim().is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(secret.to_owned())
}
