//! The words the parser knows: cues for each action, access words, kind nouns and filler. Only
//! vocabulary lives here, never a resource's name: everything tenant-specific comes from the
//! catalog.

use std::sync::{LazyLock, OnceLock};

use foldhash::{HashMap, HashSet};

use crate::catalog::text;
use crate::domain::resource::ResourceKind;

use super::model::AccessWord;

/// The verbs that decide an action, which a slip of the keyboard must not turn into another
/// one ("remvoe me from X" is a removal, not a request for X), and the nouns that decide one as
/// much ("need acess to X", "forgot my pasword").
const DECIDING_VERBS: &[&str] = &[
    "remove",
    "revoke",
    "unlock",
    "reset",
    "forward",
    "unsubscribe",
    "access",
    "password",
];

/// The deciding verb `word` mistypes, if it does: two neighbouring letters swapped ("remvoe",
/// "rmeove"), one left out ("remve", "remov") or one doubled ("removve"). Only words of five
/// letters or more that keep the verb's first letter, so real words one slip away stay what
/// they are ("remote", "evoke", "rest"), and inflections are not slips ("removed", "resets").
pub fn mistyped_verb(word: &str) -> Option<&'static str> {
    if word.len() < 5 || !word.is_ascii() {
        return None;
    }
    DECIDING_VERBS
        .iter()
        .copied()
        .find(|verb| *verb != word && one_slip(word.as_bytes(), verb.as_bytes()))
}

fn one_slip(word: &[u8], verb: &[u8]) -> bool {
    if word.first() != verb.first() {
        return false;
    }
    match word.len().cmp(&verb.len()) {
        std::cmp::Ordering::Equal => swapped(word, verb),
        std::cmp::Ordering::Less => left_out(word, verb),
        std::cmp::Ordering::Greater => doubled(word, verb),
    }
}

/// `word` is `verb` with two neighbouring letters swapped.
fn swapped(word: &[u8], verb: &[u8]) -> bool {
    let differ: Vec<usize> = (0..word.len()).filter(|&at| word[at] != verb[at]).collect();
    matches!(differ.as_slice(), [first, second]
        if *second == first + 1 && word[*first] == verb[*second] && word[*second] == verb[*first])
}

/// `word` is `verb` with one letter (not the first) left out.
fn left_out(word: &[u8], verb: &[u8]) -> bool {
    word.len() + 1 == verb.len()
        && (1..verb.len()).any(|at| word[..at] == verb[..at] && word[at..] == verb[at + 1..])
}

/// `word` is `verb` with one letter typed twice.
fn doubled(word: &[u8], verb: &[u8]) -> bool {
    word.len() == verb.len() + 1
        && (1..word.len()).any(|at| {
            word[at] == word[at - 1] && word[..at] == verb[..at] && word[at + 1..] == verb[at..]
        })
}

/// The words of asking for something: a sentence holding one asks ("need", "add", "please"),
/// and a question holding one is a request put as a question ("what do I need to get into
/// X?"), not a question about something else.
pub const ASKING: &[&str] = &[
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
];

/// What people call their calendar.
pub const CALENDAR_NOUNS: &[&str] = &["calendar", "calender", "calendars", "diary", "agenda"];

/// A table of phrases, and the words its phrases start with: the parser asks of nearly every
/// word whether a phrase starts there, and most words start none, which one lookup says.
pub struct Phrases<T: 'static> {
    /// The phrases in the order they are tried: the first that matches is taken.
    pub table: &'static [(&'static [&'static str], T)],
    starts: OnceLock<HashSet<&'static str>>,
}

