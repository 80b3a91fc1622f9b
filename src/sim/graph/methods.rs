//! Authentication methods: listing, admin password reset (a long-running operation), temporary
//! access passes, and removing a method.
//!
//! Only Authentication Administrator-class roles act on other people's methods, and only
//! privileged ones on admins' methods (graph-operations.md section 6). Nobody resets their own
//! password through this API.

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::call::{Call, GraphErr, Outcome, Reply, Service};
use super::collection::Listing;
use super::views::Shape;
use crate::sim::directory::{AuthMethod, MethodKind, PASSWORD_METHOD_ID};
use crate::sim::roles::Right;

const READ_OWN: &[&str] = &[
    "UserAuthenticationMethod.Read",
    "UserAuthenticationMethod.ReadWrite",
    "UserAuthenticationMethod.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
];
const READ_OTHERS: &[&str] = &[
    "UserAuthenticationMethod.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
];
const WRITE_OTHERS: &[&str] = &["UserAuthenticationMethod.ReadWrite.All"];
const WRITE_TAP: &[&str] = &[
    "UserAuthenticationMethod.ReadWrite.All",
    "UserAuthMethod-TAP.ReadWrite.All",
];
/// A temporary access pass lives between 10 minutes and 30 days.
const TAP_LIFETIME_MINUTES: std::ops::RangeInclusive<i64> = 10..=43_200;

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What a credential operation changes, which decides the role it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credential {
    /// An admin password reset: Helpdesk, Password, User or Authentication Administrator.
    Password,
    /// A temporary access pass, or removing a method: Authentication Administrator and above.
    Methods,
}

/// Whether the calling person may change `target`'s credentials of this kind. Admins (role
/// holders and members of role-assignable groups) need a privileged role whatever the kind.
fn may_manage(call: &Call<'_>, target: &str, credential: Credential) -> bool {
    if call.dir.is_admin(target) {
        return call.caller_has(Right::ManageAdminCredentials);
    }
    match credential {
        Credential::Password => call.caller_has(Right::ResetPasswords),
        Credential::Methods => call.caller_has(Right::ManageAuthenticationMethods),
    }
}

fn readable_target(call: &Call<'_>) -> Result<String, GraphErr> {
    let target = call.target_user_id()?;
    if call.caller_id() == Some(target.as_str()) {
        call.require_scope(Service::Directory, READ_OWN)?;
        return Ok(target);
    }
    call.require_scope(Service::Directory, READ_OTHERS)?;
    let allowed = call.caller_id().is_none()
        || call.caller_has(Right::ReadAuthenticationMethods)
        || may_manage(call, &target, Credential::Methods);
    if allowed {
        Ok(target)
    } else {
        Err(GraphErr::forbidden(Service::Directory))
    }
}

fn methods_of(call: &Call<'_>, target: &str) -> Vec<Value> {
    call.dir
        .user(target)
        .map(|user| {
            user.methods
                .iter()
                .map(|method| method.object.clone())
                .collect()
        })
        .unwrap_or_default()
}

pub fn list(call: &mut Call<'_>) -> Outcome {
    let target = readable_target(call)?;
    let methods = methods_of(call, &target);
    call.list(methods, Listing::SERVICE, Shape::Plain)
}

pub fn get(call: &mut Call<'_>) -> Outcome {
    let target = readable_target(call)?;
    let id = call.param("method");
    match methods_of(call, &target)
        .into_iter()
        .find(|method| method["id"] == id)
    {
        Some(method) => call.entity(method, Shape::Plain),
        None => Err(GraphErr::not_found(Service::Directory, id)),
    }
}

/// Refuses unless the calling person may change `target`'s credential with one of `accepted`.
fn writable_target(
    call: &Call<'_>,
    accepted: &[&str],
    credential: Credential,
) -> Result<String, GraphErr> {
    let caller = call.require_delegated_write(Service::Directory, accepted)?;
    let target = call.target_user_id()?;
    if caller == target {
        return Err(GraphErr::new(
            axum::http::StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "This operation cannot be performed on the caller's own account.",
        ));
    }
    if !may_manage(call, &target, credential) {
        return Err(GraphErr::forbidden(Service::Directory));
    }
    Ok(target)
}

