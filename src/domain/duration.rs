//! Durations as Doorman's files write them: `<n>s|m|h|d|w` (`m` is minutes), such as `"90d"`,
//! `"4h"` or `"30m"`. One parser serves the config, the policy file and the approval timers, so
//! the same text means the same span everywhere.

use std::fmt;
use std::time::Duration;

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("empty duration")]
    Empty,
    #[error(
        "duration '{0}' must be a whole number followed by s, m, h, d or w (for example \"30d\")"
    )]
    Malformed(String),
    #[error("duration '{0}' must be greater than zero")]
    Zero(String),
    #[error("duration '{0}' is too long")]
    TooLong(String),
}

/// Parses `"<n><unit>"` where unit is `s`, `m` (minutes), `h`, `d` or `w`.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DurationError::Empty);
    }
    let malformed = || DurationError::Malformed(trimmed.to_owned());
    let split = trimmed.len() - 1;
    let number = trimmed.get(..split).ok_or_else(malformed)?;
    let unit = trimmed.get(split..).ok_or_else(malformed)?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let count: u64 = number.parse().map_err(|_| malformed())?;
    let unit_seconds: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(malformed()),
    };
    if count == 0 {
        return Err(DurationError::Zero(trimmed.to_owned()));
    }
    // A hundred years is far beyond any grant or timer; refusing more keeps arithmetic on
    // timestamps safe everywhere downstream.
    const MAX_SECONDS: u64 = 100 * 365 * 86_400;
    match count.checked_mul(unit_seconds) {
        Some(seconds) if seconds <= MAX_SECONDS => Ok(Duration::from_secs(seconds)),
        _ => Err(DurationError::TooLong(trimmed.to_owned())),
    }
}

/// Formats a span the way a person would write it: the largest unit that divides it exactly.
pub fn format_duration(span: Duration) -> String {
    DisplayDuration(span).to_string()
}

struct DisplayDuration(Duration);

impl fmt::Display for DisplayDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.0.as_secs();
        for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
            if seconds >= size && seconds % size == 0 {
                return write!(f, "{}{unit}", seconds / size);
            }
        }
        write!(f, "{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_parses_to_its_span() {
        let cases = [
            ("45s", 45),
            ("30m", 1_800),
            ("4h", 14_400),
            ("90d", 7_776_000),
            ("2w", 1_209_600),
            (" 1d ", 86_400),
        ];
        for (text, seconds) in cases {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(seconds)),
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_zero_and_huge_durations_are_refused() {
        for text in [
            "", "d", "10", "1.5d", "-1d", "1y", "1 d", "ten d", "１d", "d１", "é",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} should be refused");
        }
        assert_eq!(parse_duration("0d"), Err(DurationError::Zero("0d".into())));
        assert!(matches!(
            parse_duration("99999999999w"),
            Err(DurationError::TooLong(_))
        ));
    }

    #[test]
    fn formatting_uses_the_largest_exact_unit() {
        assert_eq!(format_duration(Duration::from_secs(1_209_600)), "2w");
        assert_eq!(format_duration(Duration::from_secs(90 * 86_400)), "90d");
        assert_eq!(format_duration(Duration::from_secs(5_400)), "90m");
        assert_eq!(format_duration(Duration::from_secs(61)), "61s");
    }
}
