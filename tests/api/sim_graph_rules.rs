//! Graph's authorization rules and shapes, as the simulator enforces them.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{FABRIKAM, MEMBER_SCOPES, TestSim};

#[tokio::test]
async fn an_owner_adds_a_member_and_a_duplicate_add_gets_graphs_already_exists() {
    let sim = TestSim::start().await;
    let owner = sim
        .access_token("nina.patel@contoso.com", MEMBER_SCOPES)
        .await;
    let group = sim.group_id("VPN Users");
    let jordan = sim.reference(&sim.user_id("jordan.lee@contoso.com"));
    let added = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/groups/{group}/members/$ref"),
            Some(jordan.clone()),
        )
        .await;
    assert_eq!(added.status, 204);
    assert!(
        added.header("request-id").is_some(),
        "Graph answers carry a request-id"
    );
    let again = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/groups/{group}/members/$ref"),
            Some(jordan),
        )
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.error_code(), "Request_BadRequest");
    assert!(
        again.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("already exist")
    );
    assert!(again.body["error"]["innerError"]["request-id"].is_string());
    assert!(
        sim.members("VPN Users")
            .await
            .contains(&"jordan.lee@contoso.com".to_owned())
    );
}

#[tokio::test]
async fn nobody_adds_themselves_to_a_group_they_do_not_own() {
    let sim = TestSim::start().await;
    let jordan = sim
        .access_token("jordan.lee@contoso.com", MEMBER_SCOPES)
        .await;
    let group = sim.group_id("Project Atlas");
    let me = sim.reference(&sim.user_id("jordan.lee@contoso.com"));
    let refused = sim
        .graph(
            &jordan,
            Method::POST,
            &format!("/groups/{group}/members/$ref"),
            Some(me),
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.error_code(), "Authorization_RequestDenied");
    assert!(
        !sim.members("Project Atlas")
            .await
            .contains(&"jordan.lee@contoso.com".to_owned())
    );
}

#[tokio::test]
async fn a_groups_administrator_changes_any_group_except_role_assignable_ones() {
    let sim = TestSim::start().await;
    let operator = sim
        .access_token("helpdesk.ops@contoso.com", MEMBER_SCOPES)
        .await;
    let tom = sim.reference(&sim.user_id("tom.becker@contoso.com"));
    let vpn = sim.group_id("VPN Users");
    assert_eq!(
        sim.graph(
            &operator,
            Method::POST,
            &format!("/groups/{vpn}/members/$ref"),
            Some(tom.clone())
        )
        .await
        .status,
        204
    );
    let admins = sim.group_id("Helpdesk Admins");
    let refused = sim
        .graph(
            &operator,
            Method::POST,
            &format!("/groups/{admins}/members/$ref"),
            Some(tom),
        )
        .await;
    assert_eq!(
        refused.status, 403,
        "role-assignable groups need a Privileged Role Administrator or owner"
    );
}

#[tokio::test]
async fn role_assignable_groups_also_need_the_role_management_scope() {
    let sim = TestSim::start().await;
    let admins = sim.group_id("Helpdesk Admins");
    let tom = sim.reference(&sim.user_id("tom.becker@contoso.com"));
    let without = sim
        .access_token("grace.admin@contoso.com", MEMBER_SCOPES)
        .await;
    assert_eq!(
        sim.graph(
            &without,
            Method::POST,
            &format!("/groups/{admins}/members/$ref"),
            Some(tom.clone())
        )
        .await
        .status,
        403
    );
    let with = sim
        .access_token(
            "grace.admin@contoso.com",
            "GroupMember.ReadWrite.All RoleManagement.ReadWrite.Directory",
        )
        .await;
    assert_eq!(
        sim.graph(
            &with,
            Method::POST,
            &format!("/groups/{admins}/members/$ref"),
            Some(tom)
        )
        .await
        .status,
        204
    );
}

