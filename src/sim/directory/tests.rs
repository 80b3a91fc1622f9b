use super::*;

const CONTOSO: &str = include_str!("../../../tests/fixtures/contoso.json");
const FABRIKAM: &str = include_str!("../../../tests/fixtures/fabrikam.json");

fn contoso() -> Directory {
    Directory::load(CONTOSO).expect("the contoso fixture loads")
}

fn group_named<'d>(directory: &'d Directory, name: &str) -> &'d Group {
    directory
        .groups
        .iter()
        .find(|group| group.display_name() == name)
        .expect("group exists")
}

#[test]
fn upn_references_become_links_to_user_ids() {
    let directory = contoso();
    let vpn = group_named(&directory, "VPN Users");
    let nina = directory.user("nina.patel@contoso.com").expect("nina");
    assert!(vpn.has_owner(&nina.id) && vpn.has_member(&nina.id));
    let tom = directory
        .user("TOM.BECKER@contoso.com")
        .expect("lookups ignore case");
    let maria = directory.user("maria.garcia@contoso.com").expect("maria");
    assert_eq!(tom.manager.as_deref(), Some(maria.id.as_str()));
}

#[test]
fn sim_only_facts_are_taken_out_of_graph_properties() {
    let directory = contoso();
    for user in &directory.users {
        for key in [
            "slackUserId",
            "roles",
            "password",
            "lockedOut",
            "authenticationMethods",
            "manager",
        ] {
            assert!(
                !user.props.contains_key(key),
                "{} still has {key}",
                user.upn
            );
        }
    }
    for group in &directory.groups {
        assert!(!group.props.contains_key("owners") && !group.props.contains_key("members"));
    }
    let sarah = directory.user("sarah.chen@contoso.com").expect("sarah");
    assert!(sarah.locked_out);
    assert_eq!(sarah.slack_user_id.as_deref(), Some("U01SARAH"));
    assert_eq!(
        sarah.methods.iter().map(|m| m.kind).collect::<Vec<_>>(),
        vec![MethodKind::Password, MethodKind::MicrosoftAuthenticator]
    );
}

#[test]
fn roles_become_directory_role_memberships() {
    let directory = contoso();
    let operator = directory
        .user("helpdesk.ops@contoso.com")
        .expect("operator");
    let names: Vec<&str> = directory
        .roles_of(&operator.id)
        .map(|role| role.template.display_name)
        .collect();
    assert_eq!(
        names,
        vec![
            "Authentication Administrator",
            "Groups Administrator",
            "Exchange Recipient Administrator"
        ]
    );
    assert!(directory.is_admin(&operator.id));
    let tom = directory.user("tom.becker@contoso.com").expect("tom");
    assert!(!directory.is_admin(&tom.id));
}

#[test]
fn group_kinds_follow_graphs_flags() {
    let directory = contoso();
    let kinds: Vec<(&str, GroupKind)> = directory
        .groups
        .iter()
        .map(|g| (g.display_name(), g.kind()))
        .collect();
    assert!(
        kinds.contains(&("Finance", GroupKind::Unified)),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("GRP-FINANCE-BI-READ", GroupKind::Security)));
    assert!(kinds.contains(&("all-hands", GroupKind::Distribution)));
    let fabrikam = Directory::load(FABRIKAM).expect("fabrikam loads");
    assert_eq!(
        group_named(&fabrikam, "Badge Readers").kind(),
        GroupKind::MailEnabledSecurity
    );
    assert!(group_named(&fabrikam, "Tier0 Admins").is_role_assignable());
}

#[test]
fn shared_mailboxes_become_users_that_cannot_sign_in() {
    let directory = contoso();
    let support = directory
        .user("support@contoso.com")
        .expect("the mailbox is a user");
    assert_eq!(
        support.props.get("accountEnabled"),
        Some(&serde_json::json!(false))
    );
    let mailbox = support.mailbox.as_ref().expect("mailbox facts");
    let priya = directory.user("priya.nair@contoso.com").expect("priya");
    assert_eq!(mailbox.owners, vec![priya.id.clone()]);
    assert!(support.drive.is_none());
}

#[test]
fn broken_references_are_refused_with_a_sentence_saying_where() {
    let cases = [
        (
            CONTOSO.replace(
                "\"manager\": \"david.okafor@contoso.com\"",
                "\"manager\": \"ghost@contoso.com\"",
            ),
            "manager 'ghost@contoso.com'",
        ),
        (
            CONTOSO.replace("\"Global Administrator\"]", "\"Supreme Leader\"]"),
            "Supreme Leader",
        ),
        (
            CONTOSO.replace("\"fido2\"]", "\"carrier pigeon\"]"),
            "carrier pigeon",
        ),
        (
            CONTOSO.replace(
                "\"owners\": [\"nina.patel@contoso.com\"]",
                "\"owners\": [\"x@y\"]",
            ),
            "x@y",
        ),
        (
            CONTOSO.replace(
                "\"groupId\": \"22222222-0000-4000-8000-000000000009\", \"channels\"",
                "\"groupId\": \"nope\", \"channels\"",
            ),
            "nope",
        ),
        ("[]".to_owned(), "top level"),
        ("{\"users\": []}".to_owned(), "tenant"),
        ("not json".to_owned(), "not valid JSON"),
    ];
    for (text, expected) in cases {
        match Directory::load(&text) {
            Ok(_) => panic!("{expected}: the file should be refused"),
            Err(error) => assert!(
                error.to_string().contains(expected),
                "{error} should mention {expected}"
            ),
        }
    }
}

