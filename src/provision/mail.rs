//! Self-service mail: a person's own calendar shared with a colleague, and a copy of their own
//! mail forwarded by an inbox rule (DESIGN.md section 10).
//!
//! Made with the person's own delegated Graph token (`/me/calendar/calendarPermissions`,
//! `/me/mailFolders/inbox/messageRules`): nobody else's token can change their mailbox through
//! Graph. What a person holds is read with the app's read-only Exchange access
//! (`Get-MailboxFolderPermission`, `Get-InboxRule`), as for every other fact. When the person's
//! token no longer works at the end, the operator removes it through Exchange
//! (`Remove-`/`Set-MailboxFolderPermission`, `Remove-InboxRule`): [`Remove::service`] says which
//! service the token in hand is for.
//!
//! Calendar levels build on each other (`free_busy` < `read` < `write`): each level is its own
//! step, so taking a level away sets the share back to the level below it, and a share the
//! person had before is left at what it was. A forwarding rule is named after its address, so it
//! is found again, and only that rule is ever removed.
//!
//! Must not: write with anything but the person's own token (the plan's acting identity is the
//! requester; `requests` refuses any other), or remove a share or rule it cannot find by a read.

use std::sync::Arc;

use crate::domain::chat::BoxFuture;
use crate::domain::request::Service;
use crate::domain::resource::Access;
use crate::exchange::{FolderPermission, InboxRule, Outcome};
use crate::graph::model::{CalendarPermission, CalendarRole, MessageRule};
use crate::graph::{CalendarShareRole, DelegatedToken, GraphClient};

use super::exchange::{ExchangeProvider, call_id, failure as exchange_failure};
use super::graph::failure as graph_failure;
use super::plan::Step;
use super::provider::{Provider, ProviderError, Removal, Remove, Write, Written};

/// The name of the inbox rule that forwards a copy to `to`: how it is found again.
pub fn forward_rule_name(to: &str) -> String {
    format!("Doorman: forward a copy to {}", to.to_lowercase())
}

/// Calendar shares and forwarding rules in a person's own mailbox.
pub struct MailProvider {
    graph: GraphClient,
    /// Its app-only Exchange reads and its people's UPNs are shared.
    exchange: Arc<ExchangeProvider>,
}

impl MailProvider {
    pub fn new(graph: GraphClient, exchange: Arc<ExchangeProvider>) -> Self {
        MailProvider { graph, exchange }
    }

    async fn calendar_of(&self, person: &str) -> Result<String, ProviderError> {
        Ok(format!("{}:\\Calendar", self.exchange.upn(person).await?))
    }

    /// The share of the person's calendar with `with`, as their own token reads it.
    async fn my_share(
        &self,
        token: &DelegatedToken,
        with: &str,
    ) -> Result<(Option<CalendarPermission>, Option<String>), ProviderError> {
        let shares = self
            .graph
            .calendar_permissions(token)
            .await
            .map_err(graph_failure)?;
        let request_id = shares.request_id.clone();
        let share = shares.value.into_iter().find(|share| {
            share
                .email_address
                .as_ref()
                .and_then(|address| address.address.as_deref())
                .is_some_and(|address| address.eq_ignore_ascii_case(with))
        });
        Ok((share, request_id))
    }

    /// The person's forwarding rule to `to`, as their own token reads it.
    async fn my_rule(
        &self,
        token: &DelegatedToken,
        to: &str,
        handle: Option<&str>,
    ) -> Result<Option<MessageRule>, ProviderError> {
        let name = forward_rule_name(to);
        let rules = self
            .graph
            .message_rules(token)
            .await
            .map_err(graph_failure)?;
        // Doorman's rule by its id or name, and only while it forwards where it was made to:
        // a rule of that name pointing elsewhere is someone else's.
        Ok(rules.value.into_iter().find(|rule| {
            let named = handle.is_some_and(|id| rule.id == id)
                || rule
                    .display_name
                    .as_deref()
                    .is_some_and(|shown| shown.eq_ignore_ascii_case(&name));
            let forwards_to = rule
                .actions
                .as_ref()
                .and_then(|actions| actions.forward_to.as_ref())
                .into_iter()
                .flatten()
                .filter_map(|recipient| recipient.email_address.as_ref()?.address.as_deref())
                .any(|address| address.eq_ignore_ascii_case(to));
            named && forwards_to
        }))
    }

