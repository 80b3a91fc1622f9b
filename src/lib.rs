//! Doorman: Microsoft 365 access requests from Teams and Slack, decided by a deterministic policy,
//! carried out under a real person's delegated token, and written to a tamper-evident audit trail.
//!
//! A tour of the crate, in the order a request flows (DESIGN.md section 1):
//!
//! - [`channels`] verify and deliver what Teams and Slack send, and carry Doorman's answers back
//!   through one [`domain::chat::ChatPort`]; nothing after them knows a platform.
//! - [`conversation`] is the dialogue: greetings, sign-in prompts, questions back, the words said.
//! - [`intake`] is the one way a request comes in: [`intent`] understands the words against the
//!   [`catalog`], [`directory`] supplies the requester's facts, and the pure [`policy`] engine
//!   decides.
//! - [`requests`] is the durable state machine of an allowed request and its driver.
//! - [`approval`] resolves stages to people, judges clicks and holds the cards; [`provision`]
//!   carries grants out through providers, proves them by reading back, and keeps the grant
//!   ledger that decides what may be removed; [`scheduler`] holds the durable timers.
//!
//! Services used by many: [`config`], [`store`] (the only module that touches sled, behind a
//! narrow trait a server database can implement), [`audit`] (the hash-chained, signed trail),
//! [`graph`] (the Microsoft Graph client; writes take only delegated tokens), [`identity`]
//! (sign-in, linked accounts, the token vault), [`signing_keys`], [`metrics`], [`telemetry`].
//! [`app`] wires the daemon, [`admin`] lets commands reach it, [`cli`] implements the commands,
//! and [`sim`] simulates Microsoft's and Slack's services for tests and the demo.
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
pub mod directory;
pub mod domain;
pub mod exchange;
pub mod graph;
pub mod identity;
pub mod intake;
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
