//! Tests of the Exchange client against in-process mock servers (wiremock), as the Graph
//! client's are.
//!
//! Owns the test-only helpers. Must not: reach the real Exchange, or wait for real backoff:
//! every client here gets a millisecond retry policy.

mod answers;
mod errors;
mod requests;
mod retries;
mod settings;
mod support;
mod tracing_capture;
