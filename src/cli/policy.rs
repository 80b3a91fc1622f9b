//! `doorman policy check|explain|test`: policy reviewed like code.
//!
//! - `check --policy FILE` validates a file: a one-line summary and exit 0, or every problem
//!   with its line and key and exit 1.
//! - `explain --config FILE --as UPN --text "..."` prints the decision on one message and its
//!   trail as exactly one JSON document on standard output (readable text on standard error),
//!   changing nothing: the catalog and the requester are read with the app-only token.
//! - `test --config FILE --cases FILE` runs a file of expected decisions and prints each
//!   failure and `N passed, N failed`; exit 1 on any failure.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Outcome, load_config, read_catalog};
use crate::app;
use crate::catalog::Catalog;
use crate::config::{Config, LogFormat};
use crate::domain::duration::format_duration;
use crate::intake::Intake;
use crate::intent::Asker;
use crate::policy::Policy;
use crate::policy::cases::{self, Case};

/// `doorman policy check --policy FILE`.
pub fn check(path: &Path) -> Outcome {
    match Policy::load(path) {
        Ok(policy) => {
            println!("{}: valid; {}", path.display(), summary(&policy));
            Outcome::Success
        }
        Err(error) => {
            eprintln!("{error}");
            let count = error.problems.len();
            eprintln!(
                "{}: {count} problem{}",
                path.display(),
                if count == 1 { "" } else { "s" }
            );
            Outcome::Failure
        }
    }
}

pub(super) fn summary(policy: &Policy) -> String {
    let count = |number: usize, what: &str| {
        format!("{number} {what}{}", if number == 1 { "" } else { "s" })
    };
    let denying = policy.targets.iter().filter(|rule| rule.deny).count();
    let mut parts = vec![
        format!(
            "{} ({denying} denying)",
            count(policy.targets.len(), "target rule")
        ),
        count(policy.departments.len(), "department rule"),
        count(policy.actions.len(), "action rule"),
    ];
    if let Some(max) = policy.global.max_duration {
        parts.push(format!("at most {}", format_duration(max)));
    }
    if policy.global.require_reason {
        parts.push("reasons required".into());
    }
    parts.join(", ")
}

/// `doorman policy explain`.
pub async fn explain(
    config_path: &Path,
    policy_path: Option<&Path>,
    upn: &str,
    text: &str,
    at: Option<&str>,
) -> Outcome {
    crate::telemetry::init(LogFormat::Text);
    let now = match moment(at) {
        Ok(now) => now,
        Err(outcome) => return outcome,
    };
    let judge = match Judge::prepare(config_path, policy_path, "policy explain").await {
        Ok(judge) => judge,
        Err(outcome) => return outcome,
    };
    match judge.answer(upn, text, 0, now).await {
        Ok(answer) => {
            eprintln!("{}", readable(&answer));
            println!("{answer}");
            Outcome::Success
        }
        Err(outcome) => outcome,
    }
}

/// `doorman policy test`.
pub async fn test(config_path: &Path, policy_path: Option<&Path>, cases_path: &Path) -> Outcome {
    crate::telemetry::init(LogFormat::Text);
    let cases = match cases::load(cases_path) {
        Ok(cases) => cases,
        Err(error) => {
            eprintln!("doorman policy test: {error}");
            return Outcome::BadConfig;
        }
    };
    let judge = match Judge::prepare(config_path, policy_path, "policy test").await {
        Ok(judge) => judge,
        Err(outcome) => return outcome,
    };
    let (mut passed, mut failed) = (0, 0);
    for case in &cases {
        match run_case(&judge, case).await {
            Ok(misses) if misses.is_empty() => passed += 1,
            Ok(misses) => {
                failed += 1;
                println!("FAIL {} (as {})", case.label(), case.requester);
                for miss in misses {
                    println!("    {miss}");
                }
            }
            Err(outcome) => return outcome,
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        Outcome::Success
    } else {
        Outcome::Failure
    }
}

async fn run_case(judge: &Judge, case: &Case) -> Result<Vec<String>, Outcome> {
    let now = moment(case.at.as_deref())?;
    let answer = judge
        .answer(&case.requester, &case.text, case.recent_requests, now)
        .await?;
    Ok(cases::mismatches(&case.expect, &answer))
}

fn moment(at: Option<&str>) -> Result<DateTime<Utc>, Outcome> {
    match at {
        None => Ok(Utc::now()),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|error| {
                eprintln!(
                    "doorman policy: cannot read the time \"{text}\" (RFC 3339 expected): {error}"
                );
                Outcome::BadConfig
            }),
    }
}

