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
use std::time::Duration;

use chrono::Weekday;
use toml_edit::{ImDocument, Item, TableLike, Value};

use super::model::{
    Acting, ActionName, ActionRule, ChangeWindow, DepartmentRule, Escalation, Glob, Global, Match,
    Outside, Policy, Runtime, Stage, StageRule, TargetRule, Targets, Tenant, Timing,
    TimingOverride,
};
use crate::domain::duration::parse_duration;
use crate::domain::resource::{Access, ResourceKind};

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
const GLOBAL: &[&str] = &["max_duration", "require_reason"];
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

    /// The value at `key` with its span, or a problem when it is not a plain value.
    fn value<'t>(
        &mut self,
        table: &'t dyn TableLike,
        key: &str,
        section: Section<'_>,
    ) -> Option<&'t Value> {
        let item = table.get(key)?;
        match item.as_value() {
            Some(value) => Some(value),
            None => {
                let span = table.key(key).and_then(|key| key.span());
                self.problem(span, key, section, "must be a value, not a table".into());
                None
            }
        }
    }

    fn string(
        &mut self,
        table: &dyn TableLike,
        key: &str,
        section: Section<'_>,
    ) -> Option<(String, Span)> {
        let value = self.value(table, key, section)?;
        match value.as_str() {
            Some(text) => Some((text.to_owned(), value.span())),
            None => {
                self.problem(
                    value.span(),
                    key,
                    section,
                    format!("must be a string, not {}", value.type_name()),
                );
                None
            }
        }
    }

    fn boolean(&mut self, table: &dyn TableLike, key: &str, section: Section<'_>) -> Option<bool> {
        let value = self.value(table, key, section)?;
        match value.as_bool() {
            Some(flag) => Some(flag),
            None => {
                self.problem(
                    value.span(),
                    key,
                    section,
                    format!("must be true or false, not {}", value.type_name()),
                );
                None
            }
        }
    }

    fn strings(
        &mut self,
        table: &dyn TableLike,
        key: &str,
        section: Section<'_>,
    ) -> Option<Vec<(String, Span)>> {
        let value = self.value(table, key, section)?;
        let Some(array) = value.as_array() else {
            self.problem(
                value.span(),
                key,
                section,
                format!("must be a list of strings, not {}", value.type_name()),
            );
            return None;
        };
        let mut out = Vec::new();
        for element in array.iter() {
            match element.as_str() {
                Some(text) => out.push((text.to_owned(), element.span())),
                None => self.problem(
                    element.span(),
                    key,
                    section,
                    format!(
                        "must be a list of strings; this element is {}",
                        element.type_name()
                    ),
                ),
            }
        }
        Some(out)
    }

    fn duration(
        &mut self,
        table: &dyn TableLike,
        key: &str,
        section: Section<'_>,
    ) -> Option<Duration> {
        let (text, span) = self.string(table, key, section)?;
        match parse_duration(&text) {
            Ok(span) => Some(span),
            Err(error) => {
                self.problem(span, key, section, error.to_string());
                None
            }
        }
    }

    fn level(&mut self, text: &str, span: Span, key: &str, section: Section<'_>) -> Option<Access> {
        match text.parse::<Access>() {
            Ok(access) => Some(access),
            Err(_) => {
                let known: Vec<&str> = Access::ALL.iter().map(|access| access.as_str()).collect();
                self.problem(
                    span,
                    key,
                    section,
                    format!(
                        "unknown access level \"{text}\"; the levels are {}",
                        known.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn levels(
        &mut self,
        table: &dyn TableLike,
        key: &str,
        section: Section<'_>,
    ) -> Option<Vec<Access>> {
        let texts = self.strings(table, key, section)?;
        Some(
            texts
                .into_iter()
                .filter_map(|(text, span)| self.level(&text, span, key, section))
                .collect(),
        )
    }

    /// An `approval` list: each entry a stage name, or `{ stage = "...", quorum = N }` when
    /// more than one of the stage's approvers must say yes.
    fn stages(&mut self, table: &dyn TableLike, key: &str, section: Section<'_>) -> Vec<StageRule> {
        let mut stages: Vec<StageRule> = Vec::new();
        let Some(value) = self.value(table, key, section) else {
            return stages;
        };
        let Some(array) = value.as_array() else {
            self.problem(
                value.span(),
                key,
                section,
                format!("must be a list of stages, not {}", value.type_name()),
            );
            return stages;
        };
        for element in array.iter() {
            let Some(rule) = self.stage_entry(element, key, section) else {
                continue;
            };
            if stages.iter().any(|have| have.stage == rule.stage) {
                self.problem(
                    element.span(),
                    key,
                    section,
                    format!("stage \"{}\" is listed twice", rule.stage),
                );
            } else {
                stages.push(rule);
            }
        }
        stages
    }

    fn stage_entry(
        &mut self,
        element: &Value,
        key: &str,
        section: Section<'_>,
    ) -> Option<StageRule> {
        if let Some(text) = element.as_str() {
            return self
                .stage_name(text, element.span(), key, section)
                .map(StageRule::any_one);
        }
        let Some(entry) = element.as_inline_table() else {
            self.problem(
                element.span(),
                key,
                section,
                format!(
                    "a stage is a string or {{ stage = \"...\", quorum = N }}; this element is {}",
                    element.type_name()
                ),
            );
            return None;
        };
        self.unknown_keys(entry, section, STAGE_ENTRY, "key of a stage");
        let Some((text, span)) = self.string(entry, "stage", section) else {
            if entry.get("stage").is_none() {
                self.problem(
                    element.span(),
                    key,
                    section,
                    "a stage written as a table needs stage = \"...\"".into(),
                );
            }
            return None;
        };
        let stage = self.stage_name(&text, span, key, section)?;
        let quorum = match self.value(entry, "quorum", section) {
            None => 1,
            Some(value) => match value
                .as_integer()
                .and_then(|count| u32::try_from(count).ok())
                .filter(|count| *count > 0)
            {
                Some(count) => count,
                None => {
                    self.problem(
                        value.span(),
                        "quorum",
                        section,
                        "must be a whole number greater than zero".into(),
                    );
                    return None;
                }
            },
        };
        Some(StageRule { stage, quorum })
    }

    fn stage_name(
        &mut self,
        text: &str,
        span: Span,
        key: &str,
        section: Section<'_>,
    ) -> Option<Stage> {
        let stage = match text {
            "owner" => Some(Stage::Owner),
            "manager" => Some(Stage::Manager),
            other => match other.split_once(':') {
                Some(("user", upn)) if looks_like_upn(upn) => Some(Stage::User(upn.to_lowercase())),
                Some(("group", name)) if !name.trim().is_empty() => {
                    Some(Stage::Group(name.trim().to_owned()))
                }
                _ => None,
            },
        };
        if stage.is_none() {
            self.problem(
                span,
                key,
                section,
                format!(
                    "unknown approver kind \"{text}\"; a stage is owner, manager, \
                     \"user:UPN\" or \"group:NAME\""
                ),
            );
        }
        stage
    }

    fn timing(&mut self, table: &dyn TableLike, section: Section<'_>) -> TimingOverride {
        let escalate_to = self.strings(table, "escalate_to", section).map(|texts| {
            texts
                .into_iter()
                .filter_map(|(text, span)| {
                    let escalation = match text.split_once(':') {
                        None if text == "manager_of_approver" => {
                            Some(Escalation::ManagerOfApprover)
                        }
                        Some(("user", upn)) if looks_like_upn(upn) => {
                            Some(Escalation::User(upn.to_lowercase()))
                        }
                        Some(("group", name)) if !name.trim().is_empty() => {
                            Some(Escalation::Group(name.trim().to_owned()))
                        }
                        _ => None,
                    };
                    if escalation.is_none() {
                        self.problem(
                            span,
                            "escalate_to",
                            section,
                            format!(
                                "unknown approver kind \"{text}\"; escalation goes to \
                                 manager_of_approver, \"user:UPN\" or \"group:NAME\""
                            ),
                        );
                    }
                    escalation
                })
                .collect()
        });
        TimingOverride {
            remind_after: self.duration(table, "remind_after", section),
            escalate_after: self.duration(table, "escalate_after", section),
            escalate_to,
            expire_after: self.duration(table, "expire_after", section),
        }
    }

    fn target(&mut self, table: &dyn TableLike, header: Span, index: usize) -> Option<TargetRule> {
        let name = self.string(table, "name", "[[target]]");
        let section = match &name {
            Some((name, _)) => format!("[[target]] \"{name}\""),
            None => format!("[[target]] #{}", index + 1),
        };
        if name.is_none() && !table.contains_key("name") {
            self.problem(
                header.clone(),
                "name",
                &section,
                "every [[target]] needs a name".into(),
            );
        }
        self.unknown_keys(table, &section, TARGET, "key");
        let matcher = self.matcher(table, header.clone(), &section);
        let deny = self.boolean(table, "deny", &section).unwrap_or(false);
        let max_access = self
            .string(table, "max_access", &section)
            .and_then(|(text, span)| {
                let access = self.level(&text, span.clone(), "max_access", &section)?;
                if let Some(kind) = matcher.as_ref().and_then(|matcher| matcher.kind) {
                    if !kind.offers(access) {
                        let levels: Vec<&str> =
                            kind.levels().iter().map(|level| level.as_str()).collect();
                        self.problem(
                            span,
                            "max_access",
                            &section,
                            format!(
                                "{access} is not a level of a {kind}; its levels are {}",
                                levels.join(", ")
                            ),
                        );
                        return None;
                    }
                }
                Some(access)
            });
        let approval = self.stages(table, "approval", &section);
        let max_duration = self.duration(table, "max_duration", &section);
        let acting = match self.string(table, "acting", &section) {
            Some((text, span)) => match text.as_str() {
                "requester" => Some(Acting::Requester),
                "operator" => Some(Acting::Operator),
                "approver" if approval.iter().any(|rule| rule.stage == Stage::Owner) => {
                    Some(Acting::Approver)
                }
                "approver" => {
                    self.problem(
                        span,
                        "acting",
                        &section,
                        "acting = \"approver\" means the approver of the owner stage, and this \
                         rule has no owner stage in approval"
                            .into(),
                    );
                    None
                }
                _ => {
                    self.problem(
                        span,
                        "acting",
                        &section,
                        format!("unknown acting identity \"{text}\"; it is requester, approver or operator"),
                    );
                    None
                }
            },
            // Owners may change what they own; anything else is the helpdesk's to carry out.
            None if approval.iter().any(|rule| rule.stage == Stage::Owner) => {
                Some(Acting::Approver)
            }
            None => Some(Acting::Operator),
        };
        let allow_standing = self
            .boolean(table, "allow_standing", &section)
            .unwrap_or(false);
        let timing = self.timing(table, &section);
        let line = self.position(header).0;
        Some(TargetRule {
            name: name?.0,
            matcher: matcher?,
            deny,
            max_access,
            approval,
            max_duration,
            acting: acting?,
            allow_standing,
            timing,
            line,
        })
    }

    fn matcher(
        &mut self,
        table: &dyn TableLike,
        header: Span,
        section: Section<'_>,
    ) -> Option<Match> {
        let Some(item) = table.get("match") else {
            self.problem(
                header,
                "match",
                section,
                "every [[target]] needs a match (match = {} matches every resource)".into(),
            );
            return None;
        };
        let Some(inner) = item.as_table_like() else {
            let span = table.key("match").and_then(|key| key.span());
            self.problem(
                span,
                "match",
                section,
                "match must be a table such as { kind = \"group\" }".into(),
            );
            return None;
        };
        self.unknown_keys(inner, section, MATCH, "match key");
        let kind = self
            .string(inner, "kind", section)
            .and_then(|(text, span)| match text.parse::<ResourceKind>() {
                Ok(kind) => Some(kind),
                Err(_) => {
                    let kinds: Vec<&str> =
                        ResourceKind::ALL.iter().map(|kind| kind.as_str()).collect();
                    self.problem(
                        span,
                        "kind",
                        section,
                        format!(
                            "unknown kind \"{text}\"; the kinds are {}",
                            kinds.join(", ")
                        ),
                    );
                    None
                }
            });
        let kind_failed = inner.contains_key("kind") && kind.is_none();
        let text = |reader: &mut Reader, key: &str| {
            reader.string(inner, key, section).map(|(text, _)| text)
        };
        let matcher = Match {
            kind,
            id: text(self, "id"),
            name: text(self, "name").map(|name| Glob::new(&name)),
            classification: text(self, "classification"),
            mail: text(self, "mail").map(|mail| Glob::new(&mail)),
            visibility: text(self, "visibility"),
            tag: text(self, "tag"),
        };
        (!kind_failed).then_some(matcher)
    }

    fn department(
        &mut self,
        table: &dyn TableLike,
        header: Span,
        names: &HashMap<String, usize>,
    ) -> Option<DepartmentRule> {
        let section = "[[department]]";
        self.unknown_keys(table, section, DEPARTMENT, "key");
        let targets = match self.strings(table, "targets", section) {
            None => {
                if !table.contains_key("targets") {
                    self.problem(
                        header.clone(),
                        "targets",
                        section,
                        "every [[department]] needs targets: target rule names, or \"*\"".into(),
                    );
                }
                None
            }
            Some(list) if list.iter().any(|(name, _)| name == "*") => Some(Targets::All),
            Some(list) => {
                let mut indexes = Vec::new();
                for (name, span) in list {
                    match names.get(&name.to_lowercase()) {
                        Some(index) => indexes.push(*index),
                        None => self.problem(
                            span,
                            "targets",
                            section,
                            format!("no [[target]] is named \"{name}\""),
                        ),
                    }
                }
                Some(Targets::Named(indexes))
            }
        };
        let list = |reader: &mut Reader, key: &str| {
            reader
                .strings(table, key, section)
                .map(|list| list.into_iter().map(|(text, _)| text).collect::<Vec<_>>())
        };
        let allow = list(self, "allow");
        let deny = list(self, "deny").unwrap_or_default();
        let allow_employee_types = list(self, "allow_employee_types");
        let deny_employee_types = list(self, "deny_employee_types").unwrap_or_default();
        let line = self.position(header).0;
        Some(DepartmentRule {
            targets: targets?,
            allow,
            deny,
            allow_employee_types,
            deny_employee_types,
            line,
        })
    }

    fn action(&mut self, table: &dyn TableLike, header: Span) -> Option<ActionRule> {
        let section = "[[action]]";
        self.unknown_keys(table, section, ACTION, "key");
        let action_text = self.string(table, "action", section);
        let action = action_text.as_ref().and_then(|(text, span)| {
            let found = ActionName::ALL
                .into_iter()
                .find(|name| name.as_str() == text);
            if found.is_none() {
                let known: Vec<&str> = ActionName::ALL.iter().map(|name| name.as_str()).collect();
                self.problem(
                    span.clone(),
                    "action",
                    section,
                    format!(
                        "unknown action \"{text}\"; the actions are {}",
                        known.join(", ")
                    ),
                );
            }
            found
        });
        let access_text = self.string(table, "access", section);
        let access = access_text
            .as_ref()
            .and_then(|(text, span)| self.level(text, span.clone(), "access", section));
        if !table.contains_key("action") && !table.contains_key("access") {
            self.problem(
                header.clone(),
                "action",
                section,
                "every [[action]] names an action (action = \"reset_password\") or an access \
                 level (access = \"send_as\")"
                    .into(),
            );
            return None;
        }
        let deny = self.boolean(table, "deny", section).unwrap_or(false);
        let approval = self.stages(table, "approval", section);
        let max_duration = self.duration(table, "max_duration", section);
        let timing = self.timing(table, section);
        if (action_text.is_some() && action.is_none())
            || (access_text.is_some() && access.is_none())
        {
            return None;
        }
        Some(ActionRule {
            action,
            access,
            deny,
            approval,
            max_duration,
            timing,
            line: self.position(header).0,
        })
    }

    fn runtime(&mut self, table: &dyn TableLike) -> Runtime {
        let section = "[runtime]";
        self.unknown_keys(table, section, RUNTIME, "key");
        let max_requests_per_hour = self
            .value(table, "max_requests_per_hour", section)
            .and_then(|value| {
                match value
                    .as_integer()
                    .and_then(|count| u32::try_from(count).ok())
                    .filter(|count| *count > 0)
                {
                    Some(count) => Some(count),
                    None => {
                        self.problem(
                            value.span(),
                            "max_requests_per_hour",
                            section,
                            "must be a whole number greater than zero".into(),
                        );
                        None
                    }
                }
            });
        let change_window = table.get("change_window").and_then(|item| {
            let Some(window) = item.as_table_like() else {
                let span = table.key("change_window").and_then(|key| key.span());
                self.problem(
                    span,
                    "change_window",
                    section,
                    "must be a table: { days = \"Mon-Fri\", hours = \"07:00-19:00\", tz = \"Europe/London\", outside = \"deny\" }".into(),
                );
                return None;
            };
            self.change_window(window, table.key("change_window").and_then(|key| key.span()))
        });
        Runtime {
            max_requests_per_hour,
            change_window,
        }
    }

    fn change_window(&mut self, window: &dyn TableLike, at: Span) -> Option<ChangeWindow> {
        let section = "[runtime] change_window";
        self.unknown_keys(window, section, WINDOW, "key");
        for key in ["days", "hours", "tz"] {
            if !window.contains_key(key) {
                self.problem(
                    at.clone(),
                    key,
                    section,
                    format!("change_window needs {key}"),
                );
            }
        }
        let days = self.string(window, "days", section).and_then(|(text, span)| match parse_days(&text) {
            Some(days) => Some(days),
            None => {
                self.problem(
                    span,
                    "days",
                    section,
                    format!("cannot read days \"{text}\"; write them like \"Mon-Fri\" or \"Mon,Wed,Fri\""),
                );
                None
            }
        });
        let hours =
            self.string(window, "hours", section)
                .and_then(|(text, span)| match parse_hours(&text) {
                    Some(hours) => Some(hours),
                    None => {
                        self.problem(
                            span,
                            "hours",
                            section,
                            format!(
                                "cannot read hours \"{text}\"; write them like \"07:00-19:00\""
                            ),
                        );
                        None
                    }
                });
        let tz = self.string(window, "tz", section).and_then(|(text, span)| match text.parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                self.problem(
                    span,
                    "tz",
                    section,
                    format!("unknown time zone \"{text}\"; use an IANA name such as \"Europe/London\""),
                );
                None
            }
        });
        let outside = match self.string(window, "outside", section) {
            None => Some(Outside::Deny),
            Some((text, span)) => match text.as_str() {
                "deny" => Some(Outside::Deny),
                "approve" => Some(Outside::Approve),
                _ => {
                    self.problem(
                        span,
                        "outside",
                        section,
                        format!("outside is \"deny\" or \"approve\", not \"{text}\""),
                    );
                    None
                }
            },
        };
        let ((start_minute, end_minute), days, tz, outside) = (hours?, days?, tz?, outside?);
        let text = [
            window
                .get("days")
                .and_then(Item::as_str)
                .unwrap_or_default(),
            window
                .get("hours")
                .and_then(Item::as_str)
                .unwrap_or_default(),
            window.get("tz").and_then(Item::as_str).unwrap_or_default(),
        ]
        .join(" ");
        Some(ChangeWindow {
            days,
            start_minute,
            end_minute,
            tz,
            outside,
            text,
        })
    }
}

fn looks_like_upn(text: &str) -> bool {
    matches!(text.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.'))
}

/// `"Mon-Fri"`, `"Mon,Wed,Fri"`, `"Sat-Sun,Wed"`: Monday first; a range may wrap (`"Fri-Mon"`).
fn parse_days(text: &str) -> Option<[bool; 7]> {
    let day = |name: &str| {
        name.trim()
            .parse::<Weekday>()
            .ok()
            .map(|day| day.num_days_from_monday() as usize)
    };
    let mut days = [false; 7];
    for part in text.split(',') {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (day(from)?, day(to)?);
                let mut at = from;
                loop {
                    days[at] = true;
                    if at == to {
                        break;
                    }
                    at = (at + 1) % 7;
                }
            }
            None => days[day(part)?] = true,
        }
    }
    Some(days)
}

/// `"07:00-19:00"` as minutes after midnight; `24:00` may end a window.
fn parse_hours(text: &str) -> Option<(u32, u32)> {
    let minute = |time: &str| -> Option<u32> {
        let (hours, minutes) = time.trim().split_once(':')?;
        let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
        (minutes < 60 && (hours < 24 || (hours == 24 && minutes == 0)))
            .then_some(hours * 60 + minutes)
    };
    let (start, end) = text.split_once('-')?;
    let (start, end) = (minute(start)?, minute(end)?);
    (start != end && start < 24 * 60).then_some((start, end))
}
