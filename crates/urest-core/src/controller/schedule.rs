//! The pure state machine behind a [`RampController`](super::RampController):
//! which transition runs, which wait, and what level to write when.
//!
//! Nothing here sleeps or touches hardware. A runner asks [`Schedule::poll`]
//! what to write now and when to ask again; the verbs call
//! [`Schedule::submit`] and [`Schedule::reset`]. Host tests drive it with any
//! arrival times they like.

use core::num::NonZeroU16;
use core::ops::ControlFlow;
use core::time::Duration;

use heapless::Deque;

use super::history::{CancelError, ChangeStatus, Status, HISTORY};
use crate::ramp::{Easing, Level, Ramp};
use crate::resource::Outcome;
use crate::time::Instant;

/// How a noun answers a change that arrives while another is under way.
///
/// ```
/// use urest_core::controller::Policy;
///
/// assert_eq!(Policy::Fifo.name(), "fifo");
/// assert_eq!(Policy::from_name("preempt"), Some(Policy::Preempt));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Policy {
    /// Accept it and apply it after the changes before it, strictly in the
    /// order of acceptance ("defer" in the "Concurrent API Access" note). A full queue refuses with
    /// the time until a place frees up.
    Fifo,
    /// Refuse it with the time until the noun is free ("block" in the "Concurrent API Access" note).
    Reject,
    /// Start it at once from the level the output has now: the latest
    /// command wins, with no jump.
    Preempt,
}

impl Policy {
    /// Every policy, for listing.
    pub const ALL: [Policy; 3] = [Policy::Fifo, Policy::Reject, Policy::Preempt];

    /// The lower-case name used in the API.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Fifo => "fifo",
            Policy::Reject => "reject",
            Policy::Preempt => "preempt",
        }
    }

    /// The policy of that name, if there is one.
    pub fn from_name(name: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|policy| policy.name() == name)
    }
}

/// Identifies one accepted change. Tickets are issued in increasing order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ticket(u32);

impl Ticket {
    /// The ticket's number.
    ///
    /// ```
    /// use urest_core::controller::Ticket;
    ///
    /// assert_eq!(Ticket::from_number(7).number(), 7);
    /// ```
    pub fn number(self) -> u32 {
        self.0
    }

    /// The ticket of that number, as a client names it in a request
    /// (`/green_led0/changes/7`). Only the noun that issued it knows it.
    pub const fn from_number(number: u32) -> Ticket {
        Ticket(number)
    }
}

/// How a transition moves: steps for a full swing, time per step, easing.
///
/// ```
/// use core::num::NonZeroU16;
/// use core::time::Duration;
/// use urest_core::controller::RampShape;
///
/// let fade = RampShape::TEN_SECOND_FADE;
/// assert_eq!(fade.steps, NonZeroU16::new(10).unwrap());
/// assert_eq!(fade.step_time, Duration::from_secs(1));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RampShape {
    /// Steps from fully off to fully on; shorter swings take proportionally
    /// fewer (at least one).
    pub steps: NonZeroU16,
    /// How long each step holds.
    pub step_time: Duration,
    /// How progress maps onto level.
    pub easing: Easing,
}

impl RampShape {
    /// Ten linear steps of one second: the fade of the original MicroPython urest's PWM LED.
    pub const TEN_SECOND_FADE: RampShape = RampShape {
        steps: match NonZeroU16::new(10) {
            Some(steps) => steps,
            None => NonZeroU16::MIN,
        },
        step_time: Duration::from_secs(1),
        easing: Easing::Linear,
    };

    /// Out of line: the schedule asks for a ramp in four places.
    #[inline(never)]
    fn ramp(&self, from: Level, to: Level, start: Instant) -> Ramp {
        Ramp::between(from, to, start, self.steps, self.step_time, self.easing)
    }
}

/// Why a change was refused. Nothing was changed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Refusal {
    /// The Reject policy is busy until the running transition ends.
    Busy {
        /// Time until the noun is free.
        retry_after: Duration,
    },
    /// The Fifo queue is full until the running transition ends.
    QueueFull {
        /// Time until a place in the queue frees up.
        retry_after: Duration,
    },
}

/// What the runner should do now.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Step {
    /// The level the output must show from now on.
    pub level: Level,
    /// When to poll again, or `None` to wait for the next change.
    pub wake_at: Option<Instant>,
}

#[derive(Copy, Clone, Debug)]
struct Running {
    ramp: Ramp,
    ticket: Ticket,
    accepted_at: Instant,
}

