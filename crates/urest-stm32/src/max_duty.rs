//! Whether a timer's period can drive a `SetDutyCycle` output, checked
//! without touching hardware.
//!
//! embedded-hal speaks duty cycles in `u16`; an STM32 timer counts up to its
//! auto-reload value (ARR), and embassy-stm32 reports `ARR + 1` as the duty of
//! fully on. A period of more than 65 535 timer counts therefore has no `u16`
//! full-on duty, and embassy-stm32's own `SetDutyCycle::max_duty_cycle` panics
//! on it. These checks turn that into an error value before any such call.

use core::fmt;

/// Why a timer configuration cannot drive a PWM LED.
///
/// ```
/// use urest_stm32::max_duty::{max_duty_in_u16, TimerConfigError};
///
/// // A 32-bit timer (TIM2 or TIM5) running a 10 ms period at 108 MHz:
/// let refused = max_duty_in_u16(1_080_000);
/// assert_eq!(refused, Err(TimerConfigError::MaxDutyTooLarge { max_duty: 1_080_000 }));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TimerConfigError {
    /// A period is more than 65 535 timer counts long, so fully on has no
    /// `u16` duty. Raise the PWM frequency, or set the frequency with
    /// `SimplePwm::new`/`set_frequency` (which keep ARR within 16 bits)
    /// rather than `set_period_*` on a 32-bit timer.
    MaxDutyTooLarge {
        /// The timer's full-on duty (ARR + 1).
        max_duty: u32,
    },
    /// The timer reports a full-on duty of 0: ARR + 1 wrapped round, which
    /// only a 32-bit timer with ARR = `u32::MAX` can do.
    NoPeriod,
}

impl fmt::Display for TimerConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimerConfigError::MaxDutyTooLarge { max_duty } => write!(
                f,
                "the timer's full-on duty {max_duty} exceeds {}; raise the PWM frequency",
                u16::MAX
            ),
            TimerConfigError::NoPeriod => {
                f.write_str("the timer's auto-reload is u32::MAX, so it has no usable period")
            }
        }
    }
}

impl core::error::Error for TimerConfigError {}

/// The full-on duty as embedded-hal's `u16`, given the `u32` one that
/// embassy-stm32's inherent `max_duty_cycle` reports (ARR + 1).
///
/// ```
/// use urest_stm32::max_duty::{max_duty_in_u16, TimerConfigError};
///
/// // TIM3 on a NUCLEO-F767ZI at 216 MHz runs at 108 MHz; 1 kHz gives ARR 53 999.
/// assert_eq!(max_duty_in_u16(54_000), Ok(54_000));
/// // ARR 65 535, the largest a 16-bit timer has, is one count too many.
/// assert!(max_duty_in_u16(65_536).is_err());
/// assert_eq!(max_duty_in_u16(0), Err(TimerConfigError::NoPeriod));
/// ```
pub fn max_duty_in_u16(max_duty: u32) -> Result<u16, TimerConfigError> {
    if max_duty == 0 {
        return Err(TimerConfigError::NoPeriod);
    }
    u16::try_from(max_duty).map_err(|_| TimerConfigError::MaxDutyTooLarge { max_duty })
}

/// The full-on duty as embedded-hal's `u16` for a timer whose auto-reload
/// register holds `auto_reload`: for planning a frequency, or for code that
/// reads ARR itself.
///
/// ```
/// use urest_stm32::max_duty::max_duty_for_auto_reload;
///
/// assert_eq!(max_duty_for_auto_reload(999), Ok(1_000));
/// assert!(max_duty_for_auto_reload(65_535).is_err());
/// assert!(max_duty_for_auto_reload(u32::MAX).is_err());
/// ```
pub fn max_duty_for_auto_reload(auto_reload: u32) -> Result<u16, TimerConfigError> {
    let max_duty = auto_reload
        .checked_add(1)
        .ok_or(TimerConfigError::NoPeriod)?;
    max_duty_in_u16(max_duty)
}

