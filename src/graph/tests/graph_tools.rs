//! Every operation's request, as actually sent, checked by the shared Graph metadata tools:
//! `graph-path-check` for `METHOD path`, `graph-shape-check` for request bodies.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::json;
use wiremock::{Mock, MockServer};

use super::support::{TestResult, client_for, fast_policy, graph_error, person_token};
use crate::graph::auth_methods::PASSWORD_METHOD_ID;
use crate::graph::{
    CalendarShareRole, DriveRole, GraphClient, InviteRecipient, TeamRole, TemporaryAccessPassUse,
};

/// The shared tools, relative to the crate's manifest (the project keeps `shared/` beside it).
const GRAPH_TOOLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/tools");

/// How many calls [`send_every_operation`] makes (47 operations, three called twice with other
/// kinds of id and site search twice with other options); each sends exactly one request.
const CALL_COUNT: usize = 51;

const USER: &str = "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0";
const GUEST_UPN: &str = "adele_contoso.com#EXT#@fabrikam.onmicrosoft.com";
const GROUP: &str = "02bd9fd6-8f93-4758-87c3-1fb73740a315";
const TEAM: &str = "ee0f5ae2-8bc6-4ae5-8466-7daeebbfa062";
const CHANNEL: &str = "19:56eb04e133944cf69e603c5dac2d292e@thread.tacv2";
const MEMBERSHIP: &str = "ZWUwZjVhZTItOGJjNi00YWU1LTg0NjYtN2RhZWViYmZhMDYy";
const SITE: &str = "contoso.sharepoint.com,2C712604-1370-44E7-A1F5-426573FDA80A,2D2244C3-251A-49EA-93A8-39E1C3A060FE";
const DRIVE: &str = "b!-RIj2DuyvEyV1T4NlOaMHk8XkS_I8MdFlUCq1BlcjgmhRfAj3-Z8RY2VpuvV_tpd";
const ITEM: &str = "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K";

/// Calls every operation once. Graph's answer here is always 404, so each sends one request.
async fn send_every_operation(client: &GraphClient) {
    let token = person_token();
    let token = &token;
    let _ = client.me(token).await;
    let _ = client
        .user(token, USER, &["department", "accountEnabled"])
        .await;
    let _ = client.user(token, GUEST_UPN, &[]).await;
    let _ = client.user(token, "$admin@contoso.com", &[]).await;
    let _ = client.manager(token, USER).await;
    let _ = client.member_of(token, USER).await;
    let _ = client.check_member_groups(token, USER, &[GROUP]).await;
    let _ = client.revoke_sign_in_sessions(token, USER).await;
    let _ = client.sign_ins(token, USER, 10).await;
    let _ = client.mailbox_settings(token, USER).await;
    let _ = client.user_purpose(token, USER).await;
    let _ = client
        .users(
            token,
            Some("accountEnabled eq false"),
            &["displayName", "userPrincipalName", "accountEnabled"],
            Some(999),
        )
        .await;
    let _ = client
        .groups(
            token,
            Some("groupTypes/any(c:c eq 'Unified')"),
            &["displayName"],
            Some(999),
        )
        .await;
    let _ = client.search_groups(token, "finance").await;
    let _ = client.group(token, GROUP).await;
    let _ = client.owners(token, GROUP, &["userPrincipalName"]).await;
    let _ = client.members(token, GROUP).await;
    let _ = client.add_member(token, GROUP, USER).await;
    let _ = client.remove_member(token, GROUP, USER).await;
    let _ = client.add_owner(token, GROUP, USER).await;
    let _ = client.remove_owner(token, GROUP, USER).await;
    let _ = client.team(token, TEAM).await;
    let _ = client.team_members(token, TEAM).await;
    let _ = client
        .add_team_member(token, TEAM, USER, TeamRole::Owner)
        .await;
    let _ = client
        .add_team_member(token, TEAM, GUEST_UPN, TeamRole::Member)
        .await;
    let _ = client.remove_team_member(token, TEAM, MEMBERSHIP).await;
    let _ = client
        .channels(token, TEAM, &["displayName", "membershipType"])
        .await;
    let _ = client.channel(token, TEAM, CHANNEL).await;
    let _ = client.channel_members(token, TEAM, CHANNEL).await;
    let _ = client
        .add_channel_member(token, TEAM, CHANNEL, USER, TeamRole::Member)
        .await;
    let _ = client
        .remove_channel_member(token, TEAM, CHANNEL, MEMBERSHIP)
        .await;
    let _ = client.site(token, SITE).await;
    let _ = client
        .site_by_path(token, "contoso.sharepoint.com", "/sites/Finance Team")
        .await;
    let _ = client.search_sites(token, "finance", &[]).await;
    let _ = client
        .search_sites(token, "*", &["displayName", "name", "webUrl"])
        .await;
    let _ = client.group_root_site(token, GROUP).await;
    let _ = client
        .site_drives(token, SITE, &["name", "webUrl", "driveType"])
        .await;
    let _ = client.site_default_drive(token, SITE).await;
    let _ = client.drive_root(token, DRIVE).await;
    let recipients = [
        InviteRecipient::Email("sam@contoso.com".to_owned()),
        InviteRecipient::ObjectId(USER.to_owned()),
    ];
    let _ = client
        .invite(
            token,
            DRIVE,
            ITEM,
            &recipients,
            DriveRole::Read,
            Some("Access granted by request R-1042"),
        )
        .await;
    let _ = client.item_permissions(token, DRIVE, ITEM).await;
    let _ = client
        .delete_item_permission(token, DRIVE, ITEM, "aTowIy5mfG1lbWJlcnNoaXA")
        .await;
    let _ = client.calendar_permissions(token).await;
    let _ = client
        .create_calendar_permission(token, "sam@contoso.com", CalendarShareRole::Read)
        .await;
    let _ = client
        .delete_calendar_permission(token, "RXhjaGFuZ2VQdWJsaXNoZWQ=")
        .await;
    let _ = client.message_rules(token).await;
    let _ = client
        .create_forward_rule(token, "Forward to Jo", "jo@contoso.com")
        .await;
    let _ = client.delete_message_rule(token, "AQAAAJ5dZqA=").await;
    let _ = client.authentication_methods(token, USER).await;
    let _ = client
        .reset_password(token, USER, PASSWORD_METHOD_ID, None)
        .await;
    let _ = client
        .create_temporary_access_pass(token, USER, 60, TemporaryAccessPassUse::Once)
        .await;
}

