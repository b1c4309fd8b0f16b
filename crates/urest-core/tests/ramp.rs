//! The pure ramp: exact ends, monotonic steps, retargeting without a jump.

use std::num::NonZeroU16;
use std::time::Duration;

use proptest::prelude::*;
use urest_core::ramp::{Brightness, Easing, Ramp, LEVEL_MAX};
use urest_core::time::Instant;

fn steps(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).unwrap()
}

#[test]
fn the_ten_second_ramp_steps_once_a_second_and_ends_exactly() {
    let ramp = Ramp::new(
        0,
        LEVEL_MAX,
        Instant::ZERO,
        steps(10),
        Duration::from_secs(1),
        Easing::Linear,
    );
    let levels: Vec<u16> = (0..=10)
        .map(|s| ramp.level_at(Instant::from_millis(s * 1_000)))
        .collect();
    let expected: Vec<u16> = (0..=10u32)
        .map(|k| ((u32::from(LEVEL_MAX) * k * 2 + 10) / 20) as u16)
        .collect();
    assert_eq!(levels, expected);
    // Between steps the level holds.
    assert_eq!(ramp.level_at(Instant::from_millis(1_999)), levels[1]);
    assert!(ramp.is_finished(Instant::from_millis(10_000)));
    assert!(!ramp.is_finished(Instant::from_millis(9_999)));
    assert_eq!(ramp.next_step_after(Instant::from_millis(10_000)), None);
    assert_eq!(
        ramp.remaining(Instant::from_millis(7_250)),
        Duration::from_millis(2_750)
    );
}

#[test]
fn a_zero_step_time_finishes_at_once() {
    let ramp = Ramp::new(
        0,
        900,
        Instant::from_millis(5),
        steps(4),
        Duration::ZERO,
        Easing::Smooth,
    );
    assert_eq!(ramp.level_at(Instant::from_millis(5)), 900);
    assert_eq!(ramp.next_step_after(Instant::from_millis(5)), None);
}

#[test]
fn before_the_start_the_level_is_the_start_level() {
    let ramp = Ramp::new(
        100,
        200,
        Instant::from_millis(1_000),
        steps(2),
        Duration::from_secs(1),
        Easing::Linear,
    );
    assert_eq!(ramp.level_at(Instant::ZERO), 100);
}

#[test]
fn brightness_ends_exactly_at_zero_and_full_scale_for_any_timer() {
    for max_duty in [1, 2, 255, 1_000, 1_023, 4_095, 20_000, 65_534, 65_535] {
        for curve in [Brightness::Linear, Brightness::Perceptual] {
            assert_eq!(curve.duty(0, max_duty), 0, "{curve:?} {max_duty}");
            assert_eq!(
                curve.duty(LEVEL_MAX, max_duty),
                max_duty,
                "{curve:?} {max_duty}"
            );
        }
    }
}

#[test]
fn perceptual_matches_cie_lightness() {
    // L* = 50 is luminance 18.4 %: the classic "middle grey".
    let duty = Brightness::Perceptual.duty(LEVEL_MAX / 2, 10_000);
    assert!((1_830..=1_850).contains(&duty), "{duty}");
    // Below L* = 8 the curve is linear: L* = 4 is 0.443 % luminance.
    let duty = Brightness::Perceptual.duty(2_621, 10_000);
    assert!((43..=45).contains(&duty), "{duty}");
}