#[tokio::test]
async fn distribution_lists_and_mail_enabled_security_groups_refuse_writes_with_400() {
    let sim = TestSim::start_with(FABRIKAM).await;
    let admin = sim
        .access_token("root.admin@fabrikam.net", MEMBER_SCOPES)
        .await;
    let kofi = sim.reference(&sim.user_id("kofi.mensah@fabrikam.net"));
    for name in ["everyone-news", "Badge Readers"] {
        let group = sim.group_id(name);
        let refused = sim
            .graph(
                &admin,
                Method::POST,
                &format!("/groups/{group}/members/$ref"),
                Some(kofi.clone()),
            )
            .await;
        assert_eq!(refused.status, 400, "{name}");
        assert_eq!(
            refused.body["error"]["message"],
            "Cannot Update a mail-enabled security groups and or distribution list."
        );
    }
}

#[tokio::test]
async fn app_only_tokens_read_the_directory_and_never_write() {
    let sim = TestSim::start().await;
    let app = sim.app_token().await;
    let group = sim.group_id("VPN Users");
    assert_eq!(sim.get(&app, &format!("/groups/{group}")).await.status, 200);
    assert_eq!(
        sim.get(&app, &format!("/groups/{group}/members"))
            .await
            .status,
        200
    );
    let tom = sim.reference(&sim.user_id("tom.becker@contoso.com"));
    let refused = sim
        .graph(
            &app,
            Method::POST,
            &format!("/groups/{group}/members/$ref"),
            Some(tom),
        )
        .await;
    assert_eq!(refused.status, 403);
}

#[tokio::test]
async fn a_token_without_a_fitting_scope_is_forbidden() {
    let sim = TestSim::start().await;
    let token = sim
        .access_token("tom.becker@contoso.com", "User.Read")
        .await;
    assert_eq!(sim.get(&token, "/me").await.status, 200);
    assert_eq!(sim.get(&token, "/groups").await.status, 403);
}

