//! A pure description of a duty-cycle ramp: where it starts, where it ends,
//! and what level it has at any instant.
//!
//! A [`Ramp`] knows nothing about pins, locks or executors; the
//! [`RampController`](crate::controller::RampController) asks it what to write
//! and when. Levels are brightness on a fixed scale of `0..=`[`LEVEL_MAX`];
//! [`Brightness::duty`] maps a level onto a particular PWM's duty range, so the
//! same ramp ends exactly at `0` and exactly at `max_duty_cycle()` whatever the
//! timer's resolution.

use core::num::NonZeroU16;
use core::time::Duration;

use crate::time::Instant;

/// Output level on a fixed scale, independent of the PWM's resolution.
pub type Level = u16;

/// The level of a fully-on output.
pub const LEVEL_MAX: Level = u16::MAX;

/// How progress through a ramp maps onto level.
///
/// ```
/// use urest_core::ramp::Easing;
///
/// assert_eq!(Easing::Linear.apply(1, 4), 16_384);
/// // Smooth starts and ends gently but meets linear half-way.
/// assert!(Easing::Smooth.apply(1, 4) < 16_384);
/// assert_eq!(Easing::Smooth.apply(2, 4), 32_768);
/// assert_eq!(Easing::Smooth.apply(4, 4), 65_536);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Easing {
    /// Equal level changes at every step (the original urest behaviour).
    #[default]
    Linear,
    /// Smoothstep: slow at both ends, fastest in the middle.
    Smooth,
}

/// Fixed-point one (2^16) for fractions of a ramp.
const ONE: u64 = 1 << 16;

impl Easing {
    /// The eased fraction of the way through after `step` of `steps`, as a
    /// 16.16 fixed-point number in `0..=65536`.
    pub fn apply(self, step: u16, steps: u16) -> u32 {
        let (numerator, denominator) = self.fraction(step, steps);
        // numerator <= denominator, so the result is at most ONE.
        ((u128::from(numerator) * u128::from(ONE)) / u128::from(denominator)) as u32
    }

    /// The eased fraction after `step` of `steps` as an exact ratio, so
    /// levels round once, at the end.
    fn fraction(self, step: u16, steps: u16) -> (u64, u64) {
        if steps == 0 || step >= steps {
            return (1, 1);
        }
        let (step, steps) = (u64::from(step), u64::from(steps));
        match self {
            Easing::Linear => (step, steps),
            // Smoothstep 3x² - 2x³ with x = step / steps, in integers so a
            // Cortex-M0 needs no float library.
            Easing::Smooth => (step * step * (3 * steps - 2 * step), steps * steps * steps),
        }
    }
}

/// How a level maps onto a duty cycle.
///
/// ```
/// use urest_core::ramp::{Brightness, LEVEL_MAX};
///
/// for curve in [Brightness::Linear, Brightness::Perceptual] {
///     assert_eq!(curve.duty(0, 1_000), 0);
///     assert_eq!(curve.duty(LEVEL_MAX, 1_000), 1_000);
///     assert_eq!(curve.duty(LEVEL_MAX, u16::MAX), u16::MAX);
/// }
/// // Half brightness to the eye needs far less than half the power.
/// assert!(Brightness::Perceptual.duty(LEVEL_MAX / 2, 1_000) < 200);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Brightness {
    /// Duty proportional to level.
    #[default]
    Linear,
    /// Level is lightness as the eye sees it (CIE 1976 L*), so equal steps
    /// look equal. The duty is the luminance that gives that lightness.
    Perceptual,
}

impl Brightness {
    /// The duty cycle, in `0..=max_duty`, that shows `level`.
    pub fn duty(self, level: Level, max_duty: u16) -> u16 {
        let level = u128::from(level);
        let full = u128::from(LEVEL_MAX);
        let max = u128::from(max_duty);
        let duty = match self {
            Brightness::Linear => (level * max + full / 2) / full,
            Brightness::Perceptual => {
                // L* = 100 * level / full. Below L* = 8 luminance is linear in
                // lightness (Y = L* / 903.3); above it Y = ((L* + 16) / 116)^3.
                if level * 100 <= 8 * full {
                    (level * max * 1_000 + full * 9_033 / 2) / (full * 9_033)
                } else {
                    let numerator = level * 100 + 16 * full;
                    let denominator = 116 * full;
                    let cube = denominator * denominator * denominator;
                    (numerator * numerator * numerator * max + cube / 2) / cube
                }
            }
        };
        // Both branches are bounded by `max`; the fallback is unreachable.
        u16::try_from(duty).unwrap_or(max_duty)
    }
}

/// A ramp from one level to another in equal time steps.
///
/// At `start + k * step_time` for `k` in `0..=steps` the level is the eased
/// fraction `k / steps` of the way from `from` to `to`; between steps it holds.
/// The ramp is finished at `start + steps * step_time`, where the level is
/// exactly `to`.
///
/// ```
/// use core::num::NonZeroU16;
/// use core::time::Duration;
/// use urest_core::ramp::{Easing, Ramp, LEVEL_MAX};
/// use urest_core::time::Instant;
///
/// // The original MicroPython urest's ramp: ten steps of one second each, off to on.
/// let steps = NonZeroU16::new(10).unwrap();
/// let ramp = Ramp::new(0, LEVEL_MAX, Instant::ZERO, steps, Duration::from_secs(1), Easing::Linear);
/// assert_eq!(ramp.level_at(Instant::ZERO), 0);
/// assert_eq!(ramp.level_at(Instant::from_millis(2_500)), 13_107);
/// assert_eq!(ramp.end(), Instant::from_millis(10_000));
/// assert_eq!(ramp.level_at(ramp.end()), LEVEL_MAX);
/// assert_eq!(ramp.next_step_after(Instant::from_millis(2_500)), Some(Instant::from_millis(3_000)));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ramp {
    from: Level,
    to: Level,
    start: Instant,
    steps: NonZeroU16,
    step_time: Duration,
    easing: Easing,
}

