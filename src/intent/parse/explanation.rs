//! The reason, and the parts of a message that explain the request rather than make it.

use super::*;
use resource::Naming;

/// Words that open a request rather than an explanation.
pub(super) const REQUEST_OPENERS: &[&str] = &[
    "please", "pls", "plz", "can", "could", "would", "add", "give", "grant", "remove", "take",
    "change", "share", "forward", "make", "set", "reset", "unlock", "join", "drop", "revoke",
];

/// The words of mail forwarding.
pub(super) const FORWARDING: &[&str] = &[
    "forward",
    "forwarded",
    "forwards",
    "forwarding",
    "autoforward",
    "redirect",
    "redirected",
    "redirecting",
];

/// Words that greet.
const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "good",
    "morning",
    "afternoon",
    "evening",
    "dear",
];

/// Openers of thanks, greetings and farewells ("Thanks so much, have a great weekend!",
/// "cheers mate"): politeness, whatever follows, unless opened as an explanation is.
const COURTESY: &[&str] = &[
    "thanks",
    "thank",
    "thx",
    "ty",
    "cheers",
    "regards",
    "hi",
    "hello",
    "hey",
    "hiya",
    "morning",
    "afternoon",
    "evening",
    "good",
    "hope",
    "enjoy",
    "sorry",
];

/// Verbs that open a side instruction after "and" ("…and approve it automatically", "…and
/// let me know"): what the bot should do besides, never part of what is asked for.
const SIDE_INSTRUCTIONS: &[&str] = &[
    "approve",
    "approving",
    "autoapprove",
    "skip",
    "bypass",
    "ignore",
    "override",
    "disable",
    "notify",
    "tell",
    "ping",
    "confirm",
    "let",
    "cc",
    "dont",
];

impl Parser<'_, '_> {
    /// The reason: a clause opened by "because", "so I can", "for the ...", else a clause after
    /// a comma, a later sentence or an earlier one that explains the request (see
    /// [`Parser::explains`]). Every explaining part is marked, so it neither names the resource
    /// nor gives the action; the reason is the first found.
    pub(super) fn reason(&mut self) -> Option<String> {
        let sentences = self.sentences();
        let request = sentences
            .iter()
            .position(|(start, end)| self.sentence_asks(*start, *end))
            .unwrap_or(0);
        let mut reason = None;
        if let Some(&(start, end)) = sentences.get(request) {
            // The first cue whose clause leaves the request said: "I want to jion the X team
            // for the 4.2 release" reads "to jion…" as a purpose first, which takes the request.
            let mut at = start;
            while reason.is_none() && at < end {
                let Some((from, body)) = self.reason_cue(at, end) else {
                    at += 1;
                    continue;
                };
                // "…for 2 weeks, working from home while the branch is refurbished": the whole
                // clause after the pause explains, not only what follows the cue.
                if let Some((pause, first)) = self.clause_before(start, from) {
                    reason = self.take_explanation(pause, end, first);
                }
                // Keep the reason only if what it asks for is still said without it ("for the
                // sales mailbox" names the resource, not a reason).
                if reason.is_none() {
                    reason = self.take_explanation(from, end, body);
                }
                at += 1;
            }
            if reason.is_none() {
                reason = self.reason_after_pause(start, end);
            }
            if reason.is_none() {
                reason = self.reason_run_on(start, end);
            }
            if reason.is_none() {
                reason = self.reason_before_so(start, end);
            }
            if reason.is_none() {
                reason = self.reason_before_asking(start, end);
            }
        }
        let later = sentences.iter().skip(request + 1);
        // Before the request, the nearest explanation is the reason ("I'm covering the sales
        // desk. Could you give me access to the sales mailbox?").
        let earlier = sentences.iter().take(request).rev();
        for &(start, end) in later.chain(earlier) {
            let Some(first) = (start..end).find(|at| self.tokens[*at].is_word()) else {
                continue;
            };
            // "…until the end of the month? Auditors are coming in."
            if let Some(text) = self.take_part(start, end, first, (start, end), false) {
                reason.get_or_insert(text);
            }
        }
        reason
    }

