//! Sign-in logs: the tenant file's sim-only `signIns` per user, and the entries Entra would log
//! for a user's present state (a locked-out account's 50053, an expired password's 50055), as
//! Graph v1.0 `signIn` objects.
//!
//! Graph has no lockout or expiry property: a lockout shows only as a 50053 sign-in, so the
//! simulator derives those entries from `lockedOut` and `passwordExpired` whenever they are
//! read; an administrator's reset clears both flags, and with them the entries.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::methods::stable_id;
use super::{Props, User};

/// Entra's error code for a locked account (smart lockout).
pub const LOCKED_OUT: i64 = 50053;
/// Entra's error code for a wrong password.
pub const WRONG_PASSWORD: i64 = 50126;
/// Entra's error code for an expired password.
pub const PASSWORD_EXPIRED: i64 = 50055;
/// Entra's error code for a sign-in blocked by Conditional Access.
pub const BLOCKED_BY_CONDITIONAL_ACCESS: i64 = 53003;

/// The grant control a Conditional Access block names when the tenant file names none.
const DEFAULT_CONTROL: &str = "compliantDevice";

/// The application people sign in to in the simulated log (Office's home page).
const APP_ID: &str = "4765445b-32c6-49b0-83e6-1d93765276ca";
const APP_NAME: &str = "OfficeHome";

/// One sign-in as the tenant file gives it: `{"at", "errorCode", "policy", "controls"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInRecord {
    pub at: DateTime<Utc>,
    pub error_code: i64,
    /// The display name of the Conditional Access policy that applied.
    pub policy: Option<String>,
    /// The grant controls that policy enforced; only meaningful with `policy`.
    pub controls: Vec<String>,
}

impl SignInRecord {
    /// Reads one entry of a user's `signIns`; `who` names the user in the error.
    pub fn parse(entry: &Value, who: &str) -> Result<SignInRecord, String> {
        let Value::Object(fields) = entry else {
            return Err(format!("{who}'s signIns must be a list of objects"));
        };
        let at = fields
            .get("at")
            .and_then(Value::as_str)
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|at| at.with_timezone(&Utc))
            .ok_or_else(|| format!("{who}'s signIns entries need 'at' as an RFC 3339 time"))?;
        let error_code = fields
            .get("errorCode")
            .and_then(Value::as_i64)
            .ok_or_else(|| format!("{who}'s signIns entries need an integer 'errorCode'"))?;
        let policy = match fields.get("policy") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) if !name.trim().is_empty() => Some(name.clone()),
            Some(_) => return Err(format!("{who}'s signIns 'policy' must be a policy's name")),
        };
        let controls = match fields.get("controls") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()
                .ok_or_else(|| format!("{who}'s signIns 'controls' must be a list of strings"))?,
            Some(_) => {
                return Err(format!(
                    "{who}'s signIns 'controls' must be a list of strings"
                ));
            }
        };
        if let Some(key) = fields
            .keys()
            .find(|key| !["at", "errorCode", "policy", "controls"].contains(&key.as_str()))
        {
            return Err(format!(
                "{who}'s signIns entry has unknown key '{key}' (expected at, errorCode, policy, controls)"
            ));
        }
        Ok(SignInRecord {
            at,
            error_code,
            policy,
            controls,
        })
    }

    /// The entry in the tenant file's shape, for `GET /_sim/state`.
    pub fn to_fixture(&self) -> Value {
        let mut entry = Props::new();
        entry.insert("at".into(), json!(rfc3339(self.at)));
        entry.insert("errorCode".into(), json!(self.error_code));
        if let Some(policy) = &self.policy {
            entry.insert("policy".into(), json!(policy));
        }
        if !self.controls.is_empty() {
            entry.insert("controls".into(), json!(self.controls));
        }
        Value::Object(entry)
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Entra's `status.failureReason` for an error code, as its sign-in logs word it.
pub fn failure_reason(error_code: i64) -> Option<&'static str> {
    match error_code {
        0 => None,
        LOCKED_OUT => Some(
            "Account is locked because user tried to sign in too many times with an incorrect user ID or password.",
        ),
        WRONG_PASSWORD => Some("Error validating credentials due to invalid username or password."),
        PASSWORD_EXPIRED => Some("The password is expired."),
        BLOCKED_BY_CONDITIONAL_ACCESS => Some(
            "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
        ),
        _ => Some("Other."),
    }
}

