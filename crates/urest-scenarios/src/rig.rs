//! What every scenario needs: a PWM LED over a recording mock, clients that
//! arrive at given times, and a way to wait until the noun is idle.

use core::future::Future;
use core::num::NonZeroU16;
use core::time::Duration;

use embassy_futures::select::{select, Either};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use urest_core::attributes::{Attributes, Value};
use urest_core::controller::{Policy, RampConfig, RampShape};
use urest_core::nouns::PwmLed;
use urest_core::ramp::Easing;
use urest_core::time::{Clock, Instant};
use urest_mock::{MockPwm, Recorder, Simulation, VirtualClock};

use crate::check::Failure;

/// Full scale of the mock timer: a 10-bit PWM, common on small parts.
pub const MAX_DUTY: u16 = 1_023;

/// The clock that stamps recordings.
pub type SimClock = &'static VirtualClock;

/// A PWM LED over a recording mock with room for `Q` waiting changes.
pub type Led<'r, const N: usize, const Q: usize> =
    PwmLed<NoopRawMutex, MockPwm<'r, SimClock, N>, Q>;

/// Scenarios give up if virtual time runs this far past their start.
const TIME_LIMIT: Duration = Duration::from_secs(3_600);

/// Ten linear steps of one second, as in the original MicroPython urest.
pub const TEN_SECOND_FADE: RampShape = RampShape::TEN_SECOND_FADE;

/// A shape of `steps` linear steps of `step_ms` milliseconds.
pub fn shape(steps: u16, step_ms: u64) -> RampShape {
    RampShape {
        steps: NonZeroU16::new(steps).unwrap_or(NonZeroU16::MIN),
        step_time: Duration::from_millis(step_ms),
        easing: Easing::Linear,
    }
}

/// A recorder stamped by the simulation's clock.
pub fn recorder<const N: usize>(sim: &'static Simulation) -> Recorder<SimClock, N> {
    Recorder::new(sim.clock())
}

/// A PWM LED under `policy` with `shape`, starting off.
pub fn led<const N: usize, const Q: usize>(
    recorder: &Recorder<SimClock, N>,
    policy: Policy,
    shape: RampShape,
) -> Led<'_, N, Q> {
    let config = RampConfig {
        policy,
        shape,
        ..RampConfig::FIFO_TEN_SECOND_FADE
    };
    PwmLed::new(MockPwm::new(recorder, MAX_DUTY), config)
}

/// A patch `{"desired": value}`.
pub fn desired(value: i64) -> Attributes {
    let mut patch = Attributes::new();
    // One entry always fits.
    let _ = patch.set("desired", Value::Int(value));
    patch
}

/// Run `clients` while the LED's runner applies their changes, and return
/// what the clients return. The runner is dropped when the clients finish.
pub fn play<const N: usize, const Q: usize, F: Future>(
    sim: &'static Simulation,
    led: &Led<'_, N, Q>,
    clients: F,
) -> Result<F::Output, Failure> {
    let limit = sim.clock().now() + TIME_LIMIT;
    let mut delay = sim.delay();
    let runner = led.controller().run(sim.clock(), &mut delay);
    match sim.run(limit, select(runner, clients))? {
        Either::First(Err(error)) => Err(Failure::new(format_args!("runner failed: {error:?}"))),
        Either::First(Ok(never)) => match never {},
        Either::Second(output) => Ok(output),
    }
}

/// Sleep until `offset` after `start`.
pub async fn at(sim: &'static Simulation, start: Instant, offset: Duration) {
    sim.delay().until(start + offset).await;
}

/// Sleep until every accepted change on `led` is complete.
pub async fn settle<const N: usize, const Q: usize>(sim: &'static Simulation, led: &Led<'_, N, Q>) {
    loop {
        let now = sim.clock().now();
        let snapshot = led.controller().snapshot(now);
        // Not `heading_to == resting`: a Preempt turned back to where it
        // started reads that way while it still fades.
        let idle = snapshot.remaining.is_zero()
            && snapshot.waiting == 0
            && snapshot.level == snapshot.heading_to;
        if idle {
            return;
        }
        // The runner completes a transition at its end time; look again just after.
        let wake = now + snapshot.remaining.max(Duration::from_micros(1));
        sim.delay().until(wake).await;
    }
}

/// Milliseconds as a duration (scenario times read better in ms).
pub fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// A small deterministic generator for arrival times (xorshift32).
pub struct XorShift(u32);

impl XorShift {
    /// A generator from `seed` (zero is replaced, as xorshift needs a set bit).
    pub fn new(seed: u32) -> XorShift {
        XorShift(if seed == 0 { 0x9E37_79B9 } else { seed })
    }

    /// The next number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u32) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x % bound.max(1)
    }
}
