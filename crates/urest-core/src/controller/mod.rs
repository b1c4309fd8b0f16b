//! A PWM output behind a lock, driven through transitions by one runner.
//!
//! The hazard the "Concurrent API Access" note describes is two ramps writing one pin alternately. Here a pin has
//! exactly one writer: [`RampController::run`], which holds the output's async
//! lock for as long as a transition lasts. Verbs never touch the pin; they
//! hand changes to a [`Schedule`], which decides by [`Policy`] whether to
//! queue, refuse or preempt. Order comes from the schedule's queue, not from
//! the lock, so it holds even though `embassy_sync`'s mutex is not fair.

mod history;
mod schedule;

use core::cell::RefCell;
use core::convert::Infallible;
use core::time::Duration;

use embassy_futures::select::select;
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::blocking_mutex::Mutex as BlockingMutex;
use embassy_sync::mutex::{Mutex, MutexGuard};
use embassy_sync::signal::Signal;
use embedded_hal::pwm::SetDutyCycle;
use embedded_hal_async::delay::DelayNs;

pub use history::{CancelError, ChangeStatus, Changes, Status, HISTORY};
pub use schedule::{Policy, RampShape, Refusal, Schedule, Step, Ticket};

use crate::ramp::{Brightness, Level};
use crate::resource::{Error, Outcome};
use crate::time::{Clock, Instant};

/// How a [`RampController`] starts out.
///
/// ```
/// use urest_core::controller::{Policy, RampConfig, RampShape};
///
/// let config = RampConfig { policy: Policy::Preempt, ..RampConfig::FIFO_TEN_SECOND_FADE };
/// assert_eq!(config.shape, RampShape::TEN_SECOND_FADE);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RampConfig {
    /// What happens to changes that arrive while one is under way.
    pub policy: Policy,
    /// Steps, step time and easing of transitions.
    pub shape: RampShape,
    /// How levels map onto duty cycles.
    pub brightness: Brightness,
    /// The level the output starts at (and that the runner writes first).
    pub initial: Level,
}

impl RampConfig {
    /// Fifo, ten one-second linear steps, starting off: the original MicroPython urest's PWM LED.
    pub const FIFO_TEN_SECOND_FADE: RampConfig = RampConfig {
        policy: Policy::Fifo,
        shape: RampShape::TEN_SECOND_FADE,
        brightness: Brightness::Linear,
        initial: 0,
    };
}

impl Default for RampConfig {
    fn default() -> Self {
        RampConfig::FIFO_TEN_SECOND_FADE
    }
}

/// What a [`RampController`] is doing, read without waiting.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Snapshot {
    /// The policy in force.
    pub policy: Policy,
    /// The level last written to the output.
    pub level: Level,
    /// The duty cycle last written to the output.
    pub duty: u16,
    /// The output's full-scale duty cycle.
    pub max_duty: u16,
    /// The level reached by the last completed transition.
    pub resting: Level,
    /// Where the running transition is going (the resting level when idle).
    pub heading_to: Level,
    /// Where the output ends once all waiting changes have run.
    pub eventual: Level,
    /// How many changes wait behind the running one.
    pub waiting: usize,
    /// How long until every accepted change is complete.
    pub remaining: Duration,
    /// The shape new transitions will take.
    pub shape: RampShape,
}

struct Shared<const Q: usize> {
    schedule: Schedule<Q>,
    shape: RampShape,
    /// The duty on the pin, so a level that did not change is not written again.
    duty_on_pin: Option<u16>,
}

/// A PWM output that moves between levels in timed steps, one transition at
/// a time.
///
/// `M` is the raw mutex guarding the state (`CriticalSectionRawMutex` when
/// verbs and the runner may be on different executors or interrupt levels,
/// `NoopRawMutex` when all are on one executor). `Q` is how many changes may
/// wait under [`Policy::Fifo`].
///
/// ```
/// use core::convert::Infallible;
/// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
/// use embedded_hal::pwm::{ErrorType, SetDutyCycle};
/// use urest_core::controller::{RampConfig, RampController};
/// use urest_core::ramp::LEVEL_MAX;
/// use urest_core::time::Instant;
///
/// struct Pwm(u16);
/// impl ErrorType for Pwm { type Error = Infallible; }
/// impl SetDutyCycle for Pwm {
///     fn max_duty_cycle(&self) -> u16 { 1_000 }
///     fn set_duty_cycle(&mut self, duty: u16) -> Result<(), Infallible> { self.0 = duty; Ok(()) }
/// }
///
/// let led: RampController<NoopRawMutex, Pwm, 4> = RampController::new(Pwm(0), RampConfig::FIFO_TEN_SECOND_FADE);
/// let outcome = led.submit(LEVEL_MAX, None, Instant::ZERO).unwrap();
/// assert!(!outcome.is_done()); // the runner task applies it over ten seconds
/// assert_eq!(led.snapshot(Instant::ZERO).heading_to, LEVEL_MAX);
/// ```
pub struct RampController<M: RawMutex, P: SetDutyCycle, const Q: usize> {
    output: Mutex<M, P>,
    shared: BlockingMutex<M, RefCell<Shared<Q>>>,
    changed: Signal<M, ()>,
    max_duty: u16,
    brightness: Brightness,
}

