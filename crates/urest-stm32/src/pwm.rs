//! A fading LED on one channel of an STM32 timer.

use embassy_stm32::timer::simple_pwm::SimplePwmChannel;
use embassy_stm32::timer::GeneralInstance4Channel;
use embassy_sync::blocking_mutex::raw::RawMutex;
use embedded_hal::pwm::{ErrorType, SetDutyCycle};
use urest_core::controller::RampConfig;
use urest_core::nouns::PwmLed;

use crate::max_duty::{checked_duty, max_duty_in_u16, DutyAboveMax, TimerConfigError};

/// A [`PwmLed`] on an STM32 timer channel: what [`timer_led`] builds.
///
/// `M` is the raw mutex, `T` the timer (`embassy_stm32::peripherals::TIM3`),
/// `Q` how many changes may wait behind a running fade.
pub type TimerLed<'d, M, T, const Q: usize> = PwmLed<M, PwmLedChannel<'d, T>, Q>;

/// An embassy-stm32 [`SimplePwmChannel`] checked and switched on for a
/// [`PwmLed`].
///
/// Two things about a bare `SimplePwmChannel` make it a poor `SetDutyCycle`
/// for an LED, and this type takes care of both:
///
/// - it stays dark until `enable()` is called, whatever duty it is given:
///   [`new`](Self::new) enables it (after setting duty 0, so it starts off);
/// - its `SetDutyCycle::max_duty_cycle` panics when the timer counts more
///   than 65 535 steps per period, and its `set_duty_cycle` panics on a duty
///   above full on: [`new`](Self::new) reads the full-on duty through the
///   inherent `u32` method, which does not panic, and refuses the channel
///   with [`TimerConfigError`]; duties above full on are refused with
///   [`DutyAboveMax`].
///
/// The full-on duty is read once: the frequency belongs to the
/// `SimplePwm`, which a channel cannot change and which `split` consumes (or
/// `SimplePwm::channel` keeps borrowed for the channel's lifetime).
///
/// ```no_run
/// use embassy_stm32::peripherals::TIM3;
/// use embassy_stm32::timer::simple_pwm::SimplePwmChannel;
/// use urest_stm32::PwmLedChannel;
///
/// fn half_on(channel: SimplePwmChannel<'static, TIM3>) -> Option<PwmLedChannel<'static, TIM3>> {
///     use embedded_hal::pwm::SetDutyCycle;
///     // Refused if the timer's period is too long for a u16 duty.
///     let mut led = PwmLedChannel::new(channel).ok()?;
///     let half = led.max_duty() / 2;
///     led.set_duty_cycle(half).ok()?;
///     Some(led)
/// }
/// ```
pub struct PwmLedChannel<'d, T: GeneralInstance4Channel> {
    channel: SimplePwmChannel<'d, T>,
    max_duty: u16,
}

impl<'d, T: GeneralInstance4Channel> PwmLedChannel<'d, T> {
    /// Check that the timer's full-on duty fits a `u16`, set the duty to 0
    /// and enable the channel. A refused channel is dropped
    /// without being enabled.
    pub fn new(mut channel: SimplePwmChannel<'d, T>) -> Result<Self, TimerConfigError> {
        let max_duty = max_duty_in_u16(channel.max_duty_cycle())?;
        channel.set_duty_cycle(0);
        channel.enable();
        Ok(PwmLedChannel { channel, max_duty })
    }

    /// The duty of fully on: the timer's auto-reload value plus one.
    pub fn max_duty(&self) -> u16 {
        self.max_duty
    }

    /// Give the channel back, still enabled, at the duty last written.
    pub fn into_inner(self) -> SimplePwmChannel<'d, T> {
        self.channel
    }
}

impl<T: GeneralInstance4Channel> ErrorType for PwmLedChannel<'_, T> {
    type Error = DutyAboveMax;
}

impl<T: GeneralInstance4Channel> SetDutyCycle for PwmLedChannel<'_, T> {
    fn max_duty_cycle(&self) -> u16 {
        self.max_duty
    }

    fn set_duty_cycle(&mut self, duty: u16) -> Result<(), DutyAboveMax> {
        let duty = checked_duty(duty, self.max_duty)?;
        self.channel.set_duty_cycle(u32::from(duty));
        Ok(())
    }
}

/// A fading LED on `channel`: [`PwmLedChannel::new`] followed by
/// [`PwmLed::new`]. Run the LED's controller in a task of its own.
///
/// The timer's frequency is set on the `SimplePwm` before it is split; see
/// the crate docs for which frequencies each timer allows.
///
/// ```no_run
/// use embassy_stm32::gpio::OutputType;
/// use embassy_stm32::peripherals::{PB0, TIM3};
/// use embassy_stm32::time::khz;
/// use embassy_stm32::timer::low_level::CountingMode;
/// use embassy_stm32::timer::simple_pwm::{PwmPin, SimplePwm};
/// use embassy_stm32::Peri;
/// use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
/// use urest_core::controller::RampConfig;
/// use urest_stm32::{timer_led, TimerConfigError, TimerLed};
///
/// type GreenLed = TimerLed<'static, CriticalSectionRawMutex, TIM3, 8>;
///
/// // NUCLEO-F767ZI: the green user LED LD1 is on PB0, TIM3 channel 3.
/// fn green_led(tim3: Peri<'static, TIM3>, pb0: Peri<'static, PB0>) -> Result<GreenLed, TimerConfigError> {
///     let pin = PwmPin::new(pb0, OutputType::PushPull);
///     let pwm = SimplePwm::new(tim3, None, None, Some(pin), None, khz(1), CountingMode::EdgeAlignedUp);
///     timer_led(pwm.split().ch3, RampConfig::FIFO_TEN_SECOND_FADE)
/// }
/// ```
pub fn timer_led<'d, M: RawMutex, T: GeneralInstance4Channel, const Q: usize>(
    channel: SimplePwmChannel<'d, T>,
    config: RampConfig,
) -> Result<TimerLed<'d, M, T, Q>, TimerConfigError> {
    Ok(PwmLed::new(PwmLedChannel::new(channel)?, config))
}
