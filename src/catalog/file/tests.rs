//! The catalog file as an operator writes it: good files and what they do to a snapshot, and bad
//! files refused with the line and entry at fault.

use std::path::Path;

use super::{CatalogFile, CatalogFileError, FileWarning};
use crate::catalog::sync::Snapshot;
use crate::catalog::{Origin, ParentRef, Person, Principal, Resource};
use crate::domain::resource::ResourceKind;

const EXAMPLE: &str = r#"
# Names people use for the BI group.
[[resource]]
match = { kind = "group", name = "GRP-FINANCE-BI-READ" }
aliases = ["Finance BI", "BI dashboards"]
tags = ["finance"]

[[resource]]
match = { kind = "mailbox", name = "support" }
owners = ["Priya.Nair@contoso.com"]
classification = "General"

[[resource]]
match = { kind = "library", name = "Documents", parent = "Finance" }
aliases = ["finance documents"]

[[resource]]
declare = { kind = "mailbox", id = "44444444-0000-4000-8000-000000000001", name = "Payroll", mail = "payroll@contoso.com", owners = ["david.okafor@contoso.com"], classification = "Confidential" }
aliases = ["payroll inbox"]
tags = ["finance", "hr"]
"#;

fn parse(text: &str) -> Result<CatalogFile, CatalogFileError> {
    CatalogFile::parse(text, Path::new("catalog.toml"))
}

fn refusal(text: &str) -> String {
    match parse(text) {
        Ok(file) => panic!("expected a refusal, got {file:?}"),
        Err(error) => error.to_string(),
    }
}

fn person(id: &str, upn: &str) -> Person {
    Person {
        id: id.into(),
        upn: upn.into(),
        display_name: upn.into(),
        mail: Some(upn.into()),
    }
}

fn parented(kind: ResourceKind, id: &str, name: &str, parent: (ResourceKind, &str)) -> Resource {
    let mut entry = Resource::new(kind, id, name);
    entry.parent = Some(ParentRef {
        kind: parent.0,
        id: format!("{}-id", parent.1),
        name: parent.1.into(),
    });
    entry
}

/// A small tenant as a sync would read it.
fn snapshot() -> Snapshot {
    let mut finance_group = Resource::new(ResourceKind::Group, "g-fin", "Finance");
    finance_group.classification = Some("Confidential".into());
    Snapshot {
        resources: vec![
            finance_group,
            Resource::new(ResourceKind::Group, "g-bi", "GRP-FINANCE-BI-READ"),
            Resource::new(ResourceKind::Team, "g-fin", "Finance"),
            Resource::new(ResourceKind::Site, "s-fin", "Finance"),
            parented(
                ResourceKind::Library,
                "d-fin",
                "Documents",
                (ResourceKind::Site, "Finance"),
            ),
            parented(
                ResourceKind::Library,
                "d-mkt",
                "Documents",
                (ResourceKind::Site, "Marketing"),
            ),
            Resource::new(ResourceKind::Mailbox, "m-support", "Support"),
        ],
        people: vec![
            person("u-priya", "priya.nair@contoso.com"),
            person("u-david", "david.okafor@contoso.com"),
        ],
    }
}

fn find<'s>(snapshot: &'s Snapshot, kind: ResourceKind, id: &str) -> &'s Resource {
    snapshot
        .resources
        .iter()
        .find(|entry| entry.kind == kind && entry.id == id)
        .unwrap_or_else(|| panic!("no {kind} {id}"))
}

