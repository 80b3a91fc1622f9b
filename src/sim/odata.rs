//! OData query engine for the Microsoft Graph v1.0 simulator.
//!
//! It owns the parsing of a raw URL query string into a typed [`Query`] and the evaluation of
//! `$filter`, `$search`, `$select` and `$orderby` against in-memory `serde_json::Value` objects.
//! It must not know about Graph resources, paging or HTTP: the simulator resolves navigation
//! properties, applies `$top` and `$skiptoken`, and turns a [`QueryError`] into Graph's 400 body.
//!
//! Every function here is total on untrusted input: malformed text yields a `QueryError`, never a
//! panic, and nesting is capped at [`MAXIMUM_NESTING_DEPTH`] so hostile input cannot exhaust the
//! stack.

mod encoding;
mod error;
mod expand;
mod filter;
mod lexer;
mod order;
mod property;
mod query;
mod search;
mod select;

#[cfg(test)]
mod robustness_tests;

pub use self::error::QueryError;
pub use self::expand::{ExpandItem, ExpandLevels, ExpandOptions};
pub use self::filter::{
    ComparisonOperator, Filter, LambdaPredicate, LambdaQuantifier, Literal, Operand, PathRoot,
    PathSegment, PropertyPath, StringFunction,
};
pub use self::order::{OrderByItem, SortDirection};
pub use self::query::Query;
pub use self::search::{Search, SearchClause};

/// The deepest nesting of parentheses, `not`, function calls and lambdas a `$filter` may use.
///
/// Real Graph filters stay far below it; the cap bounds the recursion of the parser, the
/// evaluator and the destructor of the syntax tree.
pub const MAXIMUM_NESTING_DEPTH: usize = 64;
