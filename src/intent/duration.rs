//! How long: "for 2 weeks", "for 30 minutes", "until Friday", "through end of month",
//! "till 2026-12-01", "for the rest of the day". A span ends at a moment; a date means the end of
//! that day (UTC, since chat gives no time zone for a person). Everything relative is measured
//! from `now`, which the caller passes, so the parser stays a pure function.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};

use super::tokens::Token;

/// A duration found in the message: the tokens it used and its length in seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Token range `[start, end)`.
    pub start: usize,
    pub end: usize,
    pub seconds: u64,
}

/// The first duration in `tokens`.
pub fn find(tokens: &[Token], now: DateTime<Utc>) -> Option<Found> {
    // A span said with its cue ("for 2 weeks", "until friday") wins over a bare "next week"
    // said earlier, which is more often when something happens ("I'm covering for Priya
    // next week. Could you … until friday?").
    let said = |cued: bool| {
        (0..tokens.len())
            .filter(|&at| {
                let bare = tokens.get(at).is_some_and(|token| {
                    matches!(token.text.as_str(), "next" | "another" | "additional")
                });
                bare != cued
            })
            .find_map(|at| at_position(tokens, at, now))
    };
    said(true).or_else(|| said(false))
}

fn at_position(tokens: &[Token], at: usize, now: DateTime<Utc>) -> Option<Found> {
    let word = |offset: usize| -> Option<&str> {
        tokens
            .get(at + offset)
            .filter(|token| token.is_word())
            .map(|token| token.text.as_str())
    };
    let first = word(0)?;
    match first {
        "for" | "over" | "during" => {
            let mut next = 1;
            // "for like two weeks", "for about 3 days": a span said loosely is still a span.
            if matches!(
                word(next),
                Some(
                    "like" | "about" | "around" | "roughly" | "approximately" | "approx" | "maybe"
                )
            ) {
                next += 1;
            }
            if word(next) == Some("the") {
                next += 1;
            }
            let counted = matches!(word(next), Some("next" | "coming" | "another"));
            if counted {
                next += 1;
            }
            let amount = amount(tokens, at + next)
                .or_else(|| counted.then(|| one_unit(tokens, at + next)).flatten());
            if let Some((used, seconds)) = amount {
                return found(at, at + next + used, seconds);
            }
            // "for the rest of the day|week|month", "for the day", "for today".
            let mut rest = 1;
            if word(rest) == Some("the") {
                rest += 1;
            }
            if word(rest) == Some("rest") && word(rest + 1) == Some("of") {
                rest += 2;
                if word(rest) == Some("the") {
                    rest += 1;
                }
                let end = period_end(word(rest)?, now)?;
                return until(at, at + rest + 1, now, end);
            }
            if word(1) == Some("today") || (word(1) == Some("the") && word(2) == Some("day")) {
                let used = if word(1) == Some("today") { 2 } else { 3 };
                return until(at, at + used, now, end_of_day(now.date_naive()));
            }
            None
        }
        // "the next 3 days", "another week": a span. A bare "next week" is when something
        // happens ("joining the rotation next week"), not how long access lasts.
        "next" => {
            let (used, seconds) = amount(tokens, at + 1)?;
            found(at, at + 1 + used, seconds)
        }
        "another" | "additional" => {
            let (used, seconds) = amount(tokens, at + 1).or_else(|| one_unit(tokens, at + 1))?;
            found(at, at + 1 + used, seconds)
        }
        "until" | "till" | "til" | "through" | "thru" | "by" | "to" => {
            let mut next = 1;
            if word(next) == Some("the") {
                next += 1;
            }
            let loose = first != "to" && first != "by";
            // "till I'm back on monday": the moment after saying who comes back.
            if loose && matches!(word(next), Some("im" | "i" | "we" | "were")) {
                let back = (next..next + 4)
                    .find(|offset| matches!(word(*offset), Some("back" | "return" | "returns")))?;
                next = back + 1;
                if matches!(word(next), Some("on" | "in" | "at")) {
                    next += 1;
                }
                if word(next) == Some("the") {
                    next += 1;
                }
            }
            let (used, end) = moment(tokens, at + next, now, loose)?;
            until(at, at + next + used, now, end)
        }
        "today" if word(1) == Some("only") => until(at, at + 2, now, end_of_day(now.date_naive())),
        "temporarily" | "temporary" => None,
        _ => {
            // A bare amount with digits ("2 weeks", "30m"), or any amount of more time ("can I
            // have a few more days", "one more week").
            let token = tokens.get(at)?;
            let more_time = (1..=3).any(|offset| more(tokens, at + offset));
            if !more_time
                && !token
                    .text
                    .starts_with(|character: char| character.is_ascii_digit())
            {
                return None;
            }
            let (used, seconds) = amount(tokens, at)?;
            found(at, at + used, seconds)
        }
    }
}

