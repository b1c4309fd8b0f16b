//! One PWM slice driving one LED, with a duty cycle that reaches fully on.

use embassy_rp::clocks::clk_sys_freq;
use embassy_rp::pwm::{self, ChannelAPin, ChannelBPin, Pwm, PwmError, SetDutyCycle, Slice};
use embassy_rp::Peri;
use embedded_hal::pwm::ErrorType;
use fixed::types::extra::U4;
use fixed::FixedU16;

use crate::pwm_timing::{FrequencyError, PwmTiming};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Channel {
    A,
    B,
}

/// A PWM output for an LED: one slice, one of its two pins, a set frequency.
///
/// Give it to [`urest_core::nouns::PwmLed`]; it implements
/// [`SetDutyCycle`] with a duty cycle from 0 (off) to
/// [`PwmTiming::full_on_duty`] (high for the whole period). It starts off.
///
/// It takes the whole slice, because both channels of a slice share one
/// divider and one period. The slice's other pin stays free for any non-PWM
/// use. To drive two LEDs from one slice, build embassy-rp's
/// [`Pwm::new_output_ab`] with [`pwm_config`] and
/// [`split`](Pwm::split) it; embassy-rp's `PwmOutput` then tops out at `top`,
/// one count short of fully on (16 ns in 1 ms, invisible on an LED).
///
/// The LED must light when the pin is high (pin → resistor → LED → GND).
///
/// Which pin goes with which slice is checked when it compiles; see the
/// table in the [crate docs](crate#pins-slices-and-channels).
///
/// ```no_run
/// use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
/// use urest_core::controller::RampConfig;
/// use urest_core::nouns::PwmLed;
/// use urest_rp::{FrequencyError, LedPwm, DEFAULT_LED_FREQUENCY_HZ};
///
/// type GreenLed = PwmLed<CriticalSectionRawMutex, LedPwm<'static>, 8>;
///
/// fn green_led(p: embassy_rp::Peripherals) -> Result<GreenLed, FrequencyError> {
///     // GP15 is channel B of slice 7.
///     let pwm = LedPwm::on_channel_b(p.PWM_SLICE7, p.PIN_15, DEFAULT_LED_FREQUENCY_HZ)?;
///     Ok(PwmLed::new(pwm, RampConfig::FIFO_TEN_SECOND_FADE))
/// }
/// ```
pub struct LedPwm<'d> {
    pwm: Pwm<'d>,
    config: pwm::Config,
    channel: Channel,
    timing: PwmTiming,
}

impl<'d> LedPwm<'d> {
    /// An LED on `pin`, channel A of `slice` (an even GPIO), at
    /// `frequency_hz` from the system clock.
    ///
    /// Fails, leaving the pin untouched, if the system clock cannot make
    /// that frequency (see [`PwmTiming::for_frequency`]).
    ///
    /// ```no_run
    /// use urest_rp::{LedPwm, DEFAULT_LED_FREQUENCY_HZ};
    ///
    /// fn on_gp14(p: embassy_rp::Peripherals) -> Option<LedPwm<'static>> {
    ///     LedPwm::on_channel_a(p.PWM_SLICE7, p.PIN_14, DEFAULT_LED_FREQUENCY_HZ).ok()
    /// }
    /// ```
    pub fn on_channel_a<S: Slice>(
        slice: Peri<'d, S>,
        pin: Peri<'d, impl ChannelAPin<S>>,
        frequency_hz: u32,
    ) -> Result<Self, FrequencyError> {
        let timing = PwmTiming::for_frequency(clk_sys_freq(), frequency_hz)?;
        let config = pwm_config(timing);
        Ok(LedPwm {
            pwm: Pwm::new_output_a(slice, pin, config.clone()),
            config,
            channel: Channel::A,
            timing,
        })
    }

