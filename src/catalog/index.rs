//! An immutable catalog snapshot and its search index.
//!
//! The index is built once per sync and only read afterwards, so it is laid out for reading:
//! every distinct term gets a number, each resource keeps the term numbers of its fields, and
//! each term keeps the resources it occurs in (its postings, with the field packed into the top
//! bits). Typos are found through one-deletion neighbourhoods (SymSpell), prefixes through the
//! terms sorted by text. Nothing here allocates per resource at query time.

use std::sync::Arc;

// foldhash rather than SipHash: the typo lookups hash a dozen strings per word of every
// message. Its seed is random per process and the index is rebuilt at each sync, so names chosen
// to collide (a tenant's users can name groups) would have to guess the seed first.
use foldhash::HashMap;
use serde::{Deserialize, Serialize};

use super::resource::Resource;
use super::text;

/// How many postings of a word [`Catalog::is_a_name`] reads: a word that common is no part of
/// a name said whole.
const NAME_SCAN: usize = 2048;

/// A person of the tenant, so that text naming someone ("share my calendar with Tom Becker",
/// "for alex.kim@...") can be resolved to a UPN. People are never requestable resources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
}

/// Every requestable resource and every person, indexed for resolution.
#[derive(Debug)]
pub struct Catalog {
    resources: Vec<Resource>,
    people: Vec<Person>,
    pub(super) index: Index,
    people_index: PeopleIndex,
}

pub(super) type TermId = u32;

/// Which part of a resource a term came from. Name-like fields say what the resource is called;
/// context (the parent's name) and description only support a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Field {
    Name = 0,
    Context = 1,
    Description = 2,
}

const FIELD_SHIFT: u32 = 30;
const RESOURCE_MASK: u32 = (1 << FIELD_SHIFT) - 1;

/// The most resources one catalog indexes (the field takes the top two bits of a posting).
pub const MAX_RESOURCES: usize = RESOURCE_MASK as usize;

/// Typo neighbourhoods are kept only for terms this long (and looked up for words one shorter);
/// shorter ones have too many neighbours.
pub(super) const TYPO_MIN_LEN: usize = 5;

#[derive(Debug, Default)]
pub(super) struct Index {
    ids: HashMap<Box<str>, TermId>,
    texts: Vec<Box<str>>,
    postings: Vec<Vec<u32>>,
    /// Per term: whether some name, alias or mail local part holds it.
    in_names: Vec<bool>,
    /// Term ids ordered by their text, for prefix lookups.
    sorted: Vec<TermId>,
    /// One-deletion neighbourhood → the terms it came from.
    typos: HashMap<Box<str>, Vec<TermId>>,
    pub(super) entries: Vec<Entry>,
    /// A mail address's local part → the resources with that mail.
    mails: HashMap<Box<str>, Vec<u32>>,
}

/// The terms of one resource, by field. `names` holds the display name, each alias and the mail's
/// local part, each as its own term list, because a phrase should match one of them well rather
/// than bits of all.
#[derive(Debug, Default)]
pub(super) struct Entry {
    pub(super) names: Box<[Box<[TermId]>]>,
    pub(super) context: Box<[TermId]>,
    pub(super) description: Box<[TermId]>,
}

#[derive(Debug, Default)]
struct PeopleIndex {
    by_address: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    by_first_name: HashMap<String, Vec<usize>>,
}

impl Catalog {
    /// Builds the snapshot and its index. Resources past [`MAX_RESOURCES`] are dropped (with a
    /// warning): a tenant that large needs a sharded index, not a silent wrap-around.
    pub fn build(mut resources: Vec<Resource>, people: Vec<Person>) -> Self {
        if resources.len() > MAX_RESOURCES {
            tracing::warn!(
                resources = resources.len(),
                kept = MAX_RESOURCES,
                "catalog larger than the index holds; the rest is not resolvable"
            );
            resources.truncate(MAX_RESOURCES);
        }
        let index = Index::build(&resources);
        let people_index = PeopleIndex::build(&people);
        Catalog {
            resources,
            people,
            index,
            people_index,
        }
    }

    /// An empty catalog: nothing resolves.
    pub fn empty() -> Arc<Self> {
        Arc::new(Catalog::build(Vec::new(), Vec::new()))
    }

    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    pub fn people(&self) -> &[Person] {
        &self.people
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The directory object a grant was recorded against, whichever of group and list the
    /// catalog now calls it: a mail-enabled security group was a `group` to builds before it
    /// became a `distribution_list`, with the same id.
    pub fn get_recorded(
        &self,
        kind: crate::domain::resource::ResourceKind,
        id: &str,
    ) -> Option<&Resource> {
        use crate::domain::resource::ResourceKind as K;
        self.get(kind, id).or_else(|| match kind {
            K::Group => self
                .get(K::DistributionList, id)
                .filter(|found| found.is_security_list()),
            K::DistributionList => self.get(K::Group, id),
            _ => None,
        })
    }

    /// The resource with this kind and id.
    pub fn get(&self, kind: crate::domain::resource::ResourceKind, id: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|resource| resource.kind == kind && resource.id == id)
    }