/// A duty cycle above the output's full-on duty, refused rather than
/// written (embassy-stm32 would panic on it).
///
/// ```
/// use urest_stm32::max_duty::{checked_duty, DutyAboveMax};
///
/// assert_eq!(checked_duty(2_000, 1_000), Err(DutyAboveMax { duty: 2_000, max_duty: 1_000 }));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DutyAboveMax {
    /// The duty asked for.
    pub duty: u16,
    /// The output's full-on duty.
    pub max_duty: u16,
}

impl fmt::Display for DutyAboveMax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "duty {} is above the full-on duty {}",
            self.duty, self.max_duty
        )
    }
}

impl core::error::Error for DutyAboveMax {}

impl embedded_hal::pwm::Error for DutyAboveMax {
    fn kind(&self) -> embedded_hal::pwm::ErrorKind {
        embedded_hal::pwm::ErrorKind::Other
    }
}

/// `duty` if an output whose full-on duty is `max_duty` can take it.
///
/// ```
/// use urest_stm32::max_duty::checked_duty;
///
/// assert_eq!(checked_duty(1_000, 1_000), Ok(1_000)); // fully on
/// assert!(checked_duty(1_001, 1_000).is_err());
/// ```
pub fn checked_duty(duty: u16, max_duty: u16) -> Result<u16, DutyAboveMax> {
    if duty > max_duty {
        return Err(DutyAboveMax { duty, max_duty });
    }
    Ok(duty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_max_duty_that_fits_is_kept() {
        for max_duty in [1, 2, 1_000, 54_000, 65_534, 65_535] {
            assert_eq!(max_duty_in_u16(max_duty), Ok(max_duty as u16));
        }
    }

    #[test]
    fn a_max_duty_beyond_u16_is_refused_with_its_value() {
        for max_duty in [65_536, 1_080_000, u32::MAX] {
            assert_eq!(
                max_duty_in_u16(max_duty),
                Err(TimerConfigError::MaxDutyTooLarge { max_duty })
            );
        }
    }

    #[test]
    fn a_wrapped_max_duty_is_no_period() {
        assert_eq!(max_duty_in_u16(0), Err(TimerConfigError::NoPeriod));
    }

    #[test]
    fn the_auto_reload_is_one_count_short_of_the_max_duty() {
        assert_eq!(max_duty_for_auto_reload(0), Ok(1));
        assert_eq!(max_duty_for_auto_reload(53_999), Ok(54_000));
        assert_eq!(max_duty_for_auto_reload(65_534), Ok(u16::MAX));
    }

    #[test]
    fn the_largest_16_bit_auto_reload_does_not_fit() {
        assert_eq!(
            max_duty_for_auto_reload(65_535),
            Err(TimerConfigError::MaxDutyTooLarge { max_duty: 65_536 })
        );
    }

    #[test]
    fn the_largest_32_bit_auto_reload_has_no_period() {
        assert_eq!(
            max_duty_for_auto_reload(u32::MAX),
            Err(TimerConfigError::NoPeriod)
        );
    }

    #[test]
    fn duties_up_to_and_including_full_on_pass() {
        assert_eq!(checked_duty(0, 0), Ok(0));
        assert_eq!(checked_duty(0, 54_000), Ok(0));
        assert_eq!(checked_duty(54_000, 54_000), Ok(54_000));
    }

    #[test]
    fn a_duty_above_full_on_is_refused() {
        assert_eq!(
            checked_duty(u16::MAX, 54_000),
            Err(DutyAboveMax {
                duty: u16::MAX,
                max_duty: 54_000
            })
        );
    }

    #[test]
    fn errors_read_as_sentences() {
        extern crate std;
        use std::string::ToString;
        let too_large = TimerConfigError::MaxDutyTooLarge { max_duty: 70_000 }.to_string();
        assert!(too_large.contains("70000") && too_large.contains("65535"));
        let above = DutyAboveMax {
            duty: 9,
            max_duty: 8,
        }
        .to_string();
        assert_eq!(above, "duty 9 is above the full-on duty 8");
    }
}