/// Runs one of the shared tools with `input` on standard input.
fn run_tool(tool: &str, input: &str) -> Result<(bool, String), std::io::Error> {
    let mut child = Command::new("python3")
        .arg(format!("{GRAPH_TOOLS_DIR}/{tool}"))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes())?;
    }
    let output = child.wait_with_output()?;
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((output.status.success(), report))
}

#[tokio::test]
async fn every_operation_sends_a_path_and_body_that_graph_metadata_accepts() -> TestResult {
    assert!(
        std::path::Path::new(GRAPH_TOOLS_DIR)
            .join("graph-path-check")
            .is_file(),
        "graph tools missing at {GRAPH_TOOLS_DIR}"
    );
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(graph_error(
            404,
            "Request_ResourceNotFound",
            "not here",
            "nf",
        ))
        .mount(&server)
        .await;
    let client = client_for(&server, fast_policy())?;
    send_every_operation(&client).await;
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), CALL_COUNT, "one request per operation call");

    let mut path_lines = String::new();
    let mut shape_lines = String::new();
    for request in &requests {
        let relative = request.url.path().trim_start_matches("/v1.0");
        let target = match request.url.query() {
            Some(query) => format!("{relative}?{query}"),
            None => relative.to_owned(),
        };
        path_lines.push_str(&format!("{} {target}\n", request.method));
        let body: serde_json::Value = if request.body.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&request.body)?
        };
        let line = json!({ "method": request.method.to_string(), "path": target, "request": body });
        shape_lines.push_str(&format!("{line}\n"));
    }
    let (paths_pass, path_report) = run_tool("graph-path-check", &path_lines)?;
    assert!(
        paths_pass,
        "graph-path-check rejected:\n{path_report}\n{path_lines}"
    );
    let (shapes_pass, shape_report) = run_tool("graph-shape-check", &shape_lines)?;
    assert!(
        shapes_pass,
        "graph-shape-check rejected:\n{shape_report}\n{shape_lines}"
    );
    Ok(())
}

#[test]
fn graph_tools_reject_a_member_removal_without_ref() -> TestResult {
    // Guards the guard: the checker must fail the request the module must never send.
    let (passes, _) = run_tool(
        "graph-path-check",
        &format!("DELETE /groups/{GROUP}/members/{USER}\n"),
    )?;
    assert!(!passes);
    Ok(())
}
