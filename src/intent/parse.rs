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

use chrono::{DateTime, Utc};

use crate::catalog::resolve::{self, Resolution};
use crate::catalog::{Candidate, Catalog, Query, Word, text};
use crate::domain::resource::{Access, ResourceKind};

use super::duration;
use super::model::{AccessRequest, AccessWord, Change, Intent, ResourceRef, Terms, level_meeting};
use super::tokens::{Kind, Token, tokenize};
use super::vocabulary::{
    ACCESS_PHRASES, CALENDAR_NOUNS, EXPLANATION_OPENERS, FILLER, KIND_PHRASES, KindAffinity,
    PERSON_NOUNS, POLITENESS, SOFT, kind_affinity,
};

/// Score adjustments for how an entry's kind fits the kind nouns.
const SAME_KIND_BONUS: f32 = 0.1;
const LOOSE_KIND_PENALTY: f32 = 0.1;
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

/// Words to look for cues in.
#[derive(Clone, Copy)]
struct Words<'a>(&'a [String]);

impl<'a> Words<'a> {
    fn has_any(self, words: &[&str]) -> bool {
        self.0.iter().any(|word| words.contains(&word.as_str()))
    }

    fn has_seq(self, sequence: &[&str]) -> bool {
        self.0
            .windows(sequence.len())
            .any(|window| window.iter().zip(sequence).all(|(a, b)| a == b))
    }

    fn get(self, at: usize) -> Option<&'a str> {
        self.0.get(at).map(String::as_str)
    }

    /// Which account recovery the words ask for, if any: a lost second factor, then a lockout
    /// (an unlock whatever else is said: "locked out after typing the wrong password"), then
    /// a password, then not getting in at all.
    fn account_action(self) -> Option<AccountAction> {
        if self.lost_second_factor() {
            Some(AccountAction::RecoverMfa)
        } else if self.locked_out() {
            Some(AccountAction::Unlock)
        } else if self.has_any(PASSWORD_WORDS) {
            Some(AccountAction::ResetPassword)
        } else if self.cannot_get_in() {
            Some(AccountAction::Unlock)
        } else {
            None
        }
    }

    fn lost_second_factor(self) -> bool {
        self.has_any(&["mfa", "2fa", "authenticator", "otp", "totp", "2sv"])
            || self.has_seq(&["two", "factor"])
            || self.has_seq(&["multi", "factor"])
            || self.has_seq(&["lost", "my", "phone"])
            || self.has_seq(&["lost", "phone"])
            || self.has_seq(&["new", "phone"])
            || self.has_seq(&["phone", "was", "stolen"])
            || (self.has_any(&["stolen", "broke", "broken", "wiped", "lost"])
                && self.has_any(&["phone", "mobile", "cellphone"]))
            || self.has_seq(&["switched", "phones"])
            || self.has_seq(&["changed", "phones"])
            || self.has_seq(&["verification", "code"])
    }

    /// A lockout, said as one: locked (or blocked) out, or an account that is locked.
    fn locked_out(self) -> bool {
        let locked = ["locked", "blocked"];
        let said_of_the_account = self.has_any(&locked) && self.has_any(&["account", "acct"]);
        said_of_the_account
            || self.has_seq(&["locked", "out"])
            || self.has_seq(&["blocked", "out"])
            || self.has_seq(&["locked", "me", "out"])
            || self.has_seq(&["account", "locked"])
            || self.has_seq(&["account", "is", "locked"])
            || self.has_seq(&["account", "has", "been", "locked"])
            || self.has_any(&["unlock", "lockout", "lockedout"])
    }

    /// "I can't log in", "unable to sign in": not getting in, for a reason not said.
    fn cannot_get_in(self) -> bool {
        let cannot = [
            "cant", "cannot", "couldnt", "unable", "not", "trouble", "problems",
        ];
        let get_in = [
            "log", "login", "logon", "logging", "sign", "signin", "signing", "get", "getting",
        ];
        (0..self.0.len()).any(|at| {
            let first = self.0[at].as_str();
            // "can't log in", "unable to sign in", "not able to log in", "trouble logging in".
            let (next, at_next) = match (self.get(at + 1), self.get(at + 2), self.get(at + 3)) {
                (Some("able"), Some("to"), third) => (third, at + 3),
                (Some("to"), second, _) => (second, at + 2),
                (first_next, _, _) => (first_next, at + 1),
            };
            // "get" only as "get in": "didn't get access to X" is a request, not a lockout.
            let getting_in = match next {
                Some("get" | "getting") => matches!(self.get(at_next + 1), Some("in" | "into")),
                Some(word) => get_in.contains(&word),
                None => false,
            };
            cannot.contains(&first) && getting_in
        })
    }
}

