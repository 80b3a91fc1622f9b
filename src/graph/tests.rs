//! Tests of the Graph client against mock servers, Microsoft's documented examples and the
//! shared Graph metadata checkers.
//!
//! Owns the test-only helpers. Must not: reach the real Graph or login hosts, or wait for real
//! backoff: every client here gets a millisecond retry policy.

mod app_tokens;
mod documented_examples;
mod errors;
mod graph_tools;
mod paging;
mod requests;
mod retries;
mod sign_ins;
mod support;
pub(crate) mod tracing_capture;
