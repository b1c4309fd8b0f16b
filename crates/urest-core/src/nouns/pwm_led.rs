//! The original MicroPython urest's PWMLED: an LED that fades on and off in timed steps.

use core::num::NonZeroU16;
use core::time::Duration;

use embassy_sync::blocking_mutex::raw::RawMutex;
use embedded_hal::pwm::SetDutyCycle;

use crate::attributes::{Access, AttributeError, AttributeSpec, Attributes, Kind, Problem, Value};
use crate::controller::{Changes, RampConfig, RampController, RampShape};
use crate::ramp::{Level, LEVEL_MAX};
use crate::resource::{Description, Error, Outcome, Resource, Verbs};
use crate::time::{whole_millis, Instant};

/// Most steps a transition may be given.
const MAX_STEPS: i64 = 1_000;
/// Longest step a transition may be given, in milliseconds (ten minutes).
const MAX_STEP_MS: i64 = 600_000;

const SCHEMA: &[AttributeSpec] = &[
    AttributeSpec {
        key: "desired",
        kind: Kind::Int { min: 0, max: 1 },
        access: Access::ReadWrite,
        doc: "where the output ends once every accepted change has run: 0 off, 1 on",
    },
    AttributeSpec {
        key: "heading",
        kind: Kind::Int { min: 0, max: 1 },
        access: Access::ReadOnly,
        doc: "where the running transition goes (equals current when idle)",
    },
    AttributeSpec {
        key: "current",
        kind: Kind::Int { min: 0, max: 1 },
        access: Access::ReadOnly,
        doc: "the state last reached; changes only when a transition completes",
    },
    AttributeSpec {
        key: "duty",
        kind: Kind::Int {
            min: 0,
            max: u16::MAX as i64,
        },
        access: Access::ReadOnly,
        doc: "the duty cycle on the pin now",
    },
    AttributeSpec {
        key: "max_duty",
        kind: Kind::Int {
            min: 0,
            max: u16::MAX as i64,
        },
        access: Access::ReadOnly,
        doc: "the duty cycle of fully on",
    },
    AttributeSpec {
        key: "waiting",
        kind: Kind::Int {
            min: 0,
            max: u16::MAX as i64,
        },
        access: Access::ReadOnly,
        doc: "changes accepted and waiting behind the running one",
    },
    AttributeSpec {
        key: "remaining_ms",
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        access: Access::ReadOnly,
        doc: "time until every accepted change is complete",
    },
    AttributeSpec {
        key: "steps",
        kind: Kind::Int {
            min: 1,
            max: MAX_STEPS,
        },
        access: Access::ReadWrite,
        doc: "steps from off to on (shorter swings take fewer)",
    },
    AttributeSpec {
        key: "step_ms",
        kind: Kind::Int {
            min: 0,
            max: MAX_STEP_MS,
        },
        access: Access::ReadWrite,
        doc: "how long each step holds, in milliseconds",
    },
    AttributeSpec {
        key: "policy",
        kind: Kind::Str { max_len: 8 },
        access: Access::ReadOnly,
        doc: "what happens to a change made while one runs: fifo, reject or preempt",
    },
];

/// An LED on a PWM output that fades between off and on (the original MicroPython urest's PWMLED).
///
/// State: `desired` (0/1, where the output ends once every accepted change
/// has run: what the last accepted PUT asked for), `heading` (0/1, where the
/// running transition goes), `current` (0/1, the state last reached: it
/// changes only when a transition completes, so `current 0, desired 1` reads
/// "turning on"),
/// `duty` and `max_duty` (the live level on the pin), `waiting` (changes
/// queued behind the running one), `remaining_ms`, `steps` and `step_ms`
/// (writable), and `policy`.
///
/// Verbs: PUT `{"desired": 0|1}` sets (idempotent; `steps` and `step_ms` may
/// come along), POST `{}` toggles and POST with attributes updates them,
/// DELETE cancels waiting changes and fades off with the configured shape.
/// Changes are applied by [`PwmLed::controller`]'s
/// [`run`](RampController::run), which must run in its own task.
///
/// ```
/// use core::convert::Infallible;
/// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
/// use embedded_hal::pwm::{ErrorType, SetDutyCycle};
/// use urest_core::attributes::{Attributes, Value};
/// use urest_core::controller::RampConfig;
/// use urest_core::nouns::PwmLed;
/// use urest_core::resource::Resource;
/// use urest_core::time::Instant;
///
/// struct Pwm;
/// impl ErrorType for Pwm { type Error = Infallible; }
/// impl SetDutyCycle for Pwm {
///     fn max_duty_cycle(&self) -> u16 { 255 }
///     fn set_duty_cycle(&mut self, _: u16) -> Result<(), Infallible> { Ok(()) }
/// }
///
/// let led: PwmLed<NoopRawMutex, Pwm, 8> = PwmLed::new(Pwm, RampConfig::FIFO_TEN_SECOND_FADE);
/// let mut on = Attributes::new();
/// on.set("desired", Value::Int(1)).unwrap();
/// led.put(&on, Instant::ZERO).unwrap();
/// let state = led.get(Instant::ZERO);
/// assert_eq!((state.int("desired"), state.int("current")), (Some(1), Some(0)));
/// ```
pub struct PwmLed<M: RawMutex, P: SetDutyCycle, const Q: usize> {
    controller: RampController<M, P, Q>,
    defaults: RampShape,
}