impl<M: RawMutex, P: SetDutyCycle, const Q: usize> RampController<M, P, Q> {
    /// Take ownership of `output`. Nothing is written until [`run`](Self::run).
    pub fn new(output: P, config: RampConfig) -> Self {
        let max_duty = output.max_duty_cycle();
        RampController {
            output: Mutex::new(output),
            shared: BlockingMutex::new(RefCell::new(Shared {
                schedule: Schedule::new(config.policy, config.initial),
                shape: config.shape,
                duty_on_pin: None,
            })),
            changed: Signal::new(),
            max_duty,
            brightness: config.brightness,
        }
    }

    /// Ask for a transition to `target`, taking `shape` for it and for later
    /// transitions (or the current shape if `None`). Never waits.
    ///
    /// On a refusal nothing changes, not even the shape.
    pub fn submit(
        &self,
        target: Level,
        shape: Option<RampShape>,
        now: Instant,
    ) -> Result<Outcome, Error> {
        self.change(|shared| {
            let shape = shape.unwrap_or(shared.shape);
            let outcome = shared
                .schedule
                .submit(target, shape, now)
                .map_err(|refusal| match refusal {
                    Refusal::Busy { retry_after } => Error::Busy { retry_after },
                    Refusal::QueueFull { retry_after } => Error::QueueFull { retry_after },
                })?;
            shared.shape = shape;
            Ok(outcome)
        })
    }

    /// Cancel waiting changes and head for `target` with `shape`, which
    /// becomes the shape of later transitions too. Never refused.
    pub fn reset(&self, target: Level, shape: RampShape, now: Instant) -> Outcome {
        self.change(|shared| {
            shared.shape = shape;
            shared.schedule.reset(target, shape, now)
        })
    }

    /// The policy for changes that arrive while one runs.
    pub fn policy(&self) -> Policy {
        self.shared.lock(|shared| shared.borrow().schedule.policy())
    }

    /// The shape later transitions will take.
    pub fn shape(&self) -> RampShape {
        self.shared.lock(|shared| shared.borrow().shape)
    }

    /// Set the shape of later transitions without starting one.
    pub fn set_shape(&self, shape: RampShape) {
        self.shared.lock(|shared| shared.borrow_mut().shape = shape);
    }

    /// What the controller is doing at `now`.
    pub fn snapshot(&self, now: Instant) -> Snapshot {
        self.shared.lock(|shared| {
            let shared = shared.borrow();
            let schedule = &shared.schedule;
            Snapshot {
                policy: schedule.policy(),
                level: schedule.written(),
                duty: self.brightness.duty(schedule.written(), self.max_duty),
                max_duty: self.max_duty,
                resting: schedule.resting(),
                heading_to: schedule.heading_to(),
                eventual: schedule.eventual(),
                waiting: schedule.waiting(),
                remaining: schedule.settled_at(now).duration_since(now),
                shape: shared.shape,
            }
        })
    }

    /// Whether `ticket` is neither running nor waiting any more.
    pub fn is_settled(&self, ticket: Ticket) -> bool {
        self.shared
            .lock(|shared| shared.borrow().schedule.is_settled(ticket))
    }

    /// Where `ticket` stands at `now` (see [`Schedule::status`]).
    ///
    /// ```
    /// # use core::convert::Infallible;
    /// # use embassy_sync::blocking_mutex::raw::NoopRawMutex;
    /// # use embedded_hal::pwm::{ErrorType, SetDutyCycle};
    /// use urest_core::controller::{RampConfig, RampController, Status};
    /// use urest_core::ramp::LEVEL_MAX;
    /// use urest_core::resource::Outcome;
    /// use urest_core::time::Instant;
    /// # struct Pwm;
    /// # impl ErrorType for Pwm { type Error = Infallible; }
    /// # impl SetDutyCycle for Pwm {
    /// #     fn max_duty_cycle(&self) -> u16 { 255 }
    /// #     fn set_duty_cycle(&mut self, _: u16) -> Result<(), Infallible> { Ok(()) }
    /// # }
    ///
    /// let led: RampController<NoopRawMutex, Pwm, 4> = RampController::new(Pwm, RampConfig::default());
    /// let Ok(Outcome::Accepted { ticket, .. }) = led.submit(LEVEL_MAX, None, Instant::ZERO) else {
    ///     unreachable!()
    /// };
    /// let status = led.change_status(ticket, Instant::from_millis(4_000)).unwrap();
    /// assert_eq!((status.status, status.eta(Instant::from_millis(4_000)).as_secs()), (Status::Running, 6));
    /// let cancelled = led.cancel(ticket, Instant::from_millis(4_000)).unwrap();
    /// assert_eq!(cancelled.status, Status::Cancelled);
    /// ```
    pub fn change_status(&self, ticket: Ticket, now: Instant) -> Option<ChangeStatus> {
        self.shared
            .lock(|shared| shared.borrow().schedule.status(ticket, now))
    }