fn found(start: usize, end: usize, seconds: u64) -> Option<Found> {
    (seconds > 0).then_some(Found {
        start,
        end,
        seconds,
    })
}

fn until(start: usize, end: usize, now: DateTime<Utc>, moment: DateTime<Utc>) -> Option<Found> {
    let seconds = (moment - now).num_seconds();
    found(start, end, u64::try_from(seconds).ok()?)
}

/// `<number> <unit>` or `<number><unit>` at `at`: how many tokens and how many seconds.
fn amount(tokens: &[Token], at: usize) -> Option<(usize, u64)> {
    let token = tokens.get(at).filter(|token| token.is_word())?;
    let next = tokens
        .get(at + 1)
        .filter(|token| token.is_word())
        .map(|token| token.text.as_str());
    // "30m", "2w", "4h", "90d".
    if let Some(split) = token
        .text
        .find(|character: char| !character.is_ascii_digit())
    {
        if split > 0 {
            let count: u64 = token.text[..split].parse().ok()?;
            let unit = unit_seconds(&token.text[split..])?;
            return Some((1, count.checked_mul(unit)?));
        }
    }
    // "half an hour", "half a day".
    if token.text == "half" && matches!(next, Some("a" | "an")) {
        let unit = unit_seconds(tokens.get(at + 2)?.text.as_str())?;
        return Some((3, unit / 2));
    }
    // "a couple of days", "a few hours".
    if matches!(token.text.as_str(), "a" | "an") && matches!(next, Some("couple" | "few")) {
        let (used, seconds) = amount(tokens, at + 1)?;
        return Some((used + 1, seconds));
    }
    let (count, used) = match token.text.as_str() {
        "a" | "an" | "one" => (1, 1),
        "couple" if next == Some("of") => (2, 2),
        "couple" => (2, 1),
        "few" => (3, 1),
        text => (number(text)?, 1),
    };
    // "2 more weeks", "a couple extra days": more of the same span.
    let used = used + usize::from(more(tokens, at + used));
    let unit_token = tokens.get(at + used).filter(|token| token.is_word())?;
    let unit = unit_seconds(&unit_token.text)?;
    Some((used + 1, count.checked_mul(unit)?))
}

/// Whether the word at `at` asks for more of a span: "2 *more* weeks", "3 *extra* days".
fn more(tokens: &[Token], at: usize) -> bool {
    tokens
        .get(at)
        .filter(|token| token.is_word())
        .is_some_and(|token| matches!(token.text.as_str(), "more" | "extra" | "additional"))
}

/// A unit alone after "next" or "another": "next week" is one week.
fn one_unit(tokens: &[Token], at: usize) -> Option<(usize, u64)> {
    let token = tokens.get(at).filter(|token| token.is_word())?;
    Some((1, unit_seconds(&token.text)?))
}

fn number(text: &str) -> Option<u64> {
    let value = match text {
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "fifteen" => 15,
        "twenty" => 20,
        "thirty" => 30,
        "ninety" => 90,
        digits => {
            if digits.len() > 6 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
                return None;
            }
            digits.parse().ok()?
        }
    };
    Some(value)
}

