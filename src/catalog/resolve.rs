//! Fuzzy resolution of a resource phrase against the catalog: which entries could the words mean,
//! how well, and whether one of them clearly wins.
//!
//! A candidate's score mixes two coverages, both weighted by how rare each term is (idf): how much
//! of the phrase the entry explains, and how much of the entry's best name the phrase covers. So
//! "VPN" fits "VPN Users" (the rare word is there; "users" is common) and "finance bi" fits
//! "GRP-FINANCE-BI-READ" better than "Finance". A word may be *optional*: a word that could be
//! part of a name or could be something else (an access word like "read", a kind like "team");
//! it counts for an entry whose name holds it and is ignored by the rest, and the caller learns
//! which entries used it.
//!
//! [`decide`] never guesses: a clear winner resolves, close competitors are returned to ask
//! about, and a phrase nothing fits well yields the nearest names as suggestions.

use super::index::{Catalog, Field, TermId};
use super::resource::Resource;
use super::text;

/// How good a typo or prefix match is next to an exact one.
const TYPO_QUALITY: f32 = 0.85;
const PREFIX_QUALITY: f32 = 0.7;
/// How much a word found only in the parent's name or the description counts.
const CONTEXT_WEIGHT: f32 = 0.6;
const DESCRIPTION_WEIGHT: f32 = 0.4;
/// Share of the score from covering the phrase (the rest: covering the name).
const PHRASE_SHARE: f32 = 0.6;
/// Bonus for the phrase covering every word of a name or alias.
const WHOLE_NAME_BONUS: f32 = 0.1;
/// Further bonus for the phrase being exactly a name or alias, optional words included
/// ("all-sales" is the list, not the Sales mailbox).
const EXACT_BONUS: f32 = 0.15;
/// A mail address (or its local part) names its resource outright.
const MAIL_SCORE: f32 = 1.3;
/// Postings read to find candidates, rarest words first (the rarest is always read); the other
/// words still score the candidates found.
const GENERATION_BUDGET: usize = 40_000;
/// Candidates scored in full, after a cheap first ranking.
const SHORTLIST: usize = 128;
/// At most this many prefix extensions of one word.
const PREFIX_LIMIT: usize = 32;

/// The lowest score that can resolve.
pub const RESOLVE_SCORE: f32 = 0.55;
/// Candidates this close to the best are competitors.
pub const MARGIN: f32 = 0.1;
/// Candidates this close are competitors too when the best and they hold the same words said and
/// none of them is named whole: what tells them apart is only the rest of their names, which
/// was not said ("warehouse" for Warehouse Ops, Warehouse Leads and Warehouse Scanners).
pub const PARTIAL_MARGIN: f32 = 0.3;
/// The lowest score worth suggesting.
pub const SUGGEST_SCORE: f32 = 0.25;

/// One word of a phrase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The normalised term ([`text::term`]).
    pub term: String,
    /// Counts only for entries whose name holds it.
    pub optional: bool,
}

impl Word {
    pub fn new(word: &str, optional: bool) -> Self {
        Word {
            term: text::term(word),
            optional,
        }
    }
}

/// What to look for.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// At most 64 words; more are ignored.
    pub words: Vec<Word>,
    /// The local part of a mail address the text gave (`support` for `support@` or
    /// `support@contoso.com`).
    pub mail_local: Option<String>,
}

impl Query {
    /// A query of plain (non-optional) words.
    pub fn phrase(text: &str) -> Self {
        Query {
            words: text::terms(text)
                .map(|term| Word {
                    term,
                    optional: false,
                })
                .collect(),
            mail_local: None,
        }
    }
}

/// An entry the phrase could mean.
#[derive(Clone, Debug)]
pub struct Candidate<'c> {
    pub resource: &'c Resource,
    pub score: f32,
    /// Bit `i` is set when word `i` of the query occurs in one of the entry's names.
    pub named: u64,
    /// The phrase covers every word of one of its names (not by a prefix).
    pub whole: bool,
}

impl Candidate<'_> {
    /// Whether word `i` of the query is part of this entry's name.
    pub fn names_word(&self, i: usize) -> bool {
        i < 64 && self.named & (1 << i) != 0
    }
}

