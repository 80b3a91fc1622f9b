//! Property paths inside a `$filter`: plain and type-cast segments, `$count`, and the `any` and
//! `all` lambdas that may end a path.
//!
//! A path's first word is a lambda range variable only when an enclosing lambda declared it, so the
//! parser tracks the variables in scope: `x/skuId` means the element's `skuId` inside
//! `any(x: ...)` and the item's property `x` elsewhere.

use super::super::super::QueryError;
use super::super::super::lexer::TokenKind;
use super::super::{
    Filter, LambdaPredicate, LambdaQuantifier, Operand, PathRoot, PathSegment, PropertyPath,
};
use super::{Parser, Term, describe};

impl Parser<'_> {
    /// Parses `first/second/...`, which may end in `$count` or in an `any`/`all` lambda.
    pub(super) fn parse_path(
        &mut self,
        first: String,
        position: usize,
    ) -> Result<Term, QueryError> {
        let mut path = if self.lambda_variables.contains(&first) {
            PropertyPath {
                root: PathRoot::LambdaVariable(first),
                segments: Vec::new(),
            }
        } else if first.eq_ignore_ascii_case("$it") {
            PropertyPath {
                root: PathRoot::Item,
                segments: Vec::new(),
            }
        } else {
            PropertyPath {
                root: PathRoot::Item,
                segments: vec![self.path_segment(first, position)?],
            }
        };
        while self.current().kind == TokenKind::Slash {
            self.advance();
            let token = self.current().clone();
            let TokenKind::Word(word) = token.kind else {
                let detail = format!(
                    "expected a property name after '/', found {}",
                    describe(&token.kind)
                );
                return Err(self.syntax_error(token.position, detail));
            };
            self.advance();
            if word.eq_ignore_ascii_case("$count") {
                if matches!(
                    self.current().kind,
                    TokenKind::Slash | TokenKind::OpenParenthesis
                ) {
                    return Err(QueryError::UnsupportedFilterProperty {
                        property: format!("{}/$count", path.to_path_text()),
                    });
                }
                return Ok(Term::Value(Operand::Count(path)));
            }
            if self.current().kind == TokenKind::OpenParenthesis {
                let quantifier = match word.to_ascii_lowercase().as_str() {
                    "any" => LambdaQuantifier::Any,
                    "all" => LambdaQuantifier::All,
                    _ => {
                        let detail = format!("unsupported function '{word}' on a property path");
                        return Err(self.syntax_error(token.position, detail));
                    }
                };
                return self.parse_lambda(path, quantifier, token.position);
            }
            path.segments.push(self.path_segment(word, token.position)?);
        }
        Ok(Term::Value(Operand::Property(path)))
    }

    fn path_segment(&self, word: String, position: usize) -> Result<PathSegment, QueryError> {
        if word.starts_with('$') {
            let detail = format!("'{word}' cannot be used here");
            return Err(self.syntax_error(position, detail));
        }
        if !word.contains('.') {
            return Ok(PathSegment::Property(word));
        }
        if word.split('.').any(str::is_empty) {
            let detail = format!("'{word}' is not a valid type name");
            return Err(self.syntax_error(position, detail));
        }
        Ok(PathSegment::TypeCast(word))
    }

    fn parse_lambda(
        &mut self,
        collection: PropertyPath,
        quantifier: LambdaQuantifier,
        position: usize,
    ) -> Result<Term, QueryError> {
        self.expect(&TokenKind::OpenParenthesis)?;
        self.enter(position)?;
        if self.current().kind == TokenKind::CloseParenthesis {
            self.advance();
            self.leave();
            if quantifier == LambdaQuantifier::All {
                return Err(
                    self.syntax_error(position, "all() needs a condition such as all(x: x eq 'a')")
                );
            }
            return Ok(Term::Condition(Filter::Lambda {
                collection,
                quantifier,
                predicate: None,
            }));
        }
        let token = self.current().clone();
        let variable = match token.kind {
            TokenKind::Word(word) if !word.contains('.') && !word.starts_with('$') => word,
            other => {
                let detail = format!("expected a range variable name, found {}", describe(&other));
                return Err(self.syntax_error(token.position, detail));
            }
        };
        self.advance();
        self.expect(&TokenKind::Colon)?;
        self.lambda_variables.push(variable.clone());
        let body = self.parse_or()?;
        self.lambda_variables.pop();
        self.expect(&TokenKind::CloseParenthesis)?;
        self.leave();
        Ok(Term::Condition(Filter::Lambda {
            collection,
            quantifier,
            predicate: Some(LambdaPredicate {
                variable,
                body: Box::new(body),
            }),
        }))
    }
}
