//! Applying the file's entries to one snapshot: declarations first (so that a `match` may
//! annotate a declared entry too), then annotations, in file order.

use std::collections::HashMap;

use super::{Entry, FileWarning, Rule, Selector};
use crate::catalog::sync::{Snapshot, sort_entries};
use crate::catalog::{Person, Principal, Resource};

pub(super) fn apply(entries: &[Entry], snapshot: Snapshot) -> (Snapshot, Vec<FileWarning>) {
    let Snapshot {
        mut resources,
        people,
    } = snapshot;
    let people_by_upn: HashMap<String, &Person> = people
        .iter()
        .map(|person| (person.upn.to_lowercase(), person))
        .collect();
    let mut warnings = Vec::new();
    for entry in entries {
        if let Rule::Declare {
            resource: declared,
            owners,
        } = &entry.rule
        {
            let owners = owners_of(&people_by_upn, entry, owners, &mut warnings);
            let listed = resources.iter().position(|listed| {
                listed.kind == declared.kind && listed.id.eq_ignore_ascii_case(&declared.id)
            });
            let target = match listed {
                Some(at) => {
                    merge(&mut resources[at], declared);
                    at
                }
                None => {
                    resources.push(Resource::clone(declared));
                    resources.len() - 1
                }
            };
            annotate(&mut resources[target], entry, &owners, None);
        }
    }
    for entry in entries {
        if let Rule::Annotate {
            selector,
            owners,
            classification,
        } = &entry.rule
        {
            if !resources.iter().any(|listed| selector.fits(listed)) {
                warnings.push(nothing_matched(entry, selector));
                continue;
            }
            let owners = owners_of(&people_by_upn, entry, owners, &mut warnings);
            for listed in resources.iter_mut().filter(|listed| selector.fits(listed)) {
                annotate(listed, entry, &owners, classification.as_deref());
            }
        }
    }
    sort_entries(&mut resources);
    (Snapshot { resources, people }, warnings)
}

/// The people the file names as owners; a UPN that is no person of the tenant is left out
/// with a warning.
fn owners_of(
    people_by_upn: &HashMap<String, &Person>,
    entry: &Entry,
    upns: &[String],
    warnings: &mut Vec<FileWarning>,
) -> Vec<Principal> {
    let mut found = Vec::new();
    for upn in upns {
        match people_by_upn.get(&upn.to_lowercase()) {
            Some(person) => found.push(Principal {
                id: person.id.clone(),
                upn: Some(person.upn.clone()),
            }),
            None => warnings.push(FileWarning {
                line: entry.line,
                message: format!("owner {upn} is not a person of the tenant; left out"),
            }),
        }
    }
    found
}

/// Fills what Graph left out of a listed entry with what the file declares; Graph's own values
/// stand, and a different declared name becomes an alias.
fn merge(listed: &mut Resource, declared: &Resource) {
    let fill = |slot: &mut Option<String>, value: &Option<String>| {
        if slot.is_none() {
            slot.clone_from(value);
        }
    };
    fill(&mut listed.mail, &declared.mail);
    fill(&mut listed.description, &declared.description);
    fill(&mut listed.visibility, &declared.visibility);
    fill(&mut listed.classification, &declared.classification);
    fill(&mut listed.group_id, &declared.group_id);
    fill(&mut listed.web_url, &declared.web_url);
    if listed.parent.is_none() {
        listed.parent.clone_from(&declared.parent);
    }
    let declared_name = declared.name.clone();
    add_names(listed, std::slice::from_ref(&declared_name));
}

fn annotate(
    listed: &mut Resource,
    entry: &Entry,
    owners: &[Principal],
    classification: Option<&str>,
) {
    add_names(listed, &entry.aliases);
    for tag in &entry.tags {
        if !listed
            .tags
            .iter()
            .any(|known| known.eq_ignore_ascii_case(tag))
        {
            listed.tags.push(tag.clone());
        }
    }
    for owner in owners {
        if !listed
            .owners
            .iter()
            .any(|known| known.id.eq_ignore_ascii_case(&owner.id))
        {
            listed.owners.push(owner.clone());
        }
    }
    if let Some(classification) = classification {
        listed.classification = Some(classification.to_owned());
    }
}

/// Adds aliases that are neither the entry's name nor already known, whatever their case.
fn add_names(listed: &mut Resource, names: &[String]) {
    for name in names {
        let known = listed.name.eq_ignore_ascii_case(name)
            || listed
                .aliases
                .iter()
                .any(|alias| alias.eq_ignore_ascii_case(name));
        if !known {
            listed.aliases.push(name.clone());
        }
    }
}

fn nothing_matched(entry: &Entry, selector: &Selector) -> FileWarning {
    FileWarning {
        line: entry.line,
        message: format!("the match on {selector} fits nothing in the catalog; it does nothing"),
    }
}
