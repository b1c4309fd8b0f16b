//! Slow nouns of one's own: a typed [`State`] over a [`RampController`].

use embassy_sync::blocking_mutex::raw::RawMutex;
use embedded_hal::pwm::SetDutyCycle;

use crate::attributes::Attributes;
use crate::controller::{Changes, RampConfig, RampController, RampShape, Snapshot};
use crate::ramp::Level;
use crate::resource::{Description, Error, Outcome, Resource, Verbs};
use crate::state::State;
use crate::time::Instant;

/// A noun that moves slowly — a fan spinning up, a valve opening — told in
/// terms of its own state and driven by a [`RampController`].
///
/// The controller brings the policies (Fifo, Reject, Preempt), the queue,
/// `202 Accepted` with a ticket, and the single writer to the output;
/// [`RampNoun`] maps requests onto it. A trait of two functions says how
/// the state and the output's level relate.
///
/// ```
/// use core::convert::Infallible;
/// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
/// use embedded_hal::pwm::{ErrorType, SetDutyCycle};
/// use urest_core::controller::{RampConfig, Snapshot};
/// use urest_core::nouns::{RampNoun, Ramped};
/// use urest_core::ramp::{Level, LEVEL_MAX};
/// use urest_core::resource::Resource;
/// use urest_core::state::State;
/// use urest_core::time::Instant;
///
/// urest_core::state! {
///     /// A fan's state.
///     pub struct Fan {
///         /// the speed to reach, in percent
///         pub speed: u8 [range 0..=100],
///         /// the speed now, in percent
///         pub current: u8 [read_only],
///     }
/// }
///
/// struct FanRamp;
///
/// impl Ramped for FanRamp {
///     type State = Fan;
///     const KIND: &'static str = "fan";
///     fn target(wanted: &Fan) -> Level {
///         ((u32::from(wanted.speed) * u32::from(LEVEL_MAX) + 50) / 100) as Level
///     }
///     fn state(now: &Snapshot) -> Fan {
///         let max = u32::from(LEVEL_MAX);
///         let percent = |level: Level| ((u32::from(level) * 100 + max / 2) / max) as u8;
///         Fan { speed: percent(now.eventual), current: percent(now.level) }
///     }
/// }
///
/// struct Pwm;
/// impl ErrorType for Pwm { type Error = Infallible; }
/// impl SetDutyCycle for Pwm {
///     fn max_duty_cycle(&self) -> u16 { 1000 }
///     fn set_duty_cycle(&mut self, _: u16) -> Result<(), Infallible> { Ok(()) }
/// }
///
/// let fan: RampNoun<NoopRawMutex, Pwm, 4, FanRamp> =
///     RampNoun::new(Pwm, RampConfig::FIFO_TEN_SECOND_FADE);
/// let mut half = Fan::default();
/// half.speed = 50;
/// let outcome = fan.put(&half.writable(), Instant::ZERO).unwrap();
/// assert!(!outcome.is_done(), "202: the fan spins up in its runner's task");
/// assert_eq!(fan.get(Instant::ZERO).int("speed"), Some(50));
/// ```
pub trait Ramped {
    /// The state clients read and write.
    type State: State;

    /// A short type name for the index, such as `"fan"`.
    const KIND: &'static str;

    /// The output level the writable fields of `wanted` ask for.
    fn target(wanted: &Self::State) -> Level;

    /// The state to show while the controller is where `now` says: its
    /// writable fields from where it is going (`now.eventual`), read-only
    /// ones from where it is (`now.level`) or anything else in it.
    fn state(now: &Snapshot) -> Self::State;

    /// What a POST with an empty body asks for, starting from the current
    /// state. By default it asks for no change.
    fn toggle(_state: &mut Self::State) {}
}

/// A slow noun: a [`Ramped`] over a [`RampController`] with a queue of `Q`.
///
/// PUT asks for every writable key (each is required), POST for the keys it
/// names (an empty POST for [`Ramped::toggle`]); both are accepted (`202`) or
/// refused by the controller's policy. DELETE cancels waiting changes and
/// heads for the state's `Default` with the configured shape. As with
/// [`PwmLed`](crate::nouns::PwmLed), the controller's
/// [`run`](RampController::run) must run in a task of its own.
pub struct RampNoun<M: RawMutex, P: SetDutyCycle, const Q: usize, R: Ramped> {
    controller: RampController<M, P, Q>,
    shape: RampShape,
    ramp: core::marker::PhantomData<R>,
}

impl<M: RawMutex, P: SetDutyCycle, const Q: usize, R: Ramped> RampNoun<M, P, Q, R> {
    /// A slow noun on `output`; `config.shape` is also what DELETE uses.
    pub fn new(output: P, config: RampConfig) -> Self {
        RampNoun {
            controller: RampController::new(output, config),
            shape: config.shape,
            ramp: core::marker::PhantomData,
        }
    }

    /// The controller that owns the output; run its
    /// [`run`](RampController::run) in a task of its own.
    pub fn controller(&self) -> &RampController<M, P, Q> {
        &self.controller
    }

    fn submit(&self, wanted: &R::State, now: Instant) -> Result<Outcome, Error> {
        self.controller.submit(R::target(wanted), None, now)
    }

    fn current(&self, now: Instant) -> R::State {
        R::state(&self.controller.snapshot(now))
    }
}

impl<M: RawMutex, P: SetDutyCycle, const Q: usize, R: Ramped> Resource for RampNoun<M, P, Q, R> {
    fn describe(&self) -> Description {
        Description {
            kind: R::KIND,
            policy: Some(self.controller.policy()),
            attributes: R::State::SCHEMA,
            verbs: Verbs::ALL,
        }
    }

    fn get(&self, now: Instant) -> Attributes {
        self.current(now).to_attributes()
    }

    fn put(&self, patch: &Attributes, now: Instant) -> Result<Outcome, Error> {
        R::State::require_writable(patch)?;
        let mut wanted = self.current(now);
        wanted.merge(patch)?;
        self.submit(&wanted, now)
    }

    fn post(&self, patch: &Attributes, now: Instant) -> Result<Outcome, Error> {
        let mut wanted = self.current(now);
        if patch.is_empty() {
            R::toggle(&mut wanted);
        } else {
            wanted.merge(patch)?;
        }
        self.submit(&wanted, now)
    }

    fn delete(&self, now: Instant) -> Result<Outcome, Error> {
        let target = R::target(&R::State::default());
        Ok(self.controller.reset(target, self.shape, now))
    }

    fn changes(&self) -> Option<&dyn Changes> {
        Some(&self.controller)
    }
}
