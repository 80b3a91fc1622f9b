//! Step-up sign-ins: how a requester proves it is them before their own account is changed
//! (DESIGN.md section 10). Doorman's link asks Entra for the authentication context
//! `[identity] step_up_context` with `prompt=login`; the ID token that comes back is accepted
//! only when it is the requester's (`oid`), holds the context in `acrs`, and its `auth_time` is
//! under ten minutes old. Entra's v2 ID tokens carry no `amr`, so nothing here looks for one.

use chrono::{DateTime, Utc};

use super::oidc::IdClaims;

/// How fresh the authentication behind a step-up must be.
pub const STEP_UP_FRESH_SECONDS: i64 = 600;

/// How a step-up ended, as the request waiting for it hears it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepUpOutcome {
    /// The requester proved it is them.
    Verified,
    /// They did not; why, in words the audit and the requester read.
    Refused(String),
}

/// A step-up that ended, for the request it was asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SteppedUp {
    pub request: String,
    pub outcome: StepUpOutcome,
}

/// The authorize request's `claims` parameter asking for `context` in the ID token's `acrs`.
pub fn claims_parameter(context: &str) -> String {
    serde_json::json!({"id_token": {"acrs": {"essential": true, "value": context}}}).to_string()
}

/// Checks a verified ID token against what the step-up was for: `Ok` when it proves the
/// person `expected_oid` completed the context `context` within the last ten minutes.
pub fn check(
    claims: &IdClaims,
    expected_oid: &str,
    context: &str,
    now: DateTime<Utc>,
) -> Result<(), String> {
    if !claims.oid.eq_ignore_ascii_case(expected_oid) {
        return Err("the sign-in was made by another account".to_owned());
    }
    if !claims.acrs.iter().any(|held| held == context) {
        return Err(format!(
            "the sign-in did not satisfy the authentication context {context}"
        ));
    }
    let Some(auth_time) = claims.auth_time else {
        return Err("the sign-in does not say when it authenticated (auth_time)".to_owned());
    };
    let age = now.timestamp() - auth_time;
    if !(-60..=STEP_UP_FRESH_SECONDS).contains(&age) {
        return Err("the sign-in's authentication is more than ten minutes old".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(oid: &str, acrs: &[&str], auth_time: Option<i64>) -> IdClaims {
        serde_json::from_value(serde_json::json!({
            "oid": oid, "tid": "t", "acrs": acrs, "auth_time": auth_time,
        }))
        .expect("claims")
    }

    #[test]
    fn a_fresh_sign_in_of_the_requester_with_the_context_verifies() {
        let now = Utc::now();
        let fresh = claims("A", &["c1"], Some(now.timestamp() - 30));
        assert_eq!(check(&fresh, "a", "c1", now), Ok(()));
    }

    #[test]
    fn another_account_a_missing_context_or_an_old_authentication_does_not() {
        let now = Utc::now();
        let recent = Some(now.timestamp() - 30);
        for (token, why) in [
            (claims("B", &["c1"], recent), "another account"),
            (claims("A", &[], recent), "authentication context"),
            (claims("A", &["c2"], recent), "authentication context"),
            (claims("A", &["c1"], None), "auth_time"),
            (
                claims("A", &["c1"], Some(now.timestamp() - 11 * 60)),
                "ten minutes",
            ),
        ] {
            let refused = check(&token, "A", "c1", now).expect_err("refused");
            assert!(refused.contains(why), "{refused}");
        }
    }

    #[test]
    fn the_claims_parameter_asks_for_the_context_as_essential() {
        let asked: serde_json::Value = serde_json::from_str(&claims_parameter("c1")).expect("json");
        assert_eq!(asked["id_token"]["acrs"]["value"], "c1");
        assert_eq!(asked["id_token"]["acrs"]["essential"], true);
    }
}
