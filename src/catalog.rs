//! The resource catalog: everything that can be requested, synced from Graph and extended by the
//! catalog file, and the resolver that turns a phrase like "the finance site" into one entry, a
//! short list to choose from, or "I couldn't find it" with the nearest names.
//!
//! [`sync`] reads a [`sync::Snapshot`] of the tenant from Graph, the catalog [`file`] adds
//! aliases, tags, owners and what Graph cannot list, and a [`Catalog`] is the resulting immutable
//! snapshot with its search index; the [`service`] swaps in a new catalog after each sync and
//! keeps the last good one when Graph fails.

pub mod file;
mod index;
pub mod resolve;
mod resource;
pub mod service;
pub mod sync;
pub mod text;

pub use index::{Catalog, Person};
pub use resolve::{Candidate, Query, Resolution, Word};
pub use resource::{Membership, Origin, ParentRef, Principal, Resource};
pub use service::{CatalogService, SyncStatus};
