//! Sign-in logs (`microsoft.graph.signIn`), as account recovery reads them.
//!
//! Owns the few properties that tell why a person cannot sign in: the error code Entra logged
//! and the Conditional Access policies that applied. Must not: require anything Graph may leave
//! out; every collection defaults to empty and every string may be missing.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// One sign-in attempt.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    pub id: String,
    pub created_date_time: DateTime<Utc>,
    pub status: SignInStatus,
    /// `success`, `failure` or `notApplied`.
    #[serde(default)]
    pub conditional_access_status: Option<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub applied_conditional_access_policies: Vec<AppliedConditionalAccessPolicy>,
}

/// Whether the attempt succeeded: `error_code` 0, or Entra's code (50053 locked out, 50126 wrong
/// password, 50055 expired password, 53003 blocked by Conditional Access, ...).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SignInStatus {
    pub error_code: i64,
    #[serde(default)]
    pub failure_reason: Option<String>,
}

/// A Conditional Access policy evaluated for the sign-in, and what it demanded.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AppliedConditionalAccessPolicy {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `success`, `failure`, `notApplied`, `notEnabled`, ...
    #[serde(default)]
    pub result: Option<String>,
    /// Such as `mfa`, `compliantDevice`, `domainJoinedDevice`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub enforced_grant_controls: Vec<String>,
}

/// A list Graph may send as `null` as well as leave out.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_sign_in_names_its_policy_and_missing_parts_default() {
        let blocked: SignIn = serde_json::from_value(serde_json::json!({
            "id": "66ea54eb-6301-4ee5-be62-ff5a759b0100",
            "createdDateTime": "2026-01-13T07:45:10Z",
            "status": {"errorCode": 53003, "failureReason": "Access has been blocked by Conditional Access policies.", "additionalDetails": null},
            "conditionalAccessStatus": "failure",
            "appliedConditionalAccessPolicies": [{
                "id": "de7e60eb-ed89-4d73-8205-2227def6b7c9",
                "displayName": "Require a compliant device",
                "enforcedGrantControls": ["compliantDevice"],
                "enforcedSessionControls": [],
                "result": "failure"
            }]
        }))
        .expect("decodes");
        assert_eq!(blocked.status.error_code, 53003);
        let policy = &blocked.applied_conditional_access_policies[0];
        assert_eq!(
            policy.display_name.as_deref(),
            Some("Require a compliant device")
        );
        assert_eq!(policy.enforced_grant_controls, vec!["compliantDevice"]);

        let bare: SignIn = serde_json::from_value(serde_json::json!({
            "id": "x",
            "createdDateTime": "2026-01-13T07:45:10.1234567Z",
            "status": {"errorCode": 0},
            "appliedConditionalAccessPolicies": null
        }))
        .expect("decodes");
        assert_eq!(bare.status.failure_reason, None);
        assert_eq!(bare.conditional_access_status, None);
        assert!(bare.applied_conditional_access_policies.is_empty());
    }
}
