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

use crate::time::{nanos, Instant};

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
        // numerator <= denominator < 2^48, so the product fits 64 bits and
        // the result is at most ONE.
        let fraction = numerator.saturating_mul(ONE) / denominator.max(1);
        u32::try_from(fraction).unwrap_or(u32::MAX)
    }

    /// The eased fraction after `step` of `steps` as an exact ratio, so
    /// levels round once, at the end.
    fn fraction(self, step: u16, steps: u16) -> (u64, u64) {
        if steps == 0 || step >= steps {
            return (1, 1);
        }
        match self {
            Easing::Linear => (u64::from(step), u64::from(steps)),
            // Smoothstep 3x² - 2x³ with x = step / steps, in integers so a
            // Cortex-M0 needs no float library. Squares of 16-bit numbers
            // and 3·steps − 2·step (below 2^18) fit 32 bits: only the last
            // product of each cube needs 64, and a Cortex-M0 does each
            // 64-bit product in a software routine.
            Easing::Smooth => {
                let (step, steps) = (u32::from(step), u32::from(steps));
                (
                    u64::from(step * step) * u64::from(3 * steps - 2 * step),
                    u64::from(steps * steps) * u64::from(steps),
                )
            }
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
    // Out of line, with both curves in it: a controller's runner and its
    // snapshot each ask, and the curve is only known at run time.
    #[inline(never)]
    pub fn duty(self, level: Level, max_duty: u16) -> u16 {
        match self {
            Brightness::Linear => {
                // Both factors are 16 bits: 32-bit arithmetic is exact.
                let full = u32::from(LEVEL_MAX);
                let duty = (u32::from(level) * u32::from(max_duty) + full / 2) / full;
                // At most `max_duty`; the fallback is unreachable.
                u16::try_from(duty).unwrap_or(max_duty)
            }
            Brightness::Perceptual => perceptual_duty(level, max_duty),
        }
    }
}

/// [`Brightness::Perceptual`]'s duty.
fn perceptual_duty(level: Level, max_duty: u16) -> u16 {
    let full = u64::from(LEVEL_MAX);
    let level = u64::from(level);
    let max = u64::from(max_duty);
    // L* = 100 * level / full. Below L* = 8 luminance is linear in
    // lightness (Y = L* / 903.3); above it Y = ((L* + 16) / 116)^3.
    let duty = if level * 100 <= 8 * full {
        // At most 2^42: 64 bits are plenty.
        (level * max * 1_000 + full * 9_033 / 2) / (full * 9_033)
    } else {
        let numerator = level * 100 + 16 * full;
        let denominator = 116 * full;
        rounded_cube_share(numerator, denominator, max)
    };
    // Both branches are bounded by `max`; the fallback is unreachable.
    u16::try_from(duty).unwrap_or(max_duty)
}

/// ⌊(`max`·n³ + ⌊d³/2⌋) / d³⌋ for `n <= d < 2^24` and
/// `max < 2^16`: `max` times the cube of `n / d`, rounded half up.
///
/// The product needs up to 85 bits, so it is kept as digits in base `d`
/// (each below 2^24; a digit times `n` plus a carry fits 64 bits): `max`,
/// multiplied by `n` three times, is `t3·d³ + lower`, so the quotient is
/// `t3`, plus one if twice the lower digits reach `d³`. No 128-bit
/// arithmetic, which a Cortex-M0 does in long software routines.
fn rounded_cube_share(n: u64, d: u64, max: u64) -> u64 {
    let d = d.max(1);
    // Least significant digit first: max < 2^16 < d is one digit.
    let mut digits = [max, 0, 0, 0];
    for _ in 0..3 {
        let mut carry = 0;
        for digit in digits.iter_mut() {
            let product = *digit * n + carry;
            *digit = product % d;
            carry = product / d;
        }
    }
    let [t0, t1, t2, t3] = digits;
    // Twice the lower digits, carried through: what carries out of the
    // top is 1 exactly when 2·(t2·d² + t1·d + t0) >= d³.
    let mut carry = (2 * t0) / d;
    carry = (2 * t1 + carry) / d;
    carry = (2 * t2 + carry) / d;
    t3 + carry
}

/// ⌊(2·`distance`·`share` + `whole`) / (2·`whole`)⌋: `distance` times the
/// fraction `share / whole`, rounded half up, for `share <= whole < 2^48`.
///
/// The product needs up to 65 bits, so it is divided as it is built: one
/// bit of `distance` at a time, keeping quotient and remainder, with no
/// 128-bit arithmetic (which a Cortex-M0 does in a long software routine)
/// and no division at all.
fn rounded_share(distance: u16, share: u64, whole: u64) -> u64 {
    let whole = whole.max(1);
    let divisor = 2 * whole;
    let addend = 2 * share.min(whole);
    // Invariant: the value so far is quotient·divisor + remainder, with
    // remainder < divisor (below 2^50, so doubling it cannot overflow).
    // Each addition is below 3·divisor: at most two subtractions follow.
    let (mut quotient, mut remainder) = (0u64, 0u64);
    for bit in (0..16).rev() {
        quotient <<= 1;
        remainder <<= 1;
        if distance >> bit & 1 == 1 {
            remainder += addend;
        }
        while remainder >= divisor {
            remainder -= divisor;
            quotient += 1;
        }
    }
    remainder += whole;
    while remainder >= divisor {
        remainder -= divisor;
        quotient += 1;
    }
    quotient
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

    /// When the ramp reaches `to`: the start plus the whole microseconds
    /// of [`duration`](Self::duration), saturating at the far end of time.
    /// Out of line: it is asked for in many places.
    #[inline(never)]
    pub fn end(&self) -> Instant {
        // A duration too long for a `Duration` is `Duration::MAX`, whose
        // microseconds saturate.
        self.start_of_step(self.steps.get())
            .unwrap_or(Instant::from_micros(u64::MAX))
    }

    /// When step `step` begins: the start plus the whole microseconds of
    /// `step` step times, saturating at the far end of time, or `None`
    /// where `step` step times do not fit a `Duration`. The same numbers
    /// as multiplying the step time and adding it, in fewer 64-bit
    /// multiplications (each a software routine on a Cortex-M0); shared
    /// by [`end`](Self::end) and [`next_step_after`](Self::next_step_after).
    #[inline(never)]
    fn start_of_step(&self, step: u16) -> Option<Instant> {
        let step = u64::from(step);
        let seconds = self.step_time.as_secs().checked_mul(step)?;
        // Below 2^46: a step's nanoseconds times at most 2^16 steps.
        let nanos = u64::from(self.step_time.subsec_nanos()) * step;
        // The `Duration`'s whole seconds, which must fit as well.
        seconds.checked_add(nanos / 1_000_000_000)?;
        // Whole seconds give whole microseconds, and the nanoseconds'
        // whole microseconds carry their whole seconds with them.
        let micros = if seconds > u64::MAX / 1_000_000 {
            u64::MAX
        } else {
            (seconds * 1_000_000).saturating_add(nanos / 1_000)
        };
        Some(Instant::from_micros(
            self.start.as_micros().saturating_add(micros),
        ))
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
        let elapsed = t.duration_since(self.start);
        let steps = self.steps.get();
        if self.step_time.is_zero() {
            return steps;
        }
        // In 64-bit nanoseconds, which hold 584 years: a `u128` division
        // is a long software routine on a Cortex-M0.
        let (Some(elapsed_nanos), Some(step_nanos)) = (nanos(elapsed), nanos(self.step_time))
        else {
            return self.step_by_search(elapsed);
        };
        let step = elapsed_nanos / step_nanos;
        u16::try_from(step).map_or(steps, |step| step.min(steps))
    }

    /// [`step_at`](Self::step_at) for durations beyond 64-bit nanoseconds:
    /// the last step whose start is not after `elapsed`, by bisection.
    #[inline(never)]
    fn step_by_search(&self, elapsed: Duration) -> u16 {
        let (mut low, mut high) = (0u16, self.steps.get());
        while low < high {
            let middle = high - (high - low) / 2;
            let started = self
                .step_time
                .checked_mul(u32::from(middle))
                .is_some_and(|start| start <= elapsed);
            if started {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        low
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
        // The exact level is from + (to - from) * numerator / denominator,
        // rounded half up whichever way the ramp goes, so a ramp down
        // passes through the same levels as the ramp up. Measured from the
        // lower end it is a non-negative fraction of the distance:
        // from·d + (to − from)·n = to·d + (from − to)·(d − n).
        let (base, distance, share) = if self.to >= self.from {
            (self.from, self.to - self.from, numerator)
        } else {
            (
                self.to,
                self.from - self.to,
                denominator.saturating_sub(numerator),
            )
        };
        let offset = rounded_share(distance, share, denominator);
        // A fraction in 0..=1 keeps the level between `from` and `to`.
        Level::try_from(u64::from(base) + offset).unwrap_or(self.to)
    }

    /// When the step after the one in force at `t` begins, or `None` when the
    /// ramp has finished.
    pub fn next_step_after(&self, t: Instant) -> Option<Instant> {
        let step = self.step_at(t);
        if step >= self.steps.get() {
            return None;
        }
        self.start_of_step(step + 1)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The level as it was computed before, with 128-bit integers.
    fn level_by_wide_integers(from: Level, to: Level, numerator: u64, denominator: u64) -> i128 {
        let (numerator, denominator) = (i128::from(numerator), i128::from(denominator));
        let span = i128::from(to) - i128::from(from);
        let exact_times_denominator = i128::from(from) * denominator + span * numerator;
        (2 * exact_times_denominator + denominator).div_euclid(2 * denominator)
    }

    fn level_by_shares(from: Level, to: Level, numerator: u64, denominator: u64) -> i128 {
        let (base, distance, share) = if to >= from {
            (from, to - from, numerator)
        } else {
            (to, from - to, denominator - numerator)
        };
        i128::from(base) + i128::from(rounded_share(distance, share, denominator))
    }

    proptest! {
        #[test]
        fn shares_round_as_wide_integers_do(
            from: Level,
            to: Level,
            steps in 1u16..=u16::MAX,
            step: u16,
            smooth: bool,
        ) {
            let easing = if smooth { Easing::Smooth } else { Easing::Linear };
            let (numerator, denominator) = easing.fraction(step % steps, steps);
            prop_assert_eq!(
                level_by_shares(from, to, numerator, denominator),
                level_by_wide_integers(from, to, numerator, denominator)
            );
        }
    }

    #[test]
    fn extreme_shares_round_as_wide_integers_do() {
        let most = u64::from(u16::MAX).pow(3);
        for (from, to) in [(0, LEVEL_MAX), (LEVEL_MAX, 0), (1, LEVEL_MAX - 1), (7, 7)] {
            for numerator in [0, 1, most / 2, most - 1, most] {
                assert_eq!(
                    level_by_shares(from, to, numerator, most),
                    level_by_wide_integers(from, to, numerator, most)
                );
            }
        }
    }

    proptest! {
        #[test]
        fn the_end_is_the_start_plus_the_duration(
            start: u64,
            step_secs in prop_oneof![0u64..100_000, any::<u64>()],
            step_nanos in 0u32..1_000_000_000,
            steps in 1u16..=u16::MAX,
        ) {
            let ramp = Ramp::new(
                0,
                LEVEL_MAX,
                Instant::from_micros(start),
                NonZeroU16::new(steps).unwrap(),
                Duration::new(step_secs, step_nanos),
                Easing::Linear,
            );
            prop_assert_eq!(ramp.end(), ramp.start() + ramp.duration());
        }
    }

    proptest! {
        #[test]
        fn a_step_starts_at_the_start_plus_its_step_times(
            start: u64,
            step_secs in prop_oneof![
                0u64..100_000,
                (u64::MAX >> 20)..(u64::MAX >> 14),
                any::<u64>(),
            ],
            step_nanos in 0u32..1_000_000_000,
            step: u16,
        ) {
            let ramp = Ramp::new(
                0,
                LEVEL_MAX,
                Instant::from_micros(start),
                NonZeroU16::MAX,
                Duration::new(step_secs, step_nanos),
                Easing::Linear,
            );
            let expected = ramp
                .step_time()
                .checked_mul(u32::from(step))
                .map(|offset| ramp.start() + offset);
            prop_assert_eq!(ramp.start_of_step(step), expected);
        }
    }

    proptest! {
        #[test]
        fn steps_count_as_wide_integers_do(
            step_nanos in 1u64..=u64::MAX,
            elapsed_secs: u64,
            elapsed_nanos in 0u32..1_000_000_000,
            steps in 1u16..=u16::MAX,
        ) {
            let ramp = Ramp::new(
                0,
                LEVEL_MAX,
                Instant::ZERO,
                NonZeroU16::new(steps).unwrap(),
                Duration::from_nanos(step_nanos),
                Easing::Linear,
            );
            let elapsed = Duration::new(elapsed_secs, elapsed_nanos);
            let wide = elapsed.as_nanos() / Duration::from_nanos(step_nanos).as_nanos();
            let expected = u16::try_from(wide).map_or(steps, |step| step.min(steps));
            prop_assert_eq!(ramp.step_by_search(elapsed), expected);
            if elapsed_secs < 1 << 40 {
                let at = Instant::from_micros(u64::try_from(elapsed.as_micros()).unwrap());
                let whole = Duration::from_micros(at.as_micros());
                let wide = whole.as_nanos() / Duration::from_nanos(step_nanos).as_nanos();
                let expected = u16::try_from(wide).map_or(steps, |step| step.min(steps));
                prop_assert_eq!(ramp.step_at(at), expected);
            }
        }
    }

    #[test]
    fn perceptual_duty_is_the_wide_formula() {
        let wide = |level: Level, max_duty: u16| {
            let level = u128::from(level);
            let full = u128::from(LEVEL_MAX);
            let max = u128::from(max_duty);
            if level * 100 <= 8 * full {
                (level * max * 1_000 + full * 9_033 / 2) / (full * 9_033)
            } else {
                let numerator = level * 100 + 16 * full;
                let denominator = 116 * full;
                let cube = denominator * denominator * denominator;
                (numerator * numerator * numerator * max + cube / 2) / cube
            }
        };
        for max in [1, 255, 1_000, 4_095, 65_534, u16::MAX] {
            for level in 0..=LEVEL_MAX {
                assert_eq!(
                    u128::from(Brightness::Perceptual.duty(level, max)),
                    wide(level, max),
                    "level {level}, max {max}"
                );
            }
        }
    }

    #[test]
    fn linear_duty_is_exact() {
        for level in [0, 1, 2, 32_767, 32_768, LEVEL_MAX - 1, LEVEL_MAX] {
            for max in [1, 255, 1_000, u16::MAX] {
                let wide = (u128::from(level) * u128::from(max) + u128::from(LEVEL_MAX) / 2)
                    / u128::from(LEVEL_MAX);
                assert_eq!(u128::from(Brightness::Linear.duty(level, max)), wide);
            }
        }
    }
}