#[test]
fn the_state_loads_back_as_the_same_tenant_with_what_exchange_holds() {
    let mut directory = contoso();
    let tom = directory
        .user("tom.becker@contoso.com")
        .expect("tom")
        .id
        .clone();
    let sarah = directory
        .user("sarah.chen@contoso.com")
        .expect("sarah")
        .id
        .clone();
    assert!(directory.add_relation(
        &tom,
        Relation::SendOnBehalf,
        &sarah,
        std::time::Instant::now()
    ));
    if let Some(user) = directory.user_mut(&tom) {
        user.message_rules.push(
            serde_json::json!({"id": "AQAAAJ5dZqA=", "displayName": "Forward", "sequence": 1}),
        );
    }
    let first = directory.state();
    let again = Directory::load(&first.to_string())
        .expect("the state loads as a tenant file")
        .state();
    assert_eq!(first, again);
    let entry = |list: &str, key: &str, name: &str| {
        first[list]
            .as_array()
            .and_then(|entries| entries.iter().find(|entry| entry[key] == name))
            .cloned()
            .unwrap_or_default()
    };
    let support = entry("mailboxes", "displayName", "Support");
    assert_eq!(
        support["fullAccess"],
        serde_json::json!(["priya.nair@contoso.com"])
    );
    assert_eq!(support["sendOnBehalf"], serde_json::json!([]));
    assert_eq!(
        support["proxyAddresses"],
        serde_json::json!(["SMTP:support@contoso.com"])
    );
    let tom = entry("users", "userPrincipalName", "tom.becker@contoso.com");
    assert_eq!(
        tom["sendOnBehalf"],
        serde_json::json!(["sarah.chen@contoso.com"])
    );
    assert_eq!(
        tom["proxyAddresses"],
        serde_json::json!(["SMTP:tom.becker@contoso.com"])
    );
    assert_eq!(tom["calendarPermissions"][0]["role"], "freeBusyRead");
    assert_eq!(tom["messageRules"][0]["displayName"], "Forward");
    let sarah = entry("users", "userPrincipalName", "sarah.chen@contoso.com");
    assert!(
        sarah.get("sendOnBehalf").is_none(),
        "empty delegate lists stay out of users"
    );
}

#[test]
fn a_removal_lingers_for_reads_only_as_long_as_the_lag() {
    let mut directory = contoso();
    let support = directory
        .user("support@contoso.com")
        .expect("support")
        .id
        .clone();
    let priya = directory
        .user("priya.nair@contoso.com")
        .expect("priya")
        .id
        .clone();
    let now = std::time::Instant::now();
    let lag = std::time::Duration::from_secs(5);
    assert!(directory.remove_relation(&support, Relation::FullAccess, &priya, now, lag));
    assert!(!directory.holds(&support, Relation::FullAccess, &priya));
    assert_eq!(
        directory.visible_relation(&support, Relation::FullAccess, now),
        vec![priya.clone()]
    );
    assert!(
        directory
            .visible_relation(&support, Relation::FullAccess, now + lag)
            .is_empty()
    );
    assert!(!directory.remove_relation(&support, Relation::FullAccess, &priya, now, lag));
}

#[test]
fn sign_in_facts_are_read_checked_and_kept_apart_from_graph_properties() {
    let mut file: serde_json::Value = serde_json::from_str(CONTOSO).expect("JSON");
    file["tenant"]["signInLogs"] = serde_json::json!(false);
    file["users"][6]["signIns"] = serde_json::json!([
        {"at": "2024-05-02T09:30:00Z", "errorCode": 53003, "policy": "Require a compliant device"}
    ]);
    file["users"][6]["passwordExpired"] = serde_json::json!(true);
    let directory = Directory::load(&file.to_string()).expect("loads");
    assert!(!directory.tenant.sign_in_logs);
    let user = &directory.users[6];
    assert!(user.password_expired);
    assert_eq!(user.sign_ins.len(), 1);
    assert_eq!(
        user.sign_ins[0].policy.as_deref(),
        Some("Require a compliant device")
    );
    for key in ["signIns", "passwordExpired"] {
        assert!(!user.props.contains_key(key), "{key} is a Graph property");
    }
    let again = Directory::load(&directory.state().to_string()).expect("the state loads");
    assert_eq!(again.users[6].sign_ins, user.sign_ins);

    file["users"][6]["signIns"] = serde_json::json!([{"at": "yesterday", "errorCode": 0}]);
    let refused = Directory::load(&file.to_string()).expect_err("a bad time is refused");
    assert!(refused.to_string().contains("RFC 3339"), "{refused}");
}