/// `resetPassword`: 202 with a `Location` to poll; a generated password comes back in the body.
pub fn reset_password(call: &mut Call<'_>) -> Outcome {
    let target = writable_target(call, WRITE_OTHERS, Credential::Password)?;
    if call.param("method") != PASSWORD_METHOD_ID {
        return Err(GraphErr::bad_request(
            "badRequest",
            "resetPassword applies only to the password method.",
        ));
    }
    let requested = call
        .body
        .as_ref()
        .and_then(|body| body.get("newPassword"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(password) = &requested {
        if password.chars().count() < 8 {
            return Err(GraphErr::bad_request(
                "badRequest",
                "The password does not comply with the password complexity requirements.",
            ));
        }
    }
    let generated = requested.is_none().then(generate_password);
    let new_password = requested.or_else(|| generated.clone()).unwrap_or_default();
    let operation_id = uuid::Uuid::new_v4().to_string();
    let location = format!(
        "{}/users/{target}/authentication/operations/{operation_id}",
        call.graph_base
    );
    let user = call
        .dir
        .user_mut(&target)
        .ok_or_else(|| GraphErr::not_found(Service::Directory, &target))?;
    user.password = Some(secrecy::SecretString::from(new_password));
    // An administrator's reset is how a smart-lockout is cleared (graph-operations.md 6.6), and
    // it replaces an expired password with one the user must change at next sign-in.
    user.locked_out = false;
    user.password_expired = false;
    user.password_changed = user.password_changed.saturating_add(1);
    user.force_change_password = true;
    user.operations.push(json!({
        "id": operation_id,
        "createdDateTime": now_text(),
        "lastActionDateTime": now_text(),
        "status": "succeeded",
        "statusDetail": null,
        "resourceLocation": format!("{}/users/{target}/authentication/methods/{PASSWORD_METHOD_ID}", call.graph_base),
    }));
    let body = match generated {
        Some(password) => json!({"newPassword": password}),
        None => json!({}),
    };
    Ok(Reply::ok(body)
        .with_status(axum::http::StatusCode::ACCEPTED)
        .with_header(axum::http::header::LOCATION, location)
        .with_header(axum::http::header::RETRY_AFTER, "1".to_owned()))
}

fn generate_password() -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let word: String = (0..4)
        .map(|_| LETTERS[rand::random_range(0..LETTERS.len())] as char)
        .collect();
    format!("{word}{:04}", rand::random_range(0..10_000))
}

pub fn operation(call: &mut Call<'_>) -> Outcome {
    let target = readable_target(call)?;
    let id = call.param("operation");
    let found = call
        .dir
        .user(&target)
        .and_then(|user| user.operations.iter().find(|op| op["id"] == id).cloned());
    match found {
        Some(operation) => call.entity(operation, Shape::Plain),
        None => Err(GraphErr::not_found(Service::Directory, id)),
    }
}

pub fn list_temporary_access_passes(call: &mut Call<'_>) -> Outcome {
    let target = readable_target(call)?;
    let passes: Vec<Value> = methods_of(call, &target)
        .into_iter()
        .filter(|method| {
            method["@odata.type"] == MethodKind::TemporaryAccessPass.odata_type().as_str()
        })
        .collect();
    call.list(passes, Listing::SERVICE, Shape::Plain)
}

/// Creates a temporary access pass; the pass itself is shown only in this response.
pub fn create_temporary_access_pass(call: &mut Call<'_>) -> Outcome {
    let target = writable_target(call, WRITE_TAP, Credential::Methods)?;
    let body = call.body.clone().unwrap_or_else(|| json!({}));
    let lifetime = body
        .get("lifetimeInMinutes")
        .map_or(Some(60), Value::as_i64);
    let Some(lifetime) = lifetime.filter(|minutes| TAP_LIFETIME_MINUTES.contains(minutes)) else {
        return Err(GraphErr::bad_request(
            "badRequest",
            "lifetimeInMinutes must be between 10 and 43200.",
        ));
    };
    let usable_once = body
        .get("isUsableOnce")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let start = body
        .get("startDateTime")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let starts_later = start
        .as_deref()
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
        .is_some_and(|at| at > Utc::now());
    let user = call
        .dir
        .user_mut(&target)
        .ok_or_else(|| GraphErr::not_found(Service::Directory, &target))?;
    let display_name = user
        .props
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut method = AuthMethod::registered(
        MethodKind::TemporaryAccessPass,
        &target,
        &display_name,
        Utc::now(),
    );
    method.id = uuid::Uuid::new_v4().to_string();
    method.object["id"] = json!(method.id);
    method.object["lifetimeInMinutes"] = json!(lifetime);
    method.object["isUsableOnce"] = json!(usable_once);
    method.object["startDateTime"] = json!(start.unwrap_or_else(now_text));
    method.object["isUsable"] = json!(!starts_later);
    method.object["methodUsabilityReason"] = json!(if starts_later {
        "NotYetValid"
    } else {
        "EnabledByPolicy"
    });
    // One pass per user: a new one replaces the old.
    user.methods
        .retain(|existing| existing.kind != MethodKind::TemporaryAccessPass);
    user.methods.push(method.clone());
    let mut shown = method.object;
    shown["temporaryAccessPass"] = json!(generate_password());
    Ok(Reply::created(shown))
}

/// `DELETE /users/{id}/authentication/{kind}Methods/{id}`.
pub fn delete_method(call: &mut Call<'_>) -> Outcome {
    let target = writable_target(call, WRITE_OTHERS, Credential::Methods)?;
    let collection = call.path.rsplit('/').nth(1).unwrap_or_default().to_owned();
    let kind = MethodKind::ALL
        .into_iter()
        .find(|kind| kind.collection().eq_ignore_ascii_case(&collection));
    let id = call.param("method").to_owned();
    let user = call
        .dir
        .user_mut(&target)
        .ok_or_else(|| GraphErr::not_found(Service::Directory, &target))?;
    let before = user.methods.len();
    user.methods
        .retain(|method| !(Some(method.kind) == kind && method.id == id));
    if user.methods.len() == before {
        return Err(GraphErr::not_found(Service::Directory, &id));
    }
    Ok(Reply::no_content())
}
