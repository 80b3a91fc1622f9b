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
    /// `,`, `:`, `(`, `)`, a dash between spaces: a pause inside a sentence.
    Pause,
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
        self.kind == Kind::Word && self.text == word
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

/// The tokens of `message`.
pub fn tokenize(message: &str) -> Vec<Token> {
    let message = truncate(message, MAX_MESSAGE_BYTES);
    let mut tokens = Vec::new();
    let mut chunk_start: Option<usize> = None;
    for (at, character) in message
        .char_indices()
        .chain(std::iter::once((message.len(), ' ')))
    {
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
    }
    tokens
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

/// Tokens of one whitespace-free chunk.
fn chunk(message: &str, start: usize, end: usize, tokens: &mut Vec<Token>) {
    let text = &message[start..end];
    if text.contains('@') {
        // Trim what surrounds an address in prose: "(support@contoso.com)," "<x@y>".
        let leading = text.len() - text.trim_start_matches(is_address_edge).len();
        let core = text.trim_matches(is_address_edge);
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
        if let Some(begun) = word_start.take() {
            tokens.push(Token {
                kind: Kind::Word,
                text: std::mem::take(&mut word),
                start: begun,
                end: at,
            });
        }
        if let Some(kind) = punctuation(character) {
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
        ',' | ':' | '(' | ')' | '[' | ']' | '—' | '–' => Some(Kind::Pause),
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
