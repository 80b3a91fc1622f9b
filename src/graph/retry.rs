//! How long to wait before trying a Graph call again, and when to stop.
//!
//! Owns [`RetryPolicy`] (exponential backoff with full jitter inside an attempt and time budget)
//! and the parsing of `Retry-After`. Must not: sleep, send requests, or decide which failures are
//! safe to replay; the client decides that, because only it knows whether a request may already
//! have been carried out.

use std::time::{Duration, SystemTime};

use rand::Rng;

/// Limits on retrying one Graph call. Tests inject millisecond values; production uses
/// [`RetryPolicy::default`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many requests one call may send in all, the first included.
    pub max_attempts: u32,
    /// The time budget of one call, measured from its first request. A wait that would end past
    /// it is not started: the call gives up with the last error instead.
    pub max_elapsed: Duration,
    /// The backoff ceiling after the first failure; it doubles after each further failure.
    pub base_delay: Duration,
    /// The largest backoff ceiling. `Retry-After` may ask for longer and is honoured.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            max_elapsed: Duration::from_secs(60),
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// A random wait between zero and `min(max_delay, base_delay * 2^(failed_attempts - 1))`
    /// ("full jitter"), so that many callers throttled together do not come back together.
    pub fn backoff(&self, failed_attempts: u32) -> Duration {
        let ceiling = self.backoff_ceiling(failed_attempts);
        let ceiling_micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(rand::rng().random_range(0..=ceiling_micros))
    }

    /// The upper bound that [`RetryPolicy::backoff`] draws from.
    pub fn backoff_ceiling(&self, failed_attempts: u32) -> Duration {
        let doublings = failed_attempts.saturating_sub(1).min(31);
        self.base_delay
            .saturating_mul(1_u32 << doublings)
            .min(self.max_delay)
    }

    /// How long to wait before the next attempt, or `None` to give up: when `failed_attempts`
    /// has used up `max_attempts`, or when waiting would end past `max_elapsed`. A server's
    /// `Retry-After` is a minimum: the wait is `max(retry_after, backoff)`.
    pub fn next_wait(
        &self,
        failed_attempts: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if failed_attempts >= self.max_attempts {
            return None;
        }
        let wait = self
            .backoff(failed_attempts)
            .max(retry_after.unwrap_or(Duration::ZERO));
        let ends_at = elapsed.saturating_add(wait);
        if ends_at >= self.max_elapsed {
            return None;
        }
        Some(wait)
    }
}

/// Parses a `Retry-After` value: delay-seconds (Graph's usual form) or an HTTP-date, which is
/// turned into the time left until then (zero if it has passed).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let trimmed = value.trim();
    if let Ok(seconds) = trimmed.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // Some proxies send fractional seconds; they are accepted rather than ignored.
    if let Ok(seconds) = trimmed.parse::<f64>() {
        if seconds.is_finite() && seconds >= 0.0 {
            return Duration::try_from_secs_f64(seconds).ok();
        }
        return None;
    }
    let at = httpdate::parse_http_date(trimmed).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millisecond_policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            max_elapsed: Duration::from_millis(500),
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
        }
    }

    #[test]
    fn default_policy_matches_the_documented_budget() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.max_attempts, 6);
        assert_eq!(policy.max_elapsed, Duration::from_secs(60));
        assert_eq!(policy.base_delay, Duration::from_millis(200));
        assert_eq!(policy.max_delay, Duration::from_secs(10));
    }

    #[test]
    fn backoff_ceiling_doubles_until_it_reaches_the_cap() {
        let policy = millisecond_policy();
        let ceilings: Vec<u128> = (1..=5)
            .map(|failed| policy.backoff_ceiling(failed).as_millis())
            .collect();
        assert_eq!(ceilings, vec![10, 20, 40, 40, 40]);
        assert_eq!(policy.backoff_ceiling(u32::MAX), Duration::from_millis(40));
    }

    #[test]
    fn backoff_is_jittered_within_the_ceiling() {
        let policy = millisecond_policy();
        let waits: Vec<Duration> = (0..200).map(|_| policy.backoff(3)).collect();
        assert!(waits.iter().all(|wait| *wait <= Duration::from_millis(40)));
        let distinct: std::collections::HashSet<_> = waits.iter().collect();
        assert!(distinct.len() > 10, "full jitter should spread the waits");
    }

    #[test]
    fn retry_after_is_a_minimum_wait() {
        let policy = millisecond_policy();
        let wait = policy.next_wait(1, Duration::ZERO, Some(Duration::from_millis(300)));
        assert_eq!(wait, Some(Duration::from_millis(300)));
    }

    #[test]
    fn policy_gives_up_when_attempts_are_used_up() {
        let policy = millisecond_policy();
        assert!(policy.next_wait(4, Duration::ZERO, None).is_some());
        assert_eq!(policy.next_wait(5, Duration::ZERO, None), None);
    }

    #[test]
    fn policy_gives_up_when_the_wait_would_pass_the_time_budget() {
        let policy = millisecond_policy();
        let wait = policy.next_wait(1, Duration::from_millis(300), Some(Duration::from_secs(1)));
        assert_eq!(wait, None);
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
