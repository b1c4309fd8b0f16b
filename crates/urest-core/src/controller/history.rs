//! Changes as resources: what became of each ticket a noun handed out.
//!
//! Every change answered "accepted, completes later" carries a [`Ticket`].
//! A noun that issues tickets keeps, beside its queue, the last [`HISTORY`]
//! finished changes, so a client can ask how its change went, list the
//! changes of a noun, and cancel one that has not finished. A noun offers
//! this through [`Resource::changes`](crate::resource::Resource::changes);
//! the ready slow nouns ([`PwmLed`](crate::nouns::PwmLed) and
//! [`RampNoun`](crate::nouns::RampNoun)) do so through their
//! [`RampController`](super::RampController).

use core::fmt;
use core::time::Duration;

use super::Ticket;
use crate::ramp::Level;
use crate::time::Instant;

/// How many finished changes a noun remembers beside its queue. Older ones
/// are forgotten, oldest first; asking for them then finds nothing.
///
/// ```
/// assert_eq!(urest_core::controller::HISTORY, 8);
/// ```
pub const HISTORY: usize = 8;

/// Where a change stands.
///
/// ```
/// use urest_core::controller::Status;
///
/// assert_eq!(Status::Queued.name(), "queued");
/// assert!(Status::Superseded.is_finished());
/// assert!(!Status::Running.is_finished());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Status {
    /// Accepted; waits behind other changes.
    Queued,
    /// Being applied now.
    Running,
    /// Applied completely.
    Done,
    /// Cancelled by a client: taken out of the queue, or stopped where it
    /// was (the output holds that level).
    Cancelled,
    /// Replaced before it completed: a newer change preempted it, or a
    /// reset (DELETE) cleared the queue.
    Superseded,
    /// The noun gave up on it. The ramp controller never reports this: after
    /// an output error it resumes the change once its runner runs again.
    Failed,
}

impl Status {
    /// The lower-case name used in the API.
    pub fn name(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Done => "done",
            Status::Cancelled => "cancelled",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
        }
    }

    /// Whether the change will not move any more.
    pub fn is_finished(self) -> bool {
        !matches!(self, Status::Queued | Status::Running)
    }
}

/// One change as a resource: its ticket, status, place and time.
///
/// ```
/// use urest_core::controller::{ChangeStatus, Status, Ticket};
/// use urest_core::time::Instant;
///
/// let change = ChangeStatus {
///     ticket: Ticket::from_number(3),
///     status: Status::Queued,
///     target: 0,
///     position: 1,
///     accepted_at: Instant::ZERO,
///     completes_at: Instant::from_millis(12_000),
/// };
/// assert_eq!(change.eta(Instant::from_millis(2_000)).as_millis(), 10_000);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ChangeStatus {
    /// The ticket the change was accepted with.
    pub ticket: Ticket,
    /// Where it stands.
    pub status: Status,
    /// What it asked for: the output level it heads to.
    pub target: Level,
    /// `0` while running or once finished, otherwise how many changes run
    /// before it.
    pub position: u16,
    /// When it was accepted.
    pub accepted_at: Instant,
    /// When it is expected to complete, if nothing preempts it; once
    /// finished, when it finished.
    pub completes_at: Instant,
}

impl ChangeStatus {
    /// Time from `now` until the change is expected to complete (zero once
    /// finished): the `eta_ms` a client sees.
    pub fn eta(&self, now: Instant) -> Duration {
        self.expected_at(now).duration_since(now)
    }

    /// When, seen from `now`, the change is expected to complete: `now`
    /// once it is finished or overdue. [`eta`](Self::eta) as an instant,
    /// for a caller that wants it in milliseconds or as a time without a
    /// `Duration` made (a 64-bit division on a Cortex-M0).
    ///
    /// ```
    /// use urest_core::controller::{ChangeStatus, Status, Ticket};
    /// use urest_core::time::Instant;
    ///
    /// let mut change = ChangeStatus {
    ///     ticket: Ticket::from_number(1),
    ///     status: Status::Running,
    ///     target: 0,
    ///     position: 0,
    ///     accepted_at: Instant::ZERO,
    ///     completes_at: Instant::from_millis(3_000),
    /// };
    /// let now = Instant::from_millis(1_000);
    /// assert_eq!(change.expected_at(now), Instant::from_millis(3_000));
    /// change.status = Status::Cancelled;
    /// assert_eq!(change.expected_at(now), now);
    /// ```
    #[inline]
    pub fn expected_at(&self, now: Instant) -> Instant {
        if self.status.is_finished() {
            return now;
        }
        self.completes_at.max(now)
    }
}

/// Why a change could not be cancelled. Nothing changed.
///
/// ```
/// use urest_core::controller::{CancelError, Status};
///
/// let late = CancelError::Finished(Status::Done);
/// assert_eq!(late.to_string_lossy(), "the change is already done");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CancelError {
    /// The change has finished with this status (HTTP 409 later).
    Finished(Status),
    /// The noun never issued this ticket, or has forgotten it (HTTP 404
    /// later).
    Unknown,
}

impl CancelError {
    /// A short message, without formatting machinery.
    pub fn to_string_lossy(&self) -> &'static str {
        match self {
            CancelError::Finished(Status::Done) => "the change is already done",
            CancelError::Finished(Status::Cancelled) => "the change is already cancelled",
            CancelError::Finished(Status::Superseded) => "the change was already superseded",
            CancelError::Finished(_) => "the change has already finished",
            CancelError::Unknown => "no such change",
        }
    }
}

impl fmt::Display for CancelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_string_lossy())
    }
}

/// The changes of one noun, seen and cancelled through a shared reference.
///
/// Object-safe, so a server reaches it for any noun through
/// [`Resource::changes`](crate::resource::Resource::changes).
///
/// ```
/// use core::convert::Infallible;
/// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
/// use embedded_hal::pwm::{ErrorType, SetDutyCycle};
/// use urest_core::controller::{Changes, RampConfig, RampController, Status};
/// use urest_core::ramp::LEVEL_MAX;
/// use urest_core::resource::Outcome;
/// use urest_core::time::Instant;
///
/// struct Pwm;
/// impl ErrorType for Pwm { type Error = Infallible; }
/// impl SetDutyCycle for Pwm {
///     fn max_duty_cycle(&self) -> u16 { 255 }
///     fn set_duty_cycle(&mut self, _: u16) -> Result<(), Infallible> { Ok(()) }
/// }
///
/// let led: RampController<NoopRawMutex, Pwm, 4> = RampController::new(Pwm, RampConfig::default());
/// let Ok(Outcome::Accepted { ticket, .. }) = led.submit(LEVEL_MAX, None, Instant::ZERO) else {
///     unreachable!()
/// };
/// let changes: &dyn Changes = &led;
/// assert_eq!(changes.status(ticket, Instant::ZERO).map(|c| c.status), Some(Status::Running));
/// let mut count = 0;
/// changes.for_each(Instant::ZERO, &mut |_| count += 1);
/// assert_eq!(count, 1);
/// ```
pub trait Changes {
    /// Where `ticket` stands at `now`, or `None` if it is unknown or
    /// forgotten.
    fn status(&self, ticket: Ticket, now: Instant) -> Option<ChangeStatus>;

    /// Every known change, oldest ticket first.
    fn for_each(&self, now: Instant, visit: &mut dyn FnMut(ChangeStatus));

    /// Cancel `ticket` (see [`Schedule::cancel`](super::Schedule::cancel)).
    fn cancel(&self, ticket: Ticket, now: Instant) -> Result<ChangeStatus, CancelError>;
}
