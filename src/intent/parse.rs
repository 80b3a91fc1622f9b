//! Text → [`Intent`]: deterministic, local, no network.
//!
//! The message is cut into tokens; the parts that are not the resource are taken out first — a
//! duration, a reason, the people it names — then the action is read from cue phrases, and what
//! is left (minus filler) is the resource phrase, with access words and kind nouns marked as
//! *optional*: they may be part of a name ("GRP-FINANCE-BI-READ", "Helpdesk Admins"). The catalog
//! then says which entries fit, and for each entry the access and kind words its name did not
//! use must agree with its kind ("read on X" cannot be a group). Nothing in the text can do more
//! than propose: instructions to the bot are words like any other, and permission is decided by
//! the policy engine, never here.
//!
//! A clause, a later sentence or an earlier one that explains the request ("…, I'm helping on
//! the audit") is the reason and nothing else: its words neither give the action nor name the
//! resource. So is a part with no cue at all that states something of its own — run on after
//! the name ("…the pharmacy site we're planning the refit"), after a dash or in a sentence of its
//! own ("Auditors are coming in.") — when what is left still names exactly one resource: then
//! its words ("IPC audits the CD cupboards") no longer compete for the resource. [`cues`] reads the action, [`people`] who is named, [`explanation`] what explains,
//! [`resource`] the resource phrase and its resolution.

use chrono::{DateTime, Utc};

use crate::catalog::resolve::{self, Resolution};
use crate::catalog::{Candidate, Catalog, Query, Word, text};
use crate::domain::resource::{Access, ResourceKind};

use super::duration;
use super::model::{AccessRequest, AccessWord, Change, Intent, ResourceRef, Terms, level_meeting};
use super::tokens::{Kind, Token, tokenize};
use super::vocabulary::{
    ACCESS_PHRASES, ASKING, CALENDAR_NOUNS, EXPLANATION_OPENERS, KIND_PHRASES, KindAffinity,
    PERSON_NOUNS, POLITENESS, Phrases, SOFT, SOMEONE_ELSE, is_filler_word, kind_affinity,
    mistyped_verb, near_filler,
};

mod cues;
mod explanation;
mod people;
mod resource;

use cues::{AccountAction, Words};
use resource::PhraseWord;

/// How many entries the resolver ranks before the kind adjustments.
const SEARCH_LIMIT: usize = 24;

/// Who is asking and when: needed to tell "me" from someone else and to measure "until Friday".
#[derive(Clone, Copy, Debug)]
pub struct Asker<'a> {
    pub upn: &'a str,
    pub now: DateTime<Utc>,
}

/// Understands `message` from `asker` against `catalog`.
pub fn understand(message: &str, asker: Asker<'_>, catalog: &Catalog) -> Intent {
    Parser::new(message, asker, catalog).intent()
}

/// A person the message names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Named {
    /// A tenant user, by UPN.
    Person(String),
    /// An address that is nobody in the tenant (an outside address, or a typo).
    Address(String),
}

impl Named {
    fn address(&self) -> &str {
        match self {
            Named::Person(upn) | Named::Address(upn) => upn,
        }
    }
}

struct Parser<'m, 'c> {
    message: &'m str,
    asker: Asker<'m>,
    catalog: &'c Catalog,
    tokens: Vec<Token>,
    /// Tokens already explained (duration, reason, people, addresses).
    used: Vec<bool>,
    /// Tokens that explain the request rather than make it (the reason, and sentences of
    /// context around the request).
    explaining: Vec<bool>,
    /// The words the cues are read from: every word until the reason is found, then the words
    /// outside it, so an explanation ("…, need to reset a user's MFA") never changes the action.
    words: Vec<String>,
    /// Every word of the message.
    all_words: Vec<String>,
}

