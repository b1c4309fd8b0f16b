//! The recording PWM and pin, and the interleaving finder on real patterns.

use embedded_hal::digital::OutputPin;
use embedded_hal::pwm::SetDutyCycle;
use urest_core::time::Instant;
use urest_mock::interleaving::{find_interleaving, reversals};
use urest_mock::{MockPin, MockPwm, MockPwmError, PinLevel, Recorder, VirtualClock, Write};

#[test]
fn writes_are_stamped_with_the_clock() {
    let clock = VirtualClock::new();
    let recorder: Recorder<_, 4> = Recorder::new(&clock);
    let mut pwm = MockPwm::new(&recorder, 100);
    pwm.set_duty_cycle(10).unwrap();
    clock.set(Instant::from_millis(5));
    pwm.set_duty_cycle(20).unwrap();
    assert_eq!(
        recorder.writes().as_slice(),
        &[
            Write {
                at: Instant::ZERO,
                duty: 10
            },
            Write {
                at: Instant::from_millis(5),
                duty: 20
            },
        ]
    );
}

#[test]
fn a_full_recording_counts_what_it_dropped() {
    let clock = VirtualClock::new();
    let recorder: Recorder<_, 2> = Recorder::new(&clock);
    let mut pwm = MockPwm::new(&recorder, 100);
    for duty in [1, 2, 3, 4] {
        pwm.set_duty_cycle(duty).unwrap();
    }
    assert_eq!(recorder.duties().as_slice(), &[1, 2]);
    assert_eq!(recorder.dropped(), 2);
}

#[test]
fn above_full_scale_and_injected_failures_are_errors() {
    let clock = VirtualClock::new();
    let recorder: Recorder<_, 8> = Recorder::new(&clock);
    let mut pwm = MockPwm::new(&recorder, 100);
    assert_eq!(pwm.set_duty_cycle(101), Err(MockPwmError));
    recorder.fail_after(Some(1));
    assert_eq!(pwm.set_duty_cycle(1), Ok(()));
    assert_eq!(pwm.set_duty_cycle(2), Err(MockPwmError));
    assert_eq!(recorder.duties().as_slice(), &[1]);
}

#[test]
fn the_pin_reports_its_level_and_can_fail() {
    let level = PinLevel::new();
    let mut pin = MockPin::new(&level);
    pin.set_high().unwrap();
    assert!(level.is_high());
    level.set_failing(true);
    assert!(pin.set_low().is_err());
    assert!(level.is_high(), "a failed write leaves the level");
    assert_eq!(level.writes(), 1);
}

#[test]
fn the_notes_log_interleaves_and_sequenced_ramps_do_not() {
    // The log of Figure 2 in the "Concurrent API Access" note, duty off / duty on taking turns.
    let fighting = [65_535, 58_986, 65_535, 58_986, 65_535, 58_986];
    assert!(find_interleaving(&fighting).is_some());
    // Two full ramps one after the other.
    let on: Vec<u16> = (0..=10).map(|k| k * 6_553).collect();
    let sequenced: Vec<u16> = on.iter().chain(on.iter().rev()).copied().collect();
    assert_eq!(find_interleaving(&sequenced), None);
    assert_eq!(reversals(&sequenced), 1);
    // Repeated writes of one level are not direction changes.
    assert_eq!(find_interleaving(&[0, 10, 10, 10, 20, 20, 10, 10, 0]), None);
    // One single-step leg between two reversals is a turn-round, not a fight;
    // two in a row are.
    assert_eq!(find_interleaving(&[0, 10, 20, 10, 10, 20, 30]), None);
    assert_eq!(find_interleaving(&[0, 10, 20, 10, 20, 10, 0]), Some(5));
}