fn unit_seconds(unit: &str) -> Option<u64> {
    Some(match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
        "d" | "day" | "days" => 86_400,
        "w" | "wk" | "wks" | "week" | "weeks" => 604_800,
        "fortnight" | "fortnights" => 1_209_600,
        "month" | "months" => 30 * 86_400,
        "quarter" | "quarters" => 91 * 86_400,
        "y" | "yr" | "year" | "years" => 365 * 86_400,
        _ => return None,
    })
}

/// A moment at `at` ("friday", "end of month", "tomorrow", "2026-12-01", "dec 5"): how many
/// tokens it used and when it is. `loose` admits forms that read oddly after "to"/"by".
fn moment(
    tokens: &[Token],
    at: usize,
    now: DateTime<Utc>,
    loose: bool,
) -> Option<(usize, DateTime<Utc>)> {
    let word = |offset: usize| -> Option<&str> {
        tokens
            .get(at + offset)
            .filter(|token| token.is_word())
            .map(|token| token.text.as_str())
    };
    let today = now.date_naive();
    let first = word(0)?;
    match first {
        // "EOD tomorrow", "cob friday": the end of that day.
        "eod" | "cob" | "eob" => {
            return Some(match moment(tokens, at + 1, now, loose) {
                Some((used, end)) => (used + 1, end),
                None => (1, end_of_day(today)),
            });
        }
        "today" | "tonight" => return Some((1, end_of_day(today))),
        "tomorrow" => return Some((1, end_of_day(today.succ_opt()?))),
        "eow" => return Some((1, period_end("week", now)?)),
        "eom" => return Some((1, period_end("month", now)?)),
        "end" => {
            let mut next = 1;
            if word(next) == Some("of") {
                next += 1;
            }
            if matches!(word(next), Some("the" | "this")) {
                next += 1;
            }
            // "end of next week": the end of the period after this one.
            if word(next) == Some("next") {
                let period = word(next + 1)?;
                let this_end = period_end(period, now)?;
                return Some((next + 2, period_end(period, this_end + Duration::days(1))?));
            }
            // "end of april": the last day of that month, this year or next.
            if let Some(month) = word(next).and_then(month) {
                let year = if month < today.month() {
                    today.year() + 1
                } else {
                    today.year()
                };
                return Some((next + 1, end_of_day(last_of_month(year, month)?)));
            }
            return Some((next + 1, period_end(word(next)?, now)?));
        }
        "next" => {
            let day = weekday(word(1)?)?;
            let ahead = days_until(today.weekday(), day);
            let date = today + Duration::days(i64::from(if ahead == 0 { 7 } else { ahead }));
            return Some((2, end_of_day(date)));
        }
        _ => {}
    }
    if let Some(day) = weekday(first) {
        if !loose && word(1).is_some_and(|next| next == "morning") {
            return None;
        }
        let date = today + Duration::days(i64::from(days_until(today.weekday(), day)));
        return Some((1, end_of_day(date)));
    }
    if let Some((used, moment)) = time_of_day(tokens, at, now) {
        return Some((used, moment));
    }
    if let Some(date) = slash_date(first, today) {
        return Some((1, end_of_day(date)));
    }
    // 2026-12-01 (split into three numbers by the tokenizer).
    if let (Some(year), Some(month), Some(day)) = (
        first
            .parse::<i32>()
            .ok()
            .filter(|year| (2000..3000).contains(year)),
        word(1).and_then(|month| month.parse::<u32>().ok()),
        word(2).and_then(|day| day.parse::<u32>().ok()),
    ) {
        return Some((3, end_of_day(NaiveDate::from_ymd_opt(year, month, day)?)));
    }
    // "dec 5", "december 5th"; "5 december", "5th of december".
    if let Some(month) = month(first) {
        let day = ordinal(word(1)?)?;
        return Some((2, end_of_day(next_date(today, month, day)?)));
    }
    if let Some(day) = ordinal(first) {
        let skip = usize::from(word(1) == Some("of"));
        if let Some(month) = word(1 + skip).and_then(month) {
            return Some((2 + skip, end_of_day(next_date(today, month, day)?)));
        }
        // "until the 4th": that day of this month, or of the next when it has passed. Only
        // with an ordinal suffix, so a bare number is never read as a date.
        if first.ends_with(|character: char| character.is_ascii_alphabetic()) {
            return Some((1, end_of_day(next_day_of_month(today, day)?)));
        }
    }
    None
}

