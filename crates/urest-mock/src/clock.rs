//! A clock that moves only when told to.

use core::cell::Cell;
use core::time::Duration;

use critical_section::Mutex;
use urest_core::time::{Clock, Instant};

/// A [`Clock`] that stands still until [`advance`](Self::advance)d or
/// [`set`](Self::set). Safe to share between threads and interrupts.
///
/// ```
/// use core::time::Duration;
/// use urest_core::time::{Clock, Instant};
/// use urest_mock::VirtualClock;
///
/// let clock = VirtualClock::new();
/// clock.advance(Duration::from_secs(10));
/// assert_eq!(clock.now(), Instant::from_millis(10_000));
/// ```
#[derive(Debug)]
pub struct VirtualClock {
    micros: Mutex<Cell<u64>>,
}

impl VirtualClock {
    /// A clock at [`Instant::ZERO`].
    pub const fn new() -> Self {
        VirtualClock {
            micros: Mutex::new(Cell::new(0)),
        }
    }

    /// Move the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let to = self.now() + by;
        self.set(to);
    }

    /// Move the clock to `to`; a clock never goes back, so an earlier
    /// instant leaves it where it is.
    pub fn set(&self, to: Instant) {
        critical_section::with(|cs| {
            let micros = self.micros.borrow(cs);
            micros.set(micros.get().max(to.as_micros()));
        });
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        VirtualClock::new()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        Instant::from_micros(critical_section::with(|cs| self.micros.borrow(cs).get()))
    }
}