/// Entra's `status.additionalDetails` for the codes that carry one.
fn additional_details(error_code: i64) -> Option<&'static str> {
    match error_code {
        WRONG_PASSWORD => Some(
            "The user didn't enter the right credentials. It's expected to see some number of these errors in your logs due to users making mistakes.",
        ),
        _ => None,
    }
}

impl User {
    /// The user's sign-ins, newest first: the tenant file's, then (newer than any of them) an
    /// expired password's 50055 and a lockout's 50053 while those flags hold. `now` dates the
    /// derived entries unless a logged one is newer still.
    pub fn sign_in_log(&self, now: DateTime<Utc>) -> Vec<Value> {
        let mut records: Vec<SignInRecord> = self.sign_ins.clone();
        records.sort_by_key(|record| record.at);
        let newest = records.last().map(|record| record.at);
        let mut at = match newest {
            Some(newest) if newest >= now => newest + chrono::Duration::seconds(1),
            _ => now,
        };
        for (flag, error_code) in [
            (self.password_expired, PASSWORD_EXPIRED),
            (self.locked_out, LOCKED_OUT),
        ] {
            if flag {
                records.push(SignInRecord {
                    at,
                    error_code,
                    policy: None,
                    controls: Vec::new(),
                });
                at += chrono::Duration::seconds(1);
            }
        }
        records
            .iter()
            .rev()
            .map(|record| self.sign_in_object(record))
            .collect()
    }

    /// One sign-in as Graph's `signIn` resource.
    fn sign_in_object(&self, record: &SignInRecord) -> Value {
        let seed = format!("{}{}{}", self.id, rfc3339(record.at), record.error_code);
        let blocked = record.error_code == BLOCKED_BY_CONDITIONAL_ACCESS;
        let policies: Vec<Value> = record
            .policy
            .iter()
            .map(|name| {
                let controls = if record.controls.is_empty() {
                    vec![DEFAULT_CONTROL.to_owned()]
                } else {
                    record.controls.clone()
                };
                json!({
                    "id": stable_id("conditionalAccessPolicy", name),
                    "displayName": name,
                    "enforcedGrantControls": controls,
                    "enforcedSessionControls": [],
                    "result": if blocked { "failure" } else { "success" },
                })
            })
            .collect();
        let conditional_access_status = match (policies.is_empty(), blocked) {
            (true, _) => "notApplied",
            (false, true) => "failure",
            (false, false) => "success",
        };
        json!({
            "id": stable_id("signIn", &seed),
            "createdDateTime": rfc3339(record.at),
            "userDisplayName": self.props.get("displayName").cloned().unwrap_or(Value::Null),
            "userPrincipalName": self.upn,
            "userId": self.id,
            "appId": APP_ID,
            "appDisplayName": APP_NAME,
            "ipAddress": "203.0.113.24",
            "clientAppUsed": "Browser",
            "correlationId": stable_id("correlation", &seed),
            "conditionalAccessStatus": conditional_access_status,
            "isInteractive": true,
            "riskDetail": "none",
            "riskLevelAggregated": "none",
            "riskLevelDuringSignIn": "none",
            "riskState": "none",
            "riskEventTypes": [],
            "resourceDisplayName": "Office 365 Exchange Online",
            "resourceId": "00000002-0000-0ff1-ce00-000000000000",
            "status": {
                "errorCode": record.error_code,
                "failureReason": failure_reason(record.error_code),
                "additionalDetails": additional_details(record.error_code),
            },
            "appliedConditionalAccessPolicies": policies,
        })
    }
}
