//! Reading a policy file into typed rules, refusing anything the contract does not name.
//!
//! The file is walked by hand over `toml_edit`'s spanned document rather than deserialised with
//! serde, so that one pass reports *every* problem, each with its line, column and key: an unknown
//! key, a wrong type, an unknown access level or approver kind, a bad duration, a department
//! rule naming a target that does not exist, `acting = "approver"` without an `owner` stage.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use chrono::Weekday;
use toml_edit::{ImDocument, Item, TableLike};

use super::model::{
    Acting, ActionName, ActionRule, ChangeWindow, DepartmentRule, Escalation, Glob, Global, Match,
    Outside, Policy, Runtime, Stage, StageRule, TargetRule, Targets, Tenant, Timing,
    TimingOverride, Verify,
};
use crate::domain::duration::parse_duration;
use crate::domain::resource::{Access, ResourceKind};

mod rules;
mod runtime;
mod stages;
mod values;

/// One problem in a policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based; 0 when the problem is the file as a whole (it cannot be read).
    pub line: usize,
    pub column: usize,
    /// The key at fault, such as `max_access`.
    pub key: String,
    /// Where the key sits: `[[target]] "finance"`, `[global]`.
    pub section: String,
    pub message: String,
}

/// Why a policy file was refused: every problem found, in file order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct PolicyFileError {
    /// The file as the caller named it.
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for PolicyFileError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                formatter.write_str("\n")?;
            }
            write!(
                formatter,
                "{}:{}:{}: {}",
                self.file, problem.line, problem.column, problem.key
            )?;
            if !problem.section.is_empty() {
                write!(formatter, " in {}", problem.section)?;
            }
            write!(formatter, ": {}", problem.message)?;
        }
        Ok(())
    }
}

impl Policy {
    /// Reads and checks the policy file at `path`.
    pub fn load(path: &Path) -> Result<Policy, PolicyFileError> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Policy::parse(&text, &file),
            Err(error) => Err(PolicyFileError {
                file,
                problems: vec![Problem {
                    line: 0,
                    column: 0,
                    key: "file".into(),
                    section: String::new(),
                    message: format!("cannot read the policy file: {error}"),
                }],
            }),
        }
    }

    /// Checks `text`; `file` names it in the problems.
    pub fn parse(text: &str, file: &str) -> Result<Policy, PolicyFileError> {
        let mut reader = Reader::new(text);
        let policy = match ImDocument::parse(text) {
            Ok(document) => reader.policy(document.as_table()),
            Err(error) => {
                let (line, column) = reader.position(error.span());
                let message = error.message().trim().to_owned();
                reader.problems.push(Problem {
                    line,
                    column,
                    key: "syntax".into(),
                    section: String::new(),
                    message: format!("not valid TOML: {message}"),
                });
                Policy::default()
            }
        };
        if reader.problems.is_empty() {
            Ok(policy)
        } else {
            reader
                .problems
                .sort_by_key(|problem| (problem.line, problem.column));
            Err(PolicyFileError {
                file: file.to_owned(),
                problems: reader.problems,
            })
        }
    }
}

type Span = Option<Range<usize>>;

const TOP: &[&str] = &[
    "global",
    "tenant",
    "approval",
    "target",
    "department",
    "action",
    "runtime",
];
const GLOBAL: &[&str] = &["max_duration", "require_reason", "privileged_recovery"];
const TENANT: &[&str] = &["tenant_ids", "default_duration", "duration_required_for"];
const TIMING: &[&str] = &[
    "remind_after",
    "escalate_after",
    "escalate_to",
    "expire_after",
];
const TARGET: &[&str] = &[
    "name",
    "match",
    "deny",
    "max_access",
    "approval",
    "max_duration",
    "acting",
    "allow_standing",
    "remind_after",
    "escalate_after",
    "escalate_to",
    "expire_after",
];
const MATCH: &[&str] = &[
    "kind",
    "id",
    "name",
    "classification",
    "mail",
    "visibility",
    "tag",
];
const DEPARTMENT: &[&str] = &[
    "targets",
    "allow",
    "deny",
    "allow_employee_types",
    "deny_employee_types",
];
const ACTION: &[&str] = &[
    "action",
    "access",
    "deny",
    "approval",
    "max_duration",
    "max_access",
    "verify",
    "remind_after",
    "escalate_after",
    "escalate_to",
    "expire_after",
];
const RUNTIME: &[&str] = &["max_requests_per_hour", "change_window"];
const WINDOW: &[&str] = &["days", "hours", "tz", "outside"];
const STAGE_ENTRY: &[&str] = &["stage", "quorum"];

/// A walk over one document, collecting problems as it goes.
struct Reader {
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    text_len: usize,
    problems: Vec<Problem>,
}

/// Where a table sits, for problems: `[[target]] "vpn"`.
type Section<'a> = &'a str;

