//! urest's time, read from embassy-time.

use core::time::Duration;

use urest_core::time::{Clock, Instant};

/// The [`Clock`] of an embassy firmware: `embassy_time::Instant::now()`.
///
/// Verbs, ramps and timeouts read it, and sleep with
/// [`embassy_time::Delay`], so both measure the same time, as
/// [`RampController::run`](urest_core::controller::RampController::run) and
/// [`Server::serve`](urest_http::Server::serve) require.
///
/// ```
/// use urest_core::time::Clock;
/// use urest_embassy::EmbassyClock;
///
/// let earlier = EmbassyClock.now();
/// assert!(EmbassyClock.now() >= earlier);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EmbassyClock;

impl Clock for EmbassyClock {
    fn now(&self) -> Instant {
        Instant::from_micros(embassy_time::Instant::now().as_micros())
    }
}

/// The longest silence a TCP socket is set to tolerate: longer timeouts
/// are cut to it, which keeps embassy-time and smoltcp arithmetic far from
/// overflow.
const LONGEST_SOCKET_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a socket may hear nothing from its peer: `timeout` plus
/// `margin`, cut to a day, in embassy's units.
pub(crate) fn socket_timeout(timeout: Duration, margin: Duration) -> embassy_time::Duration {
    let wanted = timeout.saturating_add(margin).min(LONGEST_SOCKET_TIMEOUT);
    // At most a day: the milliseconds fit in a u64 many times over.
    let millis = u64::try_from(wanted.as_millis()).unwrap_or(u64::MAX);
    embassy_time::Duration::from_millis(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_timeouts_add_the_margin_and_stop_at_a_day() {
        assert_eq!(
            socket_timeout(Duration::from_secs(30), Duration::from_secs(2)),
            embassy_time::Duration::from_secs(32)
        );
        assert_eq!(
            socket_timeout(Duration::MAX, Duration::from_secs(2)),
            embassy_time::Duration::from_secs(24 * 60 * 60)
        );
    }
}