impl<T> Phrases<T> {
    const fn new(table: &'static [(&'static [&'static str], T)]) -> Self {
        Phrases {
            table,
            starts: OnceLock::new(),
        }
    }

    /// Whether some phrase of the table starts with `word`.
    pub fn may_start(&self, word: &str) -> bool {
        self.starts
            .get_or_init(|| {
                self.table
                    .iter()
                    .filter_map(|(phrase, _)| phrase.first().copied())
                    .collect()
            })
            .contains(word)
    }
}

/// Multi-word access phrases first, so "full control" wins over "control" and "send as" over
/// "as".
pub static ACCESS_PHRASES: Phrases<AccessWord> = Phrases::new(ACCESS_PHRASE_LIST);

/// Nouns that say which kind of resource is meant.
pub static KIND_PHRASES: Phrases<ResourceKind> = Phrases::new(KIND_PHRASE_LIST);

const ACCESS_PHRASE_LIST: &[(&[&str], AccessWord)] = &[
    (&["send", "on", "behalf"], AccessWord::SendOnBehalf),
    (&["on", "behalf"], AccessWord::SendOnBehalf),
    (&["send", "as"], AccessWord::SendAs),
    (&["send", "from"], AccessWord::SendAs),
    (&["reply", "from"], AccessWord::SendAs),
    (&["reply", "as"], AccessWord::SendAs),
    (&["send", "email", "as"], AccessWord::SendAs),
    (&["send", "emails", "as"], AccessWord::SendAs),
    (&["send", "mail", "as"], AccessWord::SendAs),
    (&["send", "email", "from"], AccessWord::SendAs),
    (&["send", "emails", "from"], AccessWord::SendAs),
    (&["sendas"], AccessWord::SendAs),
    // Exchange admins' shorthand.
    (&["sob"], AccessWord::SendOnBehalf),
    (&["full", "control"], AccessWord::Manage),
    (&["full", "access"], AccessWord::FullAccess),
    (&["free", "busy"], AccessWord::FreeBusy),
    (&["free", "or", "busy"], AccessWord::FreeBusy),
    (&["freebusy"], AccessWord::FreeBusy),
    (&["availability"], AccessWord::FreeBusy),
    (&["read", "only"], AccessWord::View),
    (&["readonly"], AccessWord::View),
    (&["look", "at"], AccessWord::View),
    (&["read"], AccessWord::View),
    (&["view"], AccessWord::View),
    (&["viewer"], AccessWord::View),
    (&["see"], AccessWord::View),
    (&["browse"], AccessWord::View),
    (&["reader"], AccessWord::View),
    (&["edit"], AccessWord::Edit),
    (&["editor"], AccessWord::Edit),
    (&["editing"], AccessWord::Edit),
    (&["upload"], AccessWord::Edit),
    (&["contribute"], AccessWord::Edit),
    (&["contributor"], AccessWord::Edit),
    (&["write"], AccessWord::Edit),
    (&["modify"], AccessWord::Edit),
    (&["manage"], AccessWord::Manage),
    (&["admin"], AccessWord::Manage),
    (&["admins"], AccessWord::Manage),
    (&["administrator"], AccessWord::Manage),
    (&["administer"], AccessWord::Manage),
    (&["owner"], AccessWord::Manage),
    (&["owners"], AccessWord::Manage),
    (&["ownership"], AccessWord::Manage),
    (&["own"], AccessWord::Manage),
];

const KIND_PHRASE_LIST: &[(&[&str], ResourceKind)] = &[
    (&["sharepoint", "site"], ResourceKind::Site),
    (&["sharepoint", "sites"], ResourceKind::Site),
    (&["document", "library"], ResourceKind::Library),
    (&["documents", "library"], ResourceKind::Library),
    (&["doc", "library"], ResourceKind::Library),
    (&["shared", "mailbox"], ResourceKind::Mailbox),
    (&["shared", "inbox"], ResourceKind::Mailbox),
    (&["private", "channel"], ResourceKind::Channel),
    (&["shared", "channel"], ResourceKind::Channel),
    (&["security", "group"], ResourceKind::Group),
    (&["m365", "group"], ResourceKind::Group),
    (&["office", "365", "group"], ResourceKind::Group),
    (&["microsoft", "365", "group"], ResourceKind::Group),
    (&["distribution", "list"], ResourceKind::DistributionList),
    (&["distribution", "group"], ResourceKind::DistributionList),
    (&["mailing", "list"], ResourceKind::DistributionList),
    (&["email", "list"], ResourceKind::DistributionList),
    (&["site"], ResourceKind::Site),
    (&["sites"], ResourceKind::Site),
    (&["sharepoint"], ResourceKind::Site),
    (&["library"], ResourceKind::Library),
    (&["folder"], ResourceKind::Library),
    (&["team"], ResourceKind::Team),
    // The app names the kind: "teams access for Field Ops", "add me to X in teams".
    (&["teams", "channel"], ResourceKind::Channel),
    (&["teams"], ResourceKind::Team),
    (&["channel"], ResourceKind::Channel),
    (&["group"], ResourceKind::Group),
    (&["mailbox"], ResourceKind::Mailbox),
    (&["inbox"], ResourceKind::Mailbox),
    (&["dl"], ResourceKind::DistributionList),
    (&["distro"], ResourceKind::DistributionList),
    (&["list"], ResourceKind::DistributionList),
    // A site's documents are its document library: "the Marketing documents", "upload to
    // X's files".
    (&["documents"], ResourceKind::Library),
    (&["document"], ResourceKind::Library),
    (&["docs"], ResourceKind::Library),
    (&["files"], ResourceKind::Library),
    (&["file"], ResourceKind::Library),
];

/// Whether a noun for `said` may still mean a resource of `kind`, and how strongly: people call
/// a Microsoft 365 group a team, a distribution list a group, a shared mailbox an inbox.
pub fn kind_affinity(said: ResourceKind, kind: ResourceKind) -> KindAffinity {
    use ResourceKind as K;
    if said == kind {
        return KindAffinity::Same;
    }
    match (said, kind) {
        (K::Team, K::Group)
        | (K::Group, K::Team)
        | (K::Group, K::DistributionList)
        | (K::DistributionList, K::Group)
        | (K::Mailbox, K::DistributionList)
        | (K::Site, K::Library) => KindAffinity::Loose,
        _ => KindAffinity::Other,
    }
}

/// How well a resource's kind fits the kind nouns of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindAffinity {
    Same,
    Loose,
    Other,
}

