//! `<secret>_file` keys: every secret of the config may instead name a file that holds it, so
//! that secrets can come from systemd's `LoadCredential=` (`%d/client_secret`), a Kubernetes
//! Secret mounted as files, or Docker secrets (`/run/secrets/...`), and never sit in the config
//! file or the process environment.
//!
//! Applied to the parsed table after the environment overrides, so
//! `DOORMAN__MICROSOFT__CLIENT_SECRET_FILE=...` works as well as the key in the file. The file's
//! content, without its trailing line break, is the value. Only the secret keys below take a
//! `_file` form; any other `_file` key is left for the typed config to refuse as unknown.

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

/// Replaces each `<secret>_file = "PATH"` with `<secret> = "content of PATH"`.
pub(super) fn read_secret_files(table: &mut toml::Table) -> Result<(), ConfigError> {
    for (section, key) in SECRET_KEYS {
        let Some(toml::Value::Table(section_table)) = table.get_mut(*section) else {
            continue;
        };
        let file_key = format!("{key}_file");
        let Some(path) = section_table.remove(&file_key) else {
            continue;
        };
        let named = format!("{section}.{file_key}");
        if section_table.contains_key(*key) {
            return Err(ConfigError::invalid(
                named,
                format!("give {section}.{key} or {section}.{file_key}, not both"),
            ));
        }
        let toml::Value::String(path) = path else {
            return Err(ConfigError::invalid(named, "must be a file path"));
        };
        let secret = read_secret(Path::new(&path))
            .map_err(|message| ConfigError::invalid(named.clone(), message))?;
        section_table.insert((*key).to_owned(), toml::Value::String(secret));
    }
    Ok(())
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
