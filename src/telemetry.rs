//! Logging setup: always to standard error (commands that answer in JSON own standard output),
//! as text or JSON lines, filtered by `RUST_LOG` (default `info`).
//!
//! Nothing here decides what is logged. The rule that no token, secret, password or message body
//! ever reaches a log line is kept where values are produced: secrets are wrapped in types whose
//! `Debug` is redacted, and spans record ids, never payloads.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Calling it again (as tests do) is harmless.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(in_colour())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Colour only for a person at a terminal who has not asked for none (`NO_COLOR`, set and not
/// empty): escape codes in a file or a journal are noise for whoever reads it, and styling every
/// span's fields costs each request its share.
fn in_colour() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// How many characters of an untrusted value a log line keeps.
const UNTRUSTED_KEPT: usize = 80;

/// A value that came from outside (a request's field, a peer's error message), made safe to log:
/// control characters (newlines above all, which would start a forged line in a text log) are
/// escaped as `\n`, `\u{1b}` and so on (the Unicode line and paragraph separators too), and only the first [`UNTRUSTED_KEPT`] characters are
/// kept, followed by how long the whole value was.
///
/// Log nothing that came from outside before the sender is authenticated; wrap what is logged
/// after in this.
pub fn untrusted(value: &str) -> Untrusted<'_> {
    Untrusted(value)
}

/// See [`untrusted`].
pub struct Untrusted<'a>(&'a str);

impl std::fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        for character in self.0.chars().take(UNTRUSTED_KEPT) {
            if character.is_control() || matches!(character, '\u{2028}' | '\u{2029}') {
                write!(f, "{}", character.escape_default())?;
            } else {
                f.write_char(character)?;
            }
        }
        if self.0.chars().nth(UNTRUSTED_KEPT).is_some() {
            write!(f, "… ({} bytes in all)", self.0.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::untrusted;

    #[test]
    fn an_untrusted_value_cannot_start_a_line_and_is_cut_short() {
        let forged = "message\n2026-01-01T00:00:00Z  INFO grant verified request=R-FAKE01";
        let logged = untrusted(forged).to_string();
        assert!(!logged.contains('\n'), "{logged}");
        assert!(logged.starts_with("message\\n2026"), "{logged}");
        let huge = "x".repeat(1_000_000);
        let logged = untrusted(&huge).to_string();
        assert!(logged.len() < 200, "{}", logged.len());
        assert!(logged.ends_with("(1000000 bytes in all)"), "{logged}");
        assert_eq!(untrusted("message").to_string(), "message");
        assert_eq!(untrusted("\u{1b}[31m").to_string(), "\\u{1b}[31m");
    }
}
