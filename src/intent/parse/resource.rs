//! The resource phrase and its resolution against the catalog.

use super::*;
use explanation::FORWARDING;

/// What a document library holds, said for the library: read as its usual name, "Documents".
const LIBRARY_CONTENT: &[&str] = &["files", "file", "docs", "doc", "document", "documents"];

/// One word of the resource phrase, with what else it might be.
#[derive(Clone, Debug)]
pub(super) struct PhraseWord {
    pub(super) token: usize,
    pub(super) word: Word,
    pub(super) access: Option<AccessWord>,
    pub(super) kind: Option<ResourceKind>,
}

/// The resource phrase of a grant or revoke.
#[derive(Debug, Default)]
pub(super) struct Phrase {
    pub(super) words: Vec<PhraseWord>,
    pub(super) mail_local: Option<String>,
    /// An address was written that is no resource's: the same local part at another domain
    /// is not the tenant's resource.
    pub(super) foreign_address: bool,
}

/// Score adjustments for how an entry's kind fits the kind nouns.
const SAME_KIND_BONUS: f32 = 0.1;
const LOOSE_KIND_PENALTY: f32 = 0.1;

impl Parser<'_, '_> {
    /// Every access word among the unused tokens.
    pub(super) fn access_words_anywhere(&self) -> Vec<AccessWord> {
        self.access_words_where(|at| !self.used[at])
    }

    /// Every access word among the tokens `usable` admits.
    pub(super) fn access_words_where(&self, usable: impl Fn(usize) -> bool) -> Vec<AccessWord> {
        let mut found = Vec::new();
        let mut at = 0;
        while at < self.tokens.len() {
            match self.phrase_matching(at, &ACCESS_PHRASES, &usable) {
                Some((length, word)) => {
                    found.push(word);
                    at += length;
                }
                None => at += 1,
            }
        }
        found
    }

    /// The longest phrase of `phrases` that starts at token `at` (unused words only).
    pub(super) fn phrase_at<T: Copy>(&self, at: usize, phrases: &Phrases<T>) -> Option<(usize, T)> {
        self.phrase_matching(at, phrases, |at| !self.used[at])
    }

    /// The longest phrase of `phrases` that starts at token `at`, of tokens `usable` admits.
    pub(super) fn phrase_matching<T: Copy>(
        &self,
        at: usize,
        phrases: &Phrases<T>,
        usable: impl Fn(usize) -> bool,
    ) -> Option<(usize, T)> {
        let first = self.tokens.get(at)?;
        if first.kind != Kind::Word || !phrases.may_start(&first.text) {
            return None;
        }
        phrases.table.iter().find_map(|(phrase, value)| {
            let matches = phrase.iter().enumerate().all(|(offset, word)| {
                self.tokens
                    .get(at + offset)
                    .is_some_and(|token| token.is(word) && usable(at + offset))
            });
            matches.then_some((phrase.len(), *value))
        })
    }

    /// A word that never names anything: filler, a word for a person ("my contractor Jordan
    /// Lee") or a misspelling of longer filler ("acess", "plase") that no resource's name
    /// holds.
    pub(super) fn is_filler(&self, word: &str) -> bool {
        is_filler_word(word)
            || (PERSON_NOUNS.contains(&word) && !self.catalog.names_word(word))
            || (word.len() >= 4 && near_filler(word) && !self.catalog.names_word(word))
    }

    pub(super) fn phrase(&self) -> Phrase {
        self.phrase_in(0, self.tokens.len())
    }