    async fn write_share(
        &self,
        token: &DelegatedToken,
        with: &str,
        level: Access,
    ) -> Result<Written, ProviderError> {
        let role = share_role(level)?;
        let (held, read_id) = self.my_share(token, with).await?;
        match held {
            // Someone shared it this far between the read before the write and now.
            Some(share) if graph_rank(share.role) >= level_rank(level) => Ok(Written {
                request_id: read_id,
                handle: Some(share.id),
                found_there: true,
            }),
            Some(share) => {
                let changed = self
                    .graph
                    .update_calendar_permission(token, &share.id, role)
                    .await
                    .map_err(graph_failure)?;
                Ok(Written {
                    request_id: changed.request_id,
                    // What it was raised from is what taking this level away puts back.
                    handle: Some(Raised::handle(Raised::from(share.role), &share.id)),
                    found_there: false,
                })
            }
            None => match self
                .graph
                .create_calendar_permission(token, with, role)
                .await
            {
                Ok(made) => Ok(Written {
                    request_id: made.request_id,
                    handle: Some(made.value.id),
                    found_there: false,
                }),
                // A create is not sent twice: when its answer was lost, a read says whether it
                // was made. Made between the read before and now, it counts as this write's.
                Err(error) => {
                    let failure = graph_failure(error);
                    if failure.refused {
                        return Err(failure);
                    }
                    match self.my_share(token, with).await {
                        Ok((Some(share), _)) if graph_rank(share.role) >= level_rank(level) => {
                            Ok(Written {
                                request_id: failure.request_id,
                                handle: Some(share.id),
                                found_there: false,
                            })
                        }
                        _ => Err(failure),
                    }
                }
            },
        }
    }

    async fn write_rule(&self, token: &DelegatedToken, to: &str) -> Result<Written, ProviderError> {
        if let Some(rule) = self.my_rule(token, to, None).await? {
            return Ok(Written {
                request_id: None,
                handle: Some(rule.id),
                found_there: true,
            });
        }
        match self
            .graph
            .create_forward_rule(token, &forward_rule_name(to), to)
            .await
        {
            Ok(made) => Ok(Written {
                request_id: made.request_id,
                handle: Some(made.value.id),
                found_there: false,
            }),
            // As for a share: a lost answer is settled by a read, never by a second create.
            Err(error) => {
                let failure = graph_failure(error);
                if failure.refused {
                    return Err(failure);
                }
                match self.my_rule(token, to, None).await {
                    Ok(Some(rule)) => Ok(Written {
                        request_id: failure.request_id,
                        handle: Some(rule.id),
                        found_there: false,
                    }),
                    _ => Err(failure),
                }
            }
        }
    }

    /// Takes a share's level away with the person's own token: the share goes back to the
    /// level below, or goes when `level` is the lowest.
    async fn remove_share(
        &self,
        token: &DelegatedToken,
        with: &str,
        level: Access,
        handle: Option<&str>,
    ) -> Result<Option<Removal>, ProviderError> {
        let (Some(share), _) = self.my_share(token, with).await? else {
            return Ok(None);
        };
        if graph_rank(share.role) < level_rank(level) {
            return Ok(Some(Removal::NotThere));
        }
        if above_level(graph_rank(share.role), level) {
            return Ok(Some(Removal::Superseded));
        }
        match put_back(level, handle) {
            None => {
                self.graph
                    .delete_calendar_permission(token, &share.id)
                    .await
                    .map_err(graph_failure)?;
            }
            Some(Raised { role, .. }) => {
                self.graph
                    .update_calendar_permission(token, &share.id, role)
                    .await
                    .map_err(graph_failure)?;
            }
        }
        Ok(Some(Removal::Removed))
    }

