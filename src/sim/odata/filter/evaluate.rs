//! Evaluation of a [`Filter`] against one JSON object.
//!
//! Semantics follow Entra ID directory queries: string comparisons ignore case, a missing property
//! is `null`, and an ordering comparison between values of different kinds is false rather than an
//! error, because the simulator has no schema to reject it with.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::super::property::{compare_case_insensitive, has_odata_type, property_value};
use super::{
    ComparisonOperator, Filter, LambdaQuantifier, Literal, Operand, PathRoot, PathSegment,
    PropertyPath, StringFunction,
};

pub(super) fn filter_matches(filter: &Filter, item: &Value) -> bool {
    let mut scope = Scope {
        item,
        variables: Vec::new(),
    };
    scope.evaluate(filter)
}

/// The object under test and the lambda range variables bound around the current node.
struct Scope<'a> {
    item: &'a Value,
    /// Innermost last, so a nested lambda may shadow an outer variable of the same name.
    variables: Vec<(&'a str, &'a Value)>,
}

/// A comparable view of an operand, borrowing from the filter or the object.
#[derive(Debug, Clone, Copy)]
enum Scalar<'a> {
    Null,
    Boolean(bool),
    Integer(i64),
    Decimal(f64),
    Text(&'a str),
    Instant(DateTime<FixedOffset>),
    /// Arrays and objects, which compare with nothing.
    Composite,
}

impl<'a> Scope<'a> {
    fn evaluate(&mut self, filter: &'a Filter) -> bool {
        match filter {
            Filter::And(conditions) => conditions.iter().all(|condition| self.evaluate(condition)),
            Filter::Or(alternatives) => alternatives
                .iter()
                .any(|alternative| self.evaluate(alternative)),
            Filter::Not(inner) => !self.evaluate(inner),
            Filter::Comparison {
                left,
                operator,
                right,
            } => {
                let left = self.scalar(left);
                let right = self.scalar(right);
                apply_operator(*operator, compare(left, right))
            }
            Filter::In {
                operand,
                candidates,
            } => {
                let value = self.scalar(operand);
                candidates.iter().any(|candidate| {
                    compare(value, scalar_from_literal(candidate)) == Some(Ordering::Equal)
                })
            }
            Filter::StringFunction {
                function,
                subject,
                argument,
            } => {
                let subject = self.scalar(subject);
                let argument = self.scalar(argument);
                let (Scalar::Text(subject), Scalar::Text(argument)) = (subject, argument) else {
                    return false;
                };
                let subject = subject.to_lowercase();
                let argument = argument.to_lowercase();
                match function {
                    StringFunction::StartsWith => subject.starts_with(&argument),
                    StringFunction::EndsWith => subject.ends_with(&argument),
                    StringFunction::Contains => subject.contains(&argument),
                }
            }
            Filter::Lambda {
                collection,
                quantifier,
                predicate,
            } => {
                let elements = self
                    .resolve(collection)
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let Some(predicate) = predicate else {
                    return *quantifier == LambdaQuantifier::All || !elements.is_empty();
                };
                let mut element_matches = |element: &'a Value| {
                    self.variables.push((predicate.variable.as_str(), element));
                    let matched = self.evaluate(&predicate.body);
                    self.variables.pop();
                    matched
                };
                match quantifier {
                    LambdaQuantifier::Any => elements.iter().any(&mut element_matches),
                    LambdaQuantifier::All => elements.iter().all(&mut element_matches),
                }
            }
            Filter::Property(path) => self.resolve(path) == Some(&Value::Bool(true)),
            Filter::Constant(value) => *value,
        }
    }

    fn scalar(&mut self, operand: &'a Operand) -> Scalar<'a> {
        match operand {
            Operand::Literal(literal) => scalar_from_literal(literal),
            Operand::Property(path) => self.resolve(path).map_or(Scalar::Null, scalar_from_json),
            Operand::Count(path) => match self.resolve(path) {
                None | Some(Value::Null) => Scalar::Integer(0),
                Some(Value::Array(elements)) => {
                    Scalar::Integer(i64::try_from(elements.len()).unwrap_or(i64::MAX))
                }
                Some(_) => Scalar::Null,
            },
            Operand::Condition(filter) => Scalar::Boolean(self.evaluate(filter)),
        }
    }

    /// Follows `path` from its root; `None` when any step is missing or a type cast fails.
    fn resolve(&self, path: &PropertyPath) -> Option<&'a Value> {
        let mut current = match &path.root {
            PathRoot::Item => self.item,
            PathRoot::LambdaVariable(name) => self
                .variables
                .iter()
                .rev()
                .find(|(variable, _)| variable == name)
                .map(|(_, value)| *value)?,
        };
        for segment in &path.segments {
            current = match segment {
                PathSegment::Property(name) => property_value(current, name)?,
                PathSegment::TypeCast(type_name) => {
                    if !has_odata_type(current, type_name) {
                        return None;
                    }
                    current
                }
            };
        }
        Some(current)
    }
}

