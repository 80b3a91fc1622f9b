//! Cutting a chat message into tokens that remember where they came from, so the parser can
//! match phrases on normalised words and still quote the person's own words back (a reason, a
//! resource phrase).

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Letters and digits, lower-cased, apostrophes dropped ("can't" → "cant").
    Word,
    /// Something with an `@`: a mail address or its start (`support@`).
    Address,
    /// `.`, `?`, `!`, `;` or a line break: the end of a sentence.
    Stop,
    /// `,`, `:`, `(`, `)`, `…`, a dash between spaces: a pause inside a sentence.
    Pause,
    /// A chat mention: Teams `<at>Name</at>`, Slack `<@U123>` or `<@U123|name>`. The text is
    /// the name shown, lower case, or empty when the markup gives only an id.
    Mention,
}

/// One token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    /// Normalised text (lower case).
    pub text: String,
    /// Byte range in the original message.
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn is(&self, word: &str) -> bool {
        // The first letter first: the parser asks this of every word against whole tables of
        // phrases, and most entries differ there.
        self.kind == Kind::Word
            && self.text.as_bytes().first() == word.as_bytes().first()
            && self.text == word
    }

    pub fn is_word(&self) -> bool {
        self.kind == Kind::Word
    }

    pub fn is_break(&self) -> bool {
        matches!(self.kind, Kind::Stop | Kind::Pause)
    }
}

/// Longest message the parser reads; the rest is ignored (chat messages asking for access are
/// a sentence or two, and a bound keeps the work per message bounded).
pub const MAX_MESSAGE_BYTES: usize = 2_000;

/// The tokens of `message`. Chat markup is read for what it shows: a mention becomes one
/// [`Kind::Mention`], a Slack mail link (`<mailto:a@b|a@b>`) its address, a Slack link or channel
/// reference (`<https://…|label>`, `<#C123|name>`) its label.
pub fn tokenize(message: &str) -> Vec<Token> {
    let message = truncate(message, MAX_MESSAGE_BYTES);
    let mut tokens = Vec::new();
    let mut chunk_start: Option<usize> = None;
    let mut at = 0;
    while at <= message.len() {
        let character = message[at..].chars().next().unwrap_or(' ');
        if character == '<' {
            if let Some(markup) = markup(message, at) {
                if let Some(start) = chunk_start.take() {
                    chunk(message, start, at, &mut tokens);
                }
                markup.push_tokens(message, &mut tokens);
                at = markup.end;
                continue;
            }
        }
        if character.is_whitespace() {
            if let Some(start) = chunk_start.take() {
                chunk(message, start, at, &mut tokens);
            }
            if character == '\n'
                && !matches!(
                    tokens.last(),
                    Some(Token {
                        kind: Kind::Stop,
                        ..
                    })
                )
            {
                tokens.push(Token {
                    kind: Kind::Stop,
                    text: "\n".into(),
                    start: at,
                    end: at + 1,
                });
            }
        } else if chunk_start.is_none() {
            chunk_start = Some(at);
        }
        at += character.len_utf8();
    }
    tokens
}

/// Chat markup between `<` and `>`, as Teams and Slack put it in message text.
#[derive(Debug)]
struct Markup {
    /// What it stands for.
    shows: Shows,
    /// Byte just past the closing `>` (or `</at>`).
    end: usize,
}

#[derive(Debug)]
enum Shows {
    /// A mention; the name shown (a byte range), if any.
    Mention {
        start: usize,
        name: Option<(usize, usize)>,
    },
    /// A mail address (byte range of the address).
    Address(usize, usize),
    /// Text to read as ordinary words (byte range), maybe none.
    Label(Option<(usize, usize)>),
}