impl Running {
    /// The answer to the change that runs, or to a repeat of it. Out of
    /// line: four answers are this one.
    #[inline(never)]
    fn accepted(&self) -> Outcome {
        Outcome::Accepted {
            ticket: self.ticket,
            position: 0,
            completes_at: self.ramp.end(),
        }
    }
}

#[derive(Copy, Clone, Debug)]
struct Waiting {
    target: Level,
    shape: RampShape,
    ticket: Ticket,
    accepted_at: Instant,
}

/// The items of `deque`, front first, each looked up by its place: the
/// deque's own iterator, which walks the two halves of its ring, took
/// about 90 bytes more in each loop on a Cortex-M0.
fn in_order<T, const N: usize>(deque: &Deque<T, N>) -> InOrder<'_, T, N> {
    InOrder { deque, index: 0 }
}

/// [`in_order`]'s iterator.
struct InOrder<'a, T, const N: usize> {
    deque: &'a Deque<T, N>,
    index: usize,
}

impl<'a, T, const N: usize> Iterator for InOrder<'a, T, N> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        let item = self.deque.get(self.index)?;
        self.index += 1;
        Some(item)
    }
}

/// The transitions of one output, under one [`Policy`], with room for `Q`
/// waiting changes.
///
/// ```
/// use urest_core::controller::{Policy, RampShape, Refusal, Schedule};
/// use urest_core::ramp::LEVEL_MAX;
/// use urest_core::time::Instant;
///
/// let mut schedule: Schedule<4> = Schedule::new(Policy::Reject, 0);
/// let t0 = Instant::ZERO;
/// assert!(schedule.submit(LEVEL_MAX, RampShape::TEN_SECOND_FADE, t0).is_ok());
/// let later = Instant::from_millis(4_000);
/// assert_eq!(
///     schedule.submit(0, RampShape::TEN_SECOND_FADE, later),
///     Err(Refusal::Busy { retry_after: core::time::Duration::from_secs(6) })
/// );
/// ```
#[derive(Clone, Debug)]
pub struct Schedule<const Q: usize> {
    policy: Policy,
    written: Level,
    resting: Level,
    running: Option<Running>,
    waiting: Deque<Waiting, Q>,
    issued: u32,
    finished: Deque<ChangeStatus, HISTORY>,
}

impl<const Q: usize> Schedule<Q> {
    /// An idle schedule whose output rests at `level`.
    pub const fn new(policy: Policy, level: Level) -> Self {
        Schedule {
            policy,
            written: level,
            resting: level,
            running: None,
            waiting: Deque::new(),
            issued: 0,
            finished: Deque::new(),
        }
    }

    /// The policy for changes that arrive while busy.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The level last handed to the output.
    pub fn written(&self) -> Level {
        self.written
    }

    /// The level the last completed transition reached.
    pub fn resting(&self) -> Level {
        self.resting
    }

    /// Where the running transition goes, or the resting level when idle.
    pub fn heading_to(&self) -> Level {
        self.running
            .map_or(self.resting, |running| running.ramp.to_level())
    }

    /// Where the output ends once every waiting change has run.
    pub fn eventual(&self) -> Level {
        self.waiting
            .back()
            .map_or(self.heading_to(), |waiting| waiting.target)
    }

    /// How many changes wait behind the running one.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Whether a transition is running.
    pub fn is_busy(&self) -> bool {
        self.running.is_some()
    }

    /// The ticket of the running transition.
    pub fn running_ticket(&self) -> Option<Ticket> {
        self.running.map(|running| running.ticket)
    }

    /// Whether `ticket` is neither running nor waiting: it completed, or a
    /// later change or a reset superseded it.
    pub fn is_settled(&self, ticket: Ticket) -> bool {
        self.running_ticket() != Some(ticket)
            && in_order(&self.waiting).all(|waiting| waiting.ticket != ticket)
    }

    /// When every accepted change is expected to be complete (now, if idle).
    pub fn settled_at(&self, now: Instant) -> Instant {
        let Some(running) = self.running else {
            return now;
        };
        let mut at = running.ramp.end();
        let mut level = running.ramp.to_level();
        for waiting in in_order(&self.waiting) {
            at = waiting.shape.ramp(level, waiting.target, at).end();
            level = waiting.target;
        }
        at
    }

