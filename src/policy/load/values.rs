//! Typed values read from a table: strings, booleans, lists, durations, access levels.

use std::time::Duration;

use toml_edit::{TableLike, Value};

use super::*;

impl Reader {
    /// The value at `key` with its span, or a problem when it is not a plain value.
    pub(super) fn value<'t>(
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

    pub(super) fn string(
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

    pub(super) fn boolean(
        &mut self,
        table: &dyn TableLike,
        key: &str,
        section: Section<'_>,
    ) -> Option<bool> {
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

    pub(super) fn strings(
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

    pub(super) fn duration(
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

    pub(super) fn level(
        &mut self,
        text: &str,
        span: Span,
        key: &str,
        section: Section<'_>,
    ) -> Option<Access> {
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

    pub(super) fn levels(
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
}