/// The ways of writing "password".
const PASSWORD_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pw",
    "pword",
    "passcode",
    "passwords",
    "pasword",
    "passowrd",
    "paswd",
];

/// What a document library holds, said for the library: read as its usual name, "Documents".
const LIBRARY_CONTENT: &[&str] = &["files", "file", "docs", "doc", "document", "documents"];

/// Words that open a request rather than an explanation.
const REQUEST_OPENERS: &[&str] = &[
    "please", "pls", "plz", "can", "could", "would", "add", "give", "grant", "remove", "take",
    "change", "share", "forward", "make", "set", "reset", "unlock", "join",
];

/// The words of mail forwarding.
const FORWARDING: &[&str] = &["forward", "forwarding", "autoforward", "redirect"];

/// The recoveries of one's own account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AccountAction {
    RecoverMfa,
    Unlock,
    ResetPassword,
}

/// One word of the resource phrase, with what else it might be.
#[derive(Clone, Debug)]
struct PhraseWord {
    token: usize,
    word: Word,
    access: Option<AccessWord>,
    kind: Option<ResourceKind>,
}

/// The resource phrase of a grant or revoke.
#[derive(Debug, Default)]
struct Phrase {
    words: Vec<PhraseWord>,
    mail_local: Option<String>,
    /// An address was written that is no resource's: the same local part at another domain
    /// is not the tenant's resource.
    foreign_address: bool,
}

