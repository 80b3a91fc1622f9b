//! The `$filter` syntax tree and its public operations.
//!
//! The tree is typed: boolean expressions are [`Filter`] nodes and the values they compare are
//! [`Operand`]s, so evaluation never has to guess what a node means. Parsing lives in
//! `filter/parser.rs` and evaluation against JSON in `filter/evaluate.rs`; this file only defines
//! the shapes and the questions the simulator asks of them.

mod evaluate;
mod parser;

#[cfg(test)]
mod tests;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::QueryError;

/// A parsed `$filter` expression.
///
/// `And` and `Or` are n-ary so that a long chain of clauses builds a flat list rather than a tree
/// as deep as the chain, which keeps evaluation and dropping within the nesting cap.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Comparison {
        left: Operand,
        operator: ComparisonOperator,
        right: Operand,
    },
    /// `operand in (candidate, ...)`, true when the operand equals any candidate.
    In {
        operand: Operand,
        candidates: Vec<Literal>,
    },
    /// `startswith(subject, argument)` and its siblings.
    StringFunction {
        function: StringFunction,
        subject: Operand,
        argument: Operand,
    },
    /// `collection/any(variable: body)`, `collection/all(...)` or the argument-less `any()`.
    Lambda {
        collection: PropertyPath,
        quantifier: LambdaQuantifier,
        /// `None` for `any()`, which asks only for a non-empty array.
        predicate: Option<LambdaPredicate>,
    },
    /// A property used on its own as a condition, true only when it holds JSON `true`.
    Property(PropertyPath),
    /// A bare `true` or `false`.
    Constant(bool),
}

/// A value that a comparison, `in` or string function looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Literal(Literal),
    Property(PropertyPath),
    /// `path/$count`: the length of an array property, 0 when the property is absent.
    Count(PropertyPath),
    /// A boolean expression compared with something, as in `startswith(a,'b') eq false`.
    Condition(Box<Filter>),
}

/// A constant written in the filter text.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Boolean(bool),
    Integer(i64),
    Decimal(f64),
    String(String),
    /// A bare GUID, compared with string properties case-insensitively.
    Guid(String),
    /// A bare RFC 3339 date-time, compared as an instant with string properties that parse.
    DateTime(DateTime<FixedOffset>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparisonOperator {
    Equal,
    NotEqual,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringFunction {
    StartsWith,
    EndsWith,
    Contains,
}

/// The range variable and condition of `any(variable: body)` or `all(variable: body)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaPredicate {
    pub variable: String,
    pub body: Box<Filter>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LambdaQuantifier {
    Any,
    All,
}

/// A `/`-separated path into the object under test or into a lambda's range variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyPath {
    pub root: PathRoot,
    pub segments: Vec<PathSegment>,
}

/// Where a property path starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathRoot {
    /// The object being filtered (OData's `$it`).
    Item,
    /// The element bound by an enclosing `any` or `all`.
    LambdaVariable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    Property(String),
    /// A namespaced type such as `microsoft.graph.aadUserConversationMember`; the value continues
    /// only when the object's `@odata.type` names that type.
    TypeCast(String),
}

impl Filter {
    /// Parses the decoded text of a `$filter` option.
    pub fn parse(clause: &str) -> Result<Filter, QueryError> {
        parser::parse_filter(clause)
    }

    /// True when `item` satisfies the filter.
    pub fn matches(&self, item: &Value) -> bool {
        evaluate::filter_matches(self, item)
    }

    /// True when the filter uses a feature Graph serves only as an advanced query, with the
    /// `ConsistencyLevel: eventual` header: `ne`, `not`, `endswith` or `$count`.
    pub fn needs_eventual_consistency(&self) -> bool {
        match self {
            Filter::And(filters) | Filter::Or(filters) => {
                filters.iter().any(Filter::needs_eventual_consistency)
            }
            Filter::Not(_) => true,
            Filter::Comparison {
                left,
                operator,
                right,
            } => {
                *operator == ComparisonOperator::NotEqual
                    || left.needs_eventual_consistency()
                    || right.needs_eventual_consistency()
            }
            Filter::In { operand, .. } => operand.needs_eventual_consistency(),
            Filter::StringFunction {
                function,
                subject,
                argument,
            } => {
                *function == StringFunction::EndsWith
                    || subject.needs_eventual_consistency()
                    || argument.needs_eventual_consistency()
            }
            Filter::Lambda { predicate, .. } => predicate
                .as_ref()
                .is_some_and(|predicate| predicate.body.needs_eventual_consistency()),
            Filter::Property(_) | Filter::Constant(_) => false,
        }
    }
}

impl Filter {
    /// True when the filter has an `any`/`all` over the object's own `property` (Graph serves
    /// `proxyAddresses/any(...)` only as an advanced query, with `$count=true` as well).
    pub fn has_lambda_over(&self, property: &str) -> bool {
        match self {
            Filter::And(filters) | Filter::Or(filters) => filters
                .iter()
                .any(|filter| filter.has_lambda_over(property)),
            Filter::Not(filter) => filter.has_lambda_over(property),
            Filter::Comparison { left, right, .. } => {
                left.has_lambda_over(property) || right.has_lambda_over(property)
            }
            Filter::In { operand, .. } => operand.has_lambda_over(property),
            Filter::StringFunction {
                subject, argument, ..
            } => subject.has_lambda_over(property) || argument.has_lambda_over(property),
            Filter::Lambda { collection, .. } => {
                collection.root == PathRoot::Item
                    && matches!(
                        collection.segments.as_slice(),
                        [PathSegment::Property(name)] if name.eq_ignore_ascii_case(property)
                    )
            }
            Filter::Property(_) | Filter::Constant(_) => false,
        }
    }
}

impl Operand {
    fn has_lambda_over(&self, property: &str) -> bool {
        match self {
            Operand::Condition(filter) => filter.has_lambda_over(property),
            Operand::Literal(_) | Operand::Property(_) | Operand::Count(_) => false,
        }
    }

    fn needs_eventual_consistency(&self) -> bool {
        match self {
            Operand::Count(_) => true,
            Operand::Condition(filter) => filter.needs_eventual_consistency(),
            Operand::Literal(_) | Operand::Property(_) => false,
        }
    }
}

impl PropertyPath {
    /// The path as written, for error messages: `members/microsoft.graph.user/mail`.
    pub fn to_path_text(&self) -> String {
        let root = match &self.root {
            PathRoot::Item => None,
            PathRoot::LambdaVariable(variable) => Some(variable.as_str()),
        };
        root.into_iter()
            .chain(self.segments.iter().map(|segment| match segment {
                PathSegment::Property(name) | PathSegment::TypeCast(name) => name.as_str(),
            }))
            .collect::<Vec<_>>()
            .join("/")
    }
}