    /// Accept or refuse a change to `target`, according to the policy.
    ///
    /// A change to where the output is already going is not made twice: a
    /// client's retry gets the ticket of the change it repeats (or
    /// [`Outcome::Done`] when the output is already there and idle).
    pub fn submit(
        &mut self,
        target: Level,
        shape: RampShape,
        now: Instant,
    ) -> Result<Outcome, Refusal> {
        let Some(running) = &self.running else {
            // `start` answers `Done` for the level already there.
            return Ok(self.start(target, shape, now));
        };
        match self.policy {
            Policy::Fifo => {
                if target != self.eventual() {
                    if self.waiting.is_full() {
                        return Err(Refusal::QueueFull {
                            retry_after: running.ramp.remaining(now),
                        });
                    }
                    let waiting = Waiting {
                        target,
                        shape,
                        ticket: self.issue(),
                        accepted_at: now,
                    };
                    // Checked above: there is room.
                    self.queue(waiting);
                }
                // The new change is now the last, answered as a repeat of it
                // would be.
                Ok(self.repeat_last(now))
            }
            _ if target == running.ramp.to_level() => Ok(running.accepted()),
            Policy::Reject => Err(Refusal::Busy {
                retry_after: running.ramp.remaining(now),
            }),
            Policy::Preempt => Ok(self.start(target, shape, now)),
        }
    }

    /// Cancel every waiting change and head for `target` from the current
    /// level at once, whatever the policy: the way back to defaults is never
    /// refused.
    pub fn reset(&mut self, target: Level, shape: RampShape, now: Instant) -> Outcome {
        while let Some(waiting) = self.next_waiting() {
            self.record_waiting(waiting, Status::Superseded, now);
        }
        if let Some(running) = &self.running {
            if running.ramp.to_level() == target {
                return running.accepted();
            }
        }
        self.start(target, shape, now)
    }

    /// Advance to `now`: finish the running transition if it is over, start
    /// the next waiting one, and say what the output must show.
    ///
    /// The runner must write [`Step::level`] before anything else happens;
    /// the schedule counts it as written.
    pub fn poll(&mut self, now: Instant) -> Step {
        let Some(running) = self.running else {
            return self.idle();
        };
        if !running.ramp.is_finished(now) {
            self.written = running.ramp.level_at(now);
            return Step {
                level: self.written,
                wake_at: running.ramp.next_step_after(now),
            };
        }
        let end = running.ramp.end();
        self.finish_running(running, running.ramp.to_level(), Status::Done, end, now);
        match self.running {
            Some(next) => Step {
                level: self.written,
                wake_at: next.ramp.next_step_after(now).or(Some(now)),
            },
            None => self.idle(),
        }
    }

    /// Stop the running change with the output at `level`, keep it as
    /// `status` at `at`, and start the first waiting change from there at
    /// `now`. Out of line: a change ends so when it completes and when it
    /// is cancelled.
    #[inline(never)]
    fn finish_running(
        &mut self,
        running: Running,
        level: Level,
        status: Status,
        at: Instant,
        now: Instant,
    ) -> ChangeStatus {
        self.running = None;
        self.written = level;
        self.resting = level;
        let record = self.record_running(running, status, at);
        if let Some(next) = self.next_waiting() {
            // The next ramp starts where the last one ended, so its first
            // step holds.
            self.running = Some(Running {
                ramp: next.shape.ramp(level, next.target, now),
                ticket: next.ticket,
                accepted_at: next.accepted_at,
            });
        }
        record
    }

    /// Where `ticket` stands at `now`, while it runs or waits, or as one of
    /// the last [`HISTORY`] finished changes. `None` for a ticket this
    /// schedule never issued or has forgotten.
    ///
    /// Status follows the runner: a running change whose ramp is over at
    /// `now` stays `Running` (with no time left) until [`poll`](Self::poll)
    /// finishes it.
    pub fn status(&self, ticket: Ticket, now: Instant) -> Option<ChangeStatus> {
        let mut found = None;
        self.visit_statuses(now, &mut |status| {
            if status.ticket != ticket {
                return ControlFlow::Continue(());
            }
            found = Some(status);
            ControlFlow::Break(())
        });
        found
    }