    /// The resources whose mail address has this local part (`support` for support@...).
    pub fn with_mail_local(&self, local: &str) -> impl Iterator<Item = &Resource> {
        self.index
            .mail_positions(&local.to_lowercase())
            .iter()
            .filter_map(|at| self.resources.get(*at as usize))
    }

    /// The person with this UPN or mail address (case-insensitive).
    pub fn person_by_address(&self, address: &str) -> Option<&Person> {
        self.people_index
            .by_address
            .get(&address.trim().to_lowercase())
            .and_then(|at| self.people.get(*at))
    }

    /// The address mail for `address` is delivered to: a person's mail address when `address`
    /// names them (their UPN, say), else `address` as it is, lower case.
    pub fn delivery_address(&self, address: &str) -> String {
        self.person_by_address(address)
            .map(|person| person.mail.as_deref().unwrap_or(&person.upn))
            .unwrap_or(address)
            .trim()
            .to_lowercase()
    }

    /// Whether `address` is one the catalog holds: a person's, or a group's, list's or shared
    /// mailbox's. (A guest is a person here too: whether an address is the organisation's own
    /// is its domain's question.)
    pub fn holds_address(&self, address: &str) -> bool {
        let address = address.trim();
        self.person_by_address(address).is_some()
            || self.resources.iter().any(|resource| {
                resource
                    .mail
                    .as_deref()
                    .is_some_and(|mail| mail.eq_ignore_ascii_case(address))
            })
    }

    /// The person with this Entra object id. A scan: used once per message or click whose
    /// sender the chat service names by id only.
    pub fn person_by_id(&self, id: &str) -> Option<&Person> {
        self.people
            .iter()
            .find(|person| person.id.eq_ignore_ascii_case(id))
    }

    /// The people whose display name is exactly these words ("tom becker"), or, given one
    /// word, whose first name it is.
    pub fn people_named(&self, words: &[&str]) -> Vec<&Person> {
        let key = words
            .iter()
            .map(|word| word.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        let hits = match words.len() {
            0 => None,
            1 => self.people_index.by_first_name.get(&key),
            _ => self.people_index.by_name.get(&key),
        };
        hits.into_iter()
            .flatten()
            .filter_map(|at| self.people.get(*at))
            .collect()
    }

    /// Whether some resource's name (or alias or mail) holds this word.
    pub fn names_word(&self, word: &str) -> bool {
        self.index
            .term(&text::term(word))
            .is_some_and(|id| self.index.in_names(id))
    }

    /// Whether these words, in order, are the whole of some resource's name or alias ("IT
    /// Admins", whose words are also a pronoun and an access word). Reads at most
    /// [`NAME_SCAN`] postings, those of the rarest of the words.
    pub fn is_a_name(&self, words: &[&str]) -> bool {
        let Some(ids) = words
            .iter()
            .map(|word| {
                self.index
                    .term(&text::term(word))
                    .filter(|id| self.index.in_names(*id))
            })
            .collect::<Option<Vec<TermId>>>()
        else {
            return false;
        };
        // The entries holding the rarest of the words are the fewest to read.
        let Some(rarest) = ids
            .iter()
            .copied()
            .min_by_key(|id| self.index.document_frequency(*id))
        else {
            return false;
        };
        self.index
            .postings(rarest)
            .take(NAME_SCAN)
            .filter(|(_, field)| *field == Field::Name)
            .any(|(at, _)| {
                self.index
                    .entries
                    .get(at as usize)
                    .is_some_and(|entry| entry.names.iter().any(|name| **name == *ids))
            })
    }

    pub(super) fn resource_at(&self, at: u32) -> Option<&Resource> {
        self.resources.get(at as usize)
    }
}

impl Index {
    fn build(resources: &[Resource]) -> Self {
        let mut index = Index::default();
        for (at, resource) in resources.iter().enumerate() {
            let at = at as u32;
            let mut names = Vec::with_capacity(2 + resource.aliases.len());
            names.push(index.field(at, Field::Name, &resource.name));
            for alias in &resource.aliases {
                names.push(index.field(at, Field::Name, alias));
            }
            if let Some(local) = resource.mail.as_deref().and_then(text::mail_local) {
                names.push(index.field(at, Field::Name, &local));
                index.mails.entry(local.into()).or_default().push(at);
            }
            let context = match &resource.parent {
                Some(parent) => index.field(at, Field::Context, &parent.name),
                None => Box::default(),
            };
            let description = match &resource.description {
                Some(description) => index.field(at, Field::Description, description),
                None => Box::default(),
            };
            index.entries.push(Entry {
                names: names.into_boxed_slice(),
                context,
                description,
            });
        }
        let mut sorted: Vec<TermId> = (0..index.texts.len() as TermId).collect();
        sorted.sort_unstable_by(|a, b| index.texts[*a as usize].cmp(&index.texts[*b as usize]));
        index.sorted = sorted;
        for (id, term) in index.texts.iter().enumerate() {
            // Numbers and codes are not misspelt the way words are; their neighbourhoods would
            // dominate the index of a large tenant.
            if term.chars().count() >= TYPO_MIN_LEN && term.chars().all(char::is_alphabetic) {
                for shorter in text::deletions(term) {
                    index
                        .typos
                        .entry(shorter.into_boxed_str())
                        .or_default()
                        .push(id as TermId);
                }
            }
        }
        for postings in &mut index.postings {
            postings.shrink_to_fit();
        }
        index.typos.shrink_to_fit();
        index
    }

