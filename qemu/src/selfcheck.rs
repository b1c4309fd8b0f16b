//! A scenario of the harness's own, in the shape of `urest-scenarios`, so
//! the harness can be proven before the real scenarios exist: the seed's
//! PwmLed turned on, every duty written checked against `Ramp::level_at`.

use core::fmt;
use core::time::Duration;

use embassy_futures::select::select;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use urest_core::attributes::{Attributes, Value};
use urest_core::controller::{RampConfig, RampShape};
use urest_core::nouns::PwmLed;
use urest_core::ramp::{Brightness, Ramp, LEVEL_MAX};
use urest_core::resource::{Outcome, Resource};
use urest_core::time::Clock;
use urest_mock::{MockPwm, Recorder, Simulation, VirtualClock};

/// One named check that runs in a simulation.
pub struct Scenario {
    /// Printed in `scenario NAME ... ok`.
    pub name: &'static str,
    /// Runs the scenario to completion in `sim`.
    pub run: fn(&'static Simulation) -> Result<(), Failure>,
}

/// Why a scenario failed.
#[derive(Debug)]
pub struct Failure(&'static str);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Every scenario of the harness's own.
pub static SCENARIOS: &[Scenario] = &[Scenario {
    name: "pwm_led_ramp_follows_level_at",
    run: pwm_led_ramp_follows_level_at,
}];

/// Full scale of the mock PWM: coarse enough that rounding shows.
const MAX_DUTY: u16 = 1_000;
/// Room for the initial write, ten steps and a few to spare.
const WRITES: usize = 16;

fn pwm_led_ramp_follows_level_at(sim: &'static Simulation) -> Result<(), Failure> {
    let recorder: Recorder<&VirtualClock, WRITES> = Recorder::new(sim.clock());
    let led: PwmLed<NoopRawMutex, _, 4> =
        PwmLed::new(MockPwm::new(&recorder, MAX_DUTY), RampConfig::SEED);
    let start = sim.clock().now();
    let shape = RampShape::SEED;
    let ramp = Ramp::new(
        0,
        LEVEL_MAX,
        start,
        shape.steps,
        shape.step_time,
        shape.easing,
    );
    let limit = ramp.end() + Duration::from_secs(60);

    let client = async {
        let mut on = Attributes::new();
        on.set("desired", Value::Int(1))
            .map_err(|_| Failure("cannot build the request"))?;
        match led.put(&on, sim.clock().now()) {
            Ok(Outcome::Accepted { completes_at, .. }) if completes_at == ramp.end() => {}
            Ok(_) => {
                return Err(Failure(
                    "PUT was not accepted to complete at the ramp's end",
                ))
            }
            Err(_) => return Err(Failure("PUT was refused")),
        }
        // A second past the end: the runner must have nothing more to write.
        sim.delay().until(ramp.end() + shape.step_time).await;
        Ok(())
    };
    let runner = async {
        let mut delay = sim.delay();
        let _ = led.controller().run(sim.clock(), &mut delay).await;
        Err(Failure(
            "the runner stopped: the mock PWM reported an error",
        ))
    };
    let outcome = sim
        .run(limit, select(client, runner))
        .map_err(|_| Failure("the simulation stalled"))?;
    match outcome {
        embassy_futures::select::Either::First(result)
        | embassy_futures::select::Either::Second(result) => result?,
    }
    check_writes(&recorder, &ramp)
}

fn check_writes(recorder: &Recorder<&VirtualClock, WRITES>, ramp: &Ramp) -> Result<(), Failure> {
    if recorder.dropped() > 0 {
        return Err(Failure("more writes than a ten-step ramp makes"));
    }
    let writes = recorder.writes();
    // The initial level, then one write per step.
    if writes.len() != usize::from(ramp.steps().get()) + 1 {
        return Err(Failure("not one write per step"));
    }
    for write in &writes {
        let expected = Brightness::Linear.duty(ramp.level_at(write.at), MAX_DUTY);
        if write.duty != expected {
            return Err(Failure("a duty differs from Ramp::level_at at its time"));
        }
    }
    match writes.last() {
        Some(last) if last.duty == MAX_DUTY && last.at == ramp.end() => Ok(()),
        _ => Err(Failure("the ramp did not end fully on at its end")),
    }
}