    /// Every change the schedule knows, as the runner sees them at `now`:
    /// finished ones (at most [`HISTORY`]), the running one and the waiting
    /// ones, oldest ticket first. `N` of them at most: room for
    /// [`HISTORY`] + 1 + `Q` lists them all; with less, the newest queued
    /// changes are left off.
    ///
    /// ```
    /// use urest_core::controller::{ChangeStatus, Policy, RampShape, Schedule, Status};
    /// use urest_core::ramp::LEVEL_MAX;
    /// use urest_core::time::Instant;
    ///
    /// let mut schedule: Schedule<4> = Schedule::new(Policy::Fifo, 0);
    /// let fade = RampShape::TEN_SECOND_FADE;
    /// schedule.submit(LEVEL_MAX, fade, Instant::ZERO).unwrap();
    /// schedule.submit(0, fade, Instant::ZERO).unwrap();
    /// let list: heapless::Vec<ChangeStatus, 16> = schedule.changes(Instant::ZERO);
    /// let statuses: heapless::Vec<Status, 16> = list.iter().map(|c| c.status).collect();
    /// assert_eq!(statuses.as_slice(), &[Status::Running, Status::Queued]);
    /// ```
    pub fn changes<const N: usize>(&self, now: Instant) -> heapless::Vec<ChangeStatus, N> {
        let mut list: heapless::Vec<ChangeStatus, N> = heapless::Vec::new();
        self.visit_statuses(now, &mut |status| match list.push(status) {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        });
        list.sort_unstable_by_key(|status| status.ticket);
        list
    }

    /// The known change with the smallest ticket after `after` (the oldest
    /// of all for `None`): a way to walk [`changes`](Self::changes) one at a
    /// time.
    pub fn next_after(&self, after: Option<Ticket>, now: Instant) -> Option<ChangeStatus> {
        let mut oldest: Option<ChangeStatus> = None;
        self.visit_statuses(now, &mut |status| {
            let later = after.is_none_or(|after| status.ticket > after);
            if later && oldest.is_none_or(|oldest| status.ticket < oldest.ticket) {
                oldest = Some(status);
            }
            ControlFlow::Continue(())
        });
        oldest
    }

    /// Hand every change the schedule knows to `visit`, as the runner
    /// sees them at `now`, until it says to stop: finished ones (at most
    /// [`HISTORY`]), the running one, then the waiting ones in order, each
    /// completing where the one before it ends.
    ///
    /// Out of line and not generic, so the walk (with a ramp's end worked
    /// out for each waiting change) is compiled once rather than into
    /// every lookup; plain loops rather than chained iterators, which took
    /// twice the code on a Cortex-M0.
    #[inline(never)]
    fn visit_statuses(&self, now: Instant, visit: &mut dyn FnMut(ChangeStatus) -> ControlFlow<()>) {
        for finished in in_order(&self.finished) {
            if visit(*finished).is_break() {
                return;
            }
        }
        let mut at = now;
        if let Some(running) = self.running {
            at = running.ramp.end().max(now);
            let status = ChangeStatus {
                ticket: running.ticket,
                status: Status::Running,
                target: running.ramp.to_level(),
                position: 0,
                accepted_at: running.accepted_at,
                completes_at: at,
            };
            if visit(status).is_break() {
                return;
            }
        }
        let mut level = self.heading_to();
        let mut position: u16 = 0;
        for waiting in in_order(&self.waiting) {
            at = waiting.shape.ramp(level, waiting.target, at).end();
            level = waiting.target;
            position = position.saturating_add(1);
            let status = ChangeStatus {
                ticket: waiting.ticket,
                status: Status::Queued,
                target: waiting.target,
                position,
                accepted_at: waiting.accepted_at,
                completes_at: at,
            };
            if visit(status).is_break() {
                return;
            }
        }
    }

    /// Cancel `ticket` at `now`.
    ///
    /// A waiting change leaves the queue; those behind it move up and finish
    /// sooner. The running change stops where it is and the output holds
    /// that level; the next waiting change starts from there at once. Either
    /// way the change is kept as [`Status::Cancelled`]. A finished change
    /// cannot be cancelled.
    ///
    /// ```
    /// use urest_core::controller::{CancelError, Policy, RampShape, Schedule, Status};
    /// use urest_core::ramp::LEVEL_MAX;
    /// use urest_core::resource::Outcome;
    /// use urest_core::time::Instant;
    ///
    /// let mut schedule: Schedule<4> = Schedule::new(Policy::Fifo, 0);
    /// let fade = RampShape::TEN_SECOND_FADE;
    /// let Ok(Outcome::Accepted { ticket, .. }) = schedule.submit(LEVEL_MAX, fade, Instant::ZERO) else {
    ///     unreachable!()
    /// };
    /// let half = Instant::from_millis(5_000);
    /// assert_eq!(schedule.cancel(ticket, half).map(|c| c.status), Ok(Status::Cancelled));
    /// assert_eq!(schedule.poll(half).level, LEVEL_MAX / 2 + 1); // held half way
    /// assert_eq!(schedule.cancel(ticket, half), Err(CancelError::Finished(Status::Cancelled)));
    /// ```
    pub fn cancel(&mut self, ticket: Ticket, now: Instant) -> Result<ChangeStatus, CancelError> {
        if let Some(&running) = self
            .running
            .as_ref()
            .filter(|running| running.ticket == ticket)
        {
            let held = running.ramp.level_at(now);
            return Ok(self.finish_running(running, held, Status::Cancelled, now, now));
        }
        if let Some(waiting) = self.take_waiting(ticket) {
            return Ok(self.record_waiting(waiting, Status::Cancelled, now));
        }
        match in_order(&self.finished).find(|finished| finished.ticket == ticket) {
            Some(finished) => Err(CancelError::Finished(finished.status)),
            None => Err(CancelError::Unknown),
        }
    }

