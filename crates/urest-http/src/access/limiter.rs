//! Slowing down token guessing: failed attempts counted per peer address in
//! a small fixed table.

use core::net::IpAddr;
use core::time::Duration;

use urest_core::time::Instant;

/// Peer addresses whose failed attempts are remembered at once. When the
/// table is full, a new peer's failure replaces the entry whose last failure
/// is oldest: a guesser with more addresses than this can keep its count
/// low by evicting its own entries (see `docs/security.md`), so tokens must
/// be long enough that a few guesses a minute per address are hopeless.
///
/// ```
/// assert_eq!(urest_http::FAILURE_TABLE_LEN, 8);
/// ```
pub const FAILURE_TABLE_LEN: usize = 8;

/// How many wrong tokens a peer may present before it is made to wait, and
/// how long it then waits.
///
/// A peer that has presented `failures` wrong tokens, each within `lockout`
/// of the one before, is answered `429 Too Many Requests` (with
/// `Retry-After`) until `lockout` has passed since its last wrong token,
/// whatever it sends meanwhile, a right token included: otherwise the
/// lockout would still tell a guesser which guess was right. A right token
/// presented outside a lockout clears the peer's count.
///
/// ```
/// use core::time::Duration;
/// use urest_http::Limit;
///
/// let default = Limit::default();
/// assert_eq!(default.failures, 5);
/// assert_eq!(default.lockout, Duration::from_secs(60));
/// let strict = Limit { failures: 3, lockout: Duration::from_secs(300) };
/// assert!(strict.failures < default.failures);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Wrong tokens in a row that start a lockout; `0` behaves as `1`.
    pub failures: u8,
    /// How long a locked-out peer waits after its last wrong token.
    pub lockout: Duration,
}

impl Limit {
    /// Five wrong tokens, then a minute's wait: at most five guesses a
    /// minute from one address.
    ///
    /// ```
    /// use urest_http::Limit;
    ///
    /// assert_eq!(Limit::DEFAULT, Limit::default());
    /// ```
    pub const DEFAULT: Limit = Limit {
        failures: 5,
        lockout: Duration::from_secs(60),
    };
}

impl Default for Limit {
    fn default() -> Self {
        Limit::DEFAULT
    }
}

#[derive(Copy, Clone, Debug)]
struct Entry {
    peer: IpAddr,
    failures: u8,
    last: Instant,
}

/// The failed attempts of up to [`FAILURE_TABLE_LEN`] peers.
#[derive(Debug)]
pub(crate) struct FailureTable {
    entries: [Option<Entry>; FAILURE_TABLE_LEN],
}

impl FailureTable {
    pub(crate) const fn new() -> Self {
        FailureTable {
            entries: [None; FAILURE_TABLE_LEN],
        }
    }

    fn find(&mut self, peer: IpAddr) -> Option<&mut Entry> {
        self.entries
            .iter_mut()
            .flatten()
            .find(|entry| entry.peer == peer)
    }

    /// How long `peer` must still wait, if it is locked out at `now`.
    pub(crate) fn locked(&mut self, peer: IpAddr, now: Instant, limit: Limit) -> Option<Duration> {
        let entry = self.find(peer)?;
        let until = entry.last + limit.lockout;
        (entry.failures >= limit.failures.max(1) && now < until).then(|| until.duration_since(now))
    }

    /// Count a wrong token from `peer` at `now`.
    pub(crate) fn fail(&mut self, peer: IpAddr, now: Instant, limit: Limit) {
        if let Some(entry) = self.find(peer) {
            // Failures further apart than the lockout start a new count.
            if now >= entry.last + limit.lockout {
                entry.failures = 0;
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.last = now;
            return;
        }
        let fresh = Some(Entry {
            peer,
            failures: 1,
            last: now,
        });
        // A free place, else the peer whose last failure is oldest.
        let place = self.entries.iter_mut().min_by_key(|entry| {
            entry
                .map(|entry| (1, entry.last))
                .unwrap_or((0, Instant::ZERO))
        });
        if let Some(place) = place {
            *place = fresh;
        }
    }

    /// Forget `peer`'s failures: it has presented a right token.
    pub(crate) fn forget(&mut self, peer: IpAddr) {
        for place in &mut self.entries {
            if place.is_some_and(|entry| entry.peer == peer) {
                *place = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};

    const LIMIT: Limit = Limit {
        failures: 3,
        lockout: Duration::from_secs(10),
    };

    fn peer(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 168, 1, n))
    }

    fn at(secs: u64) -> Instant {
        Instant::from_millis(secs * 1_000)
    }

    #[test]
    fn a_peer_is_locked_out_after_the_limit_until_the_lockout_passes() {
        let mut table = FailureTable::new();
        for second in 0..2 {
            table.fail(peer(1), at(second), LIMIT);
            assert_eq!(table.locked(peer(1), at(second), LIMIT), None);
        }
        table.fail(peer(1), at(2), LIMIT);
        assert_eq!(
            table.locked(peer(1), at(2), LIMIT),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            table.locked(peer(1), at(9), LIMIT),
            Some(Duration::from_secs(3))
        );
        assert_eq!(table.locked(peer(1), at(12), LIMIT), None);
        // Others are not affected.
        assert_eq!(table.locked(peer(2), at(3), LIMIT), None);
    }

    #[test]
    fn failures_further_apart_than_the_lockout_never_lock_out() {
        let mut table = FailureTable::new();
        for n in 0..10 {
            table.fail(peer(1), at(n * 11), LIMIT);
            assert_eq!(table.locked(peer(1), at(n * 11), LIMIT), None);
        }
    }

    #[test]
    fn a_right_token_clears_the_count() {
        let mut table = FailureTable::new();
        table.fail(peer(1), at(0), LIMIT);
        table.fail(peer(1), at(1), LIMIT);
        table.forget(peer(1));
        table.fail(peer(1), at(2), LIMIT);
        assert_eq!(table.locked(peer(1), at(2), LIMIT), None);
    }

    #[test]
    fn a_full_table_replaces_the_oldest_entry() {
        let mut table = FailureTable::new();
        for n in 0..FAILURE_TABLE_LEN as u8 {
            for _ in 0..LIMIT.failures {
                table.fail(peer(n), at(u64::from(n)), LIMIT);
            }
        }
        assert!(table.locked(peer(0), at(8), LIMIT).is_some());
        // A ninth peer evicts peer 0, whose last failure is oldest...
        table.fail(peer(100), at(8), LIMIT);
        assert_eq!(table.locked(peer(0), at(8), LIMIT), None);
        // ...and no one else.
        for n in 1..FAILURE_TABLE_LEN as u8 {
            assert!(table.locked(peer(n), at(8), LIMIT).is_some(), "{n}");
        }
    }

    #[test]
    fn ipv6_peers_are_told_apart() {
        let mut table = FailureTable::new();
        let one = IpAddr::V6(Ipv6Addr::LOCALHOST);
        let other = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1));
        for _ in 0..3 {
            table.fail(one, at(0), LIMIT);
        }
        assert!(table.locked(one, at(1), LIMIT).is_some());
        assert!(table.locked(other, at(1), LIMIT).is_none());
    }

    #[test]
    fn zero_failures_behaves_as_one() {
        let mut table = FailureTable::new();
        let limit = Limit {
            failures: 0,
            ..LIMIT
        };
        assert_eq!(table.locked(peer(1), at(0), limit), None);
        table.fail(peer(1), at(0), limit);
        assert!(table.locked(peer(1), at(0), limit).is_some());
    }
}
