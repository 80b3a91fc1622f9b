//! Exchange through Graph: the caller's own calendar permissions and inbox rules, and mailbox
//! settings (where `userPurpose` tells a shared mailbox from a person's).
//!
//! Only a calendar's owner may list or change its permissions, and only a mailbox's owner may
//! touch its rules: a delegated token for anyone else gets Exchange's access denied.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::call::{Call, GraphErr, Outcome, Reply, Service};
use super::collection::Listing;
use super::views::Shape;
use crate::sim::directory::User;

const READ_CALENDAR: &[&str] = &["Calendars.Read", "Calendars.ReadWrite"];
const WRITE_CALENDAR: &[&str] = &["Calendars.ReadWrite"];
const READ_MAILBOX_SETTINGS: &[&str] = &["MailboxSettings.Read", "MailboxSettings.ReadWrite"];
const WRITE_MAILBOX_SETTINGS: &[&str] = &["MailboxSettings.ReadWrite"];
const CALENDAR_ROLES: &[&str] = &[
    "none",
    "freeBusyRead",
    "limitedRead",
    "read",
    "write",
    "delegateWithoutPrivateEventAccess",
    "delegateWithPrivateEventAccess",
    "custom",
];

/// The mailbox owner the route names, who must be the calling person.
fn own_mailbox<'d>(call: &'d Call<'_>, accepted: &[&str]) -> Result<&'d User, GraphErr> {
    call.require_scope(Service::Exchange, accepted)?;
    let target = call.target_user()?;
    if call.caller_id() != Some(target.id.as_str()) {
        return Err(GraphErr::forbidden(Service::Exchange));
    }
    Ok(target)
}

pub fn calendar_permissions(call: &mut Call<'_>) -> Outcome {
    let owner = own_mailbox(call, READ_CALENDAR)?;
    let permissions = owner.calendar_permissions.clone();
    call.list(permissions, Listing::SERVICE, Shape::Plain)
}

pub fn add_calendar_permission(call: &mut Call<'_>) -> Outcome {
    let owner_id = own_mailbox(call, WRITE_CALENDAR)?.id.clone();
    let body = call.body_object()?;
    let address = body
        .get("emailAddress")
        .and_then(|email| email.get("address"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            GraphErr::bad_request("ErrorInvalidRequest", "emailAddress.address is required.")
        })?;
    let role = body
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or("read")
        .to_owned();
    if !CALENDAR_ROLES.contains(&role.as_str()) {
        return Err(GraphErr::bad_request(
            "ErrorInvalidRequest",
            format!("'{role}' is not a calendar role."),
        ));
    }
    let colleague = call.dir.user_by_address(&address);
    let inside = colleague.is_some();
    let name = body
        .get("emailAddress")
        .and_then(|email| email.get("name"))
        .cloned()
        .or_else(|| colleague.and_then(|user| user.props.get("displayName").cloned()))
        .unwrap_or_else(|| json!(address));
    let id = STANDARD.encode(format!(
        "ExchangePublishedUser.{}",
        address.to_ascii_lowercase()
    ));
    let permission = json!({
        "id": id,
        "emailAddress": {"name": name, "address": address},
        "isRemovable": true,
        "isInsideOrganization": inside,
        "role": role,
        "allowedRoles": ["freeBusyRead", "limitedRead", "read", "write"],
    });
    let owner = call
        .dir
        .user_mut(&owner_id)
        .ok_or_else(|| GraphErr::not_found(Service::Exchange, &owner_id))?;
    if owner
        .calendar_permissions
        .iter()
        .any(|existing| existing["id"] == id.as_str())
    {
        return Err(GraphErr::new(
            axum::http::StatusCode::CONFLICT,
            "ErrorItemAlreadyExists",
            "A permission for this recipient already exists; update its role instead.",
        ));
    }
    owner.calendar_permissions.push(permission.clone());
    Ok(Reply::created(permission))
}

