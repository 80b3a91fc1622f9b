//! The people a message names: mentions, addresses, full and first names.

use super::*;

impl Parser<'_, '_> {
    /// Mentions before the first word address the message (to Doorman in a channel); they name
    /// nobody the request is for.
    pub(super) fn skip_addressee(&mut self) {
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
    pub(super) fn mentioned(&self, at: usize) -> Option<Named> {
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

    /// The people the message names, in order: addresses of tenant users (or of nobody), and
    /// full names ("Tom Becker"), or a first name right after "with", "for" or "to", or after a
    /// verb that hands something to someone ("let Kofi see", "give Kofi edit access"), each
    /// with the token that names them.
    pub(super) fn people(&mut self) -> Vec<(Named, usize)> {
        let mut named = Vec::new();
        for at in 0..self.tokens.len() {
            if self.used[at] {
                continue;
            }
            let token = &self.tokens[at];
            match token.kind {
                Kind::Mention => {
                    if let Some(person) = self.mentioned(at) {
                        named.push((person, at));
                    }
                    self.used[at] = true;
                }
                Kind::Address => {
                    if at.checked_sub(1).and_then(|prior| self.word_at(prior)) == Some("by") {
                        // "approved by maria@…": who said so, neither the resource nor `for`.
                        self.used[at] = true;
                        continue;
                    }
                    let address = token.text.clone();
                    let (local, domain) = address.split_once('@').unwrap_or((&address, ""));
                    if self.catalog.with_mail_local(local).next().is_some()
                        && self.catalog.person_by_address(&address).is_none()
                    {
                        continue; // a resource's address
                    }
                    if let Some(person) = self.catalog.person_by_address(&address) {
                        named.push((Named::Person(person.upn.clone()), at));
                        self.used[at] = true;
                    } else if !domain.is_empty() && domain.contains('.') {
                        named.push((Named::Address(address), at));
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
                        named.push((Named::Person(person.upn.clone()), at));
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
                    | "revoke"
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
            let mut matching = self.catalog.people_named(&[&first]);
            // "revoke Aisha's access to X" (tokenized "aishas"): the person is Aisha.
            if matching.is_empty() && matches!(after, "remove" | "revoke") {
                if let Some(stem) = first.strip_suffix('s').filter(|stem| stem.len() > 1) {
                    matching = self.catalog.people_named(&[stem]);
                }
            }
            if let [person] = matching.as_slice() {
                named.push((Named::Person(person.upn.clone()), at));
                self.used[at] = true;
            }
        }
        named
    }

    /// Whether the request's object is a pronoun for someone else: "add him to X", "give her
    /// access", "remove them from X".
    pub(super) fn points_back_at_someone(&self) -> bool {
        const VERBS: &[&str] = &[
            "add", "give", "grant", "remove", "put", "get", "let", "revoke",
        ];
        let pronoun = |word: &str| matches!(word, "him" | "her" | "them");
        self.words
            .windows(2)
            .any(|pair| VERBS.contains(&pair[0].as_str()) && pronoun(&pair[1]))
            // "please reset it for him", "can you unlock it for her".
            || self.words.windows(2).any(|pair| pair[0] == "for" && pronoun(&pair[1]))
    }

    /// Whether the person named at token `at` is context, not whom the request is for:
    /// "covering for Maria", "standing in for Kofi", "while Maria is out".
    pub(super) fn names_context(&self, at: usize) -> bool {
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
            // "approved by yusuf", "signed off by my manager": who said so, not who it is for.
            Some("while" | "replacing" | "from" | "by") => true,
            _ => false,
        }
    }

    /// The first address written, whoever's it is.
    pub(super) fn first_address(&self) -> Option<String> {
        self.tokens
            .iter()
            .find(|token| token.kind == Kind::Address)
            .map(|token| token.text.to_lowercase())
    }

    /// A colleague named by first name alone, anywhere ("can Priya see my calendar"): the one
    /// person of the tenant with that first name, other than the asker, when no resource's name
    /// uses the word. Only where the request must be about a person.
    /// A colleague named by first name as the one who needs the access: "tess needs edit on
    /// X", "I'd like Raj to be able to send on behalf of X". Marks the name used.
    pub(super) fn first_name_in_need(&mut self) -> Option<String> {
        // The request's own words: "…, because I need Tom to see it" names no beneficiary.
        let word_positions: Vec<usize> = (0..self.tokens.len())
            .filter(|&at| self.tokens[at].is_word() && !self.used[at] && !self.explaining[at])
            .collect();
        let text = |i: usize| -> Option<&str> {
            word_positions
                .get(i)
                .map(|&at| self.tokens[at].text.as_str())
        };
        // What follows says it is access the colleague needs, not something they are to do for
        // the asker ("I'd like Raj to approve it" names no beneficiary).
        const HAVING: &[&str] = &[
            "be", "have", "get", "access", "see", "view", "read", "edit", "send", "join", "use",
            "open", "upload", "write", "manage", "own",
        ];
        let having = |at: usize| text(at).is_some_and(|word| HAVING.contains(&word));
        // "connor needs the X group too, pls add him", "rosa needs X, I'm her manager"; not when
        // the asker asks for themselves ("connor needs the day off, add me to X to cover", "…,
        // and so do I") or for a removal ("…, remove me", "ben needs X revoked").
        let all = Words(&self.all_words);
        let asker_asks = ["add", "give", "grant", "get", "put", "let"]
            .iter()
            .any(|verb| all.has_seq(&[verb, "me"]))
            || all.has_seq(&["me", "too"])
            || all.has_seq(&["so", "do", "i"])
            || all.has_seq(&["i", "need"])
            || all.has_seq(&["i", "want"])
            || all.has_seq(&["id", "like"]);
        let removal = all.has_any(&[
            "remove", "removed", "revoke", "revoked", "off", "drop", "dropped", "take", "taken",
            "away", "gone",
        ]);
        let only_for_them = !asker_asks && !removal;
        let (at, upn) = (0..word_positions.len()).find_map(|i| {
            // "tess needs edit on X", "connor needs the X group too": what the colleague named
            // first needs is access, or the thing itself.
            let named_at = if i == 0
                && matches!(text(1), Some("needs" | "wants" | "requires"))
                && (having(2)
                    || (matches!(text(2), Some("the" | "a" | "an")) && only_for_them)
                    || (text(2) == Some("to") && having(3)))
            {
                0
            } else if matches!(text(i), Some("like" | "want" | "need"))
                && text(i + 2) == Some("to")
                && having(i + 3)
            {
                i + 1
            } else {
                return None;
            };
            let upn = self.colleague_by_first_name(text(named_at)?)?;
            Some((word_positions[named_at], upn))
        })?;
        self.used[at] = true;
        Some(upn)
    }

    /// The one colleague (never the asker) whose first name `word` is, when the word is no
    /// filler and names no resource. "Sarah's password" is tokenized "sarahs": the person is
    /// Sarah.
    fn colleague_by_first_name(&self, word: &str) -> Option<String> {
        if is_filler_word(word) || self.catalog.names_word(word) {
            return None;
        }
        let mut named = self.catalog.people_named(&[word]);
        if named.is_empty() {
            if let Some(stem) = word.strip_suffix('s').filter(|stem| stem.len() > 1) {
                named = self.catalog.people_named(&[stem]);
            }
        }
        match named.as_slice() {
            [person] if !person.upn.eq_ignore_ascii_case(self.asker.upn) => {
                Some(person.upn.clone())
            }
            _ => None,
        }
    }

    pub(super) fn lone_first_name(&mut self) -> Option<String> {
        let (at, upn) = (0..self.tokens.len()).find_map(|at| {
            if self.used[at] || !self.tokens[at].is_word() {
                return None;
            }
            let upn = self.colleague_by_first_name(&self.tokens[at].text)?;
            Some((at, upn))
        })?;
        self.used[at] = true;
        Some(upn)
    }
}