#[test]
fn the_documented_example_annotates_what_graph_lists_and_adds_what_it_cannot() {
    let file = parse(EXAMPLE).expect("the example is a valid file");
    assert_eq!(file.len(), 4);
    let (applied, warnings) = file.apply(snapshot());
    assert_eq!(warnings, Vec::<FileWarning>::new());

    let bi = find(&applied, ResourceKind::Group, "g-bi");
    assert_eq!(bi.aliases, vec!["Finance BI", "BI dashboards"]);
    assert_eq!(bi.tags, vec!["finance"]);

    let support = find(&applied, ResourceKind::Mailbox, "m-support");
    assert_eq!(
        support.owners,
        vec![Principal {
            id: "u-priya".into(),
            upn: Some("priya.nair@contoso.com".into())
        }],
        "owners are found by UPN whatever its case"
    );
    assert_eq!(support.classification.as_deref(), Some("General"));

    assert_eq!(
        find(&applied, ResourceKind::Library, "d-fin").aliases,
        vec!["finance documents"]
    );
    assert!(
        find(&applied, ResourceKind::Library, "d-mkt")
            .aliases
            .is_empty(),
        "the parent tells the two Documents libraries apart"
    );

    let payroll = find(
        &applied,
        ResourceKind::Mailbox,
        "44444444-0000-4000-8000-000000000001",
    );
    assert_eq!(payroll.origin, Origin::File);
    assert_eq!(payroll.name, "Payroll");
    assert_eq!(payroll.mail.as_deref(), Some("payroll@contoso.com"));
    assert_eq!(payroll.classification.as_deref(), Some("Confidential"));
    assert_eq!(payroll.aliases, vec!["payroll inbox"]);
    assert_eq!(payroll.tags, vec!["finance", "hr"]);
    assert_eq!(payroll.owners.len(), 1);
    assert_eq!(payroll.owners[0].id, "u-david");

    let mailboxes: Vec<&str> = applied
        .resources
        .iter()
        .filter(|entry| entry.kind == ResourceKind::Mailbox)
        .map(|entry| entry.name.as_str())
        .collect();
    assert_eq!(
        mailboxes,
        vec!["Payroll", "Support"],
        "entries stay in catalog order"
    );
    assert_eq!(applied.people, snapshot().people);
}

#[test]
fn an_empty_file_changes_nothing() {
    let file = parse("# nothing yet\n").expect("an empty file is valid");
    assert!(file.is_empty());
    let (applied, warnings) = file.apply(snapshot());
    assert!(warnings.is_empty());
    let mut expected = snapshot();
    crate::catalog::sync::sort_entries(&mut expected.resources);
    assert_eq!(applied, expected);
}

#[test]
fn a_name_match_without_kind_annotates_everything_of_that_name() {
    let file = parse(
        "[[resource]]\nmatch = { name = \"finance\" }\ntags = [\"finance\"]\n\
         [[resource]]\nmatch = { id = \"G-FIN\" }\naliases = [\"money people\"]\n",
    )
    .expect("valid");
    let (applied, _) = file.apply(snapshot());
    let tagged: Vec<(ResourceKind, &str)> = applied
        .resources
        .iter()
        .filter(|entry| entry.tags.contains(&"finance".to_owned()))
        .map(|entry| (entry.kind, entry.id.as_str()))
        .collect();
    assert_eq!(
        tagged,
        vec![
            (ResourceKind::Group, "g-fin"),
            (ResourceKind::Team, "g-fin"),
            (ResourceKind::Site, "s-fin"),
        ]
    );
    assert_eq!(
        find(&applied, ResourceKind::Team, "g-fin").aliases,
        vec!["money people"],
        "an id match fits the group and its team, which share the id"
    );
}

#[test]
fn a_declaration_of_something_graph_lists_fills_the_gaps_and_keeps_graphs_word() {
    let file = parse(
        r#"
[[resource]]
declare = { kind = "group", id = "g-fin", name = "Finance Department", classification = "Public", description = "Money", owners = ["david.okafor@contoso.com"] }
aliases = ["finance"]
"#,
    )
    .expect("valid");
    let (applied, warnings) = file.apply(snapshot());
    assert!(warnings.is_empty(), "{warnings:?}");
    let group = find(&applied, ResourceKind::Group, "g-fin");
    assert_eq!(group.origin, Origin::Graph);
    assert_eq!(group.name, "Finance");
    assert_eq!(
        group.aliases,
        vec!["Finance Department"],
        "the declared name is an alias; an alias equal to the name is not"
    );
    assert_eq!(group.classification.as_deref(), Some("Confidential"));
    assert_eq!(group.description.as_deref(), Some("Money"));
    assert_eq!(group.owners.len(), 1);
    assert_eq!(
        applied
            .resources
            .iter()
            .filter(|entry| entry.id == "g-fin")
            .count(),
        2,
        "no second Finance group"
    );
}