    /// Take `ticket` out of the queue, if it waits there, keeping the
    /// order of the others. One turn of the queue, each change popped from
    /// the front and pushed back unless it is `ticket`: it finds and
    /// removes in one loop, and heapless's `retain` would carry a panic
    /// path for an index it has already checked.
    fn take_waiting(&mut self, ticket: Ticket) -> Option<Waiting> {
        let mut taken = None;
        for _ in 0..self.waiting.len() {
            if let Some(waiting) = self.next_waiting() {
                if waiting.ticket == ticket {
                    taken = Some(waiting);
                } else {
                    // Cannot fail: one was just taken out.
                    self.queue(waiting);
                }
            }
        }
        taken
    }

    fn record_running(&mut self, running: Running, status: Status, at: Instant) -> ChangeStatus {
        self.record(ChangeStatus {
            ticket: running.ticket,
            status,
            target: running.ramp.to_level(),
            position: 0,
            accepted_at: running.accepted_at,
            completes_at: at,
        })
    }

    fn record_waiting(&mut self, waiting: Waiting, status: Status, at: Instant) -> ChangeStatus {
        self.record(ChangeStatus {
            ticket: waiting.ticket,
            status,
            target: waiting.target,
            position: 0,
            accepted_at: waiting.accepted_at,
            completes_at: at,
        })
    }

    /// Keep a finished change, forgetting the oldest beyond [`HISTORY`].
    fn record(&mut self, record: ChangeStatus) -> ChangeStatus {
        if self.finished.is_full() {
            self.finished.pop_front();
        }
        // Room was made above.
        let _ = self.finished.push_back(record);
        record
    }

    /// The first waiting change, taken out of the queue. Out of line:
    /// three places take one.
    #[inline(never)]
    fn next_waiting(&mut self) -> Option<Waiting> {
        self.waiting.pop_front()
    }

    /// Put `waiting` at the back of the queue, which has room. Out of
    /// line, as [`next_waiting`](Self::next_waiting) is: two places queue.
    #[inline(never)]
    fn queue(&mut self, waiting: Waiting) {
        let _ = self.waiting.push_back(waiting);
    }

    fn idle(&self) -> Step {
        Step {
            level: self.written,
            wake_at: None,
        }
    }

    fn issue(&mut self) -> Ticket {
        self.issued = self.issued.wrapping_add(1);
        Ticket(self.issued)
    }

    /// Replace whatever runs with a ramp from the level on the output now.
    fn start(&mut self, target: Level, shape: RampShape, now: Instant) -> Outcome {
        if let Some(old) = self.running.take() {
            self.record_running(old, Status::Superseded, now);
        }
        if target == self.written {
            // Turned back to exactly where the output is: nothing to ramp.
            self.resting = target;
            return Outcome::Done;
        }
        let running = Running {
            ramp: shape.ramp(self.written, target, now),
            ticket: self.issue(),
            accepted_at: now,
        };
        self.running = Some(running);
        running.accepted()
    }

    fn repeat_last(&self, now: Instant) -> Outcome {
        match (self.waiting.back(), &self.running) {
            (Some(last), _) => Outcome::Accepted {
                ticket: last.ticket,
                position: self.position_of_last(),
                completes_at: self.settled_at(now),
            },
            (None, Some(running)) => running.accepted(),
            (None, None) => Outcome::Done,
        }
    }

    fn position_of_last(&self) -> u16 {
        u16::try_from(self.waiting.len()).unwrap_or(u16::MAX)
    }
}
