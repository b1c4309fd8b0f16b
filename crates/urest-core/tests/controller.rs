//! The controller's runner against a failing output, and what GET reports
//! while changes wait.

use std::time::Duration;

use embassy_futures::select::{select, Either};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_hal::pwm::SetDutyCycle;
use urest_core::attributes::{Attributes, Value};
use urest_core::controller::{Policy, RampConfig, RampShape};
use urest_core::nouns::PwmLed;
use urest_core::ramp::Brightness;
use urest_core::resource::{Outcome, Resource};
use urest_core::time::{Clock, Instant};
use urest_mock::{MockPwm, MockPwmError, Recorder, Simulation, VirtualClock};

type Led<'r> = PwmLed<NoopRawMutex, MockPwm<'r, &'static VirtualClock, 64>, 4>;

fn simulation() -> &'static Simulation {
    Box::leak(Box::new(Simulation::new()))
}

fn desired(value: i64) -> Attributes {
    let mut patch = Attributes::new();
    patch.set("desired", Value::Int(value)).unwrap();
    patch
}

#[test]
fn a_failing_output_stops_the_runner_and_frees_the_lock() {
    let sim = simulation();
    let recorder: Recorder<_, 64> = Recorder::new(sim.clock());
    let led: Led = PwmLed::new(
        MockPwm::new(&recorder, 255),
        RampConfig::FIFO_TEN_SECOND_FADE,
    );
    led.put(&desired(1), Instant::ZERO).unwrap();
    // The initial write and two steps succeed, the third step fails.
    recorder.fail_after(Some(3));
    let limit = Instant::from_millis(60_000);
    let mut delay = sim.delay();
    let stopped = sim.run(limit, led.controller().run(sim.clock(), &mut delay));
    assert_eq!(stopped, Ok(Err(MockPwmError)));
    assert_eq!(sim.clock().now(), Instant::from_millis(3_000));
    assert_eq!(recorder.duties().as_slice(), &[0, 26, 51]);

    let free = sim.run(limit, async {
        select(led.controller().lock_output(), sim.delay().until(limit)).await
    });
    assert!(
        matches!(free, Ok(Either::First(_))),
        "the output lock is free"
    );
    drop(free);

    // Repaired, a new runner finishes the transition from where it is.
    recorder.fail_after(None);
    let mut delay = sim.delay();
    let finished = sim.run(
        limit,
        select(led.controller().run(sim.clock(), &mut delay), async {
            sim.delay().until(Instant::from_millis(20_000)).await
        }),
    );
    assert!(matches!(finished, Ok(Either::Second(()))));
    assert_eq!(recorder.last().map(|write| write.duty), Some(255));
    let state = led.get(sim.clock().now());
    assert_eq!(
        (state.int("current"), state.int("duty")),
        (Some(1), Some(255))
    );
}

#[test]
fn get_reports_waiting_changes_and_time_left() {
    let sim = simulation();
    let recorder: Recorder<_, 64> = Recorder::new(sim.clock());
    let led: Led = PwmLed::new(
        MockPwm::new(&recorder, 255),
        RampConfig::FIFO_TEN_SECOND_FADE,
    );
    let t0 = Instant::ZERO;
    led.put(&desired(1), t0).unwrap();
    let queued = led.put(&desired(0), Instant::from_millis(2_000)).unwrap();
    assert!(
        matches!(queued, Outcome::Accepted { position: 1, completes_at, .. }
        if completes_at == Instant::from_millis(20_000))
    );
    let state = led.get(Instant::from_millis(2_000));
    assert_eq!(state.int("desired"), Some(0), "where it ends up");
    assert_eq!(state.int("heading"), Some(1), "where it goes now");
    assert_eq!(state.int("current"), Some(0));
    assert_eq!(state.int("waiting"), Some(1));
    assert_eq!(state.int("remaining_ms"), Some(18_000));
    assert_eq!(state.get("policy").and_then(Value::as_str), Some("fifo"));
    let description = led.describe();
    assert_eq!(description.kind, "pwm_led");
    assert_eq!(description.policy, Some(Policy::Fifo));
}