    /// The same, by an Exchange admin (the operator) on the person's calendar folder.
    async fn remove_share_as_admin(
        &self,
        token: &DelegatedToken,
        person: &str,
        with: &str,
        level: Access,
        handle: Option<&str>,
    ) -> Result<Option<Removal>, ProviderError> {
        let folder = self.calendar_of(person).await?;
        let client = self.exchange.client();
        let Some(entry) = client
            .folder_permission_of(token, &folder, with)
            .await
            .map_err(exchange_failure)?
        else {
            return Ok(None);
        };
        if folder_rank(&entry) < level_rank(level) {
            return Ok(Some(Removal::NotThere));
        }
        if above_level(folder_rank(&entry), level) {
            return Ok(Some(Removal::Superseded));
        }
        let answer = match put_back(level, handle) {
            None => client.remove_folder_permission(token, &folder, with).await,
            Some(Raised { rights, .. }) => {
                client
                    .set_folder_permission(token, &folder, with, rights)
                    .await
            }
        }
        .map_err(exchange_failure)?;
        tracing::debug!(call = %call_id(&answer), "calendar share lowered by an admin");
        Ok(match answer.value {
            Outcome::NotThere => None,
            Outcome::Done | Outcome::AlreadyThere => Some(Removal::Removed),
        })
    }

    async fn remove_rule(
        &self,
        token: &DelegatedToken,
        to: &str,
        handle: Option<&str>,
    ) -> Result<Option<Removal>, ProviderError> {
        let Some(rule) = self.my_rule(token, to, handle).await? else {
            return Ok(None);
        };
        self.graph
            .delete_message_rule(token, &rule.id)
            .await
            .map_err(graph_failure)?;
        Ok(Some(Removal::Removed))
    }

    async fn remove_rule_as_admin(
        &self,
        token: &DelegatedToken,
        person: &str,
        to: &str,
    ) -> Result<Option<Removal>, ProviderError> {
        let mailbox = self.exchange.upn(person).await?;
        let client = self.exchange.client();
        let rules = client
            .inbox_rules(token, &mailbox)
            .await
            .map_err(exchange_failure)?;
        let Some(rule) = rules.value.iter().find(|rule| is_forward_rule(rule, to)) else {
            return Ok(None);
        };
        let identity = rule.identity.as_deref().unwrap_or(&rule.name);
        let answer = client
            .remove_inbox_rule(token, &mailbox, identity)
            .await
            .map_err(exchange_failure)?;
        Ok(match answer.value {
            Outcome::NotThere => None,
            Outcome::Done | Outcome::AlreadyThere => Some(Removal::Removed),
        })
    }

    async fn read(&self, step: &Step, person: &str) -> Result<bool, ProviderError> {
        let reader = self.exchange.reader().await?;
        let client = self.exchange.client();
        match step {
            Step::CalendarShare { with, level } => {
                let folder = self.calendar_of(person).await?;
                let entry = client
                    .folder_permission_of(&reader, &folder, with)
                    .await
                    .map_err(exchange_failure)?;
                Ok(entry.is_some_and(|entry| folder_rank(&entry) >= level_rank(*level)))
            }
            Step::MailForward { to } => {
                let mailbox = self.exchange.upn(person).await?;
                let rules = client
                    .inbox_rules(&reader, &mailbox)
                    .await
                    .map_err(exchange_failure)?;
                Ok(rules.value.iter().any(|rule| is_forward_rule(rule, to)))
            }
            other => Err(ProviderError::unsupported(other)),
        }
    }
}

impl Provider for MailProvider {
    fn carries(&self, step: &Step) -> bool {
        step.is_self_service()
    }

    fn write<'a>(&'a self, to: Write<'a>) -> BoxFuture<'a, Result<Written, ProviderError>> {
        Box::pin(async move {
            match to.step {
                Step::CalendarShare { with, level } => {
                    self.write_share(to.token, with, *level).await
                }
                Step::MailForward { to: address } => self.write_rule(to.token, address).await,
                other => Err(ProviderError::unsupported(other)),
            }
        })
    }