    /// Cancel `ticket` at `now` (see [`Schedule::cancel`]). Cancelling the
    /// running change wakes the runner, which holds the level reached and
    /// starts the next waiting change from there.
    pub fn cancel(&self, ticket: Ticket, now: Instant) -> Result<ChangeStatus, CancelError> {
        let (result, woke) = self.shared.lock(|shared| {
            let mut shared = shared.borrow_mut();
            let before = shared.schedule.running_ticket();
            let result = shared.schedule.cancel(ticket, now);
            let woke = result.is_ok() && before == Some(ticket);
            (result, woke)
        });
        if woke {
            self.wake_runner();
        }
        result
    }

    /// Tell the runner to look at the schedule again. Out of line: three
    /// verbs wake it, and each inlined signal is a critical section and a
    /// waker call.
    #[inline(never)]
    fn wake_runner(&self) {
        self.changed.signal(());
    }

    /// Borrow the output directly, for as long as no transition runs.
    ///
    /// Transitions that start while the guard is held wait for it; the
    /// runner never writes while someone else holds the output.
    pub async fn lock_output(&self) -> MutexGuard<'_, M, P> {
        let guard = self.output.lock().await;
        // The holder may write anything; the runner must not assume the
        // duty it wrote last is still on the pin.
        self.shared
            .lock(|shared| shared.borrow_mut().duty_on_pin = None);
        guard
    }

    /// Apply transitions as they are accepted. Run this in exactly one task
    /// per controller; it returns only if the output reports an error.
    ///
    /// `clock` and `delay` must measure the same time. Dropping the future
    /// mid-transition releases the output lock and leaves the schedule
    /// consistent: the next `run` picks the transition up where the clock
    /// says it should be.
    pub async fn run<C: Clock, D: DelayNs>(
        &self,
        clock: &C,
        delay: &mut D,
    ) -> Result<Infallible, P::Error> {
        loop {
            self.apply_until_idle(clock, delay).await?;
            self.changed.wait().await;
        }
    }

    async fn apply_until_idle<C: Clock, D: DelayNs>(
        &self,
        clock: &C,
        delay: &mut D,
    ) -> Result<(), P::Error> {
        let mut output = self.output.lock().await;
        loop {
            // A change made after this reset wakes the wait below; one made
            // before it is seen by this poll.
            self.changed.reset();
            let (step, duty_on_pin) = self.shared.lock(|shared| {
                let mut shared = shared.borrow_mut();
                (shared.schedule.poll(clock.now()), shared.duty_on_pin)
            });
            let duty = self.brightness.duty(step.level, self.max_duty);
            if duty_on_pin != Some(duty) {
                output.set_duty_cycle(duty)?;
                self.shared
                    .lock(|shared| shared.borrow_mut().duty_on_pin = Some(duty));
            }
            let Some(wake_at) = step.wake_at else {
                return Ok(());
            };
            let wait = wake_at.micros_since(clock.now());
            let micros = u32::try_from(wait).unwrap_or(u32::MAX);
            select(delay.delay_us(micros), self.changed.wait()).await;
        }
    }

    fn change<R>(&self, apply: impl FnOnce(&mut Shared<Q>) -> R) -> R {
        let (result, woke) = self.shared.lock(|shared| {
            let mut shared = shared.borrow_mut();
            let before = shared.schedule.running_ticket();
            let result = apply(&mut shared);
            (result, shared.schedule.running_ticket() != before)
        });
        // Only a new running transition needs the runner early; waiting
        // changes start when the running one ends, which it already awaits.
        if woke {
            self.wake_runner();
        }
        result
    }
}

impl<M: RawMutex, P: SetDutyCycle, const Q: usize> Changes for RampController<M, P, Q> {
    fn status(&self, ticket: Ticket, now: Instant) -> Option<ChangeStatus> {
        self.change_status(ticket, now)
    }

    fn for_each(&self, now: Instant, visit: &mut dyn FnMut(ChangeStatus)) {
        // One change at a time, so `visit` runs outside the lock and may
        // call back into the controller, and nothing large sits on the stack.
        let mut after = None;
        while let Some(change) = self
            .shared
            .lock(|shared| shared.borrow().schedule.next_after(after, now))
        {
            after = Some(change.ticket);
            visit(change);
        }
    }

    fn cancel(&self, ticket: Ticket, now: Instant) -> Result<ChangeStatus, CancelError> {
        RampController::cancel(self, ticket, now)
    }
}
