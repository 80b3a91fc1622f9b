use super::*;

#[test]
fn a_requester_never_consents_to_changing_groups() {
    let requested = Role::Requester.requested_scopes();
    assert!(
        requested.iter().all(|scope| !scope.contains("ReadWrite")),
        "{requested:?}"
    );
    assert!(requested.contains(&"offline_access"));
}

#[test]
fn roles_widen_in_order() {
    for (narrow, wide) in [
        (Role::Requester, Role::Approver),
        (Role::Approver, Role::OwnerApprover),
        (Role::OwnerApprover, Role::Operator),
    ] {
        let granted: Vec<String> = wide
            .graph_scopes()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert!(narrow.covered_by(&granted), "{wide:?} covers {narrow:?}");
        let granted: Vec<String> = narrow
            .graph_scopes()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert!(
            !wide.covered_by(&granted),
            "{narrow:?} does not cover {wide:?}"
        );
    }
}

/// The README's table of delegated permissions: each row's permissions and the roles it says
/// they are asked of ("everyone", "requesters", "approvers", "approvers of owner-level grants",
/// "the operator"). "Approvers" alone means every approver.
fn readme_permissions() -> Vec<(Vec<String>, Vec<Role>)> {
    let readme = include_str!("../../../README.md");
    let mut rows = readme
        .lines()
        .map(str::trim)
        .skip_while(|line| !line.starts_with("| permission | asked of |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'));
    let mut table = Vec::new();
    for row in rows.by_ref() {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (permissions, asked_of) = (cells[1], cells[2].to_lowercase());
        let permissions: Vec<String> = permissions
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        let owner_level_only = asked_of.contains("approvers of owner-level grants");
        let every_approver = asked_of
            .replace("approvers of owner-level grants", "")
            .contains("approver");
        let mut roles = Vec::new();
        let everyone = asked_of.contains("everyone");
        if everyone || asked_of.contains("requester") {
            roles.push(Role::Requester);
        }
        if everyone || every_approver {
            roles.push(Role::Approver);
        }
        if everyone || every_approver || owner_level_only {
            roles.push(Role::OwnerApprover);
        }
        if everyone || asked_of.contains("operator") {
            roles.push(Role::Operator);
        }
        table.push((permissions, roles));
    }
    table
}

#[test]
fn the_readme_names_exactly_the_permissions_each_role_is_asked_for() {
    let table = readme_permissions();
    assert!(table.len() >= 3, "the README's permission table: {table:?}");
    for role in [
        Role::Requester,
        Role::Approver,
        Role::OwnerApprover,
        Role::Operator,
    ] {
        let mut documented: Vec<String> = table
            .iter()
            .filter(|(_, roles)| roles.contains(&role))
            .flat_map(|(permissions, _)| permissions.iter().cloned())
            .collect();
        documented.sort();
        let mut asked: Vec<String> = role
            .requested_scopes()
            .into_iter()
            .map(str::to_owned)
            .collect();
        asked.sort();
        assert_eq!(
            documented, asked,
            "{role:?}: the README against the sign-in"
        );
    }
}

#[test]
fn owner_changes_are_asked_for_only_by_those_who_make_them() {
    let broad = "Group.ReadWrite.All";
    assert!(!Role::Requester.requested_scopes().contains(&broad));
    assert!(!Role::Approver.requested_scopes().contains(&broad));
    assert!(Role::OwnerApprover.requested_scopes().contains(&broad));
    assert!(Role::Operator.requested_scopes().contains(&broad));
}
