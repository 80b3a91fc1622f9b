//! Step-up sign-ins: an authorize request whose `claims` ask for an authentication context
//! (`{"id_token":{"acrs":{"essential":true,"value":"c1"}}}`, or `values` for several).
//!
//! The tenant's Conditional Access policy for a context requires MFA, and the person asking to
//! step up may have forgotten their password: so only someone holding a passwordless method
//! (Microsoft Authenticator phone sign-in, a FIDO2 key) completes it, and the ID token then
//! carries `acrs` with the contexts asked for and `auth_time`. Anyone else is sent back with
//! `error=interaction_required`, as Entra does when a sign-in cannot satisfy the policy.
//!
//! Tests can make step-ups misbehave through `POST /_sim/login/step_up`
//! (`{"mode": "normal" | "omit_acrs" | "stale"}`), to check that a relying party verifies what
//! it is given.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sim::directory::{MethodKind, User};

/// How long before now a `stale` step-up says the user authenticated: past the ten minutes a
/// fresh step-up may be old.
const STALE_MINUTES: i64 = 11;

/// How step-up sign-ins are answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepUpMode {
    /// As Entra: `acrs` with the contexts asked for, `auth_time` now.
    #[default]
    Normal,
    /// The ID token leaves `acrs` out, as if the policy had not applied.
    OmitAcrs,
    /// `auth_time` is eleven minutes old.
    Stale,
}

/// The authentication contexts a `claims` parameter asks for in the ID token or the access
/// token, in the order given; `Err` with a description when it is not the JSON Entra expects.
pub(super) fn requested_contexts(claims: &str) -> Result<Vec<String>, String> {
    let parsed: Value = serde_json::from_str(claims)
        .map_err(|_| "The claims parameter is not valid JSON.".to_owned())?;
    if !parsed.is_object() {
        return Err("The claims parameter must be a JSON object.".to_owned());
    }
    let mut contexts = Vec::new();
    for token in ["id_token", "access_token"] {
        let Some(acrs) = parsed.get(token).and_then(|token| token.get("acrs")) else {
            continue;
        };
        let values = acrs.get("value").into_iter().chain(
            acrs.get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
        for value in values {
            let Some(context) = value.as_str().filter(|context| !context.is_empty()) else {
                return Err("An acrs claim request names its contexts as strings.".to_owned());
            };
            if !contexts.iter().any(|known| known == context) {
                contexts.push(context.to_owned());
            }
        }
    }
    Ok(contexts)
}

/// Whether the user can sign in without their password.
pub(super) fn has_passwordless_method(user: &User) -> bool {
    user.methods.iter().any(|method| {
        matches!(
            method.kind,
            MethodKind::MicrosoftAuthenticator | MethodKind::Fido2
        )
    })
}

/// The `acrs` and `auth_time` a step-up's ID token carries under `mode`.
pub(super) fn step_up_claims(
    mode: StepUpMode,
    contexts: Vec<String>,
    now: DateTime<Utc>,
) -> (Vec<String>, DateTime<Utc>) {
    match mode {
        StepUpMode::Normal => (contexts, now),
        StepUpMode::OmitAcrs => (Vec::new(), now),
        StepUpMode::Stale => (contexts, now - chrono::Duration::minutes(STALE_MINUTES)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_come_from_value_and_values_of_either_token() {
        assert_eq!(
            requested_contexts(r#"{"id_token":{"acrs":{"essential":true,"value":"c1"}}}"#),
            Ok(vec!["c1".to_owned()])
        );
        assert_eq!(
            requested_contexts(
                r#"{"id_token":{"acrs":{"essential":true,"values":["c1","c2"]}},"access_token":{"acrs":{"value":"c2"}}}"#
            ),
            Ok(vec!["c1".to_owned(), "c2".to_owned()])
        );
        assert_eq!(
            requested_contexts(r#"{"id_token":{"auth_time":{"essential":true}}}"#),
            Ok(Vec::new())
        );
        assert!(requested_contexts("{not json").is_err());
        assert!(requested_contexts(r#"{"id_token":{"acrs":{"value":7}}}"#).is_err());
    }

    #[test]
    fn a_stale_step_up_is_older_than_ten_minutes_and_omit_drops_acrs() {
        let now = Utc::now();
        let contexts = vec!["c1".to_owned()];
        assert_eq!(
            step_up_claims(StepUpMode::Normal, contexts.clone(), now),
            (contexts.clone(), now)
        );
        assert_eq!(
            step_up_claims(StepUpMode::OmitAcrs, contexts.clone(), now),
            (Vec::new(), now)
        );
        let (acrs, at) = step_up_claims(StepUpMode::Stale, contexts.clone(), now);
        assert_eq!(acrs, contexts);
        assert!(now - at > chrono::Duration::minutes(10));
    }
}
