//! Exchange Online admin API client: the only code in Doorman that talks to Exchange.
//!
//! Graph has no operation for shared-mailbox permissions, for the membership and owners of
//! distribution lists and mail-enabled security groups, or for a primary SMTP address; Exchange
//! runs them as cmdlets over REST (`shared/reference/exchange-admin-api.md`). Two routes take
//! the same `{"CmdletInput": ...}` body: the documented v2.0 endpoints (scope
//! `Exchange.ManageV2`), used where they cover the operation, and `InvokeCommand` (scope
//! `Exchange.Manage`), which Microsoft's PowerShell module calls and which is the only REST route
//! to Full Access, Send As and list membership. It is undocumented, so its path and scope are
//! settings, and this module is the one seam that knows it.
//!
//! Owns the routes and their scopes ([`settings`]), the table of operations ([`operation`]), the
//! one HTTP path with retries and error mapping ([`client`], [`error`]), what a write's answer
//! means ([`outcome`]), models ([`model`]) and one typed method per operation, by area
//! ([`permissions`], [`mailboxes`], [`lists`], [`self_service`]).
//!
//! Must not: write with an app-only token (writes take `&DelegatedToken`, the token types of
//! [`crate::graph`]), run a cmdlet no typed method names, log a token or a cmdlet's parameters,
//! or send a token anywhere but the configured Exchange origin.
//!
//! A write compiles with a person's token:
//!
//! ```no_run
//! # async fn grant(client: &doorman::exchange::ExchangeClient, person: &doorman::graph::DelegatedToken) {
//! let _ = client.add_full_access(person, "support@contoso.com", "tom@contoso.com").await;
//! # }
//! ```
//!
//! and not with the app's own token:
//!
//! ```compile_fail,E0308
//! # async fn grant(client: &doorman::exchange::ExchangeClient, app: &doorman::graph::AppToken) {
//! let _ = client.add_full_access(app, "support@contoso.com", "tom@contoso.com").await;
//! # }
//! ```

pub mod client;
pub mod error;
pub mod lists;
pub mod mailboxes;
pub mod model;
pub mod operation;
pub mod outcome;
pub mod permissions;
pub mod self_service;
pub mod settings;
mod wire;

#[cfg(test)]
mod tests;

pub use self::client::{ExchangeClient, Exchanged};
pub use self::error::{ExchangeError, ExchangeFailure};
pub use self::lists::ActingAs;
pub use self::model::{
    AcceptedDomain, DistributionGroup, FolderPermission, InboxRule, Mailbox, MailboxPermission,
    Recipient, RecipientPermission, same_identity,
};
pub use self::operation::Operation;
pub use self::outcome::Outcome;
pub use self::settings::{Endpoint, ExchangeSettings, Route};