impl Ramp {
    /// A ramp from `from` to `to` starting at `start`.
    pub fn new(
        from: Level,
        to: Level,
        start: Instant,
        steps: NonZeroU16,
        step_time: Duration,
        easing: Easing,
    ) -> Self {
        Ramp {
            from,
            to,
            start,
            steps,
            step_time,
            easing,
        }
    }

    /// The level the ramp starts from.
    pub fn from_level(&self) -> Level {
        self.from
    }

    /// The level the ramp ends at.
    pub fn to_level(&self) -> Level {
        self.to
    }

    /// When the ramp starts.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// How many steps the ramp takes.
    pub fn steps(&self) -> NonZeroU16 {
        self.steps
    }

    /// How long each step lasts.
    pub fn step_time(&self) -> Duration {
        self.step_time
    }

    /// How long the whole ramp lasts.
    pub fn duration(&self) -> Duration {
        self.step_time
            .checked_mul(u32::from(self.steps.get()))
            .unwrap_or(Duration::MAX)
    }

    /// When the ramp reaches `to`.
    pub fn end(&self) -> Instant {
        self.start + self.duration()
    }

    /// Whether the ramp has reached its end level at `t`.
    pub fn is_finished(&self, t: Instant) -> bool {
        t >= self.end()
    }

    /// Time left until the end, zero once finished.
    pub fn remaining(&self, t: Instant) -> Duration {
        self.end().duration_since(t)
    }

    /// The index of the step in force at `t`, in `0..=steps`.
    pub fn step_at(&self, t: Instant) -> u16 {
        let elapsed = t.duration_since(self.start).as_nanos();
        let step_nanos = self.step_time.as_nanos();
        let steps = self.steps.get();
        if step_nanos == 0 {
            return steps;
        }
        let step = elapsed / step_nanos;
        u16::try_from(step).map_or(steps, |step| step.min(steps))
    }

    /// The level in force at `t`: `from` before the start, `to` after the end.
    pub fn level_at(&self, t: Instant) -> Level {
        self.level_at_step(self.step_at(t))
    }

    /// The level after `step` of the ramp's steps.
    pub fn level_at_step(&self, step: u16) -> Level {
        let steps = self.steps.get();
        if step >= steps {
            return self.to;
        }
        let (numerator, denominator) = self.easing.fraction(step, steps);
        let (numerator, denominator) = (i128::from(numerator), i128::from(denominator));
        let span = i128::from(self.to) - i128::from(self.from);
        // Round the exact level half up, whichever way the ramp goes, so a
        // ramp down passes through the same levels as the ramp up.
        let exact_times_denominator = i128::from(self.from) * denominator + span * numerator;
        let level = (2 * exact_times_denominator + denominator).div_euclid(2 * denominator);
        // A fraction in 0..=1 keeps the level between `from` and `to`.
        Level::try_from(level).unwrap_or(self.to)
    }

    /// When the step after the one in force at `t` begins, or `None` when the
    /// ramp has finished.
    pub fn next_step_after(&self, t: Instant) -> Option<Instant> {
        let step = self.step_at(t);
        if step >= self.steps.get() {
            return None;
        }
        let offset = self.step_time.checked_mul(u32::from(step) + 1)?;
        Some(self.start + offset)
    }

    /// A ramp that leaves `level` at `now` for `to`, keeping this ramp's step
    /// time and easing and taking as many steps as the distance needs at
    /// `full_scale_steps` steps per full swing (rounded, at least one).
    ///
    /// This is how a preempting command turns a ramp round without a jump.
    ///
    /// ```
    /// use core::num::NonZeroU16;
    /// use core::time::Duration;
    /// use urest_core::ramp::{Easing, Ramp, LEVEL_MAX};
    /// use urest_core::time::Instant;
    ///
    /// let ten = NonZeroU16::new(10).unwrap();
    /// let second = Duration::from_secs(1);
    /// let on = Ramp::new(0, LEVEL_MAX, Instant::ZERO, ten, second, Easing::Linear);
    /// let now = Instant::from_millis(3_000);
    /// let back = Ramp::between(on.level_at(now), 0, now, ten, second, Easing::Linear);
    /// assert_eq!(back.level_at(now), on.level_at(now));
    /// assert_eq!(back.steps().get(), 3);
    /// ```
    pub fn between(
        from: Level,
        to: Level,
        now: Instant,
        full_scale_steps: NonZeroU16,
        step_time: Duration,
        easing: Easing,
    ) -> Ramp {
        let distance = u32::from(from.abs_diff(to));
        let full = u32::from(LEVEL_MAX);
        // Rounded, not ceiled: a level that is a whole number of steps from
        // the target up to rounding should take exactly that many.
        let steps = (u32::from(full_scale_steps.get()) * distance + full / 2) / full;
        let steps = u16::try_from(steps)
            .ok()
            .and_then(NonZeroU16::new)
            .unwrap_or(NonZeroU16::MIN);
        Ramp::new(from, to, now, steps, step_time, easing)
    }
}
