//! The resource catalog: everything that can be requested, synced from Graph and extended by the
//! catalog file, and the resolver that turns a phrase like "the finance site" into one entry, a
//! short list to choose from, or "I couldn't find it" with the nearest names.
//!
//! A [`Catalog`] is an immutable snapshot with its search index; the [`service`] swaps in a new
//! snapshot after each sync and keeps the last good one when Graph fails.

pub mod file;
mod index;
mod resource;
pub mod sync;

pub use index::{Catalog, Person};
pub use resource::{Origin, ParentRef, Principal, Resource};