/// "6pm", "6 pm", "18:00", "5:30pm", "noon": today at that time (UTC, as for dates), or
/// tomorrow when it has passed.
fn time_of_day(tokens: &[Token], at: usize, now: DateTime<Utc>) -> Option<(usize, DateTime<Utc>)> {
    let text = |offset: usize| tokens.get(at + offset).map(|token| token.text.as_str());
    let first = text(0)?;
    let (hour, minute, used) = if matches!(first, "noon" | "midday") {
        (12, 0, 1)
    } else if let Some(hour) = first
        .strip_suffix("am")
        .or_else(|| first.strip_suffix("pm"))
        .and_then(|digits| digits.parse::<u32>().ok())
    {
        (twelve_hour(hour, first.ends_with("pm"))?, 0, 1)
    } else {
        let hour: u32 = first.parse().ok().filter(|_| first.len() <= 2)?;
        match (text(1), text(2), text(3)) {
            (Some(":"), Some(minutes), meridiem) if minutes.len() == 2 => {
                let (minute, suffix) = match minutes.parse::<u32>() {
                    Ok(minute) => (minute, meridiem.filter(|m| matches!(*m, "am" | "pm"))),
                    Err(_) => return None,
                };
                match suffix {
                    Some(suffix) => (twelve_hour(hour, suffix == "pm")?, minute, 4),
                    None => (hour, minute, 3),
                }
            }
            (Some(":"), Some(minutes), _) => {
                let digits = minutes
                    .strip_suffix("am")
                    .or_else(|| minutes.strip_suffix("pm"))?;
                let minute: u32 = digits.parse().ok().filter(|_| digits.len() == 2)?;
                (twelve_hour(hour, minutes.ends_with("pm"))?, minute, 3)
            }
            (Some(meridiem @ ("am" | "pm")), _, _) => (twelve_hour(hour, meridiem == "pm")?, 0, 2),
            _ => return None,
        }
    };
    let time = NaiveTime::from_hms_opt(hour, minute, 0)?;
    let mut moment = now.date_naive().and_time(time).and_utc();
    if moment <= now {
        moment += Duration::days(1);
    }
    Some((used, moment))
}

fn twelve_hour(hour: u32, pm: bool) -> Option<u32> {
    (1..=12).contains(&hour).then_some(match (hour, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (hour, true) => hour + 12,
        (hour, false) => hour,
    })
}

/// A date written with slashes: month first ("12/31"), or day first when the first number
/// cannot be a month ("31/12"). Both readings valid and different ("5/6") is no date: it is
/// not guessed. A missing year means the next such date.
fn slash_date(word: &str, today: NaiveDate) -> Option<NaiveDate> {
    let mut parts = word.split('/');
    let a: u32 = parts.next()?.parse().ok()?;
    let b: u32 = parts.next()?.parse().ok()?;
    let year = match parts.next() {
        Some(year) => {
            let year: i32 = year.parse().ok()?;
            Some(if year < 100 { 2000 + year } else { year })
        }
        None => None,
    };
    let (month, day) = match (a <= 12, b <= 12) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        (true, true) if a == b => (a, b),
        _ => return None,
    };
    match year {
        Some(year) => NaiveDate::from_ymd_opt(year, month, day),
        None => next_date(today, month, day),
    }
}

