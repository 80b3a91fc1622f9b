//! Recursive-descent parser from `$filter` text to a [`Filter`].
//!
//! Precedence follows OData: `not` binds tightest, then the comparisons and `in`, then `and`, then
//! `or`. Every construct that nests (parentheses, `not`, function arguments, lambda bodies) passes
//! through `enter`, which refuses to go deeper than `MAXIMUM_NESTING_DEPTH` so hostile input
//! cannot overflow the stack.

mod path;

#[cfg(test)]
mod tests;

use super::super::MAXIMUM_NESTING_DEPTH;
use super::super::QueryError;
use super::super::lexer::{Token, TokenKind, tokenize};
use super::{ComparisonOperator, Filter, Literal, Operand, StringFunction};

/// Parses decoded `$filter` text.
pub(super) fn parse_filter(clause: &str) -> Result<Filter, QueryError> {
    let tokens = tokenize(clause).map_err(|error| QueryError::InvalidFilter {
        detail: error.detail,
        position: error.position,
        clause: clause.to_owned(),
    })?;
    let mut parser = Parser {
        clause,
        tokens,
        cursor: 0,
        depth: 0,
        lambda_variables: Vec::new(),
    };
    if parser.current().kind == TokenKind::End {
        return Err(parser.syntax_error(0, "the filter is empty"));
    }
    let filter = parser.parse_or()?;
    let trailing = parser.current();
    if trailing.kind != TokenKind::End {
        let detail = format!(
            "unexpected {} after a complete expression",
            describe(&trailing.kind)
        );
        return Err(parser.syntax_error(trailing.position, detail));
    }
    Ok(filter)
}

/// What a sub-expression turned out to be before its context decides how it is used.
enum Term {
    Condition(Filter),
    Value(Operand),
}

/// Stands in for the current token should the cursor ever pass the end marker.
static END_TOKEN: Token = Token {
    kind: TokenKind::End,
    position: 0,
};

struct Parser<'a> {
    clause: &'a str,
    tokens: Vec<Token>,
    cursor: usize,
    depth: usize,
    /// Range variables of the enclosing lambdas, innermost last.
    lambda_variables: Vec<String>,
}