    /// The resource phrase of the unused tokens `start..end`.
    pub(super) fn phrase_in(&self, start: usize, end: usize) -> Phrase {
        let mut phrase = Phrase::default();
        let mut at = start;
        while at < end {
            if self.used[at] {
                at += 1;
                continue;
            }
            let token = &self.tokens[at];
            if token.kind == Kind::Address {
                let (local, domain) = token.text.split_once('@').unwrap_or((&token.text, ""));
                let known = domain.is_empty()
                    || self.catalog.with_mail_local(local).any(|resource| {
                        resource
                            .mail
                            .as_deref()
                            .is_some_and(|mail| mail.eq_ignore_ascii_case(&token.text))
                    });
                if !known {
                    phrase.foreign_address = true;
                } else if phrase.mail_local.is_none() {
                    phrase.mail_local = Some(local.to_owned());
                }
                at += 1;
                continue;
            }
            if !token.is_word() {
                at += 1;
                continue;
            }
            // A name made of words that are otherwise filler or access words ("IT Admins",
            // "Read Only Users") is a name when the catalog holds it whole.
            if let Some(length) = self.weak_name_at(at, end) {
                for offset in 0..length {
                    phrase.words.push(PhraseWord {
                        token: at + offset,
                        word: Word::new(&self.tokens[at + offset].text, false),
                        access: None,
                        kind: None,
                    });
                }
                at += length;
                continue;
            }
            if let Some((length, access)) = self.phrase_at(at, &ACCESS_PHRASES) {
                for offset in 0..length {
                    let text = &self.tokens[at + offset].text;
                    if is_filler_word(text) && length > 1 {
                        continue;
                    }
                    phrase.words.push(PhraseWord {
                        token: at + offset,
                        word: Word::new(text, true),
                        access: Some(access),
                        kind: None,
                    });
                }
                // A phrase whose words were all filler still counts once.
                if length > 1
                    && !phrase
                        .words
                        .iter()
                        .any(|word| word.token >= at && word.token < at + length)
                {
                    phrase.words.push(PhraseWord {
                        token: at,
                        word: Word::new("", true),
                        access: Some(access),
                        kind: None,
                    });
                }
                at += length;
                continue;
            }
            if let Some((length, kind)) = self.phrase_at(at, &KIND_PHRASES) {
                for offset in 0..length {
                    let said = self.tokens[at + offset].text.as_str();
                    // A site's files are its document library, whatever people call them.
                    // Unless it ends a name ("the Applicant Files library").
                    let said = if kind == ResourceKind::Library
                        && LIBRARY_CONTENT.contains(&said)
                        && !self.ends_a_name(at + offset)
                    {
                        "documents"
                    } else {
                        said
                    };
                    phrase.words.push(PhraseWord {
                        token: at + offset,
                        word: Word::new(said, true),
                        access: None,
                        kind: Some(kind),
                    });
                }
                at += length;
                continue;
            }
            let text = token.text.as_str();
            if !self.is_filler(text) && !self.is_verb_for_someone(at) {
                phrase.words.push(PhraseWord {
                    token: at,
                    word: Word::new(text, SOFT.contains(&text)),
                    access: None,
                    kind: None,
                });
            }
            at += 1;
        }
        phrase
    }

    /// How many words from `at` are a whole catalog name that starts with a filler word ("IT
    /// Admins"), which the phrase would otherwise drop. Never one that starts with an access
    /// word: "edit access to finance" asks for a level, whatever group is called "Edit Access".
    fn weak_name_at(&self, at: usize, end: usize) -> Option<usize> {
        let first = self.word_at(at)?;
        if !self.is_filler(first) || self.phrase_at(at, &ACCESS_PHRASES).is_some() {
            return None;
        }
        let mut words: Vec<&str> = Vec::with_capacity(4);
        for next in at..end.min(at + 4) {
            if self.used[next] {
                break;
            }
            words.push(self.word_at(next)?);
        }
        (2..=words.len())
            .rev()
            .find(|&length| self.catalog.is_a_name(&words[..length]))
    }

