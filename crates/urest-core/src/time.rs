//! Points in time for a core that depends on no particular time driver.
//!
//! Everything in `urest-core` that needs "now" takes an [`Instant`] as an
//! argument or asks a [`Clock`]. On a board the clock is usually
//! `embassy_time::Instant::now()`; in host tests it is a virtual clock that a
//! ten-second ramp passes through in microseconds.

use core::ops::Add;
use core::time::Duration;

/// A point in time, in microseconds since an arbitrary epoch (usually boot).
///
/// ```
/// use core::time::Duration;
/// use urest_core::time::Instant;
///
/// let start = Instant::from_millis(1_000);
/// let later = start + Duration::from_millis(250);
/// assert_eq!(later.duration_since(start), Duration::from_millis(250));
/// assert_eq!(start.duration_since(later), Duration::ZERO);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant {
    micros: u64,
}

impl Instant {
    /// The epoch.
    pub const ZERO: Instant = Instant { micros: 0 };

    /// An instant `micros` microseconds after the epoch.
    pub const fn from_micros(micros: u64) -> Self {
        Instant { micros }
    }

    /// An instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Instant {
            micros: millis.saturating_mul(1_000),
        }
    }

    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> u64 {
        self.micros
    }

    /// Time from `earlier` to `self`, or zero if `earlier` is later.
    pub fn duration_since(self, earlier: Instant) -> Duration {
        Duration::from_micros(self.micros.saturating_sub(earlier.micros))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturates at the far end of time rather than wrapping.
    fn add(self, rhs: Duration) -> Instant {
        let micros = u64::try_from(rhs.as_micros()).unwrap_or(u64::MAX);
        Instant {
            micros: self.micros.saturating_add(micros),
        }
    }
}

/// A source of the current time.
///
/// ```
/// use core::cell::Cell;
/// use urest_core::time::{Clock, Instant};
///
/// struct Fixed(Cell<u64>);
/// impl Clock for Fixed {
///     fn now(&self) -> Instant {
///         Instant::from_micros(self.0.get())
///     }
/// }
///
/// let clock = Fixed(Cell::new(42));
/// assert_eq!(clock.now(), Instant::from_micros(42));
/// ```
pub trait Clock {
    /// The current time. Must never go backwards.
    fn now(&self) -> Instant;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Instant {
        (**self).now()
    }
}