impl Parser<'_> {
    fn parse_or(&mut self) -> Result<Filter, QueryError> {
        let mut alternatives = vec![self.parse_and()?];
        while self.eat_keyword("or") {
            alternatives.push(self.parse_and()?);
        }
        Ok(combine(alternatives, Filter::Or))
    }

    fn parse_and(&mut self) -> Result<Filter, QueryError> {
        let mut conditions = vec![self.parse_condition()?];
        while self.eat_keyword("and") {
            conditions.push(self.parse_condition()?);
        }
        Ok(combine(conditions, Filter::And))
    }

    fn parse_condition(&mut self) -> Result<Filter, QueryError> {
        let position = self.current().position;
        let term = self.parse_comparison()?;
        self.condition_from_term(term, position)
    }

    fn parse_comparison(&mut self) -> Result<Term, QueryError> {
        let left = self.parse_unary()?;
        if let Some(operator) = self.current_comparison_operator() {
            self.advance();
            let right = self.parse_unary()?;
            return Ok(Term::Condition(Filter::Comparison {
                left: into_operand(left),
                operator,
                right: into_operand(right),
            }));
        }
        if self.eat_keyword("in") {
            let candidates = self.parse_literal_list()?;
            return Ok(Term::Condition(Filter::In {
                operand: into_operand(left),
                candidates,
            }));
        }
        Ok(left)
    }

    fn parse_unary(&mut self) -> Result<Term, QueryError> {
        if !self.current_is_keyword("not") {
            return self.parse_primary();
        }
        let position = self.current().position;
        self.advance();
        self.enter(position)?;
        let operand_position = self.current().position;
        let operand = self.parse_unary()?;
        let operand = self.condition_from_term(operand, operand_position)?;
        self.leave();
        Ok(Term::Condition(Filter::Not(Box::new(operand))))
    }

    fn parse_primary(&mut self) -> Result<Term, QueryError> {
        let token = self.current().clone();
        if let Some(literal) = literal_from_token(&token.kind) {
            self.advance();
            return Ok(Term::Value(Operand::Literal(literal)));
        }
        match token.kind {
            TokenKind::OpenParenthesis => {
                self.advance();
                self.enter(token.position)?;
                let filter = self.parse_or()?;
                self.expect(&TokenKind::CloseParenthesis)?;
                self.leave();
                Ok(Term::Condition(filter))
            }
            TokenKind::Word(word) => {
                self.advance();
                if self.current().kind == TokenKind::OpenParenthesis {
                    self.parse_function_call(&word, token.position)
                } else {
                    self.parse_path(word, token.position)
                }
            }
            other => {
                let detail = format!("expected a value or condition, found {}", describe(&other));
                Err(self.syntax_error(token.position, detail))
            }
        }
    }

    fn parse_function_call(&mut self, name: &str, position: usize) -> Result<Term, QueryError> {
        let function = match name.to_ascii_lowercase().as_str() {
            "startswith" => StringFunction::StartsWith,
            "endswith" => StringFunction::EndsWith,
            "contains" => StringFunction::Contains,
            _ => {
                let detail = format!("unsupported function '{name}'");
                return Err(self.syntax_error(position, detail));
            }
        };
        self.expect(&TokenKind::OpenParenthesis)?;
        self.enter(position)?;
        let subject = into_operand(self.parse_comparison()?);
        self.expect(&TokenKind::Comma)?;
        let argument = into_operand(self.parse_comparison()?);
        self.expect(&TokenKind::CloseParenthesis)?;
        self.leave();
        Ok(Term::Condition(Filter::StringFunction {
            function,
            subject,
            argument,
        }))
    }

    /// Parses the parenthesised, non-empty list of literals after `in`.
    fn parse_literal_list(&mut self) -> Result<Vec<Literal>, QueryError> {
        self.expect(&TokenKind::OpenParenthesis)?;
        let mut candidates = Vec::new();
        loop {
            let token = self.current().clone();
            let Some(literal) = literal_from_token(&token.kind) else {
                let detail = format!(
                    "expected a literal in the 'in' list, found {}",
                    describe(&token.kind)
                );
                return Err(self.syntax_error(token.position, detail));
            };
            self.advance();
            candidates.push(literal);
            if self.current().kind == TokenKind::Comma {
                self.advance();
                continue;
            }
            self.expect(&TokenKind::CloseParenthesis)?;
            return Ok(candidates);
        }
    }

    fn condition_from_term(&self, term: Term, position: usize) -> Result<Filter, QueryError> {
        match term {
            Term::Condition(filter) => Ok(filter),
            Term::Value(Operand::Property(path)) => Ok(Filter::Property(path)),
            Term::Value(Operand::Literal(Literal::Boolean(value))) => Ok(Filter::Constant(value)),
            Term::Value(Operand::Condition(filter)) => Ok(*filter),
            Term::Value(Operand::Literal(_) | Operand::Count(_)) => Err(self.syntax_error(
                position,
                "expected a condition but found a value that is not true or false",
            )),
        }
    }

    fn current(&self) -> &Token {
        self.tokens.get(self.cursor).unwrap_or(&END_TOKEN)
    }

    /// Moves past the current token, but never past the end marker.
    fn advance(&mut self) {
        if self.current().kind != TokenKind::End {
            self.cursor += 1;
        }
    }

    fn current_is_keyword(&self, keyword: &str) -> bool {
        matches!(&self.current().kind, TokenKind::Word(word) if word.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.current_is_keyword(keyword);
        if found {
            self.advance();
        }
        found
    }

    fn current_comparison_operator(&self) -> Option<ComparisonOperator> {
        let TokenKind::Word(word) = &self.current().kind else {
            return None;
        };
        match word.to_ascii_lowercase().as_str() {
            "eq" => Some(ComparisonOperator::Equal),
            "ne" => Some(ComparisonOperator::NotEqual),
            "gt" => Some(ComparisonOperator::GreaterThan),
            "ge" => Some(ComparisonOperator::GreaterThanOrEqual),
            "lt" => Some(ComparisonOperator::LessThan),
            "le" => Some(ComparisonOperator::LessThanOrEqual),
            _ => None,
        }
    }

    fn expect(&mut self, expected: &TokenKind) -> Result<(), QueryError> {
        let token = self.current();
        if token.kind == *expected {
            self.advance();
            return Ok(());
        }
        let detail = format!(
            "expected {}, found {}",
            describe(expected),
            describe(&token.kind)
        );
        Err(self.syntax_error(token.position, detail))
    }

    fn enter(&mut self, position: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAXIMUM_NESTING_DEPTH {
            let detail =
                format!("the expression is nested deeper than {MAXIMUM_NESTING_DEPTH} levels");
            return Err(self.syntax_error(position, detail));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn syntax_error(&self, position: usize, detail: impl Into<String>) -> QueryError {
        QueryError::InvalidFilter {
            detail: detail.into(),
            position,
            clause: self.clause.to_owned(),
        }
    }
}

/// Returns the only member of a one-element list, or wraps the list in `And`/`Or`.
fn combine(mut members: Vec<Filter>, wrap: fn(Vec<Filter>) -> Filter) -> Filter {
    match members.pop() {
        Some(only) if members.is_empty() => only,
        Some(last) => {
            members.push(last);
            wrap(members)
        }
        None => wrap(members),
    }
}

fn into_operand(term: Term) -> Operand {
    match term {
        Term::Condition(filter) => Operand::Condition(Box::new(filter)),
        Term::Value(operand) => operand,
    }
}

fn literal_from_token(kind: &TokenKind) -> Option<Literal> {
    match kind {
        TokenKind::Text(text) => Some(Literal::String(text.clone())),
        TokenKind::Integer(value) => Some(Literal::Integer(*value)),
        TokenKind::Decimal(value) => Some(Literal::Decimal(*value)),
        TokenKind::Guid(guid) => Some(Literal::Guid(guid.clone())),
        TokenKind::DateTime(instant) => Some(Literal::DateTime(*instant)),
        TokenKind::Word(word) => match word.to_ascii_lowercase().as_str() {
            "true" => Some(Literal::Boolean(true)),
            "false" => Some(Literal::Boolean(false)),
            "null" => Some(Literal::Null),
            _ => None,
        },
        _ => None,
    }
}

pub(super) fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::OpenParenthesis => "'('".to_owned(),
        TokenKind::CloseParenthesis => "')'".to_owned(),
        TokenKind::Comma => "','".to_owned(),
        TokenKind::Colon => "':'".to_owned(),
        TokenKind::Slash => "'/'".to_owned(),
        TokenKind::Word(word) => format!("'{word}'"),
        TokenKind::Text(text) => format!("string '{text}'"),
        TokenKind::Integer(value) => format!("number {value}"),
        TokenKind::Decimal(value) => format!("number {value}"),
        TokenKind::Guid(guid) => format!("guid {guid}"),
        TokenKind::DateTime(instant) => format!("date-time {}", instant.to_rfc3339()),
        TokenKind::End => "the end of the filter".to_owned(),
    }
}