/// Words that never name anything: articles, pronouns, prepositions, politeness and the verbs
/// of asking. Dropped from the resource phrase.
pub const FILLER: &[&str] = &[
    "a",
    "an",
    "the",
    "to",
    "of",
    "for",
    "on",
    "in",
    "into",
    "onto",
    "at",
    "from",
    "with",
    "and",
    "or",
    "but",
    "i",
    "me",
    "my",
    "mine",
    "myself",
    "im",
    "ive",
    "id",
    "ill",
    "you",
    "your",
    "we",
    "us",
    "our",
    "it",
    "its",
    "is",
    "am",
    "are",
    "be",
    "been",
    "was",
    "were",
    "this",
    "that",
    "these",
    "those",
    "please",
    "pls",
    "plz",
    "kindly",
    "thanks",
    "thank",
    "thx",
    "ty",
    "cheers",
    "hi",
    "hello",
    "hey",
    "can",
    "could",
    "would",
    "will",
    "should",
    "may",
    "might",
    "do",
    "does",
    "did",
    "need",
    "needs",
    "needed",
    "want",
    "wants",
    "wanted",
    "like",
    "love",
    "get",
    "getting",
    "got",
    "give",
    "gives",
    "grant",
    "granted",
    "add",
    "added",
    "adding",
    "request",
    "requesting",
    "requested",
    "access",
    "accesses",
    "permission",
    "permissions",
    "perms",
    "right",
    "rights",
    "some",
    "any",
    "also",
    "just",
    "so",
    "there",
    "here",
    "whats",
    "what",
    "how",
    "when",
    "where",
    "who",
    "why",
    "which",
    "if",
    "then",
    "than",
    "them",
    "they",
    "he",
    "she",
    "his",
    "her",
    "lets",
    "let",
    "make",
    "allow",
    "able",
    "have",
    "has",
    "had",
    "help",
    "quick",
    "quickly",
    "asap",
    "urgent",
    "urgently",
    "possible",
    "set",
    "up",
    "via",
    "as",
    "by",
    "put",
    "join",
    "joining",
    "become",
    "again",
    "too",
    "now",
    "today",
    "remove",
    "revoke",
    "take",
    "off",
    "drop",
    "leave",
    "delete",
    "out",
    "no",
    "longer",
    "dont",
    "anymore",
    "enable",
    "provide",
    "assign",
    "assigned",
    "level",
    "role",
    "gain",
    "said",
    "says",
    "told",
    "should",
    "must",
    "ask",
    "asked",
    "asking",
    "more",
    // Hesitation, as dictated.
    "um",
    "umm",
    "uh",
    "uhh",
    "erm",
    "er",
    "hmm",
    // Chat spellings.
    "u",
    "ur",
    "teh",
    "hte",
    "ya",
];