#[test]
fn what_does_not_fit_the_tenant_is_a_warning_and_the_rest_still_applies() {
    let file = parse(
        r#"
[[resource]]
match = { kind = "group", name = "Gone" }
aliases = ["old"]

[[resource]]
match = { kind = "mailbox", name = "Support" }
owners = ["someone.else@contoso.com", "priya.nair@contoso.com"]
"#,
    )
    .expect("valid");
    let (applied, warnings) = file.apply(snapshot());
    let described: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(described.len(), 2, "{described:?}");
    assert!(
        described[0].starts_with("line 2: ") && described[0].contains("group \"Gone\""),
        "{described:?}"
    );
    assert!(
        described[1].starts_with("line 6: ") && described[1].contains("someone.else@contoso.com"),
        "{described:?}"
    );
    assert_eq!(
        find(&applied, ResourceKind::Mailbox, "m-support").owners[0].id,
        "u-priya"
    );
}

#[test]
fn bad_files_are_refused_naming_the_line_and_the_entry() {
    let cases: &[(&str, &[&str])] = &[
        (
            "[[resource]]\nmatch = { name = \"x\" }\naliases = [\"y\"]\n\n[[resource]]\nmatch = { name = \"z\" }\nalias = [\"w\"]\n",
            &["line 7", "resource #2", "unknown field `alias`"],
        ),
        (
            "[[resource]]\nmatch = { nmae = \"x\" }\naliases = [\"y\"]\n",
            &["line 2", "resource #1: match", "unknown field `nmae`"],
        ),
        (
            "[[resources]]\nmatch = { name = \"x\" }\n",
            &["line 1", "unknown field `resources`"],
        ),
        (
            "[[resource]]\nmatch = { kind = \"grop\", name = \"x\" }\naliases = [\"y\"]\n",
            &["line 2", "resource #1: match", "grop", "distribution_list"],
        ),
        (
            "[[resource]]\ndeclare = { kind = \"mailbox\", id = \"m1\" }\n",
            &["line 2", "resource #1: declare", "missing field `name`"],
        ),
        (
            "[[resource]]\naliases = [\"y\"]\n",
            &["line 1", "resource #1", "needs match"],
        ),
        (
            "[[resource]]\nmatch = { name = \"x\" }\ndeclare = { kind = \"group\", id = \"g\", name = \"x\" }\n",
            &["line 1", "resource #1", "not both"],
        ),
        (
            "[[resource]]\nmatch = { kind = \"group\" }\naliases = [\"y\"]\n",
            &["resource #1", "an id or a name"],
        ),
        (
            "\n\n[[resource]]\nmatch = { name = \"Finance\" }\n",
            &["line 3", "resource #1", "changes nothing"],
        ),
        (
            "[[resource]]\nmatch = { kind = \"group\", name = \"x\", parent = \"y\" }\ntags = [\"t\"]\n",
            &["resource #1", "match.parent", "a group has no parent"],
        ),
        (
            "[[resource]]\nmatch = { name = \"x\" }\nowners = [\"priya\"]\n",
            &["resource #1", "\"priya\" is not a user principal name"],
        ),
        (
            "[[resource]]\nmatch = { name = \"x\" }\naliases = [\"  \"]\n",
            &["resource #1", "aliases must not be empty"],
        ),
        (
            "[[resource]]\ndeclare = { kind = \"group\", id = \"g\", name = \"x\" }\nowners = [\"a@b.c\"]\n",
            &["resource #1", "inside declare"],
        ),
        (
            "[[resource]]\ndeclare = { kind = \"library\", id = \"d\", name = \"x\", parent = { kind = \"team\", id = \"t\", name = \"T\" } }\n",
            &["resource #1", "a library's parent is its site"],
        ),
        (
            "[[resource]]\ndeclare = { kind = \"mailbox\", id = \"m1\", name = \"A\" }\n\n[[resource]]\ndeclare = { kind = \"mailbox\", id = \"M1\", name = \"B\" }\n",
            &["line 4", "resource #2", "line 1 already declares"],
        ),
        (
            "[[resource]\nmatch = { name = \"x\" }\n",
            &["line 1", "catalog.toml"],
        ),
    ];
    for (text, expected) in cases {
        let message = refusal(text);
        assert!(
            message.starts_with("catalog file catalog.toml: line "),
            "{message}"
        );
        assert!(!message.contains('\n'), "one line: {message:?}");
        for part in *expected {
            assert!(
                message.contains(part),
                "{message:?} should contain {part:?}"
            );
        }
    }
}

#[test]
fn a_missing_file_is_named() {
    let missing = CatalogFile::load(Path::new("/nonexistent/catalog.toml"));
    assert!(
        matches!(&missing, Err(CatalogFileError::Read { path, .. }) if path == Path::new("/nonexistent/catalog.toml")),
        "{missing:?}"
    );
}