    fn present<'a>(
        &'a self,
        step: &'a Step,
        person: &'a str,
    ) -> BoxFuture<'a, Result<bool, ProviderError>> {
        Box::pin(self.read(step, person))
    }

    fn remove<'a>(&'a self, from: Remove<'a>) -> BoxFuture<'a, Result<Removal, ProviderError>> {
        Box::pin(async move {
            let found = match (from.step, from.service) {
                (Step::CalendarShare { with, level }, Service::Graph) => {
                    self.remove_share(from.token, with, *level, from.handle)
                        .await?
                }
                (Step::CalendarShare { with, level }, Service::Exchange) => {
                    self.remove_share_as_admin(from.token, from.person, with, *level, from.handle)
                        .await?
                }
                (Step::MailForward { to }, Service::Graph) => {
                    self.remove_rule(from.token, to, from.handle).await?
                }
                (Step::MailForward { to }, Service::Exchange) => {
                    self.remove_rule_as_admin(from.token, from.person, to)
                        .await?
                }
                (other, _) => return Err(ProviderError::unsupported(other)),
            };
            // Written moments ago, a share or rule may not show to every read yet.
            Ok(found.unwrap_or_else(|| Removal::unseen(from.settled)))
        })
    }
}

/// Graph's role for a level Doorman shares at.
fn share_role(level: Access) -> Result<CalendarShareRole, ProviderError> {
    match level {
        Access::FreeBusy => Ok(CalendarShareRole::FreeBusyRead),
        Access::Read => Ok(CalendarShareRole::Read),
        Access::Write => Ok(CalendarShareRole::Write),
        other => Err(ProviderError {
            message: format!("{} is not a calendar level", other.label()),
            refused: true,
            request_id: None,
        }),
    }
}

/// A role a share is set back to, as Graph and Exchange name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Raised {
    role: CalendarShareRole,
    rights: &'static str,
}

impl Raised {
    const FREE_BUSY: Raised = Raised {
        role: CalendarShareRole::FreeBusyRead,
        rights: "AvailabilityOnly",
    };
    const LIMITED: Raised = Raised {
        role: CalendarShareRole::LimitedRead,
        rights: "LimitedDetails",
    };
    const READ: Raised = Raised {
        role: CalendarShareRole::Read,
        rights: "Reviewer",
    };