/// [`FILLER`] as a set: the parser asks of nearly every word whether it is filler.
static FILLER_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| FILLER.iter().copied().collect());

/// The fillers of five letters or more, for [`near_filler`], each under itself and under every
/// string one byte shorter (its SymSpell deletions). A word one typo from a filler shares a key
/// with it: the word itself or one of its own deletions (a changed letter: both without it; an
/// added one: the word without it is the filler; a left-out one: the word is a deletion of the
/// filler; two swapped: the word without the first of the pair, the filler without the
/// second). Bytes, as [`text::within_one_edit`] counts edits in bytes.
static LONG_FILLER_KEYS: LazyLock<HashMap<Vec<u8>, Vec<&'static str>>> = LazyLock::new(|| {
    let mut keys: HashMap<Vec<u8>, Vec<&'static str>> = HashMap::default();
    for filler in FILLER.iter().filter(|filler| filler.len() >= 5) {
        let bytes = filler.as_bytes();
        let deletions = (0..bytes.len()).map(|at| [&bytes[..at], &bytes[at + 1..]].concat());
        for key in std::iter::once(bytes.to_vec()).chain(deletions) {
            let fillers = keys.entry(key).or_default();
            if !fillers.contains(filler) {
                fillers.push(filler);
            }
        }
    }
    keys
});

/// Whether `word` (lowercase) is one of the [`FILLER`] words.
pub fn is_filler_word(word: &str) -> bool {
    FILLER_SET.contains(word)
}

/// Whether `word` is one typo (a letter changed, added, left out, or two swapped) from a filler
/// of five letters or more ("plese", "thnaks").
pub fn near_filler(word: &str) -> bool {
    // Each filler sharing a key is a candidate, and the edit check decides.
    let near = |key: &[u8]| {
        LONG_FILLER_KEYS.get(key).is_some_and(|fillers| {
            fillers
                .iter()
                .any(|filler| text::within_one_edit(filler, word))
        })
    };
    let bytes = word.as_bytes();
    if near(bytes) {
        return true;
    }
    let mut key = Vec::with_capacity(bytes.len());
    (0..bytes.len()).any(|at| {
        key.clear();
        key.extend_from_slice(&bytes[..at]);
        key.extend_from_slice(&bytes[at + 1..]);
        near(&key)
    })
}

/// Words that may be filler or part of a name ("all-hands", "VPN Users", "Helpdesk Admins"):
/// they count only for entries whose name holds them.
pub const SOFT: &[&str] = &[
    // "could I be made an owner of…".
    "made",
    "all",
    "new",
    "member",
    "members",
    "membership",
    "user",
    "users",
    "app",
    "apps",
    "shared",
    "private",
    "security",
    "public",
    "doc",
    "docs",
    "documents",
    "files",
    "online",
    // Asking for more time on access one has: "my X access runs out tomorrow, can I keep it
    // another week", "can I get it extended".
    "keep",
    "extend",
    "extended",
    "extending",
    "extension",
    "another",
    "runs",
    "expires",
    "expiring",
    "ends",
    "soon",
    "tomorrow",
];

