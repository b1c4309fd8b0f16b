//! Waiting for a change to finish, without holding anything while asleep.

use core::time::Duration;

use embedded_hal_async::delay::DelayNs;

use crate::controller::{ChangeStatus, Changes, Ticket};
use crate::time::{Clock, Instant};

/// Sleep until `ticket` has finished or `deadline` passes, whichever is
/// first, and say where it stands then; `None` if the noun does not know
/// the ticket (never issued, or forgotten).
///
/// Made for `Prefer: wait=N`: each connection waits in its own future, and
/// nothing is locked while it sleeps, so other connections and the noun's
/// runner carry on. It wakes at the change's expected completion, and at
/// least every `recheck` so a cancel or a preempt that ends it early is
/// seen within that time (pass [`Duration::MAX`] to wake only at the
/// expected completion and the deadline).
///
/// ```
/// use core::time::Duration;
/// use urest_core::controller::{ChangeStatus, Changes, CancelError, Status, Ticket};
/// use urest_core::coord::wait_for;
/// use urest_core::time::{Clock, Instant};
///
/// struct Never;
/// impl Changes for Never {
///     fn status(&self, _: Ticket, _: Instant) -> Option<ChangeStatus> { None }
///     fn for_each(&self, _: Instant, _: &mut dyn FnMut(ChangeStatus)) {}
///     fn cancel(&self, _: Ticket, _: Instant) -> Result<ChangeStatus, CancelError> {
///         Err(CancelError::Unknown)
///     }
/// }
/// struct Zero;
/// impl Clock for Zero { fn now(&self) -> Instant { Instant::ZERO } }
/// struct NoDelay;
/// impl embedded_hal_async::delay::DelayNs for NoDelay {
///     async fn delay_ns(&mut self, _: u32) {}
/// }
///
/// let mut delay = NoDelay;
/// let unknown = wait_for(&Never, Ticket::from_number(1), &Zero, &mut delay,
///     Instant::from_millis(5_000), Duration::from_millis(250));
/// assert_eq!(embassy_futures::block_on(unknown), None);
/// ```
pub async fn wait_for<C: Clock, D: DelayNs>(
    changes: &dyn Changes,
    ticket: Ticket,
    clock: &C,
    delay: &mut D,
    deadline: Instant,
    recheck: Duration,
) -> Option<ChangeStatus> {
    loop {
        match wait_step(changes, ticket, clock.now(), deadline, recheck) {
            WaitStep::Over(status) => return status,
            WaitStep::Sleep { micros } => delay.delay_us(micros).await,
        }
    }
}

/// One look at a change being waited for, as [`wait_for`] takes it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WaitStep {
    /// The wait is over: where the change stands, or `None` if the noun
    /// does not know the ticket.
    Over(Option<ChangeStatus>),
    /// Sleep this long, then look again.
    Sleep {
        /// Microseconds (at most `u32::MAX`: a longer wait is slept in parts).
        micros: u32,
    },
}

/// The decision [`wait_for`] makes each time it wakes at `now`, without
/// sleeping: for a caller that does its own sleeping (a server whose
/// connection loop has one place that waits), so that the rules stay in
/// one place.
///
/// ```
/// use core::time::Duration;
/// use urest_core::controller::{ChangeStatus, Changes, CancelError, Ticket};
/// use urest_core::coord::{wait_step, WaitStep};
/// use urest_core::time::Instant;
///
/// struct Never;
/// impl Changes for Never {
///     fn status(&self, _: Ticket, _: Instant) -> Option<ChangeStatus> { None }
///     fn for_each(&self, _: Instant, _: &mut dyn FnMut(ChangeStatus)) {}
///     fn cancel(&self, _: Ticket, _: Instant) -> Result<ChangeStatus, CancelError> {
///         Err(CancelError::Unknown)
///     }
/// }
/// let step = wait_step(&Never, Ticket::from_number(1), Instant::ZERO,
///     Instant::from_millis(5_000), Duration::from_millis(250));
/// assert_eq!(step, WaitStep::Over(None));
/// ```
pub fn wait_step(
    changes: &dyn Changes,
    ticket: Ticket,
    now: Instant,
    deadline: Instant,
    recheck: Duration,
) -> WaitStep {
    let Some(status) = changes.status(ticket, now) else {
        return WaitStep::Over(None);
    };
    if status.status.is_finished() || now >= deadline {
        return WaitStep::Over(Some(status));
    }
    let wake = status
        .completes_at
        .max(now)
        .min(deadline)
        .min(now + recheck);
    // Past the expected completion the runner may not have polled yet:
    // look again soon rather than spin.
    let wake = if wake <= now {
        (now + Duration::from_millis(1)).min(deadline)
    } else {
        wake
    };
    let micros = u32::try_from(wake.micros_since(now)).unwrap_or(u32::MAX);
    WaitStep::Sleep { micros }
}

/// When a wait of `wait` from `now` ends: the `deadline` to pass to
/// [`wait_for`], never later than `limit` after `now` (a server's cap on
/// `Prefer: wait`).
///
/// ```
/// use core::time::Duration;
/// use urest_core::coord::wait_deadline;
/// use urest_core::time::Instant;
///
/// let cap = Duration::from_secs(10);
/// assert_eq!(wait_deadline(Instant::ZERO, Duration::from_secs(60), cap), Instant::from_millis(10_000));
/// ```
pub fn wait_deadline(now: Instant, wait: Duration, limit: Duration) -> Instant {
    now + wait.min(limit)
}