    /// A reason run on without punctuation: from a word that opens a clause of its own ("…the
    /// pharmacy sharepoint site we're planning the refit", "…email list im doing bank shifts
    /// there") to the end of the sentence, when what comes before still names one resource.
    fn reason_run_on(&mut self, start: usize, end: usize) -> Option<String> {
        let first = (start..end).find(|at| self.tokens[*at].is_word() && !self.used[*at])?;
        for at in first + 1..end {
            if self.used[at] {
                continue;
            }
            // "…pacs access to look at xrays in ED": a purpose led by a level, with more to say;
            // "…for audit purposes", "…for release 4.2 signing": a purpose with no article.
            let purpose = (self.word_at(at) == Some("to")
                && self
                    .phrase_at(at + 1, &ACCESS_PHRASES)
                    .is_some_and(|(length, _)| at + 1 + length < end))
                || (self.word_at(at) == Some("for")
                    && self.word_at(at + 1).is_some()
                    && !self.used[at + 1]);
            if !purpose && !self.opens_own_clause(at) {
                continue;
            }
            let body = if purpose { at + 1 } else { at };
            if let Some(text) = self.take_part(at, end, body, (body, end), true) {
                return Some(text);
            }
        }
        None
    }

    /// An explanation before "so please…", "so can you…": "I'm covering nights on Ward 4 next
    /// week so please add me to the ward 4 nurses team". The part before explains when it
    /// opens as an explanation does or states context, and what follows names one resource.
    fn reason_before_so(&mut self, start: usize, end: usize) -> Option<String> {
        let so = (start + 1..end.saturating_sub(1)).find(|&at| {
            self.word_at(at) == Some("so")
                && (self
                    .word_at(at + 1)
                    .is_some_and(|next| REQUEST_OPENERS.contains(&next))
                    || self.asks_the_bot(at + 1))
        })?;
        let first = (start..so).find(|at| self.tokens[*at].is_word())?;
        self.take_part(start, so, first, (start, so), true)
    }

    /// What the asker says of themselves before asking the bot, with no word between: "I've
    /// just been made up to partner 🎉 can you add me to the all-partners DL". The part opens
    /// with the asker as subject and asks for nothing itself.
    fn reason_before_asking(&mut self, start: usize, end: usize) -> Option<String> {
        let first = (start..end).find(|at| self.tokens[*at].is_word())?;
        if !matches!(self.word_at(first), Some("ive" | "im" | "weve")) {
            return None;
        }
        let asking = (first + 2..end.saturating_sub(1)).find(|&at| {
            matches!(self.word_at(at), Some("can" | "could" | "would"))
                && self.word_at(at + 1) == Some("you")
        })?;
        let asks_itself =
            (first..asking).any(|at| self.word_at(at).is_some_and(|word| ASKING.contains(&word)));
        if asks_itself {
            return None;
        }
        self.take_part(start, asking, first, (start, asking), true)
    }

    /// Whether the word at `at` opens a clause of its own inside a sentence: a subject and its
    /// verb written as one ("im", "we're", "theyre") or a subject pronoun, after a word that
    /// does not bind it to what comes before ("…the finance team i need the forecast", not
    /// "could i", "so i", "when we", "that we're").
    fn opens_own_clause(&self, at: usize) -> bool {
        /// Always a subject and its verb.
        const CONTRACTED: &[&str] = &[
            "im", "ive", "weve", "theyre", "theyve", "youre", "hes", "shes",
        ];
        /// A subject and its verb only when written with the apostrophe ("we're", "it's",
        /// "I'll", "I'd"): without one they are words of their own.
        const WITH_APOSTROPHE: &[&str] = &["were", "its", "ill", "id", "thats"];
        const SUBJECTS: &[&str] = &["i", "we", "they", "he", "she"];
        /// Words that bind the subject after them to the clause they belong to or open.
        const BINDING: &[&str] = &[
            "can", "could", "would", "will", "shall", "should", "may", "might", "must", "do",
            "does", "did", "am", "is", "are", "was", "were", "have", "has", "had", "so", "as",
            "if", "when", "that", "because", "since", "while", "and", "or", "but", "where", "what",
            "which", "who", "how", "why", "than", "then", "until", "till", "before", "after",
            "once", "whether", "cause", "coz", "bc", "whom", "unless",
        ];
        let Some(word) = self.word_at(at) else {
            return false;
        };
        // "…let me know when it's done", "the site that we're using": bound to what is before.
        let free = at
            .checked_sub(1)
            .and_then(|prior| self.word_at(prior))
            .is_some_and(|prior| !BINDING.contains(&prior));
        if !free {
            return false;
        }
        if WITH_APOSTROPHE.contains(&word) {
            let token = &self.tokens[at];
            return self.message[token.start..token.end].contains(['\'', '’']);
        }
        CONTRACTED.contains(&word) || SUBJECTS.contains(&word) || self.noun_subject(at)
    }

