//! Cue words: which action a message asks for.

use super::*;
use explanation::FORWARDING;

/// Words to look for cues in.
#[derive(Clone, Copy)]
pub(super) struct Words<'a>(pub(super) &'a [String]);

impl<'a> Words<'a> {
    pub(super) fn has_any(self, words: &[&str]) -> bool {
        self.0.iter().any(|word| words.contains(&word.as_str()))
    }

    pub(super) fn has_seq(self, sequence: &[&str]) -> bool {
        self.0
            .windows(sequence.len())
            .any(|window| window.iter().zip(sequence).all(|(a, b)| a == b))
    }

    pub(super) fn get(self, at: usize) -> Option<&'a str> {
        self.0.get(at).map(String::as_str)
    }

    /// Whether the words ask what the asker holds ("what access do I have", "show my grants",
    /// "all the groups and teams i'm in") without asking for something.
    fn asks_what_i_hold(self) -> bool {
        let asks = self.has_any(&["what", "which", "list", "whats"])
            || self.has_seq(&["show", "me"])
            || self.has_seq(&["show", "my"]);
        let about = self.has_any(&[
            "access",
            "grants",
            "mailboxes",
            "channels",
            "libraries",
            "lists",
            "permissions",
            "permisions",
            "groups",
            "teams",
            "sites",
            "rights",
            "memberships",
        ]);
        let mine = self.has_seq(&["do", "i", "have"])
            || self.has_seq(&["am", "i"])
            // "all the groups and teams i'm in", "the sites i belong to".
            || self.has_seq(&["im", "in"])
            || self.has_seq(&["i", "am", "in"])
            || self.has_seq(&["i", "belong"])
            || (self.has_any(&["i"]) && self.has_any(&["have", "got"]))
            || self.has_any(&["my"]);
        // "why i get so many emails" tells what happens; "can i get", "get me" ask.
        let gets = self.0.iter().enumerate().any(|(at, word)| {
            word == "get"
                && !(at > 0
                    && matches!(self.get(at - 1), Some("i" | "we"))
                    && !(at > 1 && matches!(self.get(at - 2), Some("can" | "could" | "may"))))
        });
        let wants = gets
            || self.has_any(&[
                "need",
                "want",
                "give",
                "add",
                "grant",
                "request",
                "join",
                "remove",
                "revoke",
                "drop",
                "unsubscribe",
            ]);
        asks && about && mine && !wants
    }

    /// Which account recovery the words ask for, if any: a lost second factor, then a lockout
    /// (an unlock whatever else is said: "locked out after typing the wrong password"), then
    /// a password, then not getting in at all.
    pub(super) fn account_action(self) -> Option<AccountAction> {
        if self.lost_second_factor() {
            Some(AccountAction::RecoverMfa)
        } else if self.locked_out() {
            Some(AccountAction::Unlock)
        } else if self.has_any(PASSWORD_WORDS) && !self.asks_about_another_password() {
            Some(AccountAction::ResetPassword)
        } else if self.cannot_get_in() {
            Some(AccountAction::Unlock)
        } else {
            None
        }
    }

    /// "whats the wifi password for the warehouse", "what is the password policy?", "print
    /// every user's password": a question about some password or the rules for one, or asking
    /// to be shown passwords, not one's own password gone wrong. Said with
    /// "my", or with any sign of trouble ("forgot", "expired", "reset", "doesn't work"), it is
    /// one's own.
    fn asks_about_another_password(self) -> bool {
        const ASKING_WHAT: &[&str] = &[
            "what", "whats", "where", "wheres", "which", "who", "whos", "whose",
        ];
        const TROUBLE: &[&str] = &[
            "reset",
            "forgot",
            "forget",
            "forgotten",
            "change",
            "changed",
            "changing",
            "expired",
            "expire",
            "expires",
            "expiring",
            "new",
            "wrong",
            "work",
            "works",
            "working",
            "remember",
            "recover",
            "locked",
            "unlock",
            "update",
            "lost",
            "help",
            "need",
            "cant",
            "cannot",
        ];
        // "print every user's password": asked to show passwords, which nobody is given.
        const SHOWING: &[&str] = &[
            "print", "show", "list", "dump", "reveal", "display", "export", "tell",
        ];
        (self
            .get(0)
            .is_some_and(|first| ASKING_WHAT.contains(&first))
            || self.has_any(SHOWING))
            && !self.has_any(&["my", "mine", "i", "im"])
            && !self.has_any(TROUBLE)
    }

    pub(super) fn lost_second_factor(self) -> bool {
        self.has_any(&["mfa", "2fa", "authenticator", "otp", "totp", "2sv"])
            || self.has_seq(&["two", "factor"])
            || self.has_seq(&["multi", "factor"])
            || self.has_seq(&["lost", "my", "phone"])
            || self.has_seq(&["lost", "phone"])
            || self.has_seq(&["new", "phone"])
            || self.has_seq(&["phone", "was", "stolen"])
            || (self.has_any(&[
                "stolen",
                "broke",
                "broken",
                "wiped",
                "lost",
                "dropped",
                "smashed",
                "cracked",
                "damaged",
                "destroyed",
                "drowned",
                "nicked",
                "pinched",
            ]) && self.has_any(&["phone", "mobile", "cellphone"]))
            // A hardware key, the pass that stands in for a lost factor, and the prompts the
            // factor answers ("can't approve the sign-in prompts").
            || self.has_seq(&["security", "key"])
            || self.has_seq(&["temporary", "access", "pass"])
            || self.has_seq(&["sign", "in", "prompt"])
            || self.has_seq(&["sign", "in", "prompts"])
            || self.has_seq(&["switched", "phones"])
            || self.has_seq(&["changed", "phones"])
            || self.has_seq(&["verification", "code"])
    }

    /// A lockout, said as one: locked (or blocked) out, or an account that is locked.
    pub(super) fn locked_out(self) -> bool {
        let locked = ["locked", "blocked"];
        let said_of_the_account = self.has_any(&locked) && self.has_any(&["account", "acct"]);
        said_of_the_account
            || self.has_seq(&["locked", "out"])
            || self.has_seq(&["blocked", "out"])
            || self.has_seq(&["locked", "me", "out"])
            || self.has_seq(&["locked", "myself", "out"])
            // "too many wrong tries this morning": what locks an account.
            || (self.has_seq(&["too", "many"])
                && self.has_any(&["tries", "attempts", "attempt", "guesses"]))
            || self.has_seq(&["account", "locked"])
            || self.has_seq(&["account", "is", "locked"])
            || self.has_seq(&["account", "has", "been", "locked"])
            || self.has_any(&["unlock", "lockout", "lockedout"])
    }

    /// "I can't log in", "unable to sign in": not getting in, for a reason not said.
    pub(super) fn cannot_get_in(self) -> bool {
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
pub(super) const PASSWORD_WORDS: &[&str] = &[
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

/// The recoveries of one's own account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AccountAction {
    RecoverMfa,
    Unlock,
    ResetPassword,
}

impl Parser<'_, '_> {
    /// A new primary address for the person's own mailbox: "change my email to
    /// j.doe@contoso.com", "make j.doe@contoso.com my primary address", "update my e-mail
    /// address to ...". The address as written (`None` inside when none is), or `None` when
    /// this is not such a request; never a calendar, forwarding or mailbox-access request.
    pub(super) fn new_own_address(&self) -> Option<Option<String>> {
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
        // "can i have a shorter email? c.dubois@… would be great": another address of one's
        // own, asked for by what it should be like, with the address given.
        const ANOTHER: &[&str] = &["shorter", "different", "another", "new", "nicer", "better"];
        // "new primary smtp address please: x@…" says whose by asking for a primary one.
        let asked = (self.has_any(&["i"])
            && self.has_any(&["have", "get", "want", "need"])
            && self.has_any(ANOTHER))
            || self.has_any(&["primary"]);
        let another = asked
            && self.has_any(ADDRESS)
            && self.first_address().is_some()
            && !self.has_any(&[
                "list", "dl", "group", "mailbox", "shared", "added", "add", "join", "access",
            ]);
        let own = own || another;
        if !own
            || self.is_own_calendar()
            || self.has_any(CALENDAR_NOUNS)
            || self.has_any(FORWARDING)
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
    pub(super) fn is_own_calendar(&self) -> bool {
        let mine = self.has_any(&["my", "mine"])
            && (self.has_any(CALENDAR_NOUNS)
                || self.has_any(&["availability", "freebusy"])
                || self.has_seq(&["free", "busy"])
                || self.has_seq(&["free", "or", "busy"]));
        // "let Ines see when I'm free or busy": the asker's own availability.
        let available = ["free", "busy", "available", "availability"];
        let mine = mine
            || available.iter().any(|word| {
                self.has_seq(&["when", "im", word]) || self.has_seq(&["when", "i", "am", word])
            });
        let shared = self.has_any(&["share", "sharing"])
            && self.has_any(CALENDAR_NOUNS)
            && !self.has_any(&["me", "his", "her", "their"]);
        mine || shared
    }

    /// Mail forwarding: "forwarding" said, "forward"/"redirect" with the mail or a person it
    /// goes to, or the person's own mail going to someone ("can my mail go to Kofi").
    pub(super) fn is_forwarding(&self, people: &[Named]) -> bool {
        const MAIL: &[&str] = &["mail", "email", "emails", "mails", "inbox", "messages"];
        // "auto forward my mailbox to …": one's own mailbox is one's mail.
        let own_mail =
            MAIL.iter().any(|noun| self.has_seq(&["my", noun])) || self.has_seq(&["my", "mailbox"]);
        // "forward it to wholesale orders": forwarding said with where it goes.
        self.has_any(&["forwarding", "autoforward"])
            || (self.has_any(FORWARDING)
                && (self.has_any(MAIL) || own_mail || !people.is_empty() || self.has_any(&["to"])))
            || (own_mail && self.has_any(&["to"]) && !people.is_empty())
    }

    pub(super) fn has_any(&self, words: &[&str]) -> bool {
        Words(&self.words).has_any(words)
    }

    pub(super) fn has_seq(&self, sequence: &[&str]) -> bool {
        Words(&self.words).has_seq(sequence)
    }

    pub(super) fn is_help(&self) -> bool {
        const GREETINGS: &[&str] = &[
            "hi", "hello", "hey", "please", "pls", "plz", "doorman", "bot", "thanks", "thx",
        ];
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
            &["what", "are", "you", "for"],
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
        // "new here, how do i use you", "first time using this: how does it work?": the
        // question after a word about oneself.
        const NEWCOMER: &[&str] = &[
            "new", "here", "im", "just", "joined", "first", "time", "using", "you", "so", "ok",
            "okay", "quick", "question",
        ];
        let asked: Vec<&str> = meaningful
            .iter()
            .copied()
            .skip_while(|word| NEWCOMER.contains(word))
            .collect();
        // "what kind of things can i ask you for", "what sort of stuff can you do", "what sort
        // of things can i request through you".
        let what_you_do = asked.len() <= 10
            && asked.first() == Some(&"what")
            && asked.contains(&"you")
            && asked.contains(&"can")
            && (asked.contains(&"ask") || asked.contains(&"do") || asked.contains(&"request"))
            && asked.iter().all(|word| {
                *word == "request" || (!ASKING.contains(word) && !PASSWORD_WORDS.contains(word))
            });
        // "How do I use this bot? I've never used it before": a help question of its own,
        // ended by a question mark, whatever follows it.
        let asked_first = HELP
            .iter()
            .filter(|phrase| phrase.len() >= 4)
            .any(|phrase| meaningful.starts_with(phrase) && self.question_after(phrase.len()));
        // "how do I ask you for access to something?", "how can i request stuff": how to use
        // the bot, in words that name nothing to ask for.
        const ABOUT_USING: &[&str] = &[
            "how",
            "do",
            "does",
            "can",
            "i",
            "you",
            "it",
            "this",
            "the",
            "a",
            "an",
            "for",
            "to",
            "use",
            "ask",
            "request",
            "get",
            "access",
            "something",
            "stuff",
            "things",
            "thing",
            "anything",
            "work",
            "works",
            "with",
            "permission",
            "permissions",
        ];
        let how_to_use = asked.first() == Some(&"how")
            && asked
                .iter()
                .any(|word| matches!(*word, "use" | "ask" | "request" | "work" | "works"))
            && asked.iter().all(|word| ABOUT_USING.contains(word));
        what_you_do
            || asked_first
            || how_to_use
            || HELP
                .iter()
                .any(|phrase| meaningful == *phrase || asked == *phrase)
    }

    /// Whether the first `count` words, greetings aside, are followed by a question mark.
    fn question_after(&self, count: usize) -> bool {
        const GREETINGS: &[&str] = &[
            "hi", "hello", "hey", "please", "pls", "plz", "doorman", "bot", "thanks", "thx",
        ];
        let mut seen = 0;
        for token in &self.tokens {
            if token.is_word() {
                if GREETINGS.contains(&token.text.as_str()) {
                    continue;
                }
                if seen == count {
                    return false;
                }
                seen += 1;
            } else if token.text == "?" && seen == count {
                return true;
            }
        }
        false
    }

    /// "did anyone approve my bloomberg request yet", "has my request for X gone through?":
    /// asking after one's own request, named by what it was for, rather than making one.
    pub(super) fn asks_after_a_request(&self) -> bool {
        const AFTER: &[&str] = &[
            "yet",
            "approve",
            "approved",
            "approval",
            "did",
            "has",
            "happened",
            "happening",
            "stuck",
            "waiting",
            "through",
            "progress",
            "where",
            "wheres",
        ];
        const MAKING: &[&str] = &[
            "add", "give", "grant", "need", "want", "join", "remove", "get",
        ];
        let mine = self.words.iter().enumerate().any(|(at, word)| {
            word == "my"
                && self.words[at + 1..]
                    .iter()
                    .take(4)
                    .any(|next| next == "request" || next == "requests")
        });
        // "still waiting on the escalations thing, where is it at?": after something asked
        // before, by what it was about.
        // The follow-up question may have been set aside as the reason ("…, has anyone
        // approved it?"), so it is looked for in every word.
        let all = Words(&self.all_words);
        let waiting = (self.has_seq(&["still", "waiting"])
            || self.has_seq(&["any", "news"])
            || self.has_seq(&["heard", "back"]))
            && (all.has_seq(&["where", "is", "it"])
                || all.has_seq(&["wheres", "it"])
                || all.has_any(&["yet", "update", "news", "back", "approved", "stuck"]));
        // "did ingrid approve my ELN thing yet", "has anyone approved my access": whether
        // someone approved something of one's own.
        let approved_mine = self.has_any(&["did", "has", "have"])
            && self.has_any(&["approve", "approved"])
            && self.has_any(&["my"]);
        // "did my X access go through yet", "has my access to X gone through": something of
        // one's own asked after by whether it went through.
        let through = (self.has_seq(&["go", "through"])
            || self.has_seq(&["gone", "through"])
            || self.has_seq(&["went", "through"]))
            && self.has_any(&["my"])
            && self.has_any(&["did", "has", "yet"]);
        // "what's happening with the request I made yesterday for freya?"
        let made_before = ["made", "sent", "raised", "submitted", "put"]
            .iter()
            .any(|verb| self.has_seq(&["request", "i", verb]));
        // "did my X request get approved yet": "get" there is what happened to it, not a
        // request for something.
        let making = self.words.iter().enumerate().any(|(at, word)| {
            MAKING.contains(&word.as_str())
                && !(word == "get"
                    && self.words.get(at + 1).is_some_and(|next| {
                        matches!(
                            next.as_str(),
                            "approved" | "through" | "done" | "processed" | "sorted" | "actioned"
                        )
                    }))
        });
        ((mine && self.has_any(AFTER)) || waiting || through || made_before || approved_mine)
            && !making
    }

    /// "put the new brochures in X", "save files into X", "add documents to X": things, not
    /// people, placed somewhere, which takes the right to change what is there. The words
    /// between the verb and "in"/"into"/"to" name no one ("add me to X", "put Tom in X" are
    /// memberships).
    pub(super) fn puts_things_in(&self) -> bool {
        const PLACE: &[&str] = &[
            "put", "save", "drop", "store", "add", "move", "copy", "place", "dump", "post",
        ];
        const INTO: &[&str] = &["in", "into", "to", "onto"];
        const SOMEONE: &[&str] = &[
            "me", "myself", "him", "her", "them", "us", "someone", "somebody", "everyone",
        ];
        (0..self.tokens.len()).any(|at| {
            if !self.word_at(at).is_some_and(|word| PLACE.contains(&word)) {
                return false;
            }
            let Some(into) = (at + 1..self.tokens.len().min(at + 7))
                .find(|&next| self.word_at(next).is_some_and(|word| INTO.contains(&word)))
            else {
                return false;
            };
            let between = at + 1..into;
            !between.is_empty()
                && between.clone().all(|next| {
                    self.word_at(next)
                        .is_some_and(|word| !SOMEONE.contains(&word) && !self.used[next])
                })
        })
    }

    /// "what access do I have?", "which groups am i in? trying to work out why i get so many
    /// emails".
    pub(super) fn is_list_access(&self) -> bool {
        Words(&self.words).asks_what_i_hold()
    }

    /// "Who has access to support@?", "who can send as the sales mailbox", "who is on all-sales".
    pub(super) fn is_who_has_access(&self) -> bool {
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
    pub(super) fn someone_else(&mut self, named: Option<String>) -> Option<String> {
        named.or_else(|| self.lone_first_name())
    }

    /// "leave the X channel", "I'm leaving the social club"; not time off ("on leave",
    /// "parental leave") or going somewhere ("leaving for the client site tomorrow").
    /// Whether "leave" (or "leaving") is followed at once by a mail address: "leave
    /// biosafety@…", not "add me to all-sales@… before I leave".
    fn leaves_an_address(&self) -> bool {
        self.tokens.windows(2).any(|pair| {
            (pair[0].is("leave") || pair[0].is("leaving")) && pair[1].kind == Kind::Address
        })
    }

    fn leaves_something(&self) -> bool {
        let words = &self.words;
        (0..words.len()).any(|at| {
            let before = at.checked_sub(1).map(|prior| words[prior].as_str());
            let after = words.get(at + 1).map(String::as_str);
            matches!(words[at].as_str(), "leave" | "leaving")
                && !matches!(
                    before,
                    Some(
                        "on" | "parental"
                            | "sick"
                            | "annual"
                            | "maternity"
                            | "paternity"
                            | "study"
                            | "unpaid"
                            | "my"
                            | "of"
                    )
                )
                // "leave biosafety@…": an address is what is left, though it is no word.
                && (after.is_some() || self.leaves_an_address())
                && !matches!(
                    after,
                    Some(
                        "for"
                            | "on"
                            | "at"
                            | "in"
                            | "tomorrow"
                            | "today"
                            | "tonight"
                            | "soon"
                            | "early"
                            | "next"
                            | "this"
                            | "from"
                            | "until"
                            | "till"
                    )
                )
        })
    }

    pub(super) fn is_revoke(&self) -> bool {
        let words = &self.words;
        let word = |at: usize| words.get(at).map(String::as_str);
        // Words that ask for access (or to keep or get it back) beside a removal idiom; not "I
        // need you to…", "no need", "keep me off".
        let asks_for_more = (0..words.len()).any(|at| match words[at].as_str() {
            "add" | "give" | "grant" | "join" | "extend" | "reinstate" | "restore" => true,
            "need" => word(at + 1) != Some("you") && (at == 0 || word(at - 1) != Some("no")),
            "keep" => !(word(at + 1) == Some("me") && word(at + 2) == Some("off")),
            "back" => matches!(at.checked_sub(1).and_then(word), Some("me" | "access")),
            _ => false,
        });
        // "don't take me off X", "don't get me off X": no removal.
        let refused = (0..words.len().saturating_sub(1)).any(|at| {
            matches!(words[at].as_str(), "dont" | "never")
                && matches!(
                    words[at + 1].as_str(),
                    "get" | "take" | "remove" | "drop" | "revoke"
                )
        });
        if refused {
            return false;
        }
        // "can I drop export sales", "I'd like to drop the lab safety list"; not "drop the files
        // into X" (an upload) nor "drop by", "drop off".
        let drops = (0..words.len()).any(|at| {
            words[at] == "drop"
                && !matches!(word(at + 1), Some("off" | "by" | "in"))
                && !words[at + 1..]
                    .iter()
                    .any(|after| matches!(after.as_str(), "into" | "in" | "onto" | "to"))
        });
        // Idioms that remove only when nothing beside them asks for more: "get me off billing
        // portal users", not "get me off the hook and add me to X"; "my manager wants me removed
        // from X", "keep me off the list", "get me offboarded from lab safety", "my X access runs
        // out soon, can you remove it now instead".
        let idiom = drops
            || self.has_seq(&["get", "me", "off"])
            || self.has_seq(&["me", "removed"])
            || (self.has_seq(&["me", "off"]) && self.has_any(&["wants", "want", "keep"]))
            || self.has_seq(&["offboarded", "from"])
            || self.has_seq(&["offboard", "me"])
            || self.has_seq(&["remove", "it"])
            || self.has_seq(&["revoke", "it"]);
        self.removes_someone()
            || (idiom && !asks_for_more)
            || self.has_seq(&["remove", "me"])
            || self.has_seq(&["remove", "my"])
            || self.has_seq(&["take", "me", "off"])
            || self.has_seq(&["take", "me", "out"])
            || self.has_seq(&["take", "away", "my"])
            // "you can take my edit access away"; not "add me to X, then take my access away",
            // which asks for the access first.
            || (self.has_seq(&["take", "my"])
                && self.has_any(&["away"])
                && !self.has_any(&["add", "give", "grant", "join", "need", "want"]))
            || self.has_seq(&["drop", "me"])
            || self.has_seq(&["drop", "my"])
            // "can I be removed from X", "I'd like to be taken off the list"; not what was
            // done already ("I was removed from X by mistake").
            || self.has_seq(&["be", "removed"])
            || self.has_seq(&["be", "taken", "off"])
            || self.has_seq(&["get", "removed"])
            || self.has_seq(&["get", "me", "out"])
            || self.has_seq(&["no", "longer", "need"])
            || self.has_any(&["revoke", "unsubscribe", "unsub", "quit", "quitting"])
            || self.leaves_something()
            || (self.has_seq(&["dont", "need"])
                && (self.has_any(&["anymore"]) || self.has_seq(&["any", "more"])))
    }

    /// "remove old.timer@… from the crew", "remove Lena's send as", "kick Tom Becker off the
    /// list", "remove priyanka from X": a removal whose object is a person, named by address,
    /// mention, full name, or a first name right before "from" or "off".
    fn removes_someone(&self) -> bool {
        const REMOVE: &[&str] = &["remove", "kick", "revoke", "delete"];
        (0..self.tokens.len()).any(|at| {
            if !self.word_at(at).is_some_and(|word| REMOVE.contains(&word)) {
                return false;
            }
            let Some(next) = self.tokens.get(at + 1) else {
                return false;
            };
            match next.kind {
                Kind::Address | Kind::Mention => true,
                Kind::Word => {
                    let (first, second) = (self.word_at(at + 1), self.word_at(at + 2));
                    let full = first.zip(second).is_some_and(|(first, second)| {
                        !self.catalog.people_named(&[first, second]).is_empty()
                    });
                    let first_name = first
                        .is_some_and(|first| !self.catalog.people_named(&[first]).is_empty())
                        && matches!(second, Some("from" | "off"));
                    (full || first_name) && first != Some("me") && first != Some("my")
                }
                _ => false,
            }
        })
    }

    /// A question about something else than access ("what time is the all hands meeting
    /// tomorrow?"): a question word first, and nothing that asks for anything.
    /// "can you book the tasting room for thursday", "reserve a meeting room": booking a room
    /// is no access to it. Asking for its mailbox ("full access to the boardroom mailbox, I
    /// book it for the team") still is.
    pub(super) fn books_something(&self) -> bool {
        const BOOK: &[&str] = &["book", "reserve"];
        const WHAT: &[&str] = &[
            "a",
            "the",
            "me",
            "us",
            "meeting",
            "room",
            "conference",
            "it",
            "one",
        ];
        // "please book me into Jira Users" is a request.
        let word = |at: usize| self.words.get(at).map(String::as_str);
        let books = (0..self.words.len()).any(|at| {
            word(at).is_some_and(|verb| BOOK.contains(&verb))
                && word(at + 1).is_some_and(|what| WHAT.contains(&what))
                && !matches!(word(at + 2), Some("into" | "onto" | "on" | "in"))
        });
        books
            && !self.has_any(&[
                "access",
                "mailbox",
                "delegate",
                "permission",
                "permissions",
                "add",
                "give",
                "grant",
                "join",
                "remove",
                "revoke",
            ])
            && self.access_words_anywhere().is_empty()
    }

    /// "stop forwarding my mail", "turn off the forwarding", "cancel it".
    pub(super) fn stops_something(&self) -> bool {
        self.has_any(&["stop", "cancel", "disable", "undo", "remove"])
            || self.has_seq(&["turn", "off"])
            || self.has_seq(&["switch", "off"])
            || self.has_seq(&["no", "longer"])
    }

    /// "just let it expire", "let it run out": the asker wants nothing done.
    pub(super) fn lets_it_lapse(&self) -> bool {
        self.all_words.windows(3).any(|words| {
            words[0] == "let"
                && words[1] == "it"
                && matches!(words[2].as_str(), "expire" | "lapse" | "run" | "end" | "go")
        })
    }

    pub(super) fn is_other_question(&self) -> bool {
        const QUESTION: &[&str] = &[
            "what", "whats", "when", "where", "why", "who", "whos", "how",
        ];
        // Besides asking: the wave 2 changes, which a question may ask for too.
        const CHANGING: &[&str] = &[
            "share", "forward", "change", "reset", "unlock", "become", "make",
        ];
        let first = self
            .tokens
            .iter()
            .zip(&self.used)
            .find(|(token, used)| token.is_word() && !**used)
            .map(|(token, _)| token.text.as_str());
        // "is the build farm down?": a question about how something is doing.
        const YES_NO: &[&str] = &["is", "are", "was", "were", "isnt", "arent", "does", "did"];
        const STATE: &[&str] = &[
            "down", "up", "broken", "working", "offline", "online", "slow", "running", "fixed",
            "ok", "okay", "out",
        ];
        let about_a_state =
            matches!(first, Some(word) if YES_NO.contains(&word)) && self.has_any(STATE);
        (matches!(first, Some(word) if QUESTION.contains(&word)) || about_a_state)
            && !self.has_any(ASKING)
            && !self.has_any(CHANGING)
            && self.access_words_anywhere().is_empty()
    }
}
