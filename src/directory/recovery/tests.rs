use serde_json::json;

use super::*;

fn sign_in(minutes_ago: i64, code: i64, policy: Option<&str>) -> SignIn {
    let at = chrono::Utc::now() - chrono::TimeDelta::minutes(minutes_ago);
    serde_json::from_value(json!({
        "id": format!("s{minutes_ago}"),
        "createdDateTime": at.to_rfc3339(),
        "status": {"errorCode": code, "failureReason": "words"},
        "appliedConditionalAccessPolicies": policy.map_or(json!([]), |name| json!([
            {"id": "p", "displayName": name, "result": "failure", "enforcedGrantControls": ["compliantDevice"]},
            {"id": "q", "displayName": "Another policy", "result": "success", "enforcedGrantControls": ["mfa"]}
        ])),
    }))
    .expect("a sign-in")
}

fn findings(sign_ins: SignInLog) -> Findings {
    Findings {
        enabled: true,
        methods: vec!["password".to_owned()],
        passwordless: false,
        phone_methods: Vec::new(),
        privileged: false,
        sign_ins,
    }
}

#[test]
fn the_latest_sign_in_decides_over_the_words() {
    use Complaint::*;
    let locked = findings(SignInLog::Read(vec![
        sign_in(60, 50126, None),
        sign_in(1, 50053, None),
    ]));
    for said in [Password, CannotSignIn] {
        assert_eq!(locked.case(said), Case::Change(RecoveryCase::LockedOut));
    }
    let expired = findings(SignInLog::Read(vec![sign_in(2, 50055, None)]));
    assert_eq!(
        expired.case(CannotSignIn),
        Case::Change(RecoveryCase::ExpiredPassword)
    );
    assert_eq!(
        expired.case(Password),
        Case::Change(RecoveryCase::ExpiredPassword)
    );
    // A lost phone is a lost phone, whatever the last sign-in.
    assert_eq!(locked.case(LostMethod), Case::Change(RecoveryCase::LostMfa));
}

#[test]
fn cases_that_change_nothing_are_found_from_the_sign_ins() {
    use Complaint::*;
    let blocked = findings(SignInLog::Read(vec![sign_in(
        3,
        53003,
        Some("Managed devices only"),
    )]));
    assert_eq!(
        blocked.case(CannotSignIn),
        Case::ConditionalAccess {
            policy: Some("Managed devices only".to_owned()),
            controls: vec!["compliantDevice".to_owned()],
        }
    );
    let mistyped = findings(SignInLog::Read(vec![sign_in(3, 50126, None)]));
    assert_eq!(mistyped.case(CannotSignIn), Case::WrongPassword);
    // Someone who says they forgot it is believed: the reset still needs verification.
    assert_eq!(
        mistyped.case(Password),
        Case::Change(RecoveryCase::ForgotPassword)
    );
    let fine = findings(SignInLog::Read(vec![
        sign_in(3, 50126, None),
        sign_in(1, 0, None),
    ]));
    assert_eq!(fine.case(CannotSignIn), Case::NothingWrong);
    let other = findings(SignInLog::Read(vec![sign_in(1, 50057, None)]));
    assert!(matches!(
        other.case(CannotSignIn),
        Case::OtherFailure { code: 50057, .. }
    ));
}

#[test]
fn without_sign_in_logs_the_words_decide_and_a_disabled_account_is_disabled() {
    let unknown = findings(SignInLog::Unavailable);
    assert_eq!(
        unknown.case(Complaint::CannotSignIn),
        Case::Change(RecoveryCase::LockedOut)
    );
    assert_eq!(
        unknown.case(Complaint::Password),
        Case::Change(RecoveryCase::ForgotPassword)
    );
    let disabled = Findings {
        enabled: false,
        ..findings(SignInLog::Read(Vec::new()))
    };
    assert_eq!(disabled.case(Complaint::Password), Case::Disabled);
}
