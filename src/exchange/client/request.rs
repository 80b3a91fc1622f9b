//! A cmdlet before it is sent: which token it carries, where it is routed, and its body.
//!
//! Owns [`Access`], [`Anchor`] and [`CmdletCall`]. Must not: let a write carry anything but a
//! person's token, or let an argument that is empty or holds control characters reach Exchange.

use serde_json::{Map, Value, json};

use crate::exchange::error::ExchangeError;
use crate::exchange::operation::Operation;
use crate::graph::{Bearer, DelegatedToken};

/// The tenant's arbitration mailbox that exists in every Exchange organization; Exchange routes
/// requests that have no user mailbox to anchor on through it.
pub const SYSTEM_MAILBOX: &str = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";

/// Which token a call carries. Reads accept any [`Bearer`]; writes a person's token only.
#[derive(Clone, Copy, Debug)]
pub(in crate::exchange) enum Access<'a> {
    Read(Bearer<'a>),
    Write(&'a DelegatedToken),
}

/// What the `X-AnchorMailbox` header routes a call by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(in crate::exchange) enum Anchor {
    /// `UPN:<address>`: the mailbox the cmdlet reads or changes, so Exchange's front end sends
    /// the call to the server that holds it.
    Mailbox(String),
    /// `APP:SystemMailbox{bb558c35-...}@<tenant id>`: the tenant's arbitration mailbox, for
    /// cmdlets with no mailbox to anchor on (lists, recipients, accepted domains) or a mailbox
    /// named by something other than an address. A list is not a mailbox, so its address would
    /// give the front end nothing to route by.
    Tenant,
}

/// A cmdlet and its parameters, ready to be sent on its operation's route.
#[derive(Clone, Debug)]
pub(in crate::exchange) struct CmdletCall {
    pub(in crate::exchange) operation: Operation,
    pub(in crate::exchange) anchor: Anchor,
    parameters: Map<String, Value>,
}

impl Anchor {
    /// Anchors on `identity` when it is an address a header can carry, else on the tenant.
    pub(in crate::exchange) fn mailbox(identity: &str) -> Anchor {
        let is_address = identity.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
        if is_address
            && identity
                .chars()
                .all(|character| character.is_ascii_graphic())
        {
            Anchor::Mailbox(identity.to_owned())
        } else {
            Anchor::Tenant
        }
    }

    /// The header's value for `tenant_id`.
    pub(in crate::exchange) fn header_value(&self, tenant_id: &str) -> String {
        match self {
            Anchor::Mailbox(address) => format!("UPN:{address}"),
            Anchor::Tenant => format!("APP:{SYSTEM_MAILBOX}@{tenant_id}"),
        }
    }
}

impl CmdletCall {
    pub(in crate::exchange) fn new(operation: Operation, anchor: Anchor) -> Self {
        Self {
            operation,
            anchor,
            parameters: Map::new(),
        }
    }

    /// Adds a parameter.
    pub(in crate::exchange) fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.parameters.insert(name.to_owned(), value.into());
        self
    }

    /// `{"CmdletInput": {"CmdletName": ..., "Parameters": {...}}}`, the body of both routes.
    pub(in crate::exchange) fn body(&self) -> Value {
        json!({
            "CmdletInput": {
                "CmdletName": self.operation.cmdlet(),
                "Parameters": self.parameters,
            }
        })
    }
}

/// `value` trimmed, or [`ExchangeError::InvalidRequest`] naming `what` when it is empty or holds
/// control characters (nothing is sent then).
pub(in crate::exchange) fn required<'a>(
    what: &str,
    value: &'a str,
) -> Result<&'a str, ExchangeError> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().any(char::is_control) {
        return Err(ExchangeError::InvalidRequest {
            reason: format!("{what} must be a non-empty identity without control characters"),
        });
    }
    Ok(trimmed)
}

/// The mailbox part of a folder identity such as `user@contoso.com:\Calendar`, or
/// [`ExchangeError::InvalidRequest`] when `folder` is not `<mailbox>:\<folder path>`.
pub(in crate::exchange) fn folder_mailbox(folder: &str) -> Result<&str, ExchangeError> {
    match folder.split_once(":\\") {
        Some((mailbox, path)) if !mailbox.trim().is_empty() && !path.trim().is_empty() => {
            Ok(mailbox.trim())
        }
        _ => Err(ExchangeError::InvalidRequest {
            reason: format!("folder {folder:?} is not <mailbox>:\\<folder>"),
        }),
    }
}
