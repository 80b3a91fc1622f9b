//! Mailbox operations: calendar sharing, inbox forwarding rules, and mailbox settings.
//!
//! Owns the `/me/calendar/calendarPermissions`, `/me/mailFolders/inbox/messageRules` and
//! `mailboxSettings` paths. Calendar shares and inbox rules are managed by the mailbox owner,
//! so those operations act on `/me` with the owner's token. Must not: replay a create that may
//! already have been carried out (a second share or rule would be created), or write with
//! anything but a person's token.

use serde::Serialize;
use serde_json::json;

use super::client::{Access, GraphClient, GraphRequest, Graphed};
use super::error::GraphError;
use super::model::{CalendarPermission, MailboxSettings, MessageRule, ODataValue, UserPurpose};
use super::path::{encode_key, user_path};
use super::token::{Bearer, DelegatedToken};

/// The calendar access a share may grant (Graph's `calendarRoleType` without `none` and
/// `custom`, which are not granted through Graph).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CalendarShareRole {
    FreeBusyRead,
    LimitedRead,
    Read,
    Write,
    DelegateWithoutPrivateEventAccess,
    DelegateWithPrivateEventAccess,
}

impl GraphClient {
    /// Who the signed-in person's calendar is shared with, every page:
    /// `GET /me/calendar/calendarPermissions`. Only the owner sees the shares. Graph page: "List
    /// calendarPermissions" (calendar-list-calendarpermissions). Least delegated scope:
    /// `Calendars.Read`.
    pub async fn calendar_permissions(
        &self,
        token: &DelegatedToken,
    ) -> Result<Graphed<Vec<CalendarPermission>>, GraphError> {
        let request = GraphRequest::get("/me/calendar/calendarPermissions".to_owned());
        self.list_all(Access::Read(Bearer::Delegated(token)), request)
            .await
    }

    /// Shares the signed-in person's calendar with `email_address`:
    /// `POST /me/calendar/calendarPermissions` with `{"emailAddress": {"address": ...}, "role":
    /// ...}`. Not retried after it may have reached Graph. Graph page: "Create calendarPermission"
    /// (calendar-post-calendarpermissions). Least delegated scope: `Calendars.ReadWrite`.
    pub async fn create_calendar_permission(
        &self,
        token: &DelegatedToken,
        email_address: &str,
        role: CalendarShareRole,
    ) -> Result<Graphed<CalendarPermission>, GraphError> {
        let body = json!({
            "emailAddress": { "address": email_address },
            "role": role,
        });
        let request = GraphRequest::post("/me/calendar/calendarPermissions".to_owned(), Some(body))
            .creating_a_new_object();
        self.call_json(Access::Write(token), request).await
    }

    /// Changes the role of a calendar share: `PATCH /me/calendar/calendarPermissions/{id}` with
    /// `{"role": ...}`. Setting the same role again changes nothing, so a retry is safe. Graph
    /// page: "Update calendarPermission" (calendarpermission-update). Least delegated scope:
    /// `Calendars.ReadWrite`.
    pub async fn update_calendar_permission(
        &self,
        token: &DelegatedToken,
        permission_id: &str,
        role: CalendarShareRole,
    ) -> Result<Graphed<CalendarPermission>, GraphError> {
        let request = GraphRequest::patch(
            format!(
                "/me/calendar/calendarPermissions/{}",
                encode_key(permission_id)?
            ),
            json!({ "role": role }),
        );
        self.call_json(Access::Write(token), request).await
    }

    /// Removes a calendar share: `DELETE /me/calendar/calendarPermissions/{id}`. The
    /// organization-wide default share is not removable. Graph page: "Delete calendarPermission"
    /// (calendarpermission-delete). Least delegated scope: `Calendars.ReadWrite`.
    pub async fn delete_calendar_permission(
        &self,
        token: &DelegatedToken,
        permission_id: &str,
    ) -> Result<Graphed<()>, GraphError> {
        let request = GraphRequest::delete(format!(
            "/me/calendar/calendarPermissions/{}",
            encode_key(permission_id)?
        ));
        self.call_without_answer(Access::Write(token), request)
            .await
    }

