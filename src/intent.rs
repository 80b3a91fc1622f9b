//! Understanding a request: chat text → [`Intent`] (DESIGN.md sections 1–2), deterministic and
//! local. The parser proposes; it never decides anything about permission.
//!
//! - [`tokens`] cuts a message into words, addresses and sentence breaks that point back into
//!   the text.
//! - [`duration`] finds "for 2 weeks", "until Friday", "through end of month".
//! - [`vocabulary`] holds the cue words; no resource name ever appears there.
//! - [`parse`] puts it together against the catalog.
//! - [`model`] is the result and its JSON form.

pub mod duration;
pub mod model;
pub mod parse;
pub mod tokens;
pub mod vocabulary;

#[cfg(test)]
mod tests;

pub use model::{AccessRequest, AccessWord, Change, Intent, ResourceRef, Terms, level_meeting};
pub use parse::{Asker, understand};
