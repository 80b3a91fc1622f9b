//! The durable request state machine (DESIGN.md section 1): an allowed request waits for its
//! approval stages, is carried out under the acting identity's delegated token, read back and
//! reported, with every step on the audit chain and its state flushed before each side effect.

pub mod record;
mod service;

pub use record::{RequestRecord, State};
pub use service::{Parts, Requests, StartError};