#[test]
fn an_empty_post_toggles_where_the_output_will_end_up() {
    let sim = simulation();
    let recorder: Recorder<_, 64> = Recorder::new(sim.clock());
    let led: Led = PwmLed::new(
        MockPwm::new(&recorder, 255),
        RampConfig::FIFO_TEN_SECOND_FADE,
    );
    let toggle = Attributes::new();
    led.post(&toggle, Instant::ZERO).unwrap();
    assert_eq!(led.get(Instant::ZERO).int("desired"), Some(1));
    // Queued behind the on-ramp: toggling again heads for off.
    led.post(&toggle, Instant::from_millis(100)).unwrap();
    let state = led.get(Instant::from_millis(100));
    assert_eq!(
        (
            state.int("desired"),
            state.int("heading"),
            state.int("waiting")
        ),
        (Some(0), Some(1), Some(1))
    );
    // And again: on after the off, so three transitions in all.
    led.post(&toggle, Instant::from_millis(150)).unwrap();
    let state = led.get(Instant::from_millis(150));
    assert_eq!(
        (state.int("desired"), state.int("waiting")),
        (Some(1), Some(2))
    );
    // POST with only shape attributes changes the shape, not the output.
    let mut slower = Attributes::new();
    slower.set("step_ms", Value::Int(2_000)).unwrap();
    assert_eq!(
        led.post(&slower, Instant::from_millis(200)),
        Ok(Outcome::Done)
    );
    assert_eq!(
        led.get(Instant::from_millis(200)).int("step_ms"),
        Some(2_000)
    );
    assert_eq!(led.get(Instant::from_millis(200)).int("waiting"), Some(2));
}

#[test]
fn writes_made_under_the_output_lock_are_not_assumed_away() {
    let sim = simulation();
    let recorder: Recorder<_, 64> = Recorder::new(sim.clock());
    let led: Led = PwmLed::new(
        MockPwm::new(&recorder, 1_000),
        RampConfig::FIFO_TEN_SECOND_FADE,
    );
    let mut delay = sim.delay();
    let _ = sim.run(
        Instant::from_millis(60_000),
        select(led.controller().run(sim.clock(), &mut delay), async {
            sim.delay().until(Instant::from_millis(100)).await;
            {
                let mut output = led.controller().lock_output().await;
                output.set_duty_cycle(500).unwrap();
            }
            sim.delay().until(Instant::from_millis(1_000)).await;
            led.put(&desired(1), sim.clock().now()).unwrap();
            sim.delay().until(Instant::from_millis(1_500)).await;
        }),
    );
    // The ramp's first step (level 0) is written back over the manual 500.
    assert_eq!(recorder.duties().as_slice(), &[0, 500, 0]);
}

#[test]
fn perceptual_brightness_reaches_full_scale_through_small_early_steps() {
    let sim = simulation();
    let recorder: Recorder<_, 64> = Recorder::new(sim.clock());
    let config = RampConfig {
        brightness: Brightness::Perceptual,
        shape: RampShape {
            step_time: Duration::from_millis(10),
            ..RampShape::TEN_SECOND_FADE
        },
        ..RampConfig::FIFO_TEN_SECOND_FADE
    };
    let led: Led = PwmLed::new(MockPwm::new(&recorder, 1_000), config);
    led.put(&desired(1), Instant::ZERO).unwrap();
    let mut delay = sim.delay();
    let _ = sim.run(
        Instant::from_millis(1_000),
        select(led.controller().run(sim.clock(), &mut delay), async {
            sim.delay().until(Instant::from_millis(500)).await
        }),
    );
    let duties = recorder.duties();
    assert_eq!(duties.first(), Some(&0));
    assert_eq!(duties.last(), Some(&1_000));
    // Equal steps of lightness: each step up is larger than the one before.
    let rises: Vec<u16> = duties.windows(2).map(|pair| pair[1] - pair[0]).collect();
    assert!(rises.windows(2).all(|pair| pair[0] < pair[1]), "{rises:?}");
}