pub fn update_calendar_permission(call: &mut Call<'_>) -> Outcome {
    let owner_id = own_mailbox(call, WRITE_CALENDAR)?.id.clone();
    let body = call.body_object()?.clone();
    if body.keys().any(|key| key != "role") {
        return Err(GraphErr::bad_request(
            "ErrorInvalidRequest",
            "Only 'role' can be updated on a calendar permission.",
        ));
    }
    let role = body
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if !CALENDAR_ROLES.contains(&role.as_str()) {
        return Err(GraphErr::bad_request(
            "ErrorInvalidRequest",
            format!("'{role}' is not a calendar role."),
        ));
    }
    let id = call.param("permission").to_owned();
    let owner = call
        .dir
        .user_mut(&owner_id)
        .ok_or_else(|| GraphErr::not_found(Service::Exchange, &owner_id))?;
    let permission = owner
        .calendar_permissions
        .iter_mut()
        .find(|permission| permission["id"] == id.as_str())
        .ok_or_else(|| GraphErr::not_found(Service::Exchange, &id))?;
    permission["role"] = json!(role);
    Ok(Reply::ok(permission.clone()))
}

pub fn delete_calendar_permission(call: &mut Call<'_>) -> Outcome {
    let owner_id = own_mailbox(call, WRITE_CALENDAR)?.id.clone();
    let id = call.param("permission").to_owned();
    let owner = call
        .dir
        .user_mut(&owner_id)
        .ok_or_else(|| GraphErr::not_found(Service::Exchange, &owner_id))?;
    let Some(at) = owner
        .calendar_permissions
        .iter()
        .position(|permission| permission["id"] == id.as_str())
    else {
        return Err(GraphErr::not_found(Service::Exchange, &id));
    };
    if owner.calendar_permissions[at]["isRemovable"] == false {
        return Err(GraphErr::bad_request(
            "ErrorInvalidRequest",
            "The default calendar permission cannot be removed.",
        ));
    }
    owner.calendar_permissions.remove(at);
    Ok(Reply::no_content())
}

pub fn message_rules(call: &mut Call<'_>) -> Outcome {
    let owner = own_mailbox(call, READ_MAILBOX_SETTINGS)?;
    let rules = owner.message_rules.clone();
    call.list(rules, Listing::SERVICE, Shape::Plain)
}

pub fn message_rule(call: &mut Call<'_>) -> Outcome {
    let owner = own_mailbox(call, READ_MAILBOX_SETTINGS)?;
    let id = call.param("rule");
    match owner.message_rules.iter().find(|rule| rule["id"] == id) {
        Some(rule) => call.entity(rule.clone(), Shape::Plain),
        None => Err(GraphErr::not_found(Service::Exchange, id)),
    }
}

pub fn add_message_rule(call: &mut Call<'_>) -> Outcome {
    let owner_id = own_mailbox(call, WRITE_MAILBOX_SETTINGS)?.id.clone();
    let body = call.body_object()?;
    let mut rule: Map<String, Value> = Map::new();
    for (key, value) in body {
        match key.as_str() {
            "displayName" | "sequence" | "isEnabled" | "conditions" | "actions" | "exceptions" => {
                rule.insert(key.clone(), value.clone());
            }
            other => {
                return Err(GraphErr::bad_request(
                    "ErrorInvalidRequest",
                    format!("Property '{other}' cannot be set on a message rule."),
                ));
            }
        }
    }
    if rule
        .get("displayName")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(GraphErr::bad_request(
            "ErrorInvalidRequest",
            "displayName is required.",
        ));
    }
    if rule
        .get("sequence")
        .and_then(Value::as_i64)
        .is_none_or(|sequence| sequence < 1)
    {
        return Err(GraphErr::bad_request(
            "ErrorInvalidRequest",
            "sequence must be a positive integer.",
        ));
    }
    let recipients_ok = ["forwardTo", "redirectTo", "forwardAsAttachmentTo"]
        .iter()
        .all(|key| {
            rule.get("actions")
                .and_then(|actions| actions.get(*key))
                .is_none_or(|list| {
                    list.as_array().is_some_and(|list| {
                        list.iter().all(|recipient| {
                            recipient
                                .pointer("/emailAddress/address")
                                .and_then(Value::as_str)
                                .is_some()
                        })
                    })
                })
        });
    if !recipients_ok {
        return Err(GraphErr::bad_request(
            "ErrorInvalidRequest",
            "Every recipient needs emailAddress.address.",
        ));
    }
    rule.entry("isEnabled").or_insert(json!(true));
    rule.insert("hasError".into(), json!(false));
    rule.insert("isReadOnly".into(), json!(false));
    rule.insert(
        "id".into(),
        json!(STANDARD.encode(uuid::Uuid::new_v4().as_bytes())),
    );
    let rule = Value::Object(rule);
    let owner = call
        .dir
        .user_mut(&owner_id)
        .ok_or_else(|| GraphErr::not_found(Service::Exchange, &owner_id))?;
    owner.message_rules.push(rule.clone());
    Ok(Reply::created(rule))
}

