//! Tests of the parser's tree shapes, error messages and nesting cap.

use serde_json::json;

use super::super::super::QueryError;
use super::super::{
    ComparisonOperator, Filter, Literal, Operand, PathRoot, PathSegment, PropertyPath,
};

fn property(name: &str) -> Operand {
    Operand::Property(PropertyPath {
        root: PathRoot::Item,
        segments: vec![PathSegment::Property(name.to_owned())],
    })
}

#[test]
fn precedence_binds_not_then_comparisons_then_and_then_or() {
    let parsed = Filter::parse("a eq 1 or b eq 2 and not c");
    let comparison = |name: &str, value: i64| Filter::Comparison {
        left: property(name),
        operator: ComparisonOperator::Equal,
        right: Operand::Literal(Literal::Integer(value)),
    };
    let not_c = Filter::Not(Box::new(Filter::Property(PropertyPath {
        root: PathRoot::Item,
        segments: vec![PathSegment::Property("c".to_owned())],
    })));
    let expected = Filter::Or(vec![
        comparison("a", 1),
        Filter::And(vec![comparison("b", 2), not_c]),
    ]);
    assert_eq!(parsed, Ok(expected));
    let not_binds_tighter = Filter::parse("not a eq true");
    let expected = Filter::Comparison {
        left: Operand::Condition(Box::new(Filter::Not(Box::new(Filter::Property(
            PropertyPath {
                root: PathRoot::Item,
                segments: vec![PathSegment::Property("a".to_owned())],
            },
        ))))),
        operator: ComparisonOperator::Equal,
        right: Operand::Literal(Literal::Boolean(true)),
    };
    assert_eq!(not_binds_tighter, Ok(expected));
}

#[test]
fn syntax_errors_name_the_position_and_the_clause() {
    let cases = [
        (
            "displayName eq",
            "Invalid filter clause: syntax error at position 14 in 'displayName eq': expected a value or condition, found the end of the filter",
        ),
        (
            "",
            "Invalid filter clause: syntax error at position 0 in '': the filter is empty",
        ),
        (
            "a eq 'x",
            "Invalid filter clause: syntax error at position 5 in 'a eq 'x': unterminated string literal",
        ),
        (
            "(a eq 1",
            "Invalid filter clause: syntax error at position 7 in '(a eq 1': expected ')', found the end of the filter",
        ),
        (
            "a eq 1)",
            "Invalid filter clause: syntax error at position 6 in 'a eq 1)': unexpected ')' after a complete expression",
        ),
        (
            "length(a) eq 1",
            "Invalid filter clause: syntax error at position 0 in 'length(a) eq 1': unsupported function 'length'",
        ),
        (
            "id in ()",
            "Invalid filter clause: syntax error at position 7 in 'id in ()': expected a literal in the 'in' list, found ')'",
        ),
        (
            "a/all()",
            "Invalid filter clause: syntax error at position 2 in 'a/all()': all() needs a condition such as all(x: x eq 'a')",
        ),
        (
            "'text'",
            "Invalid filter clause: syntax error at position 0 in ''text'': expected a condition but found a value that is not true or false",
        ),
        (
            "a/$count/b eq 1",
            "Unsupported or invalid query filter clause specified for property 'a/$count'",
        ),
        (
            "$count eq 1",
            "Invalid filter clause: syntax error at position 0 in '$count eq 1': '$count' cannot be used here",
        ),
    ];
    for (clause, message) in cases {
        match Filter::parse(clause) {
            Err(error) => assert_eq!(error.to_string(), message, "{clause}"),
            Ok(filter) => panic!("{clause} parsed as {filter:?}"),
        }
    }
}

#[test]
fn nesting_beyond_the_cap_is_an_error_not_a_stack_overflow() {
    let within = format!("{}a eq 1{}", "(".repeat(63), ")".repeat(63));
    assert!(Filter::parse(&within).is_ok());
    let beyond = format!("{}a eq 1{}", "(".repeat(65), ")".repeat(65));
    assert!(matches!(
        Filter::parse(&beyond),
        Err(QueryError::InvalidFilter { detail, .. }) if detail.contains("nested deeper than 64")
    ));
    let negations = format!("{}a", "not ".repeat(10_000));
    assert!(Filter::parse(&negations).is_err());
    let long_chain = vec!["a eq 1"; 50_000].join(" and ");
    assert!(Filter::parse(&long_chain).is_ok_and(|filter| filter.matches(&json!({"a": 1}))));
}
