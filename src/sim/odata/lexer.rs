//! Tokens of a `$filter` expression.
//!
//! The lexer classifies literals (strings, numbers, GUIDs, date-times) and leaves every word to the
//! parser, because OData keywords such as `eq` or `and` are only keywords by position and are
//! compared case-insensitively there. Positions count characters, not bytes, so error messages
//! point at what a person sees.

use chrono::{DateTime, FixedOffset};

/// One token and the character position it starts at.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub(super) kind: TokenKind,
    pub(super) position: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind {
    OpenParenthesis,
    CloseParenthesis,
    Comma,
    Colon,
    Slash,
    /// An identifier, keyword, type name (`microsoft.graph.user`) or `$count`.
    Word(String),
    /// A quoted string with `''` already unescaped.
    Text(String),
    Integer(i64),
    Decimal(f64),
    Guid(String),
    DateTime(DateTime<FixedOffset>),
    End,
}

/// A lexing failure, turned into `QueryError::InvalidFilter` by the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LexError {
    pub(super) detail: String,
    pub(super) position: usize,
}

/// Splits `clause` into tokens, always ending with `TokenKind::End`.
pub(super) fn tokenize(clause: &str) -> Result<Vec<Token>, LexError> {
    let characters: Vec<char> = clause.chars().collect();
    let mut lexer = Lexer {
        characters: &characters,
        cursor: 0,
    };
    let mut tokens = Vec::new();
    loop {
        let token = lexer.next_token()?;
        let finished = token.kind == TokenKind::End;
        tokens.push(token);
        if finished {
            return Ok(tokens);
        }
    }
}

/// True for characters that may continue an identifier; dots allow namespaced type casts.
pub(super) fn is_identifier_continuation(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '_' || character == '.'
}

struct Lexer<'a> {
    characters: &'a [char],
    cursor: usize,
}