    /// Interns the terms of `value`, records their postings and returns them (deduplicated).
    fn field(&mut self, at: u32, field: Field, value: &str) -> Box<[TermId]> {
        let mut ids: Vec<TermId> = Vec::new();
        for term in text::terms(value) {
            let id = match self.ids.get(term.as_str()) {
                Some(id) => *id,
                None => {
                    let id = self.texts.len() as TermId;
                    let boxed: Box<str> = term.into_boxed_str();
                    self.ids.insert(boxed.clone(), id);
                    self.texts.push(boxed);
                    self.postings.push(Vec::new());
                    self.in_names.push(false);
                    id
                }
            };
            if ids.contains(&id) {
                continue;
            }
            ids.push(id);
            if field == Field::Name {
                if let Some(named) = self.in_names.get_mut(id as usize) {
                    *named = true;
                }
            }
            let posting = at | ((field as u32) << FIELD_SHIFT);
            let list = &mut self.postings[id as usize];
            // A resource appears once per term and field; several fields may share a term.
            if list.last() != Some(&posting) {
                list.push(posting);
            }
        }
        ids.into_boxed_slice()
    }

    /// Whether some name, alias or mail local part holds the term.
    pub(super) fn in_names(&self, id: TermId) -> bool {
        self.in_names.get(id as usize).copied().unwrap_or(false)
    }

    pub(super) fn term(&self, text: &str) -> Option<TermId> {
        self.ids.get(text).copied()
    }

    pub(super) fn text(&self, id: TermId) -> &str {
        self.texts.get(id as usize).map_or("", |text| text)
    }

    pub(super) fn document_frequency(&self, id: TermId) -> usize {
        self.postings.get(id as usize).map_or(0, Vec::len)
    }

    /// The resources (and fields) a term occurs in.
    pub(super) fn postings(&self, id: TermId) -> impl Iterator<Item = (u32, Field)> + '_ {
        self.postings
            .get(id as usize)
            .into_iter()
            .flatten()
            .map(|posting| {
                let field = match posting >> FIELD_SHIFT {
                    0 => Field::Name,
                    1 => Field::Context,
                    _ => Field::Description,
                };
                (posting & RESOURCE_MASK, field)
            })
    }

    /// Terms one edit away from `word` (not `word` itself).
    pub(super) fn near(&self, word: &str) -> Vec<TermId> {
        let mut found: Vec<TermId> = Vec::new();
        if word.chars().count() < TYPO_MIN_LEN - 1 {
            return found;
        }
        let consider = |id: TermId, found: &mut Vec<TermId>| {
            let candidate = self.text(id);
            if candidate != word && text::within_one_edit(candidate, word) && !found.contains(&id) {
                found.push(id);
            }
        };
        // The word has one letter too many: one of its deletions is a term.
        for shorter in text::deletions(word) {
            if let Some(id) = self.term(&shorter) {
                consider(id, &mut found);
            }
            // A substitution: both lose the same letter.
            if let Some(ids) = self.typos.get(shorter.as_str()) {
                for id in ids {
                    consider(*id, &mut found);
                }
            }
        }
        // The word misses a letter: it is a deletion of a term.
        if let Some(ids) = self.typos.get(word) {
            for id in ids {
                consider(*id, &mut found);
            }
        }
        found
    }

    /// Terms that start with `prefix` and are longer than it, at most `limit` of them.
    pub(super) fn extending(&self, prefix: &str, limit: usize) -> Vec<TermId> {
        let start = self.sorted.partition_point(|id| self.text(*id) < prefix);
        self.sorted[start..]
            .iter()
            .take_while(|id| self.text(**id).starts_with(prefix))
            .filter(|id| self.text(**id).len() > prefix.len())
            .take(limit)
            .copied()
            .collect()
    }

