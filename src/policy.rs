//! Policy: the deterministic six-layer decision of DESIGN.md section 4, and the file that
//! configures it.
//!
//! - [`model`] is the file as typed rules; [`load`] reads and checks a file, naming the line
//!   and key of every problem.
//! - [`engine::decide`] is a pure function from a request and the facts about the requester
//!   and the moment to a [`Decision`]: deny with the layer and rule, or allow with the effective
//!   access, duration, approval stages and acting identity, and a trail explaining each step.
//! - The facts it decides on are gathered by [`crate::intake`], which reads the directory.
//! - [`cases`] runs a file of expected decisions (`doorman policy test`).
//!
//! Must not: do I/O in the engine, or let anything but typed rules reach it. Wording never
//! reaches a decision except through the resolved intent, and the engine evaluates the effect of
//! a request (the group it is carried out through), not its words.

pub mod cases;
pub mod decision;
pub mod engine;
pub mod load;
pub mod model;

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;

pub use decision::{Approvers, Decision, Denial, Grant, Layer, StageNeed, Step, Verdict};
pub use engine::{Facts, NewAddress, Request, Requester, carried_as, decide};
pub use load::{PolicyFileError, Problem};
pub use model::{Acting, ActionName, Policy, Stage};