    /// Whether the word at `at` ends a whole catalog name with the one to three words before
    /// it ("Applicant Files").
    fn ends_a_name(&self, at: usize) -> bool {
        let mut words: Vec<&str> = Vec::with_capacity(4);
        for back in (at.saturating_sub(3)..=at).rev() {
            match self.word_at(back) {
                Some(word) if back == at || !self.used[back] => words.insert(0, word),
                _ => break,
            }
            if words.len() >= 2 && self.catalog.is_a_name(&words) {
                return true;
            }
        }
        false
    }

    /// "can you order me a monitor", "please book us a room": a word between the one asked and
    /// the person it is done for is what is asked to be done, not a name ("Orders").
    fn is_verb_for_someone(&self, at: usize) -> bool {
        let asked = match at.checked_sub(1) {
            None => true,
            Some(before) => self
                .word_at(before)
                .is_some_and(|word| matches!(word, "you" | "u" | "please" | "pls" | "plz")),
        };
        asked && matches!(self.word_at(at + 1), Some("me" | "us"))
    }

    pub(super) fn access(&self, change: Change, mut terms: Terms) -> Intent {
        let phrase = self.phrase();
        let query = Query {
            words: phrase.words.iter().map(|word| word.word.clone()).collect(),
            mail_local: phrase.mail_local.clone(),
        };
        let query_text = self.query_text(&phrase);
        // A kind noun that is itself an entry's name counts as a name: "the documents library"
        // asks which site's.
        let has_name = phrase.words.iter().any(|word| {
            !word.word.term.is_empty()
                && (!word.word.optional
                    || (word.access.is_none() && self.catalog.names_word(&word.word.term)))
        }) || phrase.mail_local.is_some();
        // An address the tenant holds nothing at is not guessed into one it does.
        if !has_name || (phrase.foreign_address && phrase.mail_local.is_none()) {
            return Intent::Unknown {
                query: query_text,
                suggestions: Vec::new(),
            };
        }
        let found = self.catalog.search(&query, SEARCH_LIMIT);
        let candidates = fitting(&found, &phrase);
        // Access words that no remaining candidate uses as part of its name.
        let unnamed_access = |candidate: &Candidate<'_>| -> Vec<AccessWord> {
            let mut words: Vec<AccessWord> = Vec::new();
            for (i, word) in phrase.words.iter().enumerate() {
                if let Some(access) = word.access {
                    if !candidate.names_word(i) && !words.contains(&access) {
                        words.push(access);
                    }
                }
            }
            words
        };
        let decision = match resolve::decide(candidates) {
            Resolution::Resolved(candidate) => Resolution::Resolved(candidate),
            Resolution::Ambiguous(candidates) if named_whole(&candidates, &phrase).is_some() => {
                named_whole(&candidates, &phrase)
                    .map(Resolution::Resolved)
                    .unwrap_or(Resolution::Ambiguous(candidates))
            }
            unsure => match self.by_initials(&phrase) {
                Some(candidate) => Resolution::Resolved(candidate),
                None => unsure,
            },
        };
        match decision {
            Resolution::Resolved(candidate) => {
                let kind = candidate.resource.kind;
                let mut words = unnamed_access(&candidate);
                if words.is_empty() && self.puts_things_in() {
                    // "put the new brochures in Product Photos": adding files is editing.
                    words = vec![AccessWord::Edit]
                        .into_iter()
                        .filter(|word| word.level_for(kind).is_some())
                        .collect();
                }
                if words.is_empty() {
                    // The level said only in the explanation ("…, I need to upload the new
                    // logos") still says what access is meant, where it fits the kind.
                    words = self
                        .access_words_where(|at| self.explaining[at])
                        .into_iter()
                        .filter(|word| {
                            // Role words in an explanation ("I own the close process", "I'm
                            // the new admin") describe the person, not the access asked for.
                            !matches!(word, AccessWord::Manage | AccessWord::FullAccess)
                                && word.level_for(kind).is_some()
                        })
                        .collect();
                }
                let access = level_meeting(kind, &words).unwrap_or(kind.default_access());
                terms.access_words = words;
                Intent::Access(AccessRequest {
                    change,
                    resource: ResourceRef::from(candidate.resource),
                    access,
                    terms,
                })
            }
            Resolution::Ambiguous(candidates) => {
                let mut words: Vec<AccessWord> = Vec::new();
                for candidate in &candidates {
                    for word in unnamed_access(candidate) {
                        if !words.contains(&word) {
                            words.push(word);
                        }
                    }
                }
                terms.access_words = words;
                Intent::Clarify {
                    change,
                    candidates: candidates
                        .iter()
                        .map(|candidate| ResourceRef::from(candidate.resource))
                        .collect(),
                    terms,
                }
            }
            // Suggest from everything the words fit, also entries of another kind than said.
            Resolution::NotFound(_) => Intent::Unknown {
                query: query_text,
                suggestions: merge_team_and_group(found, &phrase)
                    .iter()
                    .filter(|candidate| candidate.score >= resolve::SUGGEST_SCORE)
                    .take(3)
                    .map(|candidate| ResourceRef::from(candidate.resource))
                    .collect(),
            },
        }
    }

    /// The resource phrase in the person's own words, for "I couldn't find ...".
    pub(super) fn query_text(&self, phrase: &Phrase) -> String {
        let mut parts: Vec<&str> = Vec::new();
        let plain = |word: &PhraseWord| word.access.is_none() && word.kind.is_none();
        for (i, word) in phrase.words.iter().enumerate() {
            // An access word right beside a name word is likely part of the name ("Global
            // Administrator", "Helpdesk Admins"); kind nouns never are said back.
            let beside_name = word.access.is_some()
                && [i.checked_sub(1), Some(i + 1)]
                    .into_iter()
                    .flatten()
                    .filter_map(|j| phrase.words.get(j))
                    .any(|other| plain(other) && other.token.abs_diff(word.token) == 1);
            if !plain(word) && !beside_name {
                continue;
            }
            let token = &self.tokens[word.token];
            parts.push(&self.message[token.start..token.end]);
        }
        if parts.is_empty() {
            if let Some(address) = self.tokens.iter().find(|token| token.kind == Kind::Address) {
                return self.message[address.start..address.end].to_owned();
            }
            return self.message.trim().chars().take(200).collect();
        }
        parts.join(" ")
    }
}