fn apply_operator(operator: ComparisonOperator, ordering: Option<Ordering>) -> bool {
    match operator {
        ComparisonOperator::Equal => ordering == Some(Ordering::Equal),
        ComparisonOperator::NotEqual => ordering != Some(Ordering::Equal),
        ComparisonOperator::GreaterThan => ordering == Some(Ordering::Greater),
        ComparisonOperator::GreaterThanOrEqual => {
            matches!(ordering, Some(Ordering::Greater | Ordering::Equal))
        }
        ComparisonOperator::LessThan => ordering == Some(Ordering::Less),
        ComparisonOperator::LessThanOrEqual => {
            matches!(ordering, Some(Ordering::Less | Ordering::Equal))
        }
    }
}

/// Orders two scalars of compatible kinds; `None` means they cannot be compared.
fn compare(left: Scalar<'_>, right: Scalar<'_>) -> Option<Ordering> {
    match (left, right) {
        (Scalar::Null, Scalar::Null) => Some(Ordering::Equal),
        (Scalar::Boolean(left), Scalar::Boolean(right)) => Some(left.cmp(&right)),
        (Scalar::Integer(left), Scalar::Integer(right)) => Some(left.cmp(&right)),
        (Scalar::Integer(left), Scalar::Decimal(right)) => (left as f64).partial_cmp(&right),
        (Scalar::Decimal(left), Scalar::Integer(right)) => left.partial_cmp(&(right as f64)),
        (Scalar::Decimal(left), Scalar::Decimal(right)) => left.partial_cmp(&right),
        (Scalar::Text(left), Scalar::Text(right)) => Some(compare_case_insensitive(left, right)),
        (Scalar::Instant(left), Scalar::Instant(right)) => Some(left.cmp(&right)),
        (Scalar::Text(text), Scalar::Instant(instant)) => {
            let parsed = DateTime::parse_from_rfc3339(text).ok()?;
            Some(parsed.cmp(&instant))
        }
        (Scalar::Instant(instant), Scalar::Text(text)) => {
            let parsed = DateTime::parse_from_rfc3339(text).ok()?;
            Some(instant.cmp(&parsed))
        }
        _ => None,
    }
}

fn scalar_from_literal(literal: &Literal) -> Scalar<'_> {
    match literal {
        Literal::Null => Scalar::Null,
        Literal::Boolean(value) => Scalar::Boolean(*value),
        Literal::Integer(value) => Scalar::Integer(*value),
        Literal::Decimal(value) => Scalar::Decimal(*value),
        // A GUID is stored as a string in Graph's JSON, so it compares as text.
        Literal::String(text) | Literal::Guid(text) => Scalar::Text(text),
        Literal::DateTime(instant) => Scalar::Instant(*instant),
    }
}

fn scalar_from_json(value: &Value) -> Scalar<'_> {
    match value {
        Value::Null => Scalar::Null,
        Value::Bool(value) => Scalar::Boolean(*value),
        Value::Number(number) => match number.as_i64() {
            Some(integer) => Scalar::Integer(integer),
            None => number.as_f64().map_or(Scalar::Composite, Scalar::Decimal),
        },
        Value::String(text) => Scalar::Text(text),
        Value::Array(_) | Value::Object(_) => Scalar::Composite,
    }
}