    /// Positions of the resources whose mail has this (lower-case) local part.
    pub(super) fn mail_positions(&self, local: &str) -> &[u32] {
        self.mails.get(local).map_or(&[], Vec::as_slice)
    }

    pub(super) fn resource_count(&self) -> usize {
        self.entries.len()
    }
}

impl PeopleIndex {
    fn build(people: &[Person]) -> Self {
        let mut index = PeopleIndex::default();
        for (at, person) in people.iter().enumerate() {
            index.by_address.insert(person.upn.to_lowercase(), at);
            if let Some(mail) = &person.mail {
                index.by_address.entry(mail.to_lowercase()).or_insert(at);
            }
            let words: Vec<String> = person
                .display_name
                .split_whitespace()
                .map(str::to_lowercase)
                .collect();
            if words.len() >= 2 {
                index.by_name.entry(words.join(" ")).or_default().push(at);
            }
            if let Some(first) = words.first() {
                index
                    .by_first_name
                    .entry(first.clone())
                    .or_default()
                    .push(at);
            }
        }
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::resource::ResourceKind;

    fn catalog() -> Catalog {
        let mut bi = Resource::new(ResourceKind::Group, "g1", "GRP-FINANCE-BI-READ");
        bi.description = Some("Read access to the Finance BI app".into());
        let mut support = Resource::new(ResourceKind::Mailbox, "m1", "Support");
        support.mail = Some("support@contoso.com".into());
        Catalog::build(
            vec![bi, support],
            vec![Person {
                id: "u1".into(),
                upn: "tom.becker@contoso.com".into(),
                display_name: "Tom Becker".into(),
                mail: Some("Tom.Becker@contoso.com".into()),
            }],
        )
    }

    #[test]
    fn a_grant_recorded_on_a_group_finds_the_mail_enabled_security_group_it_now_is() {
        let mut badges = Resource::new(ResourceKind::DistributionList, "g-mes", "Badge Readers");
        badges.membership = crate::catalog::Membership::Exchange;
        let news = Resource::new(ResourceKind::DistributionList, "g-dl", "everyone-news");
        let vpn = Resource::new(ResourceKind::Group, "g-sec", "VPN Users");
        let catalog = Catalog::build(vec![badges, news, vpn], Vec::new());
        let found = |kind, id| {
            catalog
                .get_recorded(kind, id)
                .map(|found| found.name.as_str())
        };
        assert_eq!(found(ResourceKind::Group, "g-mes"), Some("Badge Readers"));
        assert_eq!(
            found(ResourceKind::DistributionList, "g-mes"),
            Some("Badge Readers")
        );
        // A list that never was a group is not found as one.
        assert_eq!(found(ResourceKind::Group, "g-dl"), None);
        assert_eq!(found(ResourceKind::Group, "g-sec"), Some("VPN Users"));
        assert_eq!(found(ResourceKind::Mailbox, "g-mes"), None);
    }

    #[test]
    fn names_made_of_common_words_are_known_whole() {
        let admins = Resource::new(ResourceKind::Group, "g1", "IT Admins");
        let catalog = Catalog::build(vec![admins], Vec::new());
        assert!(catalog.is_a_name(&["it", "admins"]));
        assert!(catalog.is_a_name(&["IT", "Admin"]));
        assert!(
            !catalog.is_a_name(&["it"]),
            "a part of a name is not the name"
        );
        assert!(!catalog.is_a_name(&["it", "admins", "team"]));
        assert!(catalog.names_word("admins") && !catalog.names_word("team"));
    }

    #[test]
    fn terms_are_found_exactly_with_one_typo_or_by_prefix() {
        let catalog = catalog();
        let index = &catalog.index;
        let finance = index.term("finance").expect("indexed");
        let fields: Vec<Field> = index.postings(finance).map(|(_, field)| field).collect();
        assert_eq!(fields, [Field::Name, Field::Description]);
        assert_eq!(index.near("finnance"), [finance]);
        assert_eq!(index.near("fimance"), [finance]);
        assert_eq!(index.near("financ"), [finance]);
        assert!(index.near("fin").is_empty(), "too short for typos");
        assert_eq!(index.near("finace"), [finance]);
        assert_eq!(index.extending("fin", 10), [finance]);
        assert!(index.extending("finance", 10).is_empty());
    }

    #[test]
    fn people_are_found_by_address_and_name() {
        let catalog = catalog();
        assert_eq!(
            catalog
                .person_by_address("TOM.BECKER@contoso.com")
                .map(|person| person.id.as_str()),
            Some("u1")
        );
        assert_eq!(catalog.people_named(&["Tom", "Becker"]).len(), 1);
        assert_eq!(catalog.people_named(&["tom"]).len(), 1);
        assert!(catalog.people_named(&["becker"]).is_empty());
        assert_eq!(catalog.with_mail_local("Support").count(), 1);
    }
}
