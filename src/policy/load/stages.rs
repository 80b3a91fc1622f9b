//! Approval stages and their timing: `approval = [...]`, quorum entries, reminders,
//! escalation and time-outs.

use toml_edit::{TableLike, Value};

use super::*;

impl Reader {
    /// An `approval` list: each entry a stage name, or `{ stage = "...", quorum = N }` when
    /// more than one of the stage's approvers must say yes.
    pub(super) fn stages(
        &mut self,
        table: &dyn TableLike,
        key: &str,
        section: Section<'_>,
    ) -> Vec<StageRule> {
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

    pub(super) fn stage_entry(
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

    pub(super) fn stage_name(
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

    pub(super) fn timing(&mut self, table: &dyn TableLike, section: Section<'_>) -> TimingOverride {
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
}