    /// The signed-in person's inbox rules, every page:
    /// `GET /me/mailFolders/inbox/messageRules`. Graph page: "List rules"
    /// (mailfolder-list-messagerules). Least delegated scope: `MailboxSettings.Read`.
    pub async fn message_rules(
        &self,
        token: &DelegatedToken,
    ) -> Result<Graphed<Vec<MessageRule>>, GraphError> {
        let request = GraphRequest::get("/me/mailFolders/inbox/messageRules".to_owned());
        self.list_all(Access::Read(Bearer::Delegated(token)), request)
            .await
    }

    /// Creates an inbox rule that forwards every message to `forward_to_address`:
    /// `POST /me/mailFolders/inbox/messageRules`, first in sequence, enabled, later rules still
    /// applied. Forwarding outside the organization is blocked by default by the outbound spam
    /// policy and then bounces (5.7.520). Not retried after it may have reached Graph. Graph
    /// page: "Create rule" (mailfolder-post-messagerules). Least delegated scope:
    /// `MailboxSettings.ReadWrite`.
    pub async fn create_forward_rule(
        &self,
        token: &DelegatedToken,
        display_name: &str,
        forward_to_address: &str,
    ) -> Result<Graphed<MessageRule>, GraphError> {
        let body = json!({
            "displayName": display_name,
            "sequence": 1,
            "isEnabled": true,
            "actions": {
                "forwardTo": [ { "emailAddress": { "address": forward_to_address } } ],
                "stopProcessingRules": false,
            },
        });
        let request =
            GraphRequest::post("/me/mailFolders/inbox/messageRules".to_owned(), Some(body))
                .creating_a_new_object();
        self.call_json(Access::Write(token), request).await
    }

    /// Deletes an inbox rule: `DELETE /me/mailFolders/inbox/messageRules/{id}`. Graph page:
    /// "Delete messageRule" (messagerule-delete). Least delegated scope:
    /// `MailboxSettings.ReadWrite`.
    pub async fn delete_message_rule(
        &self,
        token: &DelegatedToken,
        rule_id: &str,
    ) -> Result<Graphed<()>, GraphError> {
        let request = GraphRequest::delete(format!(
            "/me/mailFolders/inbox/messageRules/{}",
            encode_key(rule_id)?
        ));
        self.call_without_answer(Access::Write(token), request)
            .await
    }

    /// A mailbox's settings, including `userPurpose` (person, shared, room ...):
    /// `GET /users/{id}/mailboxSettings`. Graph page: "Get user mailbox settings"
    /// (user-get-mailboxsettings). Least delegated scope: `MailboxSettings.Read`.
    pub async fn mailbox_settings(
        &self,
        bearer: impl Into<Bearer<'_>>,
        id_or_upn: &str,
    ) -> Result<Graphed<MailboxSettings>, GraphError> {
        let request = GraphRequest::get(format!("{}/mailboxSettings", user_path(id_or_upn)?));
        self.call_json(Access::Read(bearer.into()), request).await
    }

    /// Whether a mailbox is a person's, shared, a room's ...: `GET
    /// /users/{id}/mailboxSettings/userPurpose`, answered as `{"value": "shared"}`. A user
    /// without an Exchange mailbox yields [`GraphError::NotFound`]. Graph page: "Get user
    /// mailbox settings" (user-get-mailboxsettings). Least delegated scope:
    /// `MailboxSettings.Read`; application: `MailboxSettings.Read`.
    pub async fn user_purpose(
        &self,
        bearer: impl Into<Bearer<'_>>,
        id_or_upn: &str,
    ) -> Result<Graphed<UserPurpose>, GraphError> {
        let request = GraphRequest::get(format!(
            "{}/mailboxSettings/userPurpose",
            user_path(id_or_upn)?
        ));
        let answer: Graphed<ODataValue<UserPurpose>> =
            self.call_json(Access::Read(bearer.into()), request).await?;
        Ok(answer.map(|wrapped| wrapped.value))
    }
}