pub fn delete_message_rule(call: &mut Call<'_>) -> Outcome {
    let owner_id = own_mailbox(call, WRITE_MAILBOX_SETTINGS)?.id.clone();
    let id = call.param("rule").to_owned();
    let owner = call
        .dir
        .user_mut(&owner_id)
        .ok_or_else(|| GraphErr::not_found(Service::Exchange, &owner_id))?;
    let before = owner.message_rules.len();
    owner.message_rules.retain(|rule| rule["id"] != id.as_str());
    if owner.message_rules.len() == before {
        return Err(GraphErr::not_found(Service::Exchange, &id));
    }
    Ok(Reply::no_content())
}

/// The mailbox settings of a user or shared mailbox. Only the owner (delegated) or an app with
/// `MailboxSettings.Read` may read them.
fn settings_of(call: &Call<'_>) -> Result<Value, GraphErr> {
    call.require_scope(Service::Exchange, READ_MAILBOX_SETTINGS)?;
    let target = call.target_user()?;
    if call.caller_id().is_some_and(|caller| caller != target.id) {
        return Err(GraphErr::forbidden(Service::Exchange));
    }
    let purpose = target
        .mailbox
        .as_ref()
        .map_or("user", |mailbox| mailbox.purpose());
    Ok(json!({
        "archiveFolder": STANDARD.encode(format!("archive-{}", target.id)),
        "automaticRepliesSetting": {
            "status": "disabled",
            "externalAudience": "all",
            "scheduledStartDateTime": {"dateTime": "2026-01-01T00:00:00.0000000", "timeZone": "UTC"},
            "scheduledEndDateTime": {"dateTime": "2026-01-02T00:00:00.0000000", "timeZone": "UTC"},
            "internalReplyMessage": "",
            "externalReplyMessage": "",
        },
        "timeZone": "UTC",
        "language": {"locale": "en-US", "displayName": "English (United States)"},
        "dateFormat": "M/d/yyyy",
        "timeFormat": "h:mm tt",
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": "UTC"},
        },
        "userPurpose": purpose,
        "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
    }))
}

pub fn mailbox_settings(call: &mut Call<'_>) -> Outcome {
    let settings = settings_of(call)?;
    call.entity(settings, Shape::Plain)
}

/// One setting, named by the last path segment: a complex value as an object, a primitive as
/// `{"value": ...}`, as Graph answers a property read.
pub fn mailbox_setting(call: &mut Call<'_>) -> Outcome {
    let settings = settings_of(call)?;
    let name = call.path.rsplit('/').next().unwrap_or_default();
    let value = settings
        .as_object()
        .and_then(|fields| {
            fields
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
        })
        .map(|(_, value)| value.clone())
        .ok_or_else(|| GraphErr::not_found(Service::Exchange, name))?;
    Ok(Reply::ok(if value.is_object() {
        value
    } else {
        json!({"value": value})
    }))
}