impl Parser<'_, '_> {
    /// How many resources the words not yet explained name, read as [`Parser::access`] reads
    /// them. A part of the message is set aside on this test when nothing but its place says
    /// it explains: what is left must still name the resource without asking which.
    pub(super) fn names_resources(&self) -> Naming {
        let phrase = self.phrase();
        let has_name = phrase
            .words
            .iter()
            .any(|word| !word.word.term.is_empty() && !word.word.optional)
            || phrase.mail_local.is_some();
        if !has_name {
            return Naming::Nothing;
        }
        let query = Query {
            words: phrase.words.iter().map(|word| word.word.clone()).collect(),
            mail_local: phrase.mail_local.clone(),
        };
        let found = self.catalog.search(&query, SEARCH_LIMIT);
        match resolve::decide(fitting(&found, &phrase)) {
            Resolution::Resolved(_) => Naming::One,
            _ if self.by_initials(&phrase).is_some() => Naming::One,
            Resolution::Ambiguous(_) => Naming::Several,
            Resolution::NotFound(_) => Naming::Nothing,
        }
    }
}

impl Parser<'_, '_> {
    /// The address of the one mailbox, list or group named after the last "to" of the request:
    /// "set up forwarding of my inbox to the customer care mailbox".
    pub(super) fn mail_named_after_to(&self) -> Option<String> {
        // The first "to" after the forwarding word; the name ends at a pause or at what
        // corrects or adds to it ("…to customer care, not to wholesale orders").
        let forwarding = (0..self.tokens.len())
            .find(|&at| FORWARDING.contains(&self.tokens[at].text.as_str()))
            .unwrap_or(0);
        // "forward mail sent to customer care to me" forwards the mailbox's mail, not the
        // asker's: no target here.
        let to_the_asker = (forwarding..self.tokens.len().saturating_sub(1)).any(|at| {
            self.tokens[at].is("to")
                && (self.tokens[at + 1].is("me") || self.tokens[at + 1].is("myself"))
        });
        if to_the_asker {
            return None;
        }
        let said_of_mail = |at: usize| {
            at.checked_sub(1).is_some_and(|prior| {
                ["sent", "addressed", "going", "goes", "coming", "comes"]
                    .iter()
                    .any(|word| self.tokens[prior].is(word))
            })
        };
        let to = (forwarding..self.tokens.len())
            .find(|&at| self.tokens[at].is("to") && !self.explaining[at] && !said_of_mail(at))?;
        let end = (to + 1..self.tokens.len())
            .find(|&at| {
                let token = &self.tokens[at];
                self.explaining[at]
                    || token.is_break()
                    || ["not", "instead", "and", "but", "or", "rather", "than"]
                        .iter()
                        .any(|word| token.is(word))
            })
            .unwrap_or(self.tokens.len());
        let phrase = self.phrase_in(to + 1, end);
        if !phrase
            .words
            .iter()
            .any(|word| !word.word.term.is_empty() && !word.word.optional)
        {
            return None;
        }
        let query = Query {
            words: phrase.words.iter().map(|word| word.word.clone()).collect(),
            mail_local: None,
        };
        let found = self.catalog.search(&query, SEARCH_LIMIT);
        match resolve::decide(fitting(&found, &phrase)) {
            Resolution::Resolved(candidate) => match candidate.resource.kind {
                ResourceKind::Mailbox | ResourceKind::DistributionList | ResourceKind::Group => {
                    candidate.resource.mail.clone()
                }
                _ => None,
            },
            _ => None,
        }
    }
}

