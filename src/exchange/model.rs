//! What Exchange's cmdlets answer, as far as Doorman reads it.
//!
//! Owns the models and the one rule for comparing the names Exchange gives people
//! ([`same_identity`]). Exchange names a person by UPN in some properties (`User` of
//! `Get-MailboxPermission`, `Trustee`) and by name or display name in others
//! (`GrantSendOnBehalfTo`, `ManagedBy`), so models keep what it said, and [`Recipient::is_named`]
//! tells whether a said name is a given person. Must not: rewrite what
//! Exchange said, or compare names any other way.

use serde::Deserialize;

use super::wire;

/// The account Exchange lists on every mailbox's own permissions; never a grant of Doorman's.
pub const SELF_PRINCIPAL: &str = "NT AUTHORITY\\SELF";

/// Whether two identities are the same as Exchange compares them: case-insensitively, ignoring
/// surrounding spaces.
pub fn same_identity(said: &str, identity: &str) -> bool {
    said.trim().to_lowercase() == identity.trim().to_lowercase()
}

/// One entry of `Get-MailboxPermission`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MailboxPermission {
    /// Who holds the entry, as Exchange names them (usually the UPN).
    #[serde(deserialize_with = "wire::text")]
    pub user: String,
    #[serde(default, deserialize_with = "wire::flags")]
    pub access_rights: Vec<String>,
    #[serde(default, deserialize_with = "wire::flag")]
    pub is_inherited: bool,
    #[serde(default, deserialize_with = "wire::flag")]
    pub deny: bool,
}

/// One entry of `Get-RecipientPermission`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecipientPermission {
    /// Who holds the entry, as Exchange names them (usually the UPN).
    #[serde(deserialize_with = "wire::text")]
    pub trustee: String,
    #[serde(default, deserialize_with = "wire::flags")]
    pub access_rights: Vec<String>,
    #[serde(default, deserialize_with = "wire::flag")]
    pub is_inherited: bool,
    /// `Allow` or `Deny`.
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub access_control_type: Option<String>,
}

/// A mailbox, from `Get-Mailbox`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Mailbox {
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub display_name: Option<String>,
    #[serde(deserialize_with = "wire::text")]
    pub primary_smtp_address: String,
    /// Proxy addresses with their prefix: `SMTP:` for the primary, `smtp:` for secondaries, and
    /// other types (`SIP:`, `X500:`).
    #[serde(default, deserialize_with = "wire::list")]
    pub email_addresses: Vec<String>,
    /// The delegates, as Exchange names them (names or display names, not UPNs).
    #[serde(default, deserialize_with = "wire::list")]
    pub grant_send_on_behalf_to: Vec<String>,
    /// `UserMailbox`, `SharedMailbox`, ...
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub recipient_type_details: Option<String>,
    /// The Entra object id of the mailbox's user.
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub external_directory_object_id: Option<String>,
}

/// A recipient (`Get-Recipient`), or a list's member (`Get-DistributionGroupMember`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recipient {
    /// Exchange's name of the object, which other objects use to refer to it.
    #[serde(deserialize_with = "wire::text")]
    pub name: String,
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub alias: Option<String>,
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub identity: Option<String>,
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub primary_smtp_address: Option<String>,
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub external_directory_object_id: Option<String>,
    /// `UserMailbox`, `MailUniversalDistributionGroup`, `MailUniversalSecurityGroup`, ...
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub recipient_type_details: Option<String>,
}

/// A distribution list or mail-enabled security group, from `Get-DistributionGroup`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DistributionGroup {
    #[serde(deserialize_with = "wire::text")]
    pub name: String,
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub primary_smtp_address: Option<String>,
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub external_directory_object_id: Option<String>,
    /// The owners, as Exchange names them; resolve each with `Get-Recipient`.
    #[serde(default, deserialize_with = "wire::list")]
    pub managed_by: Vec<String>,
}

/// One entry of `Get-MailboxFolderPermission`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FolderPermission {
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub folder_name: Option<String>,
    /// Who holds the entry, as Exchange names them (a display name, `Default` or `Anonymous`).
    #[serde(deserialize_with = "wire::text")]
    pub user: String,
    #[serde(default, deserialize_with = "wire::flags")]
    pub access_rights: Vec<String>,
}

