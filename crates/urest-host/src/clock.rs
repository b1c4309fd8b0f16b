//! Host time for the core: a [`Clock`] over `std::time::Instant` and a
//! `DelayNs` over tokio's timer, which measure the same time.

use std::time::Duration;

use embedded_hal_async::delay::DelayNs;
use urest_core::time::{Clock, Instant};

/// Microseconds since the host started, from the monotonic system clock.
///
/// Copies share their start, so every part of one host (ramps, recordings,
/// log lines) stamps the same timeline.
///
/// ```
/// use urest_core::time::Clock;
/// use urest_host::HostClock;
///
/// let clock = HostClock::new();
/// let earlier = clock.now();
/// assert!(clock.now() >= earlier);
/// ```
#[derive(Copy, Clone, Debug)]
pub struct HostClock {
    start: std::time::Instant,
}

impl HostClock {
    /// A clock that reads zero now.
    pub fn new() -> Self {
        HostClock {
            start: std::time::Instant::now(),
        }
    }

    /// Time since the clock started.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

impl Default for HostClock {
    fn default() -> Self {
        HostClock::new()
    }
}

impl Clock for HostClock {
    fn now(&self) -> Instant {
        // u64 microseconds last half a million years.
        Instant::from_micros(u64::try_from(self.elapsed().as_micros()).unwrap_or(u64::MAX))
    }
}

/// Sleeps on tokio's timer. Needs a tokio runtime with time enabled.
///
/// Tokio never wakes a sleep early, so a ramp runner that sleeps until a
/// step boundary measured by [`HostClock`] finds the step due when it wakes.
///
/// ```
/// use embedded_hal_async::delay::DelayNs;
/// use urest_host::TokioDelay;
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// runtime.block_on(async { TokioDelay.delay_ms(1).await });
/// ```
#[derive(Copy, Clone, Debug, Default)]
pub struct TokioDelay;

impl DelayNs for TokioDelay {
    async fn delay_ns(&mut self, ns: u32) {
        tokio::time::sleep(Duration::from_nanos(u64::from(ns))).await;
    }

    async fn delay_us(&mut self, us: u32) {
        tokio::time::sleep(Duration::from_micros(u64::from(us))).await;
    }

    async fn delay_ms(&mut self, ms: u32) {
        tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
    }
}