/// The catalog, the policy and the directory, read once for any number of questions.
struct Judge {
    catalog: Catalog,
    intake: Intake,
}

impl Judge {
    async fn prepare(
        config_path: &Path,
        policy_path: Option<&Path>,
        command: &str,
    ) -> Result<Self, Outcome> {
        let config = load_config(config_path)?;
        let policy = load_policy(&config, policy_path, command)?;
        let directory = app::directory(&config).map_err(|error| {
            eprintln!("doorman {command}: {error}");
            Outcome::Unavailable
        })?;
        let catalog = read_catalog(&config, command).await?;
        Ok(Judge {
            catalog,
            intake: Intake::new(policy, Arc::new(directory), &config.microsoft.tenant_id),
        })
    }

    /// The decision's JSON, or what the message was when it asks for nothing policy decides.
    async fn answer(
        &self,
        upn: &str,
        text: &str,
        recent_requests: u32,
        now: DateTime<Utc>,
    ) -> Result<Value, Outcome> {
        let intent = self
            .intake
            .understand(text, Asker { upn, now }, &self.catalog);
        match self
            .intake
            .decide(&self.catalog, upn, None, &intent, recent_requests, now)
            .await
        {
            Ok(Some(decided)) => {
                let mut answer = decided.decision.to_json();
                if let (Some(object), Some(assessment)) =
                    (answer.as_object_mut(), &decided.recovery)
                {
                    object.insert("recovery".to_owned(), assessment.to_json());
                }
                Ok(answer)
            }
            Ok(None) => Ok(json!({
                "outcome": "none",
                "message": "the message asks for nothing policy decides",
                "intent": intent.to_json(),
            })),
            Err(error) => {
                eprintln!("doorman policy: {error}");
                Err(Outcome::Unavailable)
            }
        }
    }
}

/// The configured policy (or `override_path`), `None` when none is configured.
fn load_policy(
    config: &Config,
    override_path: Option<&Path>,
    command: &str,
) -> Result<Option<Arc<Policy>>, Outcome> {
    let Some(path) = override_path.or(config.policy.file.as_deref()) else {
        eprintln!("doorman {command}: no policy file is configured: every request is denied");
        return Ok(None);
    };
    Policy::load(path)
        .map(|policy| Some(Arc::new(policy)))
        .map_err(|error| {
            eprintln!("{error}");
            Outcome::BadConfig
        })
}

/// The decision for a person reading a terminal.
fn readable(answer: &Value) -> String {
    let text = |key: &str| answer.get(key).and_then(Value::as_str).unwrap_or("-");
    let mut lines = vec![match text("outcome") {
        "allow" => {
            let duration = answer
                .get("duration_seconds")
                .and_then(Value::as_u64)
                .map(|seconds| format_duration(std::time::Duration::from_secs(seconds)))
                .unwrap_or_else(|| "no end".into());
            let stages = answer
                .get("stages")
                .and_then(Value::as_array)
                .filter(|stages| !stages.is_empty())
                .map(|stages| {
                    stages
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", then ")
                })
                .unwrap_or_else(|| "none".into());
            let through = match text("service") {
                "exchange" => "Exchange Online",
                _ => "Microsoft Graph",
            };
            let verify = answer
                .get("verify")
                .and_then(Value::as_array)
                .filter(|ways| !ways.is_empty())
                .map(|ways| {
                    let ways: Vec<&str> = ways.iter().filter_map(Value::as_str).collect();
                    format!(", verify: {}", ways.join(" or else "))
                })
                .unwrap_or_default();
            format!(
                "allow: {} (asked {}), {duration}, approval: {stages}{verify}, acting: {} through {through}, rule: {}",
                text("access"),
                text("requested_access"),
                text("acting"),
                text("target")
            )
        }
        "deny" => format!("deny at {}: {}", text("layer"), text("message")),
        other => format!("{other}: {}", text("message")),
    }];
    for step in answer
        .get("trail")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        lines.push(format!(
            "  {:<10} {:<8} {}",
            step.get("layer").and_then(Value::as_str).unwrap_or("-"),
            step.get("verdict").and_then(Value::as_str).unwrap_or("-"),
            step.get("note").and_then(Value::as_str).unwrap_or("")
        ));
    }
    lines.join("\n")
}