impl<'c> Parser<'_, 'c> {
    /// The one entry a phrase names when a word of it, written in capitals, is the initials of
    /// words of the name ("CS Hub" for "Customer Success Hub") and the phrase's other words
    /// say the rest of the name, no more and no less. Two entries that fit are never chosen
    /// between: the caller asks.
    fn by_initials(&self, phrase: &Phrase) -> Option<Candidate<'c>> {
        let plain: Vec<(usize, &PhraseWord)> = phrase
            .words
            .iter()
            .enumerate()
            .filter(|(_, word)| !word.word.optional && !word.word.term.is_empty())
            .collect();
        let (initials_at, initials) = plain.iter().find_map(|(i, word)| {
            let token = &self.tokens[word.token];
            let written = &self.message[token.start..token.end];
            let capitals = (2..=4).contains(&written.len())
                && written
                    .chars()
                    .all(|character| character.is_ascii_uppercase());
            (capitals && !self.catalog.names_word(written)).then(|| (*i, word.word.term.clone()))
        })?;
        let rest: Vec<&str> = plain
            .iter()
            .filter(|(i, _)| *i != initials_at)
            .map(|(_, word)| word.word.term.as_str())
            .collect();
        // Words that may be part of a name or not ("admins", "users", "team").
        let optional: Vec<&str> = phrase
            .words
            .iter()
            .filter(|word| word.word.optional)
            .map(|word| word.word.term.as_str())
            .collect();
        // Found by the other words, those that may be part of a name counted as its words
        // ("FT users" finds what "users" names); a kind noun still only says the kind. The
        // initials stay in, optional, so the words keep their places for the kind and access
        // checks.
        let query = Query {
            words: phrase
                .words
                .iter()
                .enumerate()
                .map(|(i, word)| Word {
                    term: word.word.term.clone(),
                    optional: i == initials_at || word.kind.is_some(),
                })
                .collect(),
            mail_local: None,
        };
        let found = self.catalog.search(&query, SEARCH_LIMIT);
        let mut fits = fitting(&found, phrase)
            .into_iter()
            .filter(|candidate| spells(&candidate.resource.name, &initials, &rest, &optional));
        let one = fits.next()?;
        fits.next().is_none().then_some(one)
    }
}