/// The outcome of resolving a phrase.
#[derive(Clone, Debug)]
pub enum Resolution<'c> {
    Resolved(Candidate<'c>),
    /// Several entries fit about equally well: ask which.
    Ambiguous(Vec<Candidate<'c>>),
    /// Nothing fits well enough; the nearest entries, best first (maybe none).
    NotFound(Vec<Candidate<'c>>),
}

/// The matches of one query word: term → quality.
struct WordMatches {
    terms: Vec<(TermId, f32)>,
    weight: f32,
    optional: bool,
    /// How many postings its terms have together.
    postings: usize,
}

/// Per-thread accumulator for the first ranking: one slot per resource, reset after each query
/// through the list of slots it touched, so a query costs what its postings cost.
#[derive(Default)]
struct Scratch {
    sums: Vec<f32>,
    touched: Vec<u32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl Catalog {
    /// The entries the query could mean, best first, at most `limit`.
    pub fn search(&self, query: &Query, limit: usize) -> Vec<Candidate<'_>> {
        let index = &self.index;
        let total = index.resource_count().max(1) as f32;
        let idf = |id: TermId| (1.0 + total / index.document_frequency(id).max(1) as f32).ln();
        let words: Vec<WordMatches> = query
            .words
            .iter()
            .take(64)
            .map(|word| {
                let mut terms: Vec<(TermId, f32)> = Vec::new();
                if let Some(id) = index.term(&word.term) {
                    terms.push((id, 1.0));
                } else {
                    terms.extend(
                        index
                            .near(&word.term)
                            .into_iter()
                            .map(|id| (id, TYPO_QUALITY)),
                    );
                }
                if word.term.chars().count() >= 3 {
                    for id in index.extending(&word.term, PREFIX_LIMIT) {
                        if !terms.iter().any(|(known, _)| *known == id) {
                            terms.push((id, PREFIX_QUALITY));
                        }
                    }
                }
                let weight = terms
                    .iter()
                    .map(|(id, quality)| idf(*id) * quality)
                    .fold(0.0_f32, f32::max);
                let postings: usize = terms
                    .iter()
                    .map(|(id, _)| index.document_frequency(*id))
                    .sum();
                WordMatches {
                    // A word the catalog does not hold weighs like the rarest term: it is
                    // likely a name, and nothing here is called that.
                    weight: if terms.is_empty() {
                        (1.0 + total).ln()
                    } else {
                        weight
                    },
                    postings,
                    terms,
                    optional: word.optional,
                }
            })
            .collect();

        // First ranking: the rarer the words an entry holds, the better. Candidates come from
        // the rarest words, as many as fit the budget (always at least the rarest); common words
        // only score what the rare ones found.
        let mut order: Vec<(usize, usize)> = words
            .iter()
            .enumerate()
            .filter(|(_, word)| !word.terms.is_empty())
            .map(|(i, word)| (word.postings, i))
            .collect();
        order.sort_unstable();
        let mut budget = GENERATION_BUDGET;
        let mut shortlist: Vec<(u32, f32)> = SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let Scratch { sums, touched } = &mut *scratch;
            if sums.len() < index.resource_count() {
                sums.resize(index.resource_count(), 0.0);
            }
            touched.clear();
            for (n, (postings, i)) in order.iter().enumerate() {
                if n > 0 && *postings > budget {
                    break;
                }
                budget = budget.saturating_sub(*postings);
                for (id, quality) in &words[*i].terms {
                    let gain = idf(*id) * quality;
                    for (at, field) in index.postings(*id) {
                        let weight = match field {
                            Field::Name => 1.0,
                            Field::Context => CONTEXT_WEIGHT,
                            Field::Description => DESCRIPTION_WEIGHT,
                        };
                        let Some(slot) = sums.get_mut(at as usize) else {
                            continue;
                        };
                        if *slot == 0.0 {
                            touched.push(at);
                        }
                        *slot += gain * weight;
                    }
                }
            }
            let shortlist: Vec<(u32, f32)> = touched
                .iter()
                .map(|at| (*at, sums.get(*at as usize).copied().unwrap_or(0.0)))
                .collect();
            for at in touched.iter() {
                if let Some(slot) = sums.get_mut(*at as usize) {
                    *slot = 0.0;
                }
            }
            shortlist
        });
        let by_rough = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if shortlist.len() > SHORTLIST {
            shortlist.select_nth_unstable_by(SHORTLIST, by_rough);
            shortlist.truncate(SHORTLIST);
        }
        shortlist.sort_unstable_by(by_rough);
        let mail_hits: &[u32] = query
            .mail_local
            .as_deref()
            .map_or(&[], |local| index.mail_positions(local));
        for at in mail_hits {
            if !shortlist.iter().any(|(known, _)| known == at) {
                shortlist.push((*at, 0.0));
            }
        }

        let mut candidates: Vec<Candidate<'_>> = shortlist
            .into_iter()
            .filter_map(|(at, _)| {
                let resource = self.resource_at(at)?;
                let mut candidate = self.score(at, resource, &words, &idf);
                if mail_hits.contains(&at) {
                    candidate.score = candidate.score.max(MAIL_SCORE);
                }
                (candidate.score > 0.0).then_some(candidate)
            })
            .collect();
        candidates.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.resource.name.len().cmp(&b.resource.name.len()))
                .then_with(|| a.resource.id.cmp(&b.resource.id))
        });
        candidates.truncate(limit);
        candidates
    }

    fn score<'c>(
        &'c self,
        at: u32,
        resource: &'c Resource,
        words: &[WordMatches],
        idf: &dyn Fn(TermId) -> f32,
    ) -> Candidate<'c> {
        let Some(entry) = self.index.entries.get(at as usize) else {
            return Candidate {
                resource,
                score: 0.0,
                named: 0,
                whole: false,
            };
        };
        let quality_in = |terms: &[TermId], word: &WordMatches| -> f32 {
            word.terms
                .iter()
                .filter(|(id, _)| terms.contains(id))
                .map(|(_, quality)| *quality)
                .fold(0.0, f32::max)
        };
        let mut covered = 0.0_f32;
        let mut wanted = 0.0_f32;
        let mut named = 0u64;
        // Optional words alone ("admin", "all") cannot make an entry a candidate when the phrase
        // has words of its own.
        let mut plain_found = words.iter().all(|word| word.optional);
        // Per name: how well the phrase matched each of its terms (0 where it did not). A
        // prefix does not name a term whole: "warehouse" is not all of "WarehouseOps".
        let mut name_hits: Vec<Vec<f32>> = entry
            .names
            .iter()
            .map(|name| vec![0.0; name.len()])
            .collect();
        for (i, word) in words.iter().enumerate() {
            let mut best_name = 0.0_f32;
            for (name, hits) in entry.names.iter().zip(name_hits.iter_mut()) {
                for (term, hit) in name.iter().zip(hits.iter_mut()) {
                    if let Some((_, quality)) = word.terms.iter().find(|(id, _)| id == term) {
                        *hit = hit.max(*quality);
                        best_name = best_name.max(*quality);
                    }
                }
            }
            if best_name > 0.0 {
                named |= 1 << i;
            }
            let best = best_name
                .max(quality_in(&entry.context, word) * CONTEXT_WEIGHT)
                .max(quality_in(&entry.description, word) * DESCRIPTION_WEIGHT);
            if word.optional && best_name == 0.0 {
                continue;
            }
            if !word.optional && best > 0.0 {
                plain_found = true;
            }
            wanted += word.weight;
            covered += word.weight * best;
        }
        if wanted == 0.0 || !plain_found {
            return Candidate {
                resource,
                score: 0.0,
                named,
                whole: false,
            };
        }
        let phrase_coverage = covered / wanted;
        let mut name_coverage = 0.0_f32;
        let mut whole = false;
        let mut exact = false;
        for (name, hits) in entry.names.iter().zip(&name_hits) {
            let total: f32 = name.iter().map(|id| idf(*id)).sum();
            if total == 0.0 {
                continue;
            }
            let matched: f32 = name
                .iter()
                .zip(hits)
                .filter(|(_, hit)| **hit > 0.0)
                .map(|(id, _)| idf(*id))
                .sum();
            name_coverage = name_coverage.max(matched / total);
            let every_term = hits.iter().all(|hit| *hit >= TYPO_QUALITY);
            if every_term && phrase_coverage >= 0.999 {
                whole = true;
                // Exactly: every word of the phrase, optional ones too, is in this name.
                let all_words_here = words.iter().all(|word| {
                    word.terms
                        .iter()
                        .any(|(id, quality)| *quality >= 1.0 && name.contains(id))
                });
                exact |= all_words_here && name.len() == words.len();
            }
        }
        let mut score = PHRASE_SHARE * phrase_coverage + (1.0 - PHRASE_SHARE) * name_coverage;
        if whole {
            score += WHOLE_NAME_BONUS;
        }
        if exact {
            score += EXACT_BONUS;
        }
        Candidate {
            resource,
            score,
            named,
            whole,
        }
    }
}