impl Reader {
    fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, byte)| *byte == b'\n')
                .map(|(at, _)| at + 1),
        );
        Reader {
            line_starts,
            text_len: text.len(),
            problems: Vec::new(),
        }
    }

    /// 1-based line and column of a span's start.
    fn position(&self, span: Span) -> (usize, usize) {
        let Some(span) = span else {
            return (0, 0);
        };
        let at = span.start.min(self.text_len);
        let line = self.line_starts.partition_point(|start| *start <= at);
        let start = self
            .line_starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(0);
        (line, at - start + 1)
    }

    fn problem(&mut self, span: Span, key: &str, section: Section<'_>, message: String) {
        let (line, column) = self.position(span);
        self.problems.push(Problem {
            line,
            column,
            key: key.to_owned(),
            section: section.to_owned(),
            message,
        });
    }

    fn policy(&mut self, root: &toml_edit::Table) -> Policy {
        self.unknown_keys(root, "", TOP, "section");
        let mut policy = Policy::default();
        if let Some(table) = self.section(root, "global") {
            policy.global = Global {
                max_duration: self.duration(table, "max_duration", "[global]"),
                require_reason: self
                    .boolean(table, "require_reason", "[global]")
                    .unwrap_or(false),
                privileged_recovery: self.stages(table, "privileged_recovery", "[global]"),
            };
            self.unknown_keys(table, "[global]", GLOBAL, "key");
        }
        if let Some(table) = self.section(root, "tenant") {
            policy.tenant = Tenant {
                tenant_ids: self
                    .strings(table, "tenant_ids", "[tenant]")
                    .into_iter()
                    .flatten()
                    .map(|(id, _)| id)
                    .collect(),
                default_duration: self.duration(table, "default_duration", "[tenant]"),
                duration_required_for: self
                    .levels(table, "duration_required_for", "[tenant]")
                    .unwrap_or_default(),
            };
            self.unknown_keys(table, "[tenant]", TENANT, "key");
        }
        if let Some(table) = self.section(root, "approval") {
            let overrides = self.timing(table, "[approval]");
            policy.approval = overrides.over(&Timing::default());
            self.unknown_keys(table, "[approval]", TIMING, "key");
        }
        let mut names: HashMap<String, usize> = HashMap::new();
        for (index, (table, span)) in self.array_of_tables(root, "target").into_iter().enumerate() {
            if let Some(rule) = self.target(table, span, index) {
                let unique = policy.targets.len();
                if let std::collections::hash_map::Entry::Vacant(entry) =
                    names.entry(rule.name.to_lowercase())
                {
                    entry.insert(unique);
                } else {
                    let span = table.get("name").and_then(Item::span);
                    self.problem(
                        span,
                        "name",
                        &format!("[[target]] \"{}\"", rule.name),
                        "another [[target]] already has this name; names must be unique so \
                         [[department]] rules can refer to them"
                            .into(),
                    );
                }
                policy.targets.push(rule);
            }
        }
        for (table, span) in self.array_of_tables(root, "department") {
            if let Some(rule) = self.department(table, span, &names) {
                policy.departments.push(rule);
            }
        }
        for (table, span) in self.array_of_tables(root, "action") {
            if let Some(rule) = self.action(table, span) {
                policy.actions.push(rule);
            }
        }
        if let Some(table) = self.section(root, "runtime") {
            policy.runtime = self.runtime(table);
        }
        policy
    }

    /// A `[name]` table, or a problem when the key holds something else.
    fn section<'t>(&mut self, root: &'t toml_edit::Table, name: &str) -> Option<&'t dyn TableLike> {
        let item = root.get(name)?;
        match item.as_table_like() {
            Some(table) if !item.is_array_of_tables() => Some(table),
            _ => {
                let span = root
                    .key(name)
                    .and_then(|key| key.span())
                    .or_else(|| item.span());
                self.problem(span, name, "", format!("[{name}] must be a table"));
                None
            }
        }
    }

    /// Every `[[name]]` entry with the span of its header.
    fn array_of_tables<'t>(
        &mut self,
        root: &'t toml_edit::Table,
        name: &str,
    ) -> Vec<(&'t dyn TableLike, Span)> {
        let Some(item) = root.get(name) else {
            return Vec::new();
        };
        if let Some(array) = item.as_array_of_tables() {
            return array
                .iter()
                .map(|table| (table as &dyn TableLike, table.span()))
                .collect();
        }
        if let Some(array) = item.as_array() {
            let mut tables = Vec::new();
            for value in array.iter() {
                match value.as_inline_table() {
                    Some(table) => tables.push((table as &dyn TableLike, table.span())),
                    None => self.problem(
                        value.span(),
                        name,
                        "",
                        format!("each {name} must be a table ([[{name}]])"),
                    ),
                }
            }
            return tables;
        }
        let span = root.key(name).and_then(|key| key.span());
        self.problem(
            span,
            name,
            "",
            format!("{name} must be written as [[{name}]] tables"),
        );
        Vec::new()
    }

    fn unknown_keys(
        &mut self,
        table: &dyn TableLike,
        section: Section<'_>,
        known: &[&str],
        what: &str,
    ) {
        let unknown: Vec<(String, Span)> = table
            .iter()
            .filter(|(key, _)| !known.contains(key))
            .map(|(key, item)| {
                let span = table
                    .key(key)
                    .and_then(|key| key.span())
                    .or_else(|| item.span());
                (key.to_owned(), span)
            })
            .collect();
        for (key, span) in unknown {
            let message = format!("unknown {what}; the known ones are {}", known.join(", "));
            self.problem(span, &key, section, message);
        }
    }
}

fn looks_like_upn(text: &str) -> bool {
    matches!(text.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.'))
}