/// Whether `name` is `initials` for a run of its words and the words `rest` (as terms) for
/// the others, each of which is said, in `rest` or among the `optional` words.
fn spells(name: &str, initials: &str, rest: &[&str], optional: &[&str]) -> bool {
    let words: Vec<String> = text::terms(name).collect();
    let length = initials.chars().count();
    (0..words.len().saturating_sub(length - 1)).any(|from| {
        let run = &words[from..from + length];
        let spelled = run
            .iter()
            .zip(initials.chars())
            .all(|(word, letter)| word.starts_with(letter));
        let others: Vec<&str> = words[..from]
            .iter()
            .chain(&words[from + length..])
            .map(String::as_str)
            .collect();
        spelled
            && rest.iter().all(|word| others.contains(word))
            && others
                .iter()
                .all(|word| rest.contains(word) || optional.contains(word))
    })
}

/// How many resources a phrase names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Naming {
    Nothing,
    One,
    Several,
}

/// The entries of `found` whose kind fits the phrase, with the score adjusted for it, a team
/// and its group kept once.
/// The one candidate whose whole name, and nothing else, is what the phrase names: "the
/// Finance site" is the Finance site, not Finance Reporting, whose name has a word not said.
/// `None` when no candidate or more than one is named so (those are asked about).
fn named_whole<'c>(candidates: &[Candidate<'c>], phrase: &Phrase) -> Option<Candidate<'c>> {
    let said: Vec<&str> = phrase
        .words
        .iter()
        .map(|word| word.word.term.as_str())
        .collect();
    let whole = |candidate: &&Candidate<'c>| {
        let every_name_word_said =
            text::terms(&candidate.resource.name).all(|term| said.contains(&term.as_str()));
        // "Instrument Logs in the lab protocols site": where it is, said whole, places it
        // as surely as its kind.
        let parent_terms: Vec<String> = candidate
            .resource
            .parent
            .as_ref()
            .map(|parent| text::terms(&parent.name).collect())
            .unwrap_or_default();
        let place_said = !parent_terms.is_empty()
            && parent_terms
                .iter()
                .all(|term| said.contains(&term.as_str()));
        let every_word_in_name = phrase.words.iter().enumerate().all(|(i, word)| {
            word.word.optional
                || candidate.names_word(i)
                || (place_said && parent_terms.contains(&word.word.term))
        });
        // The kind said too ("the Finance site"): a bare name ("access to legal") may still
        // mean the entry that holds it in a longer name.
        let kind_said = phrase.words.iter().enumerate().any(|(i, word)| {
            !candidate.names_word(i)
                && word.kind.is_some_and(|said| {
                    kind_affinity(said, candidate.resource.kind) == KindAffinity::Same
                })
        });
        every_name_word_said && every_word_in_name && (kind_said || place_said)
    };
    let mut named = candidates.iter().filter(whole);
    match (named.next(), named.next()) {
        (Some(only), None) => Some(only.clone()),
        _ => None,
    }
}

fn fitting<'c>(found: &[Candidate<'c>], phrase: &Phrase) -> Vec<Candidate<'c>> {
    let mut candidates: Vec<Candidate<'c>> = found
        .iter()
        .filter_map(|candidate| {
            let adjustment = adjustment(candidate, phrase)?;
            let mut candidate = candidate.clone();
            candidate.score += adjustment;
            Some(candidate)
        })
        .collect();
    candidates.retain(|candidate| candidate.score > 0.0);
    merge_team_and_group(candidates, phrase)
}

