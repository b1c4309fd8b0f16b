//! urest's time, read from embassy-time.

use core::time::Duration;

use urest_core::time::{Clock, Instant};

/// The urest clock of this program: embassy's `Instant::now()`, so the
/// controller's clock and `embassy_time::Delay` measure the same time.
#[derive(Copy, Clone, Debug, Default)]
pub struct EmbassyClock;

impl Clock for EmbassyClock {
    fn now(&self) -> Instant {
        Instant::from_micros(embassy_time::Instant::now().as_micros())
    }
}

/// `duration` in embassy's units, saturating at the far end of time.
pub fn to_embassy(duration: Duration) -> embassy_time::Duration {
    let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
    embassy_time::Duration::from_micros(micros)
}
