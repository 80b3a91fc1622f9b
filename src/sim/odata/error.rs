//! The one error type of the query engine.
//!
//! Each message reads like the text Graph puts in the `message` of a 400 response, so the simulator
//! can pass `to_string()` through unchanged. Messages have no trailing period because they are
//! embedded in Graph's error JSON.

/// Why a query string, or one of its options, was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A parameter starting with `$` that Graph v1.0 does not support here.
    #[error("Unsupported query option '{option}'")]
    UnsupportedQueryOption { option: String },

    /// The same `$` option appeared twice, which Graph rejects rather than picking one.
    #[error(
        "Query option '{option}' was specified more than once, but it must be specified at most once"
    )]
    RepeatedQueryOption { option: String },

    /// An option whose value is not acceptable, such as `$top=0` or `$orderby=name sideways`.
    #[error("Invalid {option} value '{value}': {reason}")]
    InvalidOptionValue {
        option: String,
        value: String,
        reason: String,
    },

    /// A `$filter` expression that does not parse; `position` counts characters from zero.
    #[error("Invalid filter clause: syntax error at position {position} in '{clause}': {detail}")]
    InvalidFilter {
        detail: String,
        position: usize,
        clause: String,
    },

    /// A `$filter` that parses but uses a property in a way Graph refuses, such as `a/$count/b`.
    ///
    /// The simulator may also raise it itself, for properties its resources do not filter on.
    #[error("Unsupported or invalid query filter clause specified for property '{property}'")]
    UnsupportedFilterProperty { property: String },

    /// A `$search` expression that does not parse; `position` counts characters from zero.
    #[error("Invalid $search clause: syntax error at position {position} in '{clause}': {detail}")]
    InvalidSearch {
        detail: String,
        position: usize,
        clause: String,
    },
}
