//! Table-driven tests of `$filter` parsing and evaluation on small JSON objects.

use serde_json::{Value, json};

use super::Filter;

/// Parses `filter`, evaluates it on every object of the row, and compares with the expectations.
fn check(rows: &[(&str, Value, bool)]) {
    for (filter, item, expected) in rows {
        let parsed = match Filter::parse(filter) {
            Ok(parsed) => parsed,
            Err(error) => panic!("{filter} did not parse: {error}"),
        };
        assert_eq!(parsed.matches(item), *expected, "{filter} on {item}");
    }
}

#[test]
fn examples_from_graph_documentation_parse_and_evaluate() {
    let member = "73761f06-2ac9-469c-9f10-279a8cc267f9";
    let security_group = json!({
        "mailEnabled": false, "securityEnabled": true, "groupTypes": ["DynamicMembership"],
        "membershipRuleProcessingState": "On"
    });
    let unified_group = json!({
        "mailEnabled": false, "securityEnabled": true, "groupTypes": ["Unified"],
        "membershipRuleProcessingState": "On"
    });
    let conversation_member = json!({
        "@odata.type": "#microsoft.graph.aadUserConversationMember",
        "userId": member, "displayName": "Harry Johnson", "email": "harry@contoso.com"
    });
    let other_member = json!({
        "@odata.type": "#microsoft.graph.anonymousGuestConversationMember",
        "userId": member, "displayName": "Harry Johnson"
    });
    let security_filter = "mailEnabled eq false and securityEnabled eq true and NOT(groupTypes/any(s:s eq 'Unified')) and membershipRuleProcessingState eq 'On'";
    let member_filter = "(microsoft.graph.aadUserConversationMember/displayName eq 'Harry Johnson' or microsoft.graph.aadUserConversationMember/email eq 'admin@M365x987948.OnMicrosoft.com')";
    check(&[
        (
            "startswith(displayName, 'a')",
            json!({"displayName": "Adele Vance"}),
            true,
        ),
        (
            "startswith(displayName, 'a')",
            json!({"displayName": "Megan Bowen"}),
            false,
        ),
        (security_filter, security_group.clone(), true),
        (security_filter, unified_group, false),
        (
            security_filter,
            json!({"mailEnabled": false, "securityEnabled": true, "membershipRuleProcessingState": "On"}),
            true,
        ),
        (
            "hasMembersWithLicenseErrors eq true",
            json!({"hasMembersWithLicenseErrors": true}),
            true,
        ),
        ("hasMembersWithLicenseErrors eq true", json!({}), false),
        (
            "assignedLicenses/any()",
            json!({"assignedLicenses": [{"skuId": "x"}]}),
            true,
        ),
        (
            "assignedLicenses/any()",
            json!({"assignedLicenses": []}),
            false,
        ),
        ("assignedLicenses/any()", json!({}), false),
        (
            "appRoleAssignments/$count gt 0",
            json!({"appRoleAssignments": [{}]}),
            true,
        ),
        (
            "appRoleAssignments/$count gt 0",
            json!({"appRoleAssignments": []}),
            false,
        ),
        ("appRoleAssignments/$count gt 0", json!({}), false),
        (
            &format!("(microsoft.graph.aadUserConversationMember/userId eq '{member}')"),
            conversation_member.clone(),
            true,
        ),
        (
            &format!("(microsoft.graph.aadUserConversationMember/userId eq '{member}')"),
            other_member.clone(),
            false,
        ),
        (member_filter, conversation_member, true),
        (member_filter, other_member, false),
        (
            "startsWith(appDisplayName,'Graph')",
            json!({"appDisplayName": "Graph Explorer"}),
            true,
        ),
        (
            "startsWith(appDisplayName,'Graph')",
            json!({"appDisplayName": "Teams"}),
            false,
        ),
        (
            "userPrincipalName eq 'o''brien@contoso.com'",
            json!({"userPrincipalName": "O'Brien@contoso.com"}),
            true,
        ),
        (
            "userPrincipalName eq 'o''brien@contoso.com'",
            json!({"userPrincipalName": "obrien@contoso.com"}),
            false,
        ),
        (
            "createdDateTime ge 2024-01-01T00:00:00Z",
            json!({"createdDateTime": "2024-03-05T10:00:00Z"}),
            true,
        ),
        (
            "createdDateTime ge 2024-01-01T00:00:00Z",
            json!({"createdDateTime": "2023-12-31T23:59:59Z"}),
            false,
        ),
        ("id in ('a','b')", json!({"id": "b"}), true),
        ("id in ('a','b')", json!({"id": "c"}), false),
        ("mail eq null", json!({"mail": null}), true),
        ("mail eq null", json!({}), true),
        ("mail eq null", json!({"mail": "a@contoso.com"}), false),
    ]);
}