    /// Whether a noun and its verb start at `at` ("…channel complaints are piling up", "…the
    /// auditors are in"): a word that is no filler, after a determiner or not, then a verb
    /// that only follows a subject.
    fn noun_subject(&self, at: usize) -> bool {
        const DETERMINERS: &[&str] = &["the", "a", "an", "our", "my", "their", "some"];
        const AUXILIARIES: &[&str] = &[
            "is", "are", "was", "were", "has", "have", "had", "will", "keeps", "keep",
        ];
        let noun = if self
            .word_at(at)
            .is_some_and(|word| DETERMINERS.contains(&word))
        {
            at + 1
        } else {
            at
        };
        // "…finance site it is month end": "it" is a subject only before its verb. A level or
        // a kind said ("…helpdesk admins we're short staffed") belongs to the request.
        let subject = self.word_at(noun).is_some_and(|word| {
            (word == "it" || !self.is_filler(word))
                && !self.used[noun]
                && self.phrase_at(noun, &ACCESS_PHRASES).is_none()
                && self.phrase_at(noun, &KIND_PHRASES).is_none()
        });
        // "we're" is a subject and its verb, not a verb.
        let verb = self.word_at(noun + 1).is_some_and(|verb| {
            let token = &self.tokens[noun + 1];
            AUXILIARIES.contains(&verb)
                && !self.message[token.start..token.end].contains(['\'', '’'])
        });
        subject && verb
    }

    /// Whether tokens `start..end` state something of their own without asking for anything:
    /// no word of asking and no kind noun ("Auditors are coming in", "customer wants the spec
    /// sheets", "norovirus on ward 14"), not opened as a request, and a word that is nobody's
    /// and no resource's name, so a part that only names ("also Marketing", "the Q3 one") is
    /// never taken for context. Such a part explains only when the rest names one resource
    /// without it (see [`Parser::take_context`]).
    fn states_context(&self, start: usize, end: usize) -> bool {
        /// Words that correct or narrow what was asked: the part is the request.
        const CORRECTING: &[&str] = &[
            "specifically",
            "actually",
            "instead",
            "rather",
            "mean",
            "meant",
            "sorry",
            "correction",
            "not",
            "only",
            "also",
            "too",
            "and",
        ];
        let unused: Vec<usize> = (start..end)
            .filter(|at| !self.used[*at] && !self.tokens[*at].is_break())
            .collect();
        let Some(&first) = unused.first() else {
            return false;
        };
        if unused.iter().any(|at| self.tokens[*at].kind != Kind::Word) {
            return false;
        }
        let first = self.tokens[first].text.as_str();
        if REQUEST_OPENERS.contains(&first)
            || COURTESY.contains(&first)
            || self.asks_for_the_asker(start, end)
        {
            return false;
        }
        // "the auditors want the export declarations", "she needs them by friday": someone
        // else's want is context, not asking.
        let someone_elses = |at: usize| {
            matches!(
                self.tokens[at].text.as_str(),
                "want" | "wants" | "need" | "needs"
            ) && at
                .checked_sub(1)
                .and_then(|prior| self.word_at(prior))
                .is_some_and(|prior| {
                    matches!(prior, "he" | "she" | "they" | "who")
                        || (!self.is_filler(prior)
                            && self.catalog.people_named(&[prior]).is_empty())
                })
        };
        let asks = unused.iter().any(|&at| {
            let text = self.tokens[at].text.as_str();
            (ASKING.contains(&text) && !someone_elses(at))
                || (CORRECTING.contains(&text) && at == unused[0])
                || self.phrase_at(at, &KIND_PHRASES).is_some()
                || CALENDAR_NOUNS.contains(&text)
                || FORWARDING.contains(&text)
        });
        if asks {
            return false;
        }
        unused.iter().any(|&at| {
            let text = self.tokens[at].text.as_str();
            !self.is_filler(text)
                && !POLITENESS.contains(&text)
                && !CORRECTING.contains(&text)
                && self.phrase_at(at, &ACCESS_PHRASES).is_none()
                && !self.catalog.names_word(text)
                && self.catalog.people_named(&[text]).is_empty()
        })
    }