#[tokio::test]
async fn only_authentication_administrators_reset_other_peoples_passwords() {
    let sim = TestSim::start().await;
    let path = |upn: &str| {
        format!(
            "/users/{upn}/authentication/methods/28c10230-6103-485e-b985-444c60001490/resetPassword"
        )
    };
    let scopes = "UserAuthenticationMethod.ReadWrite.All";
    let operator = sim.access_token("helpdesk.ops@contoso.com", scopes).await;
    let reset = sim
        .graph(
            &operator,
            Method::POST,
            &path("sarah.chen@contoso.com"),
            Some(json!({})),
        )
        .await;
    assert_eq!(reset.status, 202);
    assert!(
        reset
            .header("location")
            .is_some_and(|l| l.contains("/authentication/operations/"))
    );
    assert!(
        reset.body["newPassword"].is_string(),
        "an empty body asks Graph to generate a password"
    );
    let state = sim.control(Method::GET, "state", None).await.body;
    let sarah = state["users"]
        .as_array()
        .and_then(|u| {
            u.iter()
                .find(|u| u["userPrincipalName"] == "sarah.chen@contoso.com")
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        sarah["lockedOut"], false,
        "an administrator's reset clears a lockout"
    );
    let admin_target = sim
        .graph(
            &operator,
            Method::POST,
            &path("grace.admin@contoso.com"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        admin_target.status, 403,
        "admins' credentials need a privileged role"
    );
    let own = sim
        .graph(
            &operator,
            Method::POST,
            &path("helpdesk.ops@contoso.com"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        own.status, 403,
        "nobody resets their own password through this API"
    );
    let plain = sim.access_token("tom.becker@contoso.com", scopes).await;
    assert_eq!(
        sim.graph(
            &plain,
            Method::POST,
            &path("alex.kim@contoso.com"),
            Some(json!({}))
        )
        .await
        .status,
        403
    );
}

#[tokio::test]
async fn a_temporary_access_pass_is_shown_once_and_replaces_the_previous_one() {
    let sim = TestSim::start().await;
    let operator = sim
        .access_token(
            "helpdesk.ops@contoso.com",
            "UserAuthenticationMethod.ReadWrite.All",
        )
        .await;
    let path = "/users/maria.garcia@contoso.com/authentication/temporaryAccessPassMethods";
    let first = sim
        .graph(
            &operator,
            Method::POST,
            path,
            Some(json!({"lifetimeInMinutes": 60, "isUsableOnce": true})),
        )
        .await;
    assert_eq!(first.status, 201);
    assert!(first.body["temporaryAccessPass"].is_string());
    let second = sim
        .graph(
            &operator,
            Method::POST,
            path,
            Some(json!({"lifetimeInMinutes": 120})),
        )
        .await;
    assert_eq!(second.status, 201);
    let listed = sim.get(&operator, path).await;
    let passes = listed.body["value"].as_array().cloned().unwrap_or_default();
    assert_eq!(passes.len(), 1, "one pass per user");
    assert!(
        passes[0].get("temporaryAccessPass").is_none(),
        "the pass is never shown again"
    );
    let too_long = sim
        .graph(
            &operator,
            Method::POST,
            path,
            Some(json!({"lifetimeInMinutes": 99999})),
        )
        .await;
    assert_eq!(too_long.status, 400);
}

#[tokio::test]
async fn users_come_with_graphs_default_properties_unless_others_are_selected() {
    let sim = TestSim::start().await;
    let token = sim
        .access_token("tom.becker@contoso.com", "User.Read User.Read.All")
        .await;
    let default = sim.get(&token, "/users/alex.kim@contoso.com").await;
    assert_eq!(default.body["displayName"], "Alex Kim");
    assert!(
        default.body.get("department").is_none(),
        "department needs $select"
    );
    let selected = sim
        .get(
            &token,
            "/users/alex.kim@contoso.com?$select=id,department,accountEnabled,employeeType",
        )
        .await;
    assert_eq!(selected.body["department"], "Support");
    assert_eq!(selected.body["employeeType"], "Employee");
    assert!(selected.body.get("displayName").is_none());
    let unknown = sim
        .get(&token, "/users/alex.kim@contoso.com?$select=upn")
        .await;
    assert_eq!(unknown.status, 400);
    let manager = sim.get(&token, "/users/alex.kim@contoso.com/manager").await;
    assert_eq!(manager.body["userPrincipalName"], "priya.nair@contoso.com");
    assert_eq!(manager.body["@odata.type"], "#microsoft.graph.user");
    let none = sim
        .get(&token, "/users/priya.nair@contoso.com/manager")
        .await;
    assert_eq!(
        (none.status, none.error_code()),
        (404, "Request_ResourceNotFound")
    );
    let guest = sim
        .get(
            &token,
            "/users/vendor_fabrikam.com%23EXT%23@contoso.com?$select=userType",
        )
        .await;
    assert_eq!(guest.body["userType"], "Guest");
}

#[tokio::test]
async fn advanced_queries_need_the_eventual_consistency_header() {
    let sim = TestSim::start().await;
    let app = sim.app_token().await;
    let search = "/groups?$search=%22displayName:fin%22&$count=true";
    assert_eq!(sim.get(&app, search).await.status, 400);
    let found = sim
        .graph_with(
            &app,
            Method::GET,
            search,
            None,
            &[("ConsistencyLevel", "eventual")],
        )
        .await;
    assert_eq!(found.status, 200);
    let names: Vec<&str> = found.body["value"]
        .as_array()
        .map(|v| v.iter().filter_map(|g| g["displayName"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        names.contains(&"Finance") && names.contains(&"GRP-FINANCE-BI-READ"),
        "{names:?}"
    );
    assert_eq!(found.body["@odata.count"], names.len());
    let count = sim
        .graph_with(
            &app,
            Method::GET,
            "/groups/$count",
            None,
            &[("ConsistencyLevel", "eventual")],
        )
        .await;
    assert_eq!(count.text, "9");
    let unified = sim
        .get(
            &app,
            "/groups?$filter=groupTypes/any(c:c%20eq%20'Unified')&$select=displayName",
        )
        .await;
    assert_eq!(unified.body["value"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn large_collections_come_in_pages_linked_by_next_link() {
    let sim = TestSim::start().await;
    let app = sim.app_token().await;
    let mut next = Some(format!("{}/v1.0/groups?$top=4&$select=id", sim.url));
    let mut seen = Vec::new();
    while let Some(url) = next {
        let page = sim
            .http
            .get(&url)
            .bearer_auth(&app)
            .send()
            .await
            .expect("page")
            .json::<serde_json::Value>()
            .await
            .expect("JSON");
        seen.extend(page["value"].as_array().cloned().unwrap_or_default());
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 9);
}

#[tokio::test]
async fn private_channels_admit_only_team_members_added_by_an_owner() {
    let sim = TestSim::start().await;
    let owner = sim
        .access_token(
            "maria.garcia@contoso.com",
            "ChannelMember.ReadWrite.All TeamMember.ReadWrite.All",
        )
        .await;
    let team = sim.group_id("Marketing");
    let channel = "19:marketing-launch@thread.tacv2";
    let body = |upn: &str| {
        json!({
            "@odata.type": "#microsoft.graph.aadUserConversationMember",
            "roles": [],
            "user@odata.bind": format!("https://graph.microsoft.com/v1.0/users('{upn}')"),
        })
    };
    let outsider = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/teams/{team}/channels/{channel}/members"),
            Some(body("jordan.lee@contoso.com")),
        )
        .await;
    assert_eq!(
        outsider.status, 400,
        "a private channel needs team membership first"
    );
    let member = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/teams/{team}/channels/{channel}/members"),
            Some(body("tom.becker@contoso.com")),
        )
        .await;
    assert_eq!(member.status, 201);
    assert_eq!(member.body["userId"], sim.user_id("tom.becker@contoso.com"));
    let standard = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/teams/{team}/channels/19:general-marketing@thread.tacv2/members"),
            Some(body("tom.becker@contoso.com")),
        )
        .await;
    assert_eq!(standard.status, 400);
    let joined = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/teams/{team}/members"),
            Some(body("jordan.lee@contoso.com")),
        )
        .await;
    assert_eq!(joined.status, 201);
    assert!(
        sim.members("Marketing")
            .await
            .contains(&"jordan.lee@contoso.com".to_owned()),
        "a team follows its group"
    );
    let listed = sim.get(&owner, &format!("/teams/{team}/members?$filter=(microsoft.graph.aadUserConversationMember/userId%20eq%20'{}')", sim.user_id("jordan.lee@contoso.com"))).await;
    assert_eq!(listed.body["value"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn only_a_calendars_owner_shares_it() {
    let sim = TestSim::start().await;
    let maria = sim
        .access_token("maria.garcia@contoso.com", "Calendars.ReadWrite")
        .await;
    let shared = sim.graph(&maria, Method::POST, "/me/calendar/calendarPermissions", Some(json!({"emailAddress": {"name": "Tom Becker", "address": "tom.becker@contoso.com"}, "role": "read"}))).await;
    assert_eq!(shared.status, 201);
    assert_eq!(shared.body["isInsideOrganization"], true);
    let listed = sim.get(&maria, "/me/calendar/calendarPermissions").await;
    assert_eq!(listed.body["value"].as_array().map(Vec::len), Some(2));
    let other = sim
        .get(
            &maria,
            &format!(
                "/users/{}/calendar/calendarPermissions",
                sim.user_id("tom.becker@contoso.com")
            ),
        )
        .await;
    assert_eq!(
        (other.status, other.error_code()),
        (403, "ErrorAccessDenied")
    );
}

#[tokio::test]
async fn shared_mailboxes_are_users_that_cannot_sign_in_with_purpose_shared() {
    let sim = TestSim::start().await;
    let app = sim.app_token().await;
    let disabled = sim
        .get(
            &app,
            "/users?$filter=accountEnabled%20eq%20false&$select=id,mail",
        )
        .await;
    let mails: Vec<&str> = disabled.body["value"]
        .as_array()
        .map(|v| v.iter().filter_map(|u| u["mail"].as_str()).collect())
        .unwrap_or_default();
    assert!(mails.contains(&"support@contoso.com"), "{mails:?}");
    let purpose = sim
        .get(
            &app,
            "/users/support@contoso.com/mailboxSettings/userPurpose",
        )
        .await;
    assert_eq!(purpose.body["value"], "shared");
    let person = sim
        .get(&app, "/users/alex.kim@contoso.com/mailboxSettings")
        .await;
    assert_eq!(person.body["userPurpose"], "user");
    let lists = sim.get(&app, "/groups?$filter=mailEnabled%20eq%20true%20and%20securityEnabled%20eq%20false&$select=displayName,groupTypes").await;
    let dls: Vec<&str> = lists.body["value"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter(|g| g["groupTypes"].as_array().is_some_and(Vec::is_empty))
                .filter_map(|g| g["displayName"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(dls, vec!["all-hands", "all-sales"]);
}

#[tokio::test]
async fn a_site_owner_shares_a_library_by_invitation_and_can_take_it_back() {
    let sim = TestSim::start().await;
    let owner = sim
        .access_token(
            "david.okafor@contoso.com",
            "Sites.Read.All Files.ReadWrite.All",
        )
        .await;
    let site = sim
        .get(&owner, "/sites/contoso.sharepoint.com:/sites/Finance")
        .await;
    assert_eq!(site.body["displayName"], "Finance");
    let site_id = site.body["id"].as_str().unwrap_or_default().to_owned();
    let drive = sim.get(&owner, &format!("/sites/{site_id}/drive")).await;
    let drive_id = drive.body["id"].as_str().unwrap_or_default().to_owned();
    let invited = sim
        .graph(&owner, Method::POST, &format!("/drives/{drive_id}/root/invite"), Some(json!({"recipients": [{"email": "alex.kim@contoso.com"}], "roles": ["read"], "requireSignIn": true, "sendInvitation": false})))
        .await;
    assert_eq!(invited.status, 200);
    let permission = invited.body["value"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let listed = sim
        .get(&owner, &format!("/drives/{drive_id}/root/permissions"))
        .await;
    assert!(listed.text.contains(&sim.user_id("alex.kim@contoso.com")));
    let reader = sim
        .access_token("alex.kim@contoso.com", "Files.ReadWrite.All")
        .await;
    let reshare = sim
        .graph(
            &reader,
            Method::POST,
            &format!("/drives/{drive_id}/root/invite"),
            Some(json!({"recipients": [{"email": "tom.becker@contoso.com"}], "roles": ["write"]})),
        )
        .await;
    assert_eq!(reshare.status, 403, "a reader cannot share the library");
    assert_eq!(
        sim.graph(
            &owner,
            Method::DELETE,
            &format!("/drives/{drive_id}/root/permissions/{permission}"),
            None
        )
        .await
        .status,
        204
    );
    let search = sim.get(&owner, "/sites?search=atlas").await;
    assert_eq!(search.body["value"][0]["displayName"], "Project Atlas");
}

#[tokio::test]
async fn bad_tokens_are_refused_with_401_and_a_challenge() {
    let sim = TestSim::start().await;
    for token in ["garbage", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"] {
        let answer = sim.get(token, "/me").await;
        assert_eq!(
            (answer.status, answer.error_code()),
            (401, "InvalidAuthenticationToken")
        );
        assert!(answer.header("www-authenticate").is_some());
    }
    let expired = sim.state.keys.sign(&json!({
        "aud": "https://graph.microsoft.com", "iss": format!("https://sts.windows.net/{}/", sim.tenant_id()),
        "oid": sim.user_id("tom.becker@contoso.com"), "tid": sim.tenant_id(), "scp": "User.Read", "iat": 1_000, "nbf": 1_000, "exp": 2_000,
    }));
    let answer = sim.get(&expired, "/me").await;
    assert_eq!(answer.status, 401);
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired")
    );
    let unsigned = sim
        .http
        .get(format!("{}/v1.0/me", sim.url))
        .send()
        .await
        .expect("answers");
    assert_eq!(unsigned.status(), 401);
}

#[tokio::test]
async fn unknown_segments_and_methods_get_graphs_errors() {
    let mut sim = TestSim::start().await;
    sim.skip_log_check();
    let token = sim
        .access_token("tom.becker@contoso.com", MEMBER_SCOPES)
        .await;
    let unknown = sim.get(&token, "/groups/abc/memberz").await;
    assert_eq!(unknown.status, 400);
    assert!(
        unknown.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("memberz")
    );
    assert_eq!(
        sim.graph(&token, Method::PUT, "/me", None).await.status,
        405
    );
    let malformed = sim
        .http
        .post(format!("{}/v1.0/me/checkMemberGroups", sim.url))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .expect("answers");
    assert_eq!(malformed.status(), 400);
}

const RESET: &str = "/authentication/methods/28c10230-6103-485e-b985-444c60001490/resetPassword";

#[tokio::test]
async fn a_helpdesk_administrator_resets_passwords_but_cannot_issue_temporary_access_passes() {
    let sim = TestSim::start_with(FABRIKAM).await;
    let junior = sim
        .access_token(
            "desk.junior@fabrikam.net",
            "UserAuthenticationMethod.ReadWrite.All",
        )
        .await;
    let reset = sim
        .graph(
            &junior,
            Method::POST,
            &format!("/users/kofi.mensah@fabrikam.net{RESET}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(reset.status, 202);
    let pass = sim
        .graph(
            &junior,
            Method::POST,
            "/users/kofi.mensah@fabrikam.net/authentication/temporaryAccessPassMethods",
            Some(json!({"lifetimeInMinutes": 60})),
        )
        .await;
    assert_eq!(
        pass.status, 403,
        "temporary access passes need an Authentication Administrator"
    );
}

#[tokio::test]
async fn members_of_role_assignable_groups_are_protected_like_admins() {
    let sim = TestSim::start_with(FABRIKAM).await;
    let path = format!("/users/break.glass@fabrikam.net{RESET}");
    let desk = sim
        .access_token(
            "service.desk@fabrikam.net",
            "UserAuthenticationMethod.ReadWrite.All",
        )
        .await;
    assert_eq!(
        sim.graph(&desk, Method::POST, &path, Some(json!({})))
            .await
            .status,
        403
    );
    let root = sim
        .access_token(
            "root.admin@fabrikam.net",
            "UserAuthenticationMethod.ReadWrite.All",
        )
        .await;
    assert_eq!(
        sim.graph(&root, Method::POST, &path, Some(json!({})))
            .await
            .status,
        202
    );
}

#[tokio::test]
async fn a_role_assignable_team_obeys_its_groups_rules_through_the_teams_api_too() {
    let sim = TestSim::start_with(FABRIKAM).await;
    let team = sim.group_id("Leadership");
    let body = json!({
        "@odata.type": "#microsoft.graph.aadUserConversationMember",
        "roles": [],
        "user@odata.bind": "https://graph.microsoft.com/v1.0/users('kofi.mensah@fabrikam.net')",
    });
    let desk = sim
        .access_token(
            "service.desk@fabrikam.net",
            "TeamMember.ReadWrite.All GroupMember.ReadWrite.All",
        )
        .await;
    assert_eq!(
        sim.graph(
            &desk,
            Method::POST,
            &format!("/teams/{team}/members"),
            Some(body.clone())
        )
        .await
        .status,
        403
    );
    let root = sim
        .access_token(
            "root.admin@fabrikam.net",
            "TeamMember.ReadWrite.All RoleManagement.ReadWrite.Directory",
        )
        .await;
    assert_eq!(
        sim.graph(
            &root,
            Method::POST,
            &format!("/teams/{team}/members"),
            Some(body)
        )
        .await
        .status,
        201
    );
}

#[tokio::test]
async fn a_patch_with_one_bad_reference_changes_nothing() {
    let sim = TestSim::start().await;
    let owner = sim
        .access_token("nina.patel@contoso.com", "GroupMember.ReadWrite.All")
        .await;
    let group = sim.group_id("VPN Users");
    let url = |upn: &str| {
        format!(
            "https://graph.microsoft.com/v1.0/directoryObjects/{}",
            sim.user_id(upn)
        )
    };
    let patch = json!({"members@odata.bind": [url("tom.becker@contoso.com"), url("nina.patel@contoso.com")]});
    let refused = sim
        .graph(
            &owner,
            Method::PATCH,
            &format!("/groups/{group}"),
            Some(patch),
        )
        .await;
    assert_eq!(refused.status, 400, "nina is already a member");
    assert!(
        !sim.members("VPN Users")
            .await
            .contains(&"tom.becker@contoso.com".to_owned()),
        "tom was not added either"
    );
    let patch =
        json!({"members@odata.bind": [url("tom.becker@contoso.com"), url("alex.kim@contoso.com")]});
    assert_eq!(
        sim.graph(
            &owner,
            Method::PATCH,
            &format!("/groups/{group}"),
            Some(patch)
        )
        .await
        .status,
        204
    );
    assert_eq!(sim.members("VPN Users").await.len(), 3);
}

#[tokio::test]
async fn the_basic_read_scope_shows_only_basic_profiles_in_lists_too() {
    let sim = TestSim::start().await;
    let token = sim
        .access_token("tom.becker@contoso.com", "User.ReadBasic.All")
        .await;
    let listed = sim
        .get(&token, "/users?$select=displayName,department")
        .await;
    assert_eq!(listed.status, 200);
    let departments: Vec<&serde_json::Value> = listed.body["value"]
        .as_array()
        .map(|v| v.iter().map(|u| &u["department"]).collect())
        .unwrap_or_default();
    assert!(
        departments.iter().filter(|d| !d.is_null()).count() <= 1,
        "only tom's own department may show: {departments:?}"
    );
    let filtered = sim
        .get(&token, "/users?$filter=department%20eq%20'Finance'")
        .await;
    assert_eq!(filtered.body["value"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn odata_key_syntax_addresses_users_too() {
    let sim = TestSim::start().await;
    let token = sim
        .access_token("tom.becker@contoso.com", "User.Read.All")
        .await;
    let answer = sim.get(&token, "/users('alex.kim@contoso.com')").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["displayName"], "Alex Kim");
}

#[tokio::test]
async fn forged_page_tokens_and_absurd_faults_are_refused() {
    let mut sim = TestSim::start().await;
    sim.skip_log_check();
    let app = sim.app_token().await;
    assert_eq!(sim.get(&app, "/groups?$skiptoken=bm9wZQ").await.status, 400);
    let huge = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        format!("doorman-sim-page:{}", usize::MAX),
    );
    assert_eq!(
        sim.get(&app, &format!("/groups?$skiptoken={huge}"))
            .await
            .status,
        400
    );
    for fault in [
        json!({"replication_lag_ms": u64::MAX}),
        json!({"latency_ms": 10_000_000_000_u64}),
    ] {
        assert_eq!(
            sim.control(Method::POST, "faults", Some(fault))
                .await
                .status,
            400
        );
    }
}

#[tokio::test]
async fn a_channel_owner_changes_a_members_role_and_nobody_else_can() {
    let sim = TestSim::start().await;
    let scopes = "ChannelMember.ReadWrite.All TeamMember.ReadWrite.All";
    let owner = sim.access_token("maria.garcia@contoso.com", scopes).await;
    let (team, channel) = (
        sim.group_id("Marketing"),
        "19:marketing-launch@thread.tacv2",
    );
    let added = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/teams/{team}/channels/{channel}/members"),
            Some(json!({
                "@odata.type": "#microsoft.graph.aadUserConversationMember",
                "roles": [],
                "user@odata.bind": "https://graph.microsoft.com/v1.0/users('tom.becker@contoso.com')",
            })),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let membership = added.body["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/teams/{team}/channels/{channel}/members/{membership}");
    let role = |roles: serde_json::Value| json!({"@odata.type": "#microsoft.graph.aadUserConversationMember", "roles": roles});

    let tom = sim.access_token("tom.becker@contoso.com", scopes).await;
    let himself = sim
        .graph(&tom, Method::PATCH, &path, Some(role(json!(["owner"]))))
        .await;
    assert_eq!(himself.status, 403, "a member cannot make himself owner");
    let nonsense = sim
        .graph(&owner, Method::PATCH, &path, Some(role(json!(["admin"]))))
        .await;
    assert_eq!(nonsense.status, 400, "{}", nonsense.text);
    let promoted = sim
        .graph(&owner, Method::PATCH, &path, Some(role(json!(["owner"]))))
        .await;
    assert_eq!(promoted.status, 200, "{}", promoted.text);
    assert_eq!(promoted.body["roles"], json!(["owner"]));
    let demoted = sim
        .graph(&owner, Method::PATCH, &path, Some(role(json!([]))))
        .await;
    assert_eq!(demoted.status, 200, "{}", demoted.text);
    assert_eq!(demoted.body["roles"], json!([]));
    let gone = sim
        .graph(
            &owner,
            Method::PATCH,
            &format!("/teams/{team}/channels/{channel}/members/not-a-membership"),
            Some(role(json!([]))),
        )
        .await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn a_site_owner_changes_the_role_of_a_direct_sharing_permission_only() {
    let sim = TestSim::start().await;
    let owner = sim
        .access_token(
            "david.okafor@contoso.com",
            "Sites.Read.All Files.ReadWrite.All",
        )
        .await;
    let drive = "b!fin-docs";
    let invited = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/drives/{drive}/root/invite"),
            Some(json!({"recipients": [{"email": "alex.kim@contoso.com"}], "roles": ["write"], "requireSignIn": true, "sendInvitation": false})),
        )
        .await;
    assert_eq!(invited.status, 200, "{}", invited.text);
    let permission = invited.body["value"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = format!("/drives/{drive}/root/permissions/{permission}");
    let reader = sim
        .access_token("alex.kim@contoso.com", "Files.ReadWrite.All")
        .await;
    let own = sim
        .graph(
            &reader,
            Method::PATCH,
            &path,
            Some(json!({"roles": ["write"]})),
        )
        .await;
    assert_eq!(
        own.status, 403,
        "only who manages the library changes roles"
    );
    let two = sim
        .graph(
            &owner,
            Method::PATCH,
            &path,
            Some(json!({"roles": ["read", "write"]})),
        )
        .await;
    assert_eq!(two.status, 400);
    let read = sim
        .graph(
            &owner,
            Method::PATCH,
            &path,
            Some(json!({"roles": ["read"]})),
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["roles"], json!(["read"]));
    let missing = sim
        .graph(
            &owner,
            Method::PATCH,
            &format!("/drives/{drive}/root/permissions/NOPE"),
            Some(json!({"roles": ["read"]})),
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn leaving_a_team_leaves_its_private_channels_too() {
    let sim = TestSim::start().await;
    let owner = sim
        .access_token(
            "maria.garcia@contoso.com",
            "GroupMember.ReadWrite.All ChannelMember.ReadWrite.All",
        )
        .await;
    let (team, channel) = (
        sim.group_id("Marketing"),
        "19:marketing-launch@thread.tacv2",
    );
    let tom = sim.user_id("tom.becker@contoso.com");
    let added = sim
        .graph(
            &owner,
            Method::POST,
            &format!("/teams/{team}/channels/{channel}/members"),
            Some(json!({
                "@odata.type": "#microsoft.graph.aadUserConversationMember",
                "roles": [],
                "user@odata.bind": format!("https://graph.microsoft.com/v1.0/users('{tom}')"),
            })),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let removed = sim
        .graph(
            &owner,
            Method::DELETE,
            &format!("/groups/{team}/members/{tom}/$ref"),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let members = sim
        .get(&owner, &format!("/teams/{team}/channels/{channel}/members"))
        .await;
    assert!(
        !members.text.contains(&tom),
        "a private channel keeps only its team's members: {}",
        members.text
    );
}