#[test]
fn string_comparisons_ignore_case_like_directory_queries() {
    let item =
        json!({"displayName": "Contoso Video Team", "id": "ABCDEF01-2345-6789-ABCD-EF0123456789"});
    check(&[
        ("displayName eq 'CONTOSO video team'", item.clone(), true),
        ("displayName ne 'contoso video team'", item.clone(), false),
        ("endswith(displayName,'TEAM')", item.clone(), true),
        ("contains(displayName,'video')", item.clone(), true),
        ("contains(displayName,'audio')", item.clone(), false),
        (
            "displayName in ('x', 'CONTOSO VIDEO TEAM')",
            item.clone(),
            true,
        ),
        ("displayName gt 'contoso a'", item.clone(), true),
        ("displayName lt 'CONTOSO A'", item.clone(), false),
        (
            "id eq abcdef01-2345-6789-abcd-ef0123456789",
            item.clone(),
            true,
        ),
        ("id in (abcdef01-2345-6789-abcd-ef0123456789)", item, true),
    ]);
}

#[test]
fn missing_properties_behave_as_null() {
    let item = json!({"displayName": "Adele"});
    check(&[
        ("mail ne null", item.clone(), false),
        ("displayName ne null", item.clone(), true),
        ("mail eq 'x'", item.clone(), false),
        ("mail ne 'x'", item.clone(), true),
        ("startswith(mail,'a')", item.clone(), false),
        ("manager/displayName eq null", item.clone(), true),
        ("mail in ('a', null)", item.clone(), true),
        ("accountEnabled", item, false),
    ]);
}

#[test]
fn ordering_comparisons_between_mismatched_kinds_are_false() {
    let item = json!({"name": "10", "size": 10, "flag": true, "tags": ["a"]});
    check(&[
        ("name gt 5", item.clone(), false),
        ("name lt 5", item.clone(), false),
        ("size gt '5'", item.clone(), false),
        ("size ge 9.5", item.clone(), true),
        ("size le 10", item.clone(), true),
        ("flag gt 0", item.clone(), false),
        ("tags eq 'a'", item.clone(), false),
        ("name gt null", item.clone(), false),
        ("missing ge null", item.clone(), true),
        ("name eq 10", item.clone(), false),
        ("name ne 10", item, true),
    ]);
}

#[test]
fn date_time_literals_compare_as_instants_across_offsets() {
    let item = json!({"createdDateTime": "2024-01-01T01:30:00+02:00", "note": "not a date"});
    check(&[
        (
            "createdDateTime lt 2024-01-01T00:00:00Z",
            item.clone(),
            true,
        ),
        (
            "createdDateTime eq 2023-12-31T23:30:00Z",
            item.clone(),
            true,
        ),
        (
            "createdDateTime gt 2023-12-31T23:30:00.5Z",
            item.clone(),
            false,
        ),
        ("note gt 2000-01-01T00:00:00Z", item.clone(), false),
        ("missing lt 2024-01-01T00:00:00Z", item, false),
    ]);
}

#[test]
fn lambda_any_matches_unified_groups() {
    check(&[
        (
            "groupTypes/any(c:c eq 'Unified')",
            json!({"groupTypes": ["unified"]}),
            true,
        ),
        (
            "groupTypes/any(c:c eq 'Unified')",
            json!({"groupTypes": []}),
            false,
        ),
        (
            "groupTypes/any(c:c eq 'Unified')",
            json!({"groupTypes": "Unified"}),
            false,
        ),
        (
            "groupTypes/ANY(c: c eq 'Unified')",
            json!({"groupTypes": ["DynamicMembership", "Unified"]}),
            true,
        ),
    ]);
}

