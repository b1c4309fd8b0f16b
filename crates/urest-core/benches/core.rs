//! Costs of the hot paths on the host: a step of a ramp, a duty mapping, a
//! request body decoded against a schema, a state encoded, and one verb.
//!
//! `cargo bench -p urest-core --bench core`; results go in docs/performance.md.

use std::hint::black_box;
use std::num::NonZeroU16;
use std::time::Duration;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use urest_core::attributes::Attributes;
use urest_core::controller::{Policy, RampConfig, RampShape, Schedule};
use urest_core::nouns::PwmLed;
use urest_core::ramp::{Brightness, Easing, Ramp, LEVEL_MAX};
use urest_core::resource::Resource;
use urest_core::time::Instant;
use urest_mock::{MockPwm, Recorder, VirtualClock};

fn main() {
    divan::main();
}

fn ten_second_ramp(easing: Easing) -> Ramp {
    let steps = NonZeroU16::new(10).unwrap_or(NonZeroU16::MIN);
    Ramp::new(
        0,
        LEVEL_MAX,
        Instant::ZERO,
        steps,
        Duration::from_secs(1),
        easing,
    )
}

#[divan::bench(args = [Easing::Linear, Easing::Smooth])]
fn ramp_level_at(bencher: divan::Bencher, easing: Easing) {
    let ramp = ten_second_ramp(easing);
    bencher.bench(|| ramp.level_at(black_box(Instant::from_millis(3_500))));
}

#[divan::bench(args = [Brightness::Linear, Brightness::Perceptual])]
fn brightness_duty(bencher: divan::Bencher, curve: Brightness) {
    bencher.bench(|| curve.duty(black_box(40_000), black_box(65_535)));
}

#[divan::bench]
fn schedule_submit_and_poll(bencher: divan::Bencher) {
    bencher.bench(|| {
        let mut schedule: Schedule<8> = Schedule::new(Policy::Fifo, 0);
        let _ = schedule.submit(LEVEL_MAX, RampShape::TEN_SECOND_FADE, Instant::ZERO);
        let _ = schedule.submit(0, RampShape::TEN_SECOND_FADE, Instant::from_millis(10));
        schedule.poll(black_box(Instant::from_millis(3_500)))
    });
}

type BenchLed<'r> = PwmLed<NoopRawMutex, MockPwm<'r, &'static VirtualClock, 4>, 8>;

fn led<'r>(recorder: &'r Recorder<&'static VirtualClock, 4>) -> BenchLed<'r> {
    PwmLed::new(
        MockPwm::new(recorder, 65_535),
        RampConfig::FIFO_TEN_SECOND_FADE,
    )
}

#[divan::bench]
fn decode_put_body(bencher: divan::Bencher) {
    let clock: &'static VirtualClock = Box::leak(Box::new(VirtualClock::new()));
    let recorder = Recorder::new(clock);
    let schema = led(&recorder).describe().attributes;
    let body = br#"{"desired": 1, "steps": 20, "step_ms": 250}"#;
    let mut scratch = [0u8; 64];
    bencher.bench_local(|| Attributes::decode(black_box(body), schema, &mut scratch));
}

#[divan::bench]
fn get_and_encode_state(bencher: divan::Bencher) {
    let clock: &'static VirtualClock = Box::leak(Box::new(VirtualClock::new()));
    let recorder = Recorder::new(clock);
    let led = led(&recorder);
    let mut buffer = [0u8; 256];
    bencher.bench_local(|| {
        let state = led.get(black_box(Instant::from_millis(1)));
        state.encode(&mut buffer)
    });
}