    /// The role a share had before a level raised it, when it is one a share can be set back
    /// to.
    fn from(role: Option<CalendarRole>) -> Option<Raised> {
        match role {
            Some(CalendarRole::FreeBusyRead) => Some(Raised::FREE_BUSY),
            Some(CalendarRole::LimitedRead) => Some(Raised::LIMITED),
            Some(CalendarRole::Read) => Some(Raised::READ),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        self.rights
    }

    fn named(name: &str) -> Option<Raised> {
        [Raised::FREE_BUSY, Raised::LIMITED, Raised::READ]
            .into_iter()
            .find(|raised| raised.rights == name)
    }

    fn rank(self) -> u8 {
        match self.role {
            CalendarShareRole::FreeBusyRead => 1,
            CalendarShareRole::LimitedRead => 2,
            _ => 3,
        }
    }

    /// A write's handle: the share's id, and what it was raised from.
    fn handle(raised: Option<Raised>, id: &str) -> String {
        match raised {
            Some(raised) => format!("{id} {}", raised.name()),
            None => id.to_owned(),
        }
    }
}

/// What taking `level` away sets the share back to: the role the write raised it from (its
/// handle says) when that is below the level, else the level below; `None` below the lowest
/// (the share goes).
fn put_back(level: Access, handle: Option<&str>) -> Option<Raised> {
    let below = match level {
        Access::Write => Some(Raised::READ),
        Access::Read => Some(Raised::FREE_BUSY),
        _ => None,
    }?;
    let before = handle
        .and_then(|handle| handle.split_once(' '))
        .and_then(|(_, name)| Raised::named(name))
        .filter(|before| before.rank() < level_rank(level) && before.rank() >= below.rank());
    Some(before.unwrap_or(below))
}

/// How much of a calendar a level shows, on one scale with the roles below.
fn level_rank(level: Access) -> u8 {
    match level {
        Access::FreeBusy => 1,
        Access::Read => 3,
        Access::Write => 4,
        _ => u8::MAX,
    }
}

/// Whether a share showing `rank` shows the level above `level` too: taking `level` away
/// must not take that away.
fn above_level(rank: u8, level: Access) -> bool {
    match level {
        Access::FreeBusy => rank >= level_rank(Access::Read),
        Access::Read => rank >= level_rank(Access::Write),
        _ => false,
    }
}

/// How much of a calendar a Graph role shows: free/busy, then titles and locations
/// (`limitedRead`), then everything, then edit (delegates too).
fn graph_rank(role: Option<CalendarRole>) -> u8 {
    match role {
        Some(CalendarRole::FreeBusyRead) => 1,
        Some(CalendarRole::LimitedRead) => 2,
        Some(CalendarRole::Read) => 3,
        Some(
            CalendarRole::Write
            | CalendarRole::DelegateWithoutPrivateEventAccess
            | CalendarRole::DelegateWithPrivateEventAccess,
        ) => 4,
        // `none`, `custom` and roles Graph added later show nothing Doorman can vouch for.
        _ => 0,
    }
}

/// The same for Exchange's folder roles and rights.
fn folder_rank(entry: &FolderPermission) -> u8 {
    entry
        .access_rights
        .iter()
        .map(|right| match right.to_ascii_lowercase().as_str() {
            "availabilityonly" => 1,
            "limiteddetails" => 2,
            "reviewer" | "readitems" | "author" | "noneditingauthor" | "publishingauthor" => 3,
            "editor" | "publishingeditor" | "owner" => 4,
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

/// Whether `rule` is Doorman's forwarding rule to `to`.
/// Exchange prints each recipient as `"Name" [SMTP:address]`.
fn is_forward_rule(rule: &InboxRule, to: &str) -> bool {
    let recipient = format!("[smtp:{}]", to.to_lowercase());
    rule.name.eq_ignore_ascii_case(&forward_rule_name(to))
        && rule
            .forward_to
            .iter()
            .any(|printed| printed.to_lowercase().contains(&recipient))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_taken_away_puts_back_what_it_was_raised_from_or_the_level_below() {
        // Raised from nothing a share could be set back to: the level below, or gone.
        assert_eq!(put_back(Access::Write, Some("id")), Some(Raised::READ));
        assert_eq!(put_back(Access::Read, None), Some(Raised::FREE_BUSY));
        assert_eq!(
            put_back(Access::FreeBusy, Some("id AvailabilityOnly")),
            None
        );
        // Raised from titles and locations only: that comes back, not free/busy.
        assert_eq!(
            put_back(Access::Read, Some("id LimitedDetails")),
            Some(Raised::LIMITED)
        );
        // A handle never lifts a share above the level below the one taken away.
        assert_eq!(
            put_back(Access::Read, Some("id Reviewer")),
            Some(Raised::FREE_BUSY)
        );
        assert_eq!(
            put_back(Access::Write, Some("id Reviewer")),
            Some(Raised::READ)
        );
        assert_eq!(
            put_back(Access::Write, Some("id LimitedDetails")),
            Some(Raised::READ)
        );
        assert_eq!(
            put_back(Access::Read, Some("id Owner")),
            Some(Raised::FREE_BUSY)
        );
    }

    #[test]
    fn only_doormans_rule_forwarding_where_it_was_made_to_is_doormans() {
        let rule = |name: &str, to: &str| InboxRule {
            name: name.to_owned(),
            identity: None,
            rule_identity: None,
            enabled: Some(true),
            forward_to: vec![format!("\"Someone\" [SMTP:{to}]")],
            forward_as_attachment_to: Vec::new(),
            redirect_to: Vec::new(),
        };
        let to = "maria.garcia@contoso.com";
        let name = forward_rule_name(to);
        assert!(is_forward_rule(
            &rule(&name, "Maria.Garcia@contoso.com"),
            to
        ));
        assert!(!is_forward_rule(&rule(&name, "bob@evil.io"), to));
        assert!(!is_forward_rule(&rule("Forward to Maria", to), to));
    }

    #[test]
    fn a_write_handle_names_the_share_and_what_it_was_raised_from() {
        let handle = Raised::handle(Raised::from(Some(CalendarRole::LimitedRead)), "AAMk=");
        assert_eq!(handle, "AAMk= LimitedDetails");
        assert_eq!(
            Raised::handle(Raised::from(Some(CalendarRole::Write)), "AAMk="),
            "AAMk="
        );
        assert_eq!(Raised::handle(Raised::from(None), "AAMk="), "AAMk=");
    }
}