#[test]
fn lambdas_reach_into_elements_and_nest() {
    let user = json!({
        "displayName": "Adele",
        "assignedLicenses": [{"skuId": "AAA"}, {"skuId": "bbb"}],
        "memberOf": [{"displayName": "Sales", "owners": [{"mail": "x@contoso.com"}]}]
    });
    check(&[
        (
            "assignedLicenses/any(x:x/skuId eq 'aaa')",
            user.clone(),
            true,
        ),
        (
            "assignedLicenses/any(x:x/skuId eq 'ccc')",
            user.clone(),
            false,
        ),
        (
            "assignedLicenses/all(x:x/skuId ne 'ccc')",
            user.clone(),
            true,
        ),
        (
            "assignedLicenses/all(x:x/skuId eq 'aaa')",
            user.clone(),
            false,
        ),
        ("missing/all(x:x eq 'a')", user.clone(), true),
        (
            "memberOf/any(g: g/owners/any(o: startswith(o/mail, 'X')))",
            user.clone(),
            true,
        ),
        (
            "memberOf/any(x: x/owners/any(x: x/displayName eq 'Sales'))",
            user.clone(),
            false,
        ),
        (
            "assignedLicenses/any(x: displayName eq 'adele')",
            user,
            true,
        ),
    ]);
}

#[test]
fn type_cast_segments_require_a_matching_odata_type() {
    check(&[
        (
            "microsoft.graph.user/mail eq 'a'",
            json!({"@odata.type": "microsoft.graph.user", "mail": "a"}),
            true,
        ),
        (
            "microsoft.graph.user/mail eq 'a'",
            json!({"@odata.type": "#microsoft.graph.group", "mail": "a"}),
            false,
        ),
        (
            "microsoft.graph.user/mail eq 'a'",
            json!({"mail": "a"}),
            false,
        ),
        (
            "microsoft.graph.user/mail eq null",
            json!({"mail": "a"}),
            true,
        ),
        (
            "members/any(m: m/microsoft.graph.user/mail eq 'a')",
            json!({"members": [{"@odata.type": "#microsoft.graph.user", "mail": "A"}]}),
            true,
        ),
    ]);
}

#[test]
fn count_segments_and_boolean_operands_compare_like_values() {
    let item = json!({"members": [1, 2, 3], "name": "x", "accountEnabled": true});
    check(&[
        ("members/$count eq 3", item.clone(), true),
        ("members/$COUNT ge 4", item.clone(), false),
        ("name/$count eq 0", item.clone(), false),
        ("startswith(name,'x') eq true", item.clone(), true),
        ("startswith(name,'y') eq false", item.clone(), true),
        ("accountEnabled", item.clone(), true),
        ("not accountEnabled", item.clone(), false),
        ("not accountEnabled eq false", item.clone(), true),
        ("true", item.clone(), true),
        ("false or members/any()", item, true),
    ]);
}

#[test]
fn keywords_and_function_names_ignore_case() {
    let item = json!({"displayName": "Adele", "accountEnabled": true});
    check(&[
        (
            "displayName EQ 'adele' AND accountEnabled Eq TRUE",
            item.clone(),
            true,
        ),
        (
            "Not(displayName eq 'adele') OR StartsWith(displayName,'ad')",
            item.clone(),
            true,
        ),
        (
            "ENDSWITH(displayName,'LE') and CONTAINS(displayName,'DEL')",
            item.clone(),
            true,
        ),
        ("DisplayName eq 'adele'", item, true),
    ]);
}

#[test]
fn and_binds_tighter_than_or_when_evaluated() {
    check(&[
        ("a eq 1 or a eq 2 and b eq 3", json!({"a": 1, "b": 0}), true),
        (
            "(a eq 1 or a eq 2) and b eq 3",
            json!({"a": 1, "b": 0}),
            false,
        ),
        ("not a eq 1 or b eq 0", json!({"a": 1, "b": 0}), true),
    ]);
}

#[test]
fn advanced_operators_need_eventual_consistency() {
    let cases = [
        ("displayName eq 'a'", false),
        (
            "startswith(displayName,'a') and groupTypes/any(c:c eq 'Unified')",
            false,
        ),
        ("displayName ne 'a'", true),
        ("not(displayName eq 'a')", true),
        ("endswith(mail,'@contoso.com')", true),
        ("members/$count gt 0", true),
        ("assignedLicenses/any(x: x/skuId ne 'a')", true),
        ("startswith(mail,'a') eq true or a eq 1", false),
    ];
    for (clause, expected) in cases {
        let parsed = Filter::parse(clause).map(|filter| filter.needs_eventual_consistency());
        assert_eq!(parsed, Ok(expected), "{clause}");
    }
}
