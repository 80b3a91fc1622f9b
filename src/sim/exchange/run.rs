//! One cmdlet as its handler sees it ([`Run`]): the caller, the bound parameters, the directory
//! under its lock, the time and replication lag; the warnings it gathers; and Exchange's role
//! rules, which every handler applies before it reads or changes anything.
//!
//! Who may: a person holding Exchange Administrator, Exchange Recipient Administrator or Global
//! Administrator runs every cmdlet; a list's owners (`ManagedBy`) change and read that list; a
//! person manages and reads their own mailbox's folder permissions and inbox rules, and reads
//! their own mailbox; an app-only token reads everything and writes nothing; nobody else may.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::answer::{Exception, ExoError};
use super::bind::Bound;
use super::caller::Caller;
use crate::sim::directory::{Directory, Group};
use crate::sim::roles::Right;

/// What a handler may use.
pub struct Run<'a> {
    pub caller: &'a Caller,
    /// The cmdlet's canonical name.
    pub cmdlet: &'static str,
    pub params: &'a Bound,
    pub dir: &'a mut Directory,
    pub now: Instant,
    /// How long a change stays unseen (an addition) or still seen (a removal) by `Get-*`.
    pub lag: Duration,
    /// Exchange's "warnings instead of errors", answered in `@adminapi.warnings`.
    pub warnings: Vec<String>,
}

/// What a cmdlet answers: the objects it returned.
pub type Outcome = Result<Vec<Value>, ExoError>;

impl Run<'_> {
    /// Whether the caller is a person holding an Exchange recipient admin role.
    pub fn is_admin(&self) -> bool {
        self.caller.user_id().is_some_and(|id| {
            self.dir
                .roles_of(id)
                .any(|role| role.template.rights.contains(&Right::ManageRecipients))
        })
    }

    /// Whether the caller is the person `user_id`.
    pub fn is_self(&self, user_id: &str) -> bool {
        self.caller
            .user_id()
            .is_some_and(|id| id.eq_ignore_ascii_case(user_id))
    }

    /// Whether the caller is one of `list`'s owners (`ManagedBy`).
    pub fn manages(&self, list: &Group) -> bool {
        self.caller.user_id().is_some_and(|id| list.has_owner(id))
    }

    /// Refuses app-only callers: Exchange lets them read, never write.
    pub fn require_person(&self) -> Result<(), ExoError> {
        match self.caller {
            Caller::User { .. } => Ok(()),
            Caller::App { .. } => Err(ExoError::cmdlet(
                Exception::CmdletAccessDenied,
                format!(
                    "The application isn't allowed to run {}: app-only access to this organization is read-only.",
                    self.cmdlet
                ),
            )),
        }
    }

    /// Refuses anyone but an admin (app-only callers may still read when `read` is set).
    pub fn require_admin(&self, target: &str) -> Result<(), ExoError> {
        self.require_person()?;
        if self.is_admin() {
            Ok(())
        } else {
            Err(self.denied(target))
        }
    }

    /// A read of `target`: an admin, an app, or the people `also` allows.
    pub fn require_reader(&self, target: &str, also: bool) -> Result<(), ExoError> {
        if matches!(self.caller, Caller::App { .. }) || self.is_admin() || also {
            Ok(())
        } else {
            Err(self.denied(target))
        }
    }

    /// A write to `target`: a person who is an admin, or whom `also` allows.
    pub fn require_writer(&self, target: &str, also: bool) -> Result<(), ExoError> {
        self.require_person()?;
        if self.is_admin() || also {
            Ok(())
        } else {
            Err(self.denied(target))
        }
    }

    /// The 403 for a caller whose role does not cover `target`.
    pub fn denied(&self, target: &str) -> ExoError {
        ExoError::cmdlet(
            Exception::CmdletAccessDenied,
            format!(
                "The operation couldn't be performed because '{}' isn't assigned a management role that allows {} on '{target}'.",
                self.caller.label(),
                self.cmdlet
            ),
        )
    }

    /// A Text parameter that binding made sure of.
    pub fn text(&self, name: &str) -> &str {
        self.params.text(name).unwrap_or_default()
    }

    pub fn warn(&mut self, warning: impl Into<String>) {
        self.warnings.push(warning.into());
    }

    /// `ResultSize` applied to a read's objects.
    pub fn sized(&self, mut objects: Vec<Value>) -> Vec<Value> {
        if let Some(size) = self.params.result_size() {
            objects.truncate(size);
        }
        objects
    }

    /// When something changed now becomes visible to reads.
    pub fn visible_at(&self) -> Instant {
        self.now + self.lag
    }
}
