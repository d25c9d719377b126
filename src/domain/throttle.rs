//! Rate limits as plain rules: a limit is a number of events in a sliding window; from the
//! events already counted it tells whether one more may happen, and how long to wait if not.
//! Clients are counted by address, IPv6 ones per /64 (what one subscriber usually holds).

use std::fmt;
use std::net::IpAddr;

use chrono::{NaiveDateTime, TimeDelta};

/// At most `max` events within `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Events allowed in the window.
    pub max: usize,
    /// How far back events count.
    pub window: TimeDelta,
}

impl Limit {
    /// At most `max` events an hour.
    pub fn per_hour(max: usize) -> Limit {
        Limit {
            max,
            window: TimeDelta::hours(1),
        }
    }

    /// At most `max` events in `minutes` minutes.
    pub fn per_minutes(max: usize, minutes: i64) -> Limit {
        Limit {
            max,
            window: TimeDelta::minutes(minutes),
        }
    }

    /// Seconds until one more event is allowed, given the events counted so far (newest
    /// first; at least the newest `max` of them), or `None` when it is allowed now.
    pub fn wait(&self, newest_first: &[NaiveDateTime], now: NaiveDateTime) -> Option<u64> {
        let in_window: Vec<&NaiveDateTime> = newest_first
            .iter()
            .filter(|at| now - **at < self.window)
            .collect();
        if in_window.len() < self.max {
            return None;
        }
        // Room comes back when the max-th newest event ages out of the window.
        let frees_at = match self.max {
            0 => now + self.window,
            max => *in_window[max - 1] + self.window,
        };
        let seconds = (frees_at - now).num_seconds().max(1);
        Some(u64::try_from(seconds).unwrap_or(1))
    }
}

/// The client an event is counted for: an IPv4 address, or the /64 network of an IPv6 one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientKey(String);

impl ClientKey {
    /// The key of a client at `ip` (an IPv4 address mapped into IPv6 counts as IPv4).
    pub fn of(ip: IpAddr) -> ClientKey {
        match ip {
            IpAddr::V4(v4) => ClientKey(v4.to_string()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(v4.to_string()),
                None => {
                    let mut segments = v6.segments();
                    segments[4..].fill(0);
                    ClientKey(format!("{}/64", std::net::Ipv6Addr::from(segments)))
                }
            },
        }
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What is counted, and for whom: each names a bucket of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket<'a> {
    /// Sign-ups from one client.
    SignupsFrom(&'a ClientKey),
    /// Mails asked for one address (sign-up notices, verification links, reset links).
    MailsTo(&'a str),
    /// New sessions started by one client without one.
    NewSessionsFrom(&'a ClientKey),
}

impl Bucket<'_> {
    /// The bucket's name as stored.
    pub fn name(&self) -> String {
        match self {
            Bucket::SignupsFrom(client) => format!("signup:{client}"),
            Bucket::MailsTo(address) => format!("mail:{address}"),
            Bucket::NewSessionsFrom(client) => format!("session:{client}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes_ago: i64) -> NaiveDateTime {
        now() - TimeDelta::minutes(minutes_ago)
    }

    fn now() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn the_event_after_the_limit_waits_until_the_oldest_counted_one_ages_out() {
        let five = Limit::per_minutes(5, 15);
        assert_eq!(five.wait(&[at(1), at(2), at(3), at(4)], now()), None);
        let full = [at(1), at(2), at(3), at(4), at(10)];
        assert_eq!(five.wait(&full, now()), Some(5 * 60));
        assert_eq!(Limit::per_minutes(6, 15).wait(&full, now()), None);
        let old = [at(1), at(2), at(3), at(4), at(16)];
        assert_eq!(five.wait(&old, now()), None, "older events do not count");
        assert_eq!(
            Limit::per_hour(3).wait(&[at(1), at(30), at(59)], now()),
            Some(60)
        );
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_and_ipv4_per_address() {
        let key = |ip: &str| ClientKey::of(ip.parse().unwrap()).to_string();
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb:cccc:dddd:eeee"), "2001:db8:1:2::/64");
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }

    #[test]
    fn buckets_keep_their_kinds_apart() {
        let client = ClientKey::of("203.0.113.7".parse().unwrap());
        assert_eq!(Bucket::SignupsFrom(&client).name(), "signup:203.0.113.7");
        assert_eq!(
            Bucket::NewSessionsFrom(&client).name(),
            "session:203.0.113.7"
        );
        assert_eq!(
            Bucket::MailsTo("ada@example.com").name(),
            "mail:ada@example.com"
        );
    }
}
