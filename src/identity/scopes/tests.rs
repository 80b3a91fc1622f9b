use super::*;

#[test]
fn a_requester_never_consents_to_changing_groups() {
    let requested = Role::Requester.requested_scopes(&ExchangeScopes::default());
    assert!(
        requested.iter().all(|scope| !scope.contains("ReadWrite")),
        "{requested:?}"
    );
    assert!(requested.iter().any(|scope| scope == "offline_access"));
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
        let exchange = ExchangeScopes::default();
        assert!(
            narrow.covered_by(Service::Graph, &granted, &exchange),
            "{wide:?} covers {narrow:?}"
        );
        let granted: Vec<String> = narrow
            .graph_scopes()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert!(
            !wide.covered_by(Service::Graph, &granted, &ExchangeScopes::default()),
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
        // Phrases first that contain a shorter one ("approvers of owner-level grants"
        // contains "approver").
        let mut rest = asked_of.clone();
        let mut take = |phrase: &str| {
            let found = rest.contains(phrase);
            rest = rest.replace(phrase, "");
            found
        };
        let owner_level_only = take("approvers of owner-level grants");
        let list_owners = take("list owners");
        let self_service = take("self-service");
        let everyone = take("everyone");
        let requesters = take("requester");
        let every_approver = take("approver");
        let operator = take("operator");
        let mut roles = Vec::new();
        if everyone || requesters {
            roles.push(Role::Requester);
        }
        if everyone || every_approver {
            roles.push(Role::Approver);
        }
        if everyone || every_approver || owner_level_only {
            roles.push(Role::OwnerApprover);
        }
        if everyone || operator {
            roles.push(Role::Operator);
        }
        if everyone || list_owners {
            roles.push(Role::ListOwner);
        }
        if everyone || self_service {
            roles.push(Role::SelfService);
        }
        table.push((permissions, roles));
    }
    table
}

#[test]
fn the_readme_names_exactly_the_permissions_each_role_is_asked_for() {
    let table = readme_permissions();
    assert!(table.len() >= 3, "the README's permission table: {table:?}");
    for role in Role::ALL {
        let mut documented: Vec<String> = table
            .iter()
            .filter(|(_, roles)| roles.contains(&role))
            .flat_map(|(permissions, _)| permissions.iter().cloned())
            .collect();
        documented.sort();
        let mut asked = role.requested_scopes(&ExchangeScopes::default());
        asked.sort();
        assert_eq!(
            documented, asked,
            "{role:?}: the README against the sign-in"
        );
    }
}

#[test]
fn owner_changes_are_asked_for_only_by_those_who_make_them() {
    let asks = |role: Role| {
        role.requested_scopes(&ExchangeScopes::default())
            .iter()
            .any(|scope| scope == "Group.ReadWrite.All")
    };
    assert!(!asks(Role::Requester));
    assert!(!asks(Role::Approver));
    assert!(!asks(Role::ListOwner));
    assert!(!asks(Role::SelfService));
    assert!(asks(Role::OwnerApprover));
    assert!(asks(Role::Operator));
}

#[test]
fn exchange_is_asked_of_those_who_change_it_and_only_for_exchange() {
    let exchange = ExchangeScopes::default();
    let granted = Role::Operator.requested_scopes(&exchange);
    assert!(Role::Operator.covered_by(Service::Exchange, &granted, &exchange));
    assert!(Role::ListOwner.covered_by(Service::Exchange, &granted, &exchange));
    // A role that never writes to Exchange is not "covered" for it: no token is fetched.
    assert!(!Role::Approver.covered_by(Service::Exchange, &granted, &exchange));
    let owner = Role::ListOwner.requested_scopes(&exchange);
    assert!(!Role::Operator.covered_by(Service::Exchange, &owner, &exchange));
    assert!(
        !Role::Approver
            .requested_scopes(&exchange)
            .iter()
            .any(|scope| exchange.names(scope))
    );
    // Configured scopes are the ones asked for.
    let custom = ExchangeScopes {
        invoke: "https://exchange.example/Exchange.Manage".to_owned(),
        v2: "https://exchange.example/Exchange.ManageV2".to_owned(),
    };
    assert!(
        Role::Operator
            .requested_scopes(&custom)
            .contains(&custom.v2)
    );
}