    /// An LED on `pin`, channel B of `slice` (an odd GPIO), at
    /// `frequency_hz` from the system clock.
    ///
    /// Fails, leaving the pin untouched, if the system clock cannot make
    /// that frequency (see [`PwmTiming::for_frequency`]).
    ///
    /// ```no_run
    /// use urest_rp::{LedPwm, DEFAULT_LED_FREQUENCY_HZ};
    ///
    /// fn on_gp15(p: embassy_rp::Peripherals) -> Option<LedPwm<'static>> {
    ///     LedPwm::on_channel_b(p.PWM_SLICE7, p.PIN_15, DEFAULT_LED_FREQUENCY_HZ).ok()
    /// }
    /// ```
    pub fn on_channel_b<S: Slice>(
        slice: Peri<'d, S>,
        pin: Peri<'d, impl ChannelBPin<S>>,
        frequency_hz: u32,
    ) -> Result<Self, FrequencyError> {
        let timing = PwmTiming::for_frequency(clk_sys_freq(), frequency_hz)?;
        let config = pwm_config(timing);
        Ok(LedPwm {
            pwm: Pwm::new_output_b(slice, pin, config.clone()),
            config,
            channel: Channel::B,
            timing,
        })
    }

    /// The divider and period the slice runs with, for logging the
    /// frequency reached.
    ///
    /// ```no_run
    /// use embassy_rp::clocks::clk_sys_freq;
    /// use urest_rp::LedPwm;
    ///
    /// fn reached_millihertz(led: &LedPwm<'_>) -> u64 {
    ///     led.timing().frequency_millihertz(clk_sys_freq())
    /// }
    /// ```
    pub fn timing(&self) -> PwmTiming {
        self.timing
    }
}

impl ErrorType for LedPwm<'_> {
    type Error = PwmError;
}

impl SetDutyCycle for LedPwm<'_> {
    fn max_duty_cycle(&self) -> u16 {
        self.timing.full_on_duty()
    }

    /// Takes effect at the end of the running period: the slice latches a new
    /// compare value only when its counter wraps, so no period is cut short.
    fn set_duty_cycle(&mut self, duty: u16) -> Result<(), PwmError> {
        if duty > self.timing.full_on_duty() {
            return Err(PwmError::InvalidDutyCycle);
        }
        match self.channel {
            Channel::A => self.config.compare_a = duty,
            Channel::B => self.config.compare_b = duty,
        }
        // embassy-rp's own SetDutyCycle stops at `top`; a compare of
        // `top + 1` (fully on) is reachable only through the whole config.
        self.pwm.set_config(&self.config);
        Ok(())
    }
}

/// The embassy-rp slice configuration for `timing`: enabled, output low
/// (both compares 0), not inverted, counting up (not phase-correct, which
/// would halve the frequency).
///
/// For building a slice yourself, for example both channels of one slice:
///
/// ```no_run
/// use embassy_rp::clocks::clk_sys_freq;
/// use embassy_rp::pwm::{Pwm, PwmOutput};
/// use urest_rp::{pwm_config, PwmTiming, DEFAULT_LED_FREQUENCY_HZ};
///
/// fn two_leds(p: embassy_rp::Peripherals) -> Option<(PwmOutput<'static>, PwmOutput<'static>)> {
///     let timing = PwmTiming::for_frequency(clk_sys_freq(), DEFAULT_LED_FREQUENCY_HZ).ok()?;
///     // GP0 and GP1 are channels A and B of slice 0.
///     let slice = Pwm::new_output_ab(p.PWM_SLICE0, p.PIN_0, p.PIN_1, pwm_config(timing));
///     let (gp0, gp1) = slice.split();
///     Some((gp0?, gp1?))
/// }
/// ```
pub fn pwm_config(timing: PwmTiming) -> pwm::Config {
    let mut config = pwm::Config::default();
    config.divider = FixedU16::<U4>::from_bits(timing.divider_sixteenths());
    config.top = timing.top();
    config.compare_a = 0;
    config.compare_b = 0;
    config.invert_a = false;
    config.invert_b = false;
    config.phase_correct = false;
    config.enable = true;
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_carries_the_timing() {
        let Ok(timing) = PwmTiming::for_frequency(125_000_000, 1_000) else {
            panic!("1 kHz refused");
        };
        let config = pwm_config(timing);
        assert_eq!(config.divider.to_bits(), 31);
        assert_eq!(config.top, 64_515);
        assert_eq!((config.compare_a, config.compare_b), (0, 0));
        assert!(config.enable && !config.phase_correct);
    }
}