impl<M: RawMutex, P: SetDutyCycle, const Q: usize> PwmLed<M, P, Q> {
    /// A PWM LED on `output`. `config.initial` is taken as off unless it is
    /// [`LEVEL_MAX`]; `config.shape` is also what DELETE returns to.
    pub fn new(output: P, config: RampConfig) -> Self {
        let initial = if config.initial == LEVEL_MAX {
            LEVEL_MAX
        } else {
            0
        };
        PwmLed {
            controller: RampController::new(output, RampConfig { initial, ..config }),
            defaults: config.shape,
        }
    }

    /// The controller that owns the output; run its
    /// [`run`](RampController::run) in a task of its own.
    pub fn controller(&self) -> &RampController<M, P, Q> {
        &self.controller
    }

    /// The shape asked for by `patch`, or `None` if it names neither
    /// `steps` nor `step_ms`.
    fn shape_in(&self, patch: &Attributes) -> Option<RampShape> {
        let steps = patch.int("steps");
        let step_ms = patch.int("step_ms");
        if steps.is_none() && step_ms.is_none() {
            return None;
        }
        let mut shape = self.controller.shape();
        // The schema has bounded both, so the conversions cannot fail.
        if let Some(steps) = steps.and_then(|s| u16::try_from(s).ok()) {
            shape.steps = NonZeroU16::new(steps).unwrap_or(shape.steps);
        }
        if let Some(step_ms) = step_ms.and_then(|ms| u64::try_from(ms).ok()) {
            shape.step_time = Duration::from_millis(step_ms);
        }
        Some(shape)
    }

    fn transition(&self, desired: i64, patch: &Attributes, now: Instant) -> Result<Outcome, Error> {
        let target: Level = if desired == 0 { 0 } else { LEVEL_MAX };
        self.controller.submit(target, self.shape_in(patch), now)
    }
}

fn on_off(level: Level) -> i64 {
    i64::from(level > 0)
}

impl<M: RawMutex, P: SetDutyCycle, const Q: usize> Resource for PwmLed<M, P, Q> {
    fn describe(&self) -> Description {
        Description {
            kind: "pwm_led",
            policy: Some(self.controller.policy()),
            attributes: SCHEMA,
            verbs: Verbs::ALL,
        }
    }

    fn get(&self, now: Instant) -> Attributes {
        let snapshot = self.controller.snapshot(now);
        let remaining_ms = i64::try_from(whole_millis(snapshot.remaining)).unwrap_or(i64::MAX);
        let step_ms = i64::try_from(whole_millis(snapshot.shape.step_time)).unwrap_or(i64::MAX);
        // The integers in the schema's order, so the keys come from it
        // rather than each being stored beside its number: plain numbers
        // also keep the stack small (an array of `(key, Value)` took 480
        // bytes of it next to the set itself).
        let integers = [
            on_off(snapshot.eventual),
            on_off(snapshot.heading_to),
            on_off(snapshot.resting),
            i64::from(snapshot.duty),
            i64::from(snapshot.max_duty),
            snapshot.waiting as i64,
            remaining_ms,
            i64::from(snapshot.shape.steps.get()),
            step_ms,
        ];
        let mut state = Attributes::new();
        // Ten entries, fewer than MAX_ATTRIBUTES: no set can overflow.
        for (spec, number) in SCHEMA.iter().zip(integers) {
            let _ = state.set(spec.key, Value::Int(number));
        }
        let _ = state.set("policy", Value::text(snapshot.policy.name()));
        state
    }

    fn put(&self, patch: &Attributes, now: Instant) -> Result<Outcome, Error> {
        let desired = patch
            .int("desired")
            .ok_or_else(|| AttributeError::new("desired", Problem::Missing))?;
        self.transition(desired, patch, now)
    }

    fn post(&self, patch: &Attributes, now: Instant) -> Result<Outcome, Error> {
        if let Some(desired) = patch.int("desired") {
            return self.transition(desired, patch, now);
        }
        if let Some(shape) = self.shape_in(patch) {
            self.controller.set_shape(shape);
            return Ok(Outcome::Done);
        }
        // An empty POST toggles where the output will end up.
        let eventual = self.controller.snapshot(now).eventual;
        self.transition(1 - on_off(eventual), patch, now)
    }

    fn delete(&self, now: Instant) -> Result<Outcome, Error> {
        Ok(self.controller.reset(0, self.defaults, now))
    }

    fn changes(&self) -> Option<&dyn Changes> {
        Some(&self.controller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `get` takes its keys from the schema, in the schema's order.
    #[test]
    fn the_state_lists_the_schema_in_order() {
        let expected = [
            "desired",
            "heading",
            "current",
            "duty",
            "max_duty",
            "waiting",
            "remaining_ms",
            "steps",
            "step_ms",
            "policy",
        ];
        let keys = SCHEMA.iter().map(|spec| spec.key);
        assert!(keys.eq(expected));
    }
}
