//! What Exchange holds beside Graph's objects: who may open, send as or send on behalf of a
//! mailbox, the membership of lists (in [`Group::members`], so Graph sees Exchange's changes),
//! e-mail addresses (`proxyAddresses`, a Graph property), and removals that still show while
//! replication lag is in force.
//!
//! Additions are [`Link`]s whose `visible_at` hides them from reads until the lag has passed, as
//! for Graph; a removal takes effect at once in the tenant, but Exchange's `Get-*` cmdlets keep
//! seeing it as a [`Lingering`] relation until the lag has passed. Nothing here checks who may
//! change what: that is the Exchange API's job.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Directory, Group, GroupKind, Link, User};

/// Who may use a mailbox besides its owner, by user id.
#[derive(Debug, Clone, Default)]
pub struct Delegates {
    /// `FullAccess` (Add-MailboxPermission).
    pub full_access: Vec<Link>,
    /// `SendAs` (Add-RecipientPermission).
    pub send_as: Vec<Link>,
    /// `GrantSendOnBehalfTo` (Set-Mailbox).
    pub send_on_behalf: Vec<Link>,
}

/// Which Exchange-held relation between an object (the holder) and a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// A member of a list (distribution list or mail-enabled security group).
    ListMember,
    FullAccess,
    SendAs,
    SendOnBehalf,
}

/// A relation removed while replication lag was in force: reads still see it until `until`.
#[derive(Debug, Clone)]
pub struct Lingering {
    pub holder: String,
    pub relation: Relation,
    pub user_id: String,
    pub until: Instant,
}

/// What a mail-enabled object starts with when the tenant file gives no `proxyAddresses`: its
/// primary address, marked primary by the upper-case `SMTP:` prefix.
pub fn default_proxy_addresses(mail: Option<&str>) -> Value {
    match mail {
        Some(mail) if !mail.is_empty() => json!([format!("SMTP:{mail}")]),
        _ => json!([]),
    }
}

impl Group {
    /// A distribution list or mail-enabled security group: Exchange holds its membership and
    /// its owners (`ManagedBy`), and Graph may not change either.
    pub fn is_list(&self) -> bool {
        matches!(
            self.kind(),
            GroupKind::Distribution | GroupKind::MailEnabledSecurity
        )
    }
}

impl User {
    /// The primary SMTP address: `mail`, or the user principal name when there is none.
    pub fn primary_smtp(&self) -> &str {
        self.props
            .get("mail")
            .and_then(Value::as_str)
            .filter(|mail| !mail.is_empty())
            .unwrap_or(&self.upn)
    }

    /// How Exchange names the recipient (its `Name`, as `ManagedBy` lists show it).
    pub fn exchange_name(&self) -> &str {
        self.props
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or(&self.upn)
    }

    fn delegates_for(&self, relation: Relation) -> Option<&Vec<Link>> {
        match relation {
            Relation::ListMember => None,
            Relation::FullAccess => Some(&self.delegates.full_access),
            Relation::SendAs => Some(&self.delegates.send_as),
            Relation::SendOnBehalf => Some(&self.delegates.send_on_behalf),
        }
    }

    fn delegates_for_mut(&mut self, relation: Relation) -> Option<&mut Vec<Link>> {
        match relation {
            Relation::ListMember => None,
            Relation::FullAccess => Some(&mut self.delegates.full_access),
            Relation::SendAs => Some(&mut self.delegates.send_as),
            Relation::SendOnBehalf => Some(&mut self.delegates.send_on_behalf),
        }
    }
}

