//! Policy test cases: a list of requests and the decision each must get, kept beside the policy
//! in an organisation's own repository and run by `doorman policy test`.
//!
//! A case file is JSON (an array of cases, or one case per line) or TOML (`[[case]]` tables):
//!
//! ```toml
//! [[case]]
//! as = "sarah.chen@contoso.com"
//! text = "please add me to VPN Users"
//! expect = { outcome = "allow", stages = ["owner"], duration_days = 30 }
//! ```
//!
//! `expect` holds any keys of `policy explain`'s JSON; only those are compared. A case may also
//! say when it is asked (`at`, RFC 3339) and how many requests came before it in the hour
//! (`recent_requests`), for the runtime layer.

use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

/// One case.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// A label for the report; the text when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// The requester's UPN.
    #[serde(rename = "as")]
    pub requester: String,
    pub text: String,
    /// When the request is made (RFC 3339), for change windows; now when absent.
    #[serde(default)]
    pub at: Option<String>,
    /// Requests the person made in the hour before, for the rate limit.
    #[serde(default)]
    pub recent_requests: u32,
    pub expect: Map<String, Value>,
}

impl Case {
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.text)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlCases {
    case: Vec<Case>,
}

/// Why a case file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CasesError {
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
}

/// Reads a case file: TOML when its name ends in `.toml`, JSON otherwise.
pub fn load(path: &Path) -> Result<Vec<Case>, CasesError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CasesError::Read {
        file: file.clone(),
        source,
    })?;
    let invalid = |message: String| CasesError::Invalid {
        file: file.clone(),
        message,
    };
    let cases = if path
        .extension()
        .is_some_and(|extension| extension == "toml")
    {
        toml::from_str::<TomlCases>(&text)
            .map_err(|error| invalid(error.to_string()))?
            .case
    } else if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<Case>>(&text).map_err(|error| invalid(error.to_string()))?
    } else {
        let mut cases = Vec::new();
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case = serde_json::from_str::<Case>(line)
                .map_err(|error| invalid(format!("line {}: {error}", number + 1)))?;
            cases.push(case);
        }
        cases
    };
    if cases.is_empty() {
        return Err(invalid("holds no cases".into()));
    }
    Ok(cases)
}

/// The keys of `expect` that `got` does not match, each as "key: expected X, got Y".
pub fn mismatches(expect: &Map<String, Value>, got: &Value) -> Vec<String> {
    expect
        .iter()
        .filter(|(key, wanted)| !same(wanted, got.get(key.as_str()).unwrap_or(&Value::Null)))
        .map(|(key, wanted)| {
            let got = got.get(key.as_str()).unwrap_or(&Value::Null);
            format!("{key}: expected {wanted}, got {got}")
        })
        .collect()
}

/// JSON equality where numbers compare by value (`30` equals `30.0`) and an expected object
/// names only the keys that count (`recovery = { case = "locked_out" }`).
fn same(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => left.as_f64() == right.as_f64(),
        (Value::Array(left), Value::Array(right)) => {
            left.len() == right.len() && left.iter().zip(right).all(|(l, r)| same(l, r))
        }
        (Value::Object(left), Value::Object(right)) => left
            .iter()
            .all(|(key, value)| right.get(key).is_some_and(|other| same(value, other))),
        _ => left == right,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value_and_only_expected_keys_count() {
        let expect = json!({"outcome": "allow", "duration_days": 30, "stages": ["owner"]});
        let Value::Object(expect) = expect else {
            panic!("an object")
        };
        let got = json!({"outcome": "allow", "duration_days": 30.0, "stages": ["owner"], "acting": "approver"});
        assert!(mismatches(&expect, &got).is_empty());
        let got = json!({"outcome": "allow", "duration_days": 14, "stages": []});
        let missed = mismatches(&expect, &got);
        assert_eq!(missed.len(), 2, "{missed:?}");
        assert!(
            missed[0].starts_with("duration_days: expected 30, got 14"),
            "{missed:?}"
        );
    }

    #[test]
    fn case_files_are_read_as_json_lines_json_or_toml() {
        let folder = tempfile::tempdir().expect("temp dir");
        let lines = folder.path().join("cases.jsonl");
        std::fs::write(
            &lines,
            "{\"as\": \"a@contoso.com\", \"text\": \"join x\", \"expect\": {\"outcome\": \"deny\"}}\n\n",
        )
        .expect("write");
        assert_eq!(load(&lines).expect("cases").len(), 1);
        let toml_file = folder.path().join("cases.toml");
        std::fs::write(
            &toml_file,
            "[[case]]\nname = \"vpn\"\nas = \"a@contoso.com\"\ntext = \"join x\"\nexpect = { outcome = \"allow\", stages = [\"owner\"] }\n",
        )
        .expect("write");
        let cases = load(&toml_file).expect("cases");
        assert_eq!(cases[0].label(), "vpn");
        assert_eq!(cases[0].expect["stages"], json!(["owner"]));
        let broken = folder.path().join("broken.jsonl");
        std::fs::write(&broken, "{\"as\": \"a@contoso.com\"}\n").expect("write");
        let error = load(&broken).expect_err("refused").to_string();
        assert!(error.contains("line 1"), "{error}");
    }
}