impl Markup {
    fn push_tokens(&self, message: &str, tokens: &mut Vec<Token>) {
        match self.shows {
            Shows::Mention { start, name } => tokens.push(Token {
                kind: Kind::Mention,
                text: name.map_or_else(String::new, |(from, to)| {
                    message[from..to]
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .to_lowercase()
                }),
                start,
                end: self.end,
            }),
            Shows::Address(from, to) => tokens.push(Token {
                kind: Kind::Address,
                text: message[from..to].to_lowercase(),
                start: from,
                end: to,
            }),
            Shows::Label(Some((from, to))) => {
                for (offset, piece) in message[from..to].split(' ').scan(from, |at, piece| {
                    let start = *at;
                    *at += piece.len() + 1;
                    Some((start, piece))
                }) {
                    if !piece.is_empty() {
                        chunk(message, offset, offset + piece.len(), tokens);
                    }
                }
            }
            Shows::Label(None) => {}
        }
    }
}

/// The markup starting at byte `at` (a `<`), if it is markup at all.
fn markup(message: &str, at: usize) -> Option<Markup> {
    let rest = &message[at..];
    if rest
        .get(..4)
        .is_some_and(|open| open.eq_ignore_ascii_case("<at>"))
    {
        let close = rest.to_ascii_lowercase().find("</at>")?;
        let name = (at + 4, at + close);
        let name = (!message[name.0..name.1].trim().is_empty()).then_some(name);
        return Some(Markup {
            shows: Shows::Mention { start: at, name },
            end: at + close + "</at>".len(),
        });
    }
    // Slack markup never spans lines or holds spaces before its `|`.
    let close = rest.find('>')?;
    let inner = &rest[1..close];
    if inner.is_empty() || inner.contains('\n') || inner.contains('<') {
        return None;
    }
    let (target, label) = match inner.split_once('|') {
        Some((target, label)) => (target, Some(label)),
        None => (inner, None),
    };
    if target.contains(char::is_whitespace) {
        return None;
    }
    let end = at + close + 1;
    let label_range = label.filter(|label| !label.trim().is_empty()).map(|label| {
        let from = at + 1 + target.len() + 1;
        (from, from + label.len())
    });
    let shows = if let Some(id) = target.strip_prefix('@') {
        if id.is_empty() || !id.chars().all(char::is_alphanumeric) {
            return None;
        }
        Shows::Mention {
            start: at,
            name: label_range,
        }
    } else if let Some(address) = target.strip_prefix("mailto:") {
        let from = at + 1 + "mailto:".len();
        if !address.contains('@') {
            return None;
        }
        Shows::Address(from, from + address.len())
    } else if target.contains("://") {
        // A link shows its label, or else the link itself, as Slack does.
        Shows::Label(label_range.or(Some((at + 1, at + 1 + target.len()))))
    } else if target.starts_with('#') || target.starts_with('!') {
        Shows::Label(label_range)
    } else {
        return None;
    };
    Some(Markup { shows, end })
}