/// Resolves ranked candidates (best first, scores already adjusted by the caller): one clear
/// winner, competitors to ask about, or suggestions.
pub fn decide(mut candidates: Vec<Candidate<'_>>) -> Resolution<'_> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let Some(best) = candidates.first() else {
        return Resolution::NotFound(Vec::new());
    };
    if best.score < RESOLVE_SCORE {
        candidates.retain(|candidate| candidate.score >= SUGGEST_SCORE);
        candidates.truncate(3);
        return Resolution::NotFound(candidates);
    }
    let (best_score, best_named, best_whole) = (best.score, best.named, best.whole);
    let close = |candidate: &Candidate<'_>| {
        candidate.score >= (best_score - MARGIN).max(RESOLVE_SCORE)
            || (!best_whole
                && !candidate.whole
                && candidate.named == best_named
                && candidate.score >= (best_score - PARTIAL_MARGIN).max(RESOLVE_SCORE))
    };
    // The competitors first (best first among them), then the rest.
    candidates.sort_by(|a, b| close(b).cmp(&close(a)).then(b.score.total_cmp(&a.score)));
    let competitors = candidates
        .iter()
        .take_while(|candidate| close(candidate))
        .count();
    if competitors == 1 {
        Resolution::Resolved(candidates.swap_remove(0))
    } else {
        candidates.truncate(competitors.min(5));
        Resolution::Ambiguous(candidates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ParentRef;
    use crate::domain::resource::ResourceKind;

    fn resource(kind: ResourceKind, id: &str, name: &str) -> Resource {
        Resource::new(kind, id, name)
    }

    fn catalog() -> Catalog {
        let mut bi = resource(ResourceKind::Group, "bi", "GRP-FINANCE-BI-READ");
        bi.description = Some("Read access to the Finance BI app".into());
        let finance = resource(ResourceKind::Group, "fin", "Finance");
        let mut vpn = resource(ResourceKind::Group, "vpn", "VPN Users");
        vpn.description = Some("Grants the corporate VPN app".into());
        let mut atlas = resource(ResourceKind::Site, "atlas", "Project Atlas");
        atlas.aliases.push("Atlas".into());
        let mut assets = resource(ResourceKind::Library, "assets", "Brand Assets");
        assets.parent = Some(ParentRef {
            kind: ResourceKind::Site,
            id: "mkt".into(),
            name: "Marketing".into(),
        });
        let marketing_site = resource(ResourceKind::Site, "mkt", "Marketing");
        let marketing_team = resource(ResourceKind::Team, "mktg", "Marketing");
        let mut support = resource(ResourceKind::Mailbox, "support", "Support");
        support.mail = Some("support@contoso.com".into());
        let mut support_team = resource(ResourceKind::Group, "cs", "Customer Support");
        support_team.mail = Some("support-team@contoso.com".into());
        Catalog::build(
            vec![
                bi,
                finance,
                vpn,
                atlas,
                assets,
                marketing_site,
                marketing_team,
                support,
                support_team,
            ],
            Vec::new(),
        )
    }

    fn resolve<'c>(catalog: &'c Catalog, query: &Query) -> Resolution<'c> {
        decide(catalog.search(query, 10))
    }

    fn resolved_id(resolution: &Resolution<'_>) -> Option<String> {
        match resolution {
            Resolution::Resolved(candidate) => Some(candidate.resource.id.clone()),
            _ => None,
        }
    }

    #[test]
    fn a_clear_winner_resolves() {
        let catalog = catalog();
        for (phrase, id) in [
            ("vpn", "vpn"),
            ("finance bi", "bi"),
            ("grp finance bi read", "bi"),
            ("atlas", "atlas"),
            ("brand assets", "assets"),
            ("brand asets", "assets"),
            ("customer support", "cs"),
        ] {
            let resolution = resolve(&catalog, &Query::phrase(phrase));
            assert_eq!(
                resolved_id(&resolution).as_deref(),
                Some(id),
                "{phrase}: {resolution:?}"
            );
        }
    }

    /// The ids a question offers, sorted; fails when the resolution is no question.
    fn asked_ids(resolution: &Resolution<'_>) -> Vec<String> {
        let Resolution::Ambiguous(candidates) = resolution else {
            panic!("expected a question, got {resolution:?}");
        };
        let mut ids: Vec<String> = candidates
            .iter()
            .map(|candidate| candidate.resource.id.clone())
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn equally_good_entries_are_asked_about() {
        let catalog = catalog();
        let resolution = resolve(&catalog, &Query::phrase("marketing"));
        assert_eq!(asked_ids(&resolution), ["mkt", "mktg"]);
    }

    #[test]
    fn a_word_shared_by_several_names_none_named_whole_is_asked_about() {
        let mut ops = resource(ResourceKind::Site, "ops", "Warehouse Ops");
        ops.aliases.push("WarehouseOps".into());
        let mut leads = resource(ResourceKind::Group, "leads", "Warehouse Leads");
        leads.description = Some("Shift leads".into());
        let scanners = resource(ResourceKind::Group, "scanners", "Warehouse Scanners");
        let other = resource(ResourceKind::Group, "ops-team", "Ops Team");
        let warehouse = resource(ResourceKind::Group, "wh", "Warehouse");
        let catalog = Catalog::build(vec![ops, leads, scanners, other], Vec::new());
        // The prefix of a run-together URL name does not name it whole, so the site's score
        // does not set it apart from the groups that hold the same word.
        let resolution = resolve(&catalog, &Query::phrase("warehouse"));
        assert_eq!(asked_ids(&resolution), ["leads", "ops", "scanners"]);
        // A name said whole still wins over names that only hold it.
        let mut with_whole = vec![warehouse];
        with_whole.extend(catalog.resources().iter().cloned());
        let catalog = Catalog::build(with_whole, Vec::new());
        let resolution = resolve(&catalog, &Query::phrase("warehouse"));
        assert_eq!(
            resolved_id(&resolution).as_deref(),
            Some("wh"),
            "{resolution:?}"
        );
        let resolution = resolve(&catalog, &Query::phrase("warehouse scanners"));
        assert_eq!(
            resolved_id(&resolution).as_deref(),
            Some("scanners"),
            "{resolution:?}"
        );
    }

    #[test]
    fn nothing_good_gives_suggestions_or_nothing() {
        let catalog = catalog();
        assert!(matches!(
            resolve(&catalog, &Query::phrase("global administrator")),
            Resolution::NotFound(suggestions) if suggestions.is_empty()
        ));
        match resolve(&catalog, &Query::phrase("project phoenix")) {
            Resolution::NotFound(suggestions) => {
                assert_eq!(suggestions[0].resource.id, "atlas", "{suggestions:?}");
            }
            other => panic!("expected not found, got {other:?}"),
        }
    }

    #[test]
    fn a_mail_address_names_its_resource() {
        let catalog = catalog();
        let query = Query {
            words: vec![Word::new("support", false)],
            mail_local: Some("support".into()),
        };
        assert_eq!(
            resolved_id(&resolve(&catalog, &query)).as_deref(),
            Some("support")
        );
    }

    #[test]
    fn optional_words_count_only_where_they_name_the_entry() {
        let catalog = catalog();
        let query = Query {
            words: vec![Word::new("finance", false), Word::new("read", true)],
            mail_local: None,
        };
        let found = catalog.search(&query, 5);
        let bi = found
            .iter()
            .find(|candidate| candidate.resource.id == "bi")
            .expect("bi found");
        assert!(bi.names_word(1), "read is part of its name");
        let finance = found
            .iter()
            .find(|candidate| candidate.resource.id == "fin")
            .expect("finance found");
        assert!(!finance.names_word(1));
        assert!(finance.score > 0.9, "an unused optional word costs nothing");
    }
}
