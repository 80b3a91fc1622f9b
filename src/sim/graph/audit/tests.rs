//! The sign-in log as Graph serves it: the tenant file's entries and those a lockout or an
//! expired password leave, newest first, filtered per user; who may read it; and what an
//! administrator's reset changes.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sim::testing::{CONTOSO, TestSim};

const GRAPH: &str = "https://graph.microsoft.com";
const OPERATOR: &str = "helpdesk.ops@contoso.com";

/// Contoso with sign-ins for Jordan (a wrong password, then a Conditional Access block), an
/// expired password for Nina, and `tenant` merged into the tenant block.
fn tenant(tenant: Value) -> String {
    let mut file: Value = serde_json::from_str(CONTOSO).expect("the fixture is JSON");
    if let (Some(block), Some(extra)) = (file["tenant"].as_object_mut(), tenant.as_object()) {
        block.extend(extra.clone());
    }
    for user in file["users"].as_array_mut().expect("users") {
        match user["userPrincipalName"].as_str() {
            Some("jordan.lee@contoso.com") => {
                user["signIns"] = json!([
                    {"at": "2024-05-02T08:00:00Z", "errorCode": 50126},
                    {"at": "2024-05-02T09:30:00Z", "errorCode": 53003,
                     "policy": "Require a compliant device", "controls": ["domainJoinedDevice"]},
                    {"at": "2024-05-01T17:00:00Z", "errorCode": 0},
                ]);
            }
            Some("nina.patel@contoso.com") => user["passwordExpired"] = json!(true),
            _ => {}
        }
    }
    file.to_string()
}

fn user_id(sim: &TestSim, upn: &str) -> String {
    sim.state
        .directory()
        .user(upn)
        .map(|user| user.id.clone())
        .expect("the user exists")
}

async fn sign_ins_of(sim: &TestSim, token: &str, user_id: &str) -> Vec<Value> {
    let path = format!(
        "/auditLogs/signIns?$filter=userId%20eq%20'{user_id}'&$orderby=createdDateTime%20desc&$top=10"
    );
    let answer = sim.graph(token, Method::GET, &path, None, &[]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.value()
}

fn codes(entries: &[Value]) -> Vec<i64> {
    entries
        .iter()
        .filter_map(|entry| entry["status"]["errorCode"].as_i64())
        .collect()
}

#[tokio::test]
async fn a_users_sign_ins_come_newest_first_with_the_policy_that_blocked_one() {
    let sim = TestSim::with(&tenant(json!({})));
    let app = sim.app_token(GRAPH).await;
    let jordan = user_id(&sim, "jordan.lee@contoso.com");
    let entries = sign_ins_of(&sim, &app, &jordan).await;
    assert_eq!(codes(&entries), vec![53003, 50126, 0]);
    let blocked = &entries[0];
    assert_eq!(blocked["userId"], jordan.as_str());
    assert_eq!(blocked["userPrincipalName"], "jordan.lee@contoso.com");
    assert_eq!(blocked["createdDateTime"], "2024-05-02T09:30:00Z");
    assert_eq!(blocked["conditionalAccessStatus"], "failure");
    let policy = &blocked["appliedConditionalAccessPolicies"][0];
    assert_eq!(policy["displayName"], "Require a compliant device");
    assert_eq!(policy["result"], "failure");
    assert_eq!(
        policy["enforcedGrantControls"],
        json!(["domainJoinedDevice"])
    );
    assert!(
        blocked["status"]["failureReason"]
            .as_str()
            .is_some_and(|reason| reason
                .starts_with("Access has been blocked by Conditional Access policies")),
        "{blocked}"
    );
    let wrong = &entries[1];
    assert_eq!(
        wrong["status"]["failureReason"],
        "Error validating credentials due to invalid username or password."
    );
    assert_eq!(wrong["conditionalAccessStatus"], "notApplied");
    assert_eq!(wrong["appliedConditionalAccessPolicies"], json!([]));
    assert_eq!(entries[2]["status"]["failureReason"], Value::Null);
}

#[tokio::test]
async fn a_lockout_and_an_expired_password_are_the_latest_sign_ins() {
    let sim = TestSim::with(&tenant(json!({})));
    let app = sim.app_token(GRAPH).await;
    let sarah = user_id(&sim, "sarah.chen@contoso.com");
    let entries = sign_ins_of(&sim, &app, &sarah).await;
    assert_eq!(codes(&entries), vec![50053]);
    assert_eq!(
        entries[0]["status"]["failureReason"],
        "Account is locked because user tried to sign in too many times with an incorrect user ID or password."
    );
    let by_name = sim
        .graph(
            &app,
            Method::GET,
            "/auditLogs/signIns?$filter=userPrincipalName%20eq%20'nina.patel@contoso.com'&$top=1",
            None,
            &[],
        )
        .await;
    assert_eq!(by_name.status, StatusCode::OK, "{}", by_name.body);
    assert_eq!(codes(&by_name.value()), vec![50055]);
    assert_eq!(
        by_name.value()[0]["status"]["failureReason"],
        "The password is expired."
    );
}

#[tokio::test]
async fn the_whole_log_is_newest_first_and_pages_by_top() {
    let sim = TestSim::with(&tenant(json!({})));
    let app = sim.app_token(GRAPH).await;
    let answer = sim
        .graph(&app, Method::GET, "/auditLogs/signIns?$top=2", None, &[])
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let entries = answer.value();
    assert_eq!(entries.len(), 2);
    // The derived entries are dated now; the logged ones are older.
    assert!(
        codes(&entries)
            .iter()
            .all(|code| [50053, 50055].contains(code))
    );
    assert!(
        answer.body["@odata.nextLink"].is_string(),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn sign_in_logs_need_audit_and_directory_permissions_and_a_premium_tenant() {
    let sim = TestSim::with(&tenant(json!({})));
    let person = sim.graph_token("jordan.lee@contoso.com", "User.Read").await;
    let refused = sim
        .graph(&person, Method::GET, "/auditLogs/signIns", None, &[])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.body["error"]["code"],
        "Authentication_MSGraphPermissionMissing"
    );

    let unlicensed = TestSim::with(&tenant(json!({"signInLogs": false})));
    let app = unlicensed.app_token(GRAPH).await;
    let refused = unlicensed
        .graph(&app, Method::GET, "/auditLogs/signIns", None, &[])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.body["error"]["code"],
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    );
    assert_eq!(
        refused.body["error"]["message"],
        "Neither tenant is B2C or tenant doesn't have premium license"
    );
}

#[tokio::test]
async fn a_person_reads_sign_in_logs_only_in_a_reports_reading_role() {
    let sim = TestSim::with(&tenant(json!({})));
    let scopes = "AuditLog.Read.All Directory.Read.All";
    let admin = sim.graph_token("grace.admin@contoso.com", scopes).await;
    let jordan = user_id(&sim, "jordan.lee@contoso.com");
    assert_eq!(codes(&sign_ins_of(&sim, &admin, &jordan).await).len(), 3);
    let member = sim.graph_token("jordan.lee@contoso.com", scopes).await;
    let refused = sim
        .graph(&member, Method::GET, "/auditLogs/signIns", None, &[])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.body["error"]["code"],
        "Authentication_RequestFromUnsupportedUserRole"
    );
}