proptest! {
    #[test]
    fn levels_move_monotonically_from_start_to_end(
        from in any::<u16>(), to in any::<u16>(), n in 1u16..200,
        smooth in any::<bool>(), step_ms in 1u64..2_000,
    ) {
        let easing = if smooth { Easing::Smooth } else { Easing::Linear };
        let ramp = Ramp::new(from, to, Instant::ZERO, steps(n), Duration::from_millis(step_ms), easing);
        let levels: Vec<u16> = (0..=n).map(|k| ramp.level_at_step(k)).collect();
        prop_assert_eq!(levels[0], from);
        prop_assert_eq!(levels[usize::from(n)], to);
        prop_assert_eq!(ramp.level_at(ramp.end()), to);
        let rising = to >= from;
        for pair in levels.windows(2) {
            let in_order = if rising { pair[0] <= pair[1] } else { pair[0] >= pair[1] };
            prop_assert!(in_order, "{:?}", levels);
        }
    }

    #[test]
    fn duty_is_monotonic_in_level(a in any::<u16>(), b in any::<u16>(), max in 1u16..) {
        let (low, high) = (a.min(b), a.max(b));
        for curve in [Brightness::Linear, Brightness::Perceptual] {
            prop_assert!(curve.duty(low, max) <= curve.duty(high, max));
            prop_assert!(curve.duty(high, max) <= max);
        }
    }

    #[test]
    fn retargeting_starts_where_the_output_is(
        at_ms in 0u64..12_000, to in any::<u16>(),
    ) {
        let second = Duration::from_secs(1);
        let on = Ramp::new(0, LEVEL_MAX, Instant::ZERO, steps(10), second, Easing::Linear);
        let now = Instant::from_millis(at_ms);
        let level = on.level_at(now);
        let turned = Ramp::between(level, to, now, steps(10), second, Easing::Linear);
        prop_assert_eq!(turned.level_at(now), level);
        prop_assert_eq!(turned.level_at(turned.end()), to);
        // A shorter way takes no more steps than a full swing.
        prop_assert!(turned.steps().get() <= 10);
    }
}

/// CIE 1976 lightness `L* = 100 * level / LEVEL_MAX` as luminance, scaled
/// to `max_duty`, in floating point: the curve `Brightness::Perceptual`
/// computes in integers.
fn cie_duty(level: u16, max_duty: u16) -> f64 {
    let lightness = 100.0 * f64::from(level) / f64::from(LEVEL_MAX);
    let luminance = if lightness <= 8.0 {
        lightness / 903.3
    } else {
        ((lightness + 16.0) / 116.0).powi(3)
    };
    luminance * f64::from(max_duty)
}

#[test]
fn perceptual_duty_is_cie_luminance_rounded_to_nearest() {
    for max_duty in [1, 255, 1_000, 1_023, 4_095, 20_000, 65_535] {
        // Every level on a coarse grid, plus both sides of the L* = 8 knee.
        let levels = (0..=LEVEL_MAX).step_by(97).chain(5_200..5_300);
        for level in levels {
            let exact = cie_duty(level, max_duty);
            // A tie is too close to call in floating point.
            if (exact.fract() - 0.5).abs() < 1e-6 {
                continue;
            }
            let expected = exact.round() as u16;
            assert_eq!(
                Brightness::Perceptual.duty(level, max_duty),
                expected,
                "level {level}, max {max_duty}: exactly {exact}"
            );
        }
    }
}

#[test]
fn linear_duty_is_proportional_rounded_to_nearest() {
    for max_duty in [1, 255, 1_000, 65_535] {
        for level in (0..=LEVEL_MAX).step_by(101) {
            let exact = f64::from(level) * f64::from(max_duty) / f64::from(LEVEL_MAX);
            if (exact.fract() - 0.5).abs() < 1e-6 {
                continue;
            }
            assert_eq!(
                Brightness::Linear.duty(level, max_duty),
                exact.round() as u16,
                "level {level}, max {max_duty}"
            );
        }
    }
}