impl<'m, 'c> Parser<'m, 'c> {
    fn new(message: &'m str, asker: Asker<'m>, catalog: &'c Catalog) -> Self {
        let mut tokens = tokenize(message);
        for token in tokens.iter_mut().filter(|token| token.is_word()) {
            if let Some(verb) = mistyped_verb(&token.text) {
                token.text = verb.to_owned();
            }
        }
        let words: Vec<String> = tokens
            .iter()
            .filter(|token| token.is_word())
            .map(|token| token.text.clone())
            .collect();
        Parser {
            message,
            asker,
            catalog,
            used: vec![false; tokens.len()],
            explaining: vec![false; tokens.len()],
            tokens,
            all_words: words.clone(),
            words,
        }
    }

    fn intent(mut self) -> Intent {
        if self.is_help() {
            return Intent::Help;
        }
        let duration = duration::find(&self.tokens, self.asker.now).map(|found| {
            self.mark(found.start, found.end);
            found.seconds
        });
        self.skip_addressee();
        self.set_aside_trouble();
        let people = self.people();
        let reason = self.reason();
        self.set_aside_instructions();
        // Whom an explanation or a side instruction names is context ("…b/c the service desk
        // is short today", "…and tell Tom"), not whom the request is for.
        let (told, mut people): (Vec<_>, Vec<_>) =
            people.into_iter().partition(|(_, at)| self.explaining[*at]);
        self.words = self
            .tokens
            .iter()
            .zip(&self.explaining)
            .filter(|(token, explaining)| token.is_word() && !**explaining)
            .map(|(token, _)| token.text.clone())
            .collect();
        // "We have a new trainee starting on Monday, Ben Harlow. Can you add him to X": the
        // request points back with a pronoun at the one person the explanation names.
        if people.is_empty() && self.points_back_at_someone() {
            if let [only] = told.as_slice() {
                people.push(only.clone());
            }
        }
        let people: Vec<Named> = people.into_iter().map(|(named, _)| named).collect();
        let on_behalf_of = people
            .iter()
            .find_map(|named| match named {
                Named::Person(upn) if !upn.eq_ignore_ascii_case(self.asker.upn) => {
                    Some(upn.clone())
                }
                Named::Address(address) => Some(address.clone()),
                Named::Person(_) => None,
            })
            .or_else(|| {
                people
                    .is_empty()
                    .then(|| self.first_name_in_need())
                    .flatten()
            });
        let terms = Terms {
            access_words: Vec::new(),
            duration_seconds: duration,
            reason,
            on_behalf_of,
        };

        if self.has_any(&["status"])
            || self.asks_after_a_request()
            || self.has_seq(&["any", "update"])
            || self.has_seq(&["any", "updates"])
            || self.has_seq(&["where", "is", "my", "request"])
            || self.has_seq(&["my", "requests"])
            || self.has_seq(&["my", "request"])
            || self.asks_after_pending()
        {
            return Intent::Status;
        }
        if self.is_list_access() {
            return Intent::ListAccess;
        }
        if self.is_who_has_access() {
            return match self.access(Change::Grant, terms) {
                Intent::Access(request) => Intent::WhoHasAccess {
                    resource: request.resource,
                },
                // A question is never turned into a request: an unclear name is answered with
                // what it might mean.
                Intent::Clarify { candidates, .. } => Intent::Unknown {
                    query: self.query_text(&self.phrase()),
                    suggestions: candidates,
                },
                other => other,
            };
        }
        // The request part says it is about the account; what exactly is read from the whole
        // message, so a lockout said anywhere is an unlock.
        // "Ravi forgot his password, please reset it for him", "my phone was stolen. I need to
        // get back in": the request points back at trouble its explanation tells.
        // The trouble is the asker's, or a named person's ("my manager forgot his password,
        // reset it" is neither: nobody is named, and it is not the asker's account).
        let points_back_at_trouble = (self.has_any(&["reset", "unlock", "recover"])
            || self.has_seq(&["back", "in"])
            || self.has_seq(&["back", "into"]))
            && (terms.on_behalf_of.is_some() || !Words(&self.all_words).has_any(SOMEONE_ELSE));
        if Words(&self.words).account_action().is_some()
            || (points_back_at_trouble && Words(&self.all_words).account_action().is_some())
        {
            let action = Words(&self.all_words)
                .account_action()
                .unwrap_or(AccountAction::ResetPassword);
            let on_behalf_of = self.someone_else(terms.on_behalf_of);
            return match action {
                AccountAction::RecoverMfa => Intent::RecoverMfa { on_behalf_of },
                AccountAction::Unlock => Intent::UnlockAccount { on_behalf_of },
                AccountAction::ResetPassword => Intent::ResetPassword { on_behalf_of },
            };
        }
        if let Some(address) = self.new_own_address() {
            return Intent::ChangeAlias { address };
        }
        if self.is_own_calendar() {
            // The level may be said anywhere, a purpose clause included ("so he can see my
            // free/busy", "to be able to edit my calendar").
            let words = self.access_words_where(|_| true);
            // "see my availability" names the level with its noun, not its verb.
            let access = if words.contains(&AccessWord::FreeBusy) {
                Access::FreeBusy
            } else {
                words
                    .iter()
                    .filter_map(|word| word.calendar_level())
                    .max_by(|a, b| {
                        Access::compare_calendar(*a, *b).unwrap_or(std::cmp::Ordering::Equal)
                    })
                    .unwrap_or(Access::FreeBusy)
            };
            let with = people
                .first()
                .map(|named| named.address().to_owned())
                .or_else(|| terms.on_behalf_of.clone())
                .or_else(|| self.lone_first_name());
            return Intent::ShareCalendar {
                with,
                access,
                terms: Terms {
                    on_behalf_of: None,
                    ..terms
                },
            };
        }
        if self.is_forwarding(&people) && self.stops_something() {
            // "stop forwarding my mail to X": the list of what the asker holds, where the
            // forwarding ends with its Remove button.
            return Intent::ListAccess;
        }
        if self.is_forwarding(&people) {
            // A list's or group's address is a place mail can go too.
            let to = people
                .first()
                .map(|named| named.address().to_owned())
                .or_else(|| self.first_address())
                .or_else(|| self.lone_first_name())
                .or_else(|| self.mail_named_after_to());
            return Intent::ForwardMail {
                to,
                terms: Terms {
                    on_behalf_of: None,
                    ..terms
                },
            };
        }
        if self.is_other_question() || self.books_something() || self.lets_it_lapse() {
            return Intent::Unknown {
                query: self.message.trim().chars().take(200).collect(),
                suggestions: Vec::new(),
            };
        }
        let change = if self.is_revoke() {
            Change::Revoke
        } else {
            Change::Grant
        };
        self.access(change, terms)
    }

