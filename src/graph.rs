//! Microsoft Graph client: the only code in Doorman that talks to Graph.
//!
//! Owns tokens ([`token`]), the HTTP client with retries and paging ([`client`]), error mapping
//! ([`error`]), models ([`model`]) and one typed method per Graph operation, grouped by area.
//! Must not: write with an app-only token (writes take `&DelegatedToken`), log tokens or bodies,
//! or send a token anywhere but the configured Graph origin.

pub mod addresses;
pub mod auth_methods;
pub mod client;
pub mod error;
pub mod groups;
pub mod mail;
pub mod model;
pub mod path;
pub mod retry;
pub mod sign_ins;
pub mod sites;
pub mod teams;
pub mod token;
pub mod users;

#[cfg(test)]
pub(crate) mod tests;

pub use self::auth_methods::{PasswordReset, TemporaryAccessPassUse};
pub use self::client::{GraphClient, Graphed};
pub use self::error::{GraphError, GraphFailure};
pub use self::mail::CalendarShareRole;
pub use self::retry::RetryPolicy;
pub use self::sites::{DriveRole, InviteRecipient};
pub use self::teams::TeamRole;
pub use self::token::{AppToken, AppTokenError, AppTokenSource, Bearer, DelegatedToken};

/// The base of the `@odata.id` and `@odata.bind` URLs in request bodies. Graph documents these
/// references with the public v1.0 root whatever host the request goes to, and resolves them
/// itself, so they do not follow the client's base URL.
pub const GRAPH_REFERENCE_ROOT: &str = "https://graph.microsoft.com/v1.0";
