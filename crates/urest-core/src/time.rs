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
        Duration::from_micros(self.micros_since(earlier))
    }

    /// [`duration_since`](Self::duration_since) in whole microseconds, for
    /// a delay: the same number, with no `Duration` made (a 64-bit
    /// division on a Cortex-M0) and taken apart again.
    pub(crate) fn micros_since(self, earlier: Instant) -> u64 {
        self.micros.saturating_sub(earlier.micros)
    }
}

// `Duration::as_micros`, `as_millis` and `as_nanos` are `u128`s, whose
// arithmetic a Cortex-M0 does in long software routines; these give the
// same numbers in 64 bits, saturating where a `u128` would not fit. The
// seconds' product cannot overflow once they are compared with a
// constant: a checked or saturating 64-bit product is several
// multiplications on a Cortex-M0, this one is one.

/// Whole microseconds (rounded down), saturating at `u64::MAX`.
pub(crate) fn whole_micros(duration: Duration) -> u64 {
    let secs = duration.as_secs();
    if secs > u64::MAX / 1_000_000 {
        return u64::MAX;
    }
    (secs * 1_000_000).saturating_add(u64::from(duration.subsec_micros()))
}

/// Whole milliseconds (rounded down), saturating at `u64::MAX`. Out of
/// line: a state shows two durations, and each inlined copy is a 64-bit
/// multiplication and a division on a Cortex-M0.
#[inline(never)]
pub(crate) fn whole_millis(duration: Duration) -> u64 {
    let secs = duration.as_secs();
    if secs > u64::MAX / 1_000 {
        return u64::MAX;
    }
    (secs * 1_000).saturating_add(u64::from(duration.subsec_millis()))
}

/// Nanoseconds, if they fit 64 bits (for 584 years they do). Out of
/// line: a step is found from two of them, and each inlined copy is a
/// checked 64-bit multiplication on a Cortex-M0.
#[inline(never)]
pub(crate) fn nanos(duration: Duration) -> Option<u64> {
    let secs = duration.as_secs();
    if secs > u64::MAX / 1_000_000_000 {
        return None;
    }
    (secs * 1_000_000_000).checked_add(u64::from(duration.subsec_nanos()))
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturates at the far end of time rather than wrapping.
    fn add(self, rhs: Duration) -> Instant {
        let micros = whole_micros(rhs);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_four_bit_durations_agree_with_core() {
        for duration in [
            Duration::ZERO,
            Duration::from_nanos(999),
            Duration::from_nanos(1_500_001),
            Duration::from_millis(10_000),
            Duration::new(18_446_744_073, 709_551_615),
            Duration::new(18_446_744_074, 0),
            // Either side of the largest seconds whose micros and millis fit.
            Duration::new(18_446_744_073_709, 551_615_999),
            Duration::new(18_446_744_073_709, 551_616_000),
            Duration::new(18_446_744_073_710, 0),
            Duration::new(18_446_744_073_709_551, 615_999_999),
            Duration::new(18_446_744_073_709_552, 0),
            Duration::MAX,
        ] {
            let saturated = |wide: u128| u64::try_from(wide).unwrap_or(u64::MAX);
            assert_eq!(whole_micros(duration), saturated(duration.as_micros()));
            assert_eq!(whole_millis(duration), saturated(duration.as_millis()));
            assert_eq!(nanos(duration), u64::try_from(duration.as_nanos()).ok());
        }
    }
}
