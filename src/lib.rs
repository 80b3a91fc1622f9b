//! Doorman: Microsoft 365 access requests from Teams and Slack, decided by a deterministic policy,
//! carried out under a real person's delegated token, and written to a tamper-evident audit trail.
//!
//! A tour of the crate, leaves first:
//!
//! - [`config`] loads one typed [`config::Config`] from TOML plus `DOORMAN__SECTION__KEY` overrides.
//! - [`store`] is the only module that touches sled; everything durable goes through its narrow
//!   [`store::Store`] trait, so a server database can stand behind it later.
//! - [`audit`] is the append-only, hash-chained audit log with signed heads.
//! - [`graph`] is the Microsoft Graph client: retries, throttling, correlation ids, typed errors and
//!   operations. Writes take only delegated tokens; the type system refuses an app-only token there.
//! - [`catalog`] is what can be requested: synced from Graph, extended by the catalog file,
//!   served whole and kept when a sync fails.
//! - [`sim`] simulates the Microsoft cloud (login and Graph) for tests and the demo.
//! - [`signing_keys`] caches the token-signing keys an OpenID provider publishes (the Bot
//!   Connector's, the tenant's), keeping the ones it has when a refetch fails.
//! - [`admin`] lets command-line tools reach a running daemon that holds the store.
//! - [`app`] wires the daemon: routes, background tasks, graceful shutdown.
//! - [`cli`] implements the commands behind the `doorman` binary.
#![forbid(unsafe_code)]

pub mod admin;
pub mod app;
pub mod approval;
pub mod audit;
pub mod catalog;
pub mod channels;
pub mod cli;
pub mod config;
pub mod conversation;
pub mod domain;
pub mod graph;
pub mod identity;
pub mod intent;
pub mod metrics;
pub mod policy;
pub mod provision;
pub mod requests;
pub mod scheduler;
pub mod signing_keys;
pub mod sim;
pub mod store;
pub mod telemetry;
