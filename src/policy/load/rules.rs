//! The rules of the file: `[[target]]` with its match, `[[department]]` and `[[action]]`.

use std::collections::HashMap;

use toml_edit::TableLike;

use super::*;

impl Reader {
    pub(super) fn target(
        &mut self,
        table: &dyn TableLike,
        header: Span,
        index: usize,
    ) -> Option<TargetRule> {
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
                "approver"
                    if matcher.as_ref().and_then(|matcher| matcher.kind)
                        == Some(ResourceKind::Mailbox) =>
                {
                    self.problem(
                        span,
                        "acting",
                        &section,
                        "a shared mailbox's permissions need an Exchange admin role, which its \
                         owners do not hold; a mailbox rule acts as the operator"
                            .into(),
                    );
                    None
                }
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
            // Owners may change what they own (a shared mailbox's hold no role that could);
            // anything else is the helpdesk's to carry out.
            None if matcher.as_ref().and_then(|matcher| matcher.kind)
                == Some(ResourceKind::Mailbox) =>
            {
                Some(Acting::Operator)
            }
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

    pub(super) fn matcher(
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

    pub(super) fn department(
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

    pub(super) fn action(&mut self, table: &dyn TableLike, header: Span) -> Option<ActionRule> {
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
        let max_access = self.calendar_cap(table, action, section);
        let verify = self.verify(table, action, section);
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
            max_access,
            verify,
            timing,
            line: self.position(header).0,
        })
    }

    /// `max_access` on an `[[action]]`: the highest calendar level `share_calendar` allows.
    fn calendar_cap(
        &mut self,
        table: &dyn TableLike,
        action: Option<ActionName>,
        section: Section<'_>,
    ) -> Option<Access> {
        let (text, span) = self.string(table, "max_access", section)?;
        if action != Some(ActionName::ShareCalendar) {
            self.problem(
                span,
                "max_access",
                section,
                "on an [[action]], max_access caps calendar sharing (action = \"share_calendar\"); \
                 cap other levels with max_access on a [[target]]"
                    .into(),
            );
            return None;
        }
        let level = self.level(&text, span.clone(), "max_access", section)?;
        if Access::compare_calendar(level, level).is_none() {
            self.problem(
                span,
                "max_access",
                section,
                format!("{level} is not a calendar level; they are free_busy, read and write"),
            );
            return None;
        }
        Some(level)
    }

    /// `verify = [...]`: how an account-recovery requester proves it is them, in order.
    fn verify(
        &mut self,
        table: &dyn TableLike,
        action: Option<ActionName>,
        section: Section<'_>,
    ) -> Vec<Verify> {
        let Some(listed) = self.strings(table, "verify", section) else {
            return Vec::new();
        };
        let recovery = action.is_some_and(ActionName::is_recovery);
        let mut ways = Vec::new();
        for (text, span) in listed {
            if !recovery {
                self.problem(
                    span,
                    "verify",
                    section,
                    "verify applies to account recovery (reset_password, unlock_account, recover_mfa)"
                        .into(),
                );
                return Vec::new();
            }
            match Verify::ALL.into_iter().find(|way| way.as_str() == text) {
                Some(way) if !ways.contains(&way) => ways.push(way),
                Some(_) => {}
                None => self.problem(
                    span,
                    "verify",
                    section,
                    format!("unknown way to verify \"{text}\"; the ways are mfa and manager"),
                ),
            }
        }
        ways
    }
}