#[tokio::test]
async fn a_reset_clears_the_lockout_and_the_expiry_and_says_so_in_the_state() {
    let sim = TestSim::with(&tenant(json!({})));
    let operator = sim
        .graph_token(OPERATOR, "UserAuthenticationMethod.ReadWrite.All")
        .await;
    let app = sim.app_token(GRAPH).await;
    for upn in ["sarah.chen@contoso.com", "nina.patel@contoso.com"] {
        let id = user_id(&sim, upn);
        let reset = sim
            .graph(
                &operator,
                Method::POST,
                &format!(
                    "/users/{id}/authentication/methods/28c10230-6103-485e-b985-444c60001490/resetPassword"
                ),
                Some(json!({})),
                &[],
            )
            .await;
        assert_eq!(reset.status, StatusCode::ACCEPTED, "{}", reset.body);
        let latest = sign_ins_of(&sim, &app, &id).await;
        assert!(
            codes(&latest)
                .first()
                .is_none_or(|code| ![50053, 50055].contains(code)),
            "{latest:?}"
        );
    }
    let state = sim.control("state").await;
    let entry = |upn: &str| {
        state["users"]
            .as_array()
            .and_then(|users| users.iter().find(|user| user["userPrincipalName"] == upn))
            .cloned()
            .unwrap_or_default()
    };
    let sarah = entry("sarah.chen@contoso.com");
    assert_eq!(sarah["lockedOut"], false);
    assert_eq!(sarah["passwordChanged"], 1);
    assert_eq!(sarah["forceChangePasswordNextSignIn"], true);
    let nina = entry("nina.patel@contoso.com");
    assert_eq!(nina["passwordExpired"], false);
    assert_eq!(nina["passwordChanged"], 1);
    let jordan = entry("jordan.lee@contoso.com");
    assert_eq!(jordan["passwordChanged"], 0);
    assert_eq!(jordan["forceChangePasswordNextSignIn"], false);
    assert_eq!(jordan["signIns"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn sim_only_sign_in_facts_are_never_graph_properties() {
    let sim = TestSim::with(&tenant(json!({})));
    let app = sim.app_token(GRAPH).await;
    for upn in ["jordan.lee@contoso.com", "nina.patel@contoso.com"] {
        let user = sim
            .graph(
                &app,
                Method::GET,
                &format!("/users/{upn}?$select=*"),
                None,
                &[],
            )
            .await;
        assert_eq!(user.status, StatusCode::OK, "{}", user.body);
        for key in [
            "signIns",
            "passwordExpired",
            "passwordChanged",
            "forceChangePasswordNextSignIn",
            "lockedOut",
        ] {
            assert!(user.body.get(key).is_none(), "{upn} shows {key}");
        }
    }
}

#[tokio::test]
async fn an_authentication_administrator_revokes_sessions_of_non_admins_only() {
    let sim = TestSim::new();
    let operator = sim.graph_token(OPERATOR, "User.RevokeSessions.All").await;
    let revoke = |upn: &str| format!("/users/{upn}/revokeSignInSessions");
    let answer = sim
        .graph(
            &operator,
            Method::POST,
            &revoke("jordan.lee@contoso.com"),
            None,
            &[],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let answer = sim
        .graph(
            &operator,
            Method::POST,
            &revoke("grace.admin@contoso.com"),
            None,
            &[],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
}
