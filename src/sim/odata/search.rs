//! `$search` parsing and matching, as Entra ID offers it on directory objects.
//!
//! A search is one or more quoted clauses joined by `AND` and `OR` (a bare space means `AND`, and
//! `AND` binds tighter), kept in disjunctive normal form so matching needs no recursion. Matching
//! imitates Graph's tokenized prefix search rather than a substring search: every token of the
//! clause must start some token of the property, where tokens split on whitespace, punctuation and
//! camelCase boundaries.

#[cfg(test)]
mod tests;

use serde_json::Value;

use super::QueryError;
use super::property::{is_property_name, property_value};

/// A parsed `$search` expression: it matches when any alternative has all its clauses matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    alternatives: Vec<Vec<SearchClause>>,
}

/// One quoted `"property:value"` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchClause {
    property: Option<String>,
    value: String,
    tokens: Vec<String>,
}

/// Properties searched by a clause that names none, as Graph does for groups.
const DEFAULT_SEARCH_PROPERTIES: [&str; 2] = ["displayName", "description"];

impl Search {
    /// Parses the decoded text of a `$search` option.
    pub fn parse(expression: &str) -> Result<Search, QueryError> {
        SearchParser::new(expression).parse()
    }

    /// True when `item` matches the search.
    pub fn matches(&self, item: &Value) -> bool {
        self.alternatives
            .iter()
            .any(|clauses| clauses.iter().all(|clause| clause.matches(item)))
    }

    /// The `OR`-separated alternatives, each a list of clauses that must all match.
    pub fn alternatives(&self) -> &[Vec<SearchClause>] {
        &self.alternatives
    }
}

impl SearchClause {
    /// The property named before the colon, or `None` for the default properties.
    pub fn property(&self) -> Option<&str> {
        self.property.as_deref()
    }

    /// The text after the colon, as written.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// True when `item` matches this clause.
    pub fn matches(&self, item: &Value) -> bool {
        match &self.property {
            Some(property) => self.matches_property(item, property),
            None => DEFAULT_SEARCH_PROPERTIES
                .iter()
                .any(|property| self.matches_property(item, property)),
        }
    }

    fn matches_property(&self, item: &Value, property: &str) -> bool {
        let mut property_tokens = Vec::new();
        match property_value(item, property) {
            Some(Value::String(text)) => property_tokens.extend(search_tokens(text)),
            // Multi-valued string properties such as `proxyAddresses` match through any element.
            Some(Value::Array(elements)) => {
                for text in elements.iter().filter_map(Value::as_str) {
                    property_tokens.extend(search_tokens(text));
                }
            }
            _ => return false,
        }
        self.tokens.iter().all(|wanted| {
            property_tokens
                .iter()
                .any(|candidate| candidate.starts_with(wanted.as_str()))
        })
    }
}

/// Lowercased tokens of `text`, split at non-alphanumerics and camelCase boundaries.
///
/// `ContosoVideoTeam` gives `contoso`, `video`, `team`; `HTMLParser` gives `html`, `parser`.
pub(super) fn search_tokens(text: &str) -> Vec<String> {
    let characters: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut current = String::new();
    for (index, &character) in characters.iter().enumerate() {
        if !character.is_alphanumeric() {
            flush_token(&mut tokens, &mut current);
            continue;
        }
        let previous = index
            .checked_sub(1)
            .and_then(|at| characters.get(at))
            .copied();
        let next = characters.get(index + 1).copied();
        let starts_word = character.is_uppercase()
            && previous.is_some_and(|previous| {
                previous.is_lowercase()
                    || previous.is_numeric()
                    || (previous.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if starts_word {
            flush_token(&mut tokens, &mut current);
        }
        current.extend(character.to_lowercase());
    }
    flush_token(&mut tokens, &mut current);
    tokens
}

fn flush_token(tokens: &mut Vec<String>, current: &mut String) {
    if !current.is_empty() {
        tokens.push(std::mem::take(current));
    }
}

/// Whether the previous element was a clause or an operator, to reject `AND AND` and the like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expecting {
    Clause,
    ClauseOrOperator,
}

struct SearchParser<'a> {
    expression: &'a str,
    characters: Vec<char>,
    cursor: usize,
}

impl<'a> SearchParser<'a> {
    fn new(expression: &'a str) -> Self {
        SearchParser {
            expression,
            characters: expression.chars().collect(),
            cursor: 0,
        }
    }

    fn parse(mut self) -> Result<Search, QueryError> {
        let mut alternatives = Vec::new();
        let mut clauses = Vec::new();
        let mut expecting = Expecting::Clause;
        let mut operator_position = 0;
        loop {
            while self.peek().is_some_and(char::is_whitespace) {
                self.cursor += 1;
            }
            let position = self.cursor;
            let Some(character) = self.peek() else {
                break;
            };
            if character == '"' {
                clauses.push(self.quoted_clause()?);
                expecting = Expecting::ClauseOrOperator;
                continue;
            }
            let word = self.bare_word();
            let is_and = word.eq_ignore_ascii_case("AND");
            let is_or = word.eq_ignore_ascii_case("OR");
            if !is_and && !is_or {
                return Err(self.error(position, "search terms must be enclosed in double quotes"));
            }
            if expecting == Expecting::Clause {
                return Err(self.error(position, format!("'{word}' must follow a quoted clause")));
            }
            if is_or {
                alternatives.push(std::mem::take(&mut clauses));
            }
            expecting = Expecting::Clause;
            operator_position = position;
        }
        if clauses.is_empty() {
            let (position, detail) = if alternatives.is_empty() {
                (0, "the search is empty")
            } else {
                (
                    operator_position,
                    "an operator must be followed by a quoted clause",
                )
            };
            return Err(self.error(position, detail));
        }
        if expecting == Expecting::Clause {
            return Err(self.error(
                operator_position,
                "an operator must be followed by a quoted clause",
            ));
        }
        alternatives.push(clauses);
        Ok(Search { alternatives })
    }

    fn peek(&self) -> Option<char> {
        self.characters.get(self.cursor).copied()
    }

    fn bare_word(&mut self) -> String {
        let start = self.cursor;
        while self
            .peek()
            .is_some_and(|character| !character.is_whitespace() && character != '"')
        {
            self.cursor += 1;
        }
        self.characters[start..self.cursor].iter().collect()
    }

    /// Reads `"..."`, where `\"` and `\\` stand for a quote and a backslash.
    fn quoted_clause(&mut self) -> Result<SearchClause, QueryError> {
        let opening = self.cursor;
        self.cursor += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error(opening, "unterminated quoted clause")),
                Some('"') => {
                    self.cursor += 1;
                    break;
                }
                Some('\\') if matches!(self.characters.get(self.cursor + 1), Some('"' | '\\')) => {
                    text.extend(self.characters.get(self.cursor + 1));
                    self.cursor += 2;
                }
                Some(character) => {
                    text.push(character);
                    self.cursor += 1;
                }
            }
        }
        let (property, value) = match text.split_once(':') {
            Some((property, value)) if is_property_name(property.trim()) => {
                (Some(property.trim().to_owned()), value.trim().to_owned())
            }
            _ => (None, text.trim().to_owned()),
        };
        let tokens = search_tokens(&value);
        if tokens.is_empty() {
            return Err(self.error(opening, "the quoted clause has no text to search for"));
        }
        Ok(SearchClause {
            property,
            value,
            tokens,
        })
    }

    fn error(&self, position: usize, detail: impl Into<String>) -> QueryError {
        QueryError::InvalidSearch {
            detail: detail.into(),
            position,
            clause: self.expression.to_owned(),
        }
    }
}