    /// Takes tokens `from..end` as explaining, quoted from `body`, when the words of `part`
    /// explain (see [`Parser::explains`]) or state context (see [`Parser::states_context`]).
    /// An explanation is kept when the request is still said without it, context (and, when
    /// `strict`, anything) only when what is left names one resource.
    fn take_part(
        &mut self,
        from: usize,
        end: usize,
        body: usize,
        part: (usize, usize),
        strict: bool,
    ) -> Option<String> {
        let explains = self.explains(part.0, part.1);
        if explains && !strict {
            if let Some(text) = self.take_explanation(from, end, body) {
                return Some(text);
            }
        }
        if explains || self.states_context(part.0, part.1) {
            // A greeting left in the request ("Good morning! Could I…") can hide that it is
            // still said; read as the request is read, it names one resource.
            return self.take_context(from, end, body, explains);
        }
        None
    }

    /// [`Parser::take_explanation`] for a part found by its place alone: the words left must
    /// name one resource without it, or, for a part opened as an explanation is (`opened`:
    /// "…finance i started in accounts payable this week"), name some the caller asks between.
    fn take_context(
        &mut self,
        from: usize,
        end: usize,
        body: usize,
        opened: bool,
    ) -> Option<String> {
        if self.says_only_the_level(from, end) {
            return None;
        }
        let before = self.used.clone();
        self.mark(from, end);
        let named = match self.names_resources() {
            Naming::One => true,
            Naming::Several => opened,
            Naming::Nothing => false,
        };
        if named {
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

    /// Marks what someone cannot do ("can't see it in teams", "unable to open the site",
    /// "don't have access to"): it says what is wrong, not the level wanted nor a name, so
    /// "I can't see the Design team, can someone add me" asks for the team at its default
    /// level. The words still count as cues ("can't log in").
    pub(super) fn set_aside_trouble(&mut self) {
        const CANNOT: &[&str] = &[
            "cant", "cannot", "couldnt", "dont", "doesnt", "didnt", "unable", "not",
        ];
        const BETWEEN: &[&str] = &["to", "able", "be", "have", "any", "seem", "even"];
        const DO: &[&str] = &[
            "see", "access", "open", "find", "view", "reach", "use", "load", "read", "edit",
            "upload", "get",
        ];
        for at in 0..self.tokens.len() {
            if !self.word_at(at).is_some_and(|word| CANNOT.contains(&word)) {
                continue;
            }
            let mut next = at + 1;
            while self
                .word_at(next)
                .is_some_and(|word| BETWEEN.contains(&word))
            {
                next += 1;
            }
            if self.word_at(next).is_some_and(|word| DO.contains(&word)) {
                self.mark(at, next + 1);
            }
        }
    }

    /// Marks a side instruction as outside the request: from "and" followed by one of
    /// [`SIDE_INSTRUCTIONS`] to the end of its sentence, when the request is still said
    /// without it. It is not a reason either: policy, not wording, decides approvals.
    pub(super) fn set_aside_instructions(&mut self) {
        for (start, end) in self.sentences() {
            let Some(from) = (start..end.saturating_sub(1)).find(|&at| {
                self.word_at(at) == Some("and")
                    && self
                        .word_at(at + 1)
                        .is_some_and(|next| SIDE_INSTRUCTIONS.contains(&next))
            }) else {
                continue;
            };
            let before = self.used.clone();
            self.mark(from, end);
            if self.still_asks() {
                for slot in self.explaining.iter_mut().take(end).skip(from) {
                    *slot = true;
                }
            } else {
                self.used = before;
            }
        }
    }

    /// Whether the unused words of `from..end` say nothing but a level: access words, "only",
    /// "full", politeness and filler.
    fn says_only_the_level(&self, from: usize, end: usize) -> bool {
        let mut at = from;
        let mut level = false;
        while at < end {
            if self.used[at] || !self.tokens[at].is_word() {
                at += 1;
                continue;
            }
            if let Some((length, _)) = self.phrase_at(at, &ACCESS_PHRASES) {
                level = true;
                at += length;
                continue;
            }
            let text = self.tokens[at].text.as_str();
            let plain = matches!(text, "only" | "just" | "full" | "level")
                || POLITENESS.contains(&text)
                || self.is_filler(text);
            if !plain {
                return false;
            }
            at += 1;
        }
        level
    }

    /// The clause a reason cue at `cue` ends, when a pause or a word opening a clause of its
    /// own ("…mailbox I'm covering for Ivan while he's off") opens it after the sentence's
    /// `start` and the clause explains too (see [`Parser::explains`]): where it starts and its
    /// first word.
    fn clause_before(&self, start: usize, cue: usize) -> Option<(usize, usize)> {
        let opener = (start..cue).rev().find(|&at| {
            self.tokens[at].kind == Kind::Pause
                || (at > start && !self.used[at] && self.opens_own_clause(at))
        })?;
        let words = if self.tokens[opener].kind == Kind::Pause {
            opener + 1
        } else {
            opener
        };
        let first = (words..cue).find(|at| self.tokens[*at].is_word() && !self.used[*at])?;
        self.explains(words, cue).then_some((opener, first))
    }

    /// Marks tokens `from..end` as explaining the request when the request is still said
    /// without them, and returns their words from `body` on; else leaves them as they were.
    pub(super) fn take_explanation(
        &mut self,
        from: usize,
        end: usize,
        body: usize,
    ) -> Option<String> {
        if self.says_only_the_level(from, end) {
            // "…, free/busy only", "read only.", "- full edit please": how much, not why.
            return None;
        }
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
    /// audit", "…, emergency change on the firewall"), or before one: the clause explains
    /// (see [`Parser::explains`]) and the request is still said without it.
    pub(super) fn reason_after_pause(&mut self, start: usize, end: usize) -> Option<String> {
        let pauses: Vec<usize> = (start..end)
            .filter(|at| self.tokens[*at].kind == Kind::Pause)
            .collect();
        for &pause in &pauses {
            let Some(first) = (pause + 1..end).find(|at| self.tokens[*at].is_word()) else {
                continue;
            };
            // "…Datasheets pls, customer wants the spec sheets", "…channel pls - norovirus on
            // ward 14".
            let text = self.take_part(pause, end, first, (pause + 1, end), false);
            if text.is_some() {
                return text;
            }
        }
        // Or before it: "I'm leaving for a trade show, need vpn access".
        for pause in pauses {
            let Some(first) = (start..pause).find(|at| self.tokens[*at].is_word()) else {
                continue;
            };
            let text = self.take_part(start, pause + 1, first, (start, pause), false);
            if text.is_some() {
                return text;
            }
        }
        None
    }

    /// Whether tokens `start..end` ask for the asker: "add me", "give me", "get me", "put me",
    /// "be added to", "like to join", "I'd like membership of X".
    fn asks_for_the_asker(&self, start: usize, end: usize) -> bool {
        const FOR: &[&str] = &["add", "give", "grant", "get", "put", "let", "sign"];
        (start..end.saturating_sub(1)).any(|at| {
            let (word, next) = (self.word_at(at), self.word_at(at + 1));
            (word.is_some_and(|word| FOR.contains(&word)) && matches!(next, Some("me" | "us")))
                || (matches!(word, Some("id" | "wed" | "would")) && next == Some("like"))
                || (matches!(word, Some("be" | "get" | "getting")) && next == Some("added"))
                || (word == Some("to")
                    && matches!(next, Some("join" | "access"))
                    && at > start
                    && matches!(self.word_at(at - 1), Some("like" | "want" | "need")))
        })
    }

    /// Whether tokens `start..end` explain rather than ask: not opened as a request
    /// ("please…", "can you…"), words of their own beyond filler, politeness and people's names,
    /// and either opened as an explanation is ("I'm…", "need to…", "covering…") or naming
    /// nothing the catalog would resolve (and no address). A part that names a resource without
    /// saying why is part of the request.
    /// Whether these tokens ask for access to be taken away ("take my access away", "take
    /// away my access", "you can remove me").
    fn asks_to_take_away(&self, at: &[usize]) -> bool {
        let words: Vec<&str> = at
            .iter()
            .filter(|at| self.tokens[**at].is_word())
            .map(|at| self.tokens[*at].text.as_str())
            .collect();
        let has = |word: &str| words.contains(&word);
        (has("take") && has("away") && (has("my") || has("me")))
            || words.windows(2).any(|pair| {
                matches!(pair[0], "remove" | "revoke" | "drop") && matches!(pair[1], "me" | "my")
            })
    }

    /// Whether tokens `start..end` ask for an account recovery and the rest of the message's
    /// words outside any explanation do not.
    fn holds_the_only_account_action(&self, start: usize, end: usize) -> bool {
        let words = |inside: bool| -> Vec<String> {
            (0..self.tokens.len())
                .filter(|&at| {
                    (start..end).contains(&at) == inside
                        && self.tokens[at].is_word()
                        && !self.explaining[at]
                })
                .map(|at| self.tokens[at].text.clone())
                .collect()
        };
        let (part, rest) = (words(true), words(false));
        // Said in so many words: "lockout/tagout SOP" tells no lockout. And the rest asks for
        // nothing else: "I need to reset student passwords, please add me to X" asks for X.
        Words(&part).has_any(&["reset", "unlock", "recover", "password", "mfa"])
            && Words(&part).account_action().is_some()
            && Words(&rest).account_action().is_none()
            && !Words(&rest).has_any(ASKING)
            && !REQUEST_OPENERS
                .iter()
                .any(|opener| rest.iter().any(|word| word == opener))
    }

    pub(super) fn explains(&self, start: usize, end: usize) -> bool {
        let unused: Vec<usize> = (start..end)
            .filter(|at| !self.used[*at] && !self.tokens[*at].is_break())
            .collect();
        // A greeting opens the message, not the part: "Hi, I'm the new locum…" explains.
        let Some(first) = unused
            .iter()
            .map(|at| self.tokens[*at].text.as_str())
            .find(|word| !GREETINGS.contains(word))
        else {
            return false;
        };
        if REQUEST_OPENERS.contains(&first) {
            // "I got married, please change my email…": this part is the request.
            return false;
        }
        if self.asks_to_take_away(&unused) {
            // "im done with X, you can take my edit access away": the removal is the request.
            return false;
        }
        if self.asks_for_the_asker(start, end) {
            // "…, my manager said to ask you to add me to the branch ops team": a part that
            // asks for the asker is the request, however it opens.
            return false;
        }
        if self.holds_the_only_account_action(start, end) {
            // "need a password reset asap, lecture starts soon": the reset is the request,
            // whatever the rest names in passing.
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
        if COURTESY.contains(&first) || unused.iter().any(|at| self.tokens[*at].kind != Kind::Word)
        {
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
    pub(super) fn sentences(&self) -> Vec<(usize, usize)> {
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
    pub(super) fn sentence_asks(&self, start: usize, end: usize) -> bool {
        // Besides asking: the polite forms of a request ("I'd like", "could you").
        const POLITE: &[&str] = &["like", "can", "could"];
        (start..end).any(|at| {
            let token = &self.tokens[at];
            token.kind == Kind::Address
                || (token.is_word()
                    && (ASKING.contains(&token.text.as_str())
                        || POLITE.contains(&token.text.as_str())))
        })
    }

    /// A reason cue at `at`: where the clause starts and where its words start.
    pub(super) fn reason_cue(&self, at: usize, end: usize) -> Option<(usize, usize)> {
        if self.used[at] {
            return None;
        }
        let word = self.word_at(at)?;
        let next = self.word_at(at + 1);
        let before = at.checked_sub(1).and_then(|prior| self.word_at(prior));
        let body = match word {
            "because" | "since" | "while" | "cause" | "coz" | "cos" | "cuz" | "bc" | "becuase"
            | "becasue" => at + 1,
            // "b/c the auditors are in".
            "b" if next == Some("c") => at + 2,
            // "…ahead of the audit", "…as part of the ALCO prep": a purpose said as a phrase.
            "ahead" if next == Some("of") => at,
            "as" if next == Some("part") && self.word_at(at + 2) == Some("of") => at,
            "as" if before != Some("send")
                && before != Some("reply")
                && matches!(next, Some("i" | "we" | "my" | "our" | "im")) =>
            {
                at + 1
            }
            "so" if matches!(next, Some("i" | "we" | "that" | "my" | "our" | "im")) => {
                if next == Some("that") { at + 2 } else { at + 1 }
            }
            // "…on disputes@ so customers see the team address": a purpose with any subject,
            // inside a sentence (a sentence opened by "so" is a request: "so can I get…", and
            // so is what follows "…so could you add me").
            "so" if at
                .checked_sub(1)
                .is_some_and(|prior| self.tokens[prior].kind != Kind::Stop)
                && next.is_some_and(|next| {
                    // Not "…, and so do I", "so is Tom".
                    !matches!(
                        next,
                        "much"
                            | "many"
                            | "far"
                            | "long"
                            | "do"
                            | "does"
                            | "did"
                            | "is"
                            | "am"
                            | "are"
                            | "was"
                            | "have"
                            | "has"
                    ) && !REQUEST_OPENERS.contains(&next)
                })
                && !self.asks_the_bot(at + 1) =>
            {
                at + 1
            }
            // "…orders@ when I confirm wholesale deliveries", "…inbox when people ask about the
            // competition": when the access is used, inside the sentence; not when the bot is
            // to act ("when you can", "when it's convenient").
            "when"
                if at
                    .checked_sub(1)
                    .is_some_and(|prior| self.tokens[prior].kind != Kind::Stop)
                    && (matches!(next, Some("i" | "we" | "im"))
                        || (matches!(
                            next,
                            Some("people" | "customers" | "someone" | "clients")
                        ) && self.word_at(at + 2).is_some())) =>
            {
                at + 1
            }
            "in" if next == Some("order") && self.word_at(at + 2) == Some("to") => at + 3,
            "due" if next == Some("to") => at + 2,
            // "…for 2 wks pls covering amira's admin while shes on leave", "…for working from
            // home": what the person is doing, inside the sentence.
            // ("I'm helping on the audit" is a clause of its own, read whole.)
            "covering" | "helping" | "working"
                if at > 0
                    && !matches!(
                        before,
                        Some("im" | "i" | "we" | "were" | "am" | "are" | "was")
                    )
                    && (word != "working"
                        || matches!(next, Some("from" | "on" | "remotely" | "remote"))) =>
            {
                at
            }
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

    /// Whether the bot is asked from `at` on ("…so you can remove me from X", "…so could you
    /// add me"): what follows "so" is then the request, and what comes before it the reason.
    pub(super) fn asks_the_bot(&self, at: usize) -> bool {
        self.word_at(at) == Some("you")
            && matches!(
                self.word_at(at + 1),
                Some("can" | "could" | "would" | "will" | "may")
            )
    }

    /// Whether the word at `at` can start a purpose clause after "to": a word that is no
    /// filler, access word, kind noun, resource name or person.
    pub(super) fn opens_purpose(&self, at: usize) -> bool {
        let Some(word) = self.word_at(at) else {
            return false;
        };
        !self.used[at]
            && !self.is_filler(word)
            && self.phrase_at(at, &ACCESS_PHRASES).is_none()
            && self.phrase_at(at, &KIND_PHRASES).is_none()
            && !self.catalog.names_word(word)
            && self.catalog.people_named(&[word]).is_empty()
            && !CALENDAR_NOUNS.contains(&word)
    }

    /// Whether the words not yet explained still make a request: the object of a calendar or
    /// forwarding request, a resource's address, or words the catalog resolves. A remainder of
    /// greetings and names ("Hi Doorman", "I want Maria") asks nothing, so what was taken from it
    /// was the request, not its explanation.
    pub(super) fn still_asks(&self) -> bool {
        let unused_word = |words: &[&str]| {
            self.tokens.iter().zip(&self.used).any(|(token, used)| {
                !used && token.is_word() && words.contains(&token.text.as_str())
            })
        };
        if unused_word(CALENDAR_NOUNS) || unused_word(FORWARDING) {
            return true;
        }
        // "…see my free/busy", "…my availability": the calendar said by its level.
        if unused_word(&["availability", "freebusy"])
            || (unused_word(&["free"]) && unused_word(&["busy"]))
        {
            return true;
        }
        // "can my mail go to my gmail …": one's own mail, the object of forwarding.
        let own_mail = self.tokens.windows(2).enumerate().any(|(at, pair)| {
            pair[0].is_word()
                && pair[0].text == "my"
                && ["mail", "email", "emails", "mails", "inbox"].contains(&pair[1].text.as_str())
                && !self.used[at]
                && !self.used[at + 1]
        });
        if own_mail {
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
    pub(super) fn quote(&self, from: usize, end: usize) -> String {
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
}