/// How well an entry's kind fits the kind nouns and access words its name did not use, or
/// `None` when it cannot be meant: another kind than said ("the X channel" is no group), or
/// access its kind does not offer ("read" on a group).
fn adjustment(candidate: &Candidate<'_>, phrase: &Phrase) -> Option<f32> {
    let kind = candidate.resource.kind;
    // "the Documents library on the intranet site", "upload files to the finance site": the
    // site says where the library is; the library is what is asked for.
    let says = |said: ResourceKind| {
        phrase
            .words
            .iter()
            .enumerate()
            .any(|(i, word)| word.kind == Some(said) && !candidate.names_word(i))
    };
    if kind == ResourceKind::Site && says(ResourceKind::Library) && says(ResourceKind::Site) {
        return None;
    }
    let mut adjustment = 0.0;
    let mut best: Option<KindAffinity> = None;
    let mut access: Vec<AccessWord> = Vec::new();
    for (i, word) in phrase.words.iter().enumerate() {
        if candidate.names_word(i) {
            continue;
        }
        if let Some(said) = word.kind {
            // A mail-enabled security group is a list to policy and a group to the people in it.
            let affinity = if said == ResourceKind::Group && candidate.resource.is_security_list() {
                KindAffinity::Same
            } else {
                kind_affinity(said, kind)
            };
            best = Some(match (best, affinity) {
                (Some(KindAffinity::Same), _) | (_, KindAffinity::Same) => KindAffinity::Same,
                (Some(KindAffinity::Loose), _) | (_, KindAffinity::Loose) => KindAffinity::Loose,
                _ => KindAffinity::Other,
            });
        }
        if let Some(word) = word.access {
            access.push(word);
        }
    }
    // A room's or equipment's mailbox is meant only when asked for as a mailbox ("full access
    // to the barrel room mailbox"): "add me to berlin" is the Berlin list, not the Berlin
    // Boardroom, and a room named in passing ("lecture starts soon") is no request.
    // A mailbox level alone points at a room only when its name is said whole ("full access to
    // berlin" does not pick the Berlin Boardroom).
    let as_mailbox = best == Some(KindAffinity::Same)
        || (candidate.whole
            && access.iter().any(|word| {
                matches!(
                    word,
                    AccessWord::FullAccess | AccessWord::SendAs | AccessWord::SendOnBehalf
                )
            }));
    if candidate.resource.purpose.is_some() && !as_mailbox {
        return None;
    }
    adjustment += match best {
        None => 0.0,
        Some(KindAffinity::Same) => SAME_KIND_BONUS,
        Some(KindAffinity::Loose) => -LOOSE_KIND_PENALTY,
        Some(KindAffinity::Other) => return None,
    };
    level_meeting(kind, &access)?;
    Some(adjustment)
}

/// A team and its group are one membership: keep whichever fits better (the team on a tie,
/// unless the message said "group").
fn merge_team_and_group<'c>(candidates: Vec<Candidate<'c>>, phrase: &Phrase) -> Vec<Candidate<'c>> {
    let said_group = phrase
        .words
        .iter()
        .any(|word| word.kind == Some(ResourceKind::Group));
    let mut kept: Vec<Candidate<'c>> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let pair = |other: &Candidate<'c>| {
            other.resource.id == candidate.resource.id
                && matches!(
                    (other.resource.kind, candidate.resource.kind),
                    (ResourceKind::Team, ResourceKind::Group)
                        | (ResourceKind::Group, ResourceKind::Team)
                )
        };
        match kept.iter().position(pair) {
            None => kept.push(candidate),
            Some(at) => {
                let incumbent = &kept[at];
                let prefer_new = if (candidate.score - incumbent.score).abs() < f32::EPSILON {
                    (candidate.resource.kind == ResourceKind::Group) == said_group
                } else {
                    candidate.score > incumbent.score
                };
                if prefer_new {
                    kept[at] = candidate;
                }
            }
        }
    }
    kept
}