/// An inbox rule, from `Get-InboxRule`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InboxRule {
    #[serde(deserialize_with = "wire::text")]
    pub name: String,
    /// The rule's identity (`mailbox\id`), which `Remove-InboxRule` accepts.
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub identity: Option<String>,
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub rule_identity: Option<String>,
    #[serde(default, deserialize_with = "wire::optional_flag")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "wire::list")]
    pub forward_to: Vec<String>,
    #[serde(default, deserialize_with = "wire::list")]
    pub forward_as_attachment_to: Vec<String>,
    #[serde(default, deserialize_with = "wire::list")]
    pub redirect_to: Vec<String>,
}

/// A domain the tenant accepts mail for, from `Get-AcceptedDomain`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AcceptedDomain {
    #[serde(deserialize_with = "wire::text")]
    pub domain_name: String,
    /// `Authoritative`, `InternalRelay` or `ExternalRelay`.
    #[serde(default, deserialize_with = "wire::optional_text")]
    pub domain_type: Option<String>,
    #[serde(default, deserialize_with = "wire::flag")]
    pub default: bool,
}

impl MailboxPermission {
    /// Whether this is an explicit, allowing Full Access entry of someone other than the
    /// mailbox itself: inherited entries (admins' rights from the organization), denials and
    /// `NT AUTHORITY\SELF` are not grants Doorman made or could remove.
    pub fn grants_full_access(&self) -> bool {
        !self.is_inherited
            && !self.deny
            && holds_right(&self.access_rights, "FullAccess")
            && !same_identity(&self.user, SELF_PRINCIPAL)
    }
}

impl RecipientPermission {
    /// Whether this is an explicit, allowing Send As entry of someone other than the mailbox.
    pub fn grants_send_as(&self) -> bool {
        !self.is_inherited
            && !self
                .access_control_type
                .as_deref()
                .is_some_and(|kind| same_identity(kind, "Deny"))
            && holds_right(&self.access_rights, "SendAs")
            && !same_identity(&self.trustee, SELF_PRINCIPAL)
    }
}

impl Mailbox {
    /// Every SMTP address, primary first as Exchange lists them, without the prefix.
    pub fn smtp_addresses(&self) -> impl Iterator<Item = &str> {
        self.email_addresses.iter().filter_map(|address| {
            let (kind, value) = address.split_once(':')?;
            kind.eq_ignore_ascii_case("smtp").then_some(value)
        })
    }

    /// The secondary SMTP addresses (`smtp:`), without the prefix.
    pub fn secondary_smtp_addresses(&self) -> impl Iterator<Item = &str> {
        self.email_addresses
            .iter()
            .filter_map(|address| address.strip_prefix("smtp:"))
    }

    /// Whether `address` is one of the mailbox's SMTP addresses, primary or secondary.
    pub fn holds_address(&self, address: &str) -> bool {
        same_identity(&self.primary_smtp_address, address)
            || self
                .smtp_addresses()
                .any(|held| same_identity(held, address))
    }

    /// Whether `person` is one of the Send on Behalf delegates, whichever name Exchange used.
    pub fn grants_send_on_behalf_to(&self, person: &Recipient) -> bool {
        self.grant_send_on_behalf_to
            .iter()
            .any(|said| person.is_named(said))
    }
}

impl Recipient {
    /// Whether `said` (a name Exchange gave in another object's property) names this recipient:
    /// its name, alias, identity, primary address or directory object id. Not its display name:
    /// two people may share one, and a read-back must not take another's grant for theirs.
    pub fn is_named(&self, said: &str) -> bool {
        [
            Some(self.name.as_str()),
            self.alias.as_deref(),
            self.identity.as_deref(),
            self.primary_smtp_address.as_deref(),
            self.external_directory_object_id.as_deref(),
        ]
        .into_iter()
        .flatten()
        .any(|name| same_identity(said, name))
    }
}

fn holds_right(rights: &[String], right: &str) -> bool {
    rights.iter().any(|held| same_identity(held, right))
}