#[test]
fn a_ramp_keeps_what_it_was_made_with() {
    let start = Instant::from_millis(1_500);
    let step_time = Duration::from_millis(250);
    let ramp = Ramp::new(100, 200, start, steps(4), step_time, Easing::Smooth);
    assert_eq!(
        (ramp.from_level(), ramp.to_level(), ramp.start()),
        (100, 200, start)
    );
    assert_eq!((ramp.steps(), ramp.step_time()), (steps(4), step_time));
    // Turning round keeps the step time and starts now, from where it is.
    let now = Instant::from_millis(2_000);
    let back = Ramp::between(
        ramp.level_at(now),
        0,
        now,
        steps(4),
        step_time,
        Easing::Smooth,
    );
    assert_eq!(back.from_level(), ramp.level_at(now));
    assert_eq!(back.start(), now);
    assert_eq!(back.step_time(), step_time);
}

#[test]
fn the_step_in_force_counts_whole_steps_from_the_start() {
    let start = Instant::from_millis(1_000);
    let ramp = Ramp::new(
        0,
        LEVEL_MAX,
        start,
        steps(5),
        Duration::from_millis(100),
        Easing::Linear,
    );
    let at = |ms: u64| ramp.step_at(Instant::from_millis(ms));
    assert_eq!(at(0), 0, "before the start");
    assert_eq!(at(1_000), 0);
    assert_eq!(at(1_099), 0);
    assert_eq!(at(1_100), 1);
    assert_eq!(at(1_250), 2);
    assert_eq!(at(1_499), 4);
    assert_eq!(at(1_500), 5, "at the end");
    assert_eq!(at(90_000), 5, "long after");
    assert_eq!(
        ramp.next_step_after(Instant::from_millis(1_250)),
        Some(Instant::from_millis(1_300))
    );
}

#[test]
fn easing_gives_the_fraction_of_the_way_in_sixteenths_of_a_unit() {
    const ONE: u32 = 1 << 16;
    for step in 0..=8 {
        assert_eq!(Easing::Linear.apply(step, 8), u32::from(step) * ONE / 8);
    }
    // Smoothstep 3x² - 2x³: x = 1/4 gives 10/64, x = 3/4 gives 54/64.
    assert_eq!(Easing::Smooth.apply(1, 4), 10 * ONE / 64);
    assert_eq!(Easing::Smooth.apply(2, 4), ONE / 2);
    assert_eq!(Easing::Smooth.apply(3, 4), 54 * ONE / 64);
    // A third is rounded down, not up.
    assert_eq!(Easing::Linear.apply(1, 3), 21_845);
    // Done, past the end, or no steps at all: the whole way.
    for easing in [Easing::Linear, Easing::Smooth] {
        assert_eq!(easing.apply(4, 4), ONE);
        assert_eq!(easing.apply(9, 4), ONE);
        assert_eq!(easing.apply(0, 0), ONE);
        assert_eq!(easing.apply(3, 0), ONE);
    }
}

#[test]
fn a_smooth_ramp_passes_through_the_smoothstep_levels() {
    let ramp = Ramp::new(
        0,
        LEVEL_MAX,
        Instant::ZERO,
        steps(4),
        Duration::from_secs(1),
        Easing::Smooth,
    );
    let levels: Vec<u16> = (0..=4).map(|k| ramp.level_at_step(k)).collect();
    // 65535 × (0, 10/64, 1/2, 54/64, 1), rounded half up.
    assert_eq!(levels, [0, 10_240, 32_768, 55_295, LEVEL_MAX]);
}

#[test]
fn turning_round_takes_the_rounded_share_of_a_full_swing() {
    let second = Duration::from_secs(1);
    let taken = |distance: u16| {
        Ramp::between(
            0,
            distance,
            Instant::ZERO,
            steps(10),
            second,
            Easing::Linear,
        )
        .steps()
        .get()
    };
    // 10 × distance / 65535: 3.99997 rounds up, 3.49993 down, 4.50002 up.
    assert_eq!(taken(26_214), 4);
    assert_eq!(taken(22_937), 3);
    assert_eq!(taken(29_491), 5);
    // Never fewer than one step, never more than a full swing's.
    assert_eq!(taken(1), 1);
    assert_eq!(taken(LEVEL_MAX), 10);
}
