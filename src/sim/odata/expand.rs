//! `$expand` parsing.
//!
//! Only the syntax is handled here: the simulator knows which navigation properties exist and how
//! to resolve them, so it reads each [`ExpandItem`] and applies the nested options itself, with
//! [`ExpandOptions::matches`] and [`ExpandOptions::select`] as helpers.

use serde_json::Value;

use super::QueryError;
use super::filter::Filter;
use super::property::is_property_name;
use super::query::parse_top;
use super::select::{parse_property_list, select_properties};

/// One comma-separated entry of `$expand`, such as `members($select=id,displayName)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandItem {
    navigation_property: String,
    options: ExpandOptions,
}

/// The `;`-separated options inside an expand item's parentheses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpandOptions {
    select: Option<Vec<String>>,
    filter: Option<Filter>,
    top: Option<u32>,
    levels: Option<ExpandLevels>,
}

/// How far a recursive expansion such as `manager($levels=max)` follows the relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpandLevels {
    Depth(u32),
    Max,
}

impl ExpandItem {
    /// The navigation property to expand, such as `members` or `manager`, or `*` for all.
    pub fn navigation_property(&self) -> &str {
        &self.navigation_property
    }

    pub fn options(&self) -> &ExpandOptions {
        &self.options
    }
}

impl ExpandOptions {
    /// The nested `$select` list, if one was given.
    pub fn selected_properties(&self) -> Option<&[String]> {
        self.select.as_deref()
    }

    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    pub fn top(&self) -> Option<u32> {
        self.top
    }

    pub fn levels(&self) -> Option<ExpandLevels> {
        self.levels
    }

    /// True when an expanded object passes the nested `$filter`, or when there is none.
    pub fn matches(&self, expanded: &Value) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|filter| filter.matches(expanded))
    }

    /// Applies the nested `$select` to an expanded object, as `Query::select` does at the top.
    pub fn select(&self, expanded: &Value) -> Value {
        match &self.select {
            Some(properties) => select_properties(expanded, properties),
            None => expanded.clone(),
        }
    }
}

/// Parses the decoded value of an `$expand` option.
pub(super) fn parse_expand(value: &str) -> Result<Vec<ExpandItem>, QueryError> {
    let invalid = |reason: &str| QueryError::InvalidOptionValue {
        option: "$expand".to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let entries = split_outside_brackets(value, ',').map_err(invalid)?;
    let mut items = Vec::new();
    for entry in entries.into_iter().map(str::trim) {
        if entry.is_empty() {
            return Err(invalid("expanded properties must not be empty"));
        }
        let (name, options_text) = match entry.split_once('(') {
            Some((name, rest)) => match rest.strip_suffix(')') {
                Some(options_text) => (name.trim(), Some(options_text)),
                None => return Err(invalid("nothing may follow the closing parenthesis")),
            },
            None => (entry, None),
        };
        let valid_name = name == "*" || name.split('/').all(is_property_name);
        if !valid_name {
            return Err(invalid("expected a navigation property name"));
        }
        let options = match options_text {
            Some(options_text) => {
                let options = split_outside_brackets(options_text, ';').map_err(invalid)?;
                parse_expand_options(&options)?
            }
            None => ExpandOptions::default(),
        };
        items.push(ExpandItem {
            navigation_property: name.to_owned(),
            options,
        });
    }
    Ok(items)
}

/// Parses the options of one item, already split at `;`, such as `["$select=id", "$top=5"]`.
fn parse_expand_options(options_text: &[&str]) -> Result<ExpandOptions, QueryError> {
    let mut options = ExpandOptions::default();
    let mut seen: Vec<String> = Vec::new();
    for option in options_text {
        let option = option.trim();
        if option.is_empty() {
            continue;
        }
        let (name, value) = option.split_once('=').unwrap_or((option, ""));
        let name = name.trim().to_ascii_lowercase();
        if seen.contains(&name) {
            return Err(QueryError::RepeatedQueryOption { option: name });
        }
        match name.as_str() {
            "$select" => options.select = Some(parse_property_list(value)?),
            "$filter" => options.filter = Some(Filter::parse(value)?),
            "$top" => options.top = Some(parse_top(value)?),
            "$levels" => options.levels = Some(parse_levels(value)?),
            _ => return Err(QueryError::UnsupportedQueryOption { option: name }),
        }
        seen.push(name);
    }
    Ok(options)
}

fn parse_levels(value: &str) -> Result<ExpandLevels, QueryError> {
    if value.eq_ignore_ascii_case("max") {
        return Ok(ExpandLevels::Max);
    }
    match value.parse::<u32>() {
        Ok(depth) if depth >= 1 => Ok(ExpandLevels::Depth(depth)),
        _ => Err(QueryError::InvalidOptionValue {
            option: "$levels".to_owned(),
            value: value.to_owned(),
            reason: "must be a positive integer or max".to_owned(),
        }),
    }
}

/// Splits `text` at `separator` where it is outside parentheses and single-quoted strings.
///
/// A doubled quote inside a string closes and reopens it, which leaves the state right without
/// special handling.
fn split_outside_brackets(text: &str, separator: char) -> Result<Vec<&str>, &'static str> {
    let mut parts = Vec::new();
    let mut depth: usize = 0;
    let mut inside_quotes = false;
    let mut start = 0;
    for (index, character) in text.char_indices() {
        match character {
            '\'' => inside_quotes = !inside_quotes,
            _ if inside_quotes => {}
            '(' => depth += 1,
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or("parentheses or quotes are unbalanced")?;
            }
            _ if character == separator && depth == 0 => {
                parts.push(&text[start..index]);
                start = index + character.len_utf8();
            }
            _ => {}
        }
    }
    if depth != 0 || inside_quotes {
        return Err("parentheses or quotes are unbalanced");
    }
    parts.push(&text[start..]);
    Ok(parts)
}