impl Lexer<'_> {
    fn next_token(&mut self) -> Result<Token, LexError> {
        while self.peek(0).is_some_and(char::is_whitespace) {
            self.cursor += 1;
        }
        let position = self.cursor;
        let Some(character) = self.peek(0) else {
            return Ok(Token {
                kind: TokenKind::End,
                position,
            });
        };
        let punctuation = match character {
            '(' => Some(TokenKind::OpenParenthesis),
            ')' => Some(TokenKind::CloseParenthesis),
            ',' => Some(TokenKind::Comma),
            ':' => Some(TokenKind::Colon),
            '/' => Some(TokenKind::Slash),
            _ => None,
        };
        let kind = if let Some(kind) = punctuation {
            self.cursor += 1;
            kind
        } else if character == '\'' {
            self.quoted_text()?
        } else if let Some(guid) = self.guid() {
            guid
        } else if self.looks_like_date_time() {
            self.date_time()?
        } else if character.is_ascii_digit()
            || (character == '-' && self.peek(1).is_some_and(|next| next.is_ascii_digit()))
        {
            self.number()?
        } else if character.is_ascii_alphabetic() || character == '_' || character == '$' {
            self.word()
        } else {
            return Err(LexError {
                detail: format!("unexpected character '{character}'"),
                position,
            });
        };
        Ok(Token { kind, position })
    }

    fn peek(&self, offset: usize) -> Option<char> {
        self.characters.get(self.cursor + offset).copied()
    }

    fn quoted_text(&mut self) -> Result<TokenKind, LexError> {
        let opening = self.cursor;
        self.cursor += 1;
        let mut text = String::new();
        loop {
            match self.peek(0) {
                None => {
                    return Err(LexError {
                        detail: "unterminated string literal".to_owned(),
                        position: opening,
                    });
                }
                // OData escapes a quote inside a string by doubling it.
                Some('\'') if self.peek(1) == Some('\'') => {
                    text.push('\'');
                    self.cursor += 2;
                }
                Some('\'') => {
                    self.cursor += 1;
                    return Ok(TokenKind::Text(text));
                }
                Some(character) => {
                    text.push(character);
                    self.cursor += 1;
                }
            }
        }
    }

    /// Recognises a bare GUID, which may start with a letter or a digit.
    fn guid(&mut self) -> Option<TokenKind> {
        const GROUP_LENGTHS: [usize; 5] = [8, 4, 4, 4, 12];
        let mut offset = 0;
        for (group, length) in GROUP_LENGTHS.iter().enumerate() {
            if group > 0 {
                if self.peek(offset) != Some('-') {
                    return None;
                }
                offset += 1;
            }
            for _ in 0..*length {
                if !self
                    .peek(offset)
                    .is_some_and(|digit| digit.is_ascii_hexdigit())
                {
                    return None;
                }
                offset += 1;
            }
        }
        if self.peek(offset).is_some_and(is_identifier_continuation) {
            return None;
        }
        let guid: String = self.characters[self.cursor..self.cursor + offset]
            .iter()
            .collect();
        self.cursor += offset;
        Some(TokenKind::Guid(guid))
    }

    /// A date-time starts with a four-digit year and a dash, which no number can.
    fn looks_like_date_time(&self) -> bool {
        (0..4).all(|offset| {
            self.peek(offset)
                .is_some_and(|digit| digit.is_ascii_digit())
        }) && self.peek(4) == Some('-')
    }

    fn date_time(&mut self) -> Result<TokenKind, LexError> {
        let start = self.cursor;
        while self.peek(0).is_some_and(|character| {
            character.is_ascii_alphanumeric() || matches!(character, '-' | ':' | '.' | '+')
        }) {
            self.cursor += 1;
        }
        let text: String = self.characters[start..self.cursor].iter().collect();
        DateTime::parse_from_rfc3339(&text)
            .map(TokenKind::DateTime)
            .map_err(|_| LexError {
                detail: format!("'{text}' is not a valid date-time, expected RFC 3339 such as 2024-01-01T00:00:00Z"),
                position: start,
            })
    }

    fn number(&mut self) -> Result<TokenKind, LexError> {
        let start = self.cursor;
        if self.peek(0) == Some('-') {
            self.cursor += 1;
        }
        self.skip_digits();
        let mut is_decimal = false;
        if self.peek(0) == Some('.') && self.peek(1).is_some_and(|digit| digit.is_ascii_digit()) {
            is_decimal = true;
            self.cursor += 1;
            self.skip_digits();
        }
        if matches!(self.peek(0), Some('e' | 'E')) {
            let sign = usize::from(matches!(self.peek(1), Some('+' | '-')));
            if self
                .peek(1 + sign)
                .is_some_and(|digit| digit.is_ascii_digit())
            {
                is_decimal = true;
                self.cursor += 1 + sign;
                self.skip_digits();
            }
        }
        // A number running into letters, as in `12ab`, is reported whole.
        let malformed = self.peek(0).is_some_and(is_identifier_continuation);
        while self.peek(0).is_some_and(is_identifier_continuation) {
            self.cursor += 1;
        }
        let text: String = self.characters[start..self.cursor].iter().collect();
        let invalid = || LexError {
            detail: format!("'{text}' is not a valid number"),
            position: start,
        };
        if malformed {
            return Err(invalid());
        }
        if is_decimal {
            text.parse::<f64>()
                .ok()
                .filter(|value| value.is_finite())
                .map(TokenKind::Decimal)
                .ok_or_else(invalid)
        } else {
            text.parse::<i64>()
                .map(TokenKind::Integer)
                .map_err(|_| invalid())
        }
    }

    fn skip_digits(&mut self) {
        while self.peek(0).is_some_and(|digit| digit.is_ascii_digit()) {
            self.cursor += 1;
        }
    }

    fn word(&mut self) -> TokenKind {
        let start = self.cursor;
        self.cursor += 1;
        while self.peek(0).is_some_and(is_identifier_continuation) {
            self.cursor += 1;
        }
        TokenKind::Word(self.characters[start..self.cursor].iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(clause: &str) -> Vec<TokenKind> {
        match tokenize(clause) {
            Ok(tokens) => tokens.into_iter().map(|token| token.kind).collect(),
            Err(error) => panic!("{clause}: {error:?}"),
        }
    }

    #[test]
    fn literals_are_classified_by_shape() {
        let guid = "73761f06-2ac9-469c-9f10-279a8cc267f9";
        let cases: Vec<(&str, TokenKind)> = vec![
            ("'o''brien'", TokenKind::Text("o'brien".to_owned())),
            ("''", TokenKind::Text(String::new())),
            ("42", TokenKind::Integer(42)),
            ("-7", TokenKind::Integer(-7)),
            ("2.5", TokenKind::Decimal(2.5)),
            ("1e3", TokenKind::Decimal(1000.0)),
            (guid, TokenKind::Guid(guid.to_owned())),
            (
                "abcdef01-2345-6789-abcd-ef0123456789",
                TokenKind::Guid("abcdef01-2345-6789-abcd-ef0123456789".to_owned()),
            ),
            (
                "microsoft.graph.user",
                TokenKind::Word("microsoft.graph.user".to_owned()),
            ),
            ("$count", TokenKind::Word("$count".to_owned())),
        ];
        for (clause, expected) in cases {
            assert_eq!(kinds(clause), vec![expected, TokenKind::End], "{clause}");
        }
        let instant = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").ok();
        assert_eq!(
            kinds("2024-01-01T00:00:00Z").first().cloned(),
            instant.map(TokenKind::DateTime)
        );
    }

    #[test]
    fn malformed_literals_report_where_they_start() {
        let cases = [
            ("a eq 'open", 5, "unterminated string literal"),
            ("a eq 12ab", 5, "'12ab' is not a valid number"),
            (
                "a eq 99999999999999999999",
                5,
                "'99999999999999999999' is not a valid number",
            ),
            (
                "a eq 2024-13-01",
                5,
                "'2024-13-01' is not a valid date-time",
            ),
            ("a eq #", 5, "unexpected character '#'"),
        ];
        for (clause, position, detail) in cases {
            match tokenize(clause) {
                Err(error) => {
                    assert_eq!(error.position, position, "{clause}");
                    assert!(
                        error.detail.starts_with(detail),
                        "{clause}: {}",
                        error.detail
                    );
                }
                Ok(tokens) => panic!("{clause} lexed as {tokens:?}"),
            }
        }
    }
}