impl<'m, 'c> Parser<'m, 'c> {
    fn new(message: &'m str, asker: Asker<'m>, catalog: &'c Catalog) -> Self {
        let tokens = tokenize(message);
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
        let people = self.people();
        let reason = self.reason();
        self.words = self
            .tokens
            .iter()
            .zip(&self.explaining)
            .filter(|(token, explaining)| token.is_word() && !**explaining)
            .map(|(token, _)| token.text.clone())
            .collect();
        let on_behalf_of = people.iter().find_map(|named| match named {
            Named::Person(upn) if !upn.eq_ignore_ascii_case(self.asker.upn) => Some(upn.clone()),
            Named::Address(address) => Some(address.clone()),
            Named::Person(_) => None,
        });
        let terms = Terms {
            access_words: Vec::new(),
            duration_seconds: duration,
            reason,
            on_behalf_of,
        };

        if self.has_any(&["status"])
            || self.has_seq(&["any", "update"])
            || self.has_seq(&["any", "updates"])
            || self.has_seq(&["where", "is", "my", "request"])
            || self.has_seq(&["my", "requests"])
            || self.has_seq(&["my", "request"])
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
        if Words(&self.words).account_action().is_some() {
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
        if self.is_forwarding(&people) {
            // A list's or group's address is a place mail can go too.
            let to = people
                .first()
                .map(|named| named.address().to_owned())
                .or_else(|| self.first_address())
                .or_else(|| self.lone_first_name());
            return Intent::ForwardMail {
                to,
                terms: Terms {
                    on_behalf_of: None,
                    ..terms
                },
            };
        }
        if self.is_other_question() {
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

    // --- cues -------------------------------------------------------------------------------

    /// A new primary address for the person's own mailbox: "change my email to
    /// j.doe@contoso.com", "make j.doe@contoso.com my primary address", "update my e-mail
    /// address to ...". The address as written (`None` inside when none is), or `None` when
    /// this is not such a request; never a calendar, forwarding or mailbox-access request.
    fn new_own_address(&self) -> Option<Option<String>> {
        const CHANGE: &[&str] = &[
            "change", "changed", "update", "updated", "rename", "switch", "set", "make", "new",
            "primary", "replace", "main", "default",
        ];
        const ADDRESS: &[&str] = &["email", "e-mail", "mail", "address", "alias", "smtp"];
        // "can my email be x@…": a new address said as what the old one should be.
        let becomes = self.has_any(&["be", "become"]) && self.first_address().is_some();
        let own = self.has_any(&["my", "mine"])
            && (self.has_any(CHANGE) || becomes)
            && self.has_any(ADDRESS);
        if !own
            || self.is_own_calendar()
            || self.has_any(CALENDAR_NOUNS)
            || self.has_any(&["forward", "forwarding", "redirect", "autoforward"])
        {
            return None;
        }
        let grants_mailbox_access = self.access_words_anywhere().iter().any(|word| {
            matches!(
                word,
                AccessWord::SendAs
                    | AccessWord::SendOnBehalf
                    | AccessWord::FullAccess
                    | AccessWord::Manage
            )
        });
        if grants_mailbox_access {
            return None;
        }
        Some(self.first_address())
    }

    /// The person's own calendar: "my calendar", "my diary", "my availability", "my
    /// free/busy", or a calendar shared with nobody's possessive ("share calendar with X": only
    /// one's own can be shared).
    fn is_own_calendar(&self) -> bool {
        let mine = self.has_any(&["my", "mine"])
            && (self.has_any(CALENDAR_NOUNS)
                || self.has_any(&["availability", "freebusy"])
                || self.has_seq(&["free", "busy"]));
        let shared = self.has_any(&["share", "sharing"])
            && self.has_any(CALENDAR_NOUNS)
            && !self.has_any(&["me", "his", "her", "their"]);
        mine || shared
    }

    /// Mail forwarding: "forwarding" said, "forward"/"redirect" with the mail or a person it
    /// goes to, or the person's own mail going to someone ("can my mail go to Kofi").
    fn is_forwarding(&self, people: &[Named]) -> bool {
        const MAIL: &[&str] = &["mail", "email", "emails", "mails", "inbox", "messages"];
        let own_mail = MAIL.iter().any(|noun| self.has_seq(&["my", noun]));
        self.has_any(&["forwarding", "autoforward"])
            || (self.has_any(&["forward", "redirect"])
                && (self.has_any(MAIL) || !people.is_empty()))
            || (own_mail && self.has_any(&["to"]) && !people.is_empty())
    }

    fn has_any(&self, words: &[&str]) -> bool {
        Words(&self.words).has_any(words)
    }

    fn has_seq(&self, sequence: &[&str]) -> bool {
        Words(&self.words).has_seq(sequence)
    }

    fn is_help(&self) -> bool {
        const GREETINGS: &[&str] = &["hi", "hello", "hey", "please", "doorman", "bot", "thanks"];
        let meaningful: Vec<&str> = self
            .words
            .iter()
            .map(String::as_str)
            .filter(|word| !GREETINGS.contains(word))
            .collect();
        if meaningful.is_empty() {
            return self.tokens.iter().any(|token| token.text == "?");
        }
        const HELP: &[&[&str]] = &[
            &["help"],
            &["help", "me"],
            &["what", "can", "you", "do"],
            &["what", "do", "you", "do"],
            &["how", "does", "this", "work"],
            &["what", "can", "you", "help", "with"],
            &["what", "can", "you", "help", "me", "with"],
            &["how", "can", "you", "help"],
            &["how", "can", "you", "help", "me"],
            &["what", "are", "you"],
            &["who", "are", "you"],
            &["what", "is", "this"],
            &["whats", "this"],
            &["what", "can", "i", "ask"],
            &["what", "can", "i", "ask", "you"],
            &["what", "can", "i", "ask", "for"],
            &["what", "can", "i", "ask", "you", "for"],
            &["what", "can", "you", "do", "for", "me"],
            &["get", "started"],
            &["getting", "started"],
            &["how", "do", "i", "use", "this"],
            &["how", "do", "i", "use", "you"],
            &["commands"],
            &["menu"],
            &["usage"],
            &["options"],
        ];
        HELP.iter().any(|phrase| meaningful == *phrase)
    }

    fn is_list_access(&self) -> bool {
        let asks = self.has_any(&["what", "which", "list", "whats"])
            || self.has_seq(&["show", "me"])
            || self.has_seq(&["show", "my"]);
        let about = self.has_any(&[
            "access",
            "permissions",
            "groups",
            "teams",
            "sites",
            "rights",
            "memberships",
        ]);
        let mine = self.has_seq(&["do", "i", "have"])
            || self.has_seq(&["am", "i"])
            || (self.has_any(&["i"]) && self.has_any(&["have", "got"]))
            || self.has_any(&["my"]);
        let wants = self.has_any(&[
            "need", "want", "give", "get", "add", "grant", "request", "join",
        ]);
        asks && about && mine && !wants
    }

    /// "Who has access to support@?", "who can send as the sales mailbox", "who is on all-sales".
    fn is_who_has_access(&self) -> bool {
        let who = matches!(self.word_at(0), Some("who" | "whos"))
            || self.has_seq(&["list", "who"])
            || self.has_seq(&["show", "who"])
            || self.has_seq(&["tell", "me", "who"]);
        let holds = self.has_any(&[
            "access",
            "has",
            "have",
            "can",
            "holds",
            "members",
            "delegates",
            "on",
            "in",
        ]);
        let for_me = self.has_any(&["i", "me", "myself"]);
        who && holds && !for_me
    }

    /// Whose account a recovery is for when it names someone other than the asker: an address
    /// or full name, else a colleague's first name alone ("reset Sarah's password"). Naming
    /// someone is never read as asking for oneself.
    fn someone_else(&mut self, named: Option<String>) -> Option<String> {
        named.or_else(|| self.lone_first_name())
    }

    fn is_revoke(&self) -> bool {
        self.has_seq(&["remove", "me"])
            || self.has_seq(&["remove", "my"])
            || self.has_seq(&["take", "me", "off"])
            || self.has_seq(&["take", "me", "out"])
            || self.has_seq(&["take", "away", "my"])
            || self.has_seq(&["drop", "me"])
            || self.has_seq(&["drop", "my"])
            || self.has_seq(&["get", "me", "out"])
            || self.has_seq(&["no", "longer", "need"])
            || self.has_any(&[
                "revoke",
                "unsubscribe",
                "unsub",
                "leave",
                "leaving",
                "quit",
                "quitting",
            ])
            || (self.has_seq(&["dont", "need"])
                && (self.has_any(&["anymore"]) || self.has_seq(&["any", "more"])))
    }

    // --- the parts that are not the resource --------------------------------------------------

    /// Mentions before the first word address the message (to Doorman in a channel); they name
    /// nobody the request is for.
    fn skip_addressee(&mut self) {
        for at in 0..self.tokens.len() {
            match self.tokens[at].kind {
                Kind::Mention => self.used[at] = true,
                Kind::Word | Kind::Address => break,
                Kind::Stop | Kind::Pause => {}
            }
        }
    }

    /// The person a mention names: a tenant user by the name shown, else, for a mention that
    /// shows only an id (Slack's `<@U123>`), someone the parser cannot name, kept as written so
    /// the request is never read as the asker's own. A name that is nobody's (the bot, an app)
    /// names nobody.
    fn mentioned(&self, at: usize) -> Option<Named> {
        let token = &self.tokens[at];
        if token.text.is_empty() {
            return Some(Named::Address(
                self.message[token.start..token.end].to_owned(),
            ));
        }
        let words: Vec<&str> = token.text.split(' ').collect();
        match self.catalog.people_named(&words).as_slice() {
            [person] => Some(Named::Person(person.upn.clone())),
            _ => None,
        }
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

    /// The people the message names, in order: addresses of tenant users (or of nobody), and
    /// full names ("Tom Becker"), or a first name right after "with", "for" or "to", or after a
    /// verb that hands something to someone ("let Kofi see", "give Kofi edit access").
    fn people(&mut self) -> Vec<Named> {
        let mut named = Vec::new();
        for at in 0..self.tokens.len() {
            if self.used[at] {
                continue;
            }
            let token = &self.tokens[at];
            match token.kind {
                Kind::Mention => {
                    if let Some(person) = self.mentioned(at) {
                        named.push(person);
                    }
                    self.used[at] = true;
                }
                Kind::Address => {
                    let address = token.text.clone();
                    let (local, domain) = address.split_once('@').unwrap_or((&address, ""));
                    if self.catalog.with_mail_local(local).next().is_some()
                        && self.catalog.person_by_address(&address).is_none()
                    {
                        continue; // a resource's address
                    }
                    if let Some(person) = self.catalog.person_by_address(&address) {
                        named.push(Named::Person(person.upn.clone()));
                        self.used[at] = true;
                    } else if !domain.is_empty() && domain.contains('.') {
                        named.push(Named::Address(address));
                        self.used[at] = true;
                    }
                }
                Kind::Word => {
                    let Some(next) = self.word_at(at + 1).map(str::to_owned) else {
                        continue;
                    };
                    let first = token.text.clone();
                    let full = self.catalog.people_named(&[&first, &next]);
                    if self.names_context(at) {
                        continue;
                    }
                    if let [person] = full.as_slice() {
                        named.push(Named::Person(person.upn.clone()));
                        self.used[at] = true;
                        self.used[at + 1] = true;
                    }
                }
                _ => {}
            }
        }
        for at in 1..self.tokens.len() {
            if self.used[at] || !self.tokens[at].is_word() {
                continue;
            }
            let after = self.word_at(at - 1).unwrap_or("");
            if !matches!(
                after,
                "with"
                    | "for"
                    | "to"
                    | "let"
                    | "give"
                    | "allow"
                    | "grant"
                    | "lets"
                    | "add"
                    | "put"
                    | "make"
                    | "get"
                    | "help"
                    | "unlock"
                    | "reset"
                    | "remove"
            ) || self.used[at - 1]
                || self.names_context(at)
            {
                continue;
            }
            let first = self.tokens[at].text.clone();
            // A first name counts only when no resource name uses the word.
            if self.catalog.names_word(&first) {
                continue;
            }
            if let [person] = self.catalog.people_named(&[&first]).as_slice() {
                named.push(Named::Person(person.upn.clone()));
                self.used[at] = true;
            }
        }
        named
    }

    /// Whether the person named at token `at` is context, not whom the request is for:
    /// "covering for Maria", "standing in for Kofi", "while Maria is out".
    fn names_context(&self, at: usize) -> bool {
        let before = |back: usize| at.checked_sub(back).and_then(|prior| self.word_at(prior));
        match before(1) {
            Some("for") => matches!(
                before(2),
                Some(
                    "covering"
                        | "cover"
                        | "covers"
                        | "in"
                        | "subbing"
                        | "deputising"
                        | "deputizing"
                )
            ),
            Some("while" | "replacing" | "from") => true,
            _ => false,
        }
    }

    /// The first address written, whoever's it is.
    fn first_address(&self) -> Option<String> {
        self.tokens
            .iter()
            .find(|token| token.kind == Kind::Address)
            .map(|token| token.text.to_lowercase())
    }

    /// A colleague named by first name alone, anywhere ("can Priya see my calendar"): the one
    /// person of the tenant with that first name, other than the asker, when no resource's name
    /// uses the word. Only where the request must be about a person.
    fn lone_first_name(&mut self) -> Option<String> {
        for at in 0..self.tokens.len() {
            if self.used[at] || !self.tokens[at].is_word() {
                continue;
            }
            let word = self.tokens[at].text.clone();
            if FILLER.contains(&word.as_str()) || self.catalog.names_word(&word) {
                continue;
            }
            // "Sarah's password" is tokenized "sarahs": the person is Sarah.
            let mut named = self.catalog.people_named(&[&word]);
            if named.is_empty() {
                if let Some(stem) = word.strip_suffix('s').filter(|stem| stem.len() > 1) {
                    named = self.catalog.people_named(&[stem]);
                }
            }
            if let [person] = named.as_slice() {
                if person.upn.eq_ignore_ascii_case(self.asker.upn) {
                    continue;
                }
                self.used[at] = true;
                return Some(person.upn.clone());
            }
        }
        None
    }

    /// The reason: a clause opened by "because", "so I can", "for the ...", else a clause after
    /// a comma, a later sentence or an earlier one that explains the request (see
    /// [`Parser::explains`]). Every explaining part is marked, so it neither names the resource
    /// nor gives the action; the reason is the first found.
    fn reason(&mut self) -> Option<String> {
        let sentences = self.sentences();
        let request = sentences
            .iter()
            .position(|(start, end)| self.sentence_asks(*start, *end))
            .unwrap_or(0);
        let mut reason = None;
        if let Some(&(start, end)) = sentences.get(request) {
            if let Some((from, body)) = (start..end).find_map(|at| self.reason_cue(at, end)) {
                // Keep the reason only if what it asks for is still said without it ("for the
                // sales mailbox" names the resource, not a reason).
                reason = self.take_explanation(from, end, body);
            }
            if reason.is_none() {
                reason = self.reason_after_pause(start, end);
            }
        }
        let later = sentences.iter().skip(request + 1);
        // Before the request, the nearest explanation is the reason ("I'm covering the sales
        // desk. Could you give me access to the sales mailbox?").
        let earlier = sentences.iter().take(request).rev();
        for &(start, end) in later.chain(earlier) {
            if !self.explains(start, end) {
                continue;
            }
            let Some(first) = (start..end).find(|at| self.tokens[*at].is_word()) else {
                continue;
            };
            if let Some(text) = self.take_explanation(start, end, first) {
                reason.get_or_insert(text);
            }
        }
        reason
    }

    /// Marks tokens `from..end` as explaining the request when the request is still said
    /// without them, and returns their words from `body` on; else leaves them as they were.
    fn take_explanation(&mut self, from: usize, end: usize, body: usize) -> Option<String> {
        let before = self.used.clone();
        self.mark(from, end);
        if self.still_asks() {
            let text = self.quote(body, end);
            if !text.is_empty() {
                for slot in self.explaining.iter_mut().take(end).skip(from) {
                    *slot = true;
                }
                return Some(text);
            }
        }
        self.used = before;
        None
    }

    /// A reason said after a comma with no cue word ("…for 10 days, I'm helping on the
    /// audit", "…, emergency change on the firewall"): the clause explains (see
    /// [`Parser::explains`]) and the request is still said without it.
    fn reason_after_pause(&mut self, start: usize, end: usize) -> Option<String> {
        let pauses: Vec<usize> = (start..end)
            .filter(|at| self.tokens[*at].kind == Kind::Pause)
            .collect();
        for pause in pauses {
            if !self.explains(pause + 1, end) {
                continue;
            }
            let Some(first) = (pause + 1..end).find(|at| self.tokens[*at].is_word()) else {
                continue;
            };
            if let Some(text) = self.take_explanation(pause, end, first) {
                return Some(text);
            }
        }
        None
    }

    /// Whether tokens `start..end` explain rather than ask: not opened as a request
    /// ("please…", "can you…"), words of their own beyond filler, politeness and people's names,
    /// and either opened as an explanation is ("I'm…", "need to…", "covering…") or naming
    /// nothing the catalog would resolve (and no address). A part that names a resource without
    /// saying why is part of the request.
    fn explains(&self, start: usize, end: usize) -> bool {
        let unused: Vec<usize> = (start..end)
            .filter(|at| !self.used[*at] && !self.tokens[*at].is_break())
            .collect();
        let Some(&first) = unused.first() else {
            return false;
        };
        let first = self.tokens[first].text.as_str();
        if REQUEST_OPENERS.contains(&first) {
            // "I got married, please change my email…": this part is the request.
            return false;
        }
        let own_words = unused.iter().any(|at| {
            let token = &self.tokens[*at];
            let text = token.text.as_str();
            token.is_word()
                && !self.is_filler(text)
                && !POLITENESS.contains(&text)
                && self.catalog.people_named(&[text]).is_empty()
        });
        if !own_words {
            return false;
        }
        if EXPLANATION_OPENERS.contains(&first) {
            return true;
        }
        if unused.iter().any(|at| self.tokens[*at].kind != Kind::Word) {
            return false;
        }
        let phrase = self.phrase_in(start, end);
        let query = Query {
            words: phrase.words.iter().map(|word| word.word.clone()).collect(),
            mail_local: None,
        };
        matches!(
            resolve::decide(self.catalog.search(&query, SEARCH_LIMIT)),
            Resolution::NotFound(_)
        )
    }

    /// Sentences as token ranges.
    fn sentences(&self) -> Vec<(usize, usize)> {
        let mut sentences = Vec::new();
        let mut start = 0;
        for (at, token) in self.tokens.iter().enumerate() {
            if token.kind == Kind::Stop {
                if at > start {
                    sentences.push((start, at));
                }
                start = at + 1;
            }
        }
        if start < self.tokens.len() {
            sentences.push((start, self.tokens.len()));
        }
        sentences
    }

    /// Whether a sentence holds the request (rather than a greeting or an explanation).
    fn sentence_asks(&self, start: usize, end: usize) -> bool {
        const ASKING: &[&str] = &[
            "need",
            "want",
            "give",
            "get",
            "add",
            "grant",
            "request",
            "join",
            "access",
            "remove",
            "revoke",
            "permission",
            "permissions",
            "like",
            "can",
            "could",
            "please",
        ];
        (start..end).any(|at| {
            let token = &self.tokens[at];
            token.kind == Kind::Address
                || (token.is_word() && ASKING.contains(&token.text.as_str()))
        })
    }

    /// A reason cue at `at`: where the clause starts and where its words start.
    fn reason_cue(&self, at: usize, end: usize) -> Option<(usize, usize)> {
        if self.used[at] {
            return None;
        }
        let word = self.word_at(at)?;
        let next = self.word_at(at + 1);
        let before = at.checked_sub(1).and_then(|prior| self.word_at(prior));
        let body = match word {
            "because" | "since" | "while" | "cause" | "coz" | "bc" => at + 1,
            "as" if before != Some("send")
                && before != Some("reply")
                && matches!(next, Some("i" | "we" | "my" | "our" | "im")) =>
            {
                at + 1
            }
            "so" if matches!(next, Some("i" | "we" | "that" | "my" | "our" | "im")) => {
                if next == Some("that") { at + 2 } else { at + 1 }
            }
            "in" if next == Some("order") && self.word_at(at + 2) == Some("to") => at + 3,
            "due" if next == Some("to") => at + 2,
            "to" if next == Some("be") && self.word_at(at + 2) == Some("able") => at,
            // A purpose after the request: "need SCADA access for 3 days to pull the sensor
            // logs". Only before a word that is nothing else: no filler, access or kind word,
            // no resource's or person's name ("add me to scada", "forward it to Kofi").
            "to" if self.opens_purpose(at + 1) => at + 1,
            "for" => {
                let opener = matches!(
                    next,
                    Some("the" | "my" | "our" | "a" | "an" | "some" | "upcoming" | "this")
                );
                if !opener || self.used.get(at + 1).copied().unwrap_or(true) {
                    return None;
                }
                at + 1
            }
            "reason" | "justification" => {
                let mut body = at + 1;
                while body < end && self.tokens[body].is_break() {
                    body += 1;
                }
                body
            }
            _ => return None,
        };
        (body < end).then_some((at, body))
    }

    /// Whether the word at `at` can start a purpose clause after "to": a word that is no
    /// filler, access word, kind noun, resource name or person.
    fn opens_purpose(&self, at: usize) -> bool {
        let Some(word) = self.word_at(at) else {
            return false;
        };
        !self.used[at]
            && !self.is_filler(word)
            && self.phrase_at(at, ACCESS_PHRASES).is_none()
            && self.phrase_at(at, KIND_PHRASES).is_none()
            && !self.catalog.names_word(word)
            && self.catalog.people_named(&[word]).is_empty()
            && !CALENDAR_NOUNS.contains(&word)
    }

    /// A question about something else than access ("what time is the all hands meeting
    /// tomorrow?"): a question word first, and nothing that asks for anything.
    fn is_other_question(&self) -> bool {
        const QUESTION: &[&str] = &[
            "what", "whats", "when", "where", "why", "who", "whos", "how",
        ];
        const ASKING: &[&str] = &[
            "need",
            "want",
            "give",
            "get",
            "add",
            "grant",
            "request",
            "join",
            "access",
            "remove",
            "revoke",
            "permission",
            "permissions",
            "please",
            "pls",
            "share",
            "forward",
            "change",
            "reset",
            "unlock",
            "become",
            "make",
        ];
        let first = self
            .tokens
            .iter()
            .zip(&self.used)
            .find(|(token, used)| token.is_word() && !**used)
            .map(|(token, _)| token.text.as_str());
        matches!(first, Some(word) if QUESTION.contains(&word))
            && !self.has_any(ASKING)
            && self.access_words_anywhere().is_empty()
    }

    /// Whether the words not yet explained still make a request: the object of a calendar or
    /// forwarding request, a resource's address, or words the catalog resolves. A remainder of
    /// greetings and names ("Hi Doorman", "I want Maria") asks nothing, so what was taken from it
    /// was the request, not its explanation.
    fn still_asks(&self) -> bool {
        let unused_word = |words: &[&str]| {
            self.tokens.iter().zip(&self.used).any(|(token, used)| {
                !used && token.is_word() && words.contains(&token.text.as_str())
            })
        };
        if unused_word(CALENDAR_NOUNS) || unused_word(FORWARDING) {
            return true;
        }
        let phrase = self.phrase();
        if phrase.mail_local.is_some() {
            return true;
        }
        let plain: Vec<&PhraseWord> = phrase
            .words
            .iter()
            .filter(|word| !word.word.optional && !word.word.term.is_empty())
            .collect();
        if plain.is_empty() {
            return false;
        }
        // A word some resource is called by is enough ("my manager said I should ask you for
        // vpn access"); else the words must resolve as they are.
        if plain
            .iter()
            .any(|word| self.catalog.names_word(&self.tokens[word.token].text))
        {
            return true;
        }
        let query = Query {
            words: phrase.words.iter().map(|word| word.word.clone()).collect(),
            mail_local: None,
        };
        !matches!(
            resolve::decide(self.catalog.search(&query, SEARCH_LIMIT)),
            Resolution::NotFound(_)
        )
    }

    /// The message's own words from token `from` to the end of token `end - 1`, trimmed.
    fn quote(&self, from: usize, end: usize) -> String {
        let Some(first) = (from..end).find(|at| !self.tokens[*at].is_break()) else {
            return String::new();
        };
        let Some(last) = (from..end).rev().find(|at| !self.tokens[*at].is_break()) else {
            return String::new();
        };
        let start = self.tokens[first].start;
        let mut stop = self.tokens[last].end;
        // Keep a closing parenthesis that belongs to the quote.
        if self.message[start..stop].contains('(') && self.message[stop..].starts_with(')') {
            stop += 1;
        }
        self.message[start..stop].trim().to_owned()
    }

    // --- the resource --------------------------------------------------------------------

    /// Every access word among the unused tokens.
    fn access_words_anywhere(&self) -> Vec<AccessWord> {
        self.access_words_where(|at| !self.used[at])
    }

    /// Every access word among the tokens `usable` admits.
    fn access_words_where(&self, usable: impl Fn(usize) -> bool) -> Vec<AccessWord> {
        let mut found = Vec::new();
        let mut at = 0;
        while at < self.tokens.len() {
            match self.phrase_matching(at, ACCESS_PHRASES, &usable) {
                Some((length, word)) => {
                    found.push(word);
                    at += length;
                }
                None => at += 1,
            }
        }
        found
    }

    /// The longest phrase of `table` that starts at token `at` (unused words only).
    fn phrase_at<T: Copy>(&self, at: usize, table: &[(&[&str], T)]) -> Option<(usize, T)> {
        self.phrase_matching(at, table, |at| !self.used[at])
    }

    /// The longest phrase of `table` that starts at token `at`, of tokens `usable` admits.
    fn phrase_matching<T: Copy>(
        &self,
        at: usize,
        table: &[(&[&str], T)],
        usable: impl Fn(usize) -> bool,
    ) -> Option<(usize, T)> {
        table.iter().find_map(|(phrase, value)| {
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
    fn is_filler(&self, word: &str) -> bool {
        FILLER.contains(&word)
            || (PERSON_NOUNS.contains(&word) && !self.catalog.names_word(word))
            || (word.len() >= 4
                && FILLER
                    .iter()
                    .any(|filler| filler.len() >= 5 && text::within_one_edit(filler, word))
                && !self.catalog.names_word(word))
    }

    fn phrase(&self) -> Phrase {
        self.phrase_in(0, self.tokens.len())
    }

    /// The resource phrase of the unused tokens `start..end`.
    fn phrase_in(&self, start: usize, end: usize) -> Phrase {
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
            if let Some((length, access)) = self.phrase_at(at, ACCESS_PHRASES) {
                for offset in 0..length {
                    let text = &self.tokens[at + offset].text;
                    if FILLER.contains(&text.as_str()) && length > 1 {
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
            if let Some((length, kind)) = self.phrase_at(at, KIND_PHRASES) {
                for offset in 0..length {
                    let said = self.tokens[at + offset].text.as_str();
                    // A site's files are its document library, whatever people call them.
                    let said = if kind == ResourceKind::Library && LIBRARY_CONTENT.contains(&said) {
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
            if !self.is_filler(text) {
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

    fn access(&self, change: Change, mut terms: Terms) -> Intent {
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
        let mut candidates: Vec<Candidate<'_>> = found
            .iter()
            .filter_map(|candidate| {
                let adjustment = adjustment(candidate, &phrase)?;
                let mut candidate = candidate.clone();
                candidate.score += adjustment;
                Some(candidate)
            })
            .collect();
        candidates.retain(|candidate| candidate.score > 0.0);
        let candidates = merge_team_and_group(candidates, &phrase);
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
        match resolve::decide(candidates) {
            Resolution::Resolved(candidate) => {
                let kind = candidate.resource.kind;
                let mut words = unnamed_access(&candidate);
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
    fn query_text(&self, phrase: &Phrase) -> String {
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
            let affinity = kind_affinity(said, kind);
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
