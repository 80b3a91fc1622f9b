//! Calendar permissions, inbox rules and mailbox settings.
//!
//! Owns the Exchange-backed shapes Graph exposes to a mailbox owner. Must not: describe mailbox
//! (SMTP) forwarding, Full Access or Send As: those are Exchange settings Graph does not show.

use serde::Deserialize;

/// Who a calendar is shared with, and how.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CalendarPermission {
    pub id: String,
    /// The share's recipient; "My Organization" (the default share) has a name and no address.
    pub email_address: Option<EmailAddress>,
    pub role: Option<CalendarRole>,
    pub allowed_roles: Option<Vec<CalendarRole>>,
    /// `false` for the organization-wide default share, which can only be changed.
    pub is_removable: Option<bool>,
    pub is_inside_organization: Option<bool>,
}

/// Graph's `calendarRoleType`, as it appears in answers.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum CalendarRole {
    #[serde(rename = "none")]
    NoAccess,
    FreeBusyRead,
    LimitedRead,
    Read,
    Write,
    DelegateWithoutPrivateEventAccess,
    DelegateWithPrivateEventAccess,
    Custom,
    /// A member Graph added after this model was written.
    #[serde(other)]
    Unrecognised,
}

/// A name and an address.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EmailAddress {
    pub name: Option<String>,
    pub address: Option<String>,
}

/// A message recipient: `{"emailAddress": {...}}`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    pub email_address: Option<EmailAddress>,
}

/// An inbox rule.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MessageRule {
    pub id: String,
    pub display_name: Option<String>,
    pub sequence: Option<i32>,
    pub is_enabled: Option<bool>,
    pub has_error: Option<bool>,
    pub is_read_only: Option<bool>,
    pub conditions: Option<MessageRulePredicates>,
    pub actions: Option<MessageRuleActions>,
}

/// The conditions of an inbox rule that Doorman looks at; a rule with none applies to every
/// message.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MessageRulePredicates {
    pub sender_contains: Option<Vec<String>>,
    pub subject_contains: Option<Vec<String>>,
    pub body_contains: Option<Vec<String>>,
    pub from_addresses: Option<Vec<Recipient>>,
    pub sent_to_addresses: Option<Vec<Recipient>>,
}

/// What an inbox rule does; the forwarding actions are the ones Doorman audits.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MessageRuleActions {
    pub forward_to: Option<Vec<Recipient>>,
    pub forward_as_attachment_to: Option<Vec<Recipient>>,
    pub redirect_to: Option<Vec<Recipient>>,
    pub stop_processing_rules: Option<bool>,
    pub delete: Option<bool>,
    pub move_to_folder: Option<String>,
}

/// A mailbox's settings. There are no forwarding fields here: SMTP forwarding is an Exchange
/// `Set-Mailbox` setting.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MailboxSettings {
    /// Whether this is a person's, shared, room or equipment mailbox (read-only).
    pub user_purpose: Option<UserPurpose>,
    pub time_zone: Option<String>,
    pub language: Option<LocaleInfo>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    pub working_hours: Option<WorkingHours>,
    pub automatic_replies_setting: Option<AutomaticRepliesSetting>,
    pub delegate_meeting_message_delivery_options: Option<String>,
}

/// Graph's `userPurpose`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum UserPurpose {
    User,
    Linked,
    Shared,
    Room,
    Equipment,
    Others,
    UnknownFutureValue,
    /// A member Graph added after this model was written.
    #[serde(other)]
    Unrecognised,
}

/// A locale and its display name.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LocaleInfo {
    pub locale: Option<String>,
    pub display_name: Option<String>,
}

/// The days and hours a mailbox owner works.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WorkingHours {
    pub days_of_week: Option<Vec<String>>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub time_zone: Option<TimeZoneBase>,
}

/// A time zone by name (a `customTimeZone` adds offsets, which are not modelled).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TimeZoneBase {
    pub name: Option<String>,
}

/// Out-of-office settings. Status and audience are kept as text: they are shown, not acted on.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AutomaticRepliesSetting {
    pub status: Option<String>,
    pub external_audience: Option<String>,
    pub internal_reply_message: Option<String>,
    pub external_reply_message: Option<String>,
}