/// The next date (today or later) on this day of the month.
fn next_day_of_month(today: NaiveDate, day: u32) -> Option<NaiveDate> {
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), day);
    if let Some(date) = this_month.filter(|date| *date >= today) {
        return Some(date);
    }
    let (year, month) = if today.month() == 12 {
        (today.year() + 1, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

fn period_end(period: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let today = now.date_naive();
    let date = match period {
        "day" | "today" => today,
        // A working week ends on Friday.
        "week" => today + Duration::days(i64::from(days_until(today.weekday(), Weekday::Fri))),
        "month" => last_of_month(today.year(), today.month())?,
        "quarter" => {
            let last_month = (today.month() - 1) / 3 * 3 + 3;
            last_of_month(today.year(), last_month)?
        }
        "year" => NaiveDate::from_ymd_opt(today.year(), 12, 31)?,
        _ => return None,
    };
    Some(end_of_day(date))
}

fn last_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (next_year, next_month) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()
}

fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN))
        .and_utc()
}

fn days_until(from: Weekday, to: Weekday) -> u32 {
    (to.num_days_from_monday() + 7 - from.num_days_from_monday()) % 7
}

fn weekday(word: &str) -> Option<Weekday> {
    Some(match word {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    })
}

fn month(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    MONTHS
        .iter()
        .position(|name| *name == word || (word.len() >= 3 && name.starts_with(word)))
        .and_then(|at| u32::try_from(at + 1).ok())
}

fn ordinal(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|character: char| character.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
        return None;
    }
    digits.parse().ok().filter(|day| (1..=31).contains(day))
}

