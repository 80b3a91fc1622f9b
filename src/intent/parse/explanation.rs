//! The reason, and the parts of a message that explain the request rather than make it.

use super::*;

/// Words that open a request rather than an explanation.
pub(super) const REQUEST_OPENERS: &[&str] = &[
    "please", "pls", "plz", "can", "could", "would", "add", "give", "grant", "remove", "take",
    "change", "share", "forward", "make", "set", "reset", "unlock", "join",
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
            if let Some((from, body)) = (start..end).find_map(|at| self.reason_cue(at, end)) {
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
            if let Some((length, _)) = self.phrase_at(at, ACCESS_PHRASES) {
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

    /// The clause a reason cue at `cue` ends, when a pause opens it after the sentence's
    /// `start` and the clause explains too (see [`Parser::explains`]): the pause and the
    /// clause's first word.
    fn clause_before(&self, start: usize, cue: usize) -> Option<(usize, usize)> {
        let pause = (start..cue)
            .rev()
            .find(|at| self.tokens[*at].kind == Kind::Pause)?;
        let first = (pause + 1..cue).find(|at| self.tokens[*at].is_word() && !self.used[*at])?;
        self.explains(pause + 1, cue).then_some((pause, first))
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
        // Or before it: "I'm leaving for a trade show, need vpn access".
        for pause in pauses {
            if !self.explains(start, pause) {
                continue;
            }
            let Some(first) = (start..pause).find(|at| self.tokens[*at].is_word()) else {
                continue;
            };
            if let Some(text) = self.take_explanation(start, pause + 1, first) {
                return Some(text);
            }
        }
        None
    }

    /// Whether tokens `start..end` ask for the asker: "add me", "give me", "get me", "put me",
    /// "be added to", "like to join".
    fn asks_for_the_asker(&self, start: usize, end: usize) -> bool {
        const FOR: &[&str] = &["add", "give", "grant", "get", "put", "let", "sign"];
        (start..end.saturating_sub(1)).any(|at| {
            let (word, next) = (self.word_at(at), self.word_at(at + 1));
            (word.is_some_and(|word| FOR.contains(&word)) && matches!(next, Some("me" | "us")))
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
    pub(super) fn explains(&self, start: usize, end: usize) -> bool {
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
        if self.asks_for_the_asker(start, end) {
            // "…, my manager said to ask you to add me to the branch ops team": a part that
            // asks for the asker is the request, however it opens.
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
            // "…on disputes@ so customers see the team address": a purpose with any subject,
            // inside a sentence (a sentence opened by "so" is a request: "so can I get…").
            "so" if at
                .checked_sub(1)
                .is_some_and(|prior| self.tokens[prior].kind != Kind::Stop)
                && next.is_some_and(|next| {
                    !matches!(
                        next,
                        "much" | "many" | "far" | "long" | "please" | "pls" | "can"
                    )
                }) =>
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
                    && (word != "working" || matches!(next, Some("from" | "on" | "remotely"))) =>
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

    /// Whether the word at `at` can start a purpose clause after "to": a word that is no
    /// filler, access word, kind noun, resource name or person.
    pub(super) fn opens_purpose(&self, at: usize) -> bool {
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