/// Openers of a clause or sentence that explains the request rather than makes it ("…, I'm
/// helping on the audit", "need to check the Q3 numbers", "covering the order desk").
pub const EXPLANATION_OPENERS: &[&str] = &[
    "need",
    "needed",
    "i",
    "im",
    "ive",
    "ill",
    "id",
    "we",
    "were",
    "weve",
    "it",
    "its",
    "for",
    "working",
    "helping",
    "covering",
    "have",
    "got",
    "my",
    "our",
    "because",
    "since",
    "cause",
    "as",
    "so",
    "this",
    "that",
    "reason",
    "justification",
    "context",
    "going",
    "trying",
    "doing",
    "preparing",
    "just",
    "he",
    "hes",
    "she",
    "shes",
    "they",
    "theyre",
    "starting",
    "started",
    "new",
    "moved",
    "moving",
    "joining",
    "joined",
    "want",
    "wanted",
];

/// Words for a person ("my contractor Jordan Lee", "a new colleague"): never a resource's
/// name unless the catalog says so.
pub const PERSON_NOUNS: &[&str] = &[
    "colleague",
    "colleagues",
    "coworker",
    "coworkers",
    "contractor",
    "contractors",
    "manager",
    "boss",
    "teammate",
    "intern",
    "assistant",
    "starter",
    "hire",
    "guy",
    "lady",
    "person",
    "someone",
    "somebody",
    "doorman",
    "bot",
];

/// Words that tell of someone other than the asker ("he's locked out", "our intern forgot the
/// password"): trouble they tell is not the asker's own.
pub const SOMEONE_ELSE: &[&str] = &[
    "his",
    "her",
    "their",
    "he",
    "she",
    "they",
    "hes",
    "shes",
    "theyre",
    "our",
    "colleague",
    "colleagues",
    "manager",
    "boss",
    "intern",
    "someone",
];

/// A sentence of nothing but these is politeness, not a reason.
pub const POLITENESS: &[&str] = &[
    "thanks",
    "thank",
    "you",
    "thx",
    "ty",
    "cheers",
    "please",
    "pls",
    "much",
    "appreciated",
    "a",
    "lot",
    "in",
    "advance",
    "so",
    "very",
    "regards",
    "best",
    "hi",
    "hello",
    "hey",
    "hiya",
    "good",
    "morning",
    "afternoon",
    "evening",
    "hope",
    "youre",
    "are",
    "is",
    "all",
    "well",
    "doing",
    "dear",
    "team",
    "there",
    "sorry",
    "to",
    "bother",
    "again",
    "quick",
    "question",
];

#[cfg(test)]
mod tests {
    use super::mistyped_verb;

    #[test]
    fn a_deciding_verb_mistyped_is_read_as_that_verb() {
        for (typed, meant) in [
            ("remvoe", "remove"),
            ("rmeove", "remove"),
            ("remov", "remove"),
            ("remve", "remove"),
            ("removve", "remove"),
            ("revkoe", "revoke"),
            ("unlcok", "unlock"),
            ("rest", ""),
            ("resett", "reset"),
            ("forwrad", "forward"),
            ("acess", "access"),
            ("accesss", "access"),
            ("pasword", "password"),
            ("passwrod", "password"),
        ] {
            assert_eq!(mistyped_verb(typed).unwrap_or_default(), meant, "{typed}");
        }
    }

    #[test]
    fn real_words_and_inflections_stay_what_they_are() {
        for word in [
            "remote",
            "removed",
            "removes",
            "remover",
            "evoke",
            "revoked",
            "resets",
            "preset",
            "forwards",
            "forwarded",
            "unlocks",
            "accent",
            "passwords",
            "remove",
            "reset",
        ] {
            assert_eq!(mistyped_verb(word), None, "{word}");
        }
    }
}
