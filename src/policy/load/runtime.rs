//! The runtime layer's keys: the rate limit and the change window.

use toml_edit::{Item, TableLike};

use super::*;

impl Reader {
    pub(super) fn runtime(&mut self, table: &dyn TableLike) -> Runtime {
        let section = "[runtime]";
        self.unknown_keys(table, section, RUNTIME, "key");
        let max_requests_per_hour = self
            .value(table, "max_requests_per_hour", section)
            .and_then(|value| {
                match value
                    .as_integer()
                    .and_then(|count| u32::try_from(count).ok())
                    .filter(|count| *count > 0)
                {
                    Some(count) => Some(count),
                    None => {
                        self.problem(
                            value.span(),
                            "max_requests_per_hour",
                            section,
                            "must be a whole number greater than zero".into(),
                        );
                        None
                    }
                }
            });
        let change_window = table.get("change_window").and_then(|item| {
            let Some(window) = item.as_table_like() else {
                let span = table.key("change_window").and_then(|key| key.span());
                self.problem(
                    span,
                    "change_window",
                    section,
                    "must be a table: { days = \"Mon-Fri\", hours = \"07:00-19:00\", tz = \"Europe/London\", outside = \"deny\" }".into(),
                );
                return None;
            };
            self.change_window(window, table.key("change_window").and_then(|key| key.span()))
        });
        Runtime {
            max_requests_per_hour,
            change_window,
        }
    }

    pub(super) fn change_window(
        &mut self,
        window: &dyn TableLike,
        at: Span,
    ) -> Option<ChangeWindow> {
        let section = "[runtime] change_window";
        self.unknown_keys(window, section, WINDOW, "key");
        for key in ["days", "hours", "tz"] {
            if !window.contains_key(key) {
                self.problem(
                    at.clone(),
                    key,
                    section,
                    format!("change_window needs {key}"),
                );
            }
        }
        let days = self.string(window, "days", section).and_then(|(text, span)| match parse_days(&text) {
            Some(days) => Some(days),
            None => {
                self.problem(
                    span,
                    "days",
                    section,
                    format!("cannot read days \"{text}\"; write them like \"Mon-Fri\" or \"Mon,Wed,Fri\""),
                );
                None
            }
        });
        let hours =
            self.string(window, "hours", section)
                .and_then(|(text, span)| match parse_hours(&text) {
                    Some(hours) => Some(hours),
                    None => {
                        self.problem(
                            span,
                            "hours",
                            section,
                            format!(
                                "cannot read hours \"{text}\"; write them like \"07:00-19:00\""
                            ),
                        );
                        None
                    }
                });
        let tz = self.string(window, "tz", section).and_then(|(text, span)| match text.parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                self.problem(
                    span,
                    "tz",
                    section,
                    format!("unknown time zone \"{text}\"; use an IANA name such as \"Europe/London\""),
                );
                None
            }
        });
        let outside = match self.string(window, "outside", section) {
            None => Some(Outside::Deny),
            Some((text, span)) => match text.as_str() {
                "deny" => Some(Outside::Deny),
                "approve" => Some(Outside::Approve),
                _ => {
                    self.problem(
                        span,
                        "outside",
                        section,
                        format!("outside is \"deny\" or \"approve\", not \"{text}\""),
                    );
                    None
                }
            },
        };
        let ((start_minute, end_minute), days, tz, outside) = (hours?, days?, tz?, outside?);
        let text = [
            window
                .get("days")
                .and_then(Item::as_str)
                .unwrap_or_default(),
            window
                .get("hours")
                .and_then(Item::as_str)
                .unwrap_or_default(),
            window.get("tz").and_then(Item::as_str).unwrap_or_default(),
        ]
        .join(" ");
        Some(ChangeWindow {
            days,
            start_minute,
            end_minute,
            tz,
            outside,
            text,
        })
    }
}

/// `"Mon-Fri"`, `"Mon,Wed,Fri"`, `"Sat-Sun,Wed"`: Monday first; a range may wrap (`"Fri-Mon"`).
pub(super) fn parse_days(text: &str) -> Option<[bool; 7]> {
    let day = |name: &str| {
        name.trim()
            .parse::<Weekday>()
            .ok()
            .map(|day| day.num_days_from_monday() as usize)
    };
    let mut days = [false; 7];
    for part in text.split(',') {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (day(from)?, day(to)?);
                let mut at = from;
                loop {
                    days[at] = true;
                    if at == to {
                        break;
                    }
                    at = (at + 1) % 7;
                }
            }
            None => days[day(part)?] = true,
        }
    }
    Some(days)
}

/// `"07:00-19:00"` as minutes after midnight; `24:00` may end a window.
pub(super) fn parse_hours(text: &str) -> Option<(u32, u32)> {
    let minute = |time: &str| -> Option<u32> {
        let (hours, minutes) = time.trim().split_once(':')?;
        let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
        (minutes < 60 && (hours < 24 || (hours == 24 && minutes == 0)))
            .then_some(hours * 60 + minutes)
    };
    let (start, end) = text.split_once('-')?;
    let (start, end) = (minute(start)?, minute(end)?);
    (start != end && start < 24 * 60).then_some((start, end))
}
