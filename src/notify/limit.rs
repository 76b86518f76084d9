//! Telegram's rate limits as a pure rule: given when messages were sent, the
//! earliest instant the next one may go.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Messages to one chat in any 60 seconds.
    pub per_chat_per_minute: u32,
    /// Messages to all chats in any second.
    pub per_second: u32,
}

/// The earliest instant at or after `now` when one more message may go to a
/// chat. `to_chat` are the send times to that chat in the last minute and
/// `to_all` the send times to any chat in the last second, oldest first.
pub fn next_slot(
    limits: Limits,
    now: DateTime<Utc>,
    to_chat: &[DateTime<Utc>],
    to_all: &[DateTime<Utc>],
) -> DateTime<Utc> {
    let mut at = now;
    for (sends, limit, window) in [
        (to_chat, limits.per_chat_per_minute, Duration::seconds(60)),
        (to_all, limits.per_second, Duration::seconds(1)),
    ] {
        let recent: Vec<_> = sends.iter().filter(|t| **t > now - window).collect();
        let limit = limit.max(1) as usize;
        if recent.len() >= limit {
            // The send that must leave the window before one more fits.
            at = at.max(*recent[recent.len() - limit] + window);
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 9, 19, 10, 0, 0).unwrap() + Duration::milliseconds(s)
    }

    const LIMITS: Limits = Limits {
        per_chat_per_minute: 3,
        per_second: 2,
    };

    #[test]
    fn under_the_limits_a_message_goes_now() {
        assert_eq!(next_slot(LIMITS, t(0), &[], &[]), t(0));
        assert_eq!(next_slot(LIMITS, t(5_000), &[t(0), t(2_000)], &[]), t(5_000));
    }

    #[test]
    fn a_full_minute_window_waits_for_its_oldest_send_to_leave() {
        let sends = [t(0), t(1_000), t(2_000)];
        assert_eq!(next_slot(LIMITS, t(3_000), &sends, &[]), t(60_000));
        // Older sends no longer count.
        assert_eq!(next_slot(LIMITS, t(61_000), &sends, &[]), t(61_000));
        let sends = [t(0), t(1_000), t(2_000), t(59_000)];
        assert_eq!(next_slot(LIMITS, t(59_500), &sends, &[]), t(61_000));
    }

    #[test]
    fn the_overall_per_second_limit_spaces_bursts() {
        let all = [t(100), t(200)];
        assert_eq!(next_slot(LIMITS, t(300), &[], &all), t(1_100));
        assert_eq!(next_slot(LIMITS, t(1_050), &[], &all), t(1_100));
        assert_eq!(next_slot(LIMITS, t(1_150), &[], &all), t(1_150));
    }
}