/// The next date (today or later) with this month and day.
fn next_date(today: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day)?;
    if this_year >= today {
        Some(this_year)
    } else {
        NaiveDate::from_ymd_opt(today.year() + 1, month, day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intent::tokens::tokenize;
    use chrono::TimeZone;

    /// Sunday 22 November 2026, 10:00 UTC.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
            .single()
            .expect("valid")
    }

    fn seconds(message: &str) -> Option<u64> {
        find(&tokenize(message), now()).map(|found| found.seconds)
    }

    fn until_end_of(date: (i32, u32, u32)) -> u64 {
        let end = end_of_day(NaiveDate::from_ymd_opt(date.0, date.1, date.2).expect("date"));
        (end - now()).num_seconds() as u64
    }

    #[test]
    fn spans() {
        assert_eq!(seconds("access to the VPN for 2 weeks"), Some(14 * 86_400));
        assert_eq!(seconds("for 30 minutes please"), Some(1_800));
        assert_eq!(seconds("for four hours"), Some(4 * 3_600));
        assert_eq!(seconds("for a week"), Some(7 * 86_400));
        assert_eq!(seconds("for the next 3 days"), Some(3 * 86_400));
        assert_eq!(seconds("for a couple of days"), Some(2 * 86_400));
        assert_eq!(seconds("for half an hour"), Some(1_800));
        assert_eq!(seconds("90d"), Some(90 * 86_400));
        assert_eq!(seconds("add me for 2-week sprint"), Some(14 * 86_400));
        assert_eq!(seconds("for another month"), Some(30 * 86_400));
        assert_eq!(seconds("sort it out for like two weeks"), Some(14 * 86_400));
        assert_eq!(seconds("for about 3 days"), Some(3 * 86_400));
        assert_eq!(seconds("another month"), Some(30 * 86_400));
        assert_eq!(
            seconds("till the end of december"),
            Some(until_end_of((2026, 12, 31)))
        );
        assert_eq!(seconds("can i get 2 more weeks?"), Some(14 * 86_400));
        assert_eq!(seconds("could I keep it for 3 more days"), Some(3 * 86_400));
        assert_eq!(seconds("a few more days please"), Some(3 * 86_400));
        assert_eq!(seconds("one more week"), Some(7 * 86_400));
        assert_eq!(seconds("a couple extra days"), Some(2 * 86_400));
        assert_eq!(seconds("for the next week"), Some(7 * 86_400));
    }

    #[test]
    fn moments() {
        assert_eq!(seconds("until Friday"), Some(until_end_of((2026, 11, 27))));
        assert_eq!(seconds("till tomorrow"), Some(until_end_of((2026, 11, 23))));
        assert_eq!(
            seconds("till EOD tomorrow"),
            Some(until_end_of((2026, 11, 23)))
        );
        assert_eq!(seconds("until eod"), Some(until_end_of((2026, 11, 22))));
        assert_eq!(
            seconds("covering for Priya next week. make me an owner until tomorrow"),
            Some(until_end_of((2026, 11, 23)))
        );
        assert_eq!(
            seconds("through end of month"),
            Some(until_end_of((2026, 11, 30)))
        );
        assert_eq!(
            seconds("until the end of the year"),
            Some(until_end_of((2026, 12, 31)))
        );
        assert_eq!(
            seconds("until 2026-12-01"),
            Some(until_end_of((2026, 12, 1)))
        );
        assert_eq!(seconds("until Dec 5th"), Some(until_end_of((2026, 12, 5))));
        assert_eq!(seconds("until 3 january"), Some(until_end_of((2027, 1, 3))));
        assert_eq!(
            seconds("for the rest of the day"),
            Some(until_end_of((2026, 11, 22)))
        );
        assert_eq!(seconds("today only"), Some(until_end_of((2026, 11, 22))));
        assert_eq!(
            seconds("till end of next week"),
            Some(until_end_of((2026, 12, 4)))
        );
        assert_eq!(
            seconds("until end of next month"),
            Some(until_end_of((2026, 12, 31)))
        );
        assert_eq!(seconds("until 12/31."), Some(until_end_of((2026, 12, 31))));
        assert_eq!(seconds("until 31/12"), Some(until_end_of((2026, 12, 31))));
        assert_eq!(seconds("until 1/15/27"), Some(until_end_of((2027, 1, 15))));
        assert_eq!(seconds("until the 4th"), Some(until_end_of((2026, 12, 4))));
        assert_eq!(
            seconds("until the 30th"),
            Some(until_end_of((2026, 11, 30)))
        );
        assert_eq!(
            seconds("till I'm back on monday"),
            Some(until_end_of((2026, 11, 23)))
        );
        assert_eq!(
            seconds("until I get back on the 1st of december"),
            Some(until_end_of((2026, 12, 1)))
        );
    }

    #[test]
    fn times_of_day() {
        assert_eq!(seconds("until 6pm please"), Some(8 * 3_600));
        assert_eq!(seconds("till 6 pm"), Some(8 * 3_600));
        assert_eq!(seconds("until 17:30"), Some(7 * 3_600 + 1_800));
        assert_eq!(seconds("until 5:30pm"), Some(7 * 3_600 + 1_800));
        assert_eq!(seconds("until noon"), Some(2 * 3_600));
        // Passed today: tomorrow.
        assert_eq!(seconds("until 9am"), Some(23 * 3_600));
    }

    #[test]
    fn not_durations() {
        assert_eq!(seconds("for the month-end dashboards"), None);
        assert_eq!(seconds("for the Q3 audit"), None);
        assert_eq!(seconds("add me to the finance site"), None);
        assert_eq!(seconds("until 2020-01-01"), None, "in the past");
        assert_eq!(seconds("for 0 days"), None);
        assert_eq!(seconds("for 99999999999 years"), None);
        assert_eq!(seconds("until 5/6"), None, "day and month could be either");
        assert_eq!(seconds("until 4"), None);
        assert_eq!(seconds("until 13:99"), None);
        assert_eq!(seconds("until I'm back"), None, "no moment said");
        assert_eq!(seconds("one more thing, add me to X"), None);
        assert_eq!(seconds("I need more access"), None);
    }
}