/// The string values of a JSON array (an absent or malformed one has none).
pub(crate) fn strings_of(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl Directory {
    /// The links of `relation` on the object `holder` (a group for list members, a mailbox
    /// otherwise), all of them, visible yet or not.
    pub fn relation(&self, holder: &str, relation: Relation) -> Option<&Vec<Link>> {
        match relation {
            Relation::ListMember => self.group(holder).map(|group| &group.members),
            _ => self
                .user(holder)
                .and_then(|user| user.delegates_for(relation)),
        }
    }

    fn relation_mut(&mut self, holder: &str, relation: Relation) -> Option<&mut Vec<Link>> {
        match relation {
            Relation::ListMember => self.group_mut(holder).map(|group| &mut group.members),
            _ => self
                .user_mut(holder)
                .and_then(|user| user.delegates_for_mut(relation)),
        }
    }

    /// Whether `user_id` holds `relation` on `holder` in the tenant now (whatever reads see).
    pub fn holds(&self, holder: &str, relation: Relation, user_id: &str) -> bool {
        self.relation(holder, relation).is_some_and(|links| {
            links
                .iter()
                .any(|link| link.id.eq_ignore_ascii_case(user_id))
        })
    }

    /// The user ids a read at `now` sees: links already visible, and removals still lingering.
    pub fn visible_relation(&self, holder: &str, relation: Relation, now: Instant) -> Vec<String> {
        let mut ids: Vec<String> = self
            .relation(holder, relation)
            .map(|links| {
                links
                    .iter()
                    .filter(|link| link.is_visible(now))
                    .map(|link| link.id.clone())
                    .collect()
            })
            .unwrap_or_default();
        for lingering in &self.lingering {
            let same = lingering.holder.eq_ignore_ascii_case(holder)
                && lingering.relation == relation
                && lingering.until > now;
            if same
                && !ids
                    .iter()
                    .any(|id| id.eq_ignore_ascii_case(&lingering.user_id))
            {
                ids.push(lingering.user_id.clone());
            }
        }
        ids
    }

    /// Adds `user_id` to `relation` on `holder`, seen by reads from `visible_at`; false when it
    /// is already there (or the holder does not exist).
    pub fn add_relation(
        &mut self,
        holder: &str,
        relation: Relation,
        user_id: &str,
        visible_at: Instant,
    ) -> bool {
        if self.holds(holder, relation, user_id) {
            return false;
        }
        // A removal that still lingers is superseded by the new link.
        self.lingering.retain(|lingering| {
            !(lingering.holder.eq_ignore_ascii_case(holder)
                && lingering.relation == relation
                && lingering.user_id.eq_ignore_ascii_case(user_id))
        });
        match self.relation_mut(holder, relation) {
            Some(links) => {
                links.push(Link {
                    id: user_id.to_owned(),
                    visible_at,
                });
                true
            }
            None => false,
        }
    }

    /// Removes `user_id` from `relation` on `holder` at `now`; false when it was not there. A
    /// removal of something reads could see lingers for `lag`.
    pub fn remove_relation(
        &mut self,
        holder: &str,
        relation: Relation,
        user_id: &str,
        now: Instant,
        lag: Duration,
    ) -> bool {
        let Some(links) = self.relation_mut(holder, relation) else {
            return false;
        };
        let Some(at) = links
            .iter()
            .position(|link| link.id.eq_ignore_ascii_case(user_id))
        else {
            return false;
        };
        let removed = links.remove(at);
        self.lingering.retain(|lingering| lingering.until > now);
        if removed.is_visible(now) && !lag.is_zero() {
            self.lingering.push(Lingering {
                holder: holder.to_owned(),
                relation,
                user_id: removed.id,
                until: now + lag,
            });
        }
        true
    }

    /// The user or group holding `address` among its `proxyAddresses` (or as its `mail` or user
    /// principal name), if any: addresses are unique in a tenant.
    pub fn address_holder(&self, address: &str) -> Option<AddressHolder<'_>> {
        let holds = |props: &super::Props| {
            props
                .get("mail")
                .and_then(Value::as_str)
                .is_some_and(|mail| mail.eq_ignore_ascii_case(address))
                || strings_of(props.get("proxyAddresses")).iter().any(|proxy| {
                    proxy
                        .split_once(':')
                        .is_some_and(|(_, held)| held.eq_ignore_ascii_case(address))
                })
        };
        self.users
            .iter()
            .find(|user| user.upn.eq_ignore_ascii_case(address) || holds(&user.props))
            .map(AddressHolder::User)
            .or_else(|| {
                self.groups
                    .iter()
                    .find(|group| holds(&group.props))
                    .map(AddressHolder::Group)
            })
    }
}

/// One of the tenant's domains: all are verified (and accepted by Exchange).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub name: String,
    /// The tenant block's `domain`: new addresses get it by default.
    pub is_default: bool,
}

impl Directory {
    /// The tenant's domains: the tenant block's `domain`, then any its `domains` list names (as
    /// names, or objects with an `id`), each once.
    pub fn domains(&self) -> Vec<Domain> {
        let mut domains = vec![Domain {
            name: self.tenant.domain.clone(),
            is_default: true,
        }];
        let listed = self
            .tenant
            .raw
            .get("domains")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.as_str().or_else(|| entry.get("id")?.as_str()));
        for name in listed {
            if !domains
                .iter()
                .any(|known| known.name.eq_ignore_ascii_case(name))
            {
                domains.push(Domain {
                    name: name.to_owned(),
                    is_default: false,
                });
            }
        }
        domains
    }
}

/// Who holds an address.
#[derive(Debug, Clone, Copy)]
pub enum AddressHolder<'d> {
    User(&'d User),
    Group(&'d Group),
}