fn truncate(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// An address without the possessive written after it ("kofi@fabrikam.net's password"): a
/// domain has no apostrophe.
fn without_possessive(address: &str) -> &str {
    ["'s", "\u{2019}s"]
        .iter()
        .find_map(|suffix| {
            address.strip_suffix(suffix).filter(|bare| {
                bare.rsplit_once('@')
                    .is_some_and(|(_, domain)| !domain.is_empty())
            })
        })
        .unwrap_or(address)
}

/// Tokens of one whitespace-free chunk.
fn chunk(message: &str, start: usize, end: usize, tokens: &mut Vec<Token>) {
    let text = &message[start..end];
    if text.contains('@') {
        // Trim what surrounds an address in prose: "(support@contoso.com)," "<x@y>".
        let leading = text.len() - text.trim_start_matches(is_address_edge).len();
        let core = without_possessive(text.trim_matches(is_address_edge));
        let core_start = start + leading;
        if core.contains('@') && core.chars().all(is_address_char) {
            push_punctuation(message, start, core_start, tokens);
            tokens.push(Token {
                kind: Kind::Address,
                text: core.to_lowercase(),
                start: core_start,
                end: core_start + core.len(),
            });
            push_punctuation(message, core_start + core.len(), end, tokens);
            return;
        }
    }
    if is_link(text) {
        // A link's dots, colons and slashes are not sentence breaks: its words stay one
        // clause ("edit on https://contoso.sharepoint.com/sites/Finance").
        let core = text.trim_end_matches(['.', ',', '!', '?', ')', ';', ':']);
        push_words(message, start, start + core.len(), tokens);
        push_punctuation(message, start + core.len(), end, tokens);
        return;
    }
    if let Some(length) = slash_date_length(text) {
        // "12/31", "31/12/2026": one word, read by the duration rules.
        tokens.push(Token {
            kind: Kind::Word,
            text: text[..length].to_owned(),
            start,
            end: start + length,
        });
        push_punctuation(message, start + length, end, tokens);
        return;
    }
    if text
        .chars()
        .all(|character| character == '-' || character == '—' || character == '–')
    {
        tokens.push(Token {
            kind: Kind::Pause,
            text: "-".into(),
            start,
            end,
        });
        return;
    }
    let mut word_start: Option<usize> = None;
    let mut word = String::new();
    let bytes_end = end;
    for (offset, character) in text.char_indices() {
        let at = start + offset;
        if character.is_alphanumeric() {
            if word_start.is_none() {
                word_start = Some(at);
            }
            word.extend(character.to_lowercase());
            continue;
        }
        let inside_word = word_start.is_some()
            && text[offset + character.len_utf8()..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric);
        if matches!(character, '\'' | '’') && inside_word {
            continue;
        }
        // "4.2", "olivia.brandt", "v1.3": a dot between letters or digits ends no sentence.
        let joined = inside_word && character == '.';
        if let Some(begun) = word_start.take() {
            tokens.push(Token {
                kind: Kind::Word,
                text: std::mem::take(&mut word),
                start: begun,
                end: at,
            });
        }
        if let Some(kind) = punctuation(character).filter(|_| !joined) {
            tokens.push(Token {
                kind,
                text: character.to_string(),
                start: at,
                end: at + character.len_utf8(),
            });
        }
    }
    if let Some(begun) = word_start {
        tokens.push(Token {
            kind: Kind::Word,
            text: word,
            start: begun,
            end: bytes_end,
        });
    }
}

/// Whether `text` is a web link.
fn is_link(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The alphanumeric runs of `message[start..end]` as words, with nothing between them.
fn push_words(message: &str, start: usize, end: usize, tokens: &mut Vec<Token>) {
    let text = &message[start..end];
    let mut word_start: Option<usize> = None;
    for (offset, character) in text.char_indices() {
        match (character.is_alphanumeric(), word_start) {
            (true, None) => word_start = Some(offset),
            (false, Some(begun)) => {
                tokens.push(Token {
                    kind: Kind::Word,
                    text: text[begun..offset].to_lowercase(),
                    start: start + begun,
                    end: start + offset,
                });
                word_start = None;
            }
            _ => {}
        }
    }
    if let Some(begun) = word_start {
        tokens.push(Token {
            kind: Kind::Word,
            text: text[begun..].to_lowercase(),
            start: start + begun,
            end,
        });
    }
}

/// The length of a numeric date written with slashes at the start of `text` ("12/31",
/// "4/1/27"), when only punctuation follows it.
fn slash_date_length(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut parts = 0;
    loop {
        let digits = bytes[at..]
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        if digits == 0 || digits > 4 || (parts < 2 && digits > 2) {
            return None;
        }
        at += digits;
        parts += 1;
        if parts == 3 || bytes.get(at) != Some(&b'/') {
            break;
        }
        at += 1;
    }
    let rest_is_punctuation = text[at..]
        .chars()
        .all(|character| !character.is_alphanumeric());
    (parts >= 2 && rest_is_punctuation).then_some(at)
}

fn push_punctuation(message: &str, start: usize, end: usize, tokens: &mut Vec<Token>) {
    for (offset, character) in message[start..end].char_indices() {
        if let Some(kind) = punctuation(character) {
            tokens.push(Token {
                kind,
                text: character.to_string(),
                start: start + offset,
                end: start + offset + character.len_utf8(),
            });
        }
    }
}

fn punctuation(character: char) -> Option<Kind> {
    match character {
        '.' | '?' | '!' | ';' => Some(Kind::Stop),
        ',' | ':' | '(' | ')' | '[' | ']' | '—' | '–' | '…' => Some(Kind::Pause),
        _ => None,
    }
}

fn is_address_char(character: char) -> bool {
    character.is_alphanumeric() || matches!(character, '@' | '.' | '_' | '-' | '+' | '\'' | '#')
}

fn is_address_edge(character: char) -> bool {
    !(character.is_alphanumeric() || character == '@')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(message: &str) -> Vec<String> {
        tokenize(message)
            .into_iter()
            .map(|token| token.text)
            .collect()
    }

    #[test]
    fn a_link_is_words_without_breaks() {
        let tokens = tokenize("edit on https://contoso.sharepoint.com/sites/Finance. thanks");
        let kinds: Vec<Kind> = tokens.iter().map(|token| token.kind).collect();
        assert_eq!(
            texts("edit on https://contoso.sharepoint.com/sites/Finance. thanks"),
            [
                "edit",
                "on",
                "https",
                "contoso",
                "sharepoint",
                "com",
                "sites",
                "finance",
                ".",
                "thanks"
            ]
        );
        assert_eq!(
            kinds.iter().filter(|kind| **kind == Kind::Stop).count(),
            1,
            "only the sentence's own full stop: {kinds:?}"
        );
    }

    #[test]
    fn words_addresses_and_breaks() {
        assert_eq!(
            texts("Can't log in? Send As on (support@contoso.com), pls"),
            [
                "cant",
                "log",
                "in",
                "?",
                "send",
                "as",
                "on",
                "(",
                "support@contoso.com",
                ")",
                ",",
                "pls"
            ]
        );
        assert_eq!(
            texts("add me to the support@ shared mailbox"),
            ["add", "me", "to", "the", "support@", "shared", "mailbox"]
        );
        assert_eq!(
            texts("GRP-FINANCE-BI-READ"),
            ["grp", "finance", "bi", "read"]
        );
        assert_eq!(texts("read-only - thanks"), ["read", "only", "-", "thanks"]);
        assert_eq!(texts("I'm on leave"), ["im", "on", "leave"]);
        assert_eq!(texts("until 12/31."), ["until", "12/31", "."]);
        assert_eq!(texts("1/2/2027"), ["1/2/2027"]);
        assert_eq!(texts("free/busy 24/7x"), ["free", "busy", "24", "7x"]);
        // A `<` before a character of several bytes is not cut inside it.
        assert_eq!(texts("<a\u{cdd}"), ["a\u{cdd}"]);
    }

    #[test]
    fn chat_markup_is_read_for_what_it_shows() {
        let tokens = tokenize("<at>Doorman</at> add <at>Lena  Fischer</at> to X");
        assert_eq!(tokens[0].kind, Kind::Mention);
        assert_eq!(tokens[0].text, "doorman");
        assert_eq!(tokens[2].kind, Kind::Mention);
        assert_eq!(tokens[2].text, "lena fischer");
        assert_eq!(texts("<@U04TOM> hi <@U05X|priya>"), ["", "hi", "priya"]);
        assert_eq!(
            texts("send from <mailto:sales@contoso.com|sales@contoso.com> pls"),
            ["send", "from", "sales@contoso.com", "pls"]
        );
        assert_eq!(
            texts("see <https://x.example/a|the wiki> and <#C1|incidents>"),
            ["see", "the", "wiki", "and", "incidents"]
        );
        // Not markup: kept as text.
        assert_eq!(texts("a < b > c"), ["a", "b", "c"]);
        assert_eq!(texts("<kofi@fabrikam.net>"), ["kofi@fabrikam.net"]);
        assert_eq!(texts("<at>unclosed"), ["at", "unclosed"]);
    }

    #[test]
    fn tokens_point_back_into_the_message() {
        let message = "need it for the Q3 audit";
        let tokens = tokenize(message);
        let q3 = tokens.iter().find(|token| token.text == "q3").expect("q3");
        assert_eq!(&message[q3.start..q3.end], "Q3");
        let long = "é".repeat(5_000);
        assert!(
            tokenize(&long)
                .iter()
                .all(|token| token.end <= MAX_MESSAGE_BYTES)
        );
    }
}