    /// "any pending requests?", "anything waiting for my approval?", "anything pending for me
    /// to approve?"; not "approve all pending requests" (approving is done on cards) nor "add me
    /// to X, waiting on approval".
    fn asks_after_pending(&self) -> bool {
        let pending = self.has_any(&["pending", "outstanding"])
            || (self.has_any(&["waiting", "awaiting"])
                && !self.has_any(&["add", "give", "grant", "need", "want", "join"]));
        // "anything pending for me to approve?", "any requests I need to approve today?"
        let to_approve = self.has_seq(&["me", "to", "approve"])
            || self.has_seq(&["i", "need", "to", "approve"])
            || self.has_seq(&["i", "have", "to", "approve"]);
        let about = self.has_any(&["request", "requests", "approval", "approvals"]) || to_approve;
        let acting = self.has_any(&["approve", "reject", "deny", "cancel"]) && !to_approve;
        let asking_any = to_approve && self.has_any(&["any", "anything", "requests"]);
        (pending || asking_any) && about && !acting
    }

    fn mark(&mut self, start: usize, end: usize) {
        for slot in self.used.iter_mut().take(end).skip(start) {
            *slot = true;
        }
    }

    fn word_at(&self, at: usize) -> Option<&str> {
        self.tokens
            .get(at)
            .filter(|token| token.is_word())
            .map(|token| token.text.as_str())
    }
}
