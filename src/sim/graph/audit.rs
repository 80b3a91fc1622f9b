//! Audit logs: `GET /auditLogs/signIns`, the tenant's sign-in log, newest first.
//!
//! Graph needs both `AuditLog.Read.All` and `Directory.Read.All` for sign-ins (a documented known
//! issue), and a delegated caller must also hold a role that reads sign-in reports. A tenant
//! without a premium licence (`"signInLogs": false` in the tenant file) is refused with the
//! error Graph gives such tenants.

#[cfg(test)]
mod tests;

use axum::http::StatusCode;
use chrono::Utc;
use serde_json::Value;

use super::call::{Call, GraphErr, Outcome};
use super::collection::Listing;
use super::views::Shape;
use crate::sim::roles::Right;

/// Both are required: Graph refuses a token carrying only one of them.
const REQUIRED_PERMISSIONS: [&str; 2] = ["AuditLog.Read.All", "Directory.Read.All"];

/// The sign-in log's page: 1,000 entries when `$top` is absent, as Graph's.
const SIGN_INS: Listing = Listing {
    directory: false,
    page_size: 1_000,
};

fn missing_permission() -> GraphErr {
    GraphErr::new(
        StatusCode::FORBIDDEN,
        "Authentication_MSGraphPermissionMissing",
        "Calling principal does not have required MSGraph permissions AuditLog.Read.All",
    )
}

/// Refuses the call unless the token may read sign-in logs and the tenant has them.
fn require_sign_in_logs(call: &Call<'_>) -> Result<(), GraphErr> {
    let has_all = REQUIRED_PERMISSIONS
        .iter()
        .all(|permission| call.has_scope(&[permission]));
    if !has_all {
        return Err(missing_permission());
    }
    if call.caller_id().is_some() && !call.caller_has(Right::ReadSignInLogs) {
        return Err(GraphErr::new(
            StatusCode::FORBIDDEN,
            "Authentication_RequestFromUnsupportedUserRole",
            "User is not in the allowed roles",
        ));
    }
    if !call.dir.tenant.sign_in_logs {
        return Err(GraphErr::new(
            StatusCode::FORBIDDEN,
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "Neither tenant is B2C or tenant doesn't have premium license",
        ));
    }
    Ok(())
}

/// `GET /auditLogs/signIns`: every user's sign-ins, newest first unless `$orderby` says
/// otherwise; `$filter` on `userId` or `userPrincipalName`, `$top`, `$skiptoken`.
pub fn sign_ins(call: &mut Call<'_>) -> Outcome {
    require_sign_in_logs(call)?;
    let now = Utc::now();
    let mut entries: Vec<Value> = call
        .dir
        .users
        .iter()
        .filter(|user| user.mailbox.is_none())
        .flat_map(|user| user.sign_in_log(now))
        .collect();
    entries.sort_by(|a, b| {
        let at = |entry: &Value| entry["createdDateTime"].as_str().map(str::to_owned);
        at(b).cmp(&at(a))
    });
    call.list(entries, SIGN_INS, Shape::Plain)
}
